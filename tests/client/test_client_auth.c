/*
 * Authentication and STARTTLS against the scripted fake server: the exact
 * bytes of LOGIN (quoted string, literal) and AUTHENTICATE PLAIN (with and
 * without SASL-IR), the errors of a rejected login and of LOGINDISABLED,
 * and imap:// servers that lack STARTTLS, refuse it, or inject a response
 * before the TLS handshake.  No credentials may ever leave in the clear.
 *
 * RFC 3501 6.2, RFC 2595, RFC 4616, RFC 4959, RFC 5530.
 */
#include <stdio.h>
#include <string.h>

#include "../tap.h"
#include "../integration/test_common.h"
#include "fakeserver.h"

#define USER		"tester"
/* base64("\0tester\0s3cret") */
#define PLAIN_B64	"AHRlc3RlcgBzM2NyZXQ="

static struct fakecerts certs;

static struct fakeserver *
server(void)
{
	struct fakeserver *fs;

	if ((fs = fakeserver_new(NULL)) == NULL)
		bail_out("cannot start the fake server");
	fakeserver_set_timeout(fs, 10000);
	fakeserver_set_certs(fs, &certs);
	return fs;
}

static struct mailfs_client *
client(struct fakeserver *fs, enum mailfs_security sec, struct trace *tr)
{
	struct mailfs_params p;
	struct mailfs_client *c;

	if (fakeserver_start(fs) == -1)
		bail_out(fakeserver_error(fs));
	memset(&p, 0, sizeof(p));
	p.host = "127.0.0.1";
	p.port = fakeserver_port(fs);
	p.security = sec;
	p.ca_file = certs.ca;
	p.connect_timeout_ms = 10000;
	p.io_timeout_ms = 10000;
	p.trace = trace_record;
	p.trace_ctx = tr;
	if ((c = mailfs_client_new(&p)) == NULL)
		bail_out("mailfs_client_new");
	return c;
}

/* Frees the client (closing the connection), then checks the script. */
static void
finish(struct fakeserver **fs, struct mailfs_client **c, struct trace *tr,
    const char *what)
{
	mailfs_client_free(c);
	if (!ok(fakeserver_finish(*fs) == 0, "%s: the server's script ran as "
	    "written", what)) {
		diag("%s", fakeserver_error(*fs));
		trace_dump(tr, 10);
	}
}

static void
check_rv(struct mailfs_client *c, int rv, enum mailfs_errkind want,
    const char *what)
{
	const struct mailfs_error *e = mailfs_client_error(c);

	if (!ok(rv == (want == MAILFS_ERR_NONE ? 0 : -1) &&
	    (want == MAILFS_ERR_NONE || e->kind == want), "%s: %s", what,
	    want == MAILFS_ERR_NONE ? "succeeds" : mailfs_errkind_name(want)))
		diag("rv %d, kind %s: %s", rv, mailfs_errkind_name(e->kind),
		    e->msg);
}

/* What the client sent, all of it, equals want (with the first tag replaced). */
static int
received_is(struct fakeserver *fs, const char *want)
{
	size_t len;
	const char *got = fakeserver_received(fs, &len);

	if (len == strlen(want) && memcmp(got, want, len) == 0)
		return 1;
	diag("the client sent \"%.*s\"", (int)len, got);
	diag("expected        \"%s\"", want);
	return 0;
}

static void
test_login_quoted(void)
{
	static const char pw[] = "s3cret \"pass\\ word";
	struct fakeserver *fs = server();
	struct trace tr = { 0 };
	struct mailfs_client *c;

	fakeserver_send(fs, "* OK [CAPABILITY IMAP4rev1] fake\r\n");
	fakeserver_expect(fs, "$TAG LOGIN tester \"s3cret \\\"pass\\\\ word\"");
	fakeserver_send(fs, "$TAG OK [CAPABILITY IMAP4rev1 IDLE] in\r\n");
	fakeserver_expect_close(fs);
	c = client(fs, MAILFS_SEC_PLAINTEXT_INSECURE, &tr);
	check_rv(c, mailfs_client_connect(c), MAILFS_ERR_NONE, "LOGIN: connect");
	check_rv(c, mailfs_client_login(c, USER, pw), MAILFS_ERR_NONE,
	    "LOGIN with \", \\ and a space in the password");
	ok(mailfs_client_state(c) == MAILFS_STATE_AUTHENTICATED,
	    "LOGIN: authenticated");
	ok(!trace_contains(&tr, "s3cret"), "LOGIN: the trace masks the password");
	finish(&fs, &c, &tr, "LOGIN quoted");
	ok(fakeserver_received_contains(fs,
	    " LOGIN tester \"s3cret \\\"pass\\\\ word\"\r\n"),
	    "LOGIN: the password went as a quoted string with \\\" and \\\\");
	fakeserver_free(&fs);
	trace_clear(&tr);
}

static void
test_login_literal(void)
{
	static const char pw[] = "p\xc3\xa4sssw\xc3\xb6rd";	/* 11 bytes of UTF-8 */
	struct fakeserver *fs = server();
	struct trace tr = { 0 };
	struct mailfs_client *c;

	fakeserver_send(fs, "* OK [CAPABILITY IMAP4rev1] fake\r\n");
	fakeserver_expect(fs, "$TAG LOGIN tester {11}");
	fakeserver_send(fs, "+ go ahead\r\n");
	fakeserver_expect_bytes(fs, 11);
	fakeserver_expect(fs, "");
	fakeserver_send(fs, "$TAG OK [CAPABILITY IMAP4rev1 IDLE] in\r\n");
	fakeserver_expect_close(fs);
	c = client(fs, MAILFS_SEC_PLAINTEXT_INSECURE, &tr);
	check_rv(c, mailfs_client_connect(c), MAILFS_ERR_NONE,
	    "LOGIN literal: connect");
	check_rv(c, mailfs_client_login(c, USER, pw), MAILFS_ERR_NONE,
	    "LOGIN with a non-ASCII password");
	ok(!trace_contains(&tr, "sssw"), "LOGIN literal: the trace masks it");
	finish(&fs, &c, &tr, "LOGIN literal");
	ok(fakeserver_received_contains(fs,
	    " LOGIN tester {11}\r\np\xc3\xa4sssw\xc3\xb6rd\r\n"),
	    "LOGIN: the password went as a synchronising literal, byte for byte");
	fakeserver_free(&fs);
	trace_clear(&tr);
}

static void
test_sasl_ir(void)
{
	struct fakeserver *fs = server();
	struct trace tr = { 0 };
	struct mailfs_client *c;

	fakeserver_tls(fs);
	fakeserver_send(fs, "* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN SASL-IR] fake\r\n");
	fakeserver_expect(fs, "$TAG AUTHENTICATE PLAIN " PLAIN_B64);
	fakeserver_send(fs, "$TAG OK [CAPABILITY IMAP4rev1 IDLE] in\r\n");
	fakeserver_expect_close(fs);
	c = client(fs, MAILFS_SEC_IMPLICIT_TLS, &tr);
	check_rv(c, mailfs_client_connect(c), MAILFS_ERR_NONE,
	    "SASL-IR: connect over TLS");
	check_rv(c, mailfs_client_login(c, USER, "s3cret"), MAILFS_ERR_NONE,
	    "AUTHENTICATE PLAIN with an initial response");
	ok(!trace_contains(&tr, PLAIN_B64) && !trace_contains(&tr, "s3cret"),
	    "SASL-IR: the trace masks the response");
	finish(&fs, &c, &tr, "SASL-IR");
	fakeserver_free(&fs);
	trace_clear(&tr);
}

static void
test_plain_continuation(void)
{
	struct fakeserver *fs = server();
	struct trace tr = { 0 };
	struct mailfs_client *c;

	fakeserver_send(fs, "* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] fake\r\n");
	fakeserver_expect(fs, "$TAG AUTHENTICATE PLAIN");
	fakeserver_send(fs, "+ \r\n");
	fakeserver_expect(fs, PLAIN_B64);
	fakeserver_send(fs, "$TAG OK [CAPABILITY IMAP4rev1 IDLE] in\r\n");
	fakeserver_expect_close(fs);
	c = client(fs, MAILFS_SEC_PLAINTEXT_INSECURE, &tr);
	check_rv(c, mailfs_client_connect(c), MAILFS_ERR_NONE,
	    "PLAIN without SASL-IR: connect");
	check_rv(c, mailfs_client_login(c, USER, "s3cret"), MAILFS_ERR_NONE,
	    "AUTHENTICATE PLAIN after a continuation");
	ok(!trace_contains(&tr, PLAIN_B64), "PLAIN: the trace masks the response");
	finish(&fs, &c, &tr, "PLAIN continuation");
	fakeserver_free(&fs);
	trace_clear(&tr);
}

static void
test_auth_failed(void)
{
	struct fakeserver *fs = server();
	struct trace tr = { 0 };
	struct mailfs_client *c;

	fakeserver_tls(fs);
	fakeserver_send(fs, "* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN SASL-IR] fake\r\n");
	fakeserver_expect(fs, "$TAG AUTHENTICATE PLAIN *");
	fakeserver_send(fs, "$TAG NO [AUTHENTICATIONFAILED] Authentication failed.\r\n");
	fakeserver_expect_close(fs);
	c = client(fs, MAILFS_SEC_IMPLICIT_TLS, &tr);
	check_rv(c, mailfs_client_connect(c), MAILFS_ERR_NONE, "rejected: connect");
	check_rv(c, mailfs_client_login(c, USER, "wrong"), MAILFS_ERR_AUTH,
	    "NO [AUTHENTICATIONFAILED]");
	ok(mailfs_client_error(c)->code == MAILFS_CODE_AUTHENTICATIONFAILED,
	    "rejected: the code is AUTHENTICATIONFAILED");
	ok(mailfs_client_state(c) == MAILFS_STATE_NOT_AUTHENTICATED,
	    "rejected: still not authenticated");
	finish(&fs, &c, &tr, "rejected login");
	fakeserver_free(&fs);
	trace_clear(&tr);
}

static void
test_logindisabled(void)
{
	struct fakeserver *fs = server();
	struct trace tr = { 0 };
	struct mailfs_client *c;

	fakeserver_tls(fs);
	fakeserver_send(fs, "* OK [CAPABILITY IMAP4rev1 LOGINDISABLED] fake\r\n");
	fakeserver_expect_close(fs);
	c = client(fs, MAILFS_SEC_IMPLICIT_TLS, &tr);
	check_rv(c, mailfs_client_connect(c), MAILFS_ERR_NONE,
	    "LOGINDISABLED: connect");
	check_rv(c, mailfs_client_login(c, USER, "s3cret"),
	    MAILFS_ERR_LOGINDISABLED, "login when the server says LOGINDISABLED");
	finish(&fs, &c, &tr, "LOGINDISABLED");
	ok(received_is(fs, ""), "LOGINDISABLED: nothing was sent");
	fakeserver_free(&fs);
	trace_clear(&tr);
}

/* imap:// to servers without STARTTLS: refused, and nothing but CAPABILITY sent. */
static void
test_no_starttls(int caps_in_greeting)
{
	struct fakeserver *fs = server();
	struct trace tr = { 0 };
	struct mailfs_client *c;
	const char *what = caps_in_greeting ? "no STARTTLS (greeting)" :
	    "no STARTTLS (CAPABILITY)";
	size_t len;
	const char *got;

	if (caps_in_greeting)
		fakeserver_send(fs, "* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] fake\r\n");
	else {
		fakeserver_send(fs, "* OK fake\r\n");
		fakeserver_expect(fs, "$TAG CAPABILITY");
		fakeserver_send(fs, "* CAPABILITY IMAP4rev1 AUTH=PLAIN SASL-IR\r\n"
		    "$TAG OK done\r\n");
	}
	fakeserver_expect_close(fs);
	c = client(fs, MAILFS_SEC_STARTTLS, &tr);
	check_rv(c, mailfs_client_connect(c), MAILFS_ERR_NO_STARTTLS, what);
	ok(mailfs_client_login(c, USER, "s3cret") == -1,
	    "%s: a login afterwards is refused", what);
	finish(&fs, &c, &tr, what);
	got = fakeserver_received(fs, &len);
	if (caps_in_greeting)
		ok(received_is(fs, ""), "%s: nothing at all was sent", what);
	else
		ok(len > 13 && memcmp(got + len - 13, " CAPABILITY\r\n", 13) == 0 &&
		    memchr(got, '\n', len) == got + len - 1,
		    "%s: one CAPABILITY line, then nothing", what);
	ok(!fakeserver_received_contains(fs, "LOGIN") &&
	    !fakeserver_received_contains(fs, "AUTHENTICATE"),
	    "%s: no credentials", what);
	fakeserver_free(&fs);
	trace_clear(&tr);
}

static void
test_starttls_refused(void)
{
	struct fakeserver *fs = server();
	struct trace tr = { 0 };
	struct mailfs_client *c;
	int rv;

	fakeserver_send(fs, "* OK [CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN] fake\r\n");
	fakeserver_expect(fs, "$TAG STARTTLS");
	fakeserver_send(fs, "$TAG NO not today\r\n");
	fakeserver_expect_close(fs);
	c = client(fs, MAILFS_SEC_STARTTLS, &tr);
	check_rv(c, mailfs_client_connect(c), MAILFS_ERR_NO_STARTTLS,
	    "STARTTLS answered with NO");
	finish(&fs, &c, &tr, "STARTTLS refused");
	ok(!fakeserver_received_contains(fs, "LOGIN") &&
	    !fakeserver_received_contains(fs, "AUTHENTICATE"),
	    "STARTTLS refused: no credentials");
	fakeserver_free(&fs);
	trace_clear(&tr);

	/* OK to STARTTLS, then no handshake at all. */
	fs = server();
	fakeserver_send(fs, "* OK [CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN] fake\r\n");
	fakeserver_expect(fs, "$TAG STARTTLS");
	fakeserver_send(fs, "$TAG OK go\r\n");
	fakeserver_close(fs);
	c = client(fs, MAILFS_SEC_STARTTLS, &tr);
	rv = mailfs_client_connect(c);
	ok(rv == -1 && (mailfs_client_error(c)->kind == MAILFS_ERR_TLS ||
	    mailfs_client_error(c)->kind == MAILFS_ERR_CLOSED),
	    "STARTTLS OK then a hang-up: a TLS or closed error (%s)",
	    mailfs_errkind_name(mailfs_client_error(c)->kind));
	finish(&fs, &c, &tr, "STARTTLS hang-up");
	fakeserver_free(&fs);
	trace_clear(&tr);
}

/*
 * A man in the middle appends a CAPABILITY response to the STARTTLS OK,
 * in the same packet: it must be thrown away with everything else that
 * came before the handshake, and the capabilities asked again over TLS.
 */
static void
test_starttls_injection(void)
{
	struct fakeserver *fs = server();
	struct trace tr = { 0 };
	struct mailfs_client *c;
	long i;

	fakeserver_send(fs, "* OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] fake\r\n");
	fakeserver_expect(fs, "$TAG STARTTLS");
	fakeserver_send(fs, "$TAG OK Begin TLS\r\n"
	    "* CAPABILITY IMAP4rev1 AUTH=PLAIN X-INJECTED\r\n");
	fakeserver_tls(fs);
	fakeserver_expect(fs, "$TAG CAPABILITY");
	fakeserver_send(fs, "* CAPABILITY IMAP4rev1 AUTH=PLAIN SASL-IR X-REAL\r\n"
	    "$TAG OK done\r\n");
	fakeserver_expect(fs, "$TAG AUTHENTICATE PLAIN " PLAIN_B64);
	fakeserver_send(fs, "$TAG OK [CAPABILITY IMAP4rev1 IDLE] in\r\n");
	fakeserver_expect_close(fs);
	c = client(fs, MAILFS_SEC_STARTTLS, &tr);
	check_rv(c, mailfs_client_connect(c), MAILFS_ERR_NONE,
	    "injection: connect with STARTTLS");
	ok(mailfs_client_has_capability(c, "X-REAL") &&
	    !mailfs_client_has_capability(c, "X-INJECTED"),
	    "injection: the capabilities are the ones asked for over TLS");
	i = trace_find(&tr, 0, MAILFS_TRACE_RECV, "X-INJECTED");
	if (!ok(i == -1, "injection: the injected line was never parsed"))
		trace_dump(&tr, 12);
	check_rv(c, mailfs_client_login(c, USER, "s3cret"), MAILFS_ERR_NONE,
	    "injection: login over TLS");
	finish(&fs, &c, &tr, "STARTTLS injection");
	ok(!fakeserver_received_in_clear(fs, "AUTHENTICATE") &&
	    !fakeserver_received_in_clear(fs, PLAIN_B64),
	    "injection: no credentials in the clear");
	fakeserver_free(&fs);
	trace_clear(&tr);
}

int
main(void)
{
	if (fakecerts_make(&certs) == -1)
		bail_out("cannot make test certificates");
	test_login_quoted();
	test_login_literal();
	test_sasl_ir();
	test_plain_continuation();
	test_auth_failed();
	test_logindisabled();
	test_no_starttls(1);
	test_no_starttls(0);
	test_starttls_refused();
	test_starttls_injection();
	fakecerts_remove(&certs);
	return done_testing();
}
