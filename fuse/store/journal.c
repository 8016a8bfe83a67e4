/*
 * The journal of changes not yet made on the source (see journal.h).
 *
 * On disk, records one after another:
 *	0	magic "MFJ1"
 *	4	CRC-32 of bytes 8-31 and the payload
 *	8	sequence number (u64)
 *	16	payload length (u32)
 *	20	type: RT_CHANGE, RT_DONE or RT_ATTEMPT (u8); kind (u8);
 *		attempted, for a change (u8); a byte zero
 *	24	when it was added, seconds since the epoch (i64)
 * then the payload: for a change uidvalidity, uid, size, mode (u32
 * each), date (i64), delim (u8), and the six strings, each a u32 length
 * (JOURNAL_NOSTR: NULL) and its bytes; a mark has none.  Numbers are in
 * the host's order: the store is this machine's.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "crc.h"
#include "journal.h"
#include "log.h"
#include "segidx.h"

#define JOURNAL_MAGIC	0x314a464du	/* "MFJ1" */
#define JOURNAL_HDR	32
#define JOURNAL_NOSTR	0xffffffffu
#define RT_CHANGE	1
#define RT_DONE		2
#define RT_ATTEMPT	3
#define NSTRINGS	6

static pthread_mutex_t journal_lock = PTHREAD_MUTEX_INITIALIZER;
static int journal_fd = -1;
static off_t journal_end;		/* where the next record goes */
static uint64_t next_seq = 1;
/* Pending changes in the order added, so by seq; done ones until compacted. */
struct slot {
	struct journal_change c;
	int live;
};
static struct slot *slots;
static size_t nslots, slots_cap, npending;

static char **
string_slot(struct journal_change *c, int i)
{
	char **fields[NSTRINGS] = { &c->mailbox, &c->mailbox2, &c->name, &c->flags,
	    &c->msgid, &c->file };

	return fields[i];
}

static void
change_clear(struct journal_change *c)
{
	int i;

	for (i = 0; i < NSTRINGS; i++)
		free(*string_slot(c, i));
	memset(c, 0, sizeof(*c));
}

/* A deep copy of c into *to: 0 or ENOMEM (with *to cleared). */
static int
change_copy(struct journal_change *to, const struct journal_change *c)
{
	int i;

	*to = *c;
	for (i = 0; i < NSTRINGS; i++)
		*string_slot(to, i) = NULL;
	for (i = 0; i < NSTRINGS; i++) {
		const char *s = *string_slot((struct journal_change *)c, i);

		if (s != NULL && (*string_slot(to, i) = strdup(s)) == NULL) {
			change_clear(to);
			return ENOMEM;
		}
	}
	return 0;
}

static void
put32(unsigned char *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static void
put64(unsigned char *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

static uint32_t
get32(const unsigned char *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static uint64_t
get64(const unsigned char *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

/* Fills in the header of rec (payload len bytes after it) and its CRC. */
static void
seal(unsigned char *rec, uint64_t seq, uint32_t len, int type, int kind, int attempted,
    int64_t added)
{
	put32(rec, JOURNAL_MAGIC);
	put64(rec + 8, seq);
	put32(rec + 16, len);
	rec[20] = (unsigned char)type;
	rec[21] = (unsigned char)kind;
	rec[22] = attempted != 0;
	rec[23] = 0;
	put64(rec + 24, (uint64_t)added);
	put32(rec + 4, crc32_update(0, rec + 8, JOURNAL_HDR - 8 + (size_t)len));
}

/* The record of c (header left to seal()) into *rec_r (the caller's) and *len_r. */
static int
encode(const struct journal_change *c, unsigned char **rec_r, size_t *len_r)
{
	unsigned char *rec, *p;
	size_t len = 4 * 4 + 8 + 1, sl[NSTRINGS];
	int i;

	for (i = 0; i < NSTRINGS; i++) {
		const char *s = *string_slot((struct journal_change *)c, i);

		sl[i] = s != NULL ? strlen(s) : 0;
		len += 4 + sl[i];
	}
	if (len > JOURNAL_PAYLOAD_MAX)
		return E2BIG;
	if ((rec = calloc(1, JOURNAL_HDR + len)) == NULL)
		return ENOMEM;
	p = rec + JOURNAL_HDR;
	put32(p, c->uidvalidity);
	put32(p + 4, c->uid);
	put32(p + 8, c->size);
	put32(p + 12, (uint32_t)c->mode);
	put64(p + 16, (uint64_t)c->date);
	p[24] = (unsigned char)c->delim;
	p += 25;
	for (i = 0; i < NSTRINGS; i++) {
		const char *s = *string_slot((struct journal_change *)c, i);

		put32(p, s != NULL ? (uint32_t)sl[i] : JOURNAL_NOSTR);
		if (sl[i] > 0)
			memcpy(p + 4, s, sl[i]);
		p += 4 + sl[i];
	}
	*rec_r = rec;
	*len_r = len;
	return 0;
}

/* The change of a payload read back: 0, EINVAL (malformed) or ENOMEM. */
static int
decode(const unsigned char *p, size_t len, struct journal_change *c)
{
	const unsigned char *end = p + len;
	uint32_t sl;
	int i;

	if (len < 25)
		return EINVAL;
	c->uidvalidity = get32(p);
	c->uid = get32(p + 4);
	c->size = get32(p + 8);
	c->mode = (int)get32(p + 12);
	c->date = (int64_t)get64(p + 16);
	c->delim = (char)p[24];
	p += 25;
	for (i = 0; i < NSTRINGS; i++) {
		if (end - p < 4)
			return EINVAL;
		sl = get32(p);
		p += 4;
		if (sl == JOURNAL_NOSTR)
			continue;
		if ((size_t)(end - p) < sl || memchr(p, '\0', sl) != NULL)
			return EINVAL;
		if ((*string_slot(c, i) = strndup((const char *)p, sl)) == NULL)
			return ENOMEM;
		p += sl;
	}
	return p == end ? 0 : EINVAL;
}

/* Appends a copy of c to the pending ones; needs journal_lock. */
static int
pending_push_locked(const struct journal_change *c)
{
	struct slot *v;
	size_t cap;

	if (nslots == slots_cap) {
		cap = slots_cap != 0 ? slots_cap * 2 : 64;
		if ((v = realloc(slots, cap * sizeof(*v))) == NULL)
			return ENOMEM;
		slots = v;
		slots_cap = cap;
	}
	if (change_copy(&slots[nslots].c, c) != 0)
		return ENOMEM;
	slots[nslots++].live = 1;
	npending++;
	return 0;
}

/* Drops the slots of changes marked done; needs journal_lock. */
static void
pending_compact_locked(void)
{
	size_t i, j = 0;

	for (i = 0; i < nslots; i++)
		if (slots[i].live)
			slots[j++] = slots[i];
	nslots = j;
}

/* The slot of pending change seq (slots are in seq order), or NULL. */
static struct slot *
slot_find_locked(uint64_t seq)
{
	size_t lo = 0, hi = nslots, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (slots[mid].c.seq < seq)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == nslots || slots[lo].c.seq != seq || !slots[lo].live)
		return NULL;
	return &slots[lo];
}

static void
pending_attempted_locked(uint64_t seq)
{
	struct slot *s;

	if ((s = slot_find_locked(seq)) != NULL)
		s->c.attempted = 1;
}

/* Forgets change seq; 1 when it was pending. */
static int
pending_mark_locked(uint64_t seq)
{
	struct slot *s;
	size_t lo;

	if ((s = slot_find_locked(seq)) == NULL)
		return 0;
	lo = (size_t)(s - slots);
	change_clear(&slots[lo].c);
	slots[lo].c.seq = seq;
	slots[lo].live = 0;
	npending--;
	if (nslots > 64 && npending < nslots / 2)
		pending_compact_locked();
	return 1;
}

/* Empties the file when nothing is pending; needs journal_lock. */
static void
maybe_empty_locked(off_t threshold)
{
	if (npending != 0 || journal_end <= threshold)
		return;
	if (ftruncate(journal_fd, 0) == 0) {
		journal_end = 0;
		nslots = 0;
	}
}

/* Reads every record of the open file, cutting a bad tail: 0 or an errno. */
static int
replay_file(char *why, size_t whylen)
{
	unsigned char hdr[JOURNAL_HDR], *payload = NULL;
	struct journal_change c;
	struct stat st;
	off_t off = 0;
	uint32_t len;
	uint64_t seq;
	int r = 0;

	if (fstat(journal_fd, &st) == -1) {
		snprintf(why, whylen, "cannot read the journal: %s", strerror(errno));
		return errno;
	}
	while (off + JOURNAL_HDR <= st.st_size) {
		if (pread_full(journal_fd, hdr, JOURNAL_HDR, off) != 0 ||
		    get32(hdr) != JOURNAL_MAGIC)
			break;
		len = get32(hdr + 16);
		if (len > JOURNAL_PAYLOAD_MAX || off + JOURNAL_HDR + (off_t)len > st.st_size)
			break;
		free(payload);
		if ((payload = malloc(len > 0 ? len : 1)) == NULL) {
			r = ENOMEM;
			break;
		}
		if (len > 0 && pread_full(journal_fd, payload, len, off + JOURNAL_HDR) != 0)
			break;
		if (crc32_update(crc32_update(0, hdr + 8, JOURNAL_HDR - 8), payload, len) !=
		    get32(hdr + 4))
			break;
		seq = get64(hdr + 8);
		if (hdr[20] == RT_DONE)
			(void)pending_mark_locked(seq);
		else if (hdr[20] == RT_ATTEMPT)
			pending_attempted_locked(seq);
		else if (hdr[20] == RT_CHANGE && seq >= next_seq) {
			next_seq = seq + 1;
			memset(&c, 0, sizeof(c));
			if (decode(payload, len, &c) != 0 || hdr[21] == 0 ||
			    hdr[21] >= JOURNAL_KIND_MAX) {
				change_clear(&c);
				break;
			}
			c.seq = seq;
			c.kind = (enum journal_kind)hdr[21];
			c.attempted = hdr[22] != 0;
			c.added = (time_t)get64(hdr + 24);
			r = pending_push_locked(&c);
			change_clear(&c);
			if (r != 0)
				break;
		} else
			break;
		off += JOURNAL_HDR + (off_t)len;
	}
	free(payload);
	if (r != 0) {
		snprintf(why, whylen, "cannot read the journal: %s", strerror(r));
		return r;
	}
	if (off < st.st_size) {
		/* Never acknowledged: its add had not returned (or the disk is damaged). */
		log_msg(LOG_WARNING, "the journal's last %lld bytes are torn or damaged: "
		    "cut off", (long long)(st.st_size - off));
		if (ftruncate(journal_fd, off) == -1) {
			snprintf(why, whylen, "cannot cut the journal's torn tail: %s",
			    strerror(errno));
			return errno;
		}
	}
	journal_end = off;
	return 0;
}

int
journal_open(const char *dir, char *why, size_t whylen)
{
	char path[4096];
	int r;

	if ((size_t)snprintf(path, sizeof(path), "%s/journal", dir) >= sizeof(path)) {
		snprintf(why, whylen, "the journal's name is too long");
		return ENAMETOOLONG;
	}
	pthread_mutex_lock(&journal_lock);
	if ((journal_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) == -1) {
		r = errno;
		snprintf(why, whylen, "cannot open the journal %s: %s", path, strerror(r));
	} else if ((r = replay_file(why, whylen)) != 0) {
		close(journal_fd);
		journal_fd = -1;
	} else
		maybe_empty_locked(0);
	pthread_mutex_unlock(&journal_lock);
	if (r != 0)
		journal_close();
	return r;
}

void
journal_close(void)
{
	size_t i;

	pthread_mutex_lock(&journal_lock);
	if (journal_fd != -1)
		close(journal_fd);
	journal_fd = -1;
	for (i = 0; i < nslots; i++)
		change_clear(&slots[i].c);
	free(slots);
	slots = NULL;
	nslots = slots_cap = npending = 0;
	journal_end = 0;
	next_seq = 1;
	pthread_mutex_unlock(&journal_lock);
}

/* Writes the sealed record rec of len bytes at the end; needs journal_lock. */
static int
append_locked(const unsigned char *rec, size_t len)
{
	size_t done = 0;
	ssize_t n;
	int r;

	while (done < len) {
		if ((n = pwrite(journal_fd, rec + done, len - done,
		    journal_end + (off_t)done)) == -1) {
			if (errno == EINTR)
				continue;
			r = errno;
			(void)ftruncate(journal_fd, journal_end);
			return r;
		}
		done += (size_t)n;
	}
	journal_end += (off_t)len;
	return 0;
}

int
journal_add(struct journal_change *c)
{
	unsigned char *rec;
	size_t len;
	int r, fd;

	if ((r = encode(c, &rec, &len)) != 0)
		return r;
	pthread_mutex_lock(&journal_lock);
	if ((fd = journal_fd) == -1)
		r = ENXIO;
	else {
		c->seq = next_seq++;
		c->added = time(NULL);
		seal(rec, c->seq, (uint32_t)len, RT_CHANGE, c->kind, c->attempted,
		    (int64_t)c->added);
		if ((r = pending_push_locked(c)) == 0 &&
		    (r = append_locked(rec, JOURNAL_HDR + len)) != 0) {
			change_clear(&slots[--nslots].c);
			npending--;
		}
	}
	pthread_mutex_unlock(&journal_lock);
	free(rec);
	/* Outside the lock: adds of other threads meanwhile share the sync. */
	if (r == 0 && fdatasync(fd) == -1) {
		r = errno;
		log_msg(LOG_ERR, "cannot write the journal to disk: %s", strerror(r));
		(void)journal_done(c->seq);
	}
	return r;
}

int
journal_done(uint64_t seq)
{
	unsigned char rec[JOURNAL_HDR];
	int r = 0;

	pthread_mutex_lock(&journal_lock);
	if (journal_fd != -1 && pending_mark_locked(seq)) {
		seal(rec, seq, 0, RT_DONE, 0, 0, (int64_t)time(NULL));
		r = append_locked(rec, sizeof(rec));
		maybe_empty_locked(JOURNAL_COMPACT);
	}
	pthread_mutex_unlock(&journal_lock);
	return r;
}

int
journal_attempt(uint64_t seq)
{
	unsigned char rec[JOURNAL_HDR];
	struct slot *s;
	int r = 0, fd = -1;

	pthread_mutex_lock(&journal_lock);
	if (journal_fd != -1 && (s = slot_find_locked(seq)) != NULL && !s->c.attempted) {
		seal(rec, seq, 0, RT_ATTEMPT, 0, 0, (int64_t)time(NULL));
		if ((r = append_locked(rec, sizeof(rec))) == 0) {
			s->c.attempted = 1;
			fd = journal_fd;
		}
	}
	pthread_mutex_unlock(&journal_lock);
	if (fd != -1 && fdatasync(fd) == -1) {
		r = errno;
		log_msg(LOG_ERR, "cannot write the journal to disk: %s", strerror(r));
	}
	return r;
}

int
journal_is_pending(uint64_t seq)
{
	int r;

	pthread_mutex_lock(&journal_lock);
	r = slot_find_locked(seq) != NULL;
	pthread_mutex_unlock(&journal_lock);
	return r;
}

size_t
journal_pending_count(void)
{
	size_t n;

	pthread_mutex_lock(&journal_lock);
	n = npending;
	pthread_mutex_unlock(&journal_lock);
	return n;
}

int
journal_pending(struct journal_change **v_r, size_t *n_r)
{
	struct journal_change *v;
	size_t i, n = 0;
	int r = 0;

	pthread_mutex_lock(&journal_lock);
	if ((v = calloc(npending > 0 ? npending : 1, sizeof(*v))) == NULL)
		r = ENOMEM;
	for (i = 0; r == 0 && i < nslots; i++)
		if (slots[i].live && (r = change_copy(&v[n], &slots[i].c)) == 0)
			n++;
	pthread_mutex_unlock(&journal_lock);
	if (r != 0) {
		journal_changes_free(v, n);
		return r;
	}
	*v_r = v;
	*n_r = n;
	return 0;
}

void
journal_changes_free(struct journal_change *v, size_t n)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		change_clear(&v[i]);
	free(v);
}

int
journal_holds_file(const char *file)
{
	size_t i;
	int held = 0;

	pthread_mutex_lock(&journal_lock);
	for (i = 0; !held && i < nslots; i++)
		held = slots[i].live && slots[i].c.file != NULL &&
		    strcmp(slots[i].c.file, file) == 0;
	pthread_mutex_unlock(&journal_lock);
	return held;
}
