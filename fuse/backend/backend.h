/*
 * The backend contract: what a mail source offers the filesystem.
 *
 * The FUSE handlers (fuse/vfs/), the model (fuse/model/) and the byte
 * store (fuse/store/) reach a mail source through this header and
 * nothing else (tests/unit/test_layers.sh checks), as isync's engine
 * reaches its drivers through driver.h.  The IMAP backend (fuse/backend/imap/)
 * is the first implementation; a POP3 maildrop and the offline store will
 * be others.  Each implementation fills a struct backend_ops and hands
 * out a struct backend; the backend_*() functions below dispatch to it.
 *
 * Calls.  Every operation is synchronous: it returns when the source
 * has answered, and any callback it takes fires on the calling thread,
 * during the call, once per item, in the order the source sends them
 * (never after the call returned).  Any number of threads may call at
 * once; the backend spreads them over its connections.  A call waits
 * at most until the calling thread's operation deadline (deadline.h),
 * except that a message's arriving bytes move that deadline on.
 *
 * Errors.  Every int-returning operation returns 0 or a positive errno
 * (errors.h), already mapped from the source's answer through the
 * backend's one table (imap/errmap.h for IMAP).  The backend logs each
 * failure once, with the server's own words; the caller adds nothing
 * but what it decides.  Errors with a meaning of their own:
 *	ENOENT		no such folder or message (or it went meanwhile)
 *	ESTALE		the folder's UIDVALIDITY is not the one the caller
 *			named: its messages are another generation
 *	EEXIST		the folder exists already (create, rename)
 *	EPERM		the source cannot do this at all (no such extension,
 *			a flag it does not keep); nothing was sent
 *	ETIMEDOUT	the operation's deadline passed (or no connection
 *			became free in time); nothing is known to have changed
 *	EIO		the source failed or broke the protocol
 *	ECANCELED	the daemon is stopping (cancel())
 *	EHOSTDOWN	the source cannot be reached (offline, online.h):
 *			nothing was sent
 * Changes (append, move, expunge, create, delete, rename) happen exactly
 * once or not at all: when an answer is lost the backend asks the source
 * what happened before it returns, and returns 0 only when the change
 * happened.  When it cannot find out it returns an errno; the next sync
 * shows the truth.
 *
 * Ownership.  Strings and structures passed in stay the caller's; those
 * passed to callbacks are valid only during the callback.  Results
 * written through *_r pointers are the caller's, as each says.
 *
 * Folder names are the source's (UTF-8, hierarchy delimiter as listed).
 * Messages are named by UID within a folder's UIDVALIDITY: a source
 * without UIDs (POP3) makes them up and keeps them stable.
 */
#ifndef MAILFS_FUSE_BACKEND_H
#define MAILFS_FUSE_BACKEND_H

#include <stddef.h>
#include <stdint.h>

struct backend;
struct be_folder;

/* ---- what a source can do (backend_caps()) ---- */
#define BE_CAN_LIST_STATUS	(1u << 0)	/* list() gives each folder's status */
#define BE_CAN_DELTA		(1u << 1)	/* listing() since a modseq (CONDSTORE) */
#define BE_CAN_VANISHED		(1u << 2)	/* deltas name what went (QRESYNC) */
#define BE_CAN_MOVE		(1u << 3)	/* move() is one atomic step */
#define BE_CAN_EXPUNGE_ONE	(1u << 4)	/* expunge() for good (UIDPLUS) */
#define BE_CAN_QUOTA		(1u << 5)	/* quota() */
#define BE_CAN_FOLDERS		(1u << 6)	/* create, delete, rename folders */

/* ---- a folder's status (STATUS, LIST-STATUS, SELECT) ---- */
#define BE_STATUS_MESSAGES	(1u << 0)
#define BE_STATUS_UIDNEXT	(1u << 1)
#define BE_STATUS_UIDVALIDITY	(1u << 2)
#define BE_STATUS_HIGHESTMODSEQ	(1u << 3)

struct be_status {
	unsigned present;	/* BE_STATUS_* of the fields below that were given */
	uint32_t messages;
	uint32_t uidnext;
	uint32_t uidvalidity;
	uint64_t highestmodseq;
};

/* Adds the fields that from gives to *to. */
void be_status_merge(struct be_status *to, const struct be_status *from);

/* ---- folders as listed ---- */
#define BE_FOLDER_NOSELECT	(1u << 0)	/* a level of the hierarchy, no messages */
#define BE_FOLDER_NOINFERIORS	(1u << 1)	/* can have no children */
#define BE_FOLDER_HASCHILDREN	(1u << 2)
#define BE_FOLDER_HASNOCHILDREN	(1u << 3)
#define BE_FOLDER_TRASH		(1u << 4)	/* where rm moves messages (-o delete=trash) */
#define BE_FOLDER_NONEXISTENT	(1u << 5)
#define BE_FOLDER_SENT		(1u << 6)	/* where sent mail is filed (RFC 6154) */

/*
 * A folder as list() reports it.  BE_FOLDER_TRASH and BE_FOLDER_SENT come
 * from the source's marks, or where it marks none, from the usual names
 * (IMAP: list.c).
 */
struct list_item {
	char *name;			/* UTF-8, malloc'ed */
	char delim;			/* hierarchy delimiter; 0: flat */
	unsigned attrs;			/* BE_FOLDER_* */
	int has_status;
	struct be_status status;
};

struct list_result {
	struct list_item *v;
	size_t n;
	size_t cap;
	/*
	 * An entry was dropped (out of memory): what is missing may still
	 * be on the source, so the list adds folders but takes none away.
	 */
	int incomplete;
};

void list_result_clear(struct list_result *lr);
/* The entry of the folder name in lr (lr's), or NULL. */
struct list_item *list_result_find(const struct list_result *lr, const char *name);

/* ---- messages ---- */

/* One message of a listing. */
struct be_msg {
	uint32_t uid;
	uint32_t size;		/* RFC822.SIZE as the source says */
	int64_t date;		/* INTERNALDATE, seconds since the epoch */
	uint64_t modseq;	/* 0: not given */
	const char *flags;	/* "\Seen $Label1", space-separated; NULL: not given */
	/*
	 * listing() only: 1 when size and date were not given (a change the
	 * source told unasked, beside the listing); 0 from every other call.
	 */
	int partial;
	/*
	 * listing() only: the name the source gives the message, stable
	 * across sessions (POP3: made from its UIDL), a valid file name
	 * (names.h: no "/", no NUL, at most NAMES_COMPONENT_MAX bytes,
	 * unique in the folder), valid during the callback; NULL: the model
	 * names the message after its UID (names_msg()).
	 */
	const char *name;
};

/* Called by listing(): one message, then (deltas) what went. */
struct be_listing_cb {
	void (*msg)(void *ctx, const struct be_msg *m);
	/* UIDs lo..hi are gone (BE_CAN_VANISHED sources only). */
	void (*vanished)(void *ctx, uint32_t lo, uint32_t hi);
	void *ctx;
};

/*
 * Called by fetch(): a message's bytes in order, offset 0 first; total
 * is the length the source announced; uid is 0 when the source names the
 * message only after its bytes (IMAP may).  done() follows the last
 * chunk, with what the source said of the message (uid, size, date;
 * date INT64_MIN when it gave none); a message whose done() does not
 * come before the next one's offset 0 or the end of the call was cut
 * short and must be thrown away.
 */
struct be_body_cb {
	void (*chunk)(void *ctx, uint32_t uid, uint64_t offset, uint64_t total,
	    const char *data, size_t len);
	void (*done)(void *ctx, const struct be_msg *m);
	void *ctx;
};

/* What set_flags() does with the given flags. */
enum be_flags_mode {
	BE_FLAGS_SET,
	BE_FLAGS_ADD,
	BE_FLAGS_REMOVE
};

/* A new message for append(). */
struct be_new_msg {
	const char *data;	/* the message, lines ending in CRLF */
	size_t len;
	int64_t date;		/* its INTERNALDATE to be */
	const char *flags;	/* NULL: none */
	const char *msgid;	/* its Message-ID, or NULL: to find it after a lost answer */
	const char *name;	/* for the log: what the user calls it (a file name) */
	const char *note;	/* for the log: said after a failure's reason; NULL: nothing */
	/*
	 * 1: an earlier append of it may have landed and its answer was
	 * never kept (the daemon was killed): the folder is searched for it
	 * (Message-ID, size, date) before it is sent.
	 */
	int maybe_there;
};

/*
 * The Message-ID of the header buf[0..len) into out ("" when none, or
 * when it could not go into a SEARCH as a quoted string).
 */
void be_message_id(const char *buf, size_t len, char *out, size_t size);

/* A quota (statfs): usage and limit in KiB. */
struct be_quota {
	uint64_t usage;
	uint64_t limit;
};

/*
 * The operations.  Each implementation fills every member it can; a NULL
 * member is an operation the source lacks, and backend_*() returns EPERM
 * for it without a word to the source.
 */
struct backend_ops {
	/* Frees the backend without a goodbye to the source (it may not answer). */
	void (*free)(struct backend *be);
	/*
	 * on: every wait in progress and every later one ends at once with
	 * ECANCELED until cancel(be, 0): for the exit, so that threads stuck
	 * on a silent source can be joined.
	 */
	void (*cancel)(struct backend *be, int on);
	/* BE_CAN_* of the source as last seen. */
	unsigned (*caps)(struct backend *be);

	/* ---- folders ---- */
	/* Every folder into *lr (the caller's, emptied first); with status when BE_CAN_LIST_STATUS. */
	int (*list)(struct backend *be, struct list_result *lr);
	/* One folder's status; *st_r gets what the source gave. */
	int (*status)(struct backend *be, const char *mailbox, struct be_status *st_r);
	/*
	 * Each of these three runs on one connection; delim is the
	 * hierarchy's, with which the source is asked after a lost answer
	 * whether the change was made.
	 */
	int (*create)(struct backend *be, const char *mailbox, char delim);
	/*
	 * rmdir: removes mailbox when the source says it is empty:
	 * ENOTEMPTY when it has children or (selectable: the caller knows
	 * it as a folder of messages, not a level) messages; 0 with nothing
	 * sent to remove it when no such folder exists (a level of the
	 * hierarchy with nothing below goes with its last child).
	 */
	int (*remove)(struct backend *be, const char *mailbox, char delim, int selectable);
	/* Renames from and the folders below it; EEXIST when to exists. */
	int (*rename)(struct backend *be, const char *from, const char *to, char delim);
	/*
	 * The quota of the account's main folder; ENOENT when the source
	 * names none.  On failure why (size bytes, NUL-terminated) says why
	 * in the source's words, for the log (statfs says it once).
	 */
	int (*quota)(struct backend *be, struct be_quota *q_r, char *why,
	    size_t size);

	/* ---- one folder's messages ---- */
	/*
	 * Opens mailbox for the calls below, on a connection used by this
	 * thread alone until close(); *st_r is what opening showed
	 * (UIDVALIDITY, UIDNEXT, MESSAGES, HIGHESTMODSEQ).  *f_r is the
	 * backend's until close().
	 */
	int (*open)(struct backend *be, const char *mailbox, struct be_folder **f_r,
	    struct be_status *st_r);
	/*
	 * open() for a caller that only fetches (the read-ahead): nothing
	 * is sent, nothing is learnt; the folder is opened with the first
	 * fetch(), in the same round trip (IMAP: SELECT sent with the first
	 * UID FETCH).  That fetch() is ESTALE, with nothing passed to its
	 * callbacks, when the folder turns out to be of another generation
	 * than it names, and fails as open() would when the folder cannot
	 * be opened; such a failure is logged only as a debug line (nobody
	 * waits for this work).  Only fetch() and close() may be called on
	 * *f_r.  NULL: backend_open_lazy() calls open().
	 */
	int (*open_lazy)(struct backend *be, const char *mailbox, struct be_folder **f_r);
	/* Gives the folder back; failed: the last call failed (the connection may be reopened). */
	void (*close)(struct be_folder *f, int failed);
	/* The folder's status now, asked afresh (what open() showed may be older). */
	int (*refresh)(struct be_folder *f, struct be_status *st_r);
	/*
	 * Every message (since 0), or the messages changed since the modseq
	 * (BE_CAN_DELTA) and, with BE_CAN_VANISHED, those gone since; then
	 * *st_r is the folder's status after the listing.  Without
	 * BE_CAN_EXPUNGE_ONE, messages marked \Deleted are left out (a delta
	 * names them with vanished()), so that *st_r's MESSAGES may count
	 * more than were listed.  A delta asked of
	 * a folder whose connection cannot give one now (IMAP: CONDSTORE
	 * offered but not enabled on it) is EPERM, nothing sent: list all.
	 */
	int (*listing)(struct be_folder *f, uint64_t since, const struct be_listing_cb *cb,
	    struct be_status *st_r);
	/*
	 * The bytes of the messages uids (a UID set: "4,7:9"), each as it
	 * arrives; a UID that is gone is left out without an error.  ESTALE
	 * when the folder is no longer of generation uidvalidity.
	 */
	int (*fetch)(struct be_folder *f, uint32_t uidvalidity, const char *uids,
	    const struct be_body_cb *cb);
	/*
	 * Changes the flags of message uid (of generation uidvalidity);
	 * *m_r (may be NULL) gets its flags (m_r->flags points into buf)
	 * and modseq after.  EPERM when the folder does not keep one of them
	 * (nothing sent).
	 */
	int (*set_flags)(struct be_folder *f, uint32_t uidvalidity, uint32_t uid,
	    enum be_flags_mode mode, const char *flags, struct be_msg *m_r,
	    char *buf, size_t size);
	/*
	 * Removes message uid (rm): for good with BE_CAN_EXPUNGE_ONE.
	 * Without it (IMAP without UIDPLUS) the message is marked \Deleted
	 * and expunged only when no other message of the folder is marked;
	 * else it stays on the source, marked, and listing() leaves it out
	 * from then on.  Either way 0 means it is gone from listings; a
	 * message another client marked is never removed with it.
	 */
	int (*expunge)(struct be_folder *f, uint32_t uidvalidity, uint32_t uid);
	/*
	 * Moves message uid (m: its listing, to find it again if the answer
	 * is lost) to the folder dst; *uid_r and *uidvalidity_r get its UID
	 * there (0: the source would not tell, nor could it be found).
	 * Atomic with BE_CAN_MOVE, else a copy, then the original removed
	 * as expunge() removes it.  ENOENT when the message is gone, with
	 * nothing copied.  f may only be closed after it (asking where the
	 * message went may have needed its connection).
	 */
	int (*move)(struct be_folder *f, uint32_t uidvalidity, const struct be_msg *m,
	    const char *dst, uint32_t *uid_r, uint32_t *uidvalidity_r);

	/* ---- new messages ---- */
	/*
	 * Adds the message m to mailbox.  *uid_r and *uidvalidity_r get its
	 * UID (0: the source would not tell).  When an answer is lost and
	 * what happened cannot be learnt, the backend remembers it: the next
	 * append of the same message (mailbox, bytes, date, Message-ID)
	 * looks for it before sending it again.
	 */
	int (*append)(struct backend *be, const char *mailbox, const struct be_new_msg *m,
	    uint32_t *uid_r, uint32_t *uidvalidity_r);

	/* ---- changes made elsewhere ---- */
	/*
	 * Waits until the source says something changed (push), at most
	 * timeout_ms: 0 then, or on timeout, and the caller lists again.
	 * Changes made through this backend are told too.  One caller at a
	 * time (the model's refresh thread).  EPERM: the source cannot say,
	 * now or later (NULL likewise): the caller polls list() every
	 * -o refresh.  Another errno: the push failed (logged once until it
	 * works again) and a change may have gone untold: the caller lists
	 * now, and may call again, which tries to push again.  cancel()
	 * ends the wait (ECANCELED).
	 */
	int (*wait_changes)(struct backend *be, unsigned timeout_ms);
};

struct backend {
	const struct backend_ops *ops;
	const char *name;	/* "imap": for the log */
};

/* ---- calls: each dispatches to be->ops, EPERM when the source lacks it ---- */
void backend_free(struct backend *be);
void backend_cancel(struct backend *be, int on);
unsigned backend_caps(struct backend *be);
int backend_list(struct backend *be, struct list_result *lr);
int backend_status(struct backend *be, const char *mailbox, struct be_status *st_r);
int backend_create(struct backend *be, const char *mailbox, char delim);
int backend_remove(struct backend *be, const char *mailbox, char delim, int selectable);
int backend_rename(struct backend *be, const char *from, const char *to, char delim);
int backend_quota(struct backend *be, struct be_quota *q_r, char *why,
    size_t size);
int backend_open(struct backend *be, const char *mailbox, struct be_folder **f_r,
    struct be_status *st_r);
int backend_open_lazy(struct backend *be, const char *mailbox, struct be_folder **f_r);
void backend_close(struct backend *be, struct be_folder *f, int failed);
int backend_refresh(struct backend *be, struct be_folder *f, struct be_status *st_r);
int backend_listing(struct backend *be, struct be_folder *f, uint64_t since,
    const struct be_listing_cb *cb, struct be_status *st_r);
int backend_fetch(struct backend *be, struct be_folder *f, uint32_t uidvalidity,
    const char *uids, const struct be_body_cb *cb);
int backend_set_flags(struct backend *be, struct be_folder *f, uint32_t uidvalidity,
    uint32_t uid, enum be_flags_mode mode, const char *flags, struct be_msg *m_r,
    char *buf, size_t size);
int backend_expunge(struct backend *be, struct be_folder *f, uint32_t uidvalidity,
    uint32_t uid);
int backend_move(struct backend *be, struct be_folder *f, uint32_t uidvalidity,
    const struct be_msg *m, const char *dst, uint32_t *uid_r, uint32_t *uidvalidity_r);
int backend_append(struct backend *be, const char *mailbox, const struct be_new_msg *m,
    uint32_t *uid_r, uint32_t *uidvalidity_r);
int backend_wait_changes(struct backend *be, unsigned timeout_ms);

#endif
