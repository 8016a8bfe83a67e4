/*
 * The POP3 client against the scripted fake server, for what a real
 * server never does: overlong lines, UIDL ids with bad bytes or named
 * twice, numbers repeated or out of order, -ERR with [IN-USE],
 * [LOGIN-DELAY], [SYS/TEMP] and [AUTH], dot-stuffing and a terminating
 * dot cut across reads, a connection cut in the middle of RETR and before
 * QUIT's +OK, pipelining, no CAPA, STLS missing or refused, bytes
 * injected after STLS's +OK, silence (the I/O timeout); and the decoder
 * itself fed a byte at a time.  No credential in any error or trace, nor
 * in the clear.
 *
 * RFC 1939, RFC 2449, RFC 2595, RFC 3206, RFC 5034.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mailfs/pop3.h>

#include "../tap.h"
#include "../integration/test_common.h"
#include "fakeserver.h"
#include "pop3_data.h"

#define IO_TIMEOUT	1500
#define USER		"tester"
#define PASSWORD	"s3cret"
#define PLAIN_B64	"AHRlc3RlcgBzM2NyZXQ="	/* "\0tester\0s3cret" */

static struct fakecerts certs;

static struct fakeserver *
server(void)
{
	struct fakeserver *fs;

	if ((fs = fakeserver_new(NULL)) == NULL)
		bail_out("cannot start the fake server");
	fakeserver_set_timeout(fs, 6000);
	fakeserver_set_certs(fs, &certs);
	return fs;
}

static struct mailfs_pop3 *
client(struct fakeserver *fs, enum mailfs_security sec, struct trace *tr)
{
	struct mailfs_pop3_params p;
	struct mailfs_pop3 *c;

	if (fakeserver_start(fs) == -1)
		bail_out(fakeserver_error(fs));
	memset(&p, 0, sizeof(p));
	p.host = "127.0.0.1";
	p.port = fakeserver_port(fs);
	p.security = sec;
	p.ca_file = certs.ca;
	p.connect_timeout_ms = 6000;
	p.io_timeout_ms = IO_TIMEOUT;
	p.max_line = 512;
	p.trace = trace_record;
	p.trace_ctx = tr;
	if ((c = mailfs_pop3_new(&p)) == NULL)
		bail_out("mailfs_pop3_new");
	return c;
}

static void
finish(struct fakeserver **fs, struct mailfs_pop3 **c, struct trace *tr,
    const char *what)
{
	mailfs_pop3_free(c);
	if (!ok(fakeserver_finish(*fs) == 0, "%s: the server's script ran as "
	    "written", what)) {
		diag("%s", fakeserver_error(*fs));
		trace_dump(tr, 12);
	}
}

static void
check_rv(struct mailfs_pop3 *c, int rv, enum mailfs_errkind want,
    const char *what)
{
	const struct mailfs_error *e = mailfs_pop3_error(c);

	if (!ok(rv == (want == MAILFS_ERR_NONE ? 0 : -1) &&
	    (want == MAILFS_ERR_NONE || e->kind == want), "%s: %s", what,
	    want == MAILFS_ERR_NONE ? "succeeds" : mailfs_errkind_name(want)))
		diag("rv %d, kind %s: %s", rv, mailfs_errkind_name(e->kind),
		    e->msg);
}

/* No credential, raw or in base64, in c's error or anywhere in the trace. */
static void
no_secrets(struct mailfs_pop3 *c, const struct trace *tr, const char *what)
{
	static const char *const secrets[] = { PASSWORD, PLAIN_B64 };
	const char *msg = mailfs_pop3_error(c)->msg;
	size_t i;
	int clean = 1;

	for (i = 0; i < sizeof(secrets) / sizeof(secrets[0]); i++)
		if (strstr(msg, secrets[i]) != NULL ||
		    trace_contains(tr, secrets[i])) {
			diag("found \"%s\"", secrets[i]);
			clean = 0;
		}
	ok(clean, "%s: no credential in the error or the trace", what);
}

/* The greeting, CAPA with caps (lines with CRLF), AUTH PLAIN, CAPA again. */
static void
script_login(struct fakeserver *fs, const char *caps)
{
	char reply[1024];

	fakeserver_send(fs, "+OK fake POP3 ready\r\n");
	fakeserver_expect(fs, "CAPA");
	snprintf(reply, sizeof(reply), "+OK\r\n%sSASL PLAIN\r\n.\r\n", caps);
	fakeserver_send(fs, reply);
	fakeserver_expect(fs, "AUTH PLAIN " PLAIN_B64);
	fakeserver_send(fs, "+OK logged in\r\n");
	fakeserver_expect(fs, "CAPA");
	snprintf(reply, sizeof(reply), "+OK\r\n%s.\r\n", caps);
	fakeserver_send(fs, reply);
}

/* A client over implicit TLS, logged in by script_login(). */
static struct mailfs_pop3 *
logged_in(struct fakeserver *fs, struct trace *tr, const char *what)
{
	struct mailfs_pop3 *c = client(fs, MAILFS_SEC_IMPLICIT_TLS, tr);
	char w[128];

	snprintf(w, sizeof(w), "%s: connect", what);
	check_rv(c, mailfs_pop3_connect(c), MAILFS_ERR_NONE, w);
	snprintf(w, sizeof(w), "%s: login", what);
	check_rv(c, mailfs_pop3_login(c, USER, PASSWORD), MAILFS_ERR_NONE, w);
	return c;
}

/* ---- collecting what the client hands out ---- */

struct got {
	char body[4][4096];
	size_t len[4];
	uint32_t numbers[4];
	uint64_t done_len[4];
	unsigned ndone;
	int in_order;		/* offsets always where the last chunk ended */
	unsigned calls;
	int stop_at;		/* body returns -1 at this call (from 1), 0 never */
	/* listings */
	uint32_t item_numbers[16];
	char item_ids[16][300];
	uint64_t item_sizes[16];
	unsigned nitems;
};

static int
on_body(void *ctx, uint32_t number, uint64_t offset, const char *data,
    size_t len)
{
	struct got *g = ctx;
	unsigned i = g->ndone;

	if (++g->calls == (unsigned)g->stop_at)
		return -1;
	if (i >= 4 || g->len[i] + len > sizeof(g->body[i]))
		return -1;
	if (offset != g->len[i])
		g->in_order = 0;
	g->numbers[i] = number;
	memcpy(g->body[i] + g->len[i], data, len);
	g->len[i] += len;
	return 0;
}

static void
on_done(void *ctx, uint32_t number, uint64_t length)
{
	struct got *g = ctx;

	if (g->ndone < 4) {
		g->numbers[g->ndone] = number;
		g->done_len[g->ndone++] = length;
	}
}

static void
on_item(void *ctx, const struct mailfs_pop3_item *item)
{
	struct got *g = ctx;

	if (g->nitems >= 16)
		return;
	g->item_numbers[g->nitems] = item->number;
	snprintf(g->item_ids[g->nitems], sizeof(g->item_ids[0]), "%s",
	    item->uidl != NULL ? item->uidl : "");
	g->item_sizes[g->nitems++] = item->size;
}

/* ---- the tests ---- */

/*
 * The whole way over implicit TLS: CAPA, AUTH PLAIN, CAPA again, STAT,
 * UIDL, LIST, two RETRs pipelined with stuffed dots, DELE pipelined,
 * QUIT.
 */
static void
test_session(void)
{
	static const char wire1[] = "Subject: one\r\n\r\n..dot\r\n...two\r\n"
	    ".\r\n";
	static const char body1[] = "Subject: one\r\n\r\n.dot\r\n..two\r\n";
	static const char wire2[] = "Subject: two\r\n\r\nbare\nlf\r\n.\r\n";
	static const char body2[] = "Subject: two\r\n\r\nbare\nlf\r\n";
	struct fakeserver *fs = server();
	struct trace tr = { 0 };
	struct got g = { .in_order = 1 };
	uint32_t nums[] = { 1, 2 }, count = 0;
	uint64_t size = 0;
	size_t done = 9;
	struct mailfs_pop3 *c;
	long i1, i2, ok1;

	fakeserver_tls(fs);
	script_login(fs, "UIDL\r\nTOP\r\nUSER\r\nPIPELINING\r\nRESP-CODES\r\n"
	    "LOGIN-DELAY 900\r\n");
	fakeserver_expect(fs, "STAT");
	fakeserver_send(fs, "+OK 2 320\r\n");
	fakeserver_expect(fs, "UIDL");
	fakeserver_send(fs, "+OK\r\n1 whqtswO00WBw418f9t5JxYwZ\r\n"
	    "2 QhdPYR:00WBw1Ph7x7\r\n.\r\n");
	fakeserver_expect(fs, "LIST");
	fakeserver_send(fs, "+OK 2 messages\r\n1 120\r\n2 200 extra\r\n.\r\n");
	fakeserver_expect(fs, "RETR 1");
	fakeserver_expect(fs, "RETR 2");
	fakeserver_send(fs, "+OK 120 octets\r\n");
	fakeserver_send(fs, wire1);
	fakeserver_send(fs, "+OK\r\n");
	fakeserver_send(fs, wire2);
	fakeserver_expect(fs, "DELE 1");
	fakeserver_expect(fs, "DELE 2");
	fakeserver_send(fs, "+OK\r\n+OK\r\n");
	fakeserver_expect(fs, "QUIT");
	fakeserver_send(fs, "+OK bye\r\n");
	fakeserver_expect_close(fs);

	c = logged_in(fs, &tr, "session");
	ok(mailfs_pop3_is_ready(c), "session: ready after login");
	ok(mailfs_pop3_capabilities(c) == (MAILFS_POP3_CAP_UIDL |
	    MAILFS_POP3_CAP_TOP | MAILFS_POP3_CAP_USER |
	    MAILFS_POP3_CAP_PIPELINING | MAILFS_POP3_CAP_RESP_CODES |
	    MAILFS_POP3_CAP_LOGIN_DELAY), "session: the capabilities of "
	    "the CAPA after login");
	ok(mailfs_pop3_login_delay(c) == 900, "session: LOGIN-DELAY 900");
	check_rv(c, mailfs_pop3_stat(c, &count, &size), MAILFS_ERR_NONE,
	    "STAT");
	ok(count == 2 && size == 320, "STAT: 2 messages, 320 bytes");
	check_rv(c, mailfs_pop3_uidl(c, on_item, &g), MAILFS_ERR_NONE, "UIDL");
	ok(g.nitems == 2 && g.item_numbers[0] == 1 &&
	    strcmp(g.item_ids[0], "whqtswO00WBw418f9t5JxYwZ") == 0 &&
	    g.item_numbers[1] == 2 &&
	    strcmp(g.item_ids[1], "QhdPYR:00WBw1Ph7x7") == 0,
	    "UIDL: both ids, numbered");
	g.nitems = 0;
	check_rv(c, mailfs_pop3_list(c, on_item, &g), MAILFS_ERR_NONE, "LIST");
	ok(g.nitems == 2 && g.item_sizes[0] == 120 &&
	    g.item_sizes[1] == 200, "LIST: both sizes");
	check_rv(c, mailfs_pop3_retr(c, nums, 2, on_body, on_done, &g, &done),
	    MAILFS_ERR_NONE, "RETR 1 2");
	ok(done == 2 && g.ndone == 2, "RETR: two messages whole");
	ok(g.len[0] == strlen(body1) && memcmp(g.body[0], body1,
	    g.len[0]) == 0 && g.done_len[0] == strlen(body1),
	    "RETR 1: dots unstuffed, byte for byte");
	ok(g.len[1] == strlen(body2) && memcmp(g.body[1], body2,
	    g.len[1]) == 0 && g.numbers[1] == 2,
	    "RETR 2: a bare LF kept, byte for byte");
	ok(g.in_order, "RETR: offsets follow each other");
	check_rv(c, mailfs_pop3_dele(c, nums, 2), MAILFS_ERR_NONE, "DELE 1 2");
	check_rv(c, mailfs_pop3_quit(c), MAILFS_ERR_NONE, "QUIT");
	ok(!mailfs_pop3_is_ready(c), "QUIT: closed");
	i1 = trace_find(&tr, 0, MAILFS_TRACE_SEND, "RETR 2");
	ok1 = trace_find(&tr, 0, MAILFS_TRACE_RECV, "+OK 120 octets");
	ok(i1 >= 0 && ok1 > i1, "PIPELINING: RETR 2 sent before RETR 1's "
	    "answer");
	i2 = trace_find(&tr, 0, MAILFS_TRACE_SEND, "AUTH PLAIN ***");
	ok(i2 >= 0, "the trace shows AUTH PLAIN ***");
	no_secrets(c, &tr, "session");
	finish(&fs, &c, &tr, "session");
	fakeserver_free(&fs);
	trace_clear(&tr);
}

/* STLS on pop3://: only the CAPA after TLS counts; USER and PASS in TLS. */
static void
test_stls(void)
{
	struct fakeserver *fs = server();
	struct trace tr = { 0 };
	struct mailfs_pop3 *c;

	fakeserver_send(fs, "+OK hi\r\n");
	fakeserver_expect(fs, "CAPA");
	fakeserver_send(fs, "+OK\r\nSTLS\r\nUSER\r\nPIPELINING\r\n.\r\n");
	fakeserver_expect(fs, "STLS");
	fakeserver_send(fs, "+OK begin TLS\r\n");
	fakeserver_tls(fs);
	fakeserver_expect(fs, "CAPA");
	fakeserver_send(fs, "+OK\r\nUSER\r\nUIDL\r\n.\r\n");
	fakeserver_expect(fs, "USER " USER);
	fakeserver_send(fs, "+OK\r\n");
	fakeserver_expect(fs, "PASS " PASSWORD);
	fakeserver_send(fs, "+OK maildrop locked\r\n");
	fakeserver_expect(fs, "CAPA");
	fakeserver_send(fs, "-ERR no CAPA after login\r\n");
	fakeserver_expect_close(fs);

	c = client(fs, MAILFS_SEC_STARTTLS, &tr);
	check_rv(c, mailfs_pop3_connect(c), MAILFS_ERR_NONE, "STLS: connect");
	ok(mailfs_pop3_capabilities(c) == (MAILFS_POP3_CAP_USER |
	    MAILFS_POP3_CAP_UIDL), "STLS: only the CAPA after TLS counts");
	check_rv(c, mailfs_pop3_login(c, USER, PASSWORD), MAILFS_ERR_NONE,
	    "STLS: USER and PASS");
	ok(mailfs_pop3_capabilities(c) == (MAILFS_POP3_CAP_USER |
	    MAILFS_POP3_CAP_UIDL | MAILFS_POP3_CAP_TOP),
	    "STLS: no CAPA after login: USER, UIDL, TOP assumed");
	ok(trace_find(&tr, 0, MAILFS_TRACE_SEND, "PASS ***") >= 0,
	    "STLS: the trace shows PASS ***");
	no_secrets(c, &tr, "STLS");
	mailfs_pop3_disconnect(c);
	finish(&fs, &c, &tr, "STLS");
	ok(!fakeserver_received_in_clear(fs, "USER") &&
	    !fakeserver_received_in_clear(fs, PASSWORD),
	    "STLS: no USER or PASS in the clear");
	ok(!fakeserver_received_contains(fs, "QUIT"),
	    "disconnect: no QUIT sent");
	fakeserver_free(&fs);
	trace_clear(&tr);
}

/*
 * STLS not offered, refused, a server without CAPA, and a line injected
 * after STLS's +OK: never a credential, and MAILFS_ERR_NO_STARTTLS or
 * MAILFS_ERR_PROTOCOL.
 */
static void
test_stls_refusals(int which)
{
	static const char *const names[] = {
		"STLS not offered", "STLS refused", "no CAPA", "STLS injection"
	};
	struct fakeserver *fs = server();
	struct trace tr = { 0 };
	struct mailfs_pop3 *c;
	const char *what = names[which];

	fakeserver_send(fs, "+OK hi\r\n");
	fakeserver_expect(fs, "CAPA");
	if (which == 0)
		fakeserver_send(fs, "+OK\r\nUSER\r\nSASL PLAIN\r\n.\r\n");
	else if (which == 2)
		fakeserver_send(fs, "-ERR unknown command\r\n");
	else {
		fakeserver_send(fs, "+OK\r\nSTLS\r\nUSER\r\n.\r\n");
		fakeserver_expect(fs, "STLS");
		fakeserver_send(fs, which == 1 ? "-ERR [SYS/PERM] no TLS\r\n" :
		    "+OK begin TLS\r\n+OK\r\nUSER\r\n.\r\n");
	}
	fakeserver_expect_close(fs);

	c = client(fs, MAILFS_SEC_STARTTLS, &tr);
	check_rv(c, mailfs_pop3_connect(c), which == 3 ? MAILFS_ERR_PROTOCOL :
	    MAILFS_ERR_NO_STARTTLS, what);
	check_rv(c, mailfs_pop3_login(c, USER, PASSWORD), MAILFS_ERR_USAGE,
	    "then login");
	finish(&fs, &c, &tr, what);
	ok(!fakeserver_received_contains(fs, "USER") &&
	    !fakeserver_received_contains(fs, "PASS") &&
	    !fakeserver_received_contains(fs, "AUTH"),
	    "%s: no credentials sent", what);
	fakeserver_free(&fs);
	trace_clear(&tr);
}

/* A server without CAPA over implicit TLS: USER and PASS assumed. */
static void
test_no_capa(void)
{
	struct fakeserver *fs = server();
	struct trace tr = { 0 };
	struct mailfs_pop3 *c;

	fakeserver_tls(fs);
	fakeserver_send(fs, "+OK old server\r\n");
	fakeserver_expect(fs, "CAPA");
	fakeserver_send(fs, "-ERR what?\r\n");
	fakeserver_expect(fs, "USER " USER);
	fakeserver_send(fs, "+OK\r\n");
	fakeserver_expect(fs, "PASS " PASSWORD);
	fakeserver_send(fs, "+OK\r\n");
	fakeserver_expect(fs, "CAPA");
	fakeserver_send(fs, "-ERR what?\r\n");
	fakeserver_expect(fs, "DELE 1");
	fakeserver_send(fs, "+OK\r\n");
	fakeserver_expect(fs, "DELE 2");
	fakeserver_send(fs, "+OK\r\n");
	fakeserver_expect(fs, "QUIT");
	fakeserver_close(fs);

	c = client(fs, MAILFS_SEC_IMPLICIT_TLS, &tr);
	check_rv(c, mailfs_pop3_connect(c), MAILFS_ERR_NONE, "no CAPA: connect");
	check_rv(c, mailfs_pop3_login(c, USER, PASSWORD), MAILFS_ERR_NONE,
	    "no CAPA: USER and PASS");
	{
		uint32_t nums[] = { 1, 2 };

		long d1, d2, ok1;

		check_rv(c, mailfs_pop3_dele(c, nums, 2), MAILFS_ERR_NONE,
		    "no PIPELINING: DELE one after the other");
		d1 = trace_find(&tr, 0, MAILFS_TRACE_SEND, "DELE 1");
		ok1 = d1 < 0 ? -1 : trace_find(&tr, (size_t)d1,
		    MAILFS_TRACE_RECV, "+OK");
		d2 = trace_find(&tr, 0, MAILFS_TRACE_SEND, "DELE 2");
		ok(d1 >= 0 && ok1 > d1 && d2 > ok1, "no PIPELINING: DELE 2 "
		    "sent only after DELE 1's +OK");
	}
	/* The server closes without answering QUIT: nothing is deleted. */
	check_rv(c, mailfs_pop3_quit(c), MAILFS_ERR_CLOSED,
	    "a connection cut before QUIT's +OK");
	check_rv(c, mailfs_pop3_quit(c), MAILFS_ERR_CLOSED,
	    "QUIT again, not connected");
	finish(&fs, &c, &tr, "no CAPA");
	fakeserver_free(&fs);
	trace_clear(&tr);
}

/* -ERR to the credentials, with and without response codes. */
static void
test_login_refused(const char *reply, enum mailfs_errkind kind,
    enum mailfs_code code, const char *what)
{
	struct fakeserver *fs = server();
	struct trace tr = { 0 };
	struct mailfs_pop3 *c;
	const struct mailfs_error *e;
	char line[256];

	fakeserver_tls(fs);
	fakeserver_send(fs, "+OK hi\r\n");
	fakeserver_expect(fs, "CAPA");
	fakeserver_send(fs, "+OK\r\nUSER\r\nSASL PLAIN\r\nRESP-CODES\r\n"
	    "AUTH-RESP-CODE\r\n.\r\n");
	fakeserver_expect(fs, "AUTH PLAIN " PLAIN_B64);
	snprintf(line, sizeof(line), "%s\r\n", reply);
	fakeserver_send(fs, line);
	fakeserver_expect_close(fs);

	c = client(fs, MAILFS_SEC_IMPLICIT_TLS, &tr);
	check_rv(c, mailfs_pop3_connect(c), MAILFS_ERR_NONE, "refused: connect");
	check_rv(c, mailfs_pop3_login(c, USER, PASSWORD), kind, what);
	e = mailfs_pop3_error(c);
	if (!ok(e->code == code, "%s: the code", what))
		diag("code %d (%s)", (int)e->code, e->code_name);
	ok(!mailfs_pop3_is_ready(c), "%s: not logged in", what);
	no_secrets(c, &tr, what);
	mailfs_pop3_disconnect(c);
	finish(&fs, &c, &tr, what);
	fakeserver_free(&fs);
	trace_clear(&tr);
}

/*
 * A listing or status the client must refuse: reply is the server's
 * answer to cmd ("UIDL", "LIST" or "STAT"); nothing of a refused listing
 * reaches the caller.
 */
static void
test_bad_listing(const char *cmd, const char *reply, enum mailfs_errkind kind,
    const char *what)
{
	struct fakeserver *fs = server();
	struct trace tr = { 0 };
	struct got g = { .in_order = 1 };
	struct mailfs_pop3 *c;
	uint32_t count;
	uint64_t size;
	int rv;

	fakeserver_tls(fs);
	script_login(fs, "UIDL\r\n");
	fakeserver_expect(fs, cmd);
	fakeserver_send(fs, reply);
	if (kind == MAILFS_ERR_CLOSED)
		fakeserver_close(fs);
	else
		fakeserver_expect_close(fs);

	c = logged_in(fs, &tr, what);
	if (strcmp(cmd, "STAT") == 0)
		rv = mailfs_pop3_stat(c, &count, &size);
	else if (strcmp(cmd, "UIDL") == 0)
		rv = mailfs_pop3_uidl(c, on_item, &g);
	else
		rv = mailfs_pop3_list(c, on_item, &g);
	check_rv(c, rv, kind, what);
	ok(g.nitems == 0, "%s: nothing handed out", what);
	ok(!mailfs_pop3_is_ready(c), "%s: the connection is dropped", what);
	finish(&fs, &c, &tr, what);
	fakeserver_free(&fs);
	trace_clear(&tr);
}

/* A 255-byte id is accepted; 256 is not (test_bad_listing). */
static void
test_long_uidl(void)
{
	struct fakeserver *fs = server();
	struct trace tr = { 0 };
	struct got g = { .in_order = 1 };
	struct mailfs_pop3 *c;
	char id[256], reply[400];

	memset(id, 'x', 255);
	id[255] = '\0';
	snprintf(reply, sizeof(reply), "+OK\r\n1 %s\r\n.\r\n", id);
	fakeserver_tls(fs);
	script_login(fs, "UIDL\r\n");
	fakeserver_expect(fs, "UIDL");
	fakeserver_send(fs, reply);
	fakeserver_expect_close(fs);

	c = logged_in(fs, &tr, "long id");
	check_rv(c, mailfs_pop3_uidl(c, on_item, &g), MAILFS_ERR_NONE,
	    "a 255-byte id");
	ok(g.nitems == 1 && strcmp(g.item_ids[0], id) == 0,
	    "a 255-byte id: whole");
	mailfs_pop3_disconnect(c);
	finish(&fs, &c, &tr, "long id");
	fakeserver_free(&fs);
	trace_clear(&tr);
}

/* A body sent in pieces, cut where the unstuffing must keep its place. */
static void
test_cut_body(void)
{
	static const char *const pieces[] = {
		"+OK\r\nA\r\n.", ".B\r\n..", "\r\n.", "\r", "\n+OK\r\nC\r\n",
		".", "\r\n"
	};
	struct fakeserver *fs = server();
	struct trace tr = { 0 };
	struct got g = { .in_order = 1 };
	struct mailfs_pop3 *c;
	uint32_t nums[] = { 1, 2 };
	size_t i, done = 0;

	fakeserver_tls(fs);
	script_login(fs, "PIPELINING\r\n");
	fakeserver_expect(fs, "RETR 1");
	fakeserver_expect(fs, "RETR 2");
	for (i = 0; i < sizeof(pieces) / sizeof(pieces[0]); i++) {
		fakeserver_send(fs, pieces[i]);
		fakeserver_sleep(fs, 60);
	}
	fakeserver_expect(fs, "NOOP");
	fakeserver_send(fs, "+OK\r\n");
	fakeserver_expect_close(fs);

	c = logged_in(fs, &tr, "cut body");
	check_rv(c, mailfs_pop3_retr(c, nums, 2, on_body, on_done, &g, &done),
	    MAILFS_ERR_NONE, "a body cut at every dot");
	ok(done == 2 && g.len[0] == 10 && memcmp(g.body[0],
	    "A\r\n.B\r\n.\r\n", 10) == 0, "cut body: \"A\\r\\n.B\\r\\n.\\r\\n\", the dots kept their "
	    "place");
	ok(g.len[1] == 3 && memcmp(g.body[1], "C\r\n", 3) == 0,
	    "cut body: the terminating line cut after its dot");
	check_rv(c, mailfs_pop3_noop(c), MAILFS_ERR_NONE,
	    "cut body: in step afterwards");
	mailfs_pop3_disconnect(c);
	finish(&fs, &c, &tr, "cut body");
	fakeserver_free(&fs);
	trace_clear(&tr);
}

/*
 * RETR of three, pipelined: the second refused (deleted meanwhile), the
 * third's body read and dropped, the session in step afterwards; or the
 * body callback stopping: the connection dropped, not drained.
 */
static void
test_retr_refused(int stop)
{
	const char *what = stop ? "body callback stops" : "RETR -ERR";
	struct fakeserver *fs = server();
	struct trace tr = { 0 };
	struct got g = { .in_order = 1, .stop_at = stop ? 2 : 0 };
	struct mailfs_pop3 *c;
	uint32_t nums[] = { 1, 2, 3 };
	size_t done = 9;

	fakeserver_tls(fs);
	script_login(fs, "PIPELINING\r\n");
	fakeserver_expect(fs, "RETR 1");
	fakeserver_expect(fs, "RETR 2");
	fakeserver_expect(fs, "RETR 3");
	fakeserver_send(fs, "+OK\r\none\r\n.\r\n");
	fakeserver_send(fs, stop ? "+OK\r\ntwo\r\n.\r\n" :
	    "-ERR no such message\r\n");
	if (!stop) {
		/* After a stop the client closes: nothing more is sent to it. */
		fakeserver_send(fs, "+OK\r\nthree\r\n.\r\n");
		fakeserver_expect(fs, "NOOP");
		fakeserver_send(fs, "+OK\r\n");
	}
	fakeserver_expect_close(fs);

	c = logged_in(fs, &tr, what);
	check_rv(c, mailfs_pop3_retr(c, nums, 3, on_body, on_done, &g, &done),
	    stop ? MAILFS_ERR_USAGE : MAILFS_ERR_NO, what);
	ok(done == 1 && g.ndone == 1 && g.len[0] == 5, "%s: the first passed "
	    "whole, nothing after", what);
	if (stop)
		ok(!mailfs_pop3_is_ready(c), "%s: the connection dropped", what);
	else
		check_rv(c, mailfs_pop3_noop(c), MAILFS_ERR_NONE,
		    "in step afterwards");
	mailfs_pop3_disconnect(c);
	finish(&fs, &c, &tr, what);
	fakeserver_free(&fs);
	trace_clear(&tr);
}

/* The connection cut in the middle of RETR's body. */
static void
test_cut_retr(void)
{
	struct fakeserver *fs = server();
	struct trace tr = { 0 };
	struct got g = { .in_order = 1 };
	struct mailfs_pop3 *c;
	uint32_t nums[] = { 1, 2 };
	size_t done = 9;

	fakeserver_tls(fs);
	script_login(fs, "PIPELINING\r\n");
	fakeserver_expect(fs, "DELE 2");
	fakeserver_send(fs, "+OK marked\r\n");
	fakeserver_expect(fs, "RETR 1");
	fakeserver_expect(fs, "RETR 2");
	fakeserver_send(fs, "+OK\r\none\r\n.\r\n+OK\r\nhalf of it\r\n");
	fakeserver_close(fs);

	c = logged_in(fs, &tr, "cut RETR");
	check_rv(c, mailfs_pop3_dele(c, nums + 1, 1), MAILFS_ERR_NONE,
	    "cut RETR: DELE 2");
	check_rv(c, mailfs_pop3_retr(c, nums, 2, on_body, on_done, &g, &done),
	    MAILFS_ERR_CLOSED, "the connection cut in the middle of RETR");
	ok(done == 1 && g.ndone == 1, "cut RETR: one message whole, the cut "
	    "one not passed as done");
	check_rv(c, mailfs_pop3_quit(c), MAILFS_ERR_CLOSED,
	    "cut RETR: QUIT fails: nothing was deleted");
	finish(&fs, &c, &tr, "cut RETR");
	fakeserver_free(&fs);
	trace_clear(&tr);
}

/* Lines longer than max_line (512 here): the greeting, a listing line. */
static void
test_overlong(int listing)
{
	const char *what = listing ? "an overlong UIDL line" :
	    "an overlong greeting";
	struct fakeserver *fs = server();
	struct trace tr = { 0 };
	struct got g = { .in_order = 1 };
	struct mailfs_pop3 *c;
	char line[2048];

	memset(line, 'a', sizeof(line));
	memcpy(line, listing ? "+OK\r\n1 " : "+OK ", listing ? 7 : 4);
	memcpy(line + sizeof(line) - 3, "\r\n", 3);
	fakeserver_tls(fs);
	if (listing) {
		script_login(fs, "UIDL\r\n");
		fakeserver_expect(fs, "UIDL");
	}
	fakeserver_send(fs, line);
	fakeserver_expect_close(fs);

	c = client(fs, MAILFS_SEC_IMPLICIT_TLS, &tr);
	if (listing) {
		check_rv(c, mailfs_pop3_connect(c), MAILFS_ERR_NONE, what);
		check_rv(c, mailfs_pop3_login(c, USER, PASSWORD),
		    MAILFS_ERR_NONE, what);
		check_rv(c, mailfs_pop3_uidl(c, on_item, &g), MAILFS_ERR_LIMIT,
		    what);
	} else
		check_rv(c, mailfs_pop3_connect(c), MAILFS_ERR_LIMIT, what);
	finish(&fs, &c, &tr, what);
	fakeserver_free(&fs);
	trace_clear(&tr);
}

/* A silent server: the I/O timeout ends the wait, bounded. */
static void
test_silence(void)
{
	struct fakeserver *fs = server();
	struct trace tr = { 0 };
	struct mailfs_pop3 *c;
	uint64_t t0, ms;

	fakeserver_tls(fs);
	script_login(fs, "");
	fakeserver_expect(fs, "STAT");
	fakeserver_sleep(fs, IO_TIMEOUT + 1000);
	fakeserver_expect_close(fs);

	c = logged_in(fs, &tr, "silence");
	{
		uint32_t count;
		uint64_t size;

		t0 = now_usec();
		check_rv(c, mailfs_pop3_stat(c, &count, &size),
		    MAILFS_ERR_TIMEOUT, "a silent server");
		ms = (now_usec() - t0) / 1000;
	}
	ok(ms >= IO_TIMEOUT - 100 && ms < IO_TIMEOUT + 1500,
	    "silence: ends with the I/O timeout (%llu ms)",
	    (unsigned long long)ms);
	ok(!mailfs_pop3_is_ready(c), "silence: the connection is dropped");
	finish(&fs, &c, &tr, "silence");
	fakeserver_free(&fs);
	trace_clear(&tr);
}

/* Never a credential without TLS, even on a plaintext test connection. */
static void
test_plaintext(void)
{
	struct fakeserver *fs = server();
	struct trace tr = { 0 };
	struct mailfs_pop3 *c;

	fakeserver_send(fs, "+OK hi\r\n");
	fakeserver_expect(fs, "CAPA");
	fakeserver_send(fs, "+OK\r\nUSER\r\nSASL PLAIN\r\n.\r\n");
	fakeserver_expect_close(fs);

	c = client(fs, MAILFS_SEC_PLAINTEXT_INSECURE, &tr);
	check_rv(c, mailfs_pop3_connect(c), MAILFS_ERR_NONE, "plaintext: "
	    "connect");
	check_rv(c, mailfs_pop3_login(c, USER, PASSWORD), MAILFS_ERR_USAGE,
	    "login without TLS");
	check_rv(c, mailfs_pop3_login(c, "a\r\nDELE 1", PASSWORD),
	    MAILFS_ERR_USAGE, "a user name with CRLF");
	mailfs_pop3_disconnect(c);
	finish(&fs, &c, &tr, "plaintext");
	ok(!fakeserver_received_contains(fs, "USER") &&
	    !fakeserver_received_contains(fs, "AUTH"),
	    "plaintext: no credentials sent");
	fakeserver_free(&fs);
	trace_clear(&tr);
}

/* A mechanism whose initial response is too long for the AUTH line. */
struct token {
	unsigned steps;
	char challenge[32];
};

static int
token_step(void *ctx, unsigned step, const unsigned char *challenge,
    size_t challenge_len, unsigned char **response_r, size_t *len_r)
{
	struct token *t = ctx;

	*response_r = NULL;
	*len_r = 0;
	t->steps++;
	if (step == 0) {
		if ((*response_r = malloc(300)) == NULL)
			return -1;
		memset(*response_r, 'T', 300);
		*len_r = 300;
		return 0;
	}
	/* The held initial response answered challenge 1: this is 2. */
	if (challenge_len >= sizeof(t->challenge) || step != 2)
		return 0;
	memcpy(t->challenge, challenge, challenge_len);
	t->challenge[challenge_len] = '\0';
	if ((*response_r = malloc(2)) == NULL)
		return -1;
	memcpy(*response_r, "ok", 2);
	*len_r = 2;
	return 0;
}

/*
 * AUTH through the mechanism hook: a 300-byte initial response waits for
 * the first "+ " (RFC 5034 4: 255 octets a line), then a challenge.
 */
static void
test_mech(void)
{
	struct fakeserver *fs = server();
	struct trace tr = { 0 };
	struct token tok = { 0 };
	struct mailfs_pop3_mech mech = { "XTEST", token_step, &tok };
	struct mailfs_pop3 *c;
	char line[512], b64[401];

	memset(b64, 0, sizeof(b64));
	memset(line, 'T', 300);
	{
		/* base64 of 300 'T's: "VFRU" a hundred times. */
		int i;

		for (i = 0; i < 100; i++)
			memcpy(b64 + 4 * i, "VFRU", 4);
	}
	fakeserver_tls(fs);
	fakeserver_send(fs, "+OK hi\r\n");
	fakeserver_expect(fs, "CAPA");
	fakeserver_send(fs, "+OK\r\nSASL XTEST\r\n.\r\n");
	fakeserver_expect(fs, "AUTH XTEST");
	fakeserver_send(fs, "+ \r\n");
	fakeserver_expect(fs, b64);
	fakeserver_send(fs, "+ Y2hhbGxlbmdl\r\n");
	fakeserver_expect(fs, "b2s=");
	fakeserver_send(fs, "+OK welcome\r\n");
	fakeserver_expect(fs, "CAPA");
	fakeserver_send(fs, "+OK\r\nUIDL\r\n.\r\n");
	fakeserver_expect_close(fs);

	c = client(fs, MAILFS_SEC_IMPLICIT_TLS, &tr);
	check_rv(c, mailfs_pop3_connect(c), MAILFS_ERR_NONE, "mech: connect");
	ok(mailfs_pop3_has_sasl(c, "xtest"), "mech: SASL XTEST offered");
	check_rv(c, mailfs_pop3_auth(c, &mech), MAILFS_ERR_NONE,
	    "AUTH XTEST, a long initial response");
	ok(tok.steps == 2 && strcmp(tok.challenge, "challenge") == 0,
	    "mech: the challenge decoded, one step after the initial one");
	ok(mailfs_pop3_is_ready(c), "mech: logged in");
	ok(!trace_contains(&tr, "VFRU") && !trace_contains(&tr, "b2s="),
	    "mech: responses masked in the trace");
	mailfs_pop3_disconnect(c);
	finish(&fs, &c, &tr, "mech");
	fakeserver_free(&fs);
	trace_clear(&tr);
}

/* A mechanism without an initial response that counts its challenges. */
static int
counting_step(void *ctx, unsigned step, const unsigned char *challenge,
    size_t challenge_len, unsigned char **response_r, size_t *len_r)
{
	unsigned *calls = ctx;

	(void)challenge;
	(void)challenge_len;
	*response_r = NULL;
	*len_r = 0;
	if (step == 0)
		return 0;
	(*calls)++;
	if ((*response_r = malloc(2)) == NULL)
		return -1;
	memcpy(*response_r, "ok", 2);
	*len_r = 2;
	return 0;
}

/*
 * A challenge that only looks like base64 (white space around it, which
 * EVP_DecodeBlock() skips, or '=' inside) is refused and cancelled: it
 * never reaches the mechanism, decoded into bytes nobody wrote.  The
 * server's answer to "*" (answer) must be -ERR; after anything else the
 * session is out of step, and the connection is dropped.
 */
static void
test_mech_bad_base64(const char *challenge, const char *answer)
{
	struct fakeserver *fs = server();
	struct trace tr = { 0 };
	unsigned calls = 0;
	struct mailfs_pop3_mech mech = { "XTEST", counting_step, &calls };
	struct mailfs_pop3 *c;
	char line[128];

	fakeserver_tls(fs);
	fakeserver_send(fs, "+OK hi\r\n");
	fakeserver_expect(fs, "CAPA");
	fakeserver_send(fs, "+OK\r\nSASL XTEST\r\n.\r\n");
	fakeserver_expect(fs, "AUTH XTEST");
	snprintf(line, sizeof(line), "+ %s\r\n", challenge);
	fakeserver_send(fs, line);
	fakeserver_expect(fs, "*");
	fakeserver_send(fs, answer);
	fakeserver_expect_close(fs);

	c = client(fs, MAILFS_SEC_IMPLICIT_TLS, &tr);
	check_rv(c, mailfs_pop3_connect(c), MAILFS_ERR_NONE, "bad base64: "
	    "connect");
	check_rv(c, mailfs_pop3_auth(c, &mech), MAILFS_ERR_PROTOCOL,
	    "AUTH, a challenge that is not strict base64");
	ok(calls == 0, "bad base64 \"%s\": the mechanism never saw it",
	    challenge);
	ok(trace_contains(&tr, "-> DISCONNECTED") == (answer[0] != '-'),
	    "bad base64, \"*\" answered with \"%.*s\": %s",
	    (int)strcspn(answer, "\r"), answer,
	    answer[0] != '-' ? "dropped" : "still connected");
	finish(&fs, &c, &tr, "bad base64");
	fakeserver_free(&fs);
	trace_clear(&tr);
}

/* The decoder alone, fed a byte at a time and whole. */
static void
test_decoder(void)
{
	static const struct {
		const char *in;
		const char *out;
		size_t rest;	/* bytes after the terminating line */
	} cases[] = {
		{ ".\r\n", "", 0 },
		{ "a\r\n.\r\nX", "a\r\n", 1 },
		{ "..\r\n.\r\n", ".\r\n", 0 },
		{ ".a\r\n.\r\n", "a\r\n", 0 },
		{ ".\rx\r\n.\r\n", "\rx\r\n", 0 },
		{ "a\n.\n+OK", "a\n", 3 },
		{ "x.\r\n.\r\n", "x.\r\n", 0 },
		{ "\r\n..\r\n...\r\n.\r\n", "\r\n.\r\n..\r\n", 0 },
	};
	struct pop3_data d;
	enum pop3_data_result r;
	char out[64], one[2];
	size_t i, j, len, used, olen, got;
	int good;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		len = strlen(cases[i].in);
		pop3_data_init(&d);
		r = pop3_data_decode(&d, cases[i].in, len, &used, out, &olen);
		good = r == POP3_DATA_END && used == len - cases[i].rest &&
		    olen == strlen(cases[i].out) &&
		    memcmp(out, cases[i].out, olen) == 0;
		pop3_data_init(&d);
		got = 0;
		r = POP3_DATA_MORE;
		for (j = 0; j < len && r == POP3_DATA_MORE; j++) {
			r = pop3_data_decode(&d, cases[i].in + j, 1, &used,
			    one, &olen);
			if (got + olen > sizeof(out))
				break;
			memcpy(out + got, one, olen);
			got += olen;
		}
		good = good && r == POP3_DATA_END &&
		    j == len - cases[i].rest && got == strlen(cases[i].out) &&
		    memcmp(out, cases[i].out, got) == 0;
		ok(good, "decoder: case %zu, whole and a byte at a time", i);
	}
}

int
main(void)
{
	char id[300], line[400];

	if (fakecerts_make(&certs) == -1)
		bail_out("cannot make test certificates");
	test_decoder();
	test_session();
	test_stls();
	test_stls_refusals(0);
	test_stls_refusals(1);
	test_stls_refusals(2);
	test_stls_refusals(3);
	test_no_capa();
	test_login_refused("-ERR [IN-USE] Mailbox is locked", MAILFS_ERR_NO,
	    MAILFS_CODE_INUSE, "-ERR [IN-USE]");
	test_login_refused("-ERR [LOGIN-DELAY] wait", MAILFS_ERR_NO,
	    MAILFS_CODE_LOGIN_DELAY, "-ERR [LOGIN-DELAY]");
	test_login_refused("-ERR [SYS/TEMP] try later", MAILFS_ERR_NO,
	    MAILFS_CODE_SYS_TEMP, "-ERR [SYS/TEMP]");
	test_login_refused("-ERR [AUTH] bad password " PASSWORD,
	    MAILFS_ERR_AUTH, MAILFS_CODE_OTHER, "-ERR [AUTH], echoing");
	test_login_refused("-ERR no", MAILFS_ERR_AUTH, MAILFS_CODE_NONE,
	    "-ERR without a code");
	test_login_refused("what is " PLAIN_B64 "?", MAILFS_ERR_PROTOCOL,
	    MAILFS_CODE_NONE, "garbage echoing the response");
	test_bad_listing("UIDL", "+OK\r\n1 a\x01" "b\r\n.\r\n",
	    MAILFS_ERR_PROTOCOL, "a UIDL id with a control byte");
	test_bad_listing("UIDL", "+OK\r\n1 a b\r\n.\r\n",
	    MAILFS_ERR_PROTOCOL, "a UIDL id with a space");
	test_bad_listing("UIDL", "+OK\r\n1 a\r\n2 b\r\n3 a\r\n.\r\n",
	    MAILFS_ERR_PROTOCOL, "a UIDL id named twice");
	test_bad_listing("UIDL", "+OK\r\n1 a\r\n1 b\r\n.\r\n",
	    MAILFS_ERR_PROTOCOL, "a UIDL number named twice");
	test_bad_listing("UIDL", "+OK\r\n2 a\r\n1 b\r\n.\r\n",
	    MAILFS_ERR_PROTOCOL, "UIDL numbers out of order");
	test_bad_listing("UIDL", "+OK\r\n0 a\r\n.\r\n",
	    MAILFS_ERR_PROTOCOL, "UIDL message 0");
	test_bad_listing("UIDL", "+OK\r\n1 a\r\n2\r\n.\r\n",
	    MAILFS_ERR_PROTOCOL, "a UIDL line without an id");
	test_bad_listing("LIST", "+OK\r\n1 12x\r\n.\r\n",
	    MAILFS_ERR_PROTOCOL, "a LIST size that is not a number");
	test_bad_listing("LIST", "+OK\r\n1 12\r\n1 13\r\n.\r\n",
	    MAILFS_ERR_PROTOCOL, "a LIST number named twice");
	test_bad_listing("LIST", "+OK\r\n1 12\r\n2 1",
	    MAILFS_ERR_CLOSED, "a LIST cut short");
	test_bad_listing("STAT", "+OK many\r\n", MAILFS_ERR_PROTOCOL,
	    "a STAT without a count");
	test_bad_listing("STAT", "+OK 2000000 1\r\n", MAILFS_ERR_LIMIT,
	    "a STAT over max_messages");
	test_bad_listing("UIDL", "+OK\r\n2000000 a\r\n.\r\n",
	    MAILFS_ERR_LIMIT, "a UIDL number over max_messages");
	memset(id, 'x', 256);
	id[256] = '\0';
	snprintf(line, sizeof(line), "+OK\r\n1 %s\r\n.\r\n", id);
	test_bad_listing("UIDL", line, MAILFS_ERR_PROTOCOL,
	    "a 256-byte UIDL id");
	test_long_uidl();
	test_cut_body();
	test_retr_refused(0);
	test_retr_refused(1);
	test_cut_retr();
	test_overlong(0);
	test_overlong(1);
	test_silence();
	test_plaintext();
	test_mech();
	test_mech_bad_base64("    QUFB", "-ERR cancelled\r\n");
	test_mech_bad_base64("QUFB    ", "+OK logged in all the same\r\n");
	test_mech_bad_base64("QQ==QUFB", "+ \r\n");
	fakecerts_remove(&certs);
	return done_testing();
}
