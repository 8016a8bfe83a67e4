/*
 * libmailfs: an IMAP client connection.
 *
 * A struct mailfs_client is one connection to one IMAP server: TCP, TLS
 * (implicit or STARTTLS, verified by default), authentication, and a
 * pipelined command engine.  Commands are declared in <mailfs/commands.h>.
 *
 * Blocking: the API has no completion callbacks.  A command function only
 * queues the command (and sends what the pipeline allows); mailfs_run()
 * waits for its tagged response and returns its status.  The handlers of
 * <mailfs/commands.h> see data while the library waits inside a call on
 * the client; none of them reports that a command is done.
 *
 * Threads: a client is not thread-safe.  Distinct clients may be used from
 * distinct threads at the same time; one client must be used by one thread
 * at a time (callers that share one lock it).  Callbacks run on the thread
 * that is inside a library call on that client.
 *
 * Errors: see <mailfs/error.h>.  mailfs_client_error() describes the most
 * recent failure on the client.
 *
 * RFC 3501 (IMAP4rev1), RFC 9051 (IMAP4rev2), RFC 5465 (NOTIFY: unilateral LIST, STATUS), RFC 2595 and RFC 8314 (TLS),
 * RFC 4959 (SASL-IR), RFC 4616 (PLAIN), RFC 7888 (LITERAL+).
 */
#ifndef MAILFS_CLIENT_H
#define MAILFS_CLIENT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <mailfs/error.h>
#include <mailfs/sasl.h>

#ifdef __cplusplus
extern "C" {
#endif

struct mailfs_client;
struct mailfs_uidset;
struct mailfs_msg;
struct mailfs_list_entry;
struct mailfs_status;

enum mailfs_security {
	MAILFS_SEC_IMPLICIT_TLS = 0,	/* imaps://, TLS from the first byte */
	MAILFS_SEC_STARTTLS,		/* imap://, STARTTLS required before login */
	/*
	 * No TLS at all.  Credentials travel in the clear: only for tests on
	 * loopback.  The filesystem refuses it for any other address.
	 */
	MAILFS_SEC_PLAINTEXT_INSECURE
};

enum mailfs_trace_dir {
	MAILFS_TRACE_SEND,	/* a line the client sent (secrets masked) */
	MAILFS_TRACE_RECV,	/* a line the server sent (literals summarised) */
	MAILFS_TRACE_INFO	/* a remark of the library's (state changes, TLS) */
};

/*
 * Called for every protocol line when set.  line is not NUL-terminated,
 * has no CRLF, and is valid only during the call.  Passwords and SASL
 * responses are replaced by "***" before the callback sees them.
 */
typedef void mailfs_trace_fn(void *ctx, enum mailfs_trace_dir dir,
    const char *line, size_t len);

/*
 * Data the server sends on its own (RFC 3501 5.2, 7.4): it updates the
 * selected mailbox's state (mailfs_client_mailbox()) and is then passed
 * here.  A FETCH response that answers a UID FETCH in flight goes to that
 * command's handlers instead.  Each member may be NULL.
 */
struct mailfs_unilateral {
	void (*exists)(void *ctx, uint32_t exists);
	void (*expunge)(void *ctx, uint32_t seq);
	/* VANISHED (QRESYNC); earlier is 1 for VANISHED (EARLIER). */
	void (*vanished)(void *ctx, const struct mailfs_uidset *uids, int earlier);
	/* A FETCH nobody asked for: typically a flag change by another client. */
	void (*fetch)(void *ctx, const struct mailfs_msg *msg);
	/* An [ALERT] text, which RFC 3501 says must be shown to the user. */
	void (*alert)(void *ctx, const char *text);
	/*
	 * A LIST or STATUS no command asked for: what NOTIFY (RFC 5465)
	 * says of a folder created, deleted or renamed, or of another
	 * folder's messages.  Valid only during the call.
	 */
	void (*list)(void *ctx, const struct mailfs_list_entry *entry);
	void (*status)(void *ctx, const struct mailfs_status *status);
	void *ctx;
};

/*
 * How to reach the server, and the limits that protect the client from it.
 * A zero member takes the default named beside it.  mailfs_client_new()
 * copies everything; the caller's struct and strings may go afterwards.
 */
struct mailfs_params {
	const char *host;		/* required; a name or an address */
	const char *port;		/* NULL: "993" for implicit TLS, else "143" */
	enum mailfs_security security;
	const char *ca_file;		/* NULL: the system's trust store */
	int connect_timeout_ms;		/* 0: 30000 */
	int io_timeout_ms;		/* 0: 30000; a reply that takes longer fails */
	size_t max_line;		/* 0: 4 MiB, the longest response line */
	size_t max_literal;		/* 0: 64 MiB, the largest literal kept in memory */
	uint64_t max_body;		/* 0: 2 GiB, the largest literal streamed to a handler */
	unsigned max_depth;		/* 0: 16, the deepest parenthesised nesting */
	unsigned pipeline_depth;	/* 0: 64 commands in flight at once */
	mailfs_trace_fn *trace;		/* NULL: no trace */
	void *trace_ctx;
	const struct mailfs_unilateral *unilateral; /* copied; NULL: none */
};

/*
 * Capabilities the library knows by name (RFC 3501 7.2.1 and extensions).
 * Others are still visible through mailfs_client_has_capability().
 */
#define MAILFS_CAP_IMAP4REV1	(1u << 0)
#define MAILFS_CAP_IMAP4REV2	(1u << 1)
#define MAILFS_CAP_STARTTLS	(1u << 2)
#define MAILFS_CAP_LOGINDISABLED (1u << 3)
#define MAILFS_CAP_AUTH_PLAIN	(1u << 4)
#define MAILFS_CAP_SASL_IR	(1u << 5)
#define MAILFS_CAP_LITERAL_PLUS	(1u << 6)
#define MAILFS_CAP_LITERAL_MINUS (1u << 7)
#define MAILFS_CAP_IDLE		(1u << 8)
#define MAILFS_CAP_UIDPLUS	(1u << 9)
#define MAILFS_CAP_MOVE		(1u << 10)
#define MAILFS_CAP_CONDSTORE	(1u << 11)
#define MAILFS_CAP_QRESYNC	(1u << 12)
#define MAILFS_CAP_ENABLE	(1u << 13)
#define MAILFS_CAP_SPECIAL_USE	(1u << 14)
#define MAILFS_CAP_LIST_EXTENDED (1u << 15)
#define MAILFS_CAP_LIST_STATUS	(1u << 16)
#define MAILFS_CAP_NAMESPACE	(1u << 17)
#define MAILFS_CAP_QUOTA	(1u << 18)
#define MAILFS_CAP_ID		(1u << 19)
#define MAILFS_CAP_ESEARCH	(1u << 20)
#define MAILFS_CAP_UNSELECT	(1u << 21)
#define MAILFS_CAP_BINARY	(1u << 22)
#define MAILFS_CAP_CREATE_SPECIAL_USE (1u << 23)
#define MAILFS_CAP_NOTIFY	(1u << 24)

enum mailfs_client_state {
	MAILFS_STATE_DISCONNECTED = 0,
	MAILFS_STATE_NOT_AUTHENTICATED,
	MAILFS_STATE_AUTHENTICATED,
	MAILFS_STATE_SELECTED,
	MAILFS_STATE_LOGOUT
};

/*
 * The selected mailbox as the client knows it, kept current by SELECT's
 * answers and by unilateral EXISTS, EXPUNGE and VANISHED.
 */
struct mailfs_mailbox_state {
	const char *name;		/* UTF-8, as given to mailfs_select() */
	uint32_t exists;
	uint32_t uidvalidity;
	uint32_t uidnext;		/* 0 when the server did not say */
	uint64_t highestmodseq;		/* 0: no CONDSTORE for this mailbox */
	int read_only;
	const char *flags;		/* the FLAGS list, space-separated */
	/* PERMANENTFLAGS, space-separated; contains "\*" when new keywords may be stored */
	const char *permanent_flags;
};

/*
 * Allocates a client; does no I/O.  Returns NULL only when out of memory
 * or when params->host is NULL (errno is set to ENOMEM or EINVAL).
 * Free with mailfs_client_free().
 */
struct mailfs_client *mailfs_client_new(const struct mailfs_params *params);

/*
 * Abandons every command still in flight (none of their handlers is
 * called again), closes the connection without LOGOUT, frees the client
 * and sets *client to NULL.  NULL and *NULL are accepted.
 */
void mailfs_client_free(struct mailfs_client **client);

/*
 * Connects, verifies TLS, reads the greeting and learns the capabilities;
 * with MAILFS_SEC_STARTTLS it negotiates TLS before returning and refuses
 * (MAILFS_ERR_NO_STARTTLS) when the server does not offer it, sending
 * nothing more.  A PREAUTH greeting leaves the client authenticated.
 */
int mailfs_client_connect(struct mailfs_client *client);

/*
 * Authenticates: AUTHENTICATE PLAIN (with SASL-IR when offered) when the
 * server offers it, else LOGIN.  Refuses with MAILFS_ERR_LOGINDISABLED when
 * the server says LOGINDISABLED, and with MAILFS_ERR_USAGE when the
 * connection is not protected by TLS and security is not
 * MAILFS_SEC_PLAINTEXT_INSECURE.  A rejected password is MAILFS_ERR_AUTH.
 * The password is not kept after the call.
 */
int mailfs_client_login(struct mailfs_client *client, const char *user,
    const char *password);

/*
 * Authenticates with mech (<mailfs/sasl.h>; XOAUTH2 and OAUTHBEARER are
 * there), which the server must offer as AUTH=NAME
 * (MAILFS_ERR_UNSUPPORTED otherwise, nothing sent): "AUTHENTICATE NAME"
 * with the initial response on the line when the server offers SASL-IR,
 * else after its first "+"; each later challenge goes to mech->step().
 * Only over TLS (MAILFS_ERR_USAGE otherwise, as mailfs_client_login()).
 * A refusal is MAILFS_ERR_AUTH with the server's words; the client stays
 * connected and may try again.  mech is used only during the call;
 * responses are never traced nor kept.
 */
int mailfs_client_authenticate(struct mailfs_client *client,
    const struct mailfs_sasl_mech *mech);

/* Sends LOGOUT, waits for the answer (bounded by the I/O timeout), closes. */
int mailfs_client_logout(struct mailfs_client *client);

/*
 * Reads and dispatches whatever the server sent while the client was idle
 * (unilateral data, a BYE, the end of the connection), without waiting.
 * Returns 0 when the connection is still usable, -1 when it is gone (the
 * state is then MAILFS_STATE_DISCONNECTED and the error says why).  A
 * pool of connections calls it before handing one out, so that a
 * connection the server closed meanwhile is reopened, not used.
 */
int mailfs_client_poll(struct mailfs_client *client);

/*
 * Bounds every wait of the client from now on, the connect, the TLS
 * handshake and each command's included, by deadline: a point on
 * CLOCK_MONOTONIC.  A wait that would end later ends at the deadline as a
 * timeout (MAILFS_ERR_TIMEOUT, the connection then unusable, as after any
 * timeout); one past it fails at once.  The per-call limits of
 * mailfs_params still apply when they end sooner.  NULL removes the
 * deadline.  For an operation made of several commands, or of several
 * connections, that must end in a given time: set it on each client it
 * uses, before each use.
 */
void mailfs_client_set_deadline(struct mailfs_client *client,
    const struct timespec *deadline);

/*
 * fd, when it becomes readable, ends every wait of the client at once
 * (the one in progress in another thread included): the call fails with
 * MAILFS_ERR_CLOSED and the connection is closed.  For stopping a program
 * whose threads wait on a server that does not answer: write a byte to a
 * pipe shared by all its clients.  The client never reads, writes or
 * closes fd; it must stay open while the client lives.  -1 (the default)
 * removes it.  Set it before the client is used by another thread.
 */
void mailfs_client_set_cancel_fd(struct mailfs_client *client, int fd);

/* Closes the connection at once; commands in flight complete with MAILFS_ERR_CLOSED. */
void mailfs_client_disconnect(struct mailfs_client *client);

enum mailfs_client_state mailfs_client_state(const struct mailfs_client *client);

/* The MAILFS_CAP_* bits of the current capability list. */
unsigned mailfs_client_capabilities(const struct mailfs_client *client);

/* 1 when the server announced the capability NAME (case-insensitive), else 0. */
int mailfs_client_has_capability(const struct mailfs_client *client,
    const char *name);

/* 1 when ENABLE CONDSTORE or QRESYNC succeeded (or a CONDSTORE command enabled it). */
int mailfs_client_condstore_enabled(const struct mailfs_client *client);
int mailfs_client_qresync_enabled(const struct mailfs_client *client);

/* The hierarchy delimiter learnt from LIST, or 0 before any LIST or when NIL. */
char mailfs_client_delimiter(const struct mailfs_client *client);

/*
 * The selected mailbox, or NULL when none is selected.  Owned by the
 * client; valid until the next call on the client.
 */
const struct mailfs_mailbox_state *mailfs_client_mailbox(
    const struct mailfs_client *client);

/* The last error.  Owned by the client; never NULL. */
const struct mailfs_error *mailfs_client_error(const struct mailfs_client *client);

#ifdef __cplusplus
}
#endif

#endif
