/*
 * The pack segments (see pack.h).
 *
 * The index is index.h's.  The order of records is the order of
 * segments, then of offsets: the order in which room was reserved under
 * cache_lock, which is the order in which a scan replays them (a later
 * body or value replaces an earlier one, a tombstone forgets what came
 * before it).
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uthash.h>

#include "crc.h"
#include "index.h"
#include "log.h"
#include "pack.h"
#include "segidx.h"

#define REC_MAGIC	0x3153464du	/* "MFS1" */
#define REC_HDR		64
#define SEG_MIN		(16u << 10)
#define BODY_MAX	UINT32_MAX

enum rec_kind { REC_BODY = 1, REC_META = 2, REC_APPEND = 3, REC_DROP = 4 };
#define REC_OPEN	1	/* flags: room of a body still being written */

/* The header as on disk (the machine's byte order: a cache, never moved). */
struct rec_hdr {
	uint32_t magic;
	uint32_t hcrc;		/* of the header with hcrc 0 */
	uint8_t kind;
	uint8_t flags;
	uint16_t pad;
	uint32_t uidvalidity;
	unsigned char folder[16];
	uint32_t uid;
	uint32_t rsize;
	int64_t date;
	uint32_t len;		/* of the body that follows */
	uint32_t bcrc;
	char name[PACK_NAME_MAX];
};

_Static_assert(sizeof(struct rec_hdr) == REC_HDR && REC_HDR == SEGIDX_HDR,
    "a record's header is 64 bytes");

struct seg {
	uint32_t no;
	int fd;			/* read and write */
	int rfd;		/* read only: dup()ed for readers */
	uint64_t size;
};

pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static char *packs_dir;
static struct seg *segs;	/* ascending; the last is written to */
static size_t nseg, segcap;
static uint32_t seg_max;
static uint64_t total, limit;

/* 128 bits of FNV-1a (two 64-bit lanes): names a folder without its characters. */
void
pack_key_of(const char *mailbox, uint32_t uidvalidity, struct pack_key *k)
{
	uint64_t a = 0xcbf29ce484222325ULL, b = 0x84222325cbf29ce4ULL;
	const unsigned char *p;

	for (p = (const unsigned char *)mailbox; *p != '\0'; p++) {
		a = (a ^ *p) * 0x100000001b3ULL;
		b = (b ^ (unsigned char)(*p + 0x5b)) * 0x100000001b3ULL;
		b ^= b >> 29;
	}
	memset(k, 0, sizeof(*k));
	memcpy(k->folder, &a, 8);
	memcpy(k->folder + 8, &b, 8);
	k->uidvalidity = uidvalidity;
}

static void
hdr_seal(struct rec_hdr *h)
{
	h->magic = REC_MAGIC;
	h->hcrc = 0;
	h->hcrc = crc32_update(0, h, sizeof(*h));
}

static int
hdr_valid(struct rec_hdr *h)
{
	uint32_t c = h->hcrc;

	if (h->magic != REC_MAGIC)
		return 0;
	h->hcrc = 0;
	h->hcrc = crc32_update(0, h, sizeof(*h));
	return h->hcrc == c && h->kind >= REC_BODY && h->kind <= REC_DROP;
}

/* segidx.h's segidx_len_fn: a valid header's whole record length, or 0. */
static uint64_t
rec_len(unsigned char raw[SEGIDX_HDR])
{
	struct rec_hdr h;

	memcpy(&h, raw, sizeof(h));
	return hdr_valid(&h) ? REC_HDR + (uint64_t)h.len : 0;
}

static void
hdr_key(struct rec_hdr *h, const struct pack_key *k)
{
	memcpy(h->folder, k->folder, sizeof(h->folder));
	h->uidvalidity = k->uidvalidity;
}

static int
full_pwrite(int fd, const void *p, size_t len, off_t off)
{
	const char *b = p;
	ssize_t n;

	while (len > 0) {
		if ((n = pwrite(fd, b, len, off)) == -1) {
			if (errno == EINTR)
				continue;
			return errno;
		}
		b += n;
		len -= (size_t)n;
		off += n;
	}
	return 0;
}

/* ---- segments ---- */

static struct seg *
seg_find(uint32_t no)
{
	size_t lo = 0, hi = nseg, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (segs[mid].no < no)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < nseg && segs[lo].no == no ? &segs[lo] : NULL;
}

static void
seg_path(uint32_t no, char *out, size_t size)
{
	snprintf(out, size, "%s/%08u", packs_dir, (unsigned)no);
}

static int
seg_add(uint32_t no, int fd, uint64_t size)
{
	char path[PATH_MAX];
	struct seg *s;
	int rfd;

	seg_path(no, path, sizeof(path));
	if ((rfd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return errno;
	if (nseg == segcap) {
		if ((s = realloc(segs, (segcap + 16) * sizeof(*s))) == NULL) {
			close(rfd);
			return ENOMEM;
		}
		segs = s;
		segcap += 16;
	}
	segs[nseg].no = no;
	segs[nseg].fd = fd;
	segs[nseg].rfd = rfd;
	segs[nseg].size = size;
	nseg++;
	total += size;
	return 0;
}

static int
seg_new_locked(void)
{
	char path[PATH_MAX];
	uint32_t no = nseg > 0 ? segs[nseg - 1].no + 1 : 1;
	int fd, r;

	seg_path(no, path, sizeof(path));
	segidx_remove(path);
	if ((fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) == -1) {
		r = errno;
		log_msg(LOG_WARNING, "cannot make %s: %s", path, strerror(r));
		return r;
	}
	if ((r = seg_add(no, fd, 0)) != 0) {
		close(fd);
		unlink(path);
	}
	return r;
}

/*
 * Reserves room for a record of body len at the end of the newest
 * segment, or of a new one: 0 with the segment in *s_r and the record's
 * offset in *off_r, or an errno.  Needs cache_lock.
 */
static int
reserve_locked(uint64_t len, struct seg **s_r, uint32_t *off_r)
{
	struct seg *s;
	int r;

	if (len > BODY_MAX)
		return EFBIG;
	s = nseg > 0 ? &segs[nseg - 1] : NULL;
	if (s == NULL || (s->size > 0 && s->size + REC_HDR + len > seg_max)) {
		if ((r = seg_new_locked()) != 0)
			return r;
		s = &segs[nseg - 1];
	}
	*off_r = (uint32_t)s->size;
	*s_r = s;
	s->size += REC_HDR + len;
	total += REC_HDR + len;
	return 0;
}

static void evict_locked(void);

/*
 * Appends a whole record (h sealed here) under cache_lock: 0 with the
 * body's place in *pc, or an errno.
 */
static int
append_locked(struct rec_hdr *h, const void *data, size_t len, struct piece *pc)
{
	struct seg *s;
	uint32_t off;
	char *buf;
	int r;

	h->len = (uint32_t)len;
	h->bcrc = crc32_update(0, data, len);
	if ((r = reserve_locked(len, &s, &off)) != 0)
		return r;
	hdr_seal(h);
	/* One write of header and body where it is small. */
	if (len <= 65536 && (buf = malloc(REC_HDR + len)) != NULL) {
		memcpy(buf, h, REC_HDR);
		memcpy(buf + REC_HDR, data, len);
		r = full_pwrite(s->fd, buf, REC_HDR + len, (off_t)off);
		free(buf);
	} else if ((r = full_pwrite(s->fd, data, len, (off_t)off + REC_HDR)) == 0)
		r = full_pwrite(s->fd, h, REC_HDR, (off_t)off);
	if (r != 0) {
		log_msg(LOG_WARNING, "cannot write to the cache: %s", strerror(r));
		/*
		 * Still the last room reserved (the lock is held): give it back,
		 * so that no hole is left for a scan to stop at (the disk full).
		 */
		if (s->size == (uint64_t)off + REC_HDR + len && ftruncate(s->fd, (off_t)off) == 0) {
			s->size = off;
			total -= REC_HDR + len;
		}
		return r;
	}
	pc->seg = s->no;
	pc->off = off + REC_HDR;
	pc->len = (uint32_t)len;
	pc->crc = h->bcrc;
	return 0;
}

/* ---- named values ---- */

static int
meta_read(const struct pmeta *m, void **data_r, size_t *len_r)
{
	struct seg *s;
	size_t i, n = 0;
	char *buf;
	int r = 0;

	for (i = 0; i < m->n; i++)
		n += m->p[i].len;
	if (n == 0)
		return ENOENT;
	if ((buf = malloc(n)) == NULL)
		return ENOMEM;
	for (i = 0, n = 0; i < m->n && r == 0; i++) {
		if ((s = seg_find(m->p[i].seg)) == NULL)
			r = ENOENT;
		else if ((r = pread_full(s->fd, buf + n, m->p[i].len, m->p[i].off)) == 0 &&
		    crc32_update(0, buf + n, m->p[i].len) != m->p[i].crc)
			r = EIO;
		n += m->p[i].len;
	}
	if (r != 0) {
		if (r == EIO)
			log_msg(LOG_WARNING, "a saved %.8s in the cache is damaged: ignored",
			    m->name);
		free(buf);
		return r == EIO ? ENOENT : r;
	}
	*data_r = buf;
	*len_r = n;
	return 0;
}

static int
meta_put_locked(const struct pack_key *k, const char *name, const void *data, size_t len,
    int append)
{
	struct rec_hdr h;
	struct piece pc;
	int r;

	memset(&h, 0, sizeof(h));
	h.kind = append ? REC_APPEND : REC_META;
	hdr_key(&h, k);
	memcpy(h.name, name, strnlen(name, PACK_NAME_MAX));
	if ((r = append_locked(&h, data, len, &pc)) != 0)
		return r;
	return idx_meta_note(k, name, &pc, append);
}

int
pack_meta_get(const struct pack_key *k, const char *name, void **data_r, size_t *len_r)
{
	struct pgen *g;
	struct pmeta *m;
	int r = ENOENT;

	pthread_mutex_lock(&cache_lock);
	if ((g = idx_gen_find(k)) != NULL && (m = idx_meta_find(g, name)) != NULL)
		r = meta_read(m, data_r, len_r);
	pthread_mutex_unlock(&cache_lock);
	return r;
}

int
pack_meta_put(const struct pack_key *k, const char *name, const void *data, size_t len,
    int append)
{
	int r;

	pthread_mutex_lock(&cache_lock);
	r = meta_put_locked(k, name, data, len, append);
	evict_locked();
	pthread_mutex_unlock(&cache_lock);
	return r;
}

int
pack_drop(const struct pack_key *k)
{
	struct rec_hdr h;
	struct piece pc;
	struct pgen *g;
	int r;

	memset(&h, 0, sizeof(h));
	h.kind = REC_DROP;
	hdr_key(&h, k);
	pthread_mutex_lock(&cache_lock);
	if ((g = idx_gen_find(k)) != NULL)
		idx_gen_free(g);
	r = append_locked(&h, "", 0, &pc);
	pthread_mutex_unlock(&cache_lock);
	return r;
}

/* ---- eviction ---- */

/* 1 when a piece of m lies in segment no. */
static int
meta_in(const struct pmeta *m, uint32_t no)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		if (m->p[i].seg == no)
			return 1;
	return 0;
}

/*
 * Forgets what lies in the oldest segment and removes it: the named
 * values with a piece in it are appended again whole first (a value
 * that cannot be read is lost: a cache).  Needs cache_lock.
 */
static void
drop_oldest_locked(void)
{
	struct pgen *g, *gt;
	struct pmeta *m;
	char path[PATH_MAX];
	uint32_t no = segs[0].no;
	size_t i, j;
	void *data;
	size_t len;

	HASH_ITER(hh, idx_gens(), g, gt) {
		for (m = g->meta; m != NULL; m = m->next) {
			if (!meta_in(m, no))
				continue;
			if (meta_read(m, &data, &len) == 0) {
				(void)meta_put_locked(&g->key, m->name, data, len, 0);
				free(data);
			} else
				m->n = 0;
		}
		for (i = j = 0; i < g->n; i++)
			if (g->v[i].seg != no)
				g->v[j++] = g->v[i];
		g->n = j;
	}
	seg_path(no, path, sizeof(path));
	segidx_remove(path);
	if (unlink(path) == -1)
		log_msg(LOG_WARNING, "cannot remove %s from the cache: %s", path,
		    strerror(errno));
	close(segs[0].fd);
	close(segs[0].rfd);
	total -= segs[0].size;
	memmove(segs, segs + 1, (nseg - 1) * sizeof(*segs));
	nseg--;
}

/*
 * Drops whole oldest segments while the store is over its limit, never
 * the one written to; at most as many as there were (the values written
 * again could otherwise chase each other round).
 */
static void
evict_locked(void)
{
	size_t n = nseg;

	while (total > limit && nseg > 1 && n-- > 0)
		drop_oldest_locked();
}

/* ---- bodies ---- */

int
pack_find_locked(const struct pack_key *k, uint32_t uid, struct pack_body *b_r)
{
	struct pent *e;

	if ((e = idx_ent_find(k, uid)) == NULL)
		return ENOENT;
	b_r->seg = e->seg;
	b_r->off = e->off;
	b_r->len = e->len;
	b_r->crc = e->crc;
	b_r->date = e->date;
	b_r->rsize = e->rsize;
	b_r->verified = e->verified;
	return 0;
}

int
pack_dup_locked(const struct pack_body *b, int *fd_r)
{
	struct seg *s;
	int fd;

	if ((s = seg_find(b->seg)) == NULL)
		return ENOENT;
	/* A fifth of the cost of an open() of the file. */
	if ((fd = fcntl(s->rfd, F_DUPFD_CLOEXEC, 0)) == -1)
		return errno;
	*fd_r = fd;
	return 0;
}

static struct pent *
ent_same(const struct pack_key *k, uint32_t uid, const struct pack_body *b)
{
	struct pent *e = idx_ent_find(k, uid);

	return e != NULL && e->seg == b->seg && e->off == b->off ? e : NULL;
}

void
pack_forget_locked(const struct pack_key *k, uint32_t uid, const struct pack_body *b)
{
	struct pgen *g;
	size_t i;
	int found;

	if (ent_same(k, uid, b) == NULL || (g = idx_gen_find(k)) == NULL)
		return;
	i = idx_ent_pos(g, uid, &found);
	memmove(g->v + i, g->v + i + 1, (g->n - i - 1) * sizeof(*g->v));
	g->n--;
}

void
pack_verified_locked(const struct pack_key *k, uint32_t uid, const struct pack_body *b)
{
	struct pent *e;

	if ((e = ent_same(k, uid, b)) != NULL)
		e->verified = 1;
}

int
pack_verify(int fd, const struct pack_body *b)
{
	char buf[65536];
	uint64_t pos = 0;
	uint32_t c = 0;
	size_t n;
	int r;

	while (pos < b->len) {
		n = b->len - pos < sizeof(buf) ? (size_t)(b->len - pos) : sizeof(buf);
		if ((r = pread_full(fd, buf, n, (off_t)(b->off + pos))) != 0)
			return r;
		c = crc32_update(c, buf, n);
		pos += n;
	}
	return c == b->crc ? 0 : EIO;
}

static int
index_body(const struct pack_key *k, uint32_t uid, uint32_t rsize, int64_t date,
    const struct piece *pc)
{
	struct pent e;

	memset(&e, 0, sizeof(e));
	e.uid = uid;
	e.seg = pc->seg;
	e.verified = 1;		/* written by this process */
	e.off = pc->off;
	e.len = pc->len;
	e.date = date;
	e.rsize = rsize;
	e.crc = pc->crc;
	return idx_ent_put(k, &e);
}

/* A body's header, not sealed. */
static void
body_hdr(struct rec_hdr *h, const struct pack_key *k, uint32_t uid, uint32_t rsize,
    int64_t date)
{
	memset(h, 0, sizeof(*h));
	h->kind = REC_BODY;
	hdr_key(h, k);
	h->uid = uid;
	h->rsize = rsize;
	h->date = date;
}

int
pack_put(const struct pack_key *k, uint32_t uid, uint32_t rsize, int64_t date,
    const void *data, size_t len)
{
	struct rec_hdr h;
	struct piece pc;
	int r;

	body_hdr(&h, k, uid, rsize, date);
	pthread_mutex_lock(&cache_lock);
	if ((r = append_locked(&h, data, len, &pc)) == 0)
		r = index_body(k, uid, rsize, date, &pc);
	evict_locked();
	pthread_mutex_unlock(&cache_lock);
	return r;
}

int
pack_begin(uint64_t len, struct pack_res *r)
{
	struct rec_hdr h;
	struct seg *s;
	int e;

	memset(r, 0, sizeof(*r));
	r->fd = -1;
	memset(&h, 0, sizeof(h));
	h.kind = REC_BODY;
	h.flags = REC_OPEN;
	h.len = (uint32_t)len;
	pthread_mutex_lock(&cache_lock);
	if ((e = reserve_locked(len, &s, &r->off)) == 0) {
		r->seg = s->no;
		r->len = (uint32_t)len;
		if ((r->fd = dup(s->fd)) == -1)
			e = errno;
		else {
			/* Its length first, so that a scan can step over it. */
			hdr_seal(&h);
			e = full_pwrite(r->fd, &h, REC_HDR, (off_t)r->off);
		}
	}
	pthread_mutex_unlock(&cache_lock);
	if (e != 0)
		pack_abort(r);
	return e;
}

int
pack_write(struct pack_res *r, const void *data, size_t len)
{
	int e;

	if (r->written + len > r->len)
		return EIO;
	if ((e = full_pwrite(r->fd, data, len, (off_t)(r->off + REC_HDR + r->written))) != 0)
		return e;
	r->crc = crc32_update(r->crc, data, len);
	r->written += len;
	return 0;
}

int
pack_commit(struct pack_res *r, const struct pack_key *k, uint32_t uid, uint32_t rsize,
    int64_t date)
{
	struct rec_hdr h;
	struct piece pc;
	int e;

	if (r->written != r->len) {
		pack_abort(r);
		return EIO;
	}
	body_hdr(&h, k, uid, rsize, date);
	h.len = r->len;
	h.bcrc = r->crc;
	hdr_seal(&h);
	if ((e = full_pwrite(r->fd, &h, REC_HDR, (off_t)r->off)) != 0) {
		pack_abort(r);
		return e;
	}
	pc.seg = r->seg;
	pc.off = r->off + REC_HDR;
	pc.len = r->len;
	pc.crc = r->crc;
	pthread_mutex_lock(&cache_lock);
	/* A segment evicted meanwhile took the body with it. */
	e = seg_find(r->seg) != NULL ? index_body(k, uid, rsize, date, &pc) : ENOENT;
	evict_locked();
	pthread_mutex_unlock(&cache_lock);
	pack_abort(r);
	return e;
}

void
pack_abort(struct pack_res *r)
{
	if (r->fd != -1)
		close(r->fd);
	r->fd = -1;
}

/* ---- opening ---- */

/* Indexes one record read at a scan; 0 or ENOMEM. */
static int
scan_record(struct rec_hdr *h, uint32_t no, uint32_t off)
{
	struct pack_key k;
	struct piece pc;
	struct pgen *g;
	char name[PACK_NAME_MAX + 1];

	memset(&k, 0, sizeof(k));
	memcpy(k.folder, h->folder, sizeof(k.folder));
	k.uidvalidity = h->uidvalidity;
	pc.seg = no;
	pc.off = off + REC_HDR;
	pc.len = h->len;
	pc.crc = h->bcrc;
	if (h->flags & REC_OPEN)
		return 0;
	switch (h->kind) {
	case REC_BODY:
		if (index_body(&k, h->uid, h->rsize, h->date, &pc) != 0)
			return ENOMEM;
		idx_ent_find(&k, h->uid)->verified = 0;
		return 0;
	case REC_META:
	case REC_APPEND:
		memcpy(name, h->name, PACK_NAME_MAX);
		name[PACK_NAME_MAX] = '\0';
		return idx_meta_note(&k, name, &pc, h->kind == REC_APPEND);
	default:
		if ((g = idx_gen_find(&k)) != NULL)
			idx_gen_free(g);
		return 0;
	}
}

/* segidx.h's segidx_each_fn: ctx points at the segment's number. */
static int
scan_each(void *ctx, unsigned char raw[SEGIDX_HDR], uint32_t off)
{
	struct rec_hdr h;

	memcpy(&h, raw, sizeof(h));
	return scan_record(&h, *(uint32_t *)ctx, off);
}

/*
 * Scans segment no (opened as fd), from its saved headers where they
 * hold (segidx.h): its records indexed, a torn tail cut off.
 */
static int
scan_segment(uint32_t no, int fd)
{
	char path[PATH_MAX];
	struct stat st;
	uint64_t off;
	int r;

	if (fstat(fd, &st) == -1)
		return errno;
	seg_path(no, path, sizeof(path));
	if ((r = segidx_read(path, fd, (uint64_t)st.st_size, rec_len, scan_each, &no, &off)) != 0)
		return r;
	if (off != (uint64_t)st.st_size) {
		log_msg(LOG_NOTICE, "the cache's segment %08u is cut short at %llu bytes "
		    "(of %llu): what followed is fetched again", (unsigned)no,
		    (unsigned long long)off, (unsigned long long)st.st_size);
		if (ftruncate(fd, (off_t)off) == -1)
			return errno;
	}
	return seg_add(no, fd, off);
}

int
pack_open(const char *root, uint64_t lim, char *why, size_t whylen)
{
	char path[PATH_MAX];
	uint32_t *v = NULL;
	size_t n = 0, i;
	int fd, r;

	crc32_init();
	limit = lim;
	seg_max = lim / 16 < SEG_MIN ? SEG_MIN : lim / 16 > SEG_MAX ? SEG_MAX :
	    (uint32_t)(lim / 16);
	if ((size_t)snprintf(path, sizeof(path), "%s/packs", root) >= sizeof(path) ||
	    (packs_dir = strdup(path)) == NULL) {
		snprintf(why, whylen, "out of memory");
		return ENOMEM;
	}
	if (mkdir(packs_dir, 0700) == -1 && errno != EEXIST) {
		r = errno;
		snprintf(why, whylen, "cannot make %s: %s", packs_dir, strerror(r));
		return r;
	}
	if ((r = segidx_list(packs_dir, &v, &n)) != 0) {
		snprintf(why, whylen, "cannot read %s: %s", packs_dir, strerror(r));
		return r;
	}
	pthread_mutex_lock(&cache_lock);
	for (i = 0; i < n; i++) {
		seg_path(v[i], path, sizeof(path));
		if ((fd = open(path, O_RDWR | O_CLOEXEC)) == -1) {
			r = errno;
			break;
		}
		if ((r = scan_segment(v[i], fd)) != 0) {
			close(fd);
			break;
		}
	}
	evict_locked();
	pthread_mutex_unlock(&cache_lock);
	free(v);
	if (r != 0) {
		snprintf(why, whylen, "cannot read the cache %s: %s", path, strerror(r));
		pack_close();
	}
	return r;
}

void
pack_close(void)
{
	char path[PATH_MAX];
	struct pgen *g, *gt;
	size_t i;
	int r;

	pthread_mutex_lock(&cache_lock);
	HASH_ITER(hh, idx_gens(), g, gt)
		idx_gen_free(g);
	for (i = 0; i < nseg; i++) {
		/* The next start reads these instead of every header. */
		seg_path(segs[i].no, path, sizeof(path));
		if ((r = segidx_write(path, segs[i].fd, segs[i].size, rec_len)) != 0)
			log_msg(LOG_NOTICE, "cannot save the headers of %s: %s", path,
			    strerror(r));
		close(segs[i].fd);
		close(segs[i].rfd);
	}
	free(segs);
	segs = NULL;
	nseg = segcap = 0;
	total = 0;
	pthread_mutex_unlock(&cache_lock);
	free(packs_dir);
	packs_dir = NULL;
}

uint64_t
pack_bytes(void)
{
	uint64_t n;

	pthread_mutex_lock(&cache_lock);
	n = total;
	pthread_mutex_unlock(&cache_lock);
	return n;
}
