/*
 * The forward table of moved messages (see forward.h).
 */
#include <pthread.h>
#include <stdlib.h>

#include <uthash.h>

#include "forward.h"

#define FORWARD_MAX	65536	/* moved messages remembered for stale dentries */

struct forward {
	fuse_ino_t from;
	fuse_ino_t to;
	UT_hash_handle hh;
};

static pthread_mutex_t forward_lock = PTHREAD_MUTEX_INITIALIZER;
static struct forward *forwards;

void
forward_add(fuse_ino_t from, fuse_ino_t to)
{
	struct forward *f, *tmp;

	pthread_mutex_lock(&forward_lock);
	if (HASH_COUNT(forwards) >= FORWARD_MAX)
		HASH_ITER(hh, forwards, f, tmp) {
			HASH_DEL(forwards, f);
			free(f);
		}
	HASH_FIND(hh, forwards, &from, sizeof(from), f);
	if (f == NULL && (f = calloc(1, sizeof(*f))) != NULL) {
		f->from = from;
		HASH_ADD(hh, forwards, from, sizeof(f->from), f);
	}
	if (f != NULL)
		f->to = to;
	pthread_mutex_unlock(&forward_lock);
}

fuse_ino_t
mutate_forward(fuse_ino_t ino)
{
	struct forward *f;
	fuse_ino_t to = 0;
	int hops;

	pthread_mutex_lock(&forward_lock);
	/* A message moved on and on: follow a few hops. */
	for (hops = 0; hops < 8; hops++) {
		HASH_FIND(hh, forwards, &ino, sizeof(ino), f);
		if (f == NULL)
			break;
		ino = to = f->to;
	}
	pthread_mutex_unlock(&forward_lock);
	return to;
}

void
mutate_destroy(void)
{
	struct forward *f, *tmp;

	pthread_mutex_lock(&forward_lock);
	HASH_ITER(hh, forwards, f, tmp) {
		HASH_DEL(forwards, f);
		free(f);
	}
	pthread_mutex_unlock(&forward_lock);
}
