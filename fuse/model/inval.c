/*
 * The kernel notifications (see inval.h and fs.h).  Before the mount
 * (fs.se NULL) nothing is sent; after inval_stop() what is queued is
 * dropped: nobody is left to tell.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "inval.h"
#include "log.h"

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
			return ENOMEM;
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

int
inval_start(void)
{
	int r;

	if ((r = pthread_create(&notify_thread, NULL, notify_main, NULL)) != 0)
		return r;
	notify_running = 1;
	return 0;
}

void
inval_stop(void)
{
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
}
