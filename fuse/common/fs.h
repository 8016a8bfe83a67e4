/*
 * The daemon's shared state: one mount, one account.  Each module owns
 * its part (inode.c the tree, folder.c the message lists, pool.c the
 * connections, cache.c the bytes, inval.c the kernel notifications).
 *
 * Lock order (outermost first); no lock is held while waiting for the
 * kernel, and only a staged file's upload_lock, folder->sync_lock and a
 * pool connection are held across a round trip to the server:
 *	staged->upload_lock  >  folder->sync_lock (of two folders: the one
 *	at the lower address first)  >  pool connection  >  tree_lock  >
 *	folder->lock  >  count_lock (inode.c), staged_lock (staged.h), cache lock,
 *	prefetch_lock, refresh queue lock, pool_lock (these last are
 *	leaves: nothing is taken under them)
 * A wait for folder->sync_lock, a pool connection or another thread's
 * fetch ends at the operation's deadline (deadline.h).
 */
#ifndef MAILFS_FUSE_FS_H
#define MAILFS_FUSE_FS_H

#define FUSE_USE_VERSION 34
#include <fuse_lowlevel.h>

#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "names.h"

struct backend;
struct options;

struct fs {
	const struct options *opts;
	struct backend *backend;	/* the account's mail source (backend.h) */
	struct fuse_session *se;
	uid_t uid;
	gid_t gid;
	time_t mounted_at;
	double dir_timeout;		/* entry and attribute timeout of folders */
	double msg_timeout;		/* of messages, which never change */
};

extern struct fs fs;

/* Kernel cache invalidations, collected under locks and sent after. */
enum inval_kind {
	INVAL_ENTRY,		/* parent/name: a name appeared or its target changed */
	INVAL_DELETE,		/* parent/name is gone, and with it child */
	INVAL_INODE		/* child's attributes or data changed */
};

struct inval {
	enum inval_kind kind;
	fuse_ino_t parent;
	fuse_ino_t child;
	char name[NAMES_COMPONENT_MAX + 1];
};

struct inval_list {
	struct inval *v;
	size_t n;
	size_t cap;
};

/* Adds a notification to l: 0, or ENOMEM (then the kernel may show stale entries until they time out). */
int inval_add(struct inval_list *l, enum inval_kind kind, fuse_ino_t parent,
    fuse_ino_t child, const char *name);
void inval_send(struct inval_list *l);
void inval_clear(struct inval_list *l);
/*
 * Hands l's entries to the notifier thread, which sends them soon: for
 * handlers that must not notify the kernel about a directory it holds
 * locked for them (mkdir, rename, ...).  l is left empty.
 */
void inval_send_later(struct inval_list *l);

/* A message's inode number: its folder generation in the high half, its UID in the low. */
static inline fuse_ino_t
msg_ino(uint32_t gen, uint32_t uid)
{
	return ((fuse_ino_t)gen << 32) | uid;
}

static inline uint32_t
ino_gen(fuse_ino_t ino)
{
	return (uint32_t)(ino >> 32);
}

/*
 * Staged new files (stage.h) have inode numbers of this reserved
 * generation, which no folder is given, and a counter in the low half.
 */
#define STAGE_GEN	0xffffffffu

static inline int
ino_is_staged(fuse_ino_t ino)
{
	return ino_gen(ino) == STAGE_GEN;
}

static inline int
ino_is_msg(fuse_ino_t ino)
{
	return ino_gen(ino) != 0 && ino_gen(ino) != STAGE_GEN;
}

#endif
