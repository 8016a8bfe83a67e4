/*
 * The on-disk message cache (see cache.h).
 *
 * cache_lock protects the index and the list of fetches in flight; it is
 * never held across a round trip: a second reader of a message that is
 * being fetched waits on cache_cond for the first.
 *
 * RFC 3501 6.4.5 (BODY.PEEK[] does not set \Seen).
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

#include <mailfs/commands.h>

#include "cache.h"
#include "errmap.h"
#include "log.h"
#include "pool.h"

struct centry {
	char *path;
	uint64_t size;
	uint64_t stamp;
	UT_hash_handle hh;
};

struct inflight {
	char *path;
	struct inflight *next;
};

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cache_cond = PTHREAD_COND_INITIALIZER;
static struct centry *index_by_path;
static struct inflight *inflight;
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

static int
mkdirs(const char *path)
{
	char buf[4096], *p;

	if (strlen(path) >= sizeof(buf)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(buf, path);
	for (p = buf + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0700) == -1 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(buf, 0700) == -1 && errno != EEXIST)
		return -1;
	return 0;
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
		return -1;
	}
	strcat(buf, "/");
	strcat(buf, hash);
	if (mkdirs(buf) == -1) {
		snprintf(why, whylen, "cannot make the cache directory %s: %s", buf,
		    strerror(errno));
		return -1;
	}
	if ((cache_root = strdup(buf)) == NULL) {
		snprintf(why, whylen, "out of memory");
		return -1;
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

	pthread_mutex_lock(&cache_lock);
	HASH_ITER(hh, index_by_path, e, tmp)
		index_del_locked(e);
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

/* Opens a cached file and marks it used; -1 when it is not there. */
static int
open_cached(const char *path, uint64_t *size_r)
{
	struct stat st;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	if (fstat(fd, &st) == -1) {
		close(fd);
		return -1;
	}
	*size_r = (uint64_t)st.st_size;
	pthread_mutex_lock(&cache_lock);
	index_add_locked(path, *size_r, ++cache_clock);
	pthread_mutex_unlock(&cache_lock);
	return fd;
}

struct body_sink {
	int fd;
	uint32_t uid;
	uint64_t written;
	int werr;
	int got;
};

static void
sink_body(void *ctx, uint32_t seq, uint64_t offset, uint64_t total, const char *data,
    size_t len)
{
	struct body_sink *s = ctx;
	ssize_t n;

	(void)seq;
	(void)total;
	if (s->werr != 0)
		return;
	if (offset != s->written) {
		s->werr = EIO;
		return;
	}
	while (len > 0) {
		if ((n = pwrite(s->fd, data, len, (off_t)offset)) == -1) {
			if (errno == EINTR)
				continue;
			s->werr = errno;
			return;
		}
		data += n;
		len -= (size_t)n;
		offset += (uint64_t)n;
		s->written += (uint64_t)n;
	}
}

static void
sink_fetch(void *ctx, const struct mailfs_msg *m)
{
	struct body_sink *s = ctx;

	if ((m->present & MAILFS_MSG_UID) && m->uid == s->uid &&
	    (m->present & (MAILFS_MSG_BODY_STREAMED | MAILFS_MSG_BODY)))
		s->got = 1;
}

/* Fetches the message into tmp; 0 or an errno. */
static int
fetch(const char *mailbox, uint32_t uidvalidity, uint32_t uid, int fd)
{
	struct body_sink sink = { fd, uid, 0, 0, 0 };
	struct mailfs_handlers h;
	struct mailfs_fetch_spec spec;
	struct mailfs_error err;
	struct mailfs_client *c;
	struct pool_conn *pc;
	char uidtext[16];

	if ((pc = pool_get(mailbox, &err)) == NULL) {
		log_msg(LOG_WARNING, "cannot open the folder \"%s\": %s", mailbox, err.msg);
		return errmap_errno(&err);
	}
	c = pool_client(pc);
	if (mailfs_client_mailbox(c)->uidvalidity != uidvalidity) {
		/* A new generation: this UID may be another message now. */
		pool_put(pc, 0);
		return ESTALE;
	}
	memset(&h, 0, sizeof(h));
	h.fetch = sink_fetch;
	h.body = sink_body;
	h.ctx = &sink;
	memset(&spec, 0, sizeof(spec));
	spec.items = MAILFS_FETCH_UID | MAILFS_FETCH_BODY;
	snprintf(uidtext, sizeof(uidtext), "%u", (unsigned)uid);
	if (mailfs_run(c, mailfs_uid_fetch(c, uidtext, &spec, &h), NULL) == -1) {
		err = *mailfs_client_error(c);
		log_msg(LOG_WARNING, "cannot fetch message %u of \"%s\": %s", (unsigned)uid,
		    mailbox, err.msg);
		pool_put(pc, 1);
		return errmap_errno(&err);
	}
	pool_put(pc, 0);
	if (sink.werr != 0) {
		log_msg(LOG_WARNING, "cannot write to the cache: %s", strerror(sink.werr));
		return sink.werr;
	}
	if (!sink.got)
		return ENOENT;	/* expunged meanwhile */
	return 0;
}

int
cache_open(const char *mailbox, uint32_t uidvalidity, uint32_t uid, uint64_t *size_r)
{
	char dir[4096], path[4200], tmp[4300];
	struct inflight me, **pp, *i;
	int fd, wfd, r;

	folder_dir(mailbox, uidvalidity, dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/%u", dir, (unsigned)uid);
	for (;;) {
		if ((fd = open_cached(path, size_r)) != -1)
			return fd;
		pthread_mutex_lock(&cache_lock);
		for (i = inflight; i != NULL; i = i->next)
			if (strcmp(i->path, path) == 0)
				break;
		if (i == NULL)
			break;
		/* Another thread is fetching it: wait, then look again. */
		pthread_cond_wait(&cache_cond, &cache_lock);
		pthread_mutex_unlock(&cache_lock);
	}
	me.path = path;
	me.next = inflight;
	inflight = &me;
	snprintf(tmp, sizeof(tmp), "%s/.tmp.%ld.%lu", dir, (long)getpid(), ++tmp_counter);
	pthread_mutex_unlock(&cache_lock);

	fd = -1;
	if (mkdirs(dir) == -1 ||
	    (wfd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) == -1) {
		r = errno;
		log_msg(LOG_WARNING, "cannot write to the cache %s: %s", dir, strerror(r));
		goto done;
	}
	if ((r = fetch(mailbox, uidvalidity, uid, wfd)) == 0 && rename(tmp, path) == -1) {
		r = errno;
		log_msg(LOG_WARNING, "cannot rename %s: %s", tmp, strerror(r));
	}
	close(wfd);
	if (r != 0)
		unlink(tmp);
	else if ((fd = open_cached(path, size_r)) == -1)
		r = errno;
done:
	pthread_mutex_lock(&cache_lock);
	for (pp = &inflight; *pp != NULL; pp = &(*pp)->next)
		if (*pp == &me) {
			*pp = me.next;
			break;
		}
	if (r == 0)
		evict_locked();
	pthread_cond_broadcast(&cache_cond);
	pthread_mutex_unlock(&cache_lock);
	return r == 0 ? fd : -r;
}

int
cache_folder_file(const char *mailbox, uint32_t uidvalidity, const char *leaf,
    char *out, size_t size)
{
	char dir[4096];

	folder_dir(mailbox, uidvalidity, dir, sizeof(dir));
	if (mkdirs(dir) == -1)
		return errno;
	if ((size_t)snprintf(out, size, "%s/%s", dir, leaf) >= size)
		return ENAMETOOLONG;
	return 0;
}

int
cache_staging_dir(char *out, size_t size)
{
	if ((size_t)snprintf(out, size, "%s/staging", cache_root) >= size)
		return ENAMETOOLONG;
	return mkdirs(out) == -1 ? errno : 0;
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
	pthread_mutex_unlock(&cache_lock);
	strncat(dir, "aliases", sizeof(dir) - len - 1);
	(void)unlink(dir);
	dir[len - 1] = '\0';
	(void)rmdir(dir);
}
