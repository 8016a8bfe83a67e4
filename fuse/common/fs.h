/*
 * The daemon's shared state: one mount, one account, one backend.
 * Each module owns its part behind its own functions and lock: inode.c
 * the tree, folder.c the message listings, alias.c the names, cache.c
 * the bytes, staged.c the new files, inval.c the kernel notifications,
 * backend/imap/pool.c the connections (backend/pop3/ a maildrop's
 * session and its UID map), online.c whether the server can
 * be reached, treecache.c the folder tree saved for a mount without it.
 *
 * Lock order, outermost first: a thread holding one lock takes only
 * locks further down the list.  No lock is held while waiting for the
 * kernel; only the first three are held across a round trip to the
 * server, and a wait for any of those ends at the operation's deadline
 * (deadline.h).
 *	1. staged->upload_lock (staged.h): one upload of a new file at a time
 *	2. folder->sync_lock (folder.h): one sync or change of a folder at
 *	   a time; of two folders, the one at the lower address first
 *	3. a backend folder (backend_open() to backend_close()): one
 *	   thread's pool connection (pool.c), waited for under pool_lock;
 *	   a POP3 maildrop's one session, session_lock (pop3/maildrop.c)
 *	4. tree_lock (inode.h: tree_rdlock(), tree_wrlock())
 *	5. folder->lock (folder.h): a listing and its names (alias.h)
 *	6. the leaves, under which nothing is taken:
 *	   count_lock (inode.c), staged_lock (staged.h), cache_lock
 *	   (pack.h: the store's index and claims), journal_lock (journal.h),
 *	   prefetch_lock (prefetch.c), fetchall_lock (fetchall.c),
 *	   notify_lock (inval.c),
 *	   refresh_lock (refresh.c), forward_lock (forward.c), statfs_lock
 *	   (statfs.c), bodies_lock (vfs/bodies.c), online_lock (online.h),
 *	   ready_lock (ready.h), rootfs_lock (multi/rootfs.h: the only lock
 *	   of the process at a mount of every account),
 *	   treecache_lock (treecache.c), queue_lock (model/queue.h),
 *	   outbox_lock (outbox.h), smtp_lock (submit_smtp.h: held across the
 *	   round trips of one SMTP send, with no other lock held), and in
 *	   the IMAP backend pool_lock and probe_lock (pool.c), ns_lock
 *	   (folderops.c) and lost_lock
 *	   (append.c)
 *
 * Inode numbers come from four places, which never overlap: folders
 * (inode.c) are 1 for the root and count up from 2, below 2^32; a message is its folder's
 * generation and UID (msg_ino() below), and a message moved by this
 * mount is forwarded from its old number to its new one (forward.h); a
 * staged new file is STAGE_GEN and a counter (staged.h); the Outbox and
 * its messages are OUTBOX_GEN and an id (outbox.h).
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
/*
 * The Outbox (outbox.h) likewise: its directory is OUTBOX_GEN and 0, a
 * message written into it OUTBOX_GEN and its id.
 */
#define OUTBOX_GEN	0xfffffffeu

static inline int
ino_is_staged(fuse_ino_t ino)
{
	return ino_gen(ino) == STAGE_GEN;
}

static inline int
ino_is_outbox(fuse_ino_t ino)
{
	return ino_gen(ino) == OUTBOX_GEN;
}

static inline int
ino_is_msg(fuse_ino_t ino)
{
	return ino_gen(ino) != 0 && ino_gen(ino) != STAGE_GEN && ino_gen(ino) != OUTBOX_GEN;
}

#endif
