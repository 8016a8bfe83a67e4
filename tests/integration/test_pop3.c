/*
 * The POP3 client against the real Dovecot POP3 service of the harness
 * (dovecot.sh --pop3), with the messages put there over IMAP APPEND:
 * every message byte for byte through RETR (lines that begin with dots,
 * a line that is one dot, a message without a final CRLF, a large one),
 * pipelined; UIDL stable across sessions; DELE and QUIT deleting exactly
 * those messages (checked over IMAP and over UIDL); DELE and a lost
 * connection, or DELE and RSET, deleting nothing; a wrong password;
 * [IN-USE] while another session holds the maildrop; STLS required on
 * the plaintext port (USER refused before it by the server, and never
 * sent by the client).
 *
 * Dovecot answers RETR of a message without a final CRLF with one added
 * (RFC 1939 3: the terminating line follows a CRLF), while LIST gives the
 * size stored: a LIST size is a hint.
 */
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mailfs/pop3.h>

#include "../tap.h"
#include "test_common.h"

#define NMSG	4

static struct testenv env;
static struct trace tr;
static struct mailfs_client *imap;

static char *msgs[NMSG];
static size_t lens[NMSG];
/* What RETR gives for each: the message, a CRLF added when it had none. */
static char *want[NMSG];
static size_t want_lens[NMSG];

static struct mailfs_pop3 *
pop3_timeout(enum mailfs_security sec, int io_timeout_ms)
{
	struct mailfs_pop3_params p;
	struct mailfs_pop3 *c;

	memset(&p, 0, sizeof(p));
	p.host = env.host;
	p.port = sec == MAILFS_SEC_IMPLICIT_TLS ? env.pop3s_port :
	    env.pop3_port;
	p.security = sec;
	p.ca_file = env.ca;
	p.connect_timeout_ms = 10000;
	p.io_timeout_ms = io_timeout_ms;
	p.trace = trace_record;
	p.trace_ctx = &tr;
	if ((c = mailfs_pop3_new(&p)) == NULL)
		bail_out("mailfs_pop3_new");
	return c;
}

static void
check(struct mailfs_pop3 *c, int rv, const char *what)
{
	const struct mailfs_error *e = mailfs_pop3_error(c);

	if (!ok(rv == 0, "%s", what)) {
		diag("%s: %s", mailfs_errkind_name(e->kind), e->msg);
		trace_dump(&tr, 10);
	}
}

static struct mailfs_pop3 *
pop3(enum mailfs_security sec)
{
	return pop3_timeout(sec, 10000);
}

/* A client over sec, connected and logged in. */
static struct mailfs_pop3 *
pop3_login(enum mailfs_security sec, const char *what)
{
	struct mailfs_pop3 *c = pop3(sec);
	char w[128];

	snprintf(w, sizeof(w), "%s: connect and login", what);
	check(c, mailfs_pop3_connect(c) == 0 &&
	    mailfs_pop3_login(c, env.user, env.password) == 0 ? 0 : -1, w);
	return c;
}

/* The number of messages in INBOX, over IMAP. */
static uint32_t
imap_count(void)
{
	struct collector col;
	struct mailfs_handlers h;
	const struct mailfs_status *st;
	uint32_t n = (uint32_t)-1;

	collector_init(&col);
	h = collector_handlers(&col, 0);
	if (itest_run(imap, mailfs_status(imap, "INBOX",
	    MAILFS_STATUS_MESSAGES, &h), NULL, &tr) == 0 &&
	    (st = collector_status(&col, "INBOX")) != NULL)
		n = st->messages;
	collector_free(&col);
	return n;
}

static void
append(int i)
{
	if (itest_run(imap, mailfs_append(imap, "INBOX", NULL, 0, msgs[i],
	    lens[i]), NULL, &tr) == -1)
		bail_out("APPEND failed");
}

/* ---- collecting ---- */

struct ids {
	char id[NMSG * 2][MAILFS_POP3_UIDL_MAX + 1];
	uint64_t size[NMSG * 2];
	unsigned n;
};

static void
on_item(void *ctx, const struct mailfs_pop3_item *item)
{
	struct ids *ids = ctx;

	if (ids->n >= NMSG * 2)
		return;
	snprintf(ids->id[ids->n], sizeof(ids->id[0]), "%s",
	    item->uidl != NULL ? item->uidl : "");
	ids->size[ids->n++] = item->size;
}

static void
uidl(struct mailfs_pop3 *c, struct ids *ids, const char *what)
{
	memset(ids, 0, sizeof(*ids));
	check(c, mailfs_pop3_uidl(c, on_item, ids), what);
}

struct bodies {
	char *data[NMSG];
	size_t len[NMSG];
	int in_order;
};

static int
on_body(void *ctx, uint32_t number, uint64_t offset, const char *data,
    size_t len)
{
	struct bodies *b = ctx;
	char *p;

	if (number < 1 || number > NMSG)
		return -1;
	if (offset != b->len[number - 1])
		b->in_order = 0;
	if ((p = realloc(b->data[number - 1], b->len[number - 1] + len)) ==
	    NULL)
		return -1;
	memcpy(p + b->len[number - 1], data, len);
	b->data[number - 1] = p;
	b->len[number - 1] += len;
	return 0;
}

static void
bodies_free(struct bodies *b)
{
	int i;

	for (i = 0; i < NMSG; i++)
		free(b->data[i]);
	memset(b, 0, sizeof(*b));
}

/* ---- the tests ---- */

/* Every message byte for byte, pipelined; TOP; UIDL stable. */
static void
test_retr(void)
{
	static const uint32_t nums[NMSG] = { 1, 2, 3, 4 };
	struct mailfs_pop3 *c = pop3_login(MAILFS_SEC_IMPLICIT_TLS, "pop3s");
	struct bodies b = { .in_order = 1 };
	struct ids ids1, ids2, list;
	uint32_t count = 0;
	uint64_t size = 0;
	size_t done = 0;
	int i, same;

	ok(mailfs_pop3_capabilities(c) & MAILFS_POP3_CAP_PIPELINING,
	    "Dovecot offers PIPELINING after login");
	check(c, mailfs_pop3_stat(c, &count, &size), "STAT");
	ok(count == NMSG, "STAT: %u messages", count);
	uidl(c, &ids1, "UIDL");
	memset(&list, 0, sizeof(list));
	check(c, mailfs_pop3_list(c, on_item, &list), "LIST");
	ok(list.n == NMSG && list.size[1] == lens[1],
	    "LIST: the size stored for the message without a final CRLF "
	    "(%llu), 2 less than RETR gives", (unsigned long long)list.size[1]);
	check(c, mailfs_pop3_retr(c, nums, NMSG, on_body, NULL, &b, &done),
	    "RETR of all four, pipelined");
	ok(done == NMSG && b.in_order, "RETR: four whole, in order");
	for (i = 0; i < NMSG; i++)
		if (!ok(b.len[i] == want_lens[i] && memcmp(b.data[i], want[i],
		    want_lens[i]) == 0, "RETR %d: byte for byte (%zu bytes)",
		    i + 1, want_lens[i]))
			diag("got %zu bytes", b.len[i]);
	bodies_free(&b);
	b.in_order = 1;
	check(c, mailfs_pop3_top(c, 1, 0, on_body, NULL, &b), "TOP 1 0");
	ok(b.len[0] > 0 && b.len[0] < lens[0] &&
	    memcmp(b.data[0], msgs[0], b.len[0]) == 0 &&
	    memcmp(b.data[0] + b.len[0] - 4, "\r\n\r\n", 4) == 0,
	    "TOP 1 0: the header and the blank line");
	bodies_free(&b);
	check(c, mailfs_pop3_quit(c), "QUIT");
	mailfs_pop3_free(&c);

	c = pop3_login(MAILFS_SEC_IMPLICIT_TLS, "again");
	uidl(c, &ids2, "UIDL again");
	same = ids1.n == NMSG && ids2.n == NMSG;
	for (i = 0; same && i < NMSG; i++)
		same = strcmp(ids1.id[i], ids2.id[i]) == 0;
	ok(same, "UIDL: the same ids in a new session");
	check(c, mailfs_pop3_quit(c), "QUIT");
	mailfs_pop3_free(&c);
}

/* DELE, then the connection lost, or RSET: nothing deleted. */
static void
test_nothing_deleted(void)
{
	static const uint32_t nums[] = { 1, 3 };
	struct mailfs_pop3 *c;
	struct ids ids;

	c = pop3_login(MAILFS_SEC_IMPLICIT_TLS, "DELE, lost");
	check(c, mailfs_pop3_dele(c, nums, 2), "DELE 1 3");
	mailfs_pop3_disconnect(c);
	check(c, mailfs_pop3_quit(c) == -1 &&
	    mailfs_pop3_error(c)->kind == MAILFS_ERR_CLOSED ? 0 : -1,
	    "QUIT after the connection was lost fails");
	mailfs_pop3_free(&c);
	ok(imap_count() == NMSG, "DELE without QUIT: nothing deleted (IMAP)");

	c = pop3_login(MAILFS_SEC_IMPLICIT_TLS, "DELE, RSET");
	check(c, mailfs_pop3_dele(c, nums, 2), "DELE 1 3");
	check(c, mailfs_pop3_rset(c), "RSET");
	check(c, mailfs_pop3_quit(c), "QUIT after RSET");
	mailfs_pop3_free(&c);
	ok(imap_count() == NMSG, "DELE, RSET, QUIT: nothing deleted (IMAP)");
	c = pop3_login(MAILFS_SEC_IMPLICIT_TLS, "after RSET");
	uidl(c, &ids, "UIDL");
	ok(ids.n == NMSG, "after RSET: %u ids", ids.n);
	mailfs_pop3_quit(c);
	mailfs_pop3_free(&c);
}

/* Another session holds the maildrop: [IN-USE]; a wrong password. */
static void
test_refusals(void)
{
	struct mailfs_pop3 *a, *c;
	const struct mailfs_error *e;

	a = pop3_login(MAILFS_SEC_IMPLICIT_TLS, "the lock's holder");
	/* Dovecot waits 10 s for the lock before it says [IN-USE]. */
	c = pop3_timeout(MAILFS_SEC_IMPLICIT_TLS, 30000);
	check(c, mailfs_pop3_connect(c), "second session: connect");
	ok(mailfs_pop3_login(c, env.user, env.password) == -1,
	    "second session: login refused");
	e = mailfs_pop3_error(c);
	if (!ok(e->kind == MAILFS_ERR_NO && e->code == MAILFS_CODE_INUSE,
	    "second session: MAILFS_ERR_NO [IN-USE]"))
		diag("%s: %s", mailfs_errkind_name(e->kind), e->msg);
	mailfs_pop3_free(&c);
	check(a, mailfs_pop3_quit(a), "the holder quits");
	mailfs_pop3_free(&a);

	c = pop3(MAILFS_SEC_IMPLICIT_TLS);
	check(c, mailfs_pop3_connect(c), "wrong password: connect");
	ok(mailfs_pop3_login(c, env.user, "not-the-password") == -1 &&
	    mailfs_pop3_error(c)->kind == MAILFS_ERR_AUTH,
	    "wrong password: MAILFS_ERR_AUTH");
	ok(strstr(mailfs_pop3_error(c)->msg, "not-the-password") == NULL &&
	    !trace_contains(&tr, "not-the-password"),
	    "wrong password: not in the error or the trace");
	mailfs_pop3_free(&c);
}

/* The plaintext port: STLS, or nothing. */
static void
test_stls(void)
{
	struct mailfs_pop3 *c;
	struct sockaddr_in sa;
	char buf[512];
	ssize_t n;
	size_t got = 0;
	int fd;

	c = pop3_login(MAILFS_SEC_STARTTLS, "STLS");
	ok(mailfs_pop3_is_ready(c), "STLS: logged in");
	check(c, mailfs_pop3_quit(c), "STLS: QUIT");
	mailfs_pop3_free(&c);

	c = pop3(MAILFS_SEC_PLAINTEXT_INSECURE);
	check(c, mailfs_pop3_connect(c), "plaintext: connect");
	ok(mailfs_pop3_capabilities(c) & MAILFS_POP3_CAP_STLS,
	    "plaintext: STLS offered");
	ok(mailfs_pop3_login(c, env.user, env.password) == -1 &&
	    mailfs_pop3_error(c)->kind == MAILFS_ERR_USAGE,
	    "plaintext: the client refuses to log in");
	mailfs_pop3_free(&c);

	/* And the server refuses USER before STLS. */
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)atoi(env.pop3_port));
	inet_pton(AF_INET, env.host, &sa.sin_addr);
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
	    connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1)
		bail_out("cannot connect to the POP3 port");
	while (got < sizeof(buf) - 1 && memchr(buf, '\n', got) == NULL &&
	    (n = read(fd, buf + got, sizeof(buf) - 1 - got)) > 0)
		got += (size_t)n;
	if (write(fd, "USER x\r\n", 8) != 8)
		bail_out("write");
	got = 0;
	while (got < sizeof(buf) - 1 && memchr(buf, '\n', got) == NULL &&
	    (n = read(fd, buf + got, sizeof(buf) - 1 - got)) > 0)
		got += (size_t)n;
	buf[got] = '\0';
	ok(strncmp(buf, "-ERR", 4) == 0, "the server refuses USER before "
	    "STLS: %.*s", (int)strcspn(buf, "\r\n"), buf);
	close(fd);
}

/* DELE of two and QUIT: exactly those deleted. */
static void
test_delete(void)
{
	static const uint32_t nums[] = { 2, 4 };
	struct mailfs_pop3 *c;
	struct ids before, after;

	c = pop3_login(MAILFS_SEC_IMPLICIT_TLS, "DELE, QUIT");
	uidl(c, &before, "UIDL before");
	check(c, mailfs_pop3_dele(c, nums, 2), "DELE 2 4");
	check(c, mailfs_pop3_quit(c), "QUIT: +OK, deleted");
	mailfs_pop3_free(&c);
	ok(imap_count() == NMSG - 2, "DELE, QUIT: two fewer (IMAP)");
	c = pop3_login(MAILFS_SEC_IMPLICIT_TLS, "after DELE");
	uidl(c, &after, "UIDL after");
	ok(after.n == 2 && strcmp(after.id[0], before.id[0]) == 0 &&
	    strcmp(after.id[1], before.id[2]) == 0,
	    "DELE, QUIT: messages 1 and 3 remain, by their ids");
	mailfs_pop3_quit(c);
	mailfs_pop3_free(&c);
}

int
main(void)
{
	static const char dots[] = "From: <a@mailfs.test>\r\nSubject: dots\r\n"
	    "\r\n.leading\r\n..two\r\n.\r\n. space\r\nend\r\n";
	static const char nofinal[] = "From: <a@mailfs.test>\r\n"
	    "Subject: no final CRLF\r\n\r\nlast line";
	int i;

	itest_start(&env, "--pop3");
	if (env.pop3_port[0] == '\0' || env.pop3s_port[0] == '\0')
		bail_out("dovecot.sh --pop3 printed no POP3 ports");
	imap = itest_login(&env, MAILFS_SEC_IMPLICIT_TLS, &tr, NULL);
	msgs[0] = strdup(dots);
	lens[0] = strlen(dots);
	msgs[1] = strdup(nofinal);
	lens[1] = strlen(nofinal);
	msgs[2] = make_message("large", 3 * 1024 * 1024, &lens[2]);
	msgs[3] = make_message("small", 100, &lens[3]);
	for (i = 0; i < NMSG; i++) {
		if (msgs[i] == NULL)
			bail_out("out of memory");
		append(i);
		want_lens[i] = lens[i] + (i == 1 ? 2 : 0);
		if ((want[i] = malloc(want_lens[i])) == NULL)
			bail_out("out of memory");
		memcpy(want[i], msgs[i], lens[i]);
		if (i == 1)
			memcpy(want[i] + lens[i], "\r\n", 2);
	}
	test_retr();
	test_nothing_deleted();
	test_refusals();
	test_stls();
	test_delete();
	mailfs_client_logout(imap);
	mailfs_client_free(&imap);
	for (i = 0; i < NMSG; i++) {
		free(msgs[i]);
		free(want[i]);
	}
	trace_clear(&tr);
	testenv_stop(&env);
	return done_testing();
}
