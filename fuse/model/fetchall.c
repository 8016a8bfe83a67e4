/*
 * -o prefetch=all (see fetchall.h).
 *
 * A round loads every folder, plans each one's bodies not yet stored,
 * newest first, and fetches them batch by batch, the folder with the
 * newest one first each time.  A round that found nothing to fetch
 * makes the state done; from then on a round is begun only when a
 * folder's generation, UIDNEXT or count moved (new mail, a folder made),
 * looked at every IDLE_MS without a round trip.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cache.h"
#include "deadline.h"
#include "fetchall.h"
#include "folder.h"
#include "inode.h"
#include "log.h"
#include "online.h"
#include "options.h"
#include "prefetch.h"

#define BATCH_BYTES	(1u << 20)	/* a batch's bodies, one message at least */
#define BATCH_MSGS	256
#define IDLE_MS		1000		/* between looks once done, or offline */
#define RETRY_MS	5000		/* after a round that fetched nothing it planned */
#define STEP_MS		100

enum fa_state {
	FA_OFF,
	FA_RUNNING,
	FA_DONE,
	FA_PAUSED,
	FA_FULL
};

static const char *const state_names[] = {
	[FA_OFF] = "off",
	[FA_RUNNING] = "running",
	[FA_DONE] = "done",
	[FA_PAUSED] = "paused (offline)",
	[FA_FULL] = "stopped (cache full)",
};

/* A body not stored: its UID, size and date, and its index when planned. */
struct cand {
	uint32_t uid;
	uint32_t size;
	int64_t date;
	size_t k;
};

/* One folder's bodies not stored, newest first; next: the first not yet asked for. */
struct plan {
	char *mailbox;
	uint32_t uidvalidity;
	struct cand *v;
	size_t n;
	size_t next;
};

static pthread_mutex_t fetchall_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_t fetchall_thread;
static int fa_started;
static int fa_stopping;
static enum fa_state fa_state = FA_OFF;

static int
stopping(void)
{
	int r;

	pthread_mutex_lock(&fetchall_lock);
	r = fa_stopping;
	pthread_mutex_unlock(&fetchall_lock);
	return r;
}

static void
set_state(enum fa_state st)
{
	pthread_mutex_lock(&fetchall_lock);
	fa_state = st;
	pthread_mutex_unlock(&fetchall_lock);
}

/* Sleeps ms, in steps of STEP_MS, or less when stopping: the unmount waits a step at most. */
static void
sleep_ms(unsigned ms)
{
	const struct timespec step = { 0, STEP_MS * 1000000L };
	unsigned t;

	for (t = 0; t < ms && !stopping(); t += STEP_MS)
		nanosleep(&step, NULL);
}

static int
by_date_desc(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;

	if (x->date != y->date)
		return x->date > y->date ? -1 : 1;
	return x->uid > y->uid ? -1 : x->uid < y->uid;
}

static int
by_uid(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;

	return x->uid < y->uid ? -1 : x->uid > y->uid;
}

/*
 * What the folders look like without a round trip: a sum of each one's
 * generation, UIDNEXT and count, and their number.  It moves when new
 * mail or a folder comes (and may, rarely, not: the next change shows it).
 */
static uint64_t
signature(void)
{
	struct node **v;
	struct folder *f;
	uint64_t sig;
	size_t n, i;

	n = tree_folders(&v);
	sig = n;
	for (i = 0; i < n; i++) {
		if ((f = v[i]->folder) == NULL)
			continue;
		folder_lock(f);
		sig = sig * 1000003 + ((uint64_t)f->uidvalidity << 32 | f->uidnext);
		sig = sig * 1000003 + f->n + (uint64_t)f->loaded;
		folder_unlock(f);
	}
	tree_put_all(v, n);
	return sig;
}

static void
plan_clear(struct plan *p)
{
	free(p->mailbox);
	free(p->v);
	memset(p, 0, sizeof(*p));
}

/*
 * Loads the folder of n and plans its bodies not stored into *p (cleared
 * by the caller with plan_clear()): 0 or an errno.
 */
static int
plan_folder(struct node *n, struct plan *p)
{
	struct folder *f = n->folder;
	size_t k;
	int r;

	memset(p, 0, sizeof(*p));
	tree_rdlock();
	p->mailbox = n->mailbox != NULL ? strdup(n->mailbox) : NULL;
	tree_unlock();
	if (f == NULL || p->mailbox == NULL)
		return ENOENT;
	deadline_begin();
	r = folder_ensure(n);
	deadline_end();
	if (r != 0)
		return r;
	folder_lock(f);
	if (f->loaded && f->n > 0 && (p->v = calloc(f->n, sizeof(*p->v))) == NULL)
		r = ENOMEM;
	p->uidvalidity = f->uidvalidity;
	for (k = 0; p->v != NULL && k < f->n; k++) {
		if (cache_count(p->mailbox, f->uidvalidity, &f->msgs[k].uid, 1,
		    sizeof(f->msgs[k])) != 0)
			continue;
		p->v[p->n].uid = f->msgs[k].uid;
		p->v[p->n].size = f->msgs[k].size;
		p->v[p->n].date = f->msgs[k].date;
		p->v[p->n].k = k;
		p->n++;
	}
	folder_unlock(f);
	if (p->n > 1)
		qsort(p->v, p->n, sizeof(*p->v), by_date_desc);
	return r;
}

/* 1 when the store has room for bytes more, leaving an eighth of -o cache_size. */
static int
room_for(uint64_t bytes)
{
	uint64_t limit = fs.opts->cache_size;

	return cache_bytes() + bytes <= limit - limit / 8;
}

/*
 * Fetches the next batch of p (newest first, asked for in UID order):
 * 0, ENOSPC when the store has no room for it (nothing asked for), or
 * prefetch_batch()'s errno.  *fetched_r: bytes stored.
 */
static int
fetch_batch(struct plan *p, uint64_t *fetched_r)
{
	struct cand c[BATCH_MSGS];
	uint32_t uids[BATCH_MSGS];
	unsigned char adjacent[BATCH_MSGS];
	uint64_t bytes = 0;
	size_t n = 0, i;
	int r;

	*fetched_r = 0;
	while (p->next + n < p->n && n < BATCH_MSGS &&
	    (n == 0 || bytes + p->v[p->next + n].size <= BATCH_BYTES)) {
		c[n] = p->v[p->next + n];
		bytes += c[n].size;
		n++;
	}
	if (!room_for(bytes))
		return ENOSPC;
	p->next += n;
	qsort(c, n, sizeof(c[0]), by_uid);
	for (i = 0; i < n; i++) {
		uids[i] = c[i].uid;
		/* Neighbours when planned: no message can come between them since. */
		adjacent[i] = i > 0 && c[i].k == c[i - 1].k + 1;
	}
	deadline_begin();
	r = prefetch_batch(p->mailbox, p->uidvalidity, uids, adjacent, n, fetched_r);
	deadline_end();
	return r;
}

/*
 * One round: every folder loaded and planned, then fetched.  0 when it
 * ran to the end (*left_r: bodies it planned or folders it could not
 * load, that may be left), ENOSPC when the store is full, EHOSTDOWN when
 * offline or ECANCELED when stopping (a batch may remain).
 */
static int
fetch_round(size_t *left_r, uint64_t *fetched_r)
{
	struct node **v;
	struct plan *plans, *best;
	uint64_t got;
	size_t n, i;
	int r = 0;

	*left_r = 0;
	*fetched_r = 0;
	n = tree_folders(&v);
	if ((plans = calloc(n > 0 ? n : 1, sizeof(*plans))) == NULL) {
		tree_put_all(v, n);
		return ENOMEM;
	}
	for (i = 0; i < n && r == 0; i++) {
		if (stopping())
			r = ECANCELED;
		else if (online_offline())
			r = EHOSTDOWN;
		else if (plan_folder(v[i], &plans[i]) != 0)
			(*left_r)++;	/* tried again next round */
		*left_r += plans[i].n;
	}
	tree_put_all(v, n);
	while (r == 0) {
		if (stopping()) {
			r = ECANCELED;
			break;
		}
		if (online_offline()) {
			r = EHOSTDOWN;
			break;
		}
		for (best = NULL, i = 0; i < n; i++)
			if (plans[i].next < plans[i].n && (best == NULL ||
			    plans[i].v[plans[i].next].date > best->v[best->next].date))
				best = &plans[i];
		if (best == NULL)
			break;
		if ((r = fetch_batch(best, &got)) == ENOSPC)
			break;
		/* A failed batch is logged by the reader that needs it; next round. */
		r = 0;
		*fetched_r += got;
	}
	for (i = 0; i < n; i++)
		plan_clear(&plans[i]);
	free(plans);
	return r;
}

static void *
fetchall_main(void *arg)
{
	uint64_t sig, done_sig = 0, fetched;
	size_t left;
	int done = 0, r;

	(void)arg;
	while (!stopping()) {
		if (online_offline()) {
			set_state(FA_PAUSED);
			sleep_ms(IDLE_MS);
			continue;
		}
		sig = signature();
		if (done && sig == done_sig) {
			set_state(FA_DONE);
			sleep_ms(IDLE_MS);
			continue;
		}
		set_state(FA_RUNNING);
		r = fetch_round(&left, &fetched);
		if (r == ENOSPC) {
			set_state(FA_FULL);
			log_msg(LOG_INFO, "prefetch=all: stopped, the store is near "
			    "cache_size (%llu of %llu bytes)", (unsigned long long)cache_bytes(),
			    (unsigned long long)fs.opts->cache_size);
			break;
		}
		if (r == EHOSTDOWN || r == ECANCELED)
			continue;	/* offline or stopping: seen above */
		if (r != 0)
			sleep_ms(RETRY_MS);	/* out of memory: not at once again */
		else if (left == 0) {
			if (!done)
				log_msg(LOG_INFO, "prefetch=all: every message is in the store");
			done = 1;
			done_sig = sig;
		} else if (fetched == 0)
			sleep_ms(RETRY_MS);	/* what is left failed: not at once again */
	}
	return NULL;
}

int
fetchall_start(void)
{
	int r;

	pthread_mutex_lock(&fetchall_lock);
	if (fa_started || fa_stopping) {
		pthread_mutex_unlock(&fetchall_lock);
		return 0;
	}
	fa_state = FA_RUNNING;
	if ((r = pthread_create(&fetchall_thread, NULL, fetchall_main, NULL)) == 0)
		fa_started = 1;
	else
		fa_state = FA_OFF;
	pthread_mutex_unlock(&fetchall_lock);
	return r;
}

void
fetchall_stop(void)
{
	int join;

	pthread_mutex_lock(&fetchall_lock);
	fa_stopping = 1;
	join = fa_started;
	fa_started = 0;
	pthread_mutex_unlock(&fetchall_lock);
	if (join)
		pthread_join(fetchall_thread, NULL);
}

const char *
fetchall_state(void)
{
	enum fa_state st;

	pthread_mutex_lock(&fetchall_lock);
	st = fa_state;
	pthread_mutex_unlock(&fetchall_lock);
	return state_names[st];
}
