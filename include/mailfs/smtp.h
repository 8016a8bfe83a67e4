/*
 * libmailfs: an SMTP submission client (RFC 6409).
 *
 * A struct mailfs_smtp is one connection to one submission server: TCP,
 * TLS (implicit on port 465, or STARTTLS on 587, required, verified the
 * same way as the IMAP client's), EHLO, authentication, and the
 * transactions that send messages, one at a time, each with a result per
 * recipient.  It shares the IMAP client's transport, its error convention
 * (<mailfs/error.h>), its security modes and its trace callback
 * (<mailfs/client.h>).
 *
 * Blocking: every call returns when its exchange with the server is over
 * (or failed), bounded by the timeouts of struct mailfs_smtp_params and
 * by mailfs_smtp_set_deadline() and mailfs_smtp_set_cancel_fd().
 *
 * Threads: a client is not thread-safe; distinct clients may be used from
 * distinct threads at once.  The trace callback runs on the calling
 * thread, inside a library call.
 *
 * Errors: every function that can fail returns 0 or -1 and leaves the
 * reason in mailfs_smtp_error().  A refusal by the server is
 * MAILFS_ERR_NO, with the enhanced status code (RFC 3463, "5.1.1") in
 * code_name when the server sent one; its message quotes the server's
 * reply.  Credentials never appear in an error or in the trace.
 *
 * Nothing is ever retried by the library: a message whose fate is
 * unknown (the connection lost or silent after the final dot) is
 * reported as MAILFS_SMTP_UNKNOWN, and the caller decides.
 *
 * RFC 5321 (SMTP), RFC 6409 (submission), RFC 8314 (implicit TLS),
 * RFC 3207 (STARTTLS), RFC 4954 (AUTH), RFC 4616 (PLAIN), RFC 1870 (SIZE),
 * RFC 6152 (8BITMIME), RFC 6531 (SMTPUTF8), RFC 2920 (PIPELINING),
 * RFC 3461 (DSN), RFC 2034 and RFC 3463 (enhanced status codes).
 */
#ifndef MAILFS_SMTP_H
#define MAILFS_SMTP_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <mailfs/error.h>
#include <mailfs/client.h>

#ifdef __cplusplus
extern "C" {
#endif

struct mailfs_smtp;

/*
 * How to reach the server and the limits that protect the client from it.
 * A zero member takes the default named beside it.  mailfs_smtp_new()
 * copies everything; the caller's struct and strings may go afterwards.
 *
 * security: MAILFS_SEC_IMPLICIT_TLS (smtps://, port 465),
 * MAILFS_SEC_STARTTLS (smtp://, port 587; STARTTLS is required, never
 * skipped), or MAILFS_SEC_PLAINTEXT_INSECURE (tests on loopback; no
 * AUTH is ever sent without TLS, even then).
 */
struct mailfs_smtp_params {
	const char *host;		/* required; a name or an address */
	const char *port;		/* NULL: "465" implicit TLS, "587" otherwise */
	enum mailfs_security security;
	const char *ca_file;		/* NULL: the system's trust store */
	/*
	 * EHLO's argument: this host's name, printable ASCII without
	 * spaces, at most 255 bytes.  NULL: the address literal of the
	 * connection's local end ("[192.0.2.1]", RFC 5321 4.1.3).
	 */
	const char *helo_name;
	int connect_timeout_ms;		/* 0: 30000, connect and TLS handshake */
	int io_timeout_ms;		/* 0: 60000, each reply but the last */
	/* 0: 600000, the reply to the final dot (RFC 5321 4.5.3.2.6) */
	int final_timeout_ms;
	size_t max_line;		/* 0: 4096, the longest reply line */
	unsigned max_lines;		/* 0: 128, lines of one reply */
	unsigned max_extensions;	/* 0: 64, EHLO keywords kept */
	mailfs_trace_fn *trace;		/* NULL: none; AUTH data shown as "***" */
	void *trace_ctx;
};

/* The EHLO keywords the library acts on (RFC 5321 4.1.1.1). */
#define MAILFS_SMTP_EXT_STARTTLS	(1u << 0)
#define MAILFS_SMTP_EXT_AUTH		(1u << 1)
#define MAILFS_SMTP_EXT_SIZE		(1u << 2)
#define MAILFS_SMTP_EXT_8BITMIME	(1u << 3)
#define MAILFS_SMTP_EXT_SMTPUTF8	(1u << 4)
#define MAILFS_SMTP_EXT_PIPELINING	(1u << 5)
#define MAILFS_SMTP_EXT_DSN		(1u << 6)
#define MAILFS_SMTP_EXT_ENHANCEDSTATUSCODES (1u << 7)

/*
 * A SASL mechanism (RFC 4954), for those the library does not know
 * (XOAUTH2, OAUTHBEARER): mailfs_smtp_auth() calls step() with step 0
 * for the initial response, then once for each challenge the server
 * sends (334), with the challenge decoded from base64 (the library's,
 * valid only during the call).  step() sets *response_r to *len_r bytes
 * allocated with malloc(), which the library takes (it base64-encodes,
 * sends, wipes and frees them), or to NULL: at step 0 for no initial
 * response, later to cancel ("*").  It returns 0, or -1 to cancel.  A
 * response may be long (a token of 8 KB or more, up to 64 KiB): the
 * initial one rides on the AUTH line when the line stays within 2048
 * octets (Postfix's default line_length_limit, below RFC 4954's 12288),
 * else it follows the server's first 334.  At most
 * 8 challenges are answered.
 */
struct mailfs_smtp_mech {
	const char *name;		/* "XOAUTH2": RFC 4422 3.1 syntax */
	int (*step)(void *ctx, unsigned step, const unsigned char *challenge,
	    size_t challenge_len, unsigned char **response_r, size_t *len_r);
	void *ctx;
};

/* DSN's RET (RFC 3461 4.3). */
enum mailfs_smtp_ret {
	MAILFS_SMTP_RET_DEFAULT = 0,	/* no RET: the server's choice */
	MAILFS_SMTP_RET_FULL,
	MAILFS_SMTP_RET_HDRS
};

/*
 * A message's envelope.  Addresses are bare (no angle brackets), at most
 * 254 bytes, without spaces or control bytes; a byte >= 0x80 in any of
 * them asks for SMTPUTF8, which the server must offer.  The envelope
 * and its strings are the caller's, read only during mailfs_smtp_send().
 */
struct mailfs_smtp_envelope {
	const char *from;		/* "" for the null reverse-path */
	const char *const *rcpts;	/* nrcpts addresses, at least one */
	size_t nrcpts;
	/* DSN (RFC 3461), sent only when the server offers DSN. */
	enum mailfs_smtp_ret ret;
	/* NULL: none; printable ASCII, <= 100 bytes; sent as xtext */
	const char *envid;
};

/* A reply of the server (RFC 5321 4.2). */
struct mailfs_smtp_reply {
	unsigned code;			/* 0 when none came */
	char enhanced[16];		/* "5.1.1", "" when none */
	/*
	 * Its text, the lines joined by single spaces, control bytes as
	 * '?'; NULL when no reply came (or memory ran out).  Owned by the
	 * result.
	 */
	char *text;
};

struct mailfs_smtp_rcpt_result {
	char *address;			/* a copy; owned by the result */
	struct mailfs_smtp_reply reply;	/* RCPT TO's */
	int accepted;			/* 2xx to RCPT TO */
};

enum mailfs_smtp_outcome {
	/* Accepted for every recipient. */
	MAILFS_SMTP_SENT = 0,
	/* Accepted for some recipients; the rest refused (see rcpts). */
	MAILFS_SMTP_PARTIAL,
	/* Refused for good (5xx): not sent to anyone. */
	MAILFS_SMTP_REFUSED,
	/*
	 * Not sent to anyone, for now: a 4xx, a connection lost or a
	 * timeout before the final dot was wholly sent, a check that failed
	 * before anything was sent.  Safe to send again later.
	 */
	MAILFS_SMTP_DEFERRED,
	/*
	 * The final dot was sent and no reply to it was read (the
	 * connection lost, a timeout, a malformed reply): the server may
	 * have accepted the message, or not.  Sending it again may deliver
	 * it twice.
	 */
	MAILFS_SMTP_UNKNOWN
};

/*
 * What a transaction did.  Filled by mailfs_smtp_send() on success and on
 * failure; free what it holds with mailfs_smtp_result_clear().
 */
struct mailfs_smtp_result {
	enum mailfs_smtp_outcome outcome;
	struct mailfs_smtp_reply mail;	/* MAIL FROM's reply */
	/* nrcpts of them, in the envelope's order */
	struct mailfs_smtp_rcpt_result *rcpts;
	size_t nrcpts;
	size_t naccepted;		/* recipients with accepted set */
	struct mailfs_smtp_reply data;	/* DATA's (354, or a refusal) */
	struct mailfs_smtp_reply final;	/* the reply to the final dot */
};

/* Frees what a result holds and zeroes it.  A zeroed result is accepted. */
void mailfs_smtp_result_clear(struct mailfs_smtp_result *result);

/* A constant name for an outcome ("sent", "unknown", ...); never NULL. */
const char *mailfs_smtp_outcome_name(enum mailfs_smtp_outcome outcome);

/*
 * Allocates a client; does no I/O.  NULL only when out of memory, or when
 * params or params->host is NULL or helo_name is not a name (errno ENOMEM
 * or EINVAL).  Free with mailfs_smtp_free().
 */
struct mailfs_smtp *mailfs_smtp_new(const struct mailfs_smtp_params *params);

/*
 * Closes the connection without QUIT, frees, sets *smtp to NULL; NULL
 * and *NULL are accepted.
 */
void mailfs_smtp_free(struct mailfs_smtp **smtp);

/*
 * Connects, verifies TLS (implicit), reads the greeting, says EHLO; with
 * MAILFS_SEC_STARTTLS sends STARTTLS and refuses with
 * MAILFS_ERR_NO_STARTTLS when the server does not offer it or refuses it
 * (nothing more is sent then).  A server that sends anything after its
 * answer to STARTTLS and before the handshake is refused
 * (MAILFS_ERR_PROTOCOL: such bytes can only be an attacker's).  After
 * TLS, EHLO again, and only its extensions count.  Errors: those of the
 * transport (MAILFS_ERR_RESOLVE, _CONNECT, _TIMEOUT, _CLOSED, _TLS,
 * _CERT, _HOSTNAME), MAILFS_ERR_CLOSED for a greeting that refuses (554,
 * 421), MAILFS_ERR_UNSUPPORTED for a server that refuses EHLO,
 * MAILFS_ERR_PROTOCOL or MAILFS_ERR_LIMIT for a malformed or oversized
 * reply, MAILFS_ERR_USAGE when already connected.
 */
int mailfs_smtp_connect(struct mailfs_smtp *smtp);

/*
 * Authenticates with AUTH PLAIN when offered, else AUTH LOGIN (RFC 4954).
 * Only over TLS: MAILFS_ERR_USAGE otherwise, nothing sent.  Errors:
 * MAILFS_ERR_AUTH (rejected: 535), MAILFS_ERR_UNSUPPORTED (no AUTH, or
 * neither mechanism), MAILFS_ERR_NO (another refusal; code_name holds
 * its enhanced status code), and the connection's.  The error never
 * holds the user name's password, nor any text of the server's replies
 * to AUTH (a server may echo what it was sent).  The password is not
 * kept after the call.
 */
int mailfs_smtp_login(struct mailfs_smtp *smtp, const char *user,
    const char *password);

/*
 * Authenticates with mech (see struct mailfs_smtp_mech); the mechanism
 * must be among those the server offers (MAILFS_ERR_UNSUPPORTED
 * otherwise).  Errors as mailfs_smtp_login().  mech is used only during
 * the call.
 */
int mailfs_smtp_auth(struct mailfs_smtp *smtp,
    const struct mailfs_smtp_mech *mech);

/*
 * Sends msg[0..len) (borrowed for the call) to env's recipients in one
 * transaction.  Before anything is sent it refuses (MAILFS_ERR_USAGE) a
 * message with a line longer than 998 octets or a NUL byte, or a bad
 * address; (MAILFS_ERR_LIMIT) one larger than the server's SIZE;
 * (MAILFS_ERR_UNSUPPORTED) one with 8-bit bytes when the server lacks
 * 8BITMIME, or a non-ASCII address when it lacks SMTPUTF8.  Every bare
 * CR and every bare LF becomes CRLF, then a dot that begins a line is
 * doubled, and the data ends with "." on a line of its own (a CRLF added
 * first when the message does not end with one): the data can end
 * nowhere else.  With PIPELINING, MAIL, the RCPTs and DATA go in one
 * write (groups of 64 commands for many recipients); the message is sent
 * only after DATA's 354.  The 8BITMIME, SMTPUTF8, SIZE= and DSN
 * parameters are added when needed and offered.
 *
 * Returns 0 when the outcome is MAILFS_SMTP_SENT, else -1 with the error
 * set: MAILFS_ERR_NO for refusals (its message quotes the first refusal,
 * with the address for a recipient; code_name holds its enhanced status
 * code), MAILFS_ERR_CLOSED for a 421 (the server is closing), the
 * connection's error otherwise (MAILFS_ERR_CLOSED, _TIMEOUT, _PROTOCOL,
 * ...), and for MAILFS_SMTP_UNKNOWN a message that says the outcome is
 * unknown.  result_r (may be NULL) is zeroed at once, then filled as far
 * as the transaction went; its outcome is MAILFS_SMTP_DEFERRED when the
 * call failed before sending anything.  Free it with
 * mailfs_smtp_result_clear() whatever the call returned.  After a
 * refusal the session is reset (RSET) and may send again; after a lost
 * connection (mailfs_smtp_is_ready() is 0), connect again.
 */
int mailfs_smtp_send(struct mailfs_smtp *smtp,
    const struct mailfs_smtp_envelope *env, const char *msg, size_t len,
    struct mailfs_smtp_result *result_r);

/* Sends QUIT, waits for its reply (io timeout), closes.  0, or -1. */
int mailfs_smtp_quit(struct mailfs_smtp *smtp);

/* Closes the connection at once, without QUIT. */
void mailfs_smtp_disconnect(struct mailfs_smtp *smtp);

/*
 * As mailfs_client_set_deadline() and mailfs_client_set_cancel_fd(): an
 * end on CLOCK_MONOTONIC for every wait (NULL: none), and a descriptor
 * whose readability ends every wait (-1: none; never read or closed).
 */
void mailfs_smtp_set_deadline(struct mailfs_smtp *smtp,
    const struct timespec *deadline);
void mailfs_smtp_set_cancel_fd(struct mailfs_smtp *smtp, int fd);

/* 1 while connected and past EHLO (and STARTTLS), else 0. */
int mailfs_smtp_is_ready(const struct mailfs_smtp *smtp);

/* 1 once authenticated on this connection. */
int mailfs_smtp_is_authenticated(const struct mailfs_smtp *smtp);

/* The MAILFS_SMTP_EXT_* bits of the last EHLO. */
unsigned mailfs_smtp_extensions(const struct mailfs_smtp *smtp);

/*
 * 1 when the last EHLO listed keyword (case-insensitive), else 0; for
 * "AUTH", also 1 when mech (may be NULL) is among its mechanisms.
 */
int mailfs_smtp_has_extension(const struct mailfs_smtp *smtp,
    const char *keyword, const char *mech);

/* The server's SIZE limit in bytes, 0 when it announced none. */
uint64_t mailfs_smtp_max_size(const struct mailfs_smtp *smtp);

/* The last error.  Owned by the client; never NULL. */
const struct mailfs_error *mailfs_smtp_error(const struct mailfs_smtp *smtp);

#ifdef __cplusplus
}
#endif

#endif
