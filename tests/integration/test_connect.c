/*
 * Connecting and logging in to a real Dovecot: implicit TLS and STARTTLS,
 * capabilities and states, and each failure with its own error kind (wrong
 * password, untrusted certificate, wrong host name, refused connection,
 * server gone).  The password must never reach the trace.
 *
 * RFC 3501 6.2, RFC 2595, RFC 8314.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../tap.h"
#include "test_common.h"

static struct testenv env;

static void
check_kind(struct mailfs_client *c, int rv, enum mailfs_errkind want,
    const char *what)
{
	const struct mailfs_error *e = mailfs_client_error(c);

	if (!ok(rv == -1 && e->kind == want, "%s fails with %s", what,
	    mailfs_errkind_name(want)))
		diag("got rv %d, kind %s: %s", rv, mailfs_errkind_name(e->kind),
		    e->msg);
}

/* 1 when the trace shows the four changes of state, in this order. */
static int
trace_state_changes(const struct trace *tr, const char *a, const char *b,
    const char *c, const char *d)
{
	const char *want[] = { a, b, c, d };
	char needle[80];
	long at = 0;
	size_t i;

	for (i = 0; i < 4 && at != -1; i++) {
		snprintf(needle, sizeof(needle), "state %s", want[i]);
		at = trace_find(tr, (size_t)at, MAILFS_TRACE_INFO, needle);
	}
	if (at == -1)
		trace_dump(tr, 30);
	return at != -1;
}

static void
test_implicit_tls(void)
{
	struct trace tr = { 0 };
	struct mailfs_client *c;
	unsigned caps, want;

	c = itest_client(&env, MAILFS_SEC_IMPLICIT_TLS, &tr, NULL);
	ok(mailfs_client_state(c) == MAILFS_STATE_DISCONNECTED,
	    "a new client is disconnected");
	ok(mailfs_client_connect(c) == 0, "imaps: connect");
	ok(mailfs_client_state(c) == MAILFS_STATE_NOT_AUTHENTICATED,
	    "imaps: not authenticated after connect");
	ok(trace_find(&tr, 0, MAILFS_TRACE_RECV, "* OK") != -1,
	    "imaps: the greeting is traced");
	caps = mailfs_client_capabilities(c);
	ok(caps & MAILFS_CAP_IMAP4REV1, "imaps: pre-login IMAP4rev1");
	ok(caps & MAILFS_CAP_AUTH_PLAIN, "imaps: pre-login AUTH=PLAIN");
	ok(caps & MAILFS_CAP_SASL_IR, "imaps: pre-login SASL-IR");
	ok(!(caps & MAILFS_CAP_STARTTLS), "imaps: no STARTTLS on a TLS port");

	if (!ok(mailfs_client_login(c, env.user, env.password) == 0,
	    "imaps: login"))
		itest_diag_error(c, "login");
	ok(mailfs_client_state(c) == MAILFS_STATE_AUTHENTICATED,
	    "imaps: authenticated after login");
	caps = mailfs_client_capabilities(c);
	want = MAILFS_CAP_IMAP4REV1 | MAILFS_CAP_UIDPLUS | MAILFS_CAP_MOVE |
	    MAILFS_CAP_CONDSTORE | MAILFS_CAP_QRESYNC | MAILFS_CAP_IDLE |
	    MAILFS_CAP_LITERAL_PLUS | MAILFS_CAP_ENABLE |
	    MAILFS_CAP_SPECIAL_USE | MAILFS_CAP_LIST_EXTENDED |
	    MAILFS_CAP_LIST_STATUS | MAILFS_CAP_NAMESPACE | MAILFS_CAP_QUOTA |
	    MAILFS_CAP_ID | MAILFS_CAP_ESEARCH | MAILFS_CAP_UNSELECT |
	    MAILFS_CAP_BINARY;
	if (!ok((caps & want) == want,
	    "imaps: post-login capabilities learnt (UIDPLUS MOVE CONDSTORE "
	    "QRESYNC IDLE LITERAL+ ...)"))
		diag("have 0x%x, want 0x%x, missing 0x%x", caps, want,
		    want & ~caps);
	ok(mailfs_client_has_capability(c, "uidplus") == 1,
	    "has_capability is case-insensitive");
	ok(mailfs_client_has_capability(c, "THREAD=REFERENCES") == 1,
	    "has_capability knows capabilities the library does not name");
	ok(mailfs_client_has_capability(c, "XYZZY") == 0,
	    "has_capability: an absent one is 0");
	ok(mailfs_client_has_capability(c, "THREAD") == 0,
	    "has_capability: a prefix of one is not it");
	ok(mailfs_client_mailbox(c) == NULL, "no mailbox selected yet");

	ok(mailfs_client_logout(c) == 0, "imaps: logout");
	ok(mailfs_client_state(c) == MAILFS_STATE_LOGOUT ||
	    mailfs_client_state(c) == MAILFS_STATE_DISCONNECTED,
	    "imaps: logged out");
	ok(trace_find(&tr, 0, MAILFS_TRACE_SEND, "LOGOUT") != -1,
	    "imaps: LOGOUT sent");
	ok(trace_state_changes(&tr, "DISCONNECTED -> NOT_AUTHENTICATED",
	    "NOT_AUTHENTICATED -> AUTHENTICATED", "AUTHENTICATED -> LOGOUT",
	    "LOGOUT -> DISCONNECTED"),
	    "imaps: every change of state is traced, in order");
	ok(!trace_contains(&tr, env.password),
	    "imaps: the password never appears in the trace");
	mailfs_client_free(&c);
	ok(c == NULL, "mailfs_client_free sets the pointer to NULL");
	mailfs_client_free(&c);
	trace_clear(&tr);
}

static void
test_starttls(void)
{
	struct trace tr = { 0 };
	struct mailfs_client *c;
	long st, ok_at;

	c = itest_client(&env, MAILFS_SEC_STARTTLS, &tr, NULL);
	if (!ok(mailfs_client_connect(c) == 0, "starttls: connect")) {
		itest_diag_error(c, "connect");
		trace_dump(&tr, 20);
	}
	st = trace_find(&tr, 0, MAILFS_TRACE_SEND, "STARTTLS");
	ok(st != -1, "starttls: STARTTLS sent");
	ok_at = st == -1 ? -1 : trace_find(&tr, (size_t)st, MAILFS_TRACE_RECV, "OK");
	ok(ok_at != -1 &&
	    trace_find(&tr, (size_t)ok_at, MAILFS_TRACE_SEND, "CAPABILITY") != -1,
	    "starttls: CAPABILITY asked again after TLS");
	ok(!(mailfs_client_capabilities(c) & MAILFS_CAP_STARTTLS),
	    "starttls: capabilities are the post-TLS ones (no STARTTLS)");
	ok(mailfs_client_state(c) == MAILFS_STATE_NOT_AUTHENTICATED,
	    "starttls: not authenticated after connect");
	if (!ok(mailfs_client_login(c, env.user, env.password) == 0,
	    "starttls: login"))
		itest_diag_error(c, "login");
	ok(mailfs_client_state(c) == MAILFS_STATE_AUTHENTICATED,
	    "starttls: authenticated");
	ok(mailfs_client_capabilities(c) & MAILFS_CAP_UIDPLUS,
	    "starttls: post-login capabilities");
	ok(mailfs_run(c, mailfs_noop(c), NULL) == 0, "starttls: NOOP after login");
	ok(!trace_contains(&tr, env.password),
	    "starttls: the password never appears in the trace");
	mailfs_client_free(&c);
	trace_clear(&tr);
}

static void
test_wrong_password(void)
{
	struct trace tr = { 0 };
	struct mailfs_client *c;
	const char *bad = "Wr0ng-Passw0rd-xyzzy";

	c = itest_client(&env, MAILFS_SEC_IMPLICIT_TLS, &tr, NULL);
	ok(mailfs_client_connect(c) == 0, "wrong password: connect");
	check_kind(c, mailfs_client_login(c, env.user, bad), MAILFS_ERR_AUTH,
	    "login with a wrong password");
	ok(mailfs_client_state(c) == MAILFS_STATE_NOT_AUTHENTICATED,
	    "wrong password: still not authenticated");
	ok(!trace_contains(&tr, bad),
	    "wrong password: the password never appears in the trace");
	ok(strstr(mailfs_client_error(c)->msg, bad) == NULL,
	    "wrong password: nor in the error message");
	/* The connection stays usable: the right password works after. */
	if (!ok(mailfs_client_login(c, env.user, env.password) == 0,
	    "wrong password: the right one works on the same connection"))
		itest_diag_error(c, "second login");
	mailfs_client_free(&c);
	trace_clear(&tr);
}

static void
test_untrusted(enum mailfs_security sec, const char *what)
{
	struct trace tr = { 0 };
	struct mailfs_params p;
	struct mailfs_client *c;

	testenv_params(&env, sec, &p);
	p.ca_file = NULL;	/* the system store does not know the test CA */
	p.trace = trace_record;
	p.trace_ctx = &tr;
	if ((c = mailfs_client_new(&p)) == NULL)
		bail_out("mailfs_client_new");
	check_kind(c, mailfs_client_connect(c), MAILFS_ERR_CERT, what);
	ok(mailfs_client_state(c) == MAILFS_STATE_DISCONNECTED,
	    "%s: left disconnected", what);
	ok(mailfs_client_login(c, env.user, env.password) == -1,
	    "%s: login on the failed connection is refused", what);
	ok(trace_find(&tr, 0, MAILFS_TRACE_SEND, "LOGIN") == -1 &&
	    trace_find(&tr, 0, MAILFS_TRACE_SEND, "AUTHENTICATE") == -1,
	    "%s: no credentials sent", what);
	mailfs_client_free(&c);
	trace_clear(&tr);
}

static void
test_hostname(enum mailfs_security sec, const char *what)
{
	struct mailfs_params p;
	struct mailfs_client *c;

	testenv_params(&env, sec, &p);
	p.host = "localhost";	/* the certificate names only 127.0.0.1 */
	if ((c = mailfs_client_new(&p)) == NULL)
		bail_out("mailfs_client_new");
	check_kind(c, mailfs_client_connect(c), MAILFS_ERR_HOSTNAME, what);
	mailfs_client_free(&c);
}

static void
test_refused(void)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	struct mailfs_params p;
	struct mailfs_client *c;
	char port[16];
	int fd;
	uint64_t t0;

	/* A bound but never listening socket: connecting to it is refused. */
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
	    bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    getsockname(fd, (struct sockaddr *)&sin, &len) == -1)
		bail_out("cannot bind a local socket");
	snprintf(port, sizeof(port), "%u", ntohs(sin.sin_port));

	testenv_params(&env, MAILFS_SEC_IMPLICIT_TLS, &p);
	p.port = port;
	if ((c = mailfs_client_new(&p)) == NULL)
		bail_out("mailfs_client_new");
	t0 = now_usec();
	check_kind(c, mailfs_client_connect(c), MAILFS_ERR_CONNECT,
	    "connecting to a port nobody listens on");
	ok(now_usec() - t0 < 3000000, "a refused connection fails at once");
	mailfs_client_free(&c);
	close(fd);
}

/*
 * The server ends the session by itself (the selected mailbox is deleted
 * by another client, which Dovecot answers with BYE): the next command
 * fails with MAILFS_ERR_CLOSED, so does the one after, and connecting
 * again gives a usable client.
 */
static void
test_server_closes(void)
{
	struct trace tr = { 0 };
	struct mailfs_client *a, *b;
	const struct mailfs_error *e;
	struct mailfs_cmd *cmd;
	int rv;

	a = itest_login(&env, MAILFS_SEC_IMPLICIT_TLS, &tr, NULL);
	b = itest_login(&env, MAILFS_SEC_IMPLICIT_TLS, NULL, NULL);
	ok(itest_run(a, mailfs_create(a, "Doomed"), NULL, &tr) == 0,
	    "closed: CREATE Doomed");
	ok(itest_run(a, mailfs_select(a, "Doomed", 0, NULL, NULL), NULL, &tr) == 0,
	    "closed: SELECT Doomed");
	ok(mailfs_client_state(a) == MAILFS_STATE_SELECTED, "closed: selected");
	ok(itest_run(b, mailfs_delete(b, "Doomed"), NULL, NULL) == 0,
	    "closed: another client deletes it");
	mailfs_client_free(&b);

	rv = mailfs_run(a, mailfs_noop(a), NULL);
	e = mailfs_client_error(a);
	if (!ok(rv == -1 && e->kind == MAILFS_ERR_CLOSED,
	    "closed: NOOP after the server's BYE fails with closed")) {
		diag("rv %d kind %s: %s", rv, mailfs_errkind_name(e->kind), e->msg);
		trace_dump(&tr, 8);
	}
	ok(mailfs_client_state(a) == MAILFS_STATE_DISCONNECTED ||
	    mailfs_client_state(a) == MAILFS_STATE_LOGOUT,
	    "closed: the client knows it is disconnected");
	ok(mailfs_client_mailbox(a) == NULL, "closed: no mailbox selected");
	cmd = mailfs_noop(a);
	rv = mailfs_run(a, cmd, NULL);
	e = mailfs_client_error(a);
	if (!ok(rv == -1 && e->kind == MAILFS_ERR_CLOSED,
	    "closed: a second command fails with closed too"))
		diag("rv %d kind %s: %s", rv, mailfs_errkind_name(e->kind), e->msg);

	if (!ok(mailfs_client_connect(a) == 0, "closed: connect again"))
		itest_diag_error(a, "reconnect");
	if (!ok(mailfs_client_login(a, env.user, env.password) == 0,
	    "closed: log in again"))
		itest_diag_error(a, "relogin");
	ok(itest_run(a, mailfs_select(a, "INBOX", 0, NULL, NULL), NULL, &tr) == 0,
	    "closed: the client works again (SELECT INBOX)");
	ok(mailfs_client_logout(a) == 0, "closed: logout");
	mailfs_client_free(&a);
	trace_clear(&tr);
}

int
main(void)
{
	itest_start(&env, NULL);
	test_implicit_tls();
	test_starttls();
	test_untrusted(MAILFS_SEC_IMPLICIT_TLS, "imaps without the test CA");
	test_untrusted(MAILFS_SEC_STARTTLS, "STARTTLS without the test CA");
	test_hostname(MAILFS_SEC_IMPLICIT_TLS, "imaps to \"localhost\"");
	test_hostname(MAILFS_SEC_STARTTLS, "STARTTLS to \"localhost\"");
	test_refused();
	test_server_closes();
	test_wrong_password();
	testenv_stop(&env);
	return done_testing();
}
