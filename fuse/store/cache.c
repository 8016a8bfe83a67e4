/*
 * The byte store (see cache.h): the store's directory and its lock, the
 * claims of messages being fetched, batches, and the checks before a
 * body is served; the records themselves are pack.c's.
 *
 * cache_lock (pack.h) protects the claims and the index; it is never
 * held across a round trip: a second reader of a message that is being
 * fetched waits on cache_cond for the first.
 *
 * A body is served only while the listing shows the INTERNALDATE it
 * was stored with and either its length or the RFC822.SIZE the server
 * reported with it, so that bytes of a message that a server restored
 * from a backup gave another's UID are fetched again, and a server that
 * always reports a wrong size costs no fetch.
 */
#if defined(__linux__) && !defined(_GNU_SOURCE)
#define _GNU_SOURCE	/* F_OFD_SETLK, behind #ifdef: F_SETLK elsewhere */
#endif
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
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
#include "crc.h"
#include "deadline.h"
#include "fs.h"
#include "index.h"
#include "journal.h"
#include "log.h"
#include "pack.h"

/* Bodies up to this are gathered in memory and written in one pwrite(). */
#define GATHER_MAX	(1u << 20)

struct claim_key {
	struct pack_key k;
	uint32_t uid;
};

struct inflight {
	struct claim_key key;
	UT_hash_handle hh;
};

static pthread_cond_t cache_cond = PTHREAD_COND_INITIALIZER;
static struct inflight *inflight;
static char *cache_root;		/* .../mailfs/ACCOUNT */
static int lock_fd = -1;

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

#ifdef F_OFD_SETLK
/* Held by the open file: it goes with the descriptor into fuse_daemonize()'s child. */
#define LOCK_CMD	F_OFD_SETLK
#else
#define LOCK_CMD	F_SETLK
#endif

/* Writes this process's id into the lock file, for the refusal of another mount. */
static void
lock_note_pid(void)
{
	char pid[32];
	int n;

	n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(lock_fd, 0) == -1 || pwrite(lock_fd, pid, (size_t)n, 0) != n)
		log_msg(LOG_WARNING, "cannot write the cache's lock file: %s", strerror(errno));
}

/*
 * Takes the store's lock, so that two mounts of one account never write
 * one store: 0, or EBUSY (another mount holds it) or an errno, and why.
 */
static int
lock_store(char *why, size_t whylen)
{
	char path[PATH_MAX], pid[32];
	struct flock fl;
	ssize_t n;
	int r;

	snprintf(path, sizeof(path), "%s/lock", cache_root);
	if ((lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) == -1) {
		r = errno;
		snprintf(why, whylen, "cannot open %s: %s", path, strerror(r));
		return r;
	}
	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	if (fcntl(lock_fd, LOCK_CMD, &fl) == -1) {
		r = errno;
		if (r == EAGAIN || r == EACCES) {
			n = pread(lock_fd, pid, sizeof(pid) - 1, 0);
			pid[n > 0 ? n : 0] = '\0';
			pid[strcspn(pid, "\n")] = '\0';
			snprintf(why, whylen, "the cache %s is in use by another mailfs mount "
			    "(pid %s)", cache_root, pid[0] != '\0' ? pid : "unknown");
			r = EBUSY;
		} else
			snprintf(why, whylen, "cannot lock %s: %s", path, strerror(r));
		close(lock_fd);
		lock_fd = -1;
		return r;
	}
	lock_note_pid();
	return 0;
}

void
cache_daemonized(void)
{
#ifndef F_OFD_SETLK
	struct flock fl;
	int i;

	/* A process's lock stays with the parent, which exits now: take it again. */
	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	for (i = 0; i < 200 && fcntl(lock_fd, F_SETLK, &fl) == -1; i++)
		usleep(10000);
	if (i == 200)
		log_msg(LOG_ERR, "cannot lock the cache %s again: %s", cache_root,
		    strerror(errno));
#endif
	lock_note_pid();
}

/* Removes what the store does not hold (the layout of earlier builds: a cache). */
static int
clean_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	const char *rest = path + strlen(cache_root);

	(void)st;
	if (ftw->level == 0 || strcmp(rest, "/lock") == 0 ||
	    strcmp(rest, "/journal") == 0 || strncmp(rest, "/packs", 6) == 0 ||
	    strncmp(rest, "/staging", 8) == 0 || strncmp(rest, "/outbox", 7) == 0)
		return 0;
	if (type == FTW_DP)
		(void)rmdir(path);
	else
		(void)unlink(path);
	return 0;
}

int
cache_init(const char *account, uint64_t limit, char *why, size_t whylen)
{
	const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
	struct pack_key k;
	struct passwd *pw;
	char buf[4096];
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
	if (strlen(buf) + 34 >= sizeof(buf)) {
		snprintf(why, whylen, "the cache directory's name is too long");
		return ENAMETOOLONG;
	}
	/* The account's name hashed as a folder's is. */
	pack_key_of(account, 0, &k);
	r = (int)strlen(buf);
	snprintf(buf + r, sizeof(buf) - (size_t)r, "/%016llx%016llx",
	    *(unsigned long long *)(void *)k.folder,
	    *(unsigned long long *)(void *)(k.folder + 8));
	if ((r = mkdirs(buf)) != 0) {
		snprintf(why, whylen, "cannot make the cache directory %s: %s", buf,
		    strerror(r));
		return r;
	}
	if ((cache_root = strdup(buf)) == NULL) {
		snprintf(why, whylen, "out of memory");
		return ENOMEM;
	}
	if ((r = lock_store(why, whylen)) == 0) {
		/* Only under the lock: another mount's files are not ours to remove. */
		(void)nftw(cache_root, clean_one, 16, FTW_PHYS | FTW_DEPTH);
		/* The journal's records are checked with it: before pack_open() does. */
		crc32_init();
		if ((r = journal_open(cache_root, why, whylen)) == 0 &&
		    (r = pack_open(cache_root, limit, why, whylen)) != 0)
			journal_close();
	}
	if (r != 0) {
		if (lock_fd != -1)
			close(lock_fd);
		lock_fd = -1;
		free(cache_root);
		cache_root = NULL;
		return r;
	}
	log_msg(LOG_DEBUG, "cache %s holds %llu bytes", cache_root,
	    (unsigned long long)pack_bytes());
	return 0;
}

void
cache_destroy(void)
{
	struct inflight *i, *tmp;

	pack_close();
	journal_close();
	pthread_mutex_lock(&cache_lock);
	HASH_ITER(hh, inflight, i, tmp) {
		HASH_DEL(inflight, i);
		free(i);
	}
	pthread_mutex_unlock(&cache_lock);
	if (lock_fd != -1)
		close(lock_fd);
	lock_fd = -1;
	free(cache_root);
	cache_root = NULL;
}

uint64_t
cache_bytes(void)
{
	return pack_bytes();
}

/* 1 when b is of the message the listing describes with size and date. */
static int
body_matches(const struct pack_body *b, uint64_t size, int64_t date)
{
	if (b->date == INT64_MIN || b->date != date)
		return 0;
	return b->len == size || b->rsize == size;
}

/*
 * A batch: messages of one folder generation claimed in the in-flight
 * table, fetched by one UID FETCH set BODY.PEEK[] and each stored as
 * soon as its FETCH response is complete, so that a reader waits for
 * its own message only.
 */
struct cache_batch {
	char *mailbox;
	struct pack_key key;
	uint32_t *uids;		/* claimed, ascending */
	unsigned char *adjacent;	/* no message between uids[i - 1] and uids[i] */
	unsigned char *done;	/* in place, no longer claimed */
	size_t n;
	size_t cap;
	uint64_t bytes;		/* committed */
	/* the body being streamed: gathered in buf, or written in place (res) */
	char *buf;
	size_t bufcap;
	struct pack_res res;
	int streaming;		/* 0: none, 1: into buf, 2: into res */
	uint64_t written;
	uint64_t total;
	int werr;
};

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
	pack_key_of(mailbox, uidvalidity, &b->key);
	b->res.fd = -1;
	*b_r = b;
	return 0;
}

static struct inflight *
inflight_find_locked(const struct pack_key *k, uint32_t uid)
{
	struct claim_key ck;
	struct inflight *i;

	memset(&ck, 0, sizeof(ck));
	ck.k = *k;
	ck.uid = uid;
	HASH_FIND(hh, inflight, &ck, sizeof(ck), i);
	return i;
}

/* Claims uid: 0, EBUSY when it is cached or being fetched, or ENOMEM. */
static int
claim_locked(const struct pack_key *k, uint32_t uid)
{
	struct pack_body pb;
	struct inflight *i;

	if (pack_find_locked(k, uid, &pb) == 0 || inflight_find_locked(k, uid) != NULL)
		return EBUSY;
	if ((i = calloc(1, sizeof(*i))) == NULL)
		return ENOMEM;
	i->key.k = *k;
	i->key.uid = uid;
	HASH_ADD(hh, inflight, key, sizeof(i->key), i);
	return 0;
}

static void
unclaim_locked(const struct pack_key *k, uint32_t uid)
{
	struct inflight *i;

	if ((i = inflight_find_locked(k, uid)) == NULL)
		return;
	HASH_DEL(inflight, i);
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
	int r;

	*claimed_r = 0;
	if (b->n > 0 && uid <= b->uids[b->n - 1])
		return 0;
	pthread_mutex_lock(&cache_lock);
	if ((r = claim_locked(&b->key, uid)) == 0 && (r = batch_add(b, uid, adjacent)) != 0)
		unclaim_locked(&b->key, uid);
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

/* Gives up the body being streamed. */
static void
batch_discard_body(struct cache_batch *b)
{
	pack_abort(&b->res);
	b->streaming = 0;
}

static void
batch_chunk(void *ctx, uint32_t uid, uint64_t offset, uint64_t total, const char *data,
    size_t len)
{
	struct cache_batch *b = ctx;
	char *p;

	(void)uid;
	if (offset == 0) {
		/* A new message: its UID comes with done(). */
		batch_discard_body(b);
		b->written = 0;
		b->total = total;
		b->werr = 0;
		if (total <= GATHER_MAX) {
			b->streaming = 1;
			if (b->bufcap < total) {
				if ((p = realloc(b->buf, (size_t)total)) == NULL)
					b->werr = ENOMEM;
				else {
					b->buf = p;
					b->bufcap = (size_t)total;
				}
			}
		} else if ((b->werr = pack_begin(total, &b->res)) == 0)
			b->streaming = 2;
	}
	if (b->werr != 0 || b->streaming == 0)
		return;
	if (offset != b->written || b->written + len > b->total) {
		b->werr = EIO;
		return;
	}
	if (b->streaming == 1)
		memcpy(b->buf + b->written, data, len);
	else if ((b->werr = pack_write(&b->res, data, len)) != 0)
		return;
	b->written += len;
}

/* A message is complete: store its bytes with what the server said of it. */
static void
batch_done(void *ctx, const struct be_msg *m)
{
	struct cache_batch *b = ctx;
	long k;
	int r;

	if (b->streaming == 0)
		return;
	k = batch_index(b, m->uid);
	if (b->werr != 0 || b->written != b->total || k < 0 || b->done[k]) {
		if (b->werr != 0)
			log_msg(LOG_WARNING, "cannot write to the cache: %s", strerror(b->werr));
		batch_discard_body(b);
		return;
	}
	if (b->streaming == 1)
		r = pack_put(&b->key, m->uid, m->size, m->date, b->buf, (size_t)b->written);
	else
		r = pack_commit(&b->res, &b->key, m->uid, m->size, m->date);
	b->streaming = 0;
	if (r != 0)
		return;		/* logged */
	b->done[k] = 1;
	b->bytes += b->written;
	pthread_mutex_lock(&cache_lock);
	unclaim_locked(&b->key, m->uid);
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
	if ((r = batch_set(b, &set)) != 0)
		return r;
	r = backend_fetch(fs.backend, f, b->key.uidvalidity, set, &cb);
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
	size_t i;

	if (b == NULL)
		return;
	batch_discard_body(b);
	pthread_mutex_lock(&cache_lock);
	for (i = 0; i < b->n; i++)
		if (!b->done[i])
			unclaim_locked(&b->key, b->uids[i]);
	pthread_cond_broadcast(&cache_cond);
	pthread_mutex_unlock(&cache_lock);
	free(b->buf);
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

/*
 * Opens the stored body of uid: 0 with *fd_r and *b_r, ENOENT when there
 * is none (or it went: stale, damaged), or an errno.  check: serve it
 * only as the message of that size and date.  Its CRC is checked before
 * it is first served in this process.  Needs cache_lock; drops it to
 * read the body for the CRC and takes it again.
 */
static int
open_stored_locked(const struct pack_key *k, uint32_t uid, int check, uint64_t size,
    int64_t date, int *fd_r, struct pack_body *b_r)
{
	struct pack_body pb;
	int fd, r;

	if (pack_find_locked(k, uid, &pb) != 0)
		return ENOENT;
	if (check && !body_matches(&pb, size, date)) {
		log_msg(LOG_INFO, "the cached message %u is not the message of %llu bytes "
		    "dated %lld: fetched again", (unsigned)uid, (unsigned long long)size,
		    (long long)date);
		pack_forget_locked(k, uid, &pb);
		return ENOENT;
	}
	if ((r = pack_dup_locked(&pb, &fd)) != 0)
		return r;
	if (!pb.verified) {
		pthread_mutex_unlock(&cache_lock);
		r = pack_verify(fd, &pb);
		pthread_mutex_lock(&cache_lock);
		if (r != 0) {
			log_msg(LOG_WARNING, "the cached message %u is damaged (%s): fetched "
			    "again", (unsigned)uid, strerror(r));
			pack_forget_locked(k, uid, &pb);
			close(fd);
			return ENOENT;
		}
		pack_verified_locked(k, uid, &pb);
	}
	*fd_r = fd;
	*b_r = pb;
	return 0;
}

int
cache_open(const char *mailbox, uint32_t uidvalidity, uint32_t uid, uint64_t size,
    int64_t date, int *fd_r, uint64_t *offset_r, uint64_t *size_r)
{
	struct cache_batch *b;
	struct pack_body pb;
	int r;

	if (cache_batch_new(mailbox, uidvalidity, &b) != 0)
		return ENOMEM;
	pthread_mutex_lock(&cache_lock);
	for (;;) {
		if (open_stored_locked(&b->key, uid, 1, size, date, fd_r, &pb) == 0) {
			r = 0;
			goto out;
		}
		if (inflight_find_locked(&b->key, uid) == NULL)
			break;
		/*
		 * Another thread (or the prefetch) is fetching it: wait, then
		 * look again; not past this request's deadline.
		 */
		if (deadline_wait(&cache_cond, &cache_lock) == ETIMEDOUT) {
			r = ETIMEDOUT;
			goto out;
		}
	}
	if ((r = claim_locked(&b->key, uid)) == 0 && (r = batch_add(b, uid, 0)) != 0)
		unclaim_locked(&b->key, uid);
	pthread_mutex_unlock(&cache_lock);
	if (r == 0)
		r = fetch_one(b, uid);
	pthread_mutex_lock(&cache_lock);
	/* What was just fetched is the server's: trusted whatever the listing says. */
	if (r == 0)
		r = open_stored_locked(&b->key, uid, 0, 0, 0, fd_r, &pb);
out:
	pthread_mutex_unlock(&cache_lock);
	cache_batch_free(&b);
	if (r == 0) {
		*offset_r = pb.off;
		*size_r = pb.len;
	}
	return r;
}

/* A value's name: a few letters, as pack.h keeps them. */
static int
meta_name_ok(const char *name)
{
	size_t len = strlen(name);

	return len > 0 && len <= PACK_NAME_MAX;
}

int
cache_meta_get(const char *mailbox, uint32_t uidvalidity, const char *name, void **data_r,
    size_t *len_r)
{
	struct pack_key k;

	if (!meta_name_ok(name))
		return EINVAL;
	pack_key_of(mailbox, uidvalidity, &k);
	return pack_meta_get(&k, name, data_r, len_r);
}

int
cache_meta_put(const char *mailbox, uint32_t uidvalidity, const char *name, const void *data,
    size_t len, int append)
{
	struct pack_key k;

	if (!meta_name_ok(name))
		return EINVAL;
	pack_key_of(mailbox, uidvalidity, &k);
	return pack_meta_put(&k, name, data, len, append);
}

int
cache_subdir(const char *name, char *out, size_t size)
{
	if ((size_t)snprintf(out, size, "%s/%s", cache_root, name) >= size)
		return ENAMETOOLONG;
	return mkdirs(out);
}

int
cache_staging_dir(char *out, size_t size)
{
	return cache_subdir("staging", out, size);
}

void
cache_drop(const char *mailbox, uint32_t uidvalidity)
{
	struct pack_key k;
	int r;

	pack_key_of(mailbox, uidvalidity, &k);
	if ((r = pack_drop(&k)) != 0)
		log_msg(LOG_WARNING, "cannot drop \"%s\" from the cache: %s", mailbox,
		    strerror(r));
}

size_t
cache_count(const char *mailbox, uint32_t uidvalidity, const uint32_t *uids, size_t n,
    size_t stride)
{
	struct pack_key k;
	struct pack_body pb;
	struct pgen *g;
	size_t i, c = 0;

	pack_key_of(mailbox, uidvalidity, &k);
	pthread_mutex_lock(&cache_lock);
	if (uids == NULL)
		c = (g = idx_gen_find(&k)) != NULL ? g->n : 0;
	else
		for (i = 0; i < n; i++)
			if (pack_find_locked(&k, *(const uint32_t *)(const void *)
			    ((const char *)uids + i * stride), &pb) == 0)
				c++;
	pthread_mutex_unlock(&cache_lock);
	return c;
}
