/*
 * libFuzzer target for lib/response.c: what the server says, dispatched
 * as the engine does (lib/engine.c engine_feed: the parser with the
 * response module's literal hooks, then response_handle() for each
 * response), to a client that is logged in, has a mailbox selected and
 * has one command of each kind in flight, so that every kind of data has
 * somewhere to go.
 *
 *	make fuzz-response && tests/fuzz/fuzz_response -max_total_time=60 CORPUS
 *
 * Input: byte 0 says which extensions are enabled (CONDSTORE, QRESYNC),
 * the rest is server data.  Checked besides "no crash": every FETCH with
 * a UID reaches the command whose UID set holds it (else SELECT's or the
 * unilateral handler); the flags are single-space separated atoms; the
 * streamed body offsets are contiguous and within the announced size;
 * UID sets handed out are sorted and merged; the trace lines hold no CR
 * or LF; a response that breaks the protocol leaves an error message.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mailfs/mailfs.h>

#include "engine.h"
#include "response.h"

#define CHECK(c)	do { if (!(c)) abort(); } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *buf, size_t size);

/* Each handler's ctx: the command it belongs to (NULL: unilateral). */
struct target {
	struct mailfs_cmd *cmd;
	uint32_t stream_seq;
	uint64_t expect;	/* the next body offset */
	uint64_t total;
	int streaming;
};

static struct target targets[16], unilateral_target;
/* The handler that got the current response's streamed body. */
static struct target *streamed;

static void
check_set(const struct mailfs_uidset *s)
{
	size_t i;

	CHECK(s != NULL && (s->count == 0 || s->ranges != NULL));
	for (i = 0; i < s->count; i++) {
		CHECK(s->ranges[i].first <= s->ranges[i].last);
		CHECK(i == 0 || (uint64_t)s->ranges[i].first >
		    (uint64_t)s->ranges[i - 1].last + 1);
	}
}

static void
check_flags(const char *f)
{
	size_t i, len = strlen(f);

	CHECK(len == 0 || (f[0] != ' ' && f[len - 1] != ' '));
	for (i = 0; i < len; i++) {
		CHECK(f[i] != '\r' && f[i] != '\n' && f[i] != '(' && f[i] != ')');
		CHECK(f[i] != ' ' || f[i + 1] != ' ');
	}
}

static void
on_fetch(void *ctx, const struct mailfs_msg *m)
{
	struct target *t = ctx;

	CHECK(m != NULL);
	if (m->present & MAILFS_MSG_FLAGS)
		check_flags(m->flags);
	if (m->present & MAILFS_MSG_BODY)
		CHECK(m->body != NULL || m->body_len == 0);
	/*
	 * A streamed body and the rest of its message go to one command;
	 * else a FETCH or STORE gets only the UIDs it asked for.
	 */
	if (m->present & MAILFS_MSG_BODY_STREAMED)
		CHECK(streamed == t && t->stream_seq == m->seq &&
		    t->total == m->body_len && t->expect == t->total);
	else if (t->cmd != NULL && (m->present & MAILFS_MSG_UID) &&
	    (t->cmd->kind == CMD_FETCH || t->cmd->kind == CMD_STORE))
		CHECK(mailfs_uidset_contains(&t->cmd->uids, m->uid));
}

static void
on_body(void *ctx, uint32_t seq, uint64_t offset, uint64_t total,
    const char *data, size_t len)
{
	struct target *t = ctx;

	if (offset == 0) {
		t->streaming = 1;
		t->stream_seq = seq;
		t->expect = 0;
		t->total = total;
	}
	CHECK(t->streaming && seq == t->stream_seq && total == t->total);
	CHECK(offset == t->expect && offset + len <= total);
	CHECK(len == 0 || data != NULL);
	t->expect += len;
	streamed = t;
}

static void
on_list(void *ctx, const struct mailfs_list_entry *e)
{
	(void)ctx;
	CHECK(e->raw_name != NULL);
	CHECK(e->name == NULL || strlen(e->name) < 1u << 24);
}

static void
on_status(void *ctx, const struct mailfs_status *s)
{
	(void)ctx;
	CHECK(s->name == NULL || strlen(s->name) < 1u << 24);
}

static void
on_vanished(void *ctx, const struct mailfs_uidset *uids, int earlier)
{
	(void)ctx;
	CHECK(earlier == 0 || earlier == 1);
	check_set(uids);
	CHECK(uids->count > 0 && uids->ranges[0].first > 0);
}

static void
on_search(void *ctx, const struct mailfs_uidset *uids)
{
	(void)ctx;
	check_set(uids);
}

static void
on_quota(void *ctx, const struct mailfs_quota *q)
{
	(void)ctx;
	CHECK(q->root != NULL && q->resource != NULL);
}

static void
on_quotaroot(void *ctx, const char *mailbox, const char *root)
{
	(void)ctx;
	CHECK(mailbox != NULL && root != NULL);
}

static void
on_namespace(void *ctx, const struct mailfs_namespace *ns)
{
	(void)ctx;
	CHECK(ns->prefix != NULL);
}

static void
on_exists(void *ctx, uint32_t n)
{
	(void)ctx;
	(void)n;
}

static void
on_expunge(void *ctx, uint32_t seq)
{
	(void)ctx;
	CHECK(seq != 0);
}

static void
on_alert(void *ctx, const char *text)
{
	(void)ctx;
	CHECK(text != NULL && strchr(text, '\n') == NULL);
}

static void
on_trace(void *ctx, enum mailfs_trace_dir dir, const char *line, size_t len)
{
	(void)ctx;
	CHECK(dir <= MAILFS_TRACE_INFO);
	CHECK(memchr(line, '\r', len) == NULL && memchr(line, '\n', len) == NULL);
}

/* Puts a command of kind in flight, as if sent. */
static void
in_flight(struct mailfs_client *c, struct mailfs_cmd ***tail, int i,
    enum cmd_kind kind, const char *name, const char *uids)
{
	struct mailfs_cmd *cmd;

	CHECK((cmd = calloc(1, sizeof(*cmd))) != NULL);
	cmd->kind = kind;
	cmd->phase = CMD_PHASE_SENT;
	snprintf(cmd->tag, sizeof(cmd->tag), "A%d", i);
	snprintf(cmd->name, sizeof(cmd->name), "%s", name);
	buf_init(&cmd->text, 1024);
	if (uids != NULL)
		CHECK(mailfs_uidset_parse(uids, strlen(uids), UINT32_MAX,
		    &cmd->uids) == 0);
	targets[i].cmd = cmd;
	cmd->handlers = (struct mailfs_handlers){
		.list = on_list, .status = on_status, .fetch = on_fetch,
		.body = i % 2 == 0 ? on_body : NULL, .vanished = on_vanished,
		.search = on_search, .quota = on_quota,
		.quotaroot = on_quotaroot, .namespace = on_namespace,
		.ctx = &targets[i],
	};
	**tail = cmd;
	*tail = &cmd->next;
	(void)c;
}

int
LLVMFuzzerTestOneInput(const uint8_t *buf, size_t size)
{
	const struct mailfs_unilateral uni = {
		.exists = on_exists, .expunge = on_expunge,
		.vanished = on_vanished, .fetch = on_fetch, .alert = on_alert,
		.ctx = &unilateral_target,
	};
	struct mailfs_params p = {
		.host = "fuzz.invalid", .trace = on_trace, .unilateral = &uni,
		.max_line = 1 << 16, .max_literal = 1 << 16, .max_body = 1 << 20,
	};
	struct mailfs_client *c;
	struct mailfs_cmd **tail;
	enum imap_parse_result r;
	const char *in;
	size_t len, off = 0, used;

	if (size < 1)
		return 0;
	memset(targets, 0, sizeof(targets));
	CHECK((c = mailfs_client_new(&p)) != NULL);
	CHECK(engine_reset(c) == 0);
	c->state = MAILFS_STATE_SELECTED;
	c->selected = 1;
	c->condstore_enabled = (buf[0] & 1) != 0;
	c->qresync_enabled = (buf[0] & 2) != 0;
	c->caps = MAILFS_CAP_IMAP4REV1 | MAILFS_CAP_UIDPLUS |
	    MAILFS_CAP_CONDSTORE | MAILFS_CAP_QRESYNC | MAILFS_CAP_ESEARCH;
	tail = &c->queue;
	in_flight(c, &tail, 0, CMD_SELECT, "SELECT", NULL);
	in_flight(c, &tail, 1, CMD_FETCH, "UID FETCH", "1:20");
	in_flight(c, &tail, 2, CMD_FETCH, "UID FETCH", "21:40,100");
	in_flight(c, &tail, 3, CMD_STORE, "UID STORE", "41:60");
	in_flight(c, &tail, 4, CMD_LIST, "LIST", NULL);
	in_flight(c, &tail, 5, CMD_STATUS, "STATUS", NULL);
	in_flight(c, &tail, 6, CMD_SEARCH, "UID SEARCH", NULL);
	in_flight(c, &tail, 7, CMD_QUOTA, "GETQUOTAROOT", NULL);
	in_flight(c, &tail, 8, CMD_NAMESPACE, "NAMESPACE", NULL);
	in_flight(c, &tail, 9, CMD_APPEND, "APPEND", NULL);
	in_flight(c, &tail, 10, CMD_COPY, "UID COPY", NULL);
	in_flight(c, &tail, 11, CMD_MOVE, "UID MOVE", NULL);
	in_flight(c, &tail, 12, CMD_GENERIC, "NOOP", NULL);
	in_flight(c, &tail, 13, CMD_CAPABILITY, "CAPABILITY", NULL);
	in_flight(c, &tail, 14, CMD_ENABLE, "ENABLE", NULL);

	in = (const char *)buf + 1;
	len = size - 1;
	while (off < len) {
		streamed = NULL;
		r = imap_parser_feed(c->parser, in + off, len - off, &used);
		CHECK(used <= len - off);
		off += used;
		if (r == IMAP_PARSE_MORE)
			break;
		if (r == IMAP_PARSE_ERROR)
			break;
		if (response_handle(c, imap_parser_response(c->parser)) == -1) {
			/* The engine drops the connection, saying why. */
			CHECK(mailfs_client_error(c)->msg[0] != '\0');
			break;
		}
		imap_parser_reset(c->parser);
		c->stream_cmd = NULL;
	}
	mailfs_client_free(&c);
	CHECK(c == NULL);
	return 0;
}
