/*
 * The on-disk message cache (see cache.h).
 *
 * cache_lock protects the index, the directories made and the list of
 * fetches in flight; it is never held across a round trip: a second
 * reader of a message that is being fetched waits on cache_cond for the
 * first.
 *
 * A cached file's mtime is the message's INTERNALDATE, and its
 * nanoseconds the RFC822.SIZE the server reported with the bytes (when
 * below 10^9): a file is served only while the listing shows that date
 * and either the file's length or that size, so that bytes of a message
 * that a server restored from a backup gave another's UID are fetched
 * again, and a server that always reports a wrong size costs no fetch.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <uthash.h>

#include "backend.h"
#include "cache.h"
#include "deadline.h"
#include "fs.h"
#include "log.h"

struct centry {
	char *path;
	uint64_t size;
	uint64_t stamp;
	UT_hash_handle hh;
};

struct inflight {
	char *path;
	UT_hash_handle hh;
};

struct made_dir {
	char *path;
	UT_hash_handle hh;
};

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cache_cond = PTHREAD_COND_INITIALIZER;
static struct centry *index_by_path;
static struct inflight *inflight;	/* by path */
static struct made_dir *made_dirs;	/* folder directories known to exist */
static char *cache_root;		/* .../mailfs/ACCOUNT */
static uint64_t cache_limit;
static uint64_t cache_total;
static uint64_t cache_clock;
static unsigned long tmp_counter;

/* 128 bits of FNV-1a (two 64-bit lanes): names a folder without its characters. */
static void
hash_hex(const char *s, char out[33])
{
	uint64_t a = 0xcbf29ce484222325ULL, b = 0x84222325cbf29ce4ULL;
	const unsigned char *p;

	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		a = (a ^ *p) * 0x100000001b3ULL;
		b = (b ^ (unsigned char)(*p + 0x5b)) * 0x100000001b3ULL;
		b ^= b >> 29;
	}
	snprintf(out, 33, "%016llx%016llx", (unsigned long long)a, (unsigned long long)b);
}

/* mkdir -p, mode 0700; 0 or an errno. */
static int
mkdirs(const char *path)
{
	char buf[4096], *p;

	if (strlen(path) >= sizeof(buf))
		return ENAMETOOLONG;
	strcpy(buf, path);
	for (p = buf + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0700) == -1 && errno != EEXIST)
			return errno;
		*p = '/';
	}
	if (mkdir(buf, 0700) == -1 && errno != EEXIST)
		return errno;
	return 0;
}

static struct made_dir *
made_dirs_find_locked(const char *dir)
{
	struct made_dir *d;

	HASH_FIND_STR(made_dirs, dir, d);
	return d;
}

static void
made_dirs_forget_locked(const char *dir)
{
	struct made_dir *d;

	if ((d = made_dirs_find_locked(dir)) == NULL)
		return;
	HASH_DEL(made_dirs, d);
	free(d->path);
	free(d);
}

static void
index_add_locked(const char *path, uint64_t size, uint64_t stamp)
{
	struct centry *e;

	HASH_FIND_STR(index_by_path, path, e);
	if (e != NULL) {
		cache_total -= e->size;
		e->size = size;
		e->stamp = stamp;
		cache_total += size;
		return;
	}
	if ((e = calloc(1, sizeof(*e))) == NULL || (e->path = strdup(path)) == NULL) {
		free(e);
		return;
	}
	e->size = size;
	e->stamp = stamp;
	cache_total += size;
	HASH_ADD_KEYPTR(hh, index_by_path, e->path, strlen(e->path), e);
}

static void
index_del_locked(struct centry *e)
{
	HASH_DEL(index_by_path, e);
	cache_total -= e->size;
	free(e->path);
	free(e);
}

static int
cmp_stamp(const void *a, const void *b)
{
	const struct centry *x = *(struct centry *const *)a, *y = *(struct centry *const *)b;

	return x->stamp < y->stamp ? -1 : x->stamp > y->stamp;
}

/* Evicts the least recently used down to 90% of the limit. */
static void
evict_locked(void)
{
	struct centry **v, *e, *tmp;
	size_t n = 0, i;

	if (cache_total <= cache_limit)
		return;
	if ((v = calloc(HASH_COUNT(index_by_path) + 1, sizeof(*v))) == NULL)
		return;
	HASH_ITER(hh, index_by_path, e, tmp)
		v[n++] = e;
	qsort(v, n, sizeof(*v), cmp_stamp);
	for (i = 0; i < n && cache_total > cache_limit / 10 * 9; i++) {
		if (unlink(v[i]->path) == -1 && errno != ENOENT)
			log_msg(LOG_WARNING, "cannot remove %s from the cache: %s", v[i]->path,
			    strerror(errno));
		index_del_locked(v[i]);
	}
	free(v);
}

static int
scan_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	const char *base = path + ftw->base;

	if (type != FTW_F)
		return 0;
	if (strncmp(base, ".tmp.", 5) == 0) {
		/* A fetch that never finished (a crash); others may still be running. */
		if (st->st_mtime < time(NULL) - 86400)
			unlink(path);
		return 0;
	}
	if (strspn(base, "0123456789") == strlen(base))
		index_add_locked(path, (uint64_t)st->st_size, (uint64_t)st->st_mtime);
	return 0;
}

int
cache_init(const char *account, uint64_t limit, char *why, size_t whylen)
{
	const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
	struct passwd *pw;
	char hash[33], buf[4096];
	int r;

	if (xdg != NULL && xdg[0] == '/')
		snprintf(buf, sizeof(buf), "%s/mailfs", xdg);
	else {
		if (home == NULL || home[0] != '/') {
			pw = getpwuid(getuid());
			home = pw != NULL ? pw->pw_dir : "/";
		}
		snprintf(buf, sizeof(buf), "%s/.cache/mailfs", home);
	}
	hash_hex(account, hash);
	if (strlen(buf) + 34 >= sizeof(buf)) {
		snprintf(why, whylen, "the cache directory's name is too long");
		return ENAMETOOLONG;
	}
	strcat(buf, "/");
	strcat(buf, hash);
	if ((r = mkdirs(buf)) != 0) {
		snprintf(why, whylen, "cannot make the cache directory %s: %s", buf,
		    strerror(r));
		return r;
	}
	if ((cache_root = strdup(buf)) == NULL) {
		snprintf(why, whylen, "out of memory");
		return ENOMEM;
	}
	cache_limit = limit;
	cache_clock = (uint64_t)time(NULL);
	pthread_mutex_lock(&cache_lock);
	(void)nftw(cache_root, scan_one, 16, FTW_PHYS);
	evict_locked();
	pthread_mutex_unlock(&cache_lock);
	log_msg(LOG_DEBUG, "cache %s holds %llu bytes", cache_root,
	    (unsigned long long)cache_total);
	return 0;
}

void
cache_destroy(void)
{
	struct centry *e, *tmp;
	struct made_dir *d, *dtmp;

	pthread_mutex_lock(&cache_lock);
	HASH_ITER(hh, index_by_path, e, tmp)
		index_del_locked(e);
	HASH_ITER(hh, made_dirs, d, dtmp)
		made_dirs_forget_locked(d->path);
	pthread_mutex_unlock(&cache_lock);
	free(cache_root);
	cache_root = NULL;
}

uint64_t
cache_bytes(void)
{
	uint64_t n;

	pthread_mutex_lock(&cache_lock);
	n = cache_total;
	pthread_mutex_unlock(&cache_lock);
	return n;
}

static void
folder_dir(const char *mailbox, uint32_t uidvalidity, char *out, size_t size)
{
	char hash[33];

	hash_hex(mailbox, hash);
	snprintf(out, size, "%s/%s/%u", cache_root, hash, (unsigned)uidvalidity);
}

#define REPORTED_MAX	999999999u	/* the largest size that fits in tv_nsec */

/* 1 when st is of the message the listing describes with size and date. */
static int
file_matches(const struct stat *st, uint64_t size, int64_t date)
{
	if ((int64_t)st->st_mtim.tv_sec != date)
		return 0;
	return (uint64_t)st->st_size == size ||
	    (size <= REPORTED_MAX && (uint64_t)st->st_mtim.tv_nsec == size);
}

/*
 * Removes path unless it is no longer the file st describes (another
 * thread fetched it again meanwhile).
 */
static void
remove_stale(const char *path, const struct stat *st)
{
	struct stat now;
	struct centry *e;

	pthread_mutex_lock(&cache_lock);
	if (stat(path, &now) == 0 && now.st_ino == st->st_ino && now.st_dev == st->st_dev) {
		(void)unlink(path);
		HASH_FIND_STR(index_by_path, path, e);
		if (e != NULL)
			index_del_locked(e);
	}
	pthread_mutex_unlock(&cache_lock);
}

/*
 * Opens a cached file and marks it used: 0 with *fd_r and *size_r (its
 * length), or an errno: ENOENT when it is not there, ESTALE when check
 * is set and it is not the message of that size and date (then it is
 * removed).
 */
static int
open_cached(const char *path, int check, uint64_t size, int64_t date, int *fd_r,
    uint64_t *size_r)
{
	struct stat st;
	int fd, r;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return errno;
	if (fstat(fd, &st) == -1) {
		r = errno;
		close(fd);
		return r;
	}
	if (check && !file_matches(&st, size, date)) {
		log_msg(LOG_INFO, "%s is not the message of %llu bytes dated %lld: "
		    "fetched again", path, (unsigned long long)size, (long long)date);
		close(fd);
		remove_stale(path, &st);
		return ESTALE;
	}
	*size_r = (uint64_t)st.st_size;
	pthread_mutex_lock(&cache_lock);
	index_add_locked(path, *size_r, ++cache_clock);
	pthread_mutex_unlock(&cache_lock);
	*fd_r = fd;
	return 0;
}

/*
 * A batch: messages of one folder generation claimed in the in-flight
 * table, fetched by one UID FETCH set BODY.PEEK[] and each written to a
 * temporary file and renamed into place as soon as its FETCH response
 * is complete, so that a reader waits for its own message only.
 */
struct cache_batch {
	char *mailbox;
	uint32_t uidvalidity;
	char dir[4096];
	uint32_t *uids;		/* claimed, ascending */
	unsigned char *adjacent;	/* no message between uids[i - 1] and uids[i] */
	unsigned char *done;	/* in place, no longer claimed */
	size_t n;
	size_t cap;
	uint64_t bytes;		/* committed */
	/* the body being streamed */
	int fd;
	uint64_t written;
	uint64_t total;
	int werr;
	char tmp[4300];
};

/* The path of a message's bytes in the batch's folder directory. */
static void
batch_path(const struct cache_batch *b, uint32_t uid, char *out, size_t size)
{
	snprintf(out, size, "%s/%u", b->dir, (unsigned)uid);
}

/*
 * Makes a folder generation's directory, once: the set of directories
 * made is remembered (cache_drop() forgets one), so that a message costs
 * no mkdir.  0 or an errno.
 */
static int
ensure_dir(const char *dir)
{
	struct made_dir *d;
	int known, r;

	pthread_mutex_lock(&cache_lock);
	known = made_dirs_find_locked(dir) != NULL;
	pthread_mutex_unlock(&cache_lock);
	if (known)
		return 0;
	if ((r = mkdirs(dir)) != 0)
		return r;
	if ((d = calloc(1, sizeof(*d))) == NULL || (d->path = strdup(dir)) == NULL) {
		free(d);
		return 0;	/* made all the same; asked again next time */
	}
	pthread_mutex_lock(&cache_lock);
	if (made_dirs_find_locked(dir) == NULL)
		HASH_ADD_KEYPTR(hh, made_dirs, d->path, strlen(d->path), d);
	else {
		free(d->path);
		free(d);
	}
	pthread_mutex_unlock(&cache_lock);
	return 0;
}

int
cache_batch_new(const char *mailbox, uint32_t uidvalidity, struct cache_batch **b_r)
{
	struct cache_batch *b;

	if ((b = calloc(1, sizeof(*b))) == NULL)
		return ENOMEM;
	if ((b->mailbox = strdup(mailbox)) == NULL) {
		free(b);
		return ENOMEM;
	}
	b->uidvalidity = uidvalidity;
	b->fd = -1;
	folder_dir(mailbox, uidvalidity, b->dir, sizeof(b->dir));
	*b_r = b;
	return 0;
}

static struct inflight *
inflight_find_locked(const char *path)
{
	struct inflight *i;

	HASH_FIND_STR(inflight, path, i);
	return i;
}

/* Claims path: 0, EBUSY when it is cached or being fetched, or ENOMEM. */
static int
claim_locked(const char *path)
{
	struct centry *e;
	struct inflight *i;

	HASH_FIND_STR(index_by_path, path, e);
	if (e != NULL || inflight_find_locked(path) != NULL)
		return EBUSY;
	if ((i = calloc(1, sizeof(*i))) == NULL || (i->path = strdup(path)) == NULL) {
		free(i);
		return ENOMEM;
	}
	HASH_ADD_KEYPTR(hh, inflight, i->path, strlen(i->path), i);
	return 0;
}

static void
unclaim_locked(const char *path)
{
	struct inflight *i;

	if ((i = inflight_find_locked(path)) == NULL)
		return;
	HASH_DEL(inflight, i);
	free(i->path);
	free(i);
}

/* Adds a claimed uid (ascending) to the batch; 0 or ENOMEM. */
static int
batch_add(struct cache_batch *b, uint32_t uid, int adjacent)
{
	uint32_t *u;
	unsigned char *a, *d;
	size_t cap;

	if (b->n == b->cap) {
		cap = b->cap == 0 ? 16 : b->cap * 2;
		if ((u = realloc(b->uids, cap * sizeof(*u))) == NULL)
			return ENOMEM;
		b->uids = u;
		if ((a = realloc(b->adjacent, cap)) == NULL)
			return ENOMEM;
		b->adjacent = a;
		if ((d = realloc(b->done, cap)) == NULL)
			return ENOMEM;
		b->done = d;
		b->cap = cap;
	}
	b->uids[b->n] = uid;
	b->adjacent[b->n] = adjacent && b->n > 0;
	b->done[b->n] = 0;
	b->n++;
	return 0;
}

int
cache_batch_claim(struct cache_batch *b, uint32_t uid, int adjacent, int *claimed_r)
{
	char path[4200];
	int r;

	*claimed_r = 0;
	if (b->n > 0 && uid <= b->uids[b->n - 1])
		return 0;
	batch_path(b, uid, path, sizeof(path));
	pthread_mutex_lock(&cache_lock);
	if ((r = claim_locked(path)) == 0 && (r = batch_add(b, uid, adjacent)) != 0)
		unclaim_locked(path);
	pthread_mutex_unlock(&cache_lock);
	if (r == EBUSY)
		return 0;
	*claimed_r = r == 0;
	return r;
}

size_t
cache_batch_count(const struct cache_batch *b)
{
	return b->n;
}

static long
batch_index(const struct cache_batch *b, uint32_t uid)
{
	size_t lo = 0, hi = b->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (b->uids[mid] < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < b->n && b->uids[lo] == uid ? (long)lo : -1;
}

/* Gives up the temporary file of the body being streamed. */
static void
batch_discard_body(struct cache_batch *b)
{
	if (b->fd == -1)
		return;
	close(b->fd);
	unlink(b->tmp);
	b->fd = -1;
}

static void
batch_chunk(void *ctx, uint32_t uid, uint64_t offset, uint64_t total, const char *data,
    size_t len)
{
	struct cache_batch *b = ctx;
	ssize_t n;

	(void)uid;
	if (offset == 0) {
		/* A new message: its UID comes with done(). */
		batch_discard_body(b);
		b->written = 0;
		b->total = total;
		b->werr = 0;
		pthread_mutex_lock(&cache_lock);
		snprintf(b->tmp, sizeof(b->tmp), "%s/.tmp.%ld.%lu", b->dir, (long)getpid(),
		    ++tmp_counter);
		pthread_mutex_unlock(&cache_lock);
		if ((b->fd = open(b->tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) == -1)
			b->werr = errno;
	}
	if (b->werr != 0 || b->fd == -1)
		return;
	if (offset != b->written) {
		b->werr = EIO;
		return;
	}
	while (len > 0) {
		if ((n = pwrite(b->fd, data, len, (off_t)offset)) == -1) {
			if (errno == EINTR)
				continue;
			b->werr = errno;
			return;
		}
		data += n;
		len -= (size_t)n;
		offset += (uint64_t)n;
		b->written += (uint64_t)n;
	}
}

/*
 * Marks a fetched file with the INTERNALDATE and RFC822.SIZE the server
 * reported with its bytes (see the top).  Without them the file matches
 * no listing and is fetched again when next opened.
 */
static void
stamp(int fd, const struct be_msg *m)
{
	struct timespec ts[2];

	if (m->date == INT64_MIN)
		return;
	ts[0].tv_sec = 0;
	ts[0].tv_nsec = UTIME_NOW;
	ts[1].tv_sec = (time_t)m->date;
	ts[1].tv_nsec = m->size <= REPORTED_MAX ? (long)m->size : 0;
	if (futimens(fd, ts) == -1)
		log_msg(LOG_WARNING, "cannot set the time of a cached message: %s",
		    strerror(errno));
}

/* A message is complete: put its bytes in place. */
static void
batch_done(void *ctx, const struct be_msg *m)
{
	struct cache_batch *b = ctx;
	char path[4200];
	long k;
	int ok;

	if (b->fd == -1)
		return;
	ok = b->werr == 0 && b->written == b->total && (k = batch_index(b, m->uid)) >= 0 &&
	    !b->done[k];
	if (!ok) {
		if (b->werr != 0)
			log_msg(LOG_WARNING, "cannot write to the cache: %s", strerror(b->werr));
		batch_discard_body(b);
		return;
	}
	batch_path(b, m->uid, path, sizeof(path));
	stamp(b->fd, m);
	close(b->fd);
	b->fd = -1;
	if (rename(b->tmp, path) == -1) {
		log_msg(LOG_WARNING, "cannot rename %s: %s", b->tmp, strerror(errno));
		unlink(b->tmp);
		return;
	}
	b->done[k] = 1;
	b->bytes += b->written;
	pthread_mutex_lock(&cache_lock);
	index_add_locked(path, b->written, ++cache_clock);
	unclaim_locked(path);
	pthread_cond_broadcast(&cache_cond);
	pthread_mutex_unlock(&cache_lock);
}

/*
 * The batch's UIDs as a set, runs with nothing between them as a:b: 0
 * with *set_r (malloc'ed), or ENOMEM.
 */
static int
batch_set(const struct cache_batch *b, char **set_r)
{
	size_t i, j, o = 0, size = b->n * 24 + 1;
	char *s;

	if ((s = malloc(size)) == NULL)
		return ENOMEM;
	for (i = 0; i < b->n; i = j) {
		for (j = i + 1; j < b->n && b->adjacent[j]; j++)
			;
		o += (size_t)snprintf(s + o, size - o, "%s%u", o > 0 ? "," : "",
		    (unsigned)b->uids[i]);
		if (j - 1 > i)
			o += (size_t)snprintf(s + o, size - o, ":%u", (unsigned)b->uids[j - 1]);
	}
	s[o] = '\0';
	*set_r = s;
	return 0;
}

int
cache_batch_fetch(struct cache_batch *b, struct be_folder *f, int *failed_r)
{
	const struct be_body_cb cb = { batch_chunk, batch_done, b };
	char *set;
	int r;

	*failed_r = 0;
	if (b->n == 0)
		return 0;
	if ((r = ensure_dir(b->dir)) != 0) {
		log_msg(LOG_WARNING, "cannot write to the cache %s: %s", b->dir, strerror(r));
		return r;
	}
	if ((r = batch_set(b, &set)) != 0)
		return r;
	r = backend_fetch(fs.backend, f, b->uidvalidity, set, &cb);
	/* Another generation is no failure of the folder's connection. */
	*failed_r = r != 0 && r != ESTALE;
	batch_discard_body(b);
	free(set);
	return r;
}

int
cache_batch_done(const struct cache_batch *b, uint32_t uid)
{
	long k = batch_index(b, uid);

	return k >= 0 && b->done[k];
}

uint64_t
cache_batch_bytes(const struct cache_batch *b)
{
	return b->bytes;
}

void
cache_batch_free(struct cache_batch **bp)
{
	struct cache_batch *b = *bp;
	char path[4200];
	size_t i;

	if (b == NULL)
		return;
	batch_discard_body(b);
	pthread_mutex_lock(&cache_lock);
	for (i = 0; i < b->n; i++)
		if (!b->done[i]) {
			batch_path(b, b->uids[i], path, sizeof(path));
			unclaim_locked(path);
		}
	evict_locked();
	pthread_cond_broadcast(&cache_cond);
	pthread_mutex_unlock(&cache_lock);
	free(b->uids);
	free(b->adjacent);
	free(b->done);
	free(b->mailbox);
	free(b);
	*bp = NULL;
}

/*
 * Fetches one message with a batch of one on the folder opened for it
 * (the backend asks again for a message that came in meanwhile); 0 or
 * an errno.
 */
static int
fetch_one(struct cache_batch *b, uint32_t uid)
{
	struct be_folder *f;
	struct be_status st;
	int r, failed;

	if ((r = backend_open(fs.backend, b->mailbox, &f, &st)) != 0)
		return r;
	r = cache_batch_fetch(b, f, &failed);
	backend_close(fs.backend, f, failed);
	if (r == 0 && !cache_batch_done(b, uid))
		r = ENOENT;	/* expunged meanwhile, or not written (logged) */
	return r;
}

int
cache_open(const char *mailbox, uint32_t uidvalidity, uint32_t uid, uint64_t size,
    int64_t date, int *fd_r, uint64_t *offset_r, uint64_t *size_r)
{
	struct cache_batch *b;
	struct centry *e;
	char dir[4096], path[4200];
	int r;

	*offset_r = 0;
	folder_dir(mailbox, uidvalidity, dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/%u", dir, (unsigned)uid);
	if (cache_batch_new(mailbox, uidvalidity, &b) != 0)
		return ENOMEM;
	for (;;) {
		if (open_cached(path, 1, size, date, fd_r, size_r) == 0) {
			cache_batch_free(&b);
			return 0;
		}
		pthread_mutex_lock(&cache_lock);
		if (inflight_find_locked(path) == NULL)
			break;
		/*
		 * Another thread (or the prefetch) is fetching it: wait, then
		 * look again; not past this request's deadline.
		 */
		if (deadline_wait(&cache_cond, &cache_lock) == ETIMEDOUT) {
			pthread_mutex_unlock(&cache_lock);
			cache_batch_free(&b);
			return ETIMEDOUT;
		}
		pthread_mutex_unlock(&cache_lock);
	}
	/* Not there: an index entry is stale (removed by hand). */
	HASH_FIND_STR(index_by_path, path, e);
	if (e != NULL)
		index_del_locked(e);
	if ((r = claim_locked(path)) == 0 && (r = batch_add(b, uid, 0)) != 0)
		unclaim_locked(path);
	pthread_mutex_unlock(&cache_lock);
	/* What was just fetched is the server's: trusted whatever the listing says. */
	if (r == 0 && (r = fetch_one(b, uid)) == 0)
		r = open_cached(path, 0, 0, 0, fd_r, size_r);
	cache_batch_free(&b);
	return r;
}

int
cache_folder_file(const char *mailbox, uint32_t uidvalidity, const char *leaf,
    char *out, size_t size)
{
	char dir[4096];
	int r;

	folder_dir(mailbox, uidvalidity, dir, sizeof(dir));
	if ((r = ensure_dir(dir)) != 0)
		return r;
	if ((size_t)snprintf(out, size, "%s/%s", dir, leaf) >= size)
		return ENAMETOOLONG;
	return 0;
}

int
cache_staging_dir(char *out, size_t size)
{
	if ((size_t)snprintf(out, size, "%s/staging", cache_root) >= size)
		return ENAMETOOLONG;
	return mkdirs(out);
}

void
cache_drop(const char *mailbox, uint32_t uidvalidity)
{
	struct centry *e, *tmp;
	char dir[4096];
	size_t len;

	folder_dir(mailbox, uidvalidity, dir, sizeof(dir));
	strcat(dir, "/");
	len = strlen(dir);
	pthread_mutex_lock(&cache_lock);
	HASH_ITER(hh, index_by_path, e, tmp)
		if (strncmp(e->path, dir, len) == 0) {
			unlink(e->path);
			index_del_locked(e);
		}
	dir[len - 1] = '\0';
	made_dirs_forget_locked(dir);
	dir[len - 1] = '/';
	pthread_mutex_unlock(&cache_lock);
	strncat(dir, "aliases", sizeof(dir) - len - 1);
	(void)unlink(dir);
	dir[len] = '\0';
	strncat(dir, "listing", sizeof(dir) - len - 1);
	(void)unlink(dir);
	dir[len - 1] = '\0';
	(void)rmdir(dir);
}
