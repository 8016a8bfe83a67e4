/*
 * The POP3 session: the client's state, the connection, reading status
 * lines and multi-line responses, writing commands, CAPA.  Internal to
 * libmailfs.
 *
 * The state changes only in pop3_set_state(), traced "state A -> B".  A
 * failure of the connection (closed, timeout, TLS, a malformed or
 * oversized line) always goes through pop3_drop(): the connection is
 * closed and the state is DISCONNECTED, so that no later call can read a
 * response that belonged to an earlier command, and nothing marked
 * deleted is deleted.
 *
 * pop3/, above pop3_reply.h and pop3_data.h and transport/; below
 * pop3_auth.c and pop3_cmd.c.
 */
#ifndef MAILFS_POP3_SESSION_H
#define MAILFS_POP3_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include <mailfs/pop3.h>

#include "buf.h"
#include "conn.h"
#include "pop3_reply.h"

enum pop3_state {
	POP3_ST_DISCONNECTED = 0,
	POP3_ST_GREETING,	/* connected; waiting for the +OK */
	POP3_ST_STLS,
	POP3_ST_AUTHORIZATION,	/* past CAPA (and TLS): login */
	POP3_ST_AUTH,		/* USER/PASS or AUTH under way */
	POP3_ST_TRANSACTION,	/* logged in */
	POP3_ST_QUIT
};

struct mailfs_pop3 {
	/* parameters, copied */
	char *host;
	char *port;
	char *ca_file;
	enum mailfs_security security;
	int connect_timeout_ms;
	int io_timeout_ms;
	size_t max_line;
	uint32_t max_messages;
	mailfs_trace_fn *trace;
	void *trace_ctx;

	struct conn_bounds bounds;	/* for every wait of conn */
	struct conn *conn;
	enum pop3_state state;		/* written only by pop3_set_state() */
	int mask_replies;		/* PASS, AUTH: traced without text */
	struct mailfs_error err;

	/* What the last CAPA said. */
	unsigned caps;
	long login_delay;		/* -1: not announced */
	struct buf sasl;		/* " PLAIN LOGIN ", upper case */

	struct buf line;		/* the last line read, no line end */
	struct pop3_status st;		/* the last status; text in line */

	/* Bytes read and not yet parsed: the next pipelined responses. */
	char in[16384];
	size_t in_off;
	size_t in_len;
};

/* The one place the state changes; traced. */
void pop3_set_state(struct mailfs_pop3 *p, enum pop3_state state);

void pop3_trace(struct mailfs_pop3 *p, enum mailfs_trace_dir dir,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/*
 * Closes the connection (no QUIT), forgets what was buffered and the
 * capabilities, sets the state to DISCONNECTED.  p->err is kept.
 */
void pop3_drop(struct mailfs_pop3 *p);

/* Writes len bytes within the I/O timeout; 0, or -1 dropped. */
int pop3_write(struct mailfs_pop3 *p, const char *data, size_t len);

/*
 * Before a command that nothing is pipelined with: 0 when the server has
 * sent nothing since its last response; else -1 (MAILFS_ERR_PROTOCOL)
 * and dropped, so that an unasked-for line is never taken for the next
 * command's answer.
 */
int pop3_quiet(struct mailfs_pop3 *p);

/*
 * Writes line and CRLF after pop3_quiet(); traces it, or trace_as when
 * not NULL (lines that carry secrets).  A line with CR, LF or NUL is
 * refused (MAILFS_ERR_USAGE).  0, or -1.
 */
int pop3_send_line(struct mailfs_pop3 *p, const char *line,
    const char *trace_as);

/*
 * Reads the next status line into p->st (its text in p->line, valid until
 * the next read), traced (masked while p->mask_replies).  0, or -1 with
 * p->err set and the connection dropped: a line longer than max_line
 * (MAILFS_ERR_LIMIT) or not a status (MAILFS_ERR_PROTOCOL), or the
 * connection's error.  A continuation ("+ ") is a status only when
 * cont_ok.
 */
int pop3_read_status(struct mailfs_pop3 *p, int cont_ok);

/*
 * Where pop3_read_data() hands a multi-line response's body: 0 to go on,
 * -1 to stop at once, the connection dropped (p->err set by the sink).
 */
typedef int pop3_sink_fn(void *ctx, const char *data, size_t len);

/*
 * Reads a multi-line response's body after its +OK, to its terminating
 * line, dot-unstuffed into sink.  0, or -1 with p->err set and dropped.
 */
int pop3_read_data(struct mailfs_pop3 *p, pop3_sink_fn *sink, void *ctx);

/*
 * Reads a multi-line response's body as lines of at most max_line bytes
 * each (line end removed) into fn; fn returns 0, or -1 to fail the read
 * (p->err set by fn; dropped).  0 or -1.
 */
int pop3_read_lines(struct mailfs_pop3 *p,
    int (*fn)(void *ctx, const char *line, size_t len), void *ctx);

/*
 * p->err from the -ERR just read: kind MAILFS_ERR_NO, the response code
 * in code and code_name, "PREFIX: -ERR [CODE] TEXT" (the text only when
 * with_text).
 */
void pop3_refusal(struct mailfs_pop3 *p, const char *prefix, int with_text);

/*
 * CAPA, and the capabilities taken from its answer alone; a -ERR gives a
 * server without CAPA's (USER, UIDL, TOP).  0, or -1 dropped.
 */
int pop3_capa(struct mailfs_pop3 *p);

/* The longest line a command may have: RFC 2449 4 says 255 octets. */
#define POP3_CMD_MAX	255

#endif
