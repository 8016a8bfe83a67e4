/*
 * The command engine against a hostile or broken server (the scripted fake
 * server): huge and malformed literals and numbers, response codes that
 * belong to no command in flight (isync's CVE-2021-3578), unknown tags,
 * silence (and a deadline or a cancel that ends the wait for it sooner),
 * a connection lost in the middle of a literal, BYE, [ALERT], and the
 * STATUS and LIST that NOTIFY makes a server send on its own.
 * Each must end in an error of the right kind, never a crash, a hang or
 * data given to the wrong command.
 *
 * RFC 3501 2.2.2, 5.5, 7.1.5, 9; RFC 4315 (APPENDUID); RFC 5465 (NOTIFY).
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../tap.h"
#include "../integration/test_common.h"
#include "fakeserver.h"

#define IO_TIMEOUT	1500

static struct fakeserver *
server(void)
{
	struct fakeserver *fs;

	if ((fs = fakeserver_new(NULL)) == NULL)
		bail_out("cannot start the fake server");
	fakeserver_set_timeout(fs, 3000);
	/* Logged in at once, with the extensions the cases use. */
	fakeserver_send(fs, "* PREAUTH [CAPABILITY IMAP4rev1 UIDPLUS LITERAL+ "
	    "IDLE] fake\r\n");
	return fs;
}

/* The script's SELECT INBOX exchange. */
static void
script_select(struct fakeserver *fs)
{
	fakeserver_expect(fs, "$TAG SELECT INBOX");
	fakeserver_send(fs, "* 3 EXISTS\r\n* OK [UIDVALIDITY 7] v\r\n"
	    "* OK [UIDNEXT 4] n\r\n$TAG OK [READ-WRITE] done\r\n");
}

static struct mailfs_client *
client(struct fakeserver *fs, struct trace *tr, size_t max_line,
    const struct mailfs_unilateral *u)
{
	struct mailfs_params p;
	struct mailfs_client *c;

	if (fakeserver_start(fs) == -1)
		bail_out(fakeserver_error(fs));
	memset(&p, 0, sizeof(p));
	p.host = "127.0.0.1";
	p.port = fakeserver_port(fs);
	p.security = MAILFS_SEC_PLAINTEXT_INSECURE;
	p.connect_timeout_ms = 3000;
	p.io_timeout_ms = IO_TIMEOUT;
	p.max_line = max_line;
	p.trace = trace_record;
	p.trace_ctx = tr;
	p.unilateral = u;
	if ((c = mailfs_client_new(&p)) == NULL)
		bail_out("mailfs_client_new");
	if (mailfs_client_connect(c) == -1) {
		itest_diag_error(c, "connect");
		bail_out("cannot connect to the fake server");
	}
	return c;
}

static void
finish(struct fakeserver **fs, struct mailfs_client **c, struct trace *tr,
    const char *what)
{
	mailfs_client_free(c);
	if (!ok(fakeserver_finish(*fs) == 0, "%s: the server's script ran as "
	    "written", what)) {
		diag("%s", fakeserver_error(*fs));
		trace_dump(tr, 8);
	}
	fakeserver_free(fs);
	trace_clear(tr);
}

/*
 * Hostile answers to a UID FETCH.  kinds lists the acceptable error kinds
 * (the first one is the best); raw entries may hold NUL bytes.
 */
static const struct hostile {
	const char *name;
	const char *data;
	size_t len;		/* 0: strlen(data) */
	int stream;		/* fetch with a body handler */
	enum mailfs_errkind kinds[2];
} hostile[] = {
	{ "a literal of 2^63 bytes, in memory",
	  "* 1 FETCH (UID 1 BODY[] {9223372036854775808}\r\nFrom: x\r\n", 0, 0,
	  { MAILFS_ERR_LIMIT, MAILFS_ERR_PROTOCOL } },
	{ "a literal of 2^63 bytes, streamed",
	  "* 1 FETCH (UID 1 BODY[] {9223372036854775808}\r\nFrom: x\r\n", 0, 1,
	  { MAILFS_ERR_LIMIT, MAILFS_ERR_PROTOCOL } },
	{ "a literal of 2^64+1 bytes",
	  "* 1 FETCH (UID 1 BODY[] {18446744073709551617}\r\nFrom: x\r\n", 0, 1,
	  { MAILFS_ERR_LIMIT, MAILFS_ERR_PROTOCOL } },
	{ "a literal size of 30 digits",
	  "* 1 FETCH (UID 1 BODY[] {999999999999999999999999999999}\r\n", 0, 0,
	  { MAILFS_ERR_LIMIT, MAILFS_ERR_PROTOCOL } },
	{ "a literal of 100 MB (over max_literal) in memory",
	  "* 1 FETCH (UID 1 BODY[] {100000000}\r\nFrom: x\r\n", 0, 0,
	  { MAILFS_ERR_LIMIT, MAILFS_ERR_LIMIT } },
	{ "a non-numeric literal size",
	  "* 1 FETCH (UID 1 BODY[] {12x}\r\nFrom: x\r\n", 0, 0,
	  { MAILFS_ERR_PROTOCOL, MAILFS_ERR_PROTOCOL } },
	{ "UID that is not a number",
	  "* 1 FETCH (UID abc FLAGS (\\Seen))\r\n", 0, 0,
	  { MAILFS_ERR_PROTOCOL, MAILFS_ERR_PROTOCOL } },
	{ "UID 2^32",
	  "* 1 FETCH (UID 4294967296 FLAGS (\\Seen))\r\n", 0, 0,
	  { MAILFS_ERR_PROTOCOL, MAILFS_ERR_PROTOCOL } },
	{ "UID 0",
	  "* 1 FETCH (UID 0 FLAGS (\\Seen))\r\n", 0, 0,
	  { MAILFS_ERR_PROTOCOL, MAILFS_ERR_PROTOCOL } },
	{ "a negative UID",
	  "* 1 FETCH (UID -1 FLAGS (\\Seen))\r\n", 0, 0,
	  { MAILFS_ERR_PROTOCOL, MAILFS_ERR_PROTOCOL } },
	{ "a sequence number of 2^32",
	  "* 4294967296 FETCH (UID 1 FLAGS (\\Seen))\r\n", 0, 0,
	  { MAILFS_ERR_PROTOCOL, MAILFS_ERR_PROTOCOL } },
	{ "an unbalanced parenthesis",
	  "* 1 FETCH (UID 1 FLAGS (\\Seen)\r\n", 0, 0,
	  { MAILFS_ERR_PROTOCOL, MAILFS_ERR_PROTOCOL } },
	{ "a stray closing parenthesis",
	  "* 1 FETCH (UID 1 FLAGS (\\Seen)))\r\n", 0, 0,
	  { MAILFS_ERR_PROTOCOL, MAILFS_ERR_PROTOCOL } },
	{ "nesting 40 deep",
	  "* 1 FETCH (UID 1 FLAGS ((((((((((((((((((((((((((((((((((((((((x"
	  "))))))))))))))))))))))))))))))))))))))))\r\n", 0, 0,
	  { MAILFS_ERR_LIMIT, MAILFS_ERR_PROTOCOL } },
	{ "a NUL byte in a flag",
	  "* 1 FETCH (UID 1 FLAGS (\\Se\0en))\r\n", 34, 0,
	  { MAILFS_ERR_PROTOCOL, MAILFS_ERR_PROTOCOL } },
	{ "a NUL byte in a quoted string",
	  "* 1 FETCH (UID 1 BODY[] \"ab\0cd\")\r\n", 35, 0,
	  { MAILFS_ERR_PROTOCOL, MAILFS_ERR_PROTOCOL } },
	{ "an unterminated quoted string",
	  "* 1 FETCH (UID 1 BODY[] \"unterminated\r\n", 0, 0,
	  { MAILFS_ERR_PROTOCOL, MAILFS_ERR_PROTOCOL } },
	{ "a bare LF inside a quoted string",
	  "* 1 FETCH (UID 1 BODY[] \"a\nb\")\r\n", 0, 0,
	  { MAILFS_ERR_PROTOCOL, MAILFS_ERR_PROTOCOL } },
	{ "RFC822.SIZE of 2^64",
	  "* 1 FETCH (UID 1 RFC822.SIZE 18446744073709551616)\r\n", 0, 0,
	  { MAILFS_ERR_PROTOCOL, MAILFS_ERR_LIMIT } },
	{ "an impossible INTERNALDATE",
	  "* 1 FETCH (UID 1 INTERNALDATE \"99-Foo-2023 99:99:99 +9999\")\r\n",
	  0, 0, { MAILFS_ERR_PROTOCOL, MAILFS_ERR_PROTOCOL } },
};

static void
test_hostile(const struct hostile *h)
{
	struct fakeserver *fs = server();
	struct trace tr = { 0 };
	struct mailfs_client *c;
	struct collector col;
	struct mailfs_handlers hd;
	struct mailfs_fetch_spec spec;
	const struct mailfs_error *e;
	uint64_t t0, elapsed;
	int rv;

	script_select(fs);
	fakeserver_expect(fs, "$TAG UID FETCH 1 *");
	fakeserver_send_raw(fs, h->data, h->len ? h->len : strlen(h->data));
	fakeserver_expect_close(fs);
	c = client(fs, &tr, 0, NULL);
	if (mailfs_run(c, mailfs_select(c, "INBOX", 0, NULL, NULL), NULL) == -1)
		itest_diag_error(c, "select");
	collector_init(&col);
	hd = collector_handlers(&col, h->stream);
	memset(&spec, 0, sizeof(spec));
	spec.items = MAILFS_FETCH_FLAGS | MAILFS_FETCH_BODY;
	t0 = now_usec();
	rv = mailfs_run(c, mailfs_uid_fetch(c, "1", &spec, &hd), NULL);
	elapsed = now_usec() - t0;
	e = mailfs_client_error(c);
	if (!ok(rv == -1 && (e->kind == h->kinds[0] || e->kind == h->kinds[1]),
	    "%s: %s", h->name, mailfs_errkind_name(h->kinds[0])))
		diag("rv %d, kind %s: %s", rv, mailfs_errkind_name(e->kind), e->msg);
	ok(elapsed < (uint64_t)IO_TIMEOUT * 1000 * 2 / 3,
	    "%s: refused at once, not by the timeout (%llu ms)", h->name,
	    (unsigned long long)elapsed / 1000);
	ok(col.nmsgs == 0, "%s: no FETCH reached the handler", h->name);
	ok(mailfs_run(c, mailfs_noop(c), NULL) == -1,
	    "%s: the connection is not used after it", h->name);
	collector_free(&col);
	finish(&fs, &c, &tr, h->name);
}

static void
test_overlong_line(void)
{
	struct fakeserver *fs = server();
	struct trace tr = { 0 };
	struct mailfs_client *c;
	char line[9000];
	int rv;

	/* A 9000-byte line to a client whose max_line is 4096. */
	memcpy(line, "* OK ", 5);
	memset(line + 5, 'x', sizeof(line) - 8);
	memcpy(line + sizeof(line) - 3, "\r\n", 3);
	fakeserver_expect(fs, "$TAG NOOP");
	fakeserver_send(fs, line);
	fakeserver_send(fs, "$TAG OK done\r\n");
	fakeserver_expect_close(fs);
	c = client(fs, &tr, 4096, NULL);
	rv = mailfs_run(c, mailfs_noop(c), NULL);
	ok(rv == -1 && mailfs_client_error(c)->kind == MAILFS_ERR_LIMIT,
	    "a line longer than max_line: limit (%s)",
	    mailfs_errkind_name(mailfs_client_error(c)->kind));
	finish(&fs, &c, &tr, "overlong line");
}

/*
 * isync's CVE-2021-3578: an APPENDUID that comes with another command's
 * answer, or untagged, must not be taken for the APPEND's.
 */
static void
test_appenduid_misplaced(void)
{
	static const char msg[] = "Subject: x\r\n\r\nhello\r\n";
	struct fakeserver *fs = server();
	struct trace tr = { 0 };
	struct mailfs_client *c;
	struct mailfs_cmd *app, *noop;
	struct mailfs_cmd_result ra, rn;
	int rv;

	fakeserver_expect(fs, "$TAG1 APPEND INBOX*{21+}");
	fakeserver_expect_bytes(fs, 21);
	fakeserver_expect(fs, "");
	fakeserver_expect(fs, "$TAG2 NOOP");
	fakeserver_send(fs, "$TAG2 OK [APPENDUID 666 666] noop done\r\n"
	    "* OK [APPENDUID 777 777] untagged\r\n"
	    "* OK [COPYUID 888 1 888] untagged\r\n"
	    "$TAG1 OK [APPENDUID 5 7] append done\r\n");
	fakeserver_expect_close(fs);
	c = client(fs, &tr, 0, NULL);
	app = mailfs_append(c, "INBOX", NULL, -1, msg, sizeof(msg) - 1);
	noop = mailfs_noop(c);
	memset(&ra, 0, sizeof(ra));
	memset(&rn, 0, sizeof(rn));
	rv = mailfs_run(c, app, &ra);
	ok(rv == 0, "APPEND pipelined with NOOP: OK");
	ok(ra.uidvalidity == 5 && mailfs_uidset_size(&ra.dst_uids) == 1 &&
	    mailfs_uidset_nth(&ra.dst_uids, 0) == 7 &&
	    mailfs_uidset_size(&ra.src_uids) == 0,
	    "APPEND's result is its own APPENDUID 5 7 (got %u, %llu uids, "
	    "first %u)", ra.uidvalidity,
	    (unsigned long long)mailfs_uidset_size(&ra.dst_uids),
	    mailfs_uidset_nth(&ra.dst_uids, 0));
	rv = mailfs_run(c, noop, &rn);
	ok(rv == 0, "NOOP: OK");
	ok(rn.uidvalidity == 0 && mailfs_uidset_size(&rn.dst_uids) == 0 &&
	    mailfs_uidset_size(&rn.src_uids) == 0,
	    "NOOP's result carries no APPENDUID or COPYUID (got %u)",
	    rn.uidvalidity);
	mailfs_cmd_result_clear(&ra);
	mailfs_cmd_result_clear(&rn);
	finish(&fs, &c, &tr, "misplaced APPENDUID");
}

static void
test_unknown_tag(void)
{
	struct fakeserver *fs = server();
	struct trace tr = { 0 };
	struct mailfs_client *c;
	const struct mailfs_error *e;
	int rv;

	fakeserver_expect(fs, "$TAG NOOP");
	fakeserver_send(fs, "zz99 OK bogus\r\n$TAG NO real answer\r\n");
	fakeserver_expect_close(fs);
	c = client(fs, &tr, 0, NULL);
	rv = mailfs_run(c, mailfs_noop(c), NULL);
	e = mailfs_client_error(c);
	ok(rv == -1 && (e->kind == MAILFS_ERR_NO || e->kind == MAILFS_ERR_PROTOCOL),
	    "a tagged answer with an unknown tag completes nothing (%s: %s)",
	    mailfs_errkind_name(e->kind), e->msg);
	finish(&fs, &c, &tr, "unknown tag");
}

static void
test_silence(void)
{
	struct fakeserver *fs = server();
	struct trace tr = { 0 };
	struct mailfs_client *c;
	uint64_t t0, elapsed;
	int rv;

	fakeserver_expect(fs, "$TAG NOOP");
	fakeserver_expect_close(fs);
	c = client(fs, &tr, 0, NULL);
	t0 = now_usec();
	rv = mailfs_run(c, mailfs_noop(c), NULL);
	elapsed = (now_usec() - t0) / 1000;
	ok(rv == -1 && mailfs_client_error(c)->kind == MAILFS_ERR_TIMEOUT,
	    "no answer: timeout (%s)",
	    mailfs_errkind_name(mailfs_client_error(c)->kind));
	ok(elapsed >= IO_TIMEOUT - 100 && elapsed < IO_TIMEOUT + 1000,
	    "after the I/O timeout of %d ms (%llu ms)", IO_TIMEOUT,
	    (unsigned long long)elapsed);
	finish(&fs, &c, &tr, "silence");
}

/*
 * mailfs_client_set_deadline(): the deadline, not the longer I/O timeout,
 * ends the wait; a deadline already past fails the next command at once.
 */
static void
test_deadline(void)
{
	struct fakeserver *fs = server();
	struct trace tr = { 0 };
	struct mailfs_client *c;
	struct timespec dl;
	uint64_t t0, elapsed;
	int rv;

	fakeserver_expect(fs, "$TAG NOOP");
	fakeserver_expect_close(fs);
	c = client(fs, &tr, 0, NULL);
	clock_gettime(CLOCK_MONOTONIC, &dl);
	dl.tv_nsec += 300 * 1000000L;
	if (dl.tv_nsec >= 1000000000L) {
		dl.tv_sec++;
		dl.tv_nsec -= 1000000000L;
	}
	mailfs_client_set_deadline(c, &dl);
	t0 = now_usec();
	rv = mailfs_run(c, mailfs_noop(c), NULL);
	elapsed = (now_usec() - t0) / 1000;
	ok(rv == -1 && mailfs_client_error(c)->kind == MAILFS_ERR_TIMEOUT,
	    "deadline: timeout (%s: %s)",
	    mailfs_errkind_name(mailfs_client_error(c)->kind),
	    mailfs_client_error(c)->msg);
	ok(elapsed >= 200 && elapsed < 900,
	    "deadline: after 300 ms, not the I/O timeout (%llu ms)",
	    (unsigned long long)elapsed);
	finish(&fs, &c, &tr, "deadline");
}

struct canceller {
	int fd;
	int delay_ms;
};

static void *
cancel_later(void *arg)
{
	struct canceller *k = arg;
	struct timespec ts = { 0, (long)k->delay_ms * 1000000L };

	nanosleep(&ts, NULL);
	if (write(k->fd, "x", 1) != 1)
		return NULL;
	return NULL;
}

/* mailfs_client_set_cancel_fd(): a byte on the pipe ends another thread's wait. */
static void
test_cancel(void)
{
	struct fakeserver *fs = server();
	struct trace tr = { 0 };
	struct mailfs_client *c;
	struct canceller k;
	pthread_t th;
	uint64_t t0, elapsed;
	int rv, p[2];

	if (pipe(p) == -1)
		bail_out("pipe");
	fakeserver_expect(fs, "$TAG NOOP");
	fakeserver_expect_close(fs);
	c = client(fs, &tr, 0, NULL);
	mailfs_client_set_cancel_fd(c, p[0]);
	k.fd = p[1];
	k.delay_ms = 200;
	if (pthread_create(&th, NULL, cancel_later, &k) != 0)
		bail_out("pthread_create");
	t0 = now_usec();
	rv = mailfs_run(c, mailfs_noop(c), NULL);
	elapsed = (now_usec() - t0) / 1000;
	pthread_join(th, NULL);
	ok(rv == -1 && mailfs_client_error(c)->kind == MAILFS_ERR_CLOSED,
	    "cancel: the wait ends as closed (%s)",
	    mailfs_errkind_name(mailfs_client_error(c)->kind));
	ok(elapsed >= 100 && elapsed < 900, "cancel: at once (%llu ms)",
	    (unsigned long long)elapsed);
	ok(mailfs_client_state(c) == MAILFS_STATE_DISCONNECTED,
	    "cancel: the connection is closed");
	finish(&fs, &c, &tr, "cancel");
	close(p[0]);
	close(p[1]);
}

static void
test_dropped_mid_literal(void)
{
	struct fakeserver *fs = server();
	struct trace tr = { 0 };
	struct mailfs_client *c;
	struct collector col;
	struct mailfs_handlers h;
	struct mailfs_fetch_spec spec;
	struct mailfs_cmd *cmd[3];
	int i, closed = 0;
	char part[120];

	memset(part, 'y', sizeof(part));
	script_select(fs);
	fakeserver_expect(fs, "$TAG UID FETCH 1 *");
	fakeserver_expect(fs, "$TAG NOOP");
	fakeserver_expect(fs, "$TAG NOOP");
	fakeserver_send(fs, "* 1 FETCH (UID 1 BODY[] {1000}\r\n");
	fakeserver_send_raw(fs, part, sizeof(part));
	fakeserver_close(fs);
	c = client(fs, &tr, 0, NULL);
	ok(mailfs_run(c, mailfs_select(c, "INBOX", 0, NULL, NULL), NULL) == 0,
	    "dropped: SELECT");
	collector_init(&col);
	h = collector_handlers(&col, 1);
	memset(&spec, 0, sizeof(spec));
	spec.items = MAILFS_FETCH_BODY;
	cmd[0] = mailfs_uid_fetch(c, "1", &spec, &h);
	cmd[1] = mailfs_noop(c);
	cmd[2] = mailfs_noop(c);
	for (i = 0; i < 3; i++)
		if (mailfs_run(c, cmd[i], NULL) == -1 &&
		    mailfs_client_error(c)->kind == MAILFS_ERR_CLOSED)
			closed++;
	ok(closed == 3, "connection lost mid-literal: all 3 commands in flight "
	    "fail with closed (%d)", closed);
	ok(col.nmsgs == 0, "the half FETCH never reached the fetch handler");
	ok(col.stream_ok, "streamed chunks stayed in order and in bounds");
	ok(mailfs_client_state(c) == MAILFS_STATE_DISCONNECTED,
	    "the client knows it is disconnected");
	ok(mailfs_run(c, mailfs_noop(c), NULL) == -1 &&
	    mailfs_client_error(c)->kind == MAILFS_ERR_CLOSED,
	    "a later command fails with closed too (%s)",
	    mailfs_errkind_name(mailfs_client_error(c)->kind));
	collector_free(&col);
	finish(&fs, &c, &tr, "dropped mid-literal");
}

static void
test_free_with_pending(void)
{
	struct fakeserver *fs = server();
	struct trace tr = { 0 };
	struct mailfs_client *c;
	int i;

	/* mailfs_client_free() must take care of commands never run. */
	fakeserver_expect(fs, "$TAG NOOP");
	fakeserver_expect_close(fs);
	c = client(fs, &tr, 0, NULL);
	for (i = 0; i < 5; i++)
		(void)mailfs_noop(c);
	finish(&fs, &c, &tr, "free with commands pending");
	ok(c == NULL, "freed with 5 commands queued (valgrind checks the rest)");
}

static void
test_bye(void)
{
	struct fakeserver *fs = server();
	struct trace tr = { 0 };
	struct mailfs_client *c;
	struct mailfs_params p;
	const struct mailfs_error *e;
	int rv;

	fakeserver_expect(fs, "$TAG NOOP");
	fakeserver_send(fs, "* BYE server shutting down\r\n");
	fakeserver_close(fs);
	c = client(fs, &tr, 0, NULL);
	rv = mailfs_run(c, mailfs_noop(c), NULL);
	e = mailfs_client_error(c);
	ok(rv == -1 && e->kind == MAILFS_ERR_CLOSED, "BYE while a command is in "
	    "flight: closed (%s: %s)", mailfs_errkind_name(e->kind), e->msg);
	ok(strstr(e->msg, "shutting down") != NULL,
	    "the message gives the server's reason");
	finish(&fs, &c, &tr, "BYE");

	/* A BYE greeting: the server refuses the connection. */
	if ((fs = fakeserver_new(NULL)) == NULL)
		bail_out("fakeserver_new");
	fakeserver_send(fs, "* BYE too many connections\r\n");
	fakeserver_close(fs);
	if (fakeserver_start(fs) == -1)
		bail_out("fakeserver_start");
	memset(&p, 0, sizeof(p));
	p.host = "127.0.0.1";
	p.port = fakeserver_port(fs);
	p.security = MAILFS_SEC_PLAINTEXT_INSECURE;
	p.io_timeout_ms = IO_TIMEOUT;
	p.trace = trace_record;
	p.trace_ctx = &tr;
	if ((c = mailfs_client_new(&p)) == NULL)
		bail_out("mailfs_client_new");
	rv = mailfs_client_connect(c);
	e = mailfs_client_error(c);
	ok(rv == -1 && e->kind == MAILFS_ERR_CLOSED, "a BYE greeting: closed (%s)",
	    mailfs_errkind_name(e->kind));
	ok(mailfs_client_state(c) == MAILFS_STATE_DISCONNECTED,
	    "a BYE greeting leaves the client disconnected");
	finish(&fs, &c, &tr, "BYE greeting");
}

static char alert_text[128];
static int alert_calls;

static void
on_alert(void *ctx, const char *text)
{
	(void)ctx;
	alert_calls++;
	snprintf(alert_text, sizeof(alert_text), "%s", text);
}

static void
test_alert(void)
{
	struct fakeserver *fs = server();
	struct trace tr = { 0 };
	struct mailfs_unilateral u;
	struct mailfs_client *c;

	memset(&u, 0, sizeof(u));
	u.alert = on_alert;
	fakeserver_expect(fs, "$TAG NOOP");
	fakeserver_send(fs, "* OK [ALERT] maintenance at noon\r\n$TAG OK done\r\n");
	fakeserver_expect_close(fs);
	c = client(fs, &tr, 0, &u);
	ok(mailfs_run(c, mailfs_noop(c), NULL) == 0, "NOOP with an [ALERT]");
	ok(alert_calls == 1 && strcmp(alert_text, "maintenance at noon") == 0,
	    "the alert handler got the text (%d, \"%s\")", alert_calls, alert_text);
	finish(&fs, &c, &tr, "ALERT");
}

static int change_calls, status_calls, list_calls;
static char list_name[64];

static void
on_change(void *ctx, uint32_t n)
{
	(void)ctx;
	(void)n;
	change_calls++;
}

static void
on_status(void *ctx, const struct mailfs_status *st)
{
	(void)ctx;
	if (strcmp(st->name, "INBOX") == 0 && st->uidnext == 5 &&
	    (st->present & MAILFS_STATUS_UIDNEXT))
		status_calls++;
}

static void
on_list(void *ctx, const struct mailfs_list_entry *e)
{
	(void)ctx;
	list_calls++;
	snprintf(list_name, sizeof(list_name), "%s", e->name);
}

/*
 * NOTIFY (RFC 5465): the command as sent, and the STATUS and LIST the
 * server then sends on its own go to the unilateral handlers, during
 * IDLE; a keepalive and an EXISTS without a mailbox selected do not.
 */
static void
test_notify(void)
{
	struct fakeserver *fs;
	struct trace tr = { 0 };
	struct mailfs_unilateral u;
	struct mailfs_client *c;
	int i;

	if ((fs = fakeserver_new(NULL)) == NULL)
		bail_out("cannot start the fake server");
	fakeserver_set_timeout(fs, 3000);
	fakeserver_send(fs, "* PREAUTH [CAPABILITY IMAP4rev1 IDLE NOTIFY] fake\r\n");
	memset(&u, 0, sizeof(u));
	u.exists = on_change;
	u.status = on_status;
	u.list = on_list;
	fakeserver_expect(fs, "$TAG NOTIFY SET (PERSONAL (MessageNew MessageExpunge MailboxName))");
	fakeserver_send(fs, "$TAG OK done\r\n");
	fakeserver_expect(fs, "$TAG IDLE");
	fakeserver_send(fs, "+ idling\r\n* OK Still here\r\n"
	    "* STATUS INBOX (MESSAGES 2 UIDNEXT 5)\r\n* LIST () \".\" Foo\r\n");
	fakeserver_expect(fs, "DONE");
	fakeserver_send(fs, "$TAG OK done\r\n");
	fakeserver_expect_close(fs);
	c = client(fs, &tr, 0, &u);
	ok(mailfs_notify(c, "(PERSONAL (MessageNew\r\n))") == NULL &&
	    mailfs_client_error(c)->kind == MAILFS_ERR_USAGE,
	    "NOTIFY refuses events with a line end in them");
	ok(mailfs_run(c, mailfs_notify(c, "(PERSONAL (MessageNew MessageExpunge "
	    "MailboxName))"), NULL) == 0, "NOTIFY SET");
	ok(mailfs_idle_start(c) == 0, "IDLE after NOTIFY");
	for (i = 0; i < 20 && (status_calls == 0 || list_calls == 0); i++)
		if (mailfs_idle_wait(c, 200) == -1)
			break;
	ok(status_calls == 1, "a STATUS nobody asked for went to the handler (%d)",
	    status_calls);
	ok(list_calls == 1 && strcmp(list_name, "Foo") == 0,
	    "a LIST nobody asked for went to the handler (%d, \"%s\")", list_calls,
	    list_name);
	ok(change_calls == 0, "nothing else was taken for a change");
	ok(mailfs_idle_done(c) == 0, "DONE");
	finish(&fs, &c, &tr, "NOTIFY");
}

int
main(void)
{
	size_t i;

	for (i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++)
		test_hostile(&hostile[i]);
	test_overlong_line();
	test_appenduid_misplaced();
	test_unknown_tag();
	test_silence();
	test_deadline();
	test_cancel();
	test_dropped_mid_literal();
	test_free_with_pending();
	test_bye();
	test_alert();
	test_notify();
	return done_testing();
}
