/*
 * Changes of messages on the server: rm and mv, each ordered so that a
 * message exists at least once on the server at every moment and a retry
 * never duplicates one; and what every change shares: a folder found and
 * loaded for it (fctx), its sync_locks taken in order.  Every function
 * returns 0 or an errno; the backend has logged a failure of the server
 * with its text.  The
 * folders' own changes are dirs.h's, the forward table of moved
 * messages forward.h's (both included here for the callers).
 */
#ifndef MAILFS_FUSE_MUTATE_H
#define MAILFS_FUSE_MUTATE_H

#include <stdint.h>

#include "dirs.h"
#include "forward.h"
#include "fs.h"

struct node;
struct folder;

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

/* rm: expunges the message, or moves it to \Trash (-o delete=trash). */
int mutate_unlink(struct node *dir, uint32_t uid);

/*
 * mv of a message: within a folder only its name changes; to another
 * folder the backend's move() (IMAP: UID MOVE, or UID COPY, then \Deleted
 * and UID EXPUNGE of the source).  newname ("": its UID's name in dst) is what dst calls it; a
 * name another message of dst holds is refused with EEXIST: mv never
 * expunges a message the user did not name for removal.
 */
int mutate_rename_msg(struct node *src, uint32_t uid, struct node *dst,
    const char *newname);

#endif
