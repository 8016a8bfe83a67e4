/*
 * The SMTP session: the client's state, the connection, reading replies
 * and writing commands, EHLO's extensions.  Internal to libmailfs.
 *
 * The state changes only in smtp_set_state(), traced "state A -> B".  A
 * failure of the connection (closed, timeout, TLS, a malformed or
 * oversized reply, a 421) always goes through smtp_drop(): the
 * connection is closed and the state is DISCONNECTED, so that no later
 * call can read a reply that belonged to an earlier command.
 *
 * smtp/, above smtp_reply.h and smtp_data.h and transport/; below
 * smtp_auth.c and smtp_send.c.
 */
#ifndef MAILFS_SMTP_SESSION_H
#define MAILFS_SMTP_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include <mailfs/smtp.h>

#include "buf.h"
#include "conn.h"
#include "smtp_reply.h"

enum smtp_state {
	SMTP_ST_DISCONNECTED = 0,
	SMTP_ST_GREETING,	/* connected; waiting for the 220 */
	SMTP_ST_EHLO,
	SMTP_ST_STARTTLS,
	SMTP_ST_READY,		/* past EHLO (and TLS): AUTH or a transaction */
	SMTP_ST_AUTH,
	SMTP_ST_ENVELOPE,	/* MAIL, RCPT, DATA */
	SMTP_ST_DATA,		/* the message after DATA's 354 */
	SMTP_ST_FINAL,		/* the final dot sent; its reply awaited */
	SMTP_ST_RSET,
	SMTP_ST_QUIT
};

struct mailfs_smtp {
	/* parameters, copied */
	char *host;
	char *port;
	char *ca_file;
	char *helo_name;	/* NULL: the local address literal */
	enum mailfs_security security;
	int connect_timeout_ms;
	int io_timeout_ms;
	int final_timeout_ms;
	unsigned max_extensions;
	mailfs_trace_fn *trace;
	void *trace_ctx;

	struct conn_bounds bounds;	/* for every wait of conn */
	struct conn *conn;
	struct smtp_reply_parser parser;
	enum smtp_state state;		/* written only by smtp_set_state() */
	int authenticated;
	int mask_replies;		/* AUTH: replies traced without text */
	struct mailfs_error err;

	/* What the last EHLO said. */
	unsigned exts;
	uint64_t max_size;		/* SIZE; 0: none */
	struct buf keywords;		/* " KW1 KW2 ... ", upper case */
	struct buf auth_mechs;		/* " PLAIN LOGIN ", upper case */

	/* Bytes read and not yet parsed: the next pipelined replies. */
	char in[16384];
	size_t in_off;
	size_t in_len;
};

/* The one place the state changes; traced. */
void smtp_set_state(struct mailfs_smtp *s, enum smtp_state state);

void smtp_trace(struct mailfs_smtp *s, enum mailfs_trace_dir dir,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/*
 * Closes the connection (no QUIT), forgets what was buffered and the
 * extensions, and sets the state to DISCONNECTED.  s->err is kept.
 */
void smtp_drop(struct mailfs_smtp *s);

/*
 * Writes len bytes within the I/O timeout.  0, or -1 with s->err set and
 * the connection dropped.  Traces nothing: see smtp_send_line().
 */
int smtp_write(struct mailfs_smtp *s, const char *data, size_t len);

/*
 * Before a command: 0 when the server has sent nothing since its last
 * reply; else -1 with s->err set (MAILFS_ERR_PROTOCOL) and the connection
 * dropped, so that an unasked-for reply is never taken for the next
 * command's.
 */
int smtp_quiet(struct mailfs_smtp *s);

/*
 * Writes line and CRLF, after smtp_quiet(); traces it, or trace_as
 * instead when not NULL (for lines that carry secrets).  0, or -1 as
 * smtp_write().
 */
int smtp_send_line(struct mailfs_smtp *s, const char *line,
    const char *trace_as);

/*
 * Reads the next reply, waiting up to timeout_ms; 0 with it in
 * s->parser.reply (valid until the next read), or -1 with s->err set and
 * the connection dropped.  A 421 is returned like any reply: see
 * smtp_closing().
 */
int smtp_read_reply(struct mailfs_smtp *s, int timeout_ms);

/*
 * When the reply read last is 421 (the server is closing: RFC 5321
 * 3.8), sets s->err (MAILFS_ERR_CLOSED, quoting it), drops the
 * connection and returns 1; else 0.
 */
int smtp_closing(struct mailfs_smtp *s);

/*
 * Sets s->err to MAILFS_ERR_NO: "PREFIX: CODE ENHANCED TEXT", with the
 * enhanced status code in code_name; without the text when with_text is
 * 0 (replies to AUTH).
 */
void smtp_refusal(struct mailfs_smtp *s, const char *prefix,
    const struct smtp_reply *r, int with_text);
/* The same from a reply's parts; text may be NULL, its '\n's become spaces. */
void smtp_refusal_of(struct mailfs_smtp *s, const char *prefix, unsigned code,
    const char *enhanced, const char *text);

/* Copies a reply into a public one; text NULL when out of memory. */
void smtp_reply_export(const struct smtp_reply *r,
    struct mailfs_smtp_reply *out);

#endif
