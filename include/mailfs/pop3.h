/*
 * libmailfs: a POP3 client (RFC 1939).
 *
 * A struct mailfs_pop3 is one connection to one maildrop: TCP, TLS
 * (implicit on port 995, or STLS on 110, RFC 2595, required, verified
 * the same way as the IMAP client's), CAPA (RFC 2449), login, and the
 * commands of the TRANSACTION state.  It shares the IMAP client's
 * transport, its error convention (<mailfs/error.h>), its security
 * modes and its trace callback (<mailfs/client.h>).
 *
 * Messages are named two ways: by number (1..count, valid for one
 * session only) and by unique id (UIDL, stable across sessions).  The
 * caller maps one to the other from mailfs_pop3_uidl().
 *
 * Blocking: every call returns when its exchange with the server is over
 * (or failed), bounded by the timeouts of struct mailfs_pop3_params and
 * by mailfs_pop3_set_deadline() and mailfs_pop3_set_cancel_fd().
 *
 * Threads: a client is not thread-safe; distinct clients may be used from
 * distinct threads at once.  Callbacks run on the calling thread, inside
 * a library call, and must not call the client.
 *
 * Errors: every function that can fail returns 0 or -1 and leaves the
 * reason in mailfs_pop3_error().  A -ERR is MAILFS_ERR_NO, with its
 * response code (RFC 2449 8, RFC 3206) in code and code_name: [IN-USE]
 * MAILFS_CODE_INUSE, [LOGIN-DELAY] MAILFS_CODE_LOGIN_DELAY, [SYS/TEMP]
 * MAILFS_CODE_SYS_TEMP, [SYS/PERM] MAILFS_CODE_SYS_PERM; a -ERR to the
 * credentials (or [AUTH]) is MAILFS_ERR_AUTH unless it carries IN-USE,
 * LOGIN-DELAY or SYS/TEMP.  Its message quotes the server's text (never
 * after a command that carried a secret).  Credentials never appear in
 * an error or in the trace ("***").
 *
 * Deletion (RFC 1939 6): DELE only marks; the marks take effect when the
 * server answers QUIT with +OK.  A connection lost before that deletes
 * nothing.  mailfs_pop3_quit() says which happened.
 *
 * RFC 1939 (POP3), RFC 2449 (CAPA, response codes, PIPELINING),
 * RFC 2595 (STLS), RFC 3206 (SYS and AUTH codes), RFC 5034 (SASL),
 * RFC 4616 (PLAIN), RFC 8314 (implicit TLS).
 */
#ifndef MAILFS_POP3_H
#define MAILFS_POP3_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <mailfs/error.h>
#include <mailfs/client.h>

#ifdef __cplusplus
extern "C" {
#endif

struct mailfs_pop3;

/*
 * How to reach the server and the limits that protect the client from
 * it.  A zero member takes the default named beside it.
 * mailfs_pop3_new() copies everything.
 *
 * security: MAILFS_SEC_IMPLICIT_TLS (pop3s://, port 995),
 * MAILFS_SEC_STARTTLS (pop3://, port 110; STLS is required, never
 * skipped), or MAILFS_SEC_PLAINTEXT_INSECURE (tests on loopback; no
 * credentials are ever sent without TLS, even then).
 */
struct mailfs_pop3_params {
	const char *host;		/* required; a name or an address */
	const char *port;		/* NULL: "995" implicit TLS, "110" otherwise */
	enum mailfs_security security;
	const char *ca_file;		/* NULL: the system's trust store */
	int connect_timeout_ms;		/* 0: 30000, connect and TLS handshake */
	int io_timeout_ms;		/* 0: 60000, each reply line */
	size_t max_line;		/* 0: 4096, the longest status or list line */
	/*
	 * 0: 1000000, the most messages a STAT, LIST or UIDL may report;
	 * a maildrop with more is refused (MAILFS_ERR_LIMIT).
	 */
	uint32_t max_messages;
	mailfs_trace_fn *trace;		/* NULL: none; secrets shown as "***" */
	void *trace_ctx;
};

/* The CAPA tags the library acts on (RFC 2449 6). */
#define MAILFS_POP3_CAP_TOP		(1u << 0)
#define MAILFS_POP3_CAP_UIDL		(1u << 1)
#define MAILFS_POP3_CAP_USER		(1u << 2)
#define MAILFS_POP3_CAP_SASL		(1u << 3)
#define MAILFS_POP3_CAP_RESP_CODES	(1u << 4)
#define MAILFS_POP3_CAP_AUTH_RESP_CODE	(1u << 5)
#define MAILFS_POP3_CAP_PIPELINING	(1u << 6)
#define MAILFS_POP3_CAP_STLS		(1u << 7)
#define MAILFS_POP3_CAP_LOGIN_DELAY	(1u << 8)
#define MAILFS_POP3_CAP_EXPIRE		(1u << 9)

/*
 * A unique id as the server gave it: 1 to 70 printable ASCII bytes
 * (0x21..0x7e) in RFC 1939; servers send longer ones, so up to
 * MAILFS_POP3_UIDL_MAX are accepted.  A UIDL line with a longer id or a
 * byte outside 0x21..0x7e fails the whole listing (MAILFS_ERR_PROTOCOL).
 */
#define MAILFS_POP3_UIDL_MAX	255

/* One message of a listing (UIDL or LIST); valid only during the callback. */
struct mailfs_pop3_item {
	uint32_t number;		/* 1..count, this session's */
	const char *uidl;		/* NUL-terminated; NULL from LIST */
	uint64_t size;			/* LIST's size, a hint; 0 from UIDL */
};

typedef void mailfs_pop3_item_fn(void *ctx, const struct mailfs_pop3_item *item);

/*
 * A message's bytes, as they arrive: dot-unstuffed, lines ending in
 * CRLF exactly as the server sent them (a bare LF stays a bare LF), the
 * terminating ".CRLF" not included.  A message stored without a final
 * line end comes with the CRLF the server added before the terminating
 * line (RFC 1939 3; Dovecot does so): LIST's size is then 2 short.  offset counts from 0 for each
 * message.  Returns 0, or -1 to stop: the call then fails with
 * MAILFS_ERR_USAGE, the connection dropped (so nothing marked is
 * deleted), not drained: a server could make the rest endless.
 */
typedef int mailfs_pop3_body_fn(void *ctx, uint32_t number, uint64_t offset,
    const char *data, size_t len);
/* After a message's last byte: its number and length in total. */
typedef void mailfs_pop3_done_fn(void *ctx, uint32_t number, uint64_t length);

/*
 * A SASL mechanism the library does not know (XOAUTH2, OAUTHBEARER),
 * as struct mailfs_smtp_mech in <mailfs/smtp.h>: step() is called with
 * step 0 for the initial response, then once per challenge ("+ ..."),
 * decoded; it sets *response_r (malloc'ed, taken by the library) or NULL
 * (step 0: no initial response; later: cancel with "*").  At most 8
 * challenges are answered.
 */
struct mailfs_pop3_mech {
	const char *name;
	int (*step)(void *ctx, unsigned step, const unsigned char *challenge,
	    size_t challenge_len, unsigned char **response_r, size_t *len_r);
	void *ctx;
};

/*
 * Allocates a client; does no I/O.  NULL when out of memory or when
 * params or params->host is NULL (errno ENOMEM or EINVAL).  Free with
 * mailfs_pop3_free().
 */
struct mailfs_pop3 *mailfs_pop3_new(const struct mailfs_pop3_params *params);

/*
 * Closes the connection without QUIT (so nothing marked is deleted),
 * frees, sets *pop3 to NULL; NULL and *NULL are accepted.
 */
void mailfs_pop3_free(struct mailfs_pop3 **pop3);

/*
 * Connects, verifies TLS (implicit), reads the greeting (a -ERR greeting
 * is MAILFS_ERR_CLOSED with the server's words), asks CAPA (a server
 * without CAPA is taken as offering USER, UIDL and TOP); with
 * MAILFS_SEC_STARTTLS sends STLS and refuses with MAILFS_ERR_NO_STARTTLS
 * when it is not offered or refused.  Bytes the server sends after its
 * answer to STLS and before the handshake are refused
 * (MAILFS_ERR_PROTOCOL).  After TLS, CAPA again, and only its answer
 * counts.  Errors otherwise as mailfs_smtp_connect().
 */
int mailfs_pop3_connect(struct mailfs_pop3 *pop3);

/*
 * Logs in: AUTH PLAIN (RFC 5034) when SASL PLAIN is offered, else USER
 * and PASS.  Only over TLS (MAILFS_ERR_USAGE otherwise, nothing sent).
 * After login, CAPA again (RFC 2449 5: capabilities may change).
 * Errors: MAILFS_ERR_AUTH, MAILFS_ERR_NO with MAILFS_CODE_INUSE (another
 * session holds the maildrop), MAILFS_CODE_LOGIN_DELAY (too soon after
 * the last login), MAILFS_CODE_SYS_TEMP; MAILFS_ERR_UNSUPPORTED when no
 * way to log in is offered; and the connection's.  The password is not
 * kept after the call.
 */
int mailfs_pop3_login(struct mailfs_pop3 *pop3, const char *user,
    const char *password);

/* Logs in with mech, which the server must offer in SASL. */
int mailfs_pop3_auth(struct mailfs_pop3 *pop3, const struct mailfs_pop3_mech *mech);

/* STAT: the number of messages and their total size (a hint). */
int mailfs_pop3_stat(struct mailfs_pop3 *pop3, uint32_t *count_r, uint64_t *size_r);

/*
 * UIDL of every message, in the server's order, one call of fn each.
 * MAILFS_ERR_UNSUPPORTED when the server refuses UIDL.  Numbers out of
 * order or repeated, or an id repeated, fail the call
 * (MAILFS_ERR_PROTOCOL): a caller must never confuse two messages.  The
 * whole listing is read and checked before fn is first called, so a
 * failed call has called fn not at all.  A malformed or oversized
 * listing (MAILFS_ERR_PROTOCOL, MAILFS_ERR_LIMIT) drops the connection.
 */
int mailfs_pop3_uidl(struct mailfs_pop3 *pop3, mailfs_pop3_item_fn *fn, void *ctx);

/* LIST of every message (sizes, which are hints), checked as UIDL is. */
int mailfs_pop3_list(struct mailfs_pop3 *pop3, mailfs_pop3_item_fn *fn, void *ctx);

/*
 * RETR of the n messages numbers[], streamed to body and done in order.
 * With PIPELINING the commands go out together (in groups that keep the
 * send buffer small); without, one after the other.  A message the
 * server refuses (-ERR: deleted meanwhile) fails the call after the
 * messages before it were passed; *done_r (may be NULL) gets how many
 * were passed whole.  The bytes are not kept: memory stays bounded
 * whatever the sizes.
 */
int mailfs_pop3_retr(struct mailfs_pop3 *pop3, const uint32_t *numbers, size_t n,
    mailfs_pop3_body_fn *body, mailfs_pop3_done_fn *done, void *ctx,
    size_t *done_r);

/* TOP number lines: the header and the first lines of the body, as RETR. */
int mailfs_pop3_top(struct mailfs_pop3 *pop3, uint32_t number, unsigned lines,
    mailfs_pop3_body_fn *body, mailfs_pop3_done_fn *done, void *ctx);

/*
 * DELE of the n messages numbers[] (pipelined where offered).  Any -ERR
 * fails the call; the caller then sends RSET or drops the connection,
 * so that nothing is deleted.
 */
int mailfs_pop3_dele(struct mailfs_pop3 *pop3, const uint32_t *numbers, size_t n);

/* RSET: unmarks every message marked deleted in this session. */
int mailfs_pop3_rset(struct mailfs_pop3 *pop3);

/* NOOP. */
int mailfs_pop3_noop(struct mailfs_pop3 *pop3);

/*
 * QUIT, and closes.  0 when the server answered +OK: the messages
 * marked are deleted.  -1 otherwise: a -ERR (the server could not
 * delete them: MAILFS_ERR_NO), or no answer (MAILFS_ERR_CLOSED,
 * _TIMEOUT: the deletion's fate is the server's; RFC 1939 says nothing
 * is deleted then, and a caller checks with UIDL when it matters).
 */
int mailfs_pop3_quit(struct mailfs_pop3 *pop3);

/* Closes at once without QUIT: nothing marked is deleted. */
void mailfs_pop3_disconnect(struct mailfs_pop3 *pop3);

/* As mailfs_smtp_set_deadline() and mailfs_smtp_set_cancel_fd(). */
void mailfs_pop3_set_deadline(struct mailfs_pop3 *pop3,
    const struct timespec *deadline);
void mailfs_pop3_set_cancel_fd(struct mailfs_pop3 *pop3, int fd);

/* 1 while connected and logged in (TRANSACTION state), else 0. */
int mailfs_pop3_is_ready(const struct mailfs_pop3 *pop3);

/* The MAILFS_POP3_CAP_* bits of the last CAPA. */
unsigned mailfs_pop3_capabilities(const struct mailfs_pop3 *pop3);

/* 1 when the last CAPA listed mech under SASL (case-insensitive). */
int mailfs_pop3_has_sasl(const struct mailfs_pop3 *pop3, const char *mech);

/*
 * LOGIN-DELAY's seconds from the last CAPA (RFC 2449 6.5: the least time
 * between two logins), -1 when not announced.
 */
long mailfs_pop3_login_delay(const struct mailfs_pop3 *pop3);

/* The last error.  Owned by the client; never NULL. */
const struct mailfs_error *mailfs_pop3_error(const struct mailfs_pop3 *pop3);

#ifdef __cplusplus
}
#endif

#endif
