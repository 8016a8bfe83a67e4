/*
 * A real Dovecot that offers no STARTTLS (dovecot.sh --no-starttls): an
 * imap:// client must refuse with MAILFS_ERR_NO_STARTTLS and send no
 * credentials, nor anything else but CAPABILITY; only the explicit
 * plaintext option logs in.
 *
 * RFC 2595, RFC 3501 6.2.1, RFC 8314.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../tap.h"
#include "test_common.h"

static struct testenv env;

/* 1 when the server's log has a line containing needle, waiting up to 2 s. */
static int
log_has(const char *needle)
{
	char path[512], line[2048];
	FILE *fp;
	int i, found = 0;

	snprintf(path, sizeof(path), "%s/dovecot.log", env.dir);
	for (i = 0; i < 20 && !found; i++) {
		if (i > 0)
			usleep(100000);
		if ((fp = fopen(path, "r")) == NULL)
			continue;
		while (fgets(line, sizeof(line), fp) != NULL)
			if (strstr(line, needle) != NULL)
				found = 1;
		fclose(fp);
	}
	return found;
}

int
main(void)
{
	struct trace tr = { 0 };
	struct mailfs_client *c;
	const struct mailfs_error *e;
	size_t i, other;
	int rv;

	itest_start(&env, "--no-starttls");

	c = itest_client(&env, MAILFS_SEC_STARTTLS, &tr, NULL);
	rv = mailfs_client_connect(c);
	e = mailfs_client_error(c);
	if (!ok(rv == -1 && e->kind == MAILFS_ERR_NO_STARTTLS,
	    "imap:// to a server without STARTTLS: MAILFS_ERR_NO_STARTTLS")) {
		diag("rv %d, kind %s: %s", rv, mailfs_errkind_name(e->kind), e->msg);
		trace_dump(&tr, 10);
	}
	ok(mailfs_client_state(c) == MAILFS_STATE_DISCONNECTED,
	    "the client is left disconnected");
	rv = mailfs_client_login(c, env.user, env.password);
	ok(rv == -1, "a login attempt afterwards is refused");
	ok(trace_find(&tr, 0, MAILFS_TRACE_SEND, "LOGIN") == -1 &&
	    trace_find(&tr, 0, MAILFS_TRACE_SEND, "AUTHENTICATE") == -1,
	    "no LOGIN or AUTHENTICATE was ever sent");
	for (i = 0, other = 0; i < tr.count; i++)
		if (tr.lines[i].dir == MAILFS_TRACE_SEND &&
		    strstr(tr.lines[i].text, "CAPABILITY") == NULL) {
			diag("sent: %s", tr.lines[i].text);
			other++;
		}
	ok(other == 0, "nothing but CAPABILITY was sent");
	ok(!trace_contains(&tr, env.password), "the password is not in the trace");
	mailfs_client_free(&c);
	ok(log_has("no auth attempts"),
	    "the server logged the connection without auth attempts");
	trace_clear(&tr);

	/* Only the explicit, loopback-only option speaks in the clear. */
	c = itest_client(&env, MAILFS_SEC_PLAINTEXT_INSECURE, &tr, NULL);
	ok(mailfs_client_connect(c) == 0, "plaintext (insecure, loopback): connect");
	if (!ok(mailfs_client_login(c, env.user, env.password) == 0,
	    "plaintext: login"))
		itest_diag_error(c, "login");
	ok(mailfs_client_state(c) == MAILFS_STATE_AUTHENTICATED,
	    "plaintext: authenticated");
	ok(!trace_contains(&tr, env.password),
	    "plaintext: the password is masked in the trace");
	ok(mailfs_run(c, mailfs_select(c, "INBOX", 0, NULL, NULL), NULL) == 0,
	    "plaintext: SELECT INBOX");
	ok(mailfs_client_logout(c) == 0, "plaintext: logout");
	mailfs_client_free(&c);
	trace_clear(&tr);

	/* Implicit TLS to a port that speaks plain IMAP: a TLS failure. */
	{
		struct mailfs_params p;

		testenv_params(&env, MAILFS_SEC_IMPLICIT_TLS, &p);
		p.port = env.imap_port;
		p.io_timeout_ms = 3000;
		p.connect_timeout_ms = 3000;
		if ((c = mailfs_client_new(&p)) == NULL)
			bail_out("mailfs_client_new");
		rv = mailfs_client_connect(c);
		e = mailfs_client_error(c);
		ok(rv == -1 && e->kind == MAILFS_ERR_TLS,
		    "imaps:// to a plaintext port fails in TLS (%s: %s)",
		    mailfs_errkind_name(e->kind), e->msg);
		mailfs_client_free(&c);
	}
	testenv_stop(&env);
	return done_testing();
}
