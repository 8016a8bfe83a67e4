/*
 * The command engine: queue, pipelined sending, reading and dispatch.
 * See engine.h for the rules every command follows.
 *
 * RFC 3501 2.2.1 and 5.5 (pipelining), 7.5 (continuation requests),
 * RFC 7888 (LITERAL+ and LITERAL-).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mailfs/utf7.h>

#include "conn.h"
#include "engine.h"
#include "errors.h"
#include "trace.h"

/* A command carrying more literal data than this waits for an empty pipeline. */
#define LARGE_PAYLOAD		(64 * 1024)
/* The longest text a trace line shows of one command or response. */
#define TRACE_LINE_MAX		400
/* RFC 7888: LITERAL- allows non-synchronising literals up to this size. */
#define LITERAL_MINUS_MAX	4096
/* A command's own text (not its literals) is never longer than this. */
#define CMD_TEXT_MAX		(1024 * 1024)

void
engine_trace(struct mailfs_client *c, enum mailfs_trace_dir dir,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	trace_vemit(c->trace, c->trace_ctx, dir, TRACE_LINE_MAX + 63, fmt, ap);
	va_end(ap);
}

void
wipe_secret(void *p, size_t len)
{
	volatile unsigned char *v = p;

	while (len-- > 0)
		*v++ = 0;
}

/* ---- the client's state ---- */

void
client_set_state(struct mailfs_client *c, enum mailfs_client_state state)
{
	static const char *const names[] = {
		"DISCONNECTED", "NOT_AUTHENTICATED", "AUTHENTICATED",
		"SELECTED", "LOGOUT"
	};

	if (c->state == state)
		return;
	engine_trace(c, MAILFS_TRACE_INFO, "state %s -> %s", names[c->state],
	    names[state]);
	c->state = state;
}

void
mailbox_state_clear(struct mailfs_client *c)
{
	struct mailbox_state *mb = &c->mailbox;

	free(mb->name);
	free(mb->flags);
	free(mb->permanent_flags);
	memset(mb, 0, sizeof(*mb));
	c->selected = 0;
	if (c->state == MAILFS_STATE_SELECTED)
		client_set_state(c, MAILFS_STATE_AUTHENTICATED);
}

/* ---- building ---- */

static void
cmd_fail_build(struct mailfs_client *c, struct mailfs_cmd *cmd,
    enum mailfs_errkind kind, const char *why)
{
	if (cmd->building_failed)
		return;
	cmd->building_failed = 1;
	error_set(&cmd->err, kind, "%s: %s", cmd->name, why);
	(void)c;
}

struct mailfs_cmd *
cmd_new(struct mailfs_client *c, enum cmd_kind kind, const char *name,
    const struct mailfs_handlers *handlers)
{
	struct mailfs_cmd *cmd;

	if (c->conn == NULL || c->state == MAILFS_STATE_DISCONNECTED ||
	    c->state == MAILFS_STATE_LOGOUT) {
		error_set(&c->err, MAILFS_ERR_CLOSED,
		    "%s: not connected to the server", name);
		return NULL;
	}
	if ((cmd = calloc(1, sizeof(*cmd))) == NULL) {
		error_set_sys(&c->err, errno, "%s", name);
		return NULL;
	}
	cmd->kind = kind;
	cmd->phase = CMD_PHASE_QUEUED;
	snprintf(cmd->name, sizeof(cmd->name), "%s", name);
	/* Tags are "m" and a counter: short, unique per connection, never reused. */
	snprintf(cmd->tag, sizeof(cmd->tag), "m%u", ++c->next_tag);
	if (handlers != NULL)
		cmd->handlers = *handlers;
	buf_init(&cmd->text, CMD_TEXT_MAX);
	cmd_add(cmd, "%s %s", cmd->tag, name);
	return cmd;
}

void
cmd_add(struct mailfs_cmd *cmd, const char *fmt, ...)
{
	va_list ap;
	char small[512];
	int n;

	if (cmd->building_failed)
		return;
	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(small)) {
		cmd_fail_build(NULL, cmd, MAILFS_ERR_USAGE, "argument too long");
		return;
	}
	if (buf_append(&cmd->text, small, (size_t)n) == -1)
		cmd_fail_build(NULL, cmd, errno == E2BIG ? MAILFS_ERR_USAGE :
		    MAILFS_ERR_NOMEM, "command too long or out of memory");
}

static int
cmd_push_segment(struct mailfs_cmd *cmd, char *owned, const char *data,
    size_t len, int wait_continuation, int secret)
{
	struct cmd_segment *segs, *seg;

	segs = realloc(cmd->segs, (cmd->nsegs + 1) * sizeof(*segs));
	if (segs == NULL) {
		free(owned);
		cmd_fail_build(NULL, cmd, MAILFS_ERR_NOMEM, "out of memory");
		return -1;
	}
	cmd->segs = segs;
	seg = &segs[cmd->nsegs++];
	seg->owned = owned;
	seg->data = owned != NULL ? owned : data;
	seg->len = len;
	seg->wait_continuation = wait_continuation;
	seg->secret = secret;
	seg->literal = 0;
	return 0;
}

/* Turns the text built so far into a segment of its own. */
static void
cmd_flush_text(struct mailfs_cmd *cmd, int wait_continuation, int secret)
{
	size_t len = cmd->text.len;
	char *owned;

	if (cmd->building_failed || len == 0)
		return;
	if ((owned = buf_steal(&cmd->text)) == NULL) {
		cmd_fail_build(NULL, cmd, MAILFS_ERR_NOMEM, "out of memory");
		return;
	}
	cmd_push_segment(cmd, owned, NULL, len, wait_continuation, secret);
}

/* RFC 3501 ATOM-CHAR, minus the list and resp specials we never want unquoted. */
static int
is_atom_char(unsigned char ch)
{
	return ch > 0x20 && ch < 0x7f && strchr("(){%*\"\\]", ch) == NULL;
}

void
cmd_add_astring(struct mailfs_client *c, struct mailfs_cmd *cmd,
    const char *s, int secret)
{
	size_t len = strlen(s), i;
	int atom = len > 0, quotable = 1;

	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (!is_atom_char(ch))
			atom = 0;
		if (ch == '\r' || ch == '\n' || ch >= 0x80)
			quotable = 0;
	}
	/* NIL as an atom would mean no string at all. */
	if (atom && len == 3 && strncasecmp(s, "NIL", 3) == 0)
		atom = 0;
	if (!atom && !quotable) {
		cmd_add_literal(c, cmd, s, len, 1, secret);
		return;
	}
	cmd_add(cmd, " ");
	if (secret)
		cmd_flush_text(cmd, 0, 0);
	if (atom) {
		if (buf_append(&cmd->text, s, len) == -1)
			cmd_fail_build(c, cmd, MAILFS_ERR_USAGE, "argument too long");
	} else {
		int rc = buf_append(&cmd->text, "\"", 1);

		for (i = 0; rc == 0 && i < len; i++) {
			if (s[i] == '"' || s[i] == '\\')
				rc = buf_append(&cmd->text, "\\", 1);
			if (rc == 0)
				rc = buf_append(&cmd->text, &s[i], 1);
		}
		if (rc == 0)
			rc = buf_append(&cmd->text, "\"", 1);
		if (rc == -1)
			cmd_fail_build(c, cmd, MAILFS_ERR_USAGE, "argument too long");
	}
	if (secret)
		cmd_flush_text(cmd, 0, 1);
}

void
cmd_add_mailbox(struct mailfs_client *c, struct mailfs_cmd *cmd,
    const char *utf8_name)
{
	char *encoded;

	if (cmd->building_failed)
		return;
	if (utf8_name == NULL || *utf8_name == '\0') {
		cmd_fail_build(c, cmd, MAILFS_ERR_USAGE, "empty mailbox name");
		return;
	}
	if (mailfs_utf7_encode(utf8_name, strlen(utf8_name), &encoded) == -1) {
		cmd_fail_build(c, cmd, errno == ENOMEM ? MAILFS_ERR_NOMEM :
		    MAILFS_ERR_USAGE, "the mailbox name is not valid UTF-8");
		return;
	}
	cmd_add_astring(c, cmd, encoded, 0);
	free(encoded);
}

void
cmd_add_literal(struct mailfs_client *c, struct mailfs_cmd *cmd,
    const char *data, size_t len, int copy, int secret)
{
	int plus = (c->caps & MAILFS_CAP_LITERAL_PLUS) ||
	    ((c->caps & MAILFS_CAP_LITERAL_MINUS) && len <= LITERAL_MINUS_MAX);
	char *owned = NULL;

	cmd_add(cmd, " {%zu%s}\r\n", len, plus ? "+" : "");
	cmd_flush_text(cmd, 0, 0);
	if (cmd->building_failed)
		return;
	if (copy) {
		if ((owned = malloc(len + 1)) == NULL) {
			cmd_fail_build(c, cmd, MAILFS_ERR_NOMEM, "out of memory");
			return;
		}
		memcpy(owned, data, len);
	}
	cmd->payload += len;
	if (cmd_push_segment(cmd, owned, data, len, !plus, secret) == 0)
		cmd->segs[cmd->nsegs - 1].literal = 1;
}

void
cmd_add_after_continuation(struct mailfs_cmd *cmd, const char *data,
    size_t len, int secret)
{
	char *owned;

	cmd_add(cmd, "\r\n");
	cmd_flush_text(cmd, 0, 0);
	if (cmd->building_failed)
		return;
	if ((owned = malloc(len + 1)) == NULL) {
		cmd_fail_build(NULL, cmd, MAILFS_ERR_NOMEM, "out of memory");
		return;
	}
	memcpy(owned, data, len);
	cmd_push_segment(cmd, owned, NULL, len, 1, secret);
}

void
cmd_add_flag_list(struct mailfs_client *c, struct mailfs_cmd *cmd,
    const char *flags)
{
	const char *p;

	/*
	 * A flag is "\" atom or a keyword atom (RFC 3501 flag-keyword);
	 * anything else could smuggle syntax into the command.
	 */
	for (p = flags; *p != '\0'; p++) {
		unsigned char ch = (unsigned char)*p;

		if (ch == ' ') {
			if (p == flags || p[1] == ' ' || p[1] == '\0')
				break;
			continue;
		}
		if (ch == '\\' && (p == flags || p[-1] == ' ') &&
		    p[1] != '\0' && p[1] != ' ')
			continue;
		if (!is_atom_char(ch))
			break;
	}
	if (*p != '\0') {
		cmd_fail_build(c, cmd, MAILFS_ERR_USAGE,
		    "flags must be atoms separated by single spaces");
		return;
	}
	cmd_add(cmd, " (");
	if (buf_append_str(&cmd->text, flags) == -1)
		cmd_fail_build(c, cmd, MAILFS_ERR_USAGE, "too many flags");
	cmd_add(cmd, ")");
}

void
cmd_add_uidset(struct mailfs_client *c, struct mailfs_cmd *cmd,
    const char *uids)
{
	const char *p;
	int digits = 0;

	/* sequence-set: (nz-number / "*") [":" ...] *("," ...); checked loosely but safely */
	for (p = uids; *p != '\0'; p++) {
		if (*p >= '0' && *p <= '9')
			digits++;
		else if (*p == '*')
			digits++;
		else if ((*p == ':' || *p == ',') && digits > 0 &&
		    p[1] != '\0')
			digits = 0;
		else
			break;
	}
	if (*p != '\0' || p == uids) {
		cmd_fail_build(c, cmd, MAILFS_ERR_USAGE,
		    "not a valid UID set");
		return;
	}
	cmd_add(cmd, " ");
	if (buf_append_str(&cmd->text, uids) == -1)
		cmd_fail_build(c, cmd, MAILFS_ERR_USAGE, "UID set too long");
	/*
	 * Dovecot answers pipelined FETCHes interleaved, so each answer is
	 * routed by its UID to the command whose set holds it.
	 */
	mailfs_uidset_clear(&cmd->uids);
	if (!cmd->building_failed && mailfs_uidset_parse(uids, strlen(uids),
	    UINT32_MAX, &cmd->uids) == -1)
		cmd_fail_build(c, cmd, errno == ENOMEM ? MAILFS_ERR_NOMEM :
		    MAILFS_ERR_USAGE, "not a valid UID set");
}

void
cmd_free(struct mailfs_cmd *cmd)
{
	size_t i;

	if (cmd == NULL)
		return;
	for (i = 0; i < cmd->nsegs; i++) {
		/* Secrets do not linger in freed memory. */
		if (cmd->segs[i].secret && cmd->segs[i].owned != NULL)
			wipe_secret(cmd->segs[i].owned, cmd->segs[i].len);
		free(cmd->segs[i].owned);
	}
	free(cmd->segs);
	buf_free(&cmd->text);
	mailfs_cmd_result_clear(&cmd->result);
	mailfs_uidset_clear(&cmd->uids);
	free(cmd);
}

/* ---- sending ---- */

/* Commands after which nothing may be sent until they complete. */
static int
cmd_is_barrier(const struct mailfs_cmd *cmd)
{
	return cmd->kind == CMD_STARTTLS || cmd->kind == CMD_IDLE ||
	    cmd->kind == CMD_LOGIN || cmd->kind == CMD_LOGOUT;
}

static void
trace_command(struct mailfs_client *c, const struct mailfs_cmd *cmd)
{
	char line[TRACE_LINE_MAX + 1];
	size_t used = 0, i, n;

	if (c->trace == NULL)
		return;
	for (i = 0; i < cmd->nsegs && used < TRACE_LINE_MAX; i++) {
		const struct cmd_segment *seg = &cmd->segs[i];
		char note[48];
		const char *show = seg->data;

		n = seg->len;
		if (seg->secret) {
			show = "***";
			n = 3;
		} else if (seg->literal) {
			snprintf(note, sizeof(note), "<%zu bytes>", seg->len);
			show = note;
			n = strlen(note);
		}
		if (n > TRACE_LINE_MAX - used)
			n = TRACE_LINE_MAX - used;
		memcpy(line + used, show, n);
		used += n;
	}
	/* CR and LF would split the line; the trace shows them as spaces. */
	for (i = 0; i < used; i++)
		if (line[i] == '\r' || line[i] == '\n')
			line[i] = ' ';
	while (used > 0 && line[used - 1] == ' ')
		used--;
	c->trace(c->trace_ctx, MAILFS_TRACE_SEND, line, used);
}

/* Sends cmd's segments until one must wait for "+".  0, or -1 (I/O error in err). */
static int
cmd_send(struct mailfs_client *c, struct mailfs_cmd *cmd,
    struct mailfs_error *err)
{
	if (cmd->phase == CMD_PHASE_QUEUED)
		trace_command(c, cmd);
	cmd->phase = CMD_PHASE_SENDING;
	while (cmd->seg_sent < cmd->nsegs) {
		const struct cmd_segment *seg = &cmd->segs[cmd->seg_sent];

		if (seg->wait_continuation && !cmd->continuation_granted)
			return 0;
		cmd->continuation_granted = 0;
		if (seg->len > 0 && conn_write(c->conn, seg->data, seg->len,
		    c->io_timeout_ms, err) == -1)
			return -1;
		cmd->seg_sent++;
	}
	cmd->phase = CMD_PHASE_SENT;
	return 0;
}

/* Sends every queued command the pipeline allows.  0, or -1 after failing all. */
static int
engine_send(struct mailfs_client *c)
{
	struct mailfs_cmd *cmd;
	struct mailfs_error err;
	unsigned in_flight = 0;

	for (cmd = c->queue; cmd != NULL; cmd = cmd->next) {
		if (cmd->phase == CMD_PHASE_DONE)
			continue;
		if (cmd->phase == CMD_PHASE_SENT) {
			in_flight++;
			if (cmd_is_barrier(cmd))
				return 0;
			continue;
		}
		if (cmd->phase == CMD_PHASE_QUEUED) {
			if (in_flight >= c->pipeline_depth)
				return 0;
			/*
			 * A large literal is not pipelined behind replies that
			 * could fill both sides' buffers and deadlock.
			 */
			if (cmd->payload > LARGE_PAYLOAD && in_flight > 0)
				return 0;
			if (cmd_is_barrier(cmd) && in_flight > 0)
				return 0;
		}
		error_clear(&err);
		if (cmd_send(c, cmd, &err) == -1) {
			engine_fail_all(c, &err);
			return -1;
		}
		in_flight++;
		/* Nothing may follow a command that waits for "+" or a barrier. */
		if (cmd->phase == CMD_PHASE_SENDING || cmd_is_barrier(cmd))
			return 0;
	}
	return 0;
}

struct mailfs_cmd *
cmd_submit(struct mailfs_client *c, struct mailfs_cmd *cmd)
{
	struct mailfs_cmd **tail;

	if (cmd == NULL)
		return NULL;
	cmd_add(cmd, "\r\n");
	cmd_flush_text(cmd, 0, 0);
	if (cmd->building_failed) {
		c->err = cmd->err;
		cmd_free(cmd);
		return NULL;
	}
	for (tail = &c->queue; *tail != NULL; tail = &(*tail)->next)
		;
	*tail = cmd;
	/* A failure here completes cmd with the error; mailfs_run() reports it. */
	engine_send(c);
	return cmd;
}

/* ---- reading ---- */

void
engine_fail_all(struct mailfs_client *c, const struct mailfs_error *why)
{
	struct mailfs_error err = *why;
	struct mailfs_cmd **p, *cmd;

	if (err.kind == MAILFS_ERR_CLOSED && c->bye)
		snprintf(err.msg, sizeof(err.msg),
		    "the server closed the connection: %s", c->bye_text);
	engine_trace(c, MAILFS_TRACE_INFO, "connection closed: %s", err.msg);
	for (p = &c->queue; (cmd = *p) != NULL;) {
		if (cmd->phase != CMD_PHASE_DONE) {
			cmd->err = err;
			cmd->phase = CMD_PHASE_DONE;
		}
		if (cmd->detached) {
			*p = cmd->next;
			cmd_free(cmd);
			continue;
		}
		p = &cmd->next;
	}
	conn_close(&c->conn);
	client_set_state(c, MAILFS_STATE_DISCONNECTED);
	c->idling = 0;
	c->stream_cmd = NULL;
	mailbox_state_clear(c);
	c->err = err;
}

int
engine_reset(struct mailfs_client *c)
{
	imap_parser_free(&c->parser);
	if ((c->parser = imap_parser_new(&c->limits)) == NULL) {
		error_set_sys(&c->err, ENOMEM, "cannot start the parser");
		return -1;
	}
	imap_parser_set_literal_hooks(c->parser, c->dispatch->literal_hook,
	    c->dispatch->literal_data, c);
	c->greeting_pending = 0;
	c->drop_buffered_input = 0;
	c->idling = 0;
	c->bye = 0;
	c->bye_text[0] = '\0';
	c->stream_cmd = NULL;
	return 0;
}

static int
engine_feed(struct mailfs_client *c, size_t n)
{
	size_t off = 0, used;
	enum imap_parse_result r;

	while (off < n) {
		r = imap_parser_feed(c->parser, c->rbuf + off, n - off, &used);
		off += used;
		if (r == IMAP_PARSE_MORE)
			break;
		if (r == IMAP_PARSE_ERROR) {
			error_set(&c->err, MAILFS_ERR_PROTOCOL,
			    "the server sent a malformed response: %s",
			    imap_parser_error(c->parser));
			if (imap_parser_error_is_limit(c->parser))
				c->err.kind = MAILFS_ERR_LIMIT;
			return -1;
		}
		if (c->dispatch->response(c,
		    imap_parser_response(c->parser)) == -1)
			return -1;
		imap_parser_reset(c->parser);
		c->stream_cmd = NULL;
		if (c->drop_buffered_input) {
			/*
			 * Bytes that came with STARTTLS's OK were sent before
			 * the handshake: an attacker's, never the server's
			 * protected answer (CVE-2011-0411 and its kin).
			 */
			c->drop_buffered_input = 0;
			if (off < n)
				engine_trace(c, MAILFS_TRACE_INFO,
				    "discarded %zu bytes sent before TLS", n - off);
			break;
		}
		if (c->conn == NULL)
			break;
	}
	return 0;
}

int
engine_step(struct mailfs_client *c, int timeout_ms, int timeout_ok)
{
	struct mailfs_error err;
	ssize_t n;

	if (c->conn == NULL) {
		error_set(&c->err, MAILFS_ERR_CLOSED, "not connected to the server");
		return -1;
	}
	if (engine_send(c) == -1)
		return -1;
	error_clear(&err);
	n = conn_read(c->conn, c->rbuf, sizeof(c->rbuf), timeout_ms, &err);
	if (n < 0) {
		if (err.kind == MAILFS_ERR_TIMEOUT && timeout_ok)
			return 0;
		/* Unless the client's deadline came first: conn.c said so. */
		if (err.kind == MAILFS_ERR_TIMEOUT &&
		    strstr(err.msg, CONN_DEADLINE_MSG) == NULL)
			snprintf(err.msg, sizeof(err.msg),
			    "the server did not answer within %d seconds",
			    (timeout_ms + 999) / 1000);
		engine_fail_all(c, &err);
		return -1;
	}
	if (engine_feed(c, (size_t)n) == -1) {
		err = c->err;
		engine_fail_all(c, &err);
		return -1;
	}
	return 1;
}

int
engine_wait(struct mailfs_client *c, struct mailfs_cmd *cmd)
{
	while (cmd->phase != CMD_PHASE_DONE)
		if (engine_step(c, c->io_timeout_ms, 0) == -1)
			break;
	return cmd->err.kind == MAILFS_ERR_NONE ? 0 : -1;
}

void
engine_release(struct mailfs_client *c, struct mailfs_cmd *cmd)
{
	struct mailfs_cmd **p;

	for (p = &c->queue; *p != NULL; p = &(*p)->next)
		if (*p == cmd) {
			*p = cmd->next;
			break;
		}
	if (c->stream_cmd == cmd)
		c->stream_cmd = NULL;
	cmd_free(cmd);
}

void
engine_report(struct mailfs_client *c, const struct mailfs_cmd *cmd)
{
	c->err = cmd->err;
}

/* ---- the public face of the engine ---- */

void
mailfs_cmd_result_clear(struct mailfs_cmd_result *result)
{
	if (result == NULL)
		return;
	mailfs_uidset_clear(&result->src_uids);
	mailfs_uidset_clear(&result->dst_uids);
	mailfs_uidset_clear(&result->modified);
	memset(result, 0, sizeof(*result));
}

int
mailfs_run(struct mailfs_client *c, struct mailfs_cmd *cmd,
    struct mailfs_cmd_result *result_r)
{
	int rc;

	if (cmd == NULL)
		return -1;
	rc = engine_wait(c, cmd);
	engine_report(c, cmd);
	if (result_r != NULL) {
		*result_r = cmd->result;
		memset(&cmd->result, 0, sizeof(cmd->result));
	}
	engine_release(c, cmd);
	return rc;
}

void
mailfs_cmd_detach(struct mailfs_client *c, struct mailfs_cmd *cmd)
{
	if (cmd == NULL)
		return;
	if (cmd->phase == CMD_PHASE_DONE)
		engine_release(c, cmd);
	else
		cmd->detached = 1;
}

int
mailfs_client_drain(struct mailfs_client *c)
{
	struct mailfs_cmd *cmd;

	for (;;) {
		for (cmd = c->queue; cmd != NULL; cmd = cmd->next)
			if (cmd->phase != CMD_PHASE_DONE)
				break;
		if (cmd == NULL)
			return 0;
		if (engine_step(c, c->io_timeout_ms, 0) == -1)
			return -1;
	}
}
