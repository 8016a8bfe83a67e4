/*
 * The SMTP client against the scripted fake server, for what a real
 * server never does: a reply pipelined with STARTTLS's, a server without
 * STARTTLS or refusing it, replies cut at every byte, 421 in the middle
 * of a transaction, silence (a timeout, bounded), a connection lost after
 * the final dot (outcome unknown), recipients partly refused, SIZE, a
 * line of 999 octets, the exact bytes of the data (dots doubled, bare CR
 * and LF made CRLF), AUTH PLAIN, LOGIN and a long XOAUTH2 response, and
 * no credentials in any error or trace, nor in the clear.
 *
 * RFC 5321, RFC 3207, RFC 4954, RFC 2920, RFC 1870, RFC 3461, RFC 6531.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../tap.h"
#include "../integration/test_common.h"
#include "fakeserver.h"

#define IO_TIMEOUT	1500
#define USER		"tester"
#define PASSWORD	"s3cret"
#define PLAIN_B64	"AHRlc3RlcgBzM2NyZXQ="	/* "\0tester\0s3cret" */
#define USER_B64	"dGVzdGVy"
#define PASSWORD_B64	"czNjcmV0"
#define FROM		"me@example.test"

static struct fakecerts certs;

static int token_step(void *, unsigned, const unsigned char *, size_t,
    unsigned char **, size_t *);

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

static struct mailfs_smtp *
client(struct fakeserver *fs, enum mailfs_security sec, struct trace *tr)
{
	struct mailfs_smtp_params p;
	struct mailfs_smtp *s;

	if (fakeserver_start(fs) == -1)
		bail_out(fakeserver_error(fs));
	memset(&p, 0, sizeof(p));
	p.host = "127.0.0.1";
	p.port = fakeserver_port(fs);
	p.security = sec;
	p.ca_file = certs.ca;
	p.helo_name = "client.example.test";
	p.connect_timeout_ms = 6000;
	p.io_timeout_ms = IO_TIMEOUT;
	p.final_timeout_ms = IO_TIMEOUT;
	p.trace = trace_record;
	p.trace_ctx = tr;
	if ((s = mailfs_smtp_new(&p)) == NULL)
		bail_out("mailfs_smtp_new");
	return s;
}

static void
finish(struct fakeserver **fs, struct mailfs_smtp **s, struct trace *tr,
    const char *what)
{
	mailfs_smtp_free(s);
	if (!ok(fakeserver_finish(*fs) == 0, "%s: the server's script ran as "
	    "written", what)) {
		diag("%s", fakeserver_error(*fs));
		trace_dump(tr, 12);
	}
}

static void
check_rv(struct mailfs_smtp *s, int rv, enum mailfs_errkind want,
    const char *what)
{
	const struct mailfs_error *e = mailfs_smtp_error(s);

	if (!ok(rv == (want == MAILFS_ERR_NONE ? 0 : -1) &&
	    (want == MAILFS_ERR_NONE || e->kind == want), "%s: %s", what,
	    want == MAILFS_ERR_NONE ? "succeeds" : mailfs_errkind_name(want)))
		diag("rv %d, kind %s: %s", rv, mailfs_errkind_name(e->kind),
		    e->msg);
}

/* No credential, raw or in base64, in s's error or anywhere in the trace. */
static void
no_secrets(struct mailfs_smtp *s, const struct trace *tr, const char *what)
{
	static const char *const secrets[] = {
		PASSWORD, PASSWORD_B64, PLAIN_B64, USER_B64, "TOKENTOKEN",
		"VE9LRU5UT0tFTlRP"
	};
	const char *msg = mailfs_smtp_error(s)->msg;
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

/* The greeting and an EHLO reply with the given extension lines. */
static void
script_hello(struct fakeserver *fs, const char *ext)
{
	char reply[1024];

	fakeserver_send(fs, "220 fake.example.test ESMTP ready\r\n");
	fakeserver_expect(fs, "EHLO client.example.test");
	snprintf(reply, sizeof(reply), "250-fake.example.test hello\r\n%s", ext);
	fakeserver_send(fs, reply);
}

/* What the client sent, from the first occurrence of after on, is want. */
static int
sent_after(struct fakeserver *fs, const char *after, const char *want)
{
	size_t len, wlen = strlen(want);
	const char *got = fakeserver_received(fs, &len), *p;

	if ((p = strstr(got, after)) == NULL) {
		diag("\"%s\" was never sent", after);
		return 0;
	}
	p += strlen(after);
	if ((size_t)(got + len - p) == wlen && memcmp(p, want, wlen) == 0)
		return 1;
	diag("sent \"%.*s\"", (int)(got + len - p), p);
	diag("want \"%s\"", want);
	return 0;
}

static const char *rcpts3[] = {
	"a@example.test", "nobody@example.test", "b@example.test"
};

/*
 * The whole way: STARTTLS, EHLO again, AUTH PLAIN, a pipelined envelope
 * with one recipient refused, the data byte for byte, QUIT.
 */
static void
test_starttls_pipelined(void)
{
	static const char msg[] = "From: me@example.test\nSubject: t\n\n"
	    ".hidden\nline\r\n.\r\nend\r.\rx";
	static const char wire[] = "From: me@example.test\r\nSubject: t\r\n\r\n"
	    "..hidden\r\nline\r\n..\r\nend\r\n..\r\nx\r\n.\r\n";
	struct fakeserver *fs = server();
	struct trace tr = { 0 };
	struct mailfs_smtp_envelope env = { FROM, rcpts3, 3, 0, NULL };
	struct mailfs_smtp_result res;
	struct mailfs_smtp *s;
	long imail, idata, ireply;
	char expect[128];

	script_hello(fs, "250-STARTTLS\r\n250 SIZE 10\r\n");
	fakeserver_expect(fs, "STARTTLS");
	fakeserver_send(fs, "220 2.0.0 go ahead\r\n");
	fakeserver_tls(fs);
	fakeserver_expect(fs, "EHLO client.example.test");
	fakeserver_send(fs, "250-fake.example.test\r\n250-PIPELINING\r\n"
	    "250-AUTH LOGIN PLAIN\r\n250-8BITMIME\r\n250-DSN\r\n"
	    "250-ENHANCEDSTATUSCODES\r\n250 SIZE 100000\r\n");
	fakeserver_expect(fs, "AUTH PLAIN " PLAIN_B64);
	fakeserver_send(fs, "235 2.7.0 ok\r\n");
	snprintf(expect, sizeof(expect), "MAIL FROM:<" FROM "> SIZE=%zu",
	    strlen(wire) - 3);
	fakeserver_expect(fs, expect);
	fakeserver_expect(fs, "RCPT TO:<a@example.test>");
	fakeserver_expect(fs, "RCPT TO:<nobody@example.test>");
	fakeserver_expect(fs, "RCPT TO:<b@example.test>");
	fakeserver_expect(fs, "DATA");
	fakeserver_send(fs, "250 2.1.0 ok\r\n250 2.1.5 ok\r\n"
	    "550-5.1.1 <nobody@example.test>: Recipient address\r\n"
	    "550 5.1.1 rejected: User unknown\r\n"
	    "250 2.1.5 ok\r\n354 go\r\n");
	fakeserver_expect_bytes(fs, strlen(wire));
	fakeserver_send(fs, "250 2.0.0 Ok: queued as 1234\r\n");
	fakeserver_expect(fs, "QUIT");
	fakeserver_send(fs, "221 2.0.0 bye\r\n");
	fakeserver_expect_close(fs);

	s = client(fs, MAILFS_SEC_STARTTLS, &tr);
	check_rv(s, mailfs_smtp_connect(s), MAILFS_ERR_NONE, "STARTTLS: connect");
	ok(mailfs_smtp_extensions(s) == (MAILFS_SMTP_EXT_PIPELINING |
	    MAILFS_SMTP_EXT_AUTH | MAILFS_SMTP_EXT_8BITMIME |
	    MAILFS_SMTP_EXT_DSN | MAILFS_SMTP_EXT_ENHANCEDSTATUSCODES |
	    MAILFS_SMTP_EXT_SIZE) && mailfs_smtp_max_size(s) == 100000,
	    "STARTTLS: only the extensions of the EHLO after TLS count");
	ok(mailfs_smtp_has_extension(s, "AUTH", "PLAIN") &&
	    !mailfs_smtp_has_extension(s, "STARTTLS", NULL) &&
	    mailfs_smtp_has_extension(s, "enhancedstatuscodes", NULL),
	    "STARTTLS: has_extension");
	check_rv(s, mailfs_smtp_login(s, USER, PASSWORD), MAILFS_ERR_NONE,
	    "AUTH PLAIN");
	ok(mailfs_smtp_is_authenticated(s), "authenticated");
	memset(&res, 0, sizeof(res));
	check_rv(s, mailfs_smtp_send(s, &env, msg, strlen(msg), &res),
	    MAILFS_ERR_NO, "one recipient of three refused");
	ok(res.outcome == MAILFS_SMTP_PARTIAL && res.nrcpts == 3 &&
	    res.naccepted == 2, "partial: the outcome is %s, %zu of %zu",
	    mailfs_smtp_outcome_name(res.outcome), res.naccepted, res.nrcpts);
	ok(res.nrcpts == 3 && res.rcpts[0].accepted &&
	    !res.rcpts[1].accepted && res.rcpts[2].accepted && res.rcpts[1].reply.code == 550 &&
	    strcmp(res.rcpts[1].reply.enhanced, "5.1.1") == 0 &&
	    strcmp(res.rcpts[1].reply.text, "<nobody@example.test>: Recipient "
	    "address rejected: User unknown") == 0 &&
	    strcmp(res.rcpts[1].address, "nobody@example.test") == 0,
	    "partial: the refused recipient's code, enhanced code and text");
	ok(res.final.code == 250 && strcmp(res.final.enhanced, "2.0.0") == 0 &&
	    res.data.code == 354 && res.mail.code == 250,
	    "partial: the replies to MAIL, DATA and the final dot");
	ok(strstr(mailfs_smtp_error(s)->msg, "1 of 3") != NULL &&
	    strstr(mailfs_smtp_error(s)->msg, "550 5.1.1 <nobody@") != NULL &&
	    strcmp(mailfs_smtp_error(s)->code_name, "5.1.1") == 0,
	    "partial: the error names it: %s", mailfs_smtp_error(s)->msg);
	mailfs_smtp_result_clear(&res);
	imail = trace_find(&tr, 0, MAILFS_TRACE_SEND, "MAIL FROM");
	idata = trace_find(&tr, 0, MAILFS_TRACE_SEND, "DATA");
	ireply = trace_find(&tr, imail, MAILFS_TRACE_RECV, "2.1.0");
	ok(imail >= 0 && idata > imail && ireply > idata,
	    "PIPELINING: MAIL, the RCPTs and DATA before the first reply");
	ok(trace_find(&tr, 0, MAILFS_TRACE_SEND, "[the message") > ireply,
	    "PIPELINING: the message only after 354");
	check_rv(s, mailfs_smtp_quit(s), MAILFS_ERR_NONE, "QUIT");
	no_secrets(s, &tr, "STARTTLS");
	finish(&fs, &s, &tr, "STARTTLS pipelined");
	{
		size_t len;
		const char *got = fakeserver_received(fs, &len);
		const char *p = strstr(got, "\r\nDATA\r\n");

		ok(p != NULL && (size_t)(got + len - (p + 8)) ==
		    strlen(wire) + 6 && memcmp(p + 8, wire, strlen(wire)) == 0 &&
		    memcmp(p + 8 + strlen(wire), "QUIT\r\n", 6) == 0,
		    "the data, byte for byte: dots doubled, bare CR and LF "
		    "made CRLF, the end on its own line, then QUIT");
	}
	ok(!fakeserver_received_in_clear(fs, "AUTH") &&
	    !fakeserver_received_in_clear(fs, "MAIL"),
	    "STARTTLS: no AUTH, no mail in the clear");
	fakeserver_free(&fs);
	trace_clear(&tr);
}

/*
 * 70 recipients with PIPELINING: two groups, MAIL and 63 RCPTs, then 6
 * RCPTs and DATA, each group's replies read before the next is sent.
 */
static void
test_pipeline_groups(void)
{
	struct fakeserver *fs = server();
	struct trace tr = { 0 };
	char names[70][32], line[64];
	const char *rcpts[70];
	struct mailfs_smtp_envelope env = { FROM, rcpts, 70, 0, NULL };
	struct mailfs_smtp_result res;
	struct mailfs_smtp *s;
	long last_rcpt, first_reply;
	size_t i;

	script_hello(fs, "250 PIPELINING\r\n");
	fakeserver_expect(fs, "MAIL FROM:<" FROM ">");
	for (i = 0; i < 70; i++) {
		snprintf(names[i], sizeof(names[i]), "r%zu@example.test", i);
		rcpts[i] = names[i];
		snprintf(line, sizeof(line), "RCPT TO:<%s>", names[i]);
		fakeserver_expect(fs, line);
		if (i == 62) {
			fakeserver_send(fs, "250 ok\r\n");
			for (size_t k = 0; k <= 62; k++)
				fakeserver_send(fs, k == 5 ? "550 5.1.1 no\r\n" :
				    "250 ok\r\n");
		}
	}
	fakeserver_expect(fs, "DATA");
	for (i = 63; i < 70; i++)
		fakeserver_send(fs, "250 ok\r\n");
	fakeserver_send(fs, "354 go\r\n");
	fakeserver_expect_bytes(fs, 7);
	fakeserver_send(fs, "250 queued\r\n");
	fakeserver_expect_close(fs);
	s = client(fs, MAILFS_SEC_PLAINTEXT_INSECURE, &tr);
	check_rv(s, mailfs_smtp_connect(s), MAILFS_ERR_NONE, "groups: connect");
	check_rv(s, mailfs_smtp_send(s, &env, "hi\r\n", 4, &res),
	    MAILFS_ERR_NO, "70 recipients, one refused");
	ok(res.outcome == MAILFS_SMTP_PARTIAL && res.naccepted == 69 &&
	    res.nrcpts == 70 && !res.rcpts[5].accepted &&
	    res.rcpts[69].accepted, "groups: each reply to its recipient");
	last_rcpt = trace_find(&tr, 0, MAILFS_TRACE_SEND, "r62@");
	first_reply = trace_find(&tr, 0, MAILFS_TRACE_RECV, "250 ok");
	ok(first_reply > last_rcpt && trace_find(&tr, 0, MAILFS_TRACE_SEND,
	    "r63@") > trace_find(&tr, first_reply, MAILFS_TRACE_RECV,
	    "550 5.1.1"), "groups: the second group after the first's replies");
	mailfs_smtp_result_clear(&res);
	finish(&fs, &s, &tr, "pipeline groups");
	fakeserver_free(&fs);
	trace_clear(&tr);
}

/* A man in the middle appends a reply to STARTTLS's 220. */
static void
test_starttls_injection(void)
{
	struct fakeserver *fs = server();
	struct trace tr = { 0 };
	struct mailfs_smtp *s;

	script_hello(fs, "250-STARTTLS\r\n250 AUTH PLAIN\r\n");
	fakeserver_expect(fs, "STARTTLS");
	fakeserver_send(fs, "220 go ahead\r\n250-fake\r\n250 AUTH PLAIN\r\n");
	fakeserver_expect_close(fs);
	s = client(fs, MAILFS_SEC_STARTTLS, &tr);
	check_rv(s, mailfs_smtp_connect(s), MAILFS_ERR_PROTOCOL,
	    "a reply pipelined with STARTTLS's is refused");
	ok(!mailfs_smtp_is_ready(s), "injection: the session is not usable");
	check_rv(s, mailfs_smtp_login(s, USER, PASSWORD), MAILFS_ERR_USAGE,
	    "injection: no login afterwards");
	finish(&fs, &s, &tr, "STARTTLS injection");
	ok(sent_after(fs, "EHLO client.example.test\r\n", "STARTTLS\r\n"),
	    "injection: nothing sent after STARTTLS");
	fakeserver_free(&fs);
	trace_clear(&tr);
}

static void
test_no_starttls(int refused)
{
	struct fakeserver *fs = server();
	struct trace tr = { 0 };
	struct mailfs_smtp *s;
	const char *what = refused ? "STARTTLS refused" : "no STARTTLS";

	if (refused) {
		script_hello(fs, "250-STARTTLS\r\n250 AUTH PLAIN\r\n");
		fakeserver_expect(fs, "STARTTLS");
		fakeserver_send(fs, "454 4.7.0 TLS not available\r\n");
	} else
		script_hello(fs, "250-PIPELINING\r\n250 AUTH PLAIN\r\n");
	fakeserver_expect_close(fs);
	s = client(fs, MAILFS_SEC_STARTTLS, &tr);
	check_rv(s, mailfs_smtp_connect(s), MAILFS_ERR_NO_STARTTLS, what);
	finish(&fs, &s, &tr, what);
	ok(sent_after(fs, "EHLO client.example.test\r\n", refused ?
	    "STARTTLS\r\n" : ""), "%s: nothing more was sent", what);
	fakeserver_free(&fs);
	trace_clear(&tr);
}

/* Every reply of a session sent one byte at a time. */
static void
send_bytewise(struct fakeserver *fs, const char *text)
{
	for (; *text != '\0'; text++) {
		fakeserver_send_raw(fs, text, 1);
		fakeserver_sleep(fs, 1);
	}
}

static void
test_cut_everywhere(void)
{
	static const char *one[] = { "a@example.test" };
	struct fakeserver *fs = server();
	struct trace tr = { 0 };
	struct mailfs_smtp_envelope env = { FROM, one, 1, 0, NULL };
	struct mailfs_smtp *s;

	send_bytewise(fs, "220-fake.example.test\r\n220 ESMTP\r\n");
	fakeserver_expect(fs, "EHLO client.example.test");
	send_bytewise(fs, "250-fake.example.test\r\n250-SIZE 1000\r\n"
	    "250-ENHANCEDSTATUSCODES\r\n250 8BITMIME\r\n");
	fakeserver_expect(fs, "MAIL FROM:<" FROM "> SIZE=4");
	send_bytewise(fs, "250 2.1.0 ok\r\n");
	fakeserver_expect(fs, "RCPT TO:<a@example.test>");
	send_bytewise(fs, "250-2.1.5 ok\r\n250 2.1.5 still ok\r\n");
	fakeserver_expect(fs, "DATA");
	send_bytewise(fs, "354 go\r\n");
	fakeserver_expect(fs, "hi");
	fakeserver_expect(fs, ".");
	send_bytewise(fs, "250-2.0.0 queued\r\n250 2.0.0 as 1\r\n");
	fakeserver_expect_close(fs);
	s = client(fs, MAILFS_SEC_PLAINTEXT_INSECURE, &tr);
	check_rv(s, mailfs_smtp_connect(s), MAILFS_ERR_NONE,
	    "replies cut at every byte: connect");
	ok(mailfs_smtp_max_size(s) == 1000 &&
	    (mailfs_smtp_extensions(s) & MAILFS_SMTP_EXT_8BITMIME),
	    "cut replies: EHLO read whole");
	check_rv(s, mailfs_smtp_send(s, &env, "hi\r\n", 4, NULL),
	    MAILFS_ERR_NONE, "cut replies: a message sent");
	finish(&fs, &s, &tr, "cut replies");
	fakeserver_free(&fs);
	trace_clear(&tr);
}

/* A plain server with PIPELINING off: the envelope one command at a time. */
static void
script_plain(struct fakeserver *fs)
{
	script_hello(fs, "250-ENHANCEDSTATUSCODES\r\n250 SIZE 300\r\n");
}

/* script_plain(), MAIL accepted, and the first RCPT awaited. */
static void
script_mail(struct fakeserver *fs)
{
	script_plain(fs);
	fakeserver_expect(fs, "MAIL FROM:<" FROM "> SIZE=4");
	fakeserver_send(fs, "250 2.1.0 ok\r\n");
	fakeserver_expect(fs, "RCPT TO:<a@example.test>");
}

/* script_mail() for "hi\r\n" to a@example.test, up to its final dot. */
static void
script_to_dot(struct fakeserver *fs)
{
	script_mail(fs);
	fakeserver_send(fs, "250 2.1.5 ok\r\n");
	fakeserver_expect(fs, "DATA");
	fakeserver_send(fs, "354 go\r\n");
	fakeserver_expect_bytes(fs, 7);
}

static void
test_421(void)
{
	struct fakeserver *fs = server();
	struct trace tr = { 0 };
	struct mailfs_smtp_envelope env = { FROM, rcpts3, 3, 0, NULL };
	struct mailfs_smtp_result res;
	struct mailfs_smtp *s;

	script_mail(fs);
	fakeserver_send(fs, "421 4.3.2 shutting down\r\n");
	fakeserver_close(fs);
	s = client(fs, MAILFS_SEC_PLAINTEXT_INSECURE, &tr);
	check_rv(s, mailfs_smtp_connect(s), MAILFS_ERR_NONE, "421: connect");
	check_rv(s, mailfs_smtp_send(s, &env, "hi\r\n", 4, &res),
	    MAILFS_ERR_CLOSED, "421 in the middle of the envelope");
	ok(res.outcome == MAILFS_SMTP_DEFERRED && res.naccepted == 0,
	    "421: deferred (%s)", mailfs_smtp_outcome_name(res.outcome));
	ok(strstr(mailfs_smtp_error(s)->msg, "421 4.3.2 shutting down") !=
	    NULL, "421: the error quotes it: %s", mailfs_smtp_error(s)->msg);
	ok(!mailfs_smtp_is_ready(s), "421: the connection is closed");
	mailfs_smtp_result_clear(&res);
	check_rv(s, mailfs_smtp_send(s, &env, "hi\r\n", 4, NULL),
	    MAILFS_ERR_USAGE, "421: no send afterwards");
	finish(&fs, &s, &tr, "421");
	fakeserver_free(&fs);
	trace_clear(&tr);
}

/* The server stops answering: MAIL's reply, or the final dot's. */
static void
test_hang(int after_dot)
{
	static const char *one[] = { "a@example.test" };
	struct fakeserver *fs = server();
	struct trace tr = { 0 };
	struct mailfs_smtp_envelope env = { FROM, one, 1, 0, NULL };
	struct mailfs_smtp_result res;
	struct mailfs_smtp *s;
	const char *what = after_dot ? "silence after the final dot" :
	    "silence after MAIL";
	uint64_t t0, ms;

	if (after_dot)
		script_to_dot(fs);
	else {
		script_plain(fs);
		fakeserver_expect(fs, "MAIL FROM:<" FROM "> SIZE=4");
	}
	fakeserver_sleep(fs, IO_TIMEOUT + 1000);
	s = client(fs, MAILFS_SEC_PLAINTEXT_INSECURE, &tr);
	check_rv(s, mailfs_smtp_connect(s), MAILFS_ERR_NONE, "hang: connect");
	t0 = now_usec();
	check_rv(s, mailfs_smtp_send(s, &env, "hi\r\n", 4, &res),
	    MAILFS_ERR_TIMEOUT, what);
	ms = (now_usec() - t0) / 1000;
	ok(ms >= IO_TIMEOUT - 100 && ms < IO_TIMEOUT + 800,
	    "%s: ends with the timeout (%llu ms)", what, (unsigned long long)ms);
	ok(res.outcome == (after_dot ? MAILFS_SMTP_UNKNOWN :
	    MAILFS_SMTP_DEFERRED), "%s: the outcome is %s", what,
	    mailfs_smtp_outcome_name(res.outcome));
	if (after_dot)
		ok(strstr(mailfs_smtp_error(s)->msg, "outcome unknown") != NULL,
		    "%s: the error says so: %s", what,
		    mailfs_smtp_error(s)->msg);
	mailfs_smtp_result_clear(&res);
	finish(&fs, &s, &tr, what);
	fakeserver_free(&fs);
	trace_clear(&tr);
}

/*
 * The connection lost in the middle of a 32 MiB message: the final dot
 * was never written, so the server cannot have accepted it (deferred,
 * not unknown).
 */
static void
test_lost_before_dot(void)
{
	static const char *one[] = { "a@example.test" };
	struct fakeserver *fs = server();
	struct trace tr = { 0 };
	struct mailfs_smtp_envelope env = { FROM, one, 1, 0, NULL };
	struct mailfs_smtp_result res;
	struct mailfs_smtp *s;
	size_t len = 32u << 20, i;
	char *big;

	if ((big = malloc(len)) == NULL)
		bail_out("malloc");
	for (i = 0; i < len; i++)
		big[i] = i % 100 == 99 ? '\n' : 'x';
	script_hello(fs, "250 ENHANCEDSTATUSCODES\r\n");
	fakeserver_expect(fs, "MAIL FROM:<" FROM ">");
	fakeserver_send(fs, "250 2.1.0 ok\r\n");
	fakeserver_expect(fs, "RCPT TO:<a@example.test>");
	fakeserver_send(fs, "250 2.1.5 ok\r\n");
	fakeserver_expect(fs, "DATA");
	fakeserver_send(fs, "354 go\r\n");
	fakeserver_expect_bytes(fs, 4096);
	fakeserver_close(fs);
	s = client(fs, MAILFS_SEC_PLAINTEXT_INSECURE, &tr);
	check_rv(s, mailfs_smtp_connect(s), MAILFS_ERR_NONE,
	    "lost in the data: connect");
	check_rv(s, mailfs_smtp_send(s, &env, big, len, &res),
	    MAILFS_ERR_CLOSED, "the connection lost in the middle of the data");
	ok(res.outcome == MAILFS_SMTP_DEFERRED &&
	    strstr(mailfs_smtp_error(s)->msg, "not sent whole") != NULL,
	    "lost in the data: deferred, not unknown: %s",
	    mailfs_smtp_error(s)->msg);
	mailfs_smtp_result_clear(&res);
	free(big);
	finish(&fs, &s, &tr, "lost in the data");
	fakeserver_free(&fs);
	trace_clear(&tr);
}

/* The caller's deadline ends a wait sooner than the I/O timeout. */
static void
test_deadline(void)
{
	static const char *one[] = { "a@example.test" };
	struct fakeserver *fs = server();
	struct trace tr = { 0 };
	struct mailfs_smtp_envelope env = { FROM, one, 1, 0, NULL };
	struct mailfs_smtp *s;
	struct timespec ts;
	uint64_t t0, ms;

	script_plain(fs);
	fakeserver_expect(fs, "MAIL FROM:<" FROM "> SIZE=4");
	fakeserver_sleep(fs, IO_TIMEOUT + 500);
	s = client(fs, MAILFS_SEC_PLAINTEXT_INSECURE, &tr);
	check_rv(s, mailfs_smtp_connect(s), MAILFS_ERR_NONE,
	    "deadline: connect");
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_nsec += 300 * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	mailfs_smtp_set_deadline(s, &ts);
	t0 = now_usec();
	check_rv(s, mailfs_smtp_send(s, &env, "hi\r\n", 4, NULL),
	    MAILFS_ERR_TIMEOUT, "a deadline 300 ms ahead");
	ms = (now_usec() - t0) / 1000;
	ok(ms < IO_TIMEOUT / 2, "deadline: ended after %llu ms, before the "
	    "I/O timeout", (unsigned long long)ms);
	finish(&fs, &s, &tr, "deadline");
	fakeserver_free(&fs);
	trace_clear(&tr);
}

static void
test_lost_after_dot(void)
{
	static const char *one[] = { "a@example.test" };
	struct fakeserver *fs = server();
	struct trace tr = { 0 };
	struct mailfs_smtp_envelope env = { FROM, one, 1, 0, NULL };
	struct mailfs_smtp_result res;
	struct mailfs_smtp *s;

	script_to_dot(fs);
	fakeserver_close(fs);
	s = client(fs, MAILFS_SEC_PLAINTEXT_INSECURE, &tr);
	check_rv(s, mailfs_smtp_connect(s), MAILFS_ERR_NONE, "lost: connect");
	check_rv(s, mailfs_smtp_send(s, &env, "hi\r\n", 4, &res),
	    MAILFS_ERR_CLOSED, "connection lost after the final dot");
	ok(res.outcome == MAILFS_SMTP_UNKNOWN && res.naccepted == 1 &&
	    res.final.code == 0, "lost: the outcome is %s, never retried",
	    mailfs_smtp_outcome_name(res.outcome));
	ok(strstr(mailfs_smtp_error(s)->msg, "outcome unknown") != NULL,
	    "lost: %s", mailfs_smtp_error(s)->msg);
	mailfs_smtp_result_clear(&res);
	finish(&fs, &s, &tr, "lost after the dot");
	ok(fakeserver_connections(fs) == 1 &&
	    !fakeserver_received_contains(fs, "RSET"),
	    "lost: no second attempt, no second connection");
	fakeserver_free(&fs);
	trace_clear(&tr);
}

/*
 * A reply nobody asked for, after the final dot's: never taken for the
 * next command's (which would shift every reply by one).
 */
static void
test_unsolicited(void)
{
	static const char *one[] = { "a@example.test" };
	struct fakeserver *fs = server();
	struct trace tr = { 0 };
	struct mailfs_smtp_envelope env = { FROM, one, 1, 0, NULL };
	struct mailfs_smtp_params p;
	struct mailfs_smtp_mech mech = { "X OAUTH\r\n", NULL, NULL };
	struct mailfs_smtp *s;

	script_to_dot(fs);
	fakeserver_send(fs, "250 2.0.0 queued\r\n250 2.0.0 queued again\r\n");
	fakeserver_expect_close(fs);
	s = client(fs, MAILFS_SEC_PLAINTEXT_INSECURE, &tr);
	check_rv(s, mailfs_smtp_connect(s), MAILFS_ERR_NONE,
	    "unsolicited: connect");
	check_rv(s, mailfs_smtp_send(s, &env, "hi\r\n", 4, NULL),
	    MAILFS_ERR_NONE, "unsolicited: the first message");
	check_rv(s, mailfs_smtp_send(s, &env, "hi\r\n", 4, NULL),
	    MAILFS_ERR_PROTOCOL, "a reply to no command ends the session");
	finish(&fs, &s, &tr, "unsolicited");
	ok(sent_after(fs, "\r\nhi\r\n.\r\n", ""),
	    "unsolicited: no second MAIL was sent");
	fakeserver_free(&fs);
	trace_clear(&tr);

	memset(&p, 0, sizeof(p));
	p.host = "127.0.0.1";
	p.helo_name = "me\r\nRSET";
	ok(mailfs_smtp_new(&p) == NULL, "a HELO name with CRLF is refused");
	p.helo_name = NULL;
	if ((s = mailfs_smtp_new(&p)) == NULL)
		bail_out("mailfs_smtp_new");
	mech.step = token_step;
	check_rv(s, mailfs_smtp_auth(s, &mech), MAILFS_ERR_USAGE,
	    "a mechanism name with a space and CRLF");
	mailfs_smtp_free(&s);
}

/* Every recipient refused, 5xx or 4xx: no DATA, an RSET, and ready again. */
static void
test_all_refused(int temporary)
{
	static const char *two[] = { "x@example.test", "y@example.test" };
	struct fakeserver *fs = server();
	struct trace tr = { 0 };
	struct mailfs_smtp_envelope env = { FROM, two, 2, 0, NULL };
	struct mailfs_smtp_result res;
	struct mailfs_smtp *s;
	const char *what = temporary ? "every recipient 450" :
	    "every recipient 550";

	script_plain(fs);
	fakeserver_expect(fs, "MAIL FROM:<" FROM "> SIZE=4");
	fakeserver_send(fs, "250 2.1.0 ok\r\n");
	fakeserver_expect(fs, "RCPT TO:<x@example.test>");
	fakeserver_send(fs, temporary ? "450 4.2.0 greylisted\r\n" :
	    "550 5.1.1 no such user\r\n");
	fakeserver_expect(fs, "RCPT TO:<y@example.test>");
	fakeserver_send(fs, "550 5.1.1 no such user\r\n");
	fakeserver_expect(fs, "RSET");
	fakeserver_send(fs, "250 2.0.0 ok\r\n");
	fakeserver_expect_close(fs);
	s = client(fs, MAILFS_SEC_PLAINTEXT_INSECURE, &tr);
	check_rv(s, mailfs_smtp_connect(s), MAILFS_ERR_NONE, "refused: connect");
	check_rv(s, mailfs_smtp_send(s, &env, "hi\r\n", 4, &res),
	    MAILFS_ERR_NO, what);
	ok(res.outcome == (temporary ? MAILFS_SMTP_DEFERRED :
	    MAILFS_SMTP_REFUSED) && res.nrcpts == 2 &&
	    res.rcpts[0].reply.code == (temporary ? 450u : 550u) &&
	    res.data.code == 0,
	    "%s: %s, 4xx told from 5xx, no DATA", what,
	    mailfs_smtp_outcome_name(res.outcome));
	ok(mailfs_smtp_is_ready(s), "%s: reset and ready again", what);
	mailfs_smtp_result_clear(&res);
	finish(&fs, &s, &tr, what);
	fakeserver_free(&fs);
	trace_clear(&tr);
}

/* Refused before a byte of the transaction: SIZE, a long line, 8-bit, UTF-8. */
static void
test_refused_early(void)
{
	static const char *one[] = { "a@example.test" };
	static const char *utf8[] = { "j\xc3\xb6rg@example.test" };
	struct fakeserver *fs = server();
	struct trace tr = { 0 };
	struct mailfs_smtp_envelope env = { FROM, one, 1, 0, NULL };
	struct mailfs_smtp_envelope uenv = { FROM, utf8, 1, 0, NULL };
	struct mailfs_smtp_result res;
	struct mailfs_smtp *s;
	char *big;

	script_plain(fs);
	fakeserver_expect_close(fs);
	s = client(fs, MAILFS_SEC_PLAINTEXT_INSECURE, &tr);
	check_rv(s, mailfs_smtp_connect(s), MAILFS_ERR_NONE, "early: connect");
	if ((big = malloc(1200)) == NULL)
		bail_out("malloc");
	memset(big, 'x', 1200);
	memcpy(big + 100, "\r\n", 2);
	check_rv(s, mailfs_smtp_send(s, &env, big, 400, &res),
	    MAILFS_ERR_LIMIT, "a message over the server's SIZE");
	ok(res.outcome == MAILFS_SMTP_DEFERRED &&
	    strstr(mailfs_smtp_error(s)->msg, "300") != NULL,
	    "SIZE: %s", mailfs_smtp_error(s)->msg);
	mailfs_smtp_result_clear(&res);
	memcpy(big + 100, "\n", 1);
	big[101] = 'x';
	check_rv(s, mailfs_smtp_send(s, &env, big, 1200, NULL),
	    MAILFS_ERR_USAGE, "a line of 1099 octets");
	check_rv(s, mailfs_smtp_send(s, &env, "caf\xc3\xa9\r\n", 6, NULL),
	    MAILFS_ERR_UNSUPPORTED, "8-bit data without 8BITMIME");
	check_rv(s, mailfs_smtp_send(s, &uenv, "hi\r\n", 4, NULL),
	    MAILFS_ERR_UNSUPPORTED, "a UTF-8 address without SMTPUTF8");
	free(big);
	finish(&fs, &s, &tr, "refused early");
	ok(!fakeserver_received_contains(fs, "MAIL"),
	    "refused early: no MAIL was ever sent");
	fakeserver_free(&fs);
	trace_clear(&tr);
}

/* 8BITMIME, SMTPUTF8 and DSN asked for when needed and offered. */
static void
test_extensions(void)
{
	static const char *utf8[] = { "j\xc3\xb6rg@example.test" };
	struct fakeserver *fs = server();
	struct trace tr = { 0 };
	struct mailfs_smtp_envelope env = { "", utf8, 1, MAILFS_SMTP_RET_HDRS,
	    "id+1=x" };
	struct mailfs_smtp *s;

	script_hello(fs, "250-8BITMIME\r\n250-SMTPUTF8\r\n250 DSN\r\n");
	fakeserver_expect(fs, "MAIL FROM:<> BODY=8BITMIME SMTPUTF8 RET=HDRS "
	    "ENVID=id+2B1+3Dx");
	fakeserver_send(fs, "250 ok\r\n");
	fakeserver_expect(fs, "RCPT TO:<j\xc3\xb6rg@example.test>");
	fakeserver_send(fs, "250 ok\r\n");
	fakeserver_expect(fs, "DATA");
	fakeserver_send(fs, "354 go\r\n");
	fakeserver_expect(fs, "caf\xc3\xa9");
	fakeserver_expect(fs, ".");
	fakeserver_send(fs, "250 ok\r\n");
	fakeserver_expect_close(fs);
	s = client(fs, MAILFS_SEC_PLAINTEXT_INSECURE, &tr);
	check_rv(s, mailfs_smtp_connect(s), MAILFS_ERR_NONE, "ext: connect");
	check_rv(s, mailfs_smtp_send(s, &env, "caf\xc3\xa9", 5, NULL),
	    MAILFS_ERR_NONE, "BODY=8BITMIME, SMTPUTF8, RET and ENVID");
	finish(&fs, &s, &tr, "extensions");
	fakeserver_free(&fs);
	trace_clear(&tr);
}

/* AUTH LOGIN, and a server that echoes the password in its refusal. */
static void
test_auth_login(void)
{
	struct fakeserver *fs = server();
	struct trace tr = { 0 };
	struct mailfs_smtp *s;

	fakeserver_tls(fs);
	script_hello(fs, "250 AUTH LOGIN\r\n");
	fakeserver_expect(fs, "AUTH LOGIN");
	fakeserver_send(fs, "334 VXNlcm5hbWU6\r\n");
	fakeserver_expect(fs, USER_B64);
	fakeserver_send(fs, "334 UGFzc3dvcmQ6\r\n");
	fakeserver_expect(fs, PASSWORD_B64);
	fakeserver_send(fs, "535 5.7.8 bad password " PASSWORD " for "
	    PASSWORD_B64 "\r\n");
	fakeserver_expect_close(fs);
	s = client(fs, MAILFS_SEC_IMPLICIT_TLS, &tr);
	check_rv(s, mailfs_smtp_connect(s), MAILFS_ERR_NONE,
	    "implicit TLS: connect");
	check_rv(s, mailfs_smtp_login(s, USER, PASSWORD), MAILFS_ERR_AUTH,
	    "AUTH LOGIN rejected");
	ok(strcmp(mailfs_smtp_error(s)->code_name, "5.7.8") == 0,
	    "AUTH LOGIN: the enhanced code is kept: %s",
	    mailfs_smtp_error(s)->msg);
	no_secrets(s, &tr, "AUTH LOGIN with an echoing server");
	finish(&fs, &s, &tr, "AUTH LOGIN");
	fakeserver_free(&fs);
	trace_clear(&tr);
}

static void
test_auth_without_tls(void)
{
	struct fakeserver *fs = server();
	struct trace tr = { 0 };
	struct mailfs_smtp *s;

	script_hello(fs, "250 AUTH PLAIN LOGIN\r\n");
	fakeserver_expect_close(fs);
	s = client(fs, MAILFS_SEC_PLAINTEXT_INSECURE, &tr);
	check_rv(s, mailfs_smtp_connect(s), MAILFS_ERR_NONE, "no TLS: connect");
	check_rv(s, mailfs_smtp_login(s, USER, PASSWORD), MAILFS_ERR_USAGE,
	    "AUTH without TLS is refused");
	no_secrets(s, &tr, "no TLS");
	finish(&fs, &s, &tr, "AUTH without TLS");
	ok(!fakeserver_received_contains(fs, "AUTH"), "no TLS: no AUTH sent");
	fakeserver_free(&fs);
	trace_clear(&tr);
}

/* A token mechanism, as XOAUTH2 would be: one long initial response. */
struct token {
	size_t len;
	unsigned steps;
};

static int
token_step(void *ctx, unsigned step, const unsigned char *challenge,
    size_t challenge_len, unsigned char **response_r, size_t *len_r)
{
	struct token *t = ctx;
	size_t i;

	(void)challenge;
	(void)challenge_len;
	t->steps++;
	*response_r = NULL;
	*len_r = 0;
	if (step > 0)
		return -1;
	if ((*response_r = malloc(t->len)) == NULL)
		return -1;
	for (i = 0; i < t->len; i++)
		(*response_r)[i] = "TOKENTOKEN"[i % 10];
	*len_r = t->len;
	return 0;
}

static void
test_auth_long(size_t len)
{
	struct fakeserver *fs = server();
	struct trace tr = { 0 };
	struct token tok = { len, 0 };
	struct mailfs_smtp_mech mech = { "XOAUTH2", token_step, &tok };
	struct mailfs_smtp *s;
	int inline_ir = 13 + 4 * ((len + 2) / 3) + 2 <= 2048;
	char what[64];

	snprintf(what, sizeof(what), "a %zu-byte token", len);
	fakeserver_tls(fs);
	script_hello(fs, "250 AUTH XOAUTH2 PLAIN\r\n");
	if (inline_ir)
		fakeserver_expect(fs, "AUTH XOAUTH2 VE9LRU5UT0tFTlRP*");
	else {
		fakeserver_expect(fs, "AUTH XOAUTH2");
		fakeserver_send(fs, "334 \r\n");
		fakeserver_expect(fs, "VE9LRU5UT0tFTlRP*");
	}
	fakeserver_send(fs, "235 2.7.0 ok\r\n");
	fakeserver_expect_close(fs);
	s = client(fs, MAILFS_SEC_IMPLICIT_TLS, &tr);
	check_rv(s, mailfs_smtp_connect(s), MAILFS_ERR_NONE, "token: connect");
	check_rv(s, mailfs_smtp_auth(s, &mech), MAILFS_ERR_NONE, what);
	ok(tok.steps == 1, "%s: %s", what, inline_ir ?
	    "on the AUTH line" : "after the first 334");
	no_secrets(s, &tr, what);
	finish(&fs, &s, &tr, what);
	fakeserver_free(&fs);
	trace_clear(&tr);
}

int
main(void)
{
	if (fakecerts_make(&certs) == -1)
		bail_out("cannot make test certificates");
	test_starttls_pipelined();
	test_pipeline_groups();
	test_starttls_injection();
	test_no_starttls(0);
	test_no_starttls(1);
	test_cut_everywhere();
	test_421();
	test_hang(0);
	test_hang(1);
	test_lost_after_dot();
	test_deadline();
	test_lost_before_dot();
	test_unsolicited();
	test_all_refused(0);
	test_all_refused(1);
	test_refused_early();
	test_extensions();
	test_auth_login();
	test_auth_without_tls();
	test_auth_long(1400);
	test_auth_long(10000);
	fakecerts_remove(&certs);
	return done_testing();
}
