/*
 * The offline queue: changes accepted while the source cannot be reached,
 * kept in the store's journal (journal.h) and made on the source later,
 * in the order they were accepted.  queue.c accepts them and lays them
 * over what the mount shows; replay.c makes them on the source.
 *
 * When a change is queued.  While offline (online_offline()); when the
 * backend answered EHOSTDOWN for it (nothing was sent); and while the
 * journal holds changes not yet replayed, so that a change never
 * overtakes one queued before it.  Otherwise a change goes to the source
 * as before and is acknowledged only after the source's OK: a change of
 * one command needs no journal, since the backend recovers a lost answer
 * before it returns (backend.h), and a kill -9 before the OK loses only
 * a change the caller was never told was made; so it costs no fdatasync
 * (about 200 us here).  A change of more than one command on the source
 * is journaled online too, journal_add() before the first command and
 * journal_done() after the last (queue_begin(), queue_end()): a new file
 * that replaces a message (an editor's save: APPEND, then the expunge of
 * the old one) and a move where the source lacks BE_CAN_MOVE (COPY, then
 * the expunge).  A kill -9 between the commands leaves the change pending,
 * and the next mount finishes it; the backend's recovery (an expunge of
 * a message already gone is done; a move of a message no longer there is
 * dropped) keeps it from being made twice.
 *
 * What the mount shows.  The source's state with the pending changes laid
 * over it, whenever a listing is loaded, restored from the store or
 * synced (queue_overlay_folder_locked()) and whenever the folder tree is
 * listed or restored (queue_overlay_list()): rm hides the message, a flag
 * change shows the new flags, mv hides it in its folder (and shows it
 * in the destination, read-only, when the store holds its body:
 * pending.h), a new file stays in its folder as the staged file it is
 * (stage.h), mkdir shows an empty folder, rmdir takes it away, a rename
 * moves it.  So a refresh, or a new mount after a kill
 * -9, never shows a pending change undone.
 *
 * Conflict rules (mailfs(1), OFFLINE CHANGES), each logged when it
 * applies: see replay.c.
 *
 * Owns: the count of changes in flight online (journaled, being made by
 * their own thread, not to be replayed by another), under queue_lock, a
 * leaf of fs.h's order.  Replay runs on one thread, the refresh thread.
 */
#ifndef MAILFS_FUSE_QUEUE_H
#define MAILFS_FUSE_QUEUE_H

#include <stdint.h>

#include "fs.h"

struct folder;
struct journal_change;
struct list_item;
struct list_result;
struct node;

/* 1 when a change must be queued now rather than sent. */
int queue_wanted(void);

/* 1 for a backend error that says nothing was sent: the source is out of reach. */
int queue_unreachable(int r);

/*
 * Accepting a change, for the model's callers (mutate.c, dirs.c, stage.c,
 * vfs/xattr.c): each adds it to the journal (0 once it is on disk), then
 * shows it in the model.  0 or an errno, with nothing queued.
 */
int queue_unlink(struct node *dir, uint32_t uid);
/*
 * c as it is (what: for the log): 0 once on disk; online, the refresh
 * thread is woken to replay it (queue_replay()).
 */
int queue_add(struct journal_change *c, const char *what);
int queue_move(struct node *src, uint32_t uid, struct node *dst, const char *newname);
int queue_flags(struct node *dir, uint32_t uid, const char *flags);
/*
 * mkdir, rmdir and rename of folders: journaled only; the caller (dirs.c)
 * changes the tree as after the source's OK.
 */
int queue_mkdir(const char *mailbox, char delim);
int queue_rmdir(const char *mailbox, char delim);
int queue_rename_dir(const char *from, const char *to, char delim);
/* Fills it as a folder made offline is listed: empty (name and delim are the caller's). */
void queue_made_folder(struct list_item *it);

/*
 * A change of several commands made online: journaled before the first
 * (queue_begin(): 0 or journal_add()'s errno) and marked after the last
 * (queue_end(), made: journal_done(); not made: still pending, replayed).
 */
int queue_begin(struct journal_change *c);
void queue_end(const struct journal_change *c, int made);
/* 1 when change seq is being made online by its own thread (the replay skips it). */
int queue_in_flight(uint64_t seq);

/*
 * The pending changes laid over the folder list lr (the source's, or the
 * one saved): folders made, removed and renamed.
 */
void queue_overlay_list(struct list_result *lr);

/*
 * The pending changes laid over f's listing of generation uidvalidity
 * (mailbox: its name); needs f->lock.  What the kernel must forget goes
 * to inv (may be NULL), under dir and gen.
 */
void queue_overlay_folder_locked(struct folder *f, const char *mailbox,
    uint32_t uidvalidity, fuse_ino_t dir, uint32_t gen, struct inval_list *inv);

/*
 * replay.c: makes the pending changes on the source, in order, each
 * marked done (or dropped by a rule) as it goes; stops at the first that
 * fails for want of the source.  For the refresh thread only, before
 * its refresh.  Returns the number replayed or dropped.
 */
size_t queue_replay(void);

/* The node of the folder mailbox, referenced, or NULL. */
struct node *queue_find_folder(const char *mailbox);

#endif
