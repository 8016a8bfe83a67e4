/*
 * The journal: changes accepted but not yet known to be made on the
 * source, kept on disk so that a change acknowledged to the caller
 * survives a kill -9 or a power cut and is made on the source exactly
 * once.  It is the file `journal` in the store's directory (cache.h),
 * 0600, written only by appending.
 *
 * A change is added (journal_add()) before the caller is told it is
 * done; journal_add() returns only when the record is on disk
 * (fdatasync).  When the change has been made on the source, or found
 * made (the backend's lost-answer recovery), or dropped by a conflict
 * rule, journal_done() marks it with a second record; that one is not
 * synced: a lost mark means the change is tried again, and every change
 * is written so that trying it again finds it made (an expunge of a
 * message already gone, an append whose Message-ID is already there).
 *
 * Records: a 32-byte header (magic, length, sequence number, type, kind,
 * CRC-32 of header and payload) and the change's fields.  At open a torn
 * or corrupt tail is cut off (it was never acknowledged: the add had not
 * returned), and the changes without a mark are the pending ones, in
 * the order they were added.  When nothing is pending the file is
 * emptied (at open, and at a mark once it passed JOURNAL_COMPACT bytes).
 *
 * Owns: the file and the pending changes, under journal_lock, a leaf of
 * fs.h's order (nothing is taken under it; the fdatasync happens
 * outside it, so that adds of several threads share one sync where the
 * kernel allows).  Sits in the store: it knows nothing of IMAP, the
 * model or the kernel; what a change means is the model's.
 */
#ifndef MAILFS_FUSE_JOURNAL_H
#define MAILFS_FUSE_JOURNAL_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Emptied once it is this long and nothing is pending. */
#define JOURNAL_COMPACT	(1024 * 1024)

/* The longest record payload: the strings below together with their lengths. */
#define JOURNAL_PAYLOAD_MAX	(64 * 1024)

enum journal_kind {
	JOURNAL_FLAGS = 1,	/* mailbox, uidvalidity, uid, mode, flags */
	JOURNAL_EXPUNGE,	/* mailbox, uidvalidity, uid (rm) */
	JOURNAL_MOVE,		/* mailbox, uidvalidity, uid -> mailbox2 as name; msgid, size, date */
	JOURNAL_APPEND,		/* a new file: mailbox, name, file (its bytes), flags, date,
				   msgid; uidvalidity, uid: the message it replaces (0: none) */
	JOURNAL_CREATE,		/* mkdir: mailbox, delim */
	JOURNAL_DELETE,		/* rmdir: mailbox, delim */
	JOURNAL_RENAME,		/* a folder: mailbox -> mailbox2, delim */
	JOURNAL_KIND_MAX
};

/*
 * One change.  Which fields mean something depends on kind (above);
 * the others are 0 or NULL.  Strings are NUL-terminated UTF-8.
 */
struct journal_change {
	uint64_t seq;		/* set by journal_add(): increasing, never one a pending change has */
	enum journal_kind kind;
	uint32_t uidvalidity;
	uint32_t uid;
	uint32_t size;		/* the message's, for what the mount shows meanwhile */
	int64_t date;		/* INTERNALDATE */
	int mode;		/* JOURNAL_FLAGS: enum be_flags_mode, or the model's difference (flagdiff.h) */
	char delim;		/* the folder hierarchy's delimiter; 0: flat */
	char *mailbox;
	char *mailbox2;
	char *name;		/* the file name the user gave */
	char *flags;		/* "\Seen $Label1" */
	char *msgid;		/* Message-ID, to find the message after a lost answer */
	char *file;		/* the path of a file in staging/ holding the bytes */
	time_t added;		/* when it was added, wall clock */
	/*
	 * It may have been sent to the source already: added so (a change
	 * made online at once), or journal_attempt() was called for it, in
	 * this process or before a restart.  A replay of such a change looks
	 * for it on the source before making it again.
	 */
	int attempted;
};

/*
 * Opens (creates) the journal in directory dir (the store's), cutting
 * a torn tail and reading what is pending: 0 or an errno, and why.
 * Called once, after the store's lock is held (cache_init()).
 */
int journal_open(const char *dir, char *why, size_t whylen);
void journal_close(void);

/*
 * Adds c (the caller's, unchanged but for c->seq and c->added) durably:
 * 0 once it is on disk, or an errno (ENOSPC, EIO, E2BIG when its strings
 * pass JOURNAL_PAYLOAD_MAX, ENXIO when the journal is not open) with
 * nothing added.
 */
int journal_add(struct journal_change *c);

/* Marks change seq made (or dropped): 0 or an errno; an unknown seq is 0. */
int journal_done(uint64_t seq);

/*
 * Marks change seq as about to be sent to the source, durably (on disk
 * before it returns, as journal_add()): 0 or an errno, nothing to be
 * sent then.  So that a crash after the source made it and before
 * journal_done() is told apart from a change never tried, whose replay
 * needs no search (and must not merge two identical new files).
 */
int journal_attempt(uint64_t seq);

/* 1 while change seq is pending (added, not marked done). */
int journal_is_pending(uint64_t seq);

/* How many changes are pending: for the status (user.mailfs.status). */
size_t journal_pending_count(void);

/*
 * A copy of the pending changes in the order they were added, into *v_r
 * (the caller's: free with journal_changes_free()) and *n_r: 0 or ENOMEM.
 */
int journal_pending(struct journal_change **v_r, size_t *n_r);
void journal_changes_free(struct journal_change *v, size_t n);

/*
 * Whether file (a path in staging/) belongs to a pending change: such a
 * file is the only copy of a new message and must not be removed.
 */
int journal_holds_file(const char *file);

#endif
