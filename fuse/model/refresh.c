/*
 * The refresh thread (see refresh.h).  It waits for the source to tell
 * of a change (backend_wait_changes(): push), at most the refresh
 * interval, or sleeps the interval where the source cannot tell.  The
 * folder list comes from
 * backend_list() (with each folder's status where the source gives it),
 * each folder's delta from folder_sync(); what the kernel must forget
 * goes out through inval.h.
 *
 * Owns the thread and refresh_lock, which guards its stop flag and the
 * queued inodes: a leaf (fs.h), nothing is taken under it, and it is not
 * held while the backend or the kernel is asked.  A folder's sync takes
 * its own locks (folder.h) one folder at a time.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backend.h"
#include "deadline.h"
#include "folder.h"
#include "inval.h"
#include "journal.h"
#include "log.h"
#include "online.h"
#include "queue.h"
#include "refresh.h"
#include "stage.h"

/*
 * The shortest time between the end of a refresh and the start of the
 * next that a push caused: at most five refreshes a second.
 */
#define PUSH_GAP_MS	200
/* A refresh a push caused is confirmed by one more this long after. */
#define CONFIRM_MS	1000

static pthread_t refresh_thread;
static int refresh_running;
static int refresh_stopping;
static int refresh_kicked;	/* changes are queued to replay: refresh now */
static unsigned refresh_interval;
static pthread_mutex_t refresh_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t refresh_cond = PTHREAD_COND_INITIALIZER;
static fuse_ino_t *queued;
static size_t nqueued;
static size_t capqueued;

static int
stopping(void)
{
	int r;

	pthread_mutex_lock(&refresh_lock);
	r = refresh_stopping;
	pthread_mutex_unlock(&refresh_lock);
	return r;
}

static void
refresh_once(void)
{
	struct list_result lr = { 0 };
	struct inval_list inv = { 0 };
	struct node **folders;
	size_t n, i;
	unsigned stamp;
	int loaded;
	char *mailbox;

	/* The changes queued while offline first: the refresh then shows them made. */
	if (journal_pending_count() > 0 && !online_offline())
		(void)queue_replay();
	stamp = tree_stamp();
	/*
	 * Each step has -o timeout, as a request has: a refresh holds a
	 * folder's sync_lock, which rm and mv wait for.
	 */
	deadline_begin();
	/* The backend logs a failure; the next refresh tries again. */
	if (backend_list(fs.backend, &lr) != 0) {
		deadline_end();
		list_result_clear(&lr);
		return;
	}
	queue_overlay_list(&lr);
	/* A folder this mount made or removed meanwhile: that LIST is stale. */
	if (!tree_apply_list_since(&lr, &inv, stamp))
		log_msg(LOG_DEBUG, "the folder list changed during LIST; applied next time");

	n = tree_folders(&folders);
	for (i = 0; i < n && !stopping(); i++) {
		pthread_mutex_lock(&folders[i]->folder->lock);
		loaded = folders[i]->folder->loaded;
		pthread_mutex_unlock(&folders[i]->folder->lock);
		if (!loaded)
			continue;	/* the kernel never looked: nothing to keep current */
		tree_rdlock();
		mailbox = folders[i]->mailbox != NULL ? strdup(folders[i]->mailbox) : NULL;
		tree_unlock();
		if (mailbox == NULL)
			continue;
		deadline_begin();
		(void)folder_sync(folders[i], list_result_find(&lr, mailbox), &inv);
		free(mailbox);
	}
	deadline_end();
	tree_put_all(folders, n);
	list_result_clear(&lr);

	pthread_mutex_lock(&refresh_lock);
	for (i = 0; i < nqueued; i++)
		inval_add(&inv, INVAL_INODE, 0, queued[i], "");
	nqueued = 0;
	pthread_mutex_unlock(&refresh_lock);

	inval_send(&inv);
	inval_clear(&inv);
}

/*
 * Sleeps ms on refresh_cond (refresh_lock held): returns when the time
 * is up or the thread is stopping.
 */
static void
sleep_locked(unsigned ms)
{
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += ms / 1000;
	until.tv_nsec += (long)(ms % 1000) * 1000000;
	if (until.tv_nsec >= 1000000000) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000;
	}
	while (!refresh_stopping && !refresh_kicked &&
	    pthread_cond_timedwait(&refresh_cond, &refresh_lock, &until) != ETIMEDOUT)
		;
}

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/*
 * Waits for the next refresh (refresh_lock held, and given up while the
 * source is asked): a change the source told of, else the interval.
 * *push is cleared for good when the source cannot tell.  After a
 * failure of the push the refresh comes at once (a change may have gone
 * untold); after more in a row, the interval is slept as without push,
 * and push is tried again after it.
 *
 * *confirm: the last refresh was one a push caused.  The server may tell
 * of a change before its other sessions, the pool's, show it (Dovecot's
 * list index is read again only when its file looks changed): one more
 * refresh follows CONFIRM_MS after the last change told, whatever
 * comes, so that the mount never keeps showing what the push told of as
 * gone.
 */
static void
wait_next(int *push, int *failed, int *confirm)
{
	unsigned ms = refresh_interval * 1000;
	uint64_t t0;
	int r;

	if (*push) {
		/*
		 * However fast changes come (this mount's own rm -r tells
		 * the push connection of each message), a refresh starts at
		 * most every PUSH_GAP_MS: what came meanwhile is one refresh.
		 */
		sleep_locked(PUSH_GAP_MS);
		if (refresh_stopping)
			return;
		if (*confirm && ms > CONFIRM_MS)
			ms = CONFIRM_MS;
		t0 = now_ms();
		pthread_mutex_unlock(&refresh_lock);
		r = backend_wait_changes(fs.backend, ms);
		pthread_mutex_lock(&refresh_lock);
		if (r == 0) {
			/* Before its time: a change was told. */
			*confirm = now_ms() - t0 < ms;
			*failed = 0;
			return;
		}
		*confirm = 0;
		if (r == EPERM)
			*push = 0;
		else if (++*failed == 1)
			return;
	}
	sleep_locked(refresh_interval * 1000);
}

static void *
refresh_main(void *arg)
{
	int push = 1, failed = 0, confirm = 0;

	(void)arg;
	pthread_mutex_lock(&refresh_lock);
	while (!refresh_stopping) {
		if (!refresh_kicked)
			wait_next(&push, &failed, &confirm);
		if (refresh_stopping)
			break;
		refresh_kicked = 0;
		pthread_mutex_unlock(&refresh_lock);
		refresh_once();
		pthread_mutex_lock(&refresh_lock);
	}
	pthread_mutex_unlock(&refresh_lock);
	return NULL;
}

int
refresh_start(unsigned interval_s)
{
	int r;

	refresh_interval = interval_s;
	/* New files an earlier mount queued show in their folders; replayed first thing. */
	stage_restore_queued();
	refresh_kicked = journal_pending_count() > 0;
	online_set_hook(refresh_kick);
	if ((r = inval_start()) != 0)
		return r;
	if ((r = pthread_create(&refresh_thread, NULL, refresh_main, NULL)) != 0) {
		refresh_stop();
		return r;
	}
	refresh_running = 1;
	return 0;
}

void
refresh_kick(void)
{
	pthread_mutex_lock(&refresh_lock);
	refresh_kicked = 1;
	pthread_cond_broadcast(&refresh_cond);
	pthread_mutex_unlock(&refresh_lock);
}

void
refresh_stop(void)
{
	online_set_hook(NULL);
	pthread_mutex_lock(&refresh_lock);
	refresh_stopping = 1;
	pthread_cond_broadcast(&refresh_cond);
	pthread_mutex_unlock(&refresh_lock);
	inval_stop();
	if (!refresh_running)
		return;
	pthread_join(refresh_thread, NULL);
	refresh_running = 0;
	free(queued);
	queued = NULL;
	nqueued = capqueued = 0;
}

void
refresh_queue_inode(fuse_ino_t ino)
{
	fuse_ino_t *tmp;
	size_t cap;

	pthread_mutex_lock(&refresh_lock);
	if (nqueued == capqueued) {
		cap = capqueued == 0 ? 16 : capqueued * 2;
		if ((tmp = realloc(queued, cap * sizeof(*tmp))) == NULL) {
			pthread_mutex_unlock(&refresh_lock);
			return;
		}
		queued = tmp;
		capqueued = cap;
	}
	queued[nqueued++] = ino;
	pthread_mutex_unlock(&refresh_lock);
}
