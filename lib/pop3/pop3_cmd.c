/*
 * The commands of the TRANSACTION state: STAT, UIDL, LIST, RETR, TOP,
 * DELE, RSET, NOOP (RFC 1939 5, 7).  RETR and DELE go out pipelined
 * where the server offers PIPELINING (RFC 2449 6.6), at most
 * PIPELINE_WINDOW commands ahead of their answers, so that neither side's
 * buffers can fill while the other waits (the commands are short; the
 * answers are read as they come).
 *
 * Listings are checked whole before a caller may trust them: numbers
 * ascending and at most max_messages, ids well-formed and distinct.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "errors.h"
#include "pop3_reply.h"
#include "pop3_session.h"
#include "strparse.h"

/* Commands sent ahead of their answers when pipelining. */
#define PIPELINE_WINDOW		32

/* The checks before any command of the TRANSACTION state. */
static int
ready(struct mailfs_pop3 *p, const char *what)
{
	if (p->conn == NULL || p->state != POP3_ST_TRANSACTION) {
		error_set(&p->err, MAILFS_ERR_USAGE, "%s: %s", what,
		    p->conn == NULL ? "not connected" : "not logged in");
		return -1;
	}
	error_clear(&p->err);
	return 0;
}

/* One command and its status line; a -ERR is MAILFS_ERR_NO. */
static int
simple(struct mailfs_pop3 *p, const char *cmd, const char *refused)
{
	if (ready(p, cmd) == -1 || pop3_send_line(p, cmd, NULL) == -1 ||
	    pop3_read_status(p, 0) == -1)
		return -1;
	if (p->st.kind != POP3_OK) {
		pop3_refusal(p, refused, 1);
		return -1;
	}
	return 0;
}

int
mailfs_pop3_noop(struct mailfs_pop3 *p)
{
	return simple(p, "NOOP", "the POP3 server refused NOOP");
}

int
mailfs_pop3_rset(struct mailfs_pop3 *p)
{
	return simple(p, "RSET", "the POP3 server refused RSET");
}

int
mailfs_pop3_stat(struct mailfs_pop3 *p, uint32_t *count_r, uint64_t *size_r)
{
	const char *t, *sp;
	uint32_t count;
	uint64_t size;
	size_t n;

	if (simple(p, "STAT", "the POP3 server refused STAT") == -1)
		return -1;
	/* RFC 1939 5: "+OK nn mm", perhaps more after. */
	t = p->st.text;
	n = p->st.text_len;
	sp = memchr(t, ' ', n);
	if (sp == NULL || str_to_u32(t, (size_t)(sp - t), UINT32_MAX,
	    &count) == -1) {
		error_set(&p->err, MAILFS_ERR_PROTOCOL, "the POP3 server "
		    "answered STAT without a message count");
		pop3_drop(p);
		return -1;
	}
	n -= (size_t)(sp - t) + 1;
	t = sp + 1;
	sp = memchr(t, ' ', n);
	if (str_to_u64(t, sp != NULL ? (size_t)(sp - t) : n, UINT64_MAX,
	    &size) == -1) {
		error_set(&p->err, MAILFS_ERR_PROTOCOL, "the POP3 server "
		    "answered STAT without a size");
		pop3_drop(p);
		return -1;
	}
	if (count > p->max_messages) {
		error_set(&p->err, MAILFS_ERR_LIMIT, "the maildrop holds %u "
		    "messages, more than the %u allowed", count,
		    p->max_messages);
		pop3_drop(p);
		return -1;
	}
	*count_r = count;
	*size_r = size;
	return 0;
}

/* ---- listings ---- */

/* A listing as read; handed out only once all of it has been checked. */
struct listing {
	struct mailfs_pop3 *p;
	int uidl;
	uint32_t last;
	struct pop3_idset ids;	/* UIDL: the ids, in the order read */
	struct buf items;	/* struct mailfs_pop3_item each, uidl NULL */
	char uid[MAILFS_POP3_UIDL_MAX + 1];
};

static int
listing_line(void *ctx, const char *line, size_t len)
{
	struct listing *l = ctx;
	struct mailfs_pop3_item item;
	const char *why;
	int r;

	if (pop3_listing_parse(line, len, l->uidl, UINT32_MAX, &item, l->uid,
	    &why) == -1) {
		error_set(&l->p->err, MAILFS_ERR_PROTOCOL, "the POP3 server's "
		    "%s listing has %s", l->uidl ? "UIDL" : "LIST", why);
		return -1;
	}
	if (item.number > l->p->max_messages) {
		error_set(&l->p->err, MAILFS_ERR_LIMIT, "the maildrop holds "
		    "more than the %u messages allowed", l->p->max_messages);
		return -1;
	}
	if (item.number <= l->last) {
		error_set(&l->p->err, MAILFS_ERR_PROTOCOL, "the POP3 server's "
		    "%s listing names message %u after message %u",
		    l->uidl ? "UIDL" : "LIST", item.number, l->last);
		return -1;
	}
	l->last = item.number;
	if (l->uidl && (r = pop3_idset_add(&l->ids, item.uidl,
	    strlen(item.uidl))) != 0) {
		if (r == 1)
			error_set(&l->p->err, MAILFS_ERR_PROTOCOL, "the POP3 "
			    "server's UIDL listing gives message %u the id of "
			    "another", item.number);
		else
			error_set_sys(&l->p->err, ENOMEM, "reading UIDL");
		return -1;
	}
	item.uidl = NULL;
	if (buf_append(&l->items, &item, sizeof(item)) == -1) {
		error_set_sys(&l->p->err, ENOMEM, "reading a listing");
		return -1;
	}
	return 0;
}

static int
listing(struct mailfs_pop3 *p, int uidl, mailfs_pop3_item_fn *fn, void *ctx)
{
	struct listing l;
	struct mailfs_pop3_item item;
	const char *cmd = uidl ? "UIDL" : "LIST";
	size_t i, n;
	int rc;

	if (ready(p, cmd) == -1 || pop3_send_line(p, cmd, NULL) == -1 ||
	    pop3_read_status(p, 0) == -1)
		return -1;
	if (p->st.kind != POP3_OK) {
		pop3_refusal(p, uidl ? "the POP3 server refused UIDL" :
		    "the POP3 server refused LIST", 1);
		if (uidl)
			p->err.kind = MAILFS_ERR_UNSUPPORTED;
		return -1;
	}
	memset(&l, 0, sizeof(l));
	l.p = p;
	l.uidl = uidl;
	pop3_idset_init(&l.ids, p->max_messages);
	buf_init(&l.items, (size_t)p->max_messages * sizeof(item));
	rc = pop3_read_lines(p, listing_line, &l);
	n = l.items.len / sizeof(item);
	pop3_trace(p, MAILFS_TRACE_INFO, "%s: %zu messages", cmd, n);
	for (i = 0; rc == 0 && i < n; i++) {
		memcpy(&item, l.items.data + i * sizeof(item), sizeof(item));
		if (uidl)
			item.uidl = l.ids.bytes + l.ids.offs[i];
		fn(ctx, &item);
	}
	pop3_idset_free(&l.ids);
	buf_free(&l.items);
	return rc;
}

int
mailfs_pop3_uidl(struct mailfs_pop3 *p, mailfs_pop3_item_fn *fn, void *ctx)
{
	return listing(p, 1, fn, ctx);
}

int
mailfs_pop3_list(struct mailfs_pop3 *p, mailfs_pop3_item_fn *fn, void *ctx)
{
	return listing(p, 0, fn, ctx);
}

/* ---- pipelined batches: RETR, TOP, DELE ---- */

struct batch {
	struct mailfs_pop3 *p;
	const uint32_t *numbers;
	size_t n;
	const char *verb;	/* "RETR", "DELE" */
	unsigned top_lines;	/* TOP's second argument, with verb "TOP" */
	int data;		/* +OK is followed by a body */
	/* RETR and TOP */
	mailfs_pop3_body_fn *body;
	mailfs_pop3_done_fn *done;
	void *ctx;
	/* the one being read */
	uint32_t number;
	uint64_t offset;
	int failed;		/* an answer failed: the rest is only read */
	size_t whole;		/* answers passed whole */
};

static int
body_sink(void *ctx, const char *data, size_t len)
{
	struct batch *b = ctx;

	/*
	 * Stopped: the connection is dropped rather than the rest read, which
	 * a server could make endless (nothing marked is deleted then).
	 */
	if (b->body(b->ctx, b->number, b->offset, data, len) == -1) {
		error_set(&b->p->err, MAILFS_ERR_USAGE, "the caller stopped "
		    "reading message %u; the connection is closed", b->number);
		return -1;
	}
	b->offset += len;
	return 0;
}

/* Discards a body that nobody wants any more. */
static int
drop_sink(void *ctx, const char *data, size_t len)
{
	(void)ctx;
	(void)data;
	(void)len;
	return 0;
}

/* Sends commands [from, to) in one write, traced one a line. */
static int
send_commands(struct batch *b, size_t from, size_t to)
{
	struct buf out;
	char line[64];
	size_t i;
	int rc;

	buf_init(&out, (size_t)-1 / 2);
	for (i = from; i < to; i++) {
		if (strcmp(b->verb, "TOP") == 0)
			snprintf(line, sizeof(line), "TOP %u %u",
			    b->numbers[i], b->top_lines);
		else
			snprintf(line, sizeof(line), "%s %u", b->verb,
			    b->numbers[i]);
		pop3_trace(b->p, MAILFS_TRACE_SEND, "%s", line);
		if (buf_printf(&out, "%s\r\n", line) == -1) {
			error_set_sys(&b->p->err, errno, "sending %s", b->verb);
			buf_free(&out);
			return -1;
		}
	}
	rc = pop3_write(b->p, out.data, out.len);
	buf_free(&out);
	return rc;
}

/* Reads the answer to command i; 0, or -1 when the connection is gone. */
static int
answer(struct batch *b, size_t i)
{
	struct mailfs_pop3 *p = b->p;
	char prefix[96];

	if (pop3_read_status(p, 0) == -1)
		return -1;
	if (p->st.kind != POP3_OK) {
		if (!b->failed) {
			snprintf(prefix, sizeof(prefix), "the POP3 server "
			    "refused %s %u", b->verb, b->numbers[i]);
			pop3_refusal(p, prefix, 1);
			b->failed = 1;
		}
		return 0;
	}
	if (!b->data)
		goto whole;
	b->number = b->numbers[i];
	b->offset = 0;
	if (b->failed)
		return pop3_read_data(p, drop_sink, b);
	if (pop3_read_data(p, body_sink, b) == -1)
		return -1;
	if (b->done != NULL)
		b->done(b->ctx, b->number, b->offset);
whole:
	if (!b->failed)
		b->whole++;
	return 0;
}

/*
 * Sends the n commands and reads their answers, up to the window ahead
 * (1 without PIPELINING).  After a refusal no more is sent, and the
 * answers already asked for are read to their end, so that the session
 * stays in step.  0, or -1 with p->err set.
 */
static int
run_batch(struct batch *b)
{
	struct mailfs_pop3 *p = b->p;
	size_t window, sent, got;

	window = p->caps & MAILFS_POP3_CAP_PIPELINING ? PIPELINE_WINDOW : 1;
	if (b->n == 0)
		return 0;
	if (pop3_quiet(p) == -1)
		return -1;
	sent = b->n < window ? b->n : window;
	if (send_commands(b, 0, sent) == -1)
		return -1;
	for (got = 0; got < sent; got++) {
		if (answer(b, got) == -1)
			return -1;
		if (!b->failed && sent < b->n) {
			if (send_commands(b, sent, sent + 1) == -1)
				return -1;
			sent++;
		}
	}
	return b->failed ? -1 : 0;
}

/*
 * Checks the call (logged in, numbers given and none 0, a body callback
 * for a command with a body) and sets up b; 0 or -1.
 */
static int
start_batch(struct batch *b, struct mailfs_pop3 *p, const char *verb,
    const uint32_t *numbers, size_t n, mailfs_pop3_body_fn *body,
    mailfs_pop3_done_fn *done, void *ctx)
{
	int data = strcmp(verb, "DELE") != 0;
	size_t i;

	if (ready(p, verb) == -1)
		return -1;
	if ((n > 0 && numbers == NULL) || (data && body == NULL)) {
		error_set(&p->err, MAILFS_ERR_USAGE, "%s: no numbers or no "
		    "body callback", verb);
		return -1;
	}
	for (i = 0; i < n; i++)
		if (numbers[i] == 0) {
			error_set(&p->err, MAILFS_ERR_USAGE, "%s: message "
			    "number 0", verb);
			return -1;
		}
	memset(b, 0, sizeof(*b));
	b->p = p;
	b->numbers = numbers;
	b->n = n;
	b->verb = verb;
	b->data = data;
	b->body = body;
	b->done = done;
	b->ctx = ctx;
	return 0;
}

int
mailfs_pop3_retr(struct mailfs_pop3 *p, const uint32_t *numbers, size_t n,
    mailfs_pop3_body_fn *body, mailfs_pop3_done_fn *done, void *ctx,
    size_t *done_r)
{
	struct batch b;
	int rc;

	if (done_r != NULL)
		*done_r = 0;
	if (start_batch(&b, p, "RETR", numbers, n, body, done, ctx) == -1)
		return -1;
	rc = run_batch(&b);
	if (done_r != NULL)
		*done_r = b.whole;
	return rc;
}

int
mailfs_pop3_top(struct mailfs_pop3 *p, uint32_t number, unsigned lines,
    mailfs_pop3_body_fn *body, mailfs_pop3_done_fn *done, void *ctx)
{
	struct batch b;

	if (start_batch(&b, p, "TOP", &number, 1, body, done, ctx) == -1)
		return -1;
	b.top_lines = lines;
	return run_batch(&b);
}

int
mailfs_pop3_dele(struct mailfs_pop3 *p, const uint32_t *numbers, size_t n)
{
	struct batch b;

	if (start_batch(&b, p, "DELE", numbers, n, NULL, NULL, NULL) == -1)
		return -1;
	return run_batch(&b);
}
