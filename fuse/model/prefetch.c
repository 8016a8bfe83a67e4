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
 * A walk goes on from folder to folder (rsync, grep -r, find): when
 * directories are opened in walk order (tree_walk_next_locked()), the
 * next folders are listed ahead, and when the read-ahead reaches the end
 * of a folder it goes on into the next listed one with the window it
 * had, so that the reader finds the next folder's first messages on
 * their way.
 *
 * A range is one backend_fetch() (IMAP: backend/imap/fetch.c).
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "cache.h"
#include "deadline.h"
#include "fetchall.h"
#include "folder.h"
#include "inode.h"
#include "log.h"
#include "options.h"
#include "prefetch.h"
#include "profile.h"

#define NSTREAMS	8
#define WINDOW_MIN	(512u * 1024)		/* the first window: doubled per forward open */
#define WINDOW_MAX	(16u * 1024 * 1024)
#define JOB_MAX_MSGS	1024
#define QUEUE_MAX	2			/* jobs waiting besides those fetched */
/*
 * Fetching threads, each on a connection of its own: while one waits for
 * the first bytes of its window the other's are flowing, so a reader
 * never waits a round trip between two windows.
 */
#define NTHREADS	2
#define STRIDE_MAX	8			/* "forward" skips at most this many messages */
#define LIST_AHEAD	2			/* folders listed ahead of a walk */

struct stream {
	uint32_t gen;		/* the folder generation; 0: unused */
	uint32_t uidvalidity;
	uint32_t last_uid;
	size_t last_k;		/* its index in the folder then */
	unsigned run;		/* forward opens in a row */
	uint32_t ahead_uid;	/* the highest UID handed to the thread */
	int continued;		/* the read-ahead went on into the next folder */
	unsigned long used;
};

struct job {
	struct node *list;	/* a folder to list (referenced); NULL: bodies */
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
static unsigned queued;			/* body jobs */
static unsigned queued_lists;		/* listing jobs */
static fuse_ino_t walk_last;		/* the directory opened last */
static unsigned started;
static int stopping;
static pthread_t threads[NTHREADS];

static void
job_free(struct job *j)
{
	if (j == NULL)
		return;
	if (j->list != NULL)
		node_put(j->list);
	free(j->mailbox);
	free(j);
}

/*
 * backend_open_lazy() for the read-ahead: nothing is sent until the
 * fetch, which opens the folder in the same round trip.  A server it
 * cannot reach is no warning (nobody waits for this work; the reader
 * that needs the bytes fetches them itself and says why it could not).
 */
static int
prefetch_open(const char *mailbox, struct be_folder **f_r)
{
	int r;

	log_quiet(1);
	r = backend_open_lazy(fs.backend, mailbox, f_r);
	log_quiet(0);
	return r;
}

int
prefetch_batch(const char *mailbox, uint32_t uidvalidity, const uint32_t *uids,
    const unsigned char *adjacent, size_t n, uint64_t *bytes_r)
{
	struct be_folder *f;
	struct cache_batch *b;
	size_t i;
	int claimed, failed, r;

	*bytes_r = 0;
	if ((r = prefetch_open(mailbox, &f)) != 0)
		return r;	/* the reader fetches alone, and says why it could not */
	if ((r = cache_batch_new(mailbox, uidvalidity, &b)) != 0) {
		backend_close(fs.backend, f, 0);
		return r;
	}
	/* A message not claimed breaks the range: it is not asked for again. */
	for (i = 0, claimed = 0; i < n; i++)
		if (cache_batch_claim(b, uids[i], adjacent[i] && claimed, &claimed) != 0)
			break;
	r = cache_batch_fetch(b, f, &failed);
	backend_close(fs.backend, f, failed);
	*bytes_r = cache_batch_bytes(b);
	log_msg(LOG_DEBUG, "prefetched %zu of %zu messages (%llu bytes) of \"%s\"",
	    cache_batch_count(b), n, (unsigned long long)*bytes_r, mailbox);
	cache_batch_free(&b);
	return r;
}

static void *
prefetch_main(void *arg)
{
	struct job *j;
	uint64_t bytes;

	(void)arg;
	profile_set_ahead(1);
	pthread_mutex_lock(&prefetch_lock);
	for (;;) {
		while (!stopping && queue_head == NULL)
			pthread_cond_wait(&prefetch_cond, &prefetch_lock);
		if (stopping)
			break;
		j = queue_head;
		if ((queue_head = j->next) == NULL)
			queue_tail = &queue_head;
		if (j->list != NULL)
			queued_lists--;
		else
			queued--;
		pthread_mutex_unlock(&prefetch_lock);

		deadline_begin();	/* a job has -o timeout, as a request has */
		if (j->list != NULL)
			(void)folder_ensure(j->list);	/* a failure shows to the reader */
		else
			(void)prefetch_batch(j->mailbox, j->uidvalidity, j->uids,
			    j->adjacent, j->n, &bytes);
		deadline_end();
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

static uint64_t
window_of(const struct stream *s)
{
	return s->run >= 6 ? WINDOW_MAX : (uint64_t)WINDOW_MIN << (s->run - 1);
}

/*
 * A job of the messages from index i on, up to window bytes beyond the
 * ahead bytes already on their way, into *j_r (NULL when there are
 * none); 0 or ENOMEM.
 */
static int
fill_locked(struct folder *f, struct stream *s, size_t i, uint64_t ahead, uint64_t window,
    struct job **j_r)
{
	struct job *j;
	uint64_t bytes = 0;

	*j_r = NULL;
	if (i >= f->n)
		return 0;
	if ((j = calloc(1, sizeof(*j))) == NULL)
		return ENOMEM;
	for (; i < f->n && j->n < JOB_MAX_MSGS && ahead + bytes < window; i++) {
		j->uids[j->n] = f->msgs[i].uid;
		j->adjacent[j->n] = j->n > 0;
		bytes += f->msgs[i].size;
		j->n++;
	}
	s->ahead_uid = j->uids[j->n - 1];
	*j_r = j;
	return 0;
}

/*
 * Decides, under the folder's lock, whether to prefetch after message k,
 * and copies the job's UIDs out into *j_r (NULL: none); 0 or ENOMEM.
 * *at_end: a walk has the rest of this folder on its way.
 */
static int
plan_locked(struct folder *f, struct stream *s, size_t k, int *at_end, struct job **j_r)
{
	uint64_t ahead = 0;
	size_t i;

	*at_end = 0;
	*j_r = NULL;
	if (s->last_uid != 0 && k > s->last_k && k - s->last_k <= STRIDE_MAX)
		s->run++;
	else if (!(k == 0 && s->last_uid == 0 && s->run > 0))
		s->run = k == 0 ? 1 : 0;	/* from the first message on: a walk, likely */
	/* else a walk came on from the folder before, with its window */
	s->last_uid = f->msgs[k].uid;
	s->last_k = k;
	if (s->run == 0 || stopping)
		return 0;
	if (s->ahead_uid < s->last_uid)
		s->ahead_uid = s->last_uid;
	for (i = k + 1; i < f->n && f->msgs[i].uid <= s->ahead_uid; i++)
		ahead += f->msgs[i].size;
	if (i >= f->n) {
		*at_end = !s->continued;
		return 0;
	}
	/* Enough on its way: wait until the reader has used half of it. */
	if (ahead > window_of(s) / 2 || queued >= QUEUE_MAX)
		return 0;
	return fill_locked(f, s, i, ahead, window_of(s), j_r);
}

/*
 * The first window of the folder after dir (of that UIDVALIDITY) in the
 * walk, when it is listed and nothing of it is on its way yet, into
 * *j_r (NULL: none); needs tree_lock.  0 or ENOMEM.  Marks dir's stream
 * continued when a job results.  The stream is looked up again: between
 * two holds of prefetch_lock its slot may have gone to another folder.
 */
static int
plan_next_folder_locked(struct node *dir, uint32_t uidvalidity, struct job **j_r)
{
	struct node *c;
	struct folder *f;
	struct stream *s, *from;
	struct job *j = NULL;
	int empty, r = 0;

	/* The next folder with messages; an empty one is passed over. */
	for (c = tree_walk_next_locked(dir); c != NULL; c = tree_walk_next_locked(c)) {
		if (c->folder == NULL || c->gen == 0 || !node_selectable(c) ||
		    c->mailbox == NULL)
			continue;
		f = c->folder;
		folder_lock(f);
		pthread_mutex_lock(&prefetch_lock);
		empty = f->loaded && f->n == 0;
		from = stream_get_locked(dir->gen, uidvalidity);
		if (f->loaded && !empty && !stopping && queued < QUEUE_MAX &&
		    from->run > 0 && !from->continued) {
			s = stream_get_locked(c->gen, f->uidvalidity);
			if (s->last_uid == 0 && s->ahead_uid == 0) {
				s->run = from->run;
				r = fill_locked(f, s, 0, 0, window_of(s), &j);
				if (j != NULL) {
					j->uidvalidity = f->uidvalidity;
					from->continued = 1;
				}
			}
		}
		pthread_mutex_unlock(&prefetch_lock);
		folder_unlock(f);
		if (!empty)
			break;
	}
	if (j != NULL && (j->mailbox = strdup(c->mailbox)) == NULL) {
		job_free(j);
		j = NULL;
		r = ENOMEM;
	}
	*j_r = j;
	return r;
}

/* Hands j to the threads (started as needed), or frees it. */
static void
enqueue(struct job *j)
{
	pthread_mutex_lock(&prefetch_lock);
	/* A thread more for each job waiting, up to NTHREADS. */
	if (!stopping && started < NTHREADS && queued + queued_lists >= started) {
		if (pthread_create(&threads[started], NULL, prefetch_main, NULL) == 0)
			started++;
		else if (started == 0)
			stopping = 1;	/* no thread: no prefetch; reads fetch alone */
	}
	if (stopping) {
		pthread_mutex_unlock(&prefetch_lock);
		job_free(j);
		return;
	}
	*queue_tail = j;
	queue_tail = &j->next;
	if (j->list != NULL)
		queued_lists++;
	else
		queued++;
	pthread_cond_signal(&prefetch_cond);
	pthread_mutex_unlock(&prefetch_lock);
}

void
prefetch_hint(struct node *dir, const char *mailbox, uint32_t uidvalidity, uint32_t uid)
{
	struct folder *f;
	struct stream *s;
	struct job *j = NULL, *next = NULL;
	long k;
	int at_end = 0;

	tree_rdlock();
	if ((f = dir->folder) == NULL || dir->gen == 0) {
		tree_unlock();
		return;
	}
	folder_lock(f);
	if (f->uidvalidity == uidvalidity && (k = folder_find_locked(f, uid)) >= 0) {
		pthread_mutex_lock(&prefetch_lock);
		s = stream_get_locked(dir->gen, uidvalidity);
		/* Out of memory there is no read-ahead: the reader fetches alone. */
		(void)plan_locked(f, s, (size_t)k, &at_end, &j);
		pthread_mutex_unlock(&prefetch_lock);
	}
	folder_unlock(f);
	if (at_end)
		(void)plan_next_folder_locked(dir, uidvalidity, &next);
	tree_unlock();
	if (j != NULL) {
		j->uidvalidity = uidvalidity;
		if ((j->mailbox = strdup(mailbox)) == NULL)
			job_free(j);
		else
			enqueue(j);
	}
	if (next != NULL)
		enqueue(next);
}

void
prefetch_opendir(struct node *dir)
{
	struct node *c, *last, *ahead[LIST_AHEAD];
	struct job *j;
	size_t n = 0, i;
	int walking, loaded;

	/* On the only connection a listing ahead would hold up the reader. */
	if (fs.opts->connections < 2)
		return;
	tree_rdlock();
	pthread_mutex_lock(&prefetch_lock);
	last = walk_last != 0 ? tree_node_locked(walk_last) : NULL;
	walking = last != NULL && tree_walk_next_locked(last) == dir && !stopping &&
	    queued_lists == 0;
	walk_last = dir->ino;
	pthread_mutex_unlock(&prefetch_lock);
	for (c = walking ? tree_walk_next_locked(dir) : NULL; c != NULL && n < LIST_AHEAD;
	    c = tree_walk_next_locked(c))
		if (c->folder != NULL && c->gen != 0 && node_selectable(c)) {
			node_ref(c);
			ahead[n++] = c;
		}
	tree_unlock();
	for (i = 0; i < n; i++) {
		pthread_mutex_lock(&ahead[i]->folder->lock);
		loaded = ahead[i]->folder->loaded;
		pthread_mutex_unlock(&ahead[i]->folder->lock);
		if (loaded || (j = calloc(1, sizeof(*j))) == NULL) {
			node_put(ahead[i]);
			continue;
		}
		j->list = ahead[i];
		enqueue(j);
	}
}

void
prefetch_stop(void)
{
	struct job *j;
	unsigned join, i;

	fetchall_stop();
	pthread_mutex_lock(&prefetch_lock);
	stopping = 1;
	join = started;
	started = 0;
	pthread_cond_broadcast(&prefetch_cond);
	pthread_mutex_unlock(&prefetch_lock);
	for (i = 0; i < join; i++)
		pthread_join(threads[i], NULL);
	pthread_mutex_lock(&prefetch_lock);
	while ((j = queue_head) != NULL) {
		queue_head = j->next;
		job_free(j);
	}
	queue_tail = &queue_head;
	queued = queued_lists = 0;
	walk_last = 0;
	pthread_mutex_unlock(&prefetch_lock);
}
