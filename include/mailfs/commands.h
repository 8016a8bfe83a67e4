/*
 * libmailfs: IMAP commands.
 *
 * Every command function queues one command and returns at once with a
 * struct mailfs_cmd, owned by the client, or NULL when it could not be
 * queued (the reason is in mailfs_client_error()).  Commands are sent in
 * the order they are queued, up to the pipeline depth, without waiting for
 * each other's answers, except where the protocol requires a wait (a
 * synchronising literal, AUTHENTICATE, IDLE).
 *
 * Answers are delivered in two ways:
 *  - data (LIST entries, FETCH responses, ...) goes to the handlers passed
 *    with the command, while the client reads;
 *  - completion: mailfs_run() waits for one command and returns 0 when the
 *    server said OK, -1 otherwise.
 *
 * The usual call is therefore synchronous:
 *
 *	if (mailfs_run(c, mailfs_select(c, "INBOX", 0, NULL, NULL), NULL) == -1)
 *		fprintf(stderr, "%s\n", mailfs_client_error(c)->msg);
 *
 * and a pipelined batch queues several commands, then runs each in order.
 * Every queued command must be passed to mailfs_run() or mailfs_cmd_detach()
 * exactly once; mailfs_client_free() takes care of those still queued.
 *
 * Mailbox names are UTF-8; the library encodes them as modified UTF-7.
 * Flags are space-separated atoms, as in struct mailfs_msg.  UID sets are
 * text in sequence-set syntax ("1:5,7", "1:*"), checked before sending.
 *
 * RFC 3501, 9051, 4315 (UIDPLUS), 6851 (MOVE), 7162 (CONDSTORE, QRESYNC),
 * 5161 (ENABLE), 2177 (IDLE), 5465 (NOTIFY), 2342 (NAMESPACE), 9208 (QUOTA), 2971 (ID),
 * 6154 (SPECIAL-USE), 5258 and 5819 (LIST-EXTENDED, LIST-STATUS), 4731 (ESEARCH).
 */
#ifndef MAILFS_COMMANDS_H
#define MAILFS_COMMANDS_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <mailfs/client.h>
#include <mailfs/types.h>

#ifdef __cplusplus
extern "C" {
#endif

struct mailfs_cmd;

/*
 * Callbacks for the data a command's answer carries.  Each may be NULL.
 * The struct and ctx must stay valid until the command completes.
 */
struct mailfs_handlers {
	void (*list)(void *ctx, const struct mailfs_list_entry *entry);
	void (*status)(void *ctx, const struct mailfs_status *status);
	/*
	 * A FETCH response (also those a STORE without .SILENT, or a QRESYNC
	 * SELECT, provokes).  When body is set, the body has already gone
	 * there and msg->present has MAILFS_MSG_BODY_STREAMED.
	 */
	void (*fetch)(void *ctx, const struct mailfs_msg *msg);
	/*
	 * When set, BODY[] literals stream here as they arrive instead of
	 * being held in memory: offset counts from the literal's first byte,
	 * total is its announced size.  Called with len 0 for an empty body.
	 */
	void (*body)(void *ctx, uint32_t seq, uint64_t offset, uint64_t total,
	    const char *data, size_t len);
	void (*vanished)(void *ctx, const struct mailfs_uidset *uids, int earlier);
	/* SEARCH or ESEARCH ALL result, as a set of UIDs (or numbers). */
	void (*search)(void *ctx, const struct mailfs_uidset *uids);
	void (*quota)(void *ctx, const struct mailfs_quota *quota);
	void (*quotaroot)(void *ctx, const char *mailbox, const char *root);
	void (*namespace)(void *ctx, const struct mailfs_namespace *personal);
	void *ctx;
};

/* What a completed command reports besides OK/NO/BAD. */
struct mailfs_cmd_result {
	/* APPENDUID and COPYUID (RFC 4315), 0 when the server sent none. */
	uint32_t uidvalidity;
	/* COPYUID's source set; empty for APPENDUID.  Owned by the caller: clear it. */
	struct mailfs_uidset src_uids;
	/* APPENDUID's or COPYUID's new UIDs.  Owned by the caller: clear it. */
	struct mailfs_uidset dst_uids;
	/*
	 * UID STORE with UNCHANGEDSINCE: the messages that changed meanwhile
	 * and were therefore not stored ([MODIFIED], RFC 7162 3.1.3).  The
	 * command still completes with OK.  Owned by the caller: clear it.
	 */
	struct mailfs_uidset modified;
	/* The tagged response's text, "" when none. */
	char text[256];
};

/* Frees what a result holds and zeroes it. */
void mailfs_cmd_result_clear(struct mailfs_cmd_result *result);

/*
 * Waits until cmd completes, reading and dispatching everything that
 * arrives meanwhile (bounded by the I/O timeout), and releases cmd.
 * Returns 0 when the server said OK; -1 when it said NO or BAD, when the
 * connection failed, or when cmd is NULL (queuing failed: the error is
 * still the queuing error).  result_r may be NULL; it is filled on success
 * and on NO/BAD (so that a partial COPYUID is not lost).
 */
int mailfs_run(struct mailfs_client *client, struct mailfs_cmd *cmd,
    struct mailfs_cmd_result *result_r);

/*
 * Lets cmd complete without a waiter: its handlers still fire; its status
 * is dropped.  NULL is accepted.
 */
void mailfs_cmd_detach(struct mailfs_client *client, struct mailfs_cmd *cmd);

/* Sends everything queued and reads until no command is in flight. */
int mailfs_client_drain(struct mailfs_client *client);

/* ---- any state ---- */

struct mailfs_cmd *mailfs_capability(struct mailfs_client *client);
struct mailfs_cmd *mailfs_noop(struct mailfs_client *client);
/* Sends ID ("name" "libmailfs" "version" VERSION); the server's answer is ignored. */
struct mailfs_cmd *mailfs_id(struct mailfs_client *client);

/* ---- authenticated state ---- */

/* ENABLE with a space-separated list such as "CONDSTORE QRESYNC". */
struct mailfs_cmd *mailfs_enable(struct mailfs_client *client, const char *extensions);

struct mailfs_cmd *mailfs_namespace(struct mailfs_client *client,
    const struct mailfs_handlers *handlers);

#define MAILFS_LIST_SPECIAL_USE	(1u << 0)	/* RETURN (SPECIAL-USE) when offered */
#define MAILFS_LIST_STATUS	(1u << 1)	/* RETURN (STATUS ...) when offered (LIST-STATUS) */

/*
 * LIST reference pattern.  With MAILFS_LIST_STATUS, status_items says
 * which MAILFS_STATUS_* items the status handler gets for each mailbox.
 */
struct mailfs_cmd *mailfs_list(struct mailfs_client *client,
    const char *reference, const char *pattern, unsigned flags,
    unsigned status_items, const struct mailfs_handlers *handlers);

struct mailfs_cmd *mailfs_status(struct mailfs_client *client,
    const char *mailbox, unsigned items, const struct mailfs_handlers *handlers);

struct mailfs_cmd *mailfs_create(struct mailfs_client *client, const char *mailbox);
struct mailfs_cmd *mailfs_delete(struct mailfs_client *client, const char *mailbox);
struct mailfs_cmd *mailfs_rename(struct mailfs_client *client,
    const char *from, const char *to);

struct mailfs_cmd *mailfs_getquotaroot(struct mailfs_client *client,
    const char *mailbox, const struct mailfs_handlers *handlers);

/*
 * APPEND of len bytes, sent exactly as given.  flags may be NULL or "";
 * internaldate < 0 leaves the date to the server.  data must stay valid
 * until the command completes.  Uses LITERAL+ when offered; otherwise the
 * data waits for the server's continuation.  The new UID is in
 * result_r->dst_uids (APPENDUID) when the server has UIDPLUS.
 */
struct mailfs_cmd *mailfs_append(struct mailfs_client *client,
    const char *mailbox, const char *flags, time_t internaldate,
    const char *data, size_t len);

#define MAILFS_SELECT_READ_ONLY	(1u << 0)	/* EXAMINE */
#define MAILFS_SELECT_CONDSTORE	(1u << 1)	/* (CONDSTORE) when offered */

/*
 * QRESYNC parameters for SELECT (RFC 7162 3.2.5): the caller's last known
 * UIDVALIDITY and HIGHESTMODSEQ, and optionally the UIDs it knows.
 */
struct mailfs_qresync {
	uint32_t uidvalidity;
	uint64_t modseq;
	const char *known_uids;	/* NULL or a UID set */
};

/*
 * SELECT (or EXAMINE).  The mailbox state is then mailfs_client_mailbox().
 * With qresync (QRESYNC enabled), VANISHED (EARLIER) and FETCH of changed
 * messages go to handlers.
 */
struct mailfs_cmd *mailfs_select(struct mailfs_client *client,
    const char *mailbox, unsigned flags, const struct mailfs_qresync *qresync,
    const struct mailfs_handlers *handlers);

/* UNSELECT when offered; otherwise fails with MAILFS_ERR_UNSUPPORTED (CLOSE would expunge). */
struct mailfs_cmd *mailfs_unselect(struct mailfs_client *client);

/* ---- selected state ---- */

#define MAILFS_FETCH_UID		(1u << 0)
#define MAILFS_FETCH_FLAGS		(1u << 1)
#define MAILFS_FETCH_SIZE		(1u << 2)	/* RFC822.SIZE */
#define MAILFS_FETCH_INTERNALDATE	(1u << 3)
#define MAILFS_FETCH_MODSEQ		(1u << 4)
#define MAILFS_FETCH_BODY		(1u << 5)	/* BODY.PEEK[]: never sets \Seen */

struct mailfs_fetch_spec {
	unsigned items;			/* MAILFS_FETCH_*; UID is always fetched */
	uint64_t partial_offset;	/* with partial_len > 0: BODY.PEEK[]<offset.len> */
	uint64_t partial_len;
	uint64_t changedsince;		/* > 0: (CHANGEDSINCE n) */
	int vanished;			/* with changedsince and QRESYNC: (VANISHED) */
	/*
	 * Not NULL: BODY.PEEK[HEADER.FIELDS (header_fields)], field names
	 * (letters, digits, "-") separated by single spaces; without
	 * MAILFS_FETCH_BODY the fields come as the message's body
	 * (MAILFS_MSG_BODY, kept in memory).
	 */
	const char *header_fields;
};

/* UID FETCH uids (items).  Responses go to handlers->fetch (and ->body, ->vanished). */
struct mailfs_cmd *mailfs_uid_fetch(struct mailfs_client *client,
    const char *uids, const struct mailfs_fetch_spec *spec,
    const struct mailfs_handlers *handlers);

enum mailfs_store_op {
	MAILFS_STORE_SET,	/* FLAGS */
	MAILFS_STORE_ADD,	/* +FLAGS */
	MAILFS_STORE_REMOVE	/* -FLAGS */
};

/*
 * UID STORE uids [(UNCHANGEDSINCE n)] op[.SILENT] (flags).
 * unchangedsince 0 omits the modifier; with it, the UIDs that were not
 * stored because they changed are in mailfs_run()'s result->modified.
 * A non-silent STORE's FETCH answers go to handlers->fetch.
 */
struct mailfs_cmd *mailfs_uid_store(struct mailfs_client *client,
    const char *uids, enum mailfs_store_op op, const char *flags, int silent,
    uint64_t unchangedsince, const struct mailfs_handlers *handlers);

/* UID COPY / UID MOVE: COPYUID arrives in mailfs_run()'s result. */
struct mailfs_cmd *mailfs_uid_copy(struct mailfs_client *client,
    const char *uids, const char *mailbox);
struct mailfs_cmd *mailfs_uid_move(struct mailfs_client *client,
    const char *uids, const char *mailbox);

/* UID EXPUNGE (UIDPLUS): expunges only those of uids that are \Deleted. */
struct mailfs_cmd *mailfs_uid_expunge(struct mailfs_client *client, const char *uids);

/*
 * EXPUNGE: removes every \Deleted message of the mailbox, including those
 * other clients marked.  Prefer mailfs_uid_expunge().
 */
struct mailfs_cmd *mailfs_expunge(struct mailfs_client *client);

/*
 * UID SEARCH criteria.  criteria is sent as given after the command name
 * (e.g. "UNSEEN", "UID 1:100 DELETED"); it must not contain CR, LF or
 * literals.  With ESEARCH, RETURN (ALL) is used.  The result goes to
 * handlers->search.
 */
struct mailfs_cmd *mailfs_uid_search(struct mailfs_client *client,
    const char *criteria, const struct mailfs_handlers *handlers);

/* ---- IDLE (RFC 2177) ---- */

/* Sends IDLE and waits for the continuation. */
int mailfs_idle_start(struct mailfs_client *client);

/*
 * Dispatches unilateral data for up to timeout_ms.  Returns 1 when
 * something arrived, 0 on timeout, -1 on error.
 */
int mailfs_idle_wait(struct mailfs_client *client, int timeout_ms);

/* Sends DONE and waits for IDLE's completion. */
int mailfs_idle_done(struct mailfs_client *client);

/* ---- NOTIFY (RFC 5465) ---- */

/*
 * NOTIFY SET events, where events are the event groups as RFC 5465 6
 * writes them ("(SELECTED (MessageNew MessageExpunge)) (PERSONAL
 * (MailboxName))"), printable ASCII sent as given.  What the server
 * reports from then on goes to the unilateral handlers (client.h): the
 * selected mailbox's EXISTS, EXPUNGE, VANISHED and FETCH, other folders'
 * STATUS, and LIST for folders created, deleted or renamed.  It may come
 * at any time, and while IDLE runs.
 */
struct mailfs_cmd *mailfs_notify(struct mailfs_client *client, const char *events);

#ifdef __cplusplus
}
#endif

#endif
