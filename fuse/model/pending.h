/*
 * Moves shown in their destination before they are made.  A message
 * moved to another folder while the move is queued (queue.h) is hidden
 * in its folder at once; this module shows it at once in the destination
 * too, under the name the user gave, as a placeholder: an entry of the
 * staged files' table (staged.h, s->placeholder) whose bytes are a copy
 * of the message's body as the store holds it (cache.h), so that lookup,
 * readdir, getattr and read work as for a new file.
 *
 * Promises:
 *	- a placeholder shows only the message's own bytes: when the store
 *	  does not hold the body it has none (fd -1, staged.h absent_size
 *	  and absent_date for its attributes) and its reads fail with
 *	  ONLINE_ERRNO, as the message's would in its folder; when the body
 *	  cannot be copied, none is shown and the destination shows the
 *	  message after the replay;
 *	  one moved with no name of the user's (a delete=trash move whose
 *	  name was taken in the Trash: the server's UID names it) shows none
 *	  either;
 *	- it is never uploaded (stage.c skips it: it is queued and never
 *	  due) and never changed: write, truncate, times, rm, mv, a rename
 *	  over it and setfattr fail with EBUSY (pending_refuse()); reads work;
 *	- its copy is made in the store's staging/ and unlinked at once, so
 *	  that it is no file of the journal's (journal_holds_file()) and
 *	  goes with its last descriptor: at its removal, at unmount, and
 *	  after a kill -9, with nothing left behind;
 *	- it goes when the replay has made or dropped its move (the kernel
 *	  told of its name and inode) before the refresh shows the message.
 *
 * Owns no lock: the placeholders live in staged.h's table, under its
 * lock; copying a body takes cache_lock (cache_open()) with no other
 * lock held.
 */
#ifndef MAILFS_FUSE_PENDING_H
#define MAILFS_FUSE_PENDING_H

#include "staged.h"

struct journal_change;
struct node;

/*
 * Shows the move c (JOURNAL_MOVE, journaled) in its destination dst
 * when the store holds the body; logs why not otherwise (debug).
 */
void pending_show(const struct journal_change *c, struct node *dst);

/* At mount: pending_show() for every pending move (its folder found by name). */
void pending_restore(void);

/*
 * The replay made or dropped the move c: its placeholder goes, and the
 * kernel is told now (its caller is no handler: the refresh thread).
 */
void pending_done(const struct journal_change *c);

/*
 * The error of a change refused to s, read-only as a queued change's
 * (EPERM) or as a placeholder (EBUSY, with a debug line naming what).
 * Needs staged_lock() or s->upload_lock (s's name goes to the log).
 */
int pending_refuse(const struct staged *s, const char *what);

/* EBUSY when dir/name is a placeholder (a rename over it is refused), else 0. */
int pending_over(fuse_ino_t dir, const char *name);

#endif
