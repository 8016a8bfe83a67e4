/*
 * The refresh thread (see refresh.h) and the kernel notifications.  The
 * folder list comes from backend_list() (with each folder's status where
 * the source gives it), each folder's delta from folder_sync().
 *
 * refresh_lock guards the thread's stop flag and the queued inodes;
 * notify_lock the notifier's queue.  Both are leaves (fs.h): nothing is
 * taken under them, and neither is held while the backend or the kernel
 * is asked.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backend.h"
#include "deadline.h"
#include "folder.h"
#include "log.h"
#include "refresh.h"

static pthread_t refresh_thread;
static int refresh_running;
static int refresh_stopping;
static unsigned refresh_interval;
static pthread_mutex_t refresh_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t refresh_cond = PTHREAD_COND_INITIALIZER;
static fuse_ino_t *queued;
static size_t nqueued;
static size_t capqueued;

/* The notifier: invalidations that handlers may not send themselves. */
static pthread_t notify_thread;
static int notify_running;
static int notify_stopping;
static pthread_mutex_t notify_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t notify_cond = PTHREAD_COND_INITIALIZER;
static struct inval_list notify_queue;

int
inval_add(struct inval_list *l, enum inval_kind kind, fuse_ino_t parent,
    fuse_ino_t child, const char *name)
{
	struct inval *tmp;
	size_t cap;

	if (l->n == l->cap) {
		cap = l->cap == 0 ? 32 : l->cap * 2;
		if ((tmp = realloc(l->v, cap * sizeof(*tmp))) == NULL)
			return -1;
		l->v = tmp;
		l->cap = cap;
	}
	l->v[l->n].kind = kind;
	l->v[l->n].parent = parent;
	l->v[l->n].child = child;
	strncpy(l->v[l->n].name, name, sizeof(l->v[l->n].name) - 1);
	l->v[l->n].name[sizeof(l->v[l->n].name) - 1] = '\0';
	l->n++;
	return 0;
}

void
inval_clear(struct inval_list *l)
{
	free(l->v);
	memset(l, 0, sizeof(*l));
}

void
inval_send(struct inval_list *l)
{
	struct inval *iv;
	size_t i;
	int r;

	if (fs.se == NULL)
		return;
	for (i = 0; i < l->n; i++) {
		iv = &l->v[i];
		switch (iv->kind) {
		case INVAL_ENTRY:
			r = fuse_lowlevel_notify_inval_entry(fs.se, iv->parent, iv->name,
			    strlen(iv->name));
			break;
		case INVAL_DELETE:
			r = fuse_lowlevel_notify_delete(fs.se, iv->parent, iv->child,
			    iv->name, strlen(iv->name));
			if (r != 0 && r != -ENOENT)
				r = fuse_lowlevel_notify_inval_entry(fs.se, iv->parent,
				    iv->name, strlen(iv->name));
			break;
		default:
			r = fuse_lowlevel_notify_inval_inode(fs.se, iv->child, 0, 0);
			break;
		}
		/* ENOENT: the kernel did not have it cached, which is fine. */
		if (r != 0 && r != -ENOENT)
			log_msg(LOG_DEBUG, "invalidating %s in %llu: %s", iv->name,
			    (unsigned long long)iv->parent, strerror(-r));
	}
}

void
inval_send_later(struct inval_list *l)
{
	size_t i;

	pthread_mutex_lock(&notify_lock);
	if (notify_running)
		for (i = 0; i < l->n; i++)
			inval_add(&notify_queue, l->v[i].kind, l->v[i].parent,
			    l->v[i].child, l->v[i].name);
	pthread_cond_signal(&notify_cond);
	pthread_mutex_unlock(&notify_lock);
	l->n = 0;
}

static void *
notify_main(void *arg)
{
	struct inval_list mine = { 0 };

	(void)arg;
	pthread_mutex_lock(&notify_lock);
	for (;;) {
		while (notify_queue.n == 0 && !notify_stopping)
			pthread_cond_wait(&notify_cond, &notify_lock);
		if (notify_queue.n == 0)
			break;
		mine = notify_queue;
		memset(&notify_queue, 0, sizeof(notify_queue));
		pthread_mutex_unlock(&notify_lock);
		/* Blocks until the handler that queued these has replied. */
		inval_send(&mine);
		inval_clear(&mine);
		pthread_mutex_lock(&notify_lock);
	}
	pthread_mutex_unlock(&notify_lock);
	return NULL;
}

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
	/* A folder this mount made or removed meanwhile: that LIST is stale. */
	if (tree_apply_list_since(&lr, &inv, stamp) == -1)
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

static void *
refresh_main(void *arg)
{
	struct timespec until;

	(void)arg;
	pthread_mutex_lock(&refresh_lock);
	while (!refresh_stopping) {
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += refresh_interval;
		while (!refresh_stopping &&
		    pthread_cond_timedwait(&refresh_cond, &refresh_lock, &until) != ETIMEDOUT)
			;
		if (refresh_stopping)
			break;
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
	refresh_interval = interval_s;
	if (pthread_create(&notify_thread, NULL, notify_main, NULL) != 0)
		return -1;
	notify_running = 1;
	if (pthread_create(&refresh_thread, NULL, refresh_main, NULL) != 0) {
		refresh_stop();
		return -1;
	}
	refresh_running = 1;
	return 0;
}

void
refresh_stop(void)
{
	pthread_mutex_lock(&refresh_lock);
	refresh_stopping = 1;
	pthread_cond_broadcast(&refresh_cond);
	pthread_mutex_unlock(&refresh_lock);
	if (notify_running) {
		pthread_mutex_lock(&notify_lock);
		notify_queue.n = 0;	/* the session is over: nobody to tell */
		notify_stopping = 1;
		pthread_cond_broadcast(&notify_cond);
		pthread_mutex_unlock(&notify_lock);
		pthread_join(notify_thread, NULL);
		notify_running = 0;
		inval_clear(&notify_queue);
	}
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
