/*
 * The open message bodies (see bodies.h): a hash by inode number and a
 * list from the least recently used to the most, both under one mutex.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include <uthash.h>
#include <utlist.h>

#include "bodies.h"

struct body {
	fuse_ino_t ino;
	int fd;
	uint64_t offset;
	uint64_t size;
	unsigned refs;		/* reads using it */
	int hashed;		/* in the table (else closed at the last put) */
	UT_hash_handle hh;
	struct body *prev, *next;	/* the LRU list, oldest first */
};

static pthread_mutex_t bodies_lock = PTHREAD_MUTEX_INITIALIZER;
static struct body *by_ino;
static struct body *lru;
static unsigned count;

static void
fill(struct body *b, struct body_ref *ref)
{
	b->refs++;
	ref->b = b;
	ref->fd = b->fd;
	ref->offset = b->offset;
	ref->size = b->size;
}

/* Takes b out of the table; returns it when nothing uses it, for the caller to free unlocked. */
static struct body *
unhash_locked(struct body *b)
{
	HASH_DELETE(hh, by_ino, b);
	DL_DELETE(lru, b);
	b->hashed = 0;
	count--;
	return b->refs == 0 ? b : NULL;
}

static void
body_free(struct body *b)
{
	if (b == NULL)
		return;
	close(b->fd);
	free(b);
}

int
body_find(fuse_ino_t ino, struct body_ref *ref)
{
	struct body *b;

	pthread_mutex_lock(&bodies_lock);
	HASH_FIND(hh, by_ino, &ino, sizeof(ino), b);
	if (b != NULL) {
		DL_DELETE(lru, b);
		DL_APPEND(lru, b);
		fill(b, ref);
	}
	pthread_mutex_unlock(&bodies_lock);
	return b != NULL ? 0 : ENOENT;
}

int
body_add(fuse_ino_t ino, int fd, uint64_t offset, uint64_t size, struct body_ref *ref)
{
	struct body *b, *old, *dead = NULL;

	if ((b = calloc(1, sizeof(*b))) == NULL) {
		close(fd);
		return ENOMEM;
	}
	b->ino = ino;
	b->fd = fd;
	b->offset = offset;
	b->size = size;
	pthread_mutex_lock(&bodies_lock);
	HASH_FIND(hh, by_ino, &ino, sizeof(ino), old);
	if (old != NULL) {
		/* Two first reads at once: the other's is as good. */
		dead = b;
		b = old;
		DL_DELETE(lru, b);
		DL_APPEND(lru, b);
	} else {
		if (count >= BODIES_MAX)
			dead = unhash_locked(lru);
		b->hashed = 1;
		HASH_ADD(hh, by_ino, ino, sizeof(b->ino), b);
		DL_APPEND(lru, b);
		count++;
	}
	fill(b, ref);
	pthread_mutex_unlock(&bodies_lock);
	body_free(dead);
	return 0;
}

void
body_put(struct body_ref *ref)
{
	struct body *b = ref->b, *dead = NULL;

	if (b == NULL)
		return;
	pthread_mutex_lock(&bodies_lock);
	if (--b->refs == 0 && !b->hashed)
		dead = b;
	pthread_mutex_unlock(&bodies_lock);
	body_free(dead);
	ref->b = NULL;
	ref->fd = -1;
}

void
body_drop(fuse_ino_t ino)
{
	struct body *b, *dead = NULL;

	pthread_mutex_lock(&bodies_lock);
	HASH_FIND(hh, by_ino, &ino, sizeof(ino), b);
	if (b != NULL)
		dead = unhash_locked(b);
	pthread_mutex_unlock(&bodies_lock);
	body_free(dead);
}

void
bodies_destroy(void)
{
	struct body *b, *tmp, *dead;

	pthread_mutex_lock(&bodies_lock);
	HASH_ITER(hh, by_ino, b, tmp) {
		dead = unhash_locked(b);
		body_free(dead);
	}
	pthread_mutex_unlock(&bodies_lock);
}
