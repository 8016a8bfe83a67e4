/*
 * Shared pieces of the integration tests; see test_common.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "../tap.h"
#include "test_common.h"

static void *
xrealloc(void *p, size_t n)
{
	void *q;

	if ((q = realloc(p, n == 0 ? 1 : n)) == NULL)
		bail_out("out of memory");
	return q;
}

static char *
xstrndup(const char *s, size_t n)
{
	char *p;

	p = xrealloc(NULL, n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

static char *
xstrdup0(const char *s)
{
	return s == NULL ? NULL : xstrndup(s, strlen(s));
}

uint64_t
now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

void
trace_record(void *ctx, enum mailfs_trace_dir dir, const char *line,
    size_t len)
{
	struct trace *t = ctx;

	if (t->count == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 64;
		t->lines = xrealloc(t->lines, t->cap * sizeof(*t->lines));
	}
	t->lines[t->count].dir = dir;
	/* Lines may hold NUL bytes in theory; keep them searchable anyway. */
	t->lines[t->count].text = xstrndup(line, len);
	t->lines[t->count].usec = now_usec();
	t->count++;
	/* ITEST_TRACE=1 shows the whole conversation while debugging. */
	if (getenv("ITEST_TRACE") != NULL)
		fprintf(stderr, "%s %.*s\n", dir == MAILFS_TRACE_SEND ? "C:" :
		    dir == MAILFS_TRACE_RECV ? "S:" : "--", (int)(len > 300 ? 300 : len),
		    line);
}

void
trace_clear(struct trace *t)
{
	size_t i;

	for (i = 0; i < t->count; i++)
		free(t->lines[i].text);
	free(t->lines);
	t->lines = NULL;
	t->count = t->cap = 0;
}

long
trace_find(const struct trace *t, size_t from, int dir, const char *needle)
{
	size_t i;

	for (i = from; i < t->count; i++) {
		if (dir != TRACE_ANY && (int)t->lines[i].dir != dir)
			continue;
		if (strstr(t->lines[i].text, needle) != NULL)
			return (long)i;
	}
	return -1;
}

int
trace_contains(const struct trace *t, const char *needle)
{
	return trace_find(t, 0, TRACE_ANY, needle) != -1;
}

void
trace_dump(const struct trace *t, size_t n)
{
	static const char *names[] = { "C:", "S:", "--" };
	size_t i;

	if (t == NULL)
		return;
	i = t->count > n ? t->count - n : 0;
	for (; i < t->count; i++)
		diag("  %s %.200s", names[t->lines[i].dir % 3], t->lines[i].text);
}

static int
have_dovecot(void)
{
	static const char *paths[] = {
		"/usr/sbin/dovecot", "/usr/local/sbin/dovecot", NULL
	};
	const char *env;
	size_t i;

	if ((env = getenv("DOVECOT")) != NULL && access(env, X_OK) == 0)
		return 1;
	for (i = 0; paths[i] != NULL; i++)
		if (access(paths[i], X_OK) == 0)
			return 1;
	return 0;
}

void
itest_start(struct testenv *env, const char *options)
{
	if (!have_dovecot())
		skip_all("dovecot is not installed (Debian: dovecot-imapd)");
	if (testenv_start(env, options) == -1)
		bail_out("the test Dovecot did not start");
}

struct mailfs_client *
itest_client(const struct testenv *env, enum mailfs_security sec,
    struct trace *tr, const struct mailfs_unilateral *u)
{
	struct mailfs_params p;
	struct mailfs_client *c;

	testenv_params(env, sec, &p);
	if (tr != NULL) {
		p.trace = trace_record;
		p.trace_ctx = tr;
	}
	p.unilateral = u;
	if ((c = mailfs_client_new(&p)) == NULL)
		bail_out("mailfs_client_new failed");
	return c;
}

void
itest_diag_error(struct mailfs_client *c, const char *what)
{
	const struct mailfs_error *e = mailfs_client_error(c);

	diag("%s: kind %s (%d), code %d [%s], errno %d: %s", what,
	    mailfs_errkind_name(e->kind), (int)e->kind, (int)e->code,
	    e->code_name, e->sys_errno, e->msg);
}

struct mailfs_client *
itest_login(const struct testenv *env, enum mailfs_security sec,
    struct trace *tr, const struct mailfs_unilateral *u)
{
	struct mailfs_client *c;

	c = itest_client(env, sec, tr, u);
	if (mailfs_client_connect(c) == -1) {
		itest_diag_error(c, "connect");
		trace_dump(tr, 20);
		bail_out("cannot connect to the test Dovecot");
	}
	if (mailfs_client_login(c, env->user, env->password) == -1) {
		itest_diag_error(c, "login");
		trace_dump(tr, 20);
		bail_out("cannot log in to the test Dovecot");
	}
	return c;
}

int
itest_run(struct mailfs_client *c, struct mailfs_cmd *cmd,
    struct mailfs_cmd_result *res, const struct trace *tr)
{
	int rv;

	rv = mailfs_run(c, cmd, res);
	if (rv != 0) {
		itest_diag_error(c, "command failed");
		trace_dump(tr, 12);
	}
	return rv;
}

char *
make_message(const char *subject, size_t body_size, size_t *len_r)
{
	static unsigned counter;
	char head[512];
	char *m;
	size_t hl, i, col;
	int n;

	n = snprintf(head, sizeof(head),
	    "From: Alice Tester <alice@example.org>\r\n"
	    "To: Bob Tester <bob@example.org>\r\n"
	    "Subject: %s\r\n"
	    "Date: Mon, 02 Jan 2023 10:00:00 +0100\r\n"
	    "Message-ID: <itest-%u-%ld@example.org>\r\n"
	    "MIME-Version: 1.0\r\n"
	    "Content-Type: text/plain; charset=us-ascii\r\n"
	    "\r\n", subject, counter++, (long)getpid());
	if (n < 0 || (size_t)n >= sizeof(head))
		bail_out("make_message: subject too long");
	hl = (size_t)n;
	m = xrealloc(NULL, hl + body_size + 3);
	memcpy(m, head, hl);
	/* Lines of 76 printable characters, so that nobody rewraps them. */
	for (i = 0, col = 0; i < body_size; i++) {
		if (col == 76 && i + 2 <= body_size) {
			m[hl + i++] = '\r';
			m[hl + i] = '\n';
			col = 0;
			continue;
		}
		m[hl + i] = (char)('a' + (i * 7 + i / 77) % 26);
		col++;
	}
	memcpy(m + hl + body_size, "\r\n", 3);
	*len_r = hl + body_size + 2;
	return m;
}

int
has_flag(const char *flags, const char *flag)
{
	size_t fl = strlen(flag);
	const char *p = flags;

	if (flags == NULL)
		return 0;
	while (*p != '\0') {
		size_t n = strcspn(p, " ");

		if (n == fl && strncasecmp(p, flag, n) == 0)
			return 1;
		p += n;
		p += strspn(p, " ");
	}
	return 0;
}

/* ---- the collector ---- */

/* A streamed body still waiting for its FETCH response. */
struct pending_stream {
	uint32_t seq;
	char *buf;
	size_t len;
	struct pending_stream *next;
};

void
collector_init(struct collector *col)
{
	memset(col, 0, sizeof(*col));
	col->stream_ok = 1;
}

void
collector_free(struct collector *col)
{
	size_t i;

	for (i = 0; i < col->nmsgs; i++) {
		free(col->msgs[i].flags);
		free(col->msgs[i].body);
	}
	free(col->msgs);
	free(col->search_uids);
	while (col->streams != NULL) {
		struct pending_stream *s = col->streams;

		col->streams = s->next;
		free(s->buf);
		free(s);
	}
	for (i = 0; i < col->nlist; i++) {
		free(col->names[i]);
		free(col->raw_names[i]);
	}
	for (i = 0; i < col->nstatus; i++)
		free(col->status[i].name);
	free(col->quota_root);
	free(col->quota_resource);
	free(col->quotaroot_mailbox);
	free(col->quotaroot_root);
	free(col->ns_prefix);
	collector_init(col);
}

static void
col_body(void *ctx, uint32_t seq, uint64_t offset, uint64_t total,
    const char *data, size_t len)
{
	struct collector *col = ctx;
	struct pending_stream **head = &col->streams, *s;

	col->body_calls++;
	for (s = *head; s != NULL; s = s->next)
		if (s->seq == seq)
			break;
	if (s == NULL) {
		s = xrealloc(NULL, sizeof(*s));
		s->seq = seq;
		s->buf = NULL;
		s->len = 0;
		s->next = *head;
		*head = s;
	}
	if (offset != s->len || offset + len > total)
		col->stream_ok = 0;
	s->buf = xrealloc(s->buf, s->len + len);
	if (len > 0)
		memcpy(s->buf + s->len, data, len);
	s->len += len;
}

static void
col_fetch(void *ctx, const struct mailfs_msg *msg)
{
	struct collector *col = ctx;
	struct fetched *f;

	col->msgs = xrealloc(col->msgs, (col->nmsgs + 1) * sizeof(*col->msgs));
	f = &col->msgs[col->nmsgs++];
	memset(f, 0, sizeof(*f));
	f->present = msg->present;
	f->seq = msg->seq;
	f->uid = msg->uid;
	f->size = msg->size;
	f->internaldate = msg->internaldate;
	f->modseq = msg->modseq;
	f->flags = xstrdup0((msg->present & MAILFS_MSG_FLAGS) ? msg->flags : NULL);
	f->body_origin = msg->body_origin;
	if (msg->present & MAILFS_MSG_BODY) {
		f->body = xstrndup(msg->body, msg->body_len);
		f->body_len = msg->body_len;
	}
	if (msg->present & MAILFS_MSG_BODY_STREAMED) {
		struct pending_stream **pp = &col->streams, *s;

		for (; (s = *pp) != NULL; pp = &s->next)
			if (s->seq == msg->seq)
				break;
		if (s != NULL) {
			*pp = s->next;
			f->body = s->buf;
			f->body_len = s->len;
			free(s);
		}
	}
}

static void
add_vanished(uint32_t *arr, size_t *n, const struct mailfs_uidset *uids)
{
	uint64_t i, size = mailfs_uidset_size(uids);

	for (i = 0; i < size && *n < 256; i++)
		arr[(*n)++] = mailfs_uidset_nth(uids, i);
}

static void
col_vanished(void *ctx, const struct mailfs_uidset *uids, int earlier)
{
	struct collector *col = ctx;

	if (earlier)
		add_vanished(col->vanished_earlier, &col->nvanished_earlier, uids);
	else
		add_vanished(col->vanished_now, &col->nvanished_now, uids);
}

static void
col_search(void *ctx, const struct mailfs_uidset *uids)
{
	struct collector *col = ctx;
	uint64_t i, size = mailfs_uidset_size(uids);

	col->search_calls++;
	if (size > 100000)
		bail_out("a SEARCH answer too large for the test");
	col->search_uids = xrealloc(col->search_uids,
	    (col->nsearch + size) * sizeof(*col->search_uids));
	for (i = 0; i < size; i++)
		col->search_uids[col->nsearch++] = mailfs_uidset_nth(uids, i);
}

static void
col_list(void *ctx, const struct mailfs_list_entry *e)
{
	struct collector *col = ctx;

	if (col->nlist == 256)
		return;
	col->names[col->nlist] = xstrdup0(e->name);
	col->raw_names[col->nlist] = xstrdup0(e->raw_name);
	col->attrs[col->nlist] = e->attrs;
	col->delimiter = e->delimiter;
	col->nlist++;
}

static void
col_status(void *ctx, const struct mailfs_status *st)
{
	struct collector *col = ctx;

	if (col->nstatus == 256)
		return;
	col->status[col->nstatus].name = xstrdup0(st->name);
	col->status[col->nstatus].st = *st;
	col->status[col->nstatus].st.name = col->status[col->nstatus].name;
	col->nstatus++;
}

static void
col_quota(void *ctx, const struct mailfs_quota *q)
{
	struct collector *col = ctx;

	col->quota_calls++;
	if (q->resource == NULL || strcasecmp(q->resource, "STORAGE") != 0)
		return;
	free(col->quota_root);
	free(col->quota_resource);
	col->quota_root = xstrdup0(q->root);
	col->quota_resource = xstrdup0(q->resource);
	col->quota_usage = q->usage;
	col->quota_limit = q->limit;
}

static void
col_quotaroot(void *ctx, const char *mailbox, const char *root)
{
	struct collector *col = ctx;

	col->quotaroot_calls++;
	free(col->quotaroot_mailbox);
	free(col->quotaroot_root);
	col->quotaroot_mailbox = xstrdup0(mailbox);
	col->quotaroot_root = xstrdup0(root);
}

static void
col_namespace(void *ctx, const struct mailfs_namespace *ns)
{
	struct collector *col = ctx;

	col->namespace_calls++;
	free(col->ns_prefix);
	col->ns_prefix = xstrdup0(ns->prefix);
	col->ns_delimiter = ns->delimiter;
}

struct mailfs_handlers
collector_handlers(struct collector *col, int stream)
{
	struct mailfs_handlers h;

	memset(&h, 0, sizeof(h));
	h.list = col_list;
	h.status = col_status;
	h.fetch = col_fetch;
	h.body = stream ? col_body : NULL;
	h.vanished = col_vanished;
	h.search = col_search;
	h.quota = col_quota;
	h.quotaroot = col_quotaroot;
	h.namespace = col_namespace;
	h.ctx = col;
	return h;
}

const struct fetched *
collector_uid(const struct collector *col, uint32_t uid)
{
	size_t i;

	for (i = 0; i < col->nmsgs; i++)
		if (col->msgs[i].uid == uid)
			return &col->msgs[i];
	return NULL;
}

long
collector_list_index(const struct collector *col, const char *name)
{
	size_t i;

	for (i = 0; i < col->nlist; i++)
		if (col->names[i] != NULL && strcmp(col->names[i], name) == 0)
			return (long)i;
	return -1;
}

const struct mailfs_status *
collector_status(const struct collector *col, const char *name)
{
	size_t i;

	for (i = 0; i < col->nstatus; i++)
		if (col->status[i].name != NULL &&
		    strcmp(col->status[i].name, name) == 0)
			return &col->status[i].st;
	return NULL;
}
