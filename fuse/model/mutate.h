/*
 * Changes on the server: rm, mv, mkdir, rmdir and the rename of folders,
 * each ordered so that a message exists at least once on the server at
 * every moment and a retry never duplicates one.  Every function returns
 * 0 or an errno and logs a failure with the server's text.
 */
#ifndef MAILFS_FUSE_MUTATE_H
#define MAILFS_FUSE_MUTATE_H

#include <stdint.h>

#include <mailfs/client.h>

#include "fs.h"

struct node;
struct folder;
struct pool_conn;

/* A folder that an operation works on, found and loaded by fctx_get(). */
struct fctx {
	struct node *n;			/* referenced */
	struct folder *f;
	char *mailbox;
	uint32_t uidvalidity;		/* as last listed */
};

/*
 * The selectable folder of directory node n, its messages loaded once.
 * EPERM when n holds no messages (the root, a \Noselect level).
 */
int fctx_get(struct node *n, struct fctx *fc);
void fctx_clear(struct fctx *fc);

/* Locks the folders' sync_locks in the order fs.h says; b may be a or NULL. */
void sync_lock2(struct folder *a, struct folder *b);
/*
 * The same, waiting at most until the operation's deadline (a refresh or
 * another change may hold a lock while the server does not answer): 0,
 * or ETIMEDOUT with neither held.
 */
int sync_lock2_op(struct folder *a, struct folder *b);
void sync_unlock2(struct folder *a, struct folder *b);

/*
 * Finds a message that an APPEND, MOVE or COPY whose answer was lost may
 * have made in the selected mailbox: the highest UID >= from of that
 * size (RFC822.SIZE), with that INTERNALDATE when date >= 0, and with
 * that Message-ID when msgid is not NULL.  0 with *uid_r (0: none), or
 * -1 (the client's error).
 */
int mutate_find(struct mailfs_client *c, uint32_t from, uint64_t size, int64_t date,
    const char *msgid, uint32_t *uid_r);

/*
 * A connection to mailbox (NULL: any) from the pool, trying again when
 * the one it gave was dropped by the server meanwhile.  0 or an errno
 * (logged).
 */
int mutate_conn(const char *mailbox, struct pool_conn **pc_r);

/* 1 when a failure on c means the connection is gone (the answer may be lost). */
int mutate_lost(struct mailfs_client *c, const struct mailfs_error *err);

/*
 * Runs fn (0, or -1 with the client's error) on a connection to mailbox
 * (NULL: any), and again on a new one, up to three times, when the one the
 * pool gave turns out to be dead: how an operation whose answer was lost
 * asks what happened.  0 or an errno.
 */
int mutate_ask(const char *mailbox, int (*fn)(struct mailfs_client *, void *), void *ctx);

/* mutate_find() in mailbox through mutate_ask(); also its UIDVALIDITY.  0 or an errno. */
int mutate_find_in(const char *mailbox, uint32_t from, uint64_t size, int64_t date,
    const char *msgid, uint32_t *uid_r, uint32_t *uidvalidity_r);

/*
 * UID STORE uid +FLAGS.SILENT (\Deleted) and UID EXPUNGE uid, pipelined,
 * on *pcp (mailbox selected); on a dropped connection, once more on a
 * new one (both are idempotent).  *pcp may be replaced (or NULL on failure).
 * Refuses with EPERM when the server lacks UIDPLUS.
 */
int mutate_expunge(struct pool_conn **pcp, const char *mailbox, uint32_t uid);

/* rm: expunges the message, or moves it to \Trash (-o delete=trash). */
int mutate_unlink(struct node *dir, uint32_t uid);

/*
 * mv of a message: within a folder only its name changes; to another
 * folder UID MOVE (or UID COPY, then \Deleted and UID EXPUNGE of the
 * source).  newname ("": its UID's name in dst) is what dst calls it; a
 * name another message of dst holds is refused with EEXIST: mv never
 * expunges a message the user did not name for removal.
 */
int mutate_rename_msg(struct node *src, uint32_t uid, struct node *dst,
    const char *newname);

/* mkdir: CREATE; *ino_r is the new directory (its lookup counted). */
int mutate_mkdir(struct node *parent, const char *name, fuse_ino_t *ino_r);

/* rmdir: DELETE of a folder with no messages and no children; else ENOTEMPTY. */
int mutate_rmdir(struct node *parent, const char *name);

/* mv of a directory: RENAME. */
int mutate_rename_dir(struct node *parent, const char *name, struct node *newparent,
    const char *newname);

/*
 * The inode number a message moved by this mount now has, for an inode
 * number the kernel may still hold (a dentry that rename moved); 0 when
 * there is none.
 */
fuse_ino_t mutate_forward(fuse_ino_t ino);

void mutate_destroy(void);

#endif
