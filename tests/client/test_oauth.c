/*
 * OAuth2 sign-in (OAUTHBEARER, XOAUTH2) against the scripted fake
 * server, for what Dovecot does not show: the exact initial responses,
 * SASL-IR and the two-step form (an empty "+" first, as Microsoft's
 * servers ask), a 12 KB token, the JSON error challenge answered once
 * (an empty line, or %x01) and its status kept, a second challenge
 * cancelled rather than looped, a retry with a new token on the same
 * connection, a mechanism the server does not offer, and SMTP's AUTH
 * with the same mechanism.  No token may ever reach a trace or an error.
 *
 * RFC 7628, RFC 4959, RFC 4954, RFC 3501 6.2.2.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include <mailfs/pop3.h>
#include <mailfs/sasl.h>
#include <mailfs/smtp.h>

#include "../tap.h"
#include "../integration/test_common.h"
#include "fakeserver.h"

#define USER		"tester@example.test"
#define TOKEN		"ya29.valid-token"
/* {"status":"401","schemes":"bearer","scope":"https://mail.google.com/"} */
#define ERROR_JSON	"{\"status\":\"401\",\"schemes\":\"bearer\"," \
			"\"scope\":\"https://mail.google.com/\"}"

static struct fakecerts certs;

static char *
b64(const char *s, size_t len)
{
	char *out = malloc(4 * ((len + 2) / 3) + 1);

	if (out == NULL)
		bail_out("out of memory");
	EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)s,
	    (int)len);
	return out;
}

/* The base64 initial response of kind for TOKEN (or token). */
static char *
initial(enum mailfs_oauth_kind kind, const char *token, const char *host,
    const char *port)
{
	char raw[20000];
	int n;

	if (kind == MAILFS_OAUTH_XOAUTH2)
		n = snprintf(raw, sizeof(raw), "user=%s\001auth=Bearer %s\001\001",
		    USER, token);
	else
		n = snprintf(raw, sizeof(raw), "n,a=%s,\001host=%s\001port=%s"
		    "\001auth=Bearer %s\001\001", USER, host, port, token);
	return b64(raw, (size_t)n);
}

static struct fakeserver *
server(void)
{
	struct fakeserver *fs;

	if ((fs = fakeserver_new(NULL)) == NULL)
		bail_out("cannot start the fake server");
	fakeserver_set_timeout(fs, 10000);
	fakeserver_set_certs(fs, &certs);
	fakeserver_tls(fs);
	return fs;
}

static struct mailfs_client *
client(struct fakeserver *fs, struct trace *tr)
{
	struct mailfs_params p;
	struct mailfs_client *c;

	if (fakeserver_start(fs) == -1)
		bail_out(fakeserver_error(fs));
	memset(&p, 0, sizeof(p));
	p.host = "127.0.0.1";
	p.port = fakeserver_port(fs);
	p.security = MAILFS_SEC_IMPLICIT_TLS;
	p.ca_file = certs.ca;
	p.connect_timeout_ms = 10000;
	p.io_timeout_ms = 10000;
	p.trace = trace_record;
	p.trace_ctx = tr;
	if ((c = mailfs_client_new(&p)) == NULL)
		bail_out("mailfs_client_new");
	if (mailfs_client_connect(c) == -1)
		bail_out(mailfs_client_error(c)->msg);
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
		trace_dump(tr, 10);
	}
	fakeserver_free(fs);
	trace_clear(tr);
}

static int
auth(struct mailfs_client *c, struct mailfs_oauth *o)
{
	struct mailfs_sasl_mech m = mailfs_oauth_mech(o);

	return mailfs_client_authenticate(c, &m);
}

static void
check(struct mailfs_client *c, int rv, enum mailfs_errkind want,
    const char *what)
{
	const struct mailfs_error *e = mailfs_client_error(c);

	if (!ok(rv == (want == MAILFS_ERR_NONE ? 0 : -1) &&
	    (want == MAILFS_ERR_NONE || e->kind == want), "%s: %s", what,
	    want == MAILFS_ERR_NONE ? "succeeds" : mailfs_errkind_name(want)))
		diag("rv %d, kind %s: %s", rv, mailfs_errkind_name(e->kind),
		    e->msg);
}

static char *
long_token(size_t len)
{
	char *t = malloc(len + 1);
	size_t i;

	if (t == NULL)
		bail_out("out of memory");
	for (i = 0; i < len; i++)
		t[i] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-._~"[i % 56];
	t[len] = '\0';
	return t;
}

/* SASL-IR with a 12 KB token: one command line of some 16 KB. */
static void
test_long_token_sasl_ir(void)
{
	struct fakeserver *fs = server();
	struct trace tr = { 0 };
	struct mailfs_client *c;
	struct mailfs_oauth *o;
	char *token = long_token(12 * 1024), *ir, line[20000];

	ir = initial(MAILFS_OAUTH_XOAUTH2, token, NULL, NULL);
	fakeserver_send(fs, "* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=PLAIN "
	    "AUTH=XOAUTH2] fake\r\n");
	snprintf(line, sizeof(line), "$TAG AUTHENTICATE XOAUTH2 %s", ir);
	fakeserver_expect(fs, line);
	fakeserver_send(fs, "$TAG OK [CAPABILITY IMAP4rev1 IDLE] in\r\n");
	fakeserver_expect_close(fs);
	c = client(fs, &tr);
	if ((o = mailfs_oauth_new(MAILFS_OAUTH_XOAUTH2, USER, token, NULL,
	    NULL)) == NULL)
		bail_out("mailfs_oauth_new");
	check(c, auth(c, o), MAILFS_ERR_NONE, "a 12 KB token with SASL-IR");
	ok(mailfs_client_state(c) == MAILFS_STATE_AUTHENTICATED,
	    "12 KB token: authenticated");
	ok(!trace_contains(&tr, ir) && !trace_contains(&tr, "ABCDEFGHIJ"),
	    "12 KB token: the trace masks it");
	ok(mailfs_oauth_status(o) == NULL, "12 KB token: no error status");
	finish(&fs, &c, &tr, "12 KB token");
	mailfs_oauth_free(&o);
	free(ir);
	free(token);
}

/* Without SASL-IR: the command alone, the token after an empty "+". */
static void
test_two_step(void)
{
	struct fakeserver *fs = server();
	struct trace tr = { 0 };
	struct mailfs_client *c;
	struct mailfs_oauth *o;
	char *ir = initial(MAILFS_OAUTH_BEARER, TOKEN, "127.0.0.1", "993");

	fakeserver_send(fs, "* OK [CAPABILITY IMAP4rev1 AUTH=OAUTHBEARER] "
	    "fake\r\n");
	fakeserver_expect(fs, "$TAG AUTHENTICATE OAUTHBEARER");
	fakeserver_send(fs, "+ \r\n");
	fakeserver_expect(fs, ir);
	fakeserver_send(fs, "$TAG OK [CAPABILITY IMAP4rev1 IDLE] in\r\n");
	fakeserver_expect_close(fs);
	c = client(fs, &tr);
	if ((o = mailfs_oauth_new(MAILFS_OAUTH_BEARER, USER, TOKEN,
	    "127.0.0.1", "993")) == NULL)
		bail_out("mailfs_oauth_new");
	check(c, auth(c, o), MAILFS_ERR_NONE, "OAUTHBEARER in two steps");
	ok(!trace_contains(&tr, TOKEN) && !trace_contains(&tr, ir),
	    "two steps: the trace masks the token");
	finish(&fs, &c, &tr, "two steps");
	mailfs_oauth_free(&o);
	free(ir);
}

/*
 * The JSON error challenge, answered once (an empty line for XOAUTH2,
 * "AQ==" = %x01 for OAUTHBEARER); then a new token on the same
 * connection is accepted.
 */
static void
test_error_then_retry(enum mailfs_oauth_kind kind)
{
	struct fakeserver *fs = server();
	struct trace tr = { 0 };
	struct mailfs_client *c;
	struct mailfs_oauth *o;
	const char *name = mailfs_oauth_name(kind);
	char *ir_old = initial(kind, "expired", "127.0.0.1", "993");
	char *ir_new = initial(kind, TOKEN, "127.0.0.1", "993");
	char *json = b64(ERROR_JSON, strlen(ERROR_JSON)), line[512], what[64];

	snprintf(what, sizeof(what), "%s error", name);
	snprintf(line, sizeof(line), "* OK [CAPABILITY IMAP4rev1 SASL-IR "
	    "AUTH=%s] fake\r\n", name);
	fakeserver_send(fs, line);
	snprintf(line, sizeof(line), "$TAG AUTHENTICATE %s %s", name, ir_old);
	fakeserver_expect(fs, line);
	snprintf(line, sizeof(line), "+ %s\r\n", json);
	fakeserver_send(fs, line);
	fakeserver_expect(fs, kind == MAILFS_OAUTH_XOAUTH2 ? "" : "AQ==");
	fakeserver_send(fs, "$TAG NO [AUTHENTICATIONFAILED] Invalid "
	    "credentials (Failure)\r\n");
	snprintf(line, sizeof(line), "$TAG AUTHENTICATE %s %s", name, ir_new);
	fakeserver_expect(fs, line);
	fakeserver_send(fs, "$TAG OK [CAPABILITY IMAP4rev1 IDLE] in\r\n");
	fakeserver_expect_close(fs);
	c = client(fs, &tr);
	o = mailfs_oauth_new(kind, USER, "expired", "127.0.0.1", "993");
	if (o == NULL)
		bail_out("mailfs_oauth_new");
	check(c, auth(c, o), MAILFS_ERR_AUTH, what);
	ok(mailfs_oauth_status(o) != NULL &&
	    strcmp(mailfs_oauth_status(o), "401") == 0,
	    "%s: the JSON's status is kept (%s)", what,
	    mailfs_oauth_status(o) != NULL ? mailfs_oauth_status(o) : "none");
	ok(strstr(mailfs_client_error(c)->msg, "Invalid credentials") != NULL,
	    "%s: the error holds the server's reason: %s", what,
	    mailfs_client_error(c)->msg);
	ok(mailfs_client_state(c) == MAILFS_STATE_NOT_AUTHENTICATED,
	    "%s: still not authenticated", what);
	mailfs_oauth_free(&o);
	o = mailfs_oauth_new(kind, USER, TOKEN, "127.0.0.1", "993");
	check(c, auth(c, o), MAILFS_ERR_NONE, "a new token on the same connection");
	ok(mailfs_oauth_status(o) == NULL, "%s: the retry has no error status",
	    what);
	ok(!trace_contains(&tr, ir_old) && !trace_contains(&tr, ir_new),
	    "%s: no token in the trace", what);
	finish(&fs, &c, &tr, what);
	mailfs_oauth_free(&o);
	free(ir_old);
	free(ir_new);
	free(json);
}

/*
 * A second error challenge is cancelled ("*"), never answered again.  With
 * plus, the server sends one more "+" instead of its tagged answer: a
 * protocol error, not another "*" (a server could ask for those forever).
 */
static void
test_no_loop(int plus)
{
	struct fakeserver *fs = server();
	struct trace tr = { 0 };
	struct mailfs_client *c;
	struct mailfs_oauth *o;
	char *ir = initial(MAILFS_OAUTH_XOAUTH2, TOKEN, NULL, NULL);
	char *json = b64(ERROR_JSON, strlen(ERROR_JSON)), line[512];

	fakeserver_send(fs, "* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=XOAUTH2] "
	    "fake\r\n");
	snprintf(line, sizeof(line), "$TAG AUTHENTICATE XOAUTH2 %s", ir);
	fakeserver_expect(fs, line);
	snprintf(line, sizeof(line), "+ %s\r\n", json);
	fakeserver_send(fs, line);
	fakeserver_expect(fs, "");
	fakeserver_send(fs, line);
	fakeserver_expect(fs, "*");
	fakeserver_send(fs, plus ? "+ \r\n$TAG BAD cancelled\r\n" :
	    "$TAG BAD cancelled\r\n");
	fakeserver_expect_close(fs);
	c = client(fs, &tr);
	if ((o = mailfs_oauth_new(MAILFS_OAUTH_XOAUTH2, USER, TOKEN, NULL,
	    NULL)) == NULL)
		bail_out("mailfs_oauth_new");
	check(c, auth(c, o), plus ? MAILFS_ERR_PROTOCOL : MAILFS_ERR_BAD,
	    plus ? "a \"+\" after \"*\"" :
	    "a second error challenge: cancelled");
	finish(&fs, &c, &tr, "no loop");
	mailfs_oauth_free(&o);
	free(ir);
	free(json);
}

/* A mechanism the server does not offer: nothing is sent. */
static void
test_not_offered(void)
{
	struct fakeserver *fs = server();
	struct trace tr = { 0 };
	struct mailfs_client *c;
	struct mailfs_oauth *o;

	fakeserver_send(fs, "* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] fake\r\n");
	fakeserver_expect_close(fs);
	c = client(fs, &tr);
	if ((o = mailfs_oauth_new(MAILFS_OAUTH_XOAUTH2, USER, TOKEN, NULL,
	    NULL)) == NULL)
		bail_out("mailfs_oauth_new");
	check(c, auth(c, o), MAILFS_ERR_UNSUPPORTED, "XOAUTH2 not offered");
	finish(&fs, &c, &tr, "not offered");
	mailfs_oauth_free(&o);
	ok(mailfs_oauth_new(MAILFS_OAUTH_XOAUTH2, USER, "a\001b", NULL,
	    NULL) == NULL && mailfs_oauth_new(MAILFS_OAUTH_XOAUTH2, USER,
	    "", NULL, NULL) == NULL, "a token with a control byte, or empty, "
	    "is refused");
}

/* SMTP: the same mechanism through mailfs_smtp_auth(), error and all. */
static void
test_smtp_error(void)
{
	struct fakeserver *fs = server();
	struct trace tr = { 0 };
	struct mailfs_smtp_params p;
	struct mailfs_smtp_mech m;
	struct mailfs_smtp *s;
	struct mailfs_oauth *o;
	char *ir = initial(MAILFS_OAUTH_XOAUTH2, "expired", NULL, NULL);
	char *json = b64(ERROR_JSON, strlen(ERROR_JSON)), line[512];
	int rv;

	fakeserver_send(fs, "220 fake.example.test ESMTP ready\r\n");
	fakeserver_expect(fs, "EHLO client.example.test");
	fakeserver_send(fs, "250-fake.example.test hello\r\n250 AUTH PLAIN "
	    "XOAUTH2\r\n");
	snprintf(line, sizeof(line), "AUTH XOAUTH2 %s", ir);
	fakeserver_expect(fs, line);
	snprintf(line, sizeof(line), "334 %s\r\n", json);
	fakeserver_send(fs, line);
	fakeserver_expect(fs, "");
	fakeserver_send(fs, "535 5.7.8 Username and Password not accepted\r\n");
	fakeserver_expect_close(fs);
	if (fakeserver_start(fs) == -1)
		bail_out(fakeserver_error(fs));
	memset(&p, 0, sizeof(p));
	p.host = "127.0.0.1";
	p.port = fakeserver_port(fs);
	p.security = MAILFS_SEC_IMPLICIT_TLS;
	p.ca_file = certs.ca;
	p.helo_name = "client.example.test";
	p.connect_timeout_ms = p.io_timeout_ms = 10000;
	p.trace = trace_record;
	p.trace_ctx = &tr;
	if ((s = mailfs_smtp_new(&p)) == NULL || mailfs_smtp_connect(s) == -1)
		bail_out("SMTP connect");
	if ((o = mailfs_oauth_new(MAILFS_OAUTH_XOAUTH2, USER, "expired", NULL,
	    NULL)) == NULL)
		bail_out("mailfs_oauth_new");
	m.name = mailfs_oauth_name(MAILFS_OAUTH_XOAUTH2);
	m.step = mailfs_oauth_step;
	m.ctx = o;
	rv = mailfs_smtp_auth(s, &m);
	ok(rv == -1 && mailfs_smtp_error(s)->kind == MAILFS_ERR_AUTH,
	    "SMTP XOAUTH2 error: auth (%s)", mailfs_smtp_error(s)->msg);
	ok(mailfs_oauth_status(o) != NULL &&
	    strcmp(mailfs_oauth_status(o), "401") == 0,
	    "SMTP XOAUTH2 error: the JSON's status is kept");
	ok(!trace_contains(&tr, ir) && !trace_contains(&tr, "expired"),
	    "SMTP XOAUTH2 error: no token in the trace");
	mailfs_smtp_free(&s);
	if (!ok(fakeserver_finish(fs) == 0, "SMTP error: the server's script "
	    "ran as written"))
		diag("%s", fakeserver_error(fs));
	fakeserver_free(&fs);
	trace_clear(&tr);
	mailfs_oauth_free(&o);
	free(ir);
	free(json);
}

/*
 * POP3 (RFC 5034): a 4 KB token cannot ride on the 255-octet AUTH line,
 * so it follows the server's empty challenge; the error document is
 * answered with an empty line, and the refusal is the end.
 */
static void
test_pop3_two_step_error(void)
{
	struct fakeserver *fs = server();
	struct trace tr = { 0 };
	struct mailfs_pop3_params p;
	struct mailfs_pop3_mech m;
	struct mailfs_pop3 *c;
	struct mailfs_oauth *o;
	char *token = long_token(4096);
	char *ir = initial(MAILFS_OAUTH_XOAUTH2, token, NULL, NULL);
	char *json = b64(ERROR_JSON, strlen(ERROR_JSON)), line[512];
	int rv;

	fakeserver_send(fs, "+OK fake POP3 ready\r\n");
	fakeserver_expect(fs, "CAPA");
	fakeserver_send(fs, "+OK\r\nSASL PLAIN XOAUTH2\r\nUIDL\r\n.\r\n");
	fakeserver_expect(fs, "AUTH XOAUTH2");
	fakeserver_send(fs, "+ \r\n");
	fakeserver_expect(fs, ir);
	snprintf(line, sizeof(line), "+ %s\r\n", json);
	fakeserver_send(fs, line);
	fakeserver_expect(fs, "");
	fakeserver_send(fs, "-ERR [AUTH] Authentication failed\r\n");
	fakeserver_expect_close(fs);
	if (fakeserver_start(fs) == -1)
		bail_out(fakeserver_error(fs));
	memset(&p, 0, sizeof(p));
	p.host = "127.0.0.1";
	p.port = fakeserver_port(fs);
	p.security = MAILFS_SEC_IMPLICIT_TLS;
	p.ca_file = certs.ca;
	p.connect_timeout_ms = p.io_timeout_ms = 10000;
	p.trace = trace_record;
	p.trace_ctx = &tr;
	if ((c = mailfs_pop3_new(&p)) == NULL || mailfs_pop3_connect(c) == -1)
		bail_out("POP3 connect");
	if ((o = mailfs_oauth_new(MAILFS_OAUTH_XOAUTH2, USER, token, NULL,
	    NULL)) == NULL)
		bail_out("mailfs_oauth_new");
	m.name = mailfs_oauth_name(MAILFS_OAUTH_XOAUTH2);
	m.step = mailfs_oauth_step;
	m.ctx = o;
	rv = mailfs_pop3_auth(c, &m);
	ok(rv == -1 && mailfs_pop3_error(c)->kind == MAILFS_ERR_AUTH,
	    "POP3 XOAUTH2, a 4 KB token after the empty challenge, then the "
	    "error document: auth (%s)", mailfs_pop3_error(c)->msg);
	ok(mailfs_oauth_status(o) != NULL &&
	    strcmp(mailfs_oauth_status(o), "401") == 0,
	    "POP3 XOAUTH2 error: the JSON's status is kept");
	ok(!trace_contains(&tr, ir) && !trace_contains(&tr, "ABCDEFGHIJ"),
	    "POP3 XOAUTH2: no token in the trace");
	mailfs_pop3_free(&c);
	if (!ok(fakeserver_finish(fs) == 0, "POP3: the server's script ran "
	    "as written"))
		diag("%s", fakeserver_error(fs));
	fakeserver_free(&fs);
	trace_clear(&tr);
	mailfs_oauth_free(&o);
	free(ir);
	free(json);
	free(token);
}

/* The error document is hostile input: only a short printable status stays. */
static void
test_status_parse(void)
{
	static const struct {
		const char *doc;
		const char *want;
	} cases[] = {
		{ "{\"status\":\"invalid_token\"}", "invalid_token" },
		{ "{ \"scope\" : \"x\", \"status\" :\t401 }", "401" },
		{ "{\"status\":\"a\\\"b\"}", "a\"b" },
		{ "{\"status\":\"a\001\r\nb\"}", "ab" },
		{ "{\"status\":\"unterminated", "unterminated" },
		{ "{\"schemes\":\"bearer\"}", "" },
		{ "not json at all", "" },
		{ "", "" },
		{ "{\"status\":\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"}",
		    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" },
	};
	struct mailfs_oauth *o;
	unsigned char *resp;
	size_t i, len;
	const char *got;

	if ((o = mailfs_oauth_new(MAILFS_OAUTH_BEARER, USER, TOKEN, NULL,
	    NULL)) == NULL)
		bail_out("mailfs_oauth_new");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (mailfs_oauth_step(o, 0, NULL, 0, &resp, &len) == -1)
			bail_out("step 0");
		free(resp);
		if (mailfs_oauth_step(o, 1, (const unsigned char *)cases[i].doc,
		    strlen(cases[i].doc), &resp, &len) == -1)
			bail_out("step 1");
		ok(len == 1 && resp[0] == 0x01, "error document %zu answered "
		    "with %%x01", i);
		free(resp);
		got = mailfs_oauth_status(o);
		if (!ok(got != NULL && strcmp(got, cases[i].want) == 0,
		    "error document %zu: its status", i))
			diag("got '%s', want '%s'", got != NULL ? got : "(none)",
			    cases[i].want);
		ok(mailfs_oauth_step(o, 2, (const unsigned char *)"{}", 2, &resp,
		    &len) == -1 && resp == NULL, "error document %zu: a second "
		    "challenge cancels", i);
	}
	mailfs_oauth_free(&o);
}

int
main(void)
{
	if (fakecerts_make(&certs) == -1)
		bail_out("cannot make test certificates");
	test_long_token_sasl_ir();
	test_two_step();
	test_error_then_retry(MAILFS_OAUTH_XOAUTH2);
	test_error_then_retry(MAILFS_OAUTH_BEARER);
	test_no_loop(0);
	test_no_loop(1);
	test_not_offered();
	test_smtp_error();
	test_pop3_two_step_error();
	test_status_parse();
	fakecerts_remove(&certs);
	return done_testing();
}
