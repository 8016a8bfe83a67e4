/*
 * The read-ahead (see prefetch.h).
 *
 * A stream is one folder generation being read: the position of the last
 * message opened, how many opens in a row went forward by a few
 * messages, and the highest UID handed to the prefetch thread.  The
 * window ahead of the reader doubles with each forward open up to
 * WINDOW_MAX, so that a reader of one or two files costs little.  Jobs
 * are copied out of the folder under its lock and claimed in the cache
 * only by the thread, once it holds a connection, so that no reader ever
 * waits for a message whose fetch has not started.
 *
 * RFC 3501 6.4.8 (UID FETCH with a UID set), 6.4.5 (BODY.PEEK[]).
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <mailfs/client.h>

#include "cache.h"
#include "folder.h"
#include "inode.h"
#include "log.h"
#include "pool.h"
#include "prefetch.h"

#define NSTREAMS	8
#define WINDOW_MIN	(512u * 1024)		/* the first window: doubled per forward open */
#define WINDOW_MAX	(16u * 1024 * 1024)
#define JOB_MAX_MSGS	256
#define QUEUE_MAX	2			/* jobs waiting besides the one fetched */
#define STRIDE_MAX	8			/* "forward" skips at most this many messages */

struct stream {
	uint32_t gen;		/* the folder generation; 0: unused */
	uint32_t uidvalidity;
	uint32_t last_uid;
	size_t last_k;		/* its index in the folder then */
	unsigned run;		/* forward opens in a row */
	uint32_t ahead_uid;	/* the highest UID handed to the thread */
	unsigned long used;
};

struct job {
	char *mailbox;
	uint32_t uidvalidity;
	uint32_t uids[JOB_MAX_MSGS];
	unsigned char adjacent[JOB_MAX_MSGS];
	size_t n;
	struct job *next;
};

static pthread_mutex_t prefetch_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t prefetch_cond = PTHREAD_COND_INITIALIZER;
static struct stream streams[NSTREAMS];
static unsigned long stream_clock;
static struct job *queue_head, **queue_tail = &queue_head;
static unsigned queued;
static int started, stopping;
static pthread_t thread;

static void
job_free(struct job *j)
{
	if (j == NULL)
		return;
	free(j->mailbox);
	free(j);
}

static void *
prefetch_main(void *arg)
{
	struct mailfs_error err;
	struct cache_batch *b;
	struct pool_conn *pc;
	struct job *j;
	size_t i;
	int r;

	(void)arg;
	pthread_mutex_lock(&prefetch_lock);
	for (;;) {
		while (!stopping && queue_head == NULL)
			pthread_cond_wait(&prefetch_cond, &prefetch_lock);
		if (stopping)
			break;
		j = queue_head;
		if ((queue_head = j->next) == NULL)
			queue_tail = &queue_head;
		queued--;
		pthread_mutex_unlock(&prefetch_lock);

		b = NULL;
		if ((pc = pool_get(j->mailbox, &err)) == NULL)
			log_msg(LOG_DEBUG, "prefetch in \"%s\": %s", j->mailbox, err.msg);
		else if ((b = cache_batch_new(j->mailbox, j->uidvalidity)) == NULL)
			pool_put(pc, 0);
		else {
			for (i = 0; i < j->n; i++)
				if (cache_batch_claim(b, j->uids[i], j->adjacent[i]) == -1)
					break;
			r = cache_batch_fetch(b, pool_client(pc));
			pool_put(pc, r == -1);
			log_msg(LOG_DEBUG, "prefetched %zu of %zu messages (%llu bytes) of \"%s\"",
			    cache_batch_count(b), j->n,
			    (unsigned long long)cache_batch_bytes(b), j->mailbox);
			cache_batch_free(&b);
		}
		job_free(j);
		pthread_mutex_lock(&prefetch_lock);
	}
	pthread_mutex_unlock(&prefetch_lock);
	return NULL;
}

/* The stream of folder generation gen, made (the least recently used replaced). */
static struct stream *
stream_get_locked(uint32_t gen, uint32_t uidvalidity)
{
	struct stream *s, *lru = &streams[0];
	size_t i;

	for (i = 0; i < NSTREAMS; i++) {
		s = &streams[i];
		if (s->gen == gen && s->uidvalidity == uidvalidity) {
			s->used = ++stream_clock;
			return s;
		}
		if (s->used < lru->used)
			lru = s;
	}
	memset(lru, 0, sizeof(*lru));
	lru->gen = gen;
	lru->uidvalidity = uidvalidity;
	lru->used = ++stream_clock;
	return lru;
}

/*
 * Decides, under the folder's lock, whether to prefetch after message k,
 * and copies the job's UIDs out; returns the job or NULL.
 */
static struct job *
plan_locked(struct folder *f, struct stream *s, size_t k)
{
	struct job *j;
	uint64_t window, ahead = 0, bytes = 0;
	size_t i;

	if (s->last_uid != 0 && k > s->last_k && k - s->last_k <= STRIDE_MAX)
		s->run++;
	else
		s->run = k == 0 ? 1 : 0;	/* from the first message on: a walk, likely */
	s->last_uid = f->msgs[k].uid;
	s->last_k = k;
	if (s->run == 0 || stopping || queued >= QUEUE_MAX)
		return NULL;
	window = s->run >= 6 ? WINDOW_MAX : (uint64_t)WINDOW_MIN << (s->run - 1);
	if (window > WINDOW_MAX)
		window = WINDOW_MAX;
	if (s->ahead_uid < s->last_uid)
		s->ahead_uid = s->last_uid;
	for (i = k + 1; i < f->n && f->msgs[i].uid <= s->ahead_uid; i++)
		ahead += f->msgs[i].size;
	/* Enough on its way: wait until the reader has used half of it. */
	if (ahead > window / 2 || i >= f->n)
		return NULL;
	if ((j = calloc(1, sizeof(*j))) == NULL)
		return NULL;
	for (; i < f->n && j->n < JOB_MAX_MSGS && ahead + bytes < window; i++) {
		j->uids[j->n] = f->msgs[i].uid;
		j->adjacent[j->n] = j->n > 0;
		bytes += f->msgs[i].size;
		j->n++;
	}
	s->ahead_uid = j->uids[j->n - 1];
	return j;
}

void
prefetch_hint(struct node *dir, const char *mailbox, uint32_t uidvalidity, uint32_t uid)
{
	struct folder *f;
	struct stream *s;
	struct job *j = NULL;
	long k;

	pthread_rwlock_rdlock(&tree_lock);
	if ((f = dir->folder) == NULL || dir->gen == 0) {
		pthread_rwlock_unlock(&tree_lock);
		return;
	}
	pthread_mutex_lock(&f->lock);
	if (f->uidvalidity == uidvalidity && (k = folder_find_locked(f, uid)) >= 0) {
		pthread_mutex_lock(&prefetch_lock);
		s = stream_get_locked(dir->gen, uidvalidity);
		j = plan_locked(f, s, (size_t)k);
		pthread_mutex_unlock(&prefetch_lock);
	}
	pthread_mutex_unlock(&f->lock);
	pthread_rwlock_unlock(&tree_lock);
	if (j == NULL)
		return;
	j->uidvalidity = uidvalidity;
	if ((j->mailbox = strdup(mailbox)) == NULL) {
		job_free(j);
		return;
	}
	pthread_mutex_lock(&prefetch_lock);
	if (!started && !stopping) {
		if (pthread_create(&thread, NULL, prefetch_main, NULL) != 0)
			stopping = 1;	/* no thread: no prefetch; reads fetch alone */
		else
			started = 1;
	}
	if (stopping) {
		pthread_mutex_unlock(&prefetch_lock);
		job_free(j);
		return;
	}
	*queue_tail = j;
	queue_tail = &j->next;
	queued++;
	pthread_cond_signal(&prefetch_cond);
	pthread_mutex_unlock(&prefetch_lock);
}

void
prefetch_stop(void)
{
	struct job *j;
	int join;

	pthread_mutex_lock(&prefetch_lock);
	stopping = 1;
	join = started;
	started = 0;
	pthread_cond_broadcast(&prefetch_cond);
	pthread_mutex_unlock(&prefetch_lock);
	if (join)
		pthread_join(thread, NULL);
	pthread_mutex_lock(&prefetch_lock);
	while ((j = queue_head) != NULL) {
		queue_head = j->next;
		job_free(j);
	}
	queue_tail = &queue_head;
	queued = 0;
	pthread_mutex_unlock(&prefetch_lock);
}
