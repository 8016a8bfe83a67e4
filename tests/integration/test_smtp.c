/*
 * The SMTP client against a real Postfix (tests/harness/postfix.sh) in
 * front of the test Dovecot: through the STARTTLS port and the implicit
 * TLS port, AUTH with the IMAP password, a message whose lines end in
 * LF, CR and CRLF and begin with dots, sent to the test user and read
 * back over IMAP byte for byte after the trace headers; one recipient of
 * three accepted (an unknown local user 550 5.1.1, relaying 554 5.7.1);
 * a wrong password refused without the password in the error.
 *
 * RFC 5321, RFC 6409, RFC 3207, RFC 8314, RFC 4954, RFC 2920.
 */
#include <sys/wait.h>

#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../tap.h"
#include "test_common.h"

static struct testenv env;
static char postfix_script[600];
static char postfix_dir[300];
static char smtp_port[16], smtps_port[16], addr1[128], addr2[128];
static struct sigaction old_sa[3];
static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };

/* The message sent: bare LF, bare CR, CRLF, lines that begin with dots. */
static const char body_fmt[] = "From: <%s>\nTo: <%s>\nSubject: %s\n"
    "Message-ID: <%s@mailfs.test>\n\n.a line with a dot\n"
    "..two dots\r\n.\rthe end of data, or not\n.\nlast";

/* Runs postfix.sh ARG DIR [DOVECOT_DIR]; its stdout to out when not NULL. */
static int
postfix_sh(const char *arg, char *out, size_t outlen)
{
	char cmd[2048];
	FILE *p;
	size_t n = 0;

	snprintf(cmd, sizeof(cmd), "sh '%s' %s '%s' %s%s%s", postfix_script,
	    arg, postfix_dir, out != NULL ? "'" : "", out != NULL ? env.dir :
	    "", out != NULL ? "'" : "");
	if (out == NULL)
		return system(cmd) == 0 ? 0 : -1;
	if ((p = popen(cmd, "r")) == NULL)
		return -1;
	while (n + 1 < outlen && fgets(out + n, (int)(outlen - n), p) != NULL)
		n += strlen(out + n);
	out[n] = '\0';
	return pclose(p) == 0 ? 0 : -1;
}

static void
stop_postfix(void)
{
	pid_t pid;
	int status;

	if (postfix_dir[0] == '\0')
		return;
	/* fork and exec only: this also runs in a signal handler. */
	if ((pid = fork()) == 0) {
		execl("/bin/sh", "sh", postfix_script, "stop", postfix_dir,
		    (char *)NULL);
		_exit(127);
	}
	if (pid > 0)
		while (waitpid(pid, &status, 0) == -1)
			continue;
	postfix_dir[0] = '\0';
}

static void
on_signal(int sig)
{
	size_t i;

	stop_postfix();
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (sigs[i] == sig)
			sigaction(sig, &old_sa[i], NULL);
	raise(sig);
}

/* The value of NAME=value in the assignments, into out. */
static void
assignment(const char *text, const char *name, char *out, size_t len)
{
	char key[64];
	const char *p, *e;

	snprintf(key, sizeof(key), "%s=", name);
	out[0] = '\0';
	for (p = text; p != NULL; p = strchr(p, '\n')) {
		if (*p == '\n')
			p++;
		if (strncmp(p, key, strlen(key)) != 0)
			continue;
		p += strlen(key);
		e = strchr(p, '\n');
		snprintf(out, len, "%.*s", (int)(e != NULL ? (size_t)(e - p) :
		    strlen(p)), p);
		return;
	}
}

static void
start_postfix(void)
{
	const char *harness = getenv("MAILFS_HARNESS_DIR");
	struct sigaction sa;
	char out[4096], *slash;
	size_t i;

	if (getuid() != 0)
		skip_all("Postfix starts as root only");
	if (access("/usr/sbin/postfix", X_OK) != 0)
		skip_all("postfix is not installed (Debian package postfix)");
	if (access("/usr/lib/dovecot/lmtp", X_OK) != 0)
		skip_all("Dovecot's LMTP is not installed (dovecot-lmtpd)");
	if (harness == NULL)
		skip_all("MAILFS_HARNESS_DIR is not set (run through make check)");
	snprintf(postfix_script, sizeof(postfix_script), "%s/postfix.sh",
	    harness);
	itest_start(&env, "--postfix");
	/* Beside the Dovecot, in the folder testenv removes at exit. */
	snprintf(postfix_dir, sizeof(postfix_dir), "%s", env.dir);
	if ((slash = strrchr(postfix_dir, '/')) == NULL)
		bail_out("no folder for Postfix");
	snprintf(slash, sizeof(postfix_dir) - (size_t)(slash - postfix_dir),
	    "/postfix");
	atexit(stop_postfix);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, &old_sa[i]);
	if (postfix_sh("start", out, sizeof(out)) == -1)
		bail_out("postfix.sh did not start Postfix");
	assignment(out, "SMTP_PORT", smtp_port, sizeof(smtp_port));
	assignment(out, "SMTPS_PORT", smtps_port, sizeof(smtps_port));
	assignment(out, "TEST_ADDR", addr1, sizeof(addr1));
	assignment(out, "TEST_ADDR2", addr2, sizeof(addr2));
	if (smtp_port[0] == '\0' || smtps_port[0] == '\0' || addr1[0] == '\0')
		bail_out("postfix.sh printed no ports or addresses");
}

static struct mailfs_smtp *
smtp_client(enum mailfs_security sec, struct trace *tr)
{
	struct mailfs_smtp_params p;
	struct mailfs_smtp *s;

	memset(&p, 0, sizeof(p));
	p.host = "127.0.0.1";
	p.port = sec == MAILFS_SEC_IMPLICIT_TLS ? smtps_port : smtp_port;
	p.security = sec;
	p.ca_file = env.ca;
	p.connect_timeout_ms = 10000;
	p.io_timeout_ms = 10000;
	p.final_timeout_ms = 20000;
	p.trace = trace_record;
	p.trace_ctx = tr;
	if ((s = mailfs_smtp_new(&p)) == NULL)
		bail_out("mailfs_smtp_new");
	return s;
}

static void
diag_smtp(struct mailfs_smtp *s, const struct trace *tr, const char *what)
{
	diag("%s: %s: %s", what, mailfs_errkind_name(mailfs_smtp_error(s)->kind),
	    mailfs_smtp_error(s)->msg);
	trace_dump(tr, 10);
}

/* What a server stores for the message: CRLF line ends, dots undone. */
static char *
expected(const char *msg, size_t *len_r)
{
	size_t i, n = 0, len = strlen(msg);
	char *out;

	if ((out = malloc(2 * len + 3)) == NULL)
		bail_out("malloc");
	for (i = 0; i < len; i++) {
		if (msg[i] == '\r' || msg[i] == '\n') {
			if (msg[i] == '\r' && msg[i + 1] == '\n')
				i++;
			out[n++] = '\r';
			out[n++] = '\n';
		} else
			out[n++] = msg[i];
	}
	if (n < 2 || out[n - 1] != '\n') {
		out[n++] = '\r';
		out[n++] = '\n';
	}
	*len_r = n;
	return out;
}

static char sent_msg[2][1024];

static void
test_send(enum mailfs_security sec, int i)
{
	const char *rcpt[] = { addr1 };
	struct mailfs_smtp_envelope envl = { addr1, rcpt, 1, 0, NULL };
	struct mailfs_smtp_result res;
	struct trace tr = { 0 };
	struct mailfs_smtp *s = smtp_client(sec, &tr);
	const char *what = sec == MAILFS_SEC_IMPLICIT_TLS ? "implicit TLS" :
	    "STARTTLS";
	char subject[64];

	snprintf(subject, sizeof(subject), "smtp-test-%d-%ld", i, (long)getpid());
	snprintf(sent_msg[i], sizeof(sent_msg[i]), body_fmt, addr1, addr1,
	    subject, subject);
	if (!ok(mailfs_smtp_connect(s) == 0, "%s: connect", what))
		diag_smtp(s, &tr, what);
	ok((mailfs_smtp_extensions(s) & (MAILFS_SMTP_EXT_AUTH |
	    MAILFS_SMTP_EXT_PIPELINING | MAILFS_SMTP_EXT_ENHANCEDSTATUSCODES)) ==
	    (MAILFS_SMTP_EXT_AUTH | MAILFS_SMTP_EXT_PIPELINING |
	    MAILFS_SMTP_EXT_ENHANCEDSTATUSCODES) &&
	    !(mailfs_smtp_extensions(s) & MAILFS_SMTP_EXT_STARTTLS),
	    "%s: AUTH, PIPELINING, ENHANCEDSTATUSCODES; no STARTTLS left", what);
	if (!ok(mailfs_smtp_login(s, env.user, env.password) == 0,
	    "%s: AUTH with the IMAP password", what))
		diag_smtp(s, &tr, what);
	memset(&res, 0, sizeof(res));
	if (!ok(mailfs_smtp_send(s, &envl, sent_msg[i], strlen(sent_msg[i]),
	    &res) == 0 && res.outcome == MAILFS_SMTP_SENT &&
	    res.final.code == 250, "%s: sent to %s", what, addr1))
		diag_smtp(s, &tr, what);
	mailfs_smtp_result_clear(&res);
	ok(mailfs_smtp_quit(s) == 0, "%s: QUIT", what);
	ok(!trace_contains(&tr, env.password), "%s: the password is not in "
	    "the trace", what);
	mailfs_smtp_free(&s);
	trace_clear(&tr);
}

/* Postfix's message_size_limit, as SIZE says it: refused before MAIL. */
static void
test_size(struct mailfs_smtp *s)
{
	const char *rcpt[] = { addr1 };
	struct mailfs_smtp_envelope envl = { addr1, rcpt, 1, 0, NULL };
	uint64_t max = mailfs_smtp_max_size(s);
	size_t len, i;
	char *big;

	if (!ok(max > 0 && max < 256u << 20, "SIZE %llu",
	    (unsigned long long)max))
		return;
	len = (size_t)max + 1;
	if ((big = malloc(len)) == NULL)
		bail_out("malloc");
	for (i = 0; i < len; i++)
		big[i] = i % 80 == 79 ? '\n' : 'y';
	ok(mailfs_smtp_send(s, &envl, big, len, NULL) == -1 &&
	    mailfs_smtp_error(s)->kind == MAILFS_ERR_LIMIT &&
	    mailfs_smtp_is_ready(s), "a message over SIZE: refused before "
	    "MAIL (%s)", mailfs_smtp_error(s)->msg);
	free(big);
}

static void
test_partial(void)
{
	const char *rcpt[] = { addr1, "nobody@example.test",
	    "someone@elsewhere.test" };
	struct mailfs_smtp_envelope envl = { addr1, rcpt, 3, 0, NULL };
	struct mailfs_smtp_result res;
	struct trace tr = { 0 };
	struct mailfs_smtp *s = smtp_client(MAILFS_SEC_IMPLICIT_TLS, &tr);
	static const char msg[] = "Subject: partial\r\n\r\nhello\r\n";
	int rv;

	if (mailfs_smtp_connect(s) == -1 ||
	    mailfs_smtp_login(s, env.user, env.password) == -1)
		diag_smtp(s, &tr, "partial");
	memset(&res, 0, sizeof(res));
	rv = mailfs_smtp_send(s, &envl, msg, strlen(msg), &res);
	ok(rv == -1 && res.outcome == MAILFS_SMTP_PARTIAL &&
	    res.naccepted == 1 && mailfs_smtp_error(s)->kind == MAILFS_ERR_NO,
	    "one of three recipients: partial (%s)",
	    mailfs_smtp_outcome_name(res.outcome));
	if (res.nrcpts == 3) {
		ok(res.rcpts[0].accepted && res.rcpts[1].reply.code == 550 &&
		    strcmp(res.rcpts[1].reply.enhanced, "5.1.1") == 0,
		    "an unknown local user: %u %s %s", res.rcpts[1].reply.code,
		    res.rcpts[1].reply.enhanced, res.rcpts[1].reply.text ?
		    res.rcpts[1].reply.text : "");
		ok(res.rcpts[2].reply.code == 554 &&
		    strcmp(res.rcpts[2].reply.enhanced, "5.7.1") == 0,
		    "another domain: %u %s %s", res.rcpts[2].reply.code,
		    res.rcpts[2].reply.enhanced, res.rcpts[2].reply.text ?
		    res.rcpts[2].reply.text : "");
	} else
		ok(0, "no per-recipient results");
	mailfs_smtp_result_clear(&res);
	test_size(s);
	mailfs_smtp_quit(s);
	mailfs_smtp_free(&s);
	trace_clear(&tr);
}

static void
test_wrong_password(void)
{
	struct trace tr = { 0 };
	struct mailfs_smtp *s = smtp_client(MAILFS_SEC_STARTTLS, &tr);
	static const char pw[] = "not-the-password-4711";

	if (mailfs_smtp_connect(s) == -1)
		diag_smtp(s, &tr, "wrong password");
	ok(mailfs_smtp_login(s, env.user, pw) == -1 &&
	    mailfs_smtp_error(s)->kind == MAILFS_ERR_AUTH,
	    "a wrong password: auth (%s)", mailfs_smtp_error(s)->msg);
	ok(strstr(mailfs_smtp_error(s)->msg, pw) == NULL &&
	    !trace_contains(&tr, pw), "a wrong password: not in the error, "
	    "not in the trace");
	mailfs_smtp_free(&s);
	trace_clear(&tr);
}

/* Waits for n messages in INBOX, then finds each sent one, byte for byte. */
static void
test_read_back(void)
{
	struct trace tr = { 0 };
	struct mailfs_client *c = itest_login(&env, MAILFS_SEC_IMPLICIT_TLS,
	    &tr, NULL);
	struct mailfs_fetch_spec spec;
	struct mailfs_handlers hd;
	struct collector col;
	const struct mailfs_mailbox_state *mb;
	size_t i, k, want_len;
	char *want;
	int tries, found;

	for (tries = 0; tries < 100; tries++) {
		if (itest_run(c, mailfs_select(c, "INBOX", 0, NULL, NULL), NULL,
		    &tr) == -1)
			break;
		if ((mb = mailfs_client_mailbox(c)) != NULL && mb->exists >= 3)
			break;
		poll(NULL, 0, 100);
	}
	mb = mailfs_client_mailbox(c);
	ok(mb != NULL && mb->exists == 3, "three messages were delivered to "
	    "INBOX (%u)", mb != NULL ? mb->exists : 0);
	collector_init(&col);
	hd = collector_handlers(&col, 0);
	memset(&spec, 0, sizeof(spec));
	spec.items = MAILFS_FETCH_BODY;
	itest_run(c, mailfs_uid_fetch(c, "1:*", &spec, &hd), NULL, &tr);
	for (i = 0; i < 2; i++) {
		want = expected(sent_msg[i], &want_len);
		found = 0;
		for (k = 0; k < col.nmsgs; k++) {
			const struct fetched *f = &col.msgs[k];

			if (f->body_len >= want_len && memcmp(f->body +
			    f->body_len - want_len, want, want_len) == 0 &&
			    (f->body_len == want_len ||
			    f->body[f->body_len - want_len - 1] == '\n'))
				found = 1;
		}
		ok(found, "%s: read back over IMAP, byte for byte after the "
		    "trace headers (dots undone, line ends CRLF)", i == 0 ?
		    "STARTTLS" : "implicit TLS");
		free(want);
	}
	collector_free(&col);
	mailfs_client_logout(c);
	mailfs_client_free(&c);
	trace_clear(&tr);
}

int
main(void)
{
	start_postfix();
	test_send(MAILFS_SEC_STARTTLS, 0);
	test_send(MAILFS_SEC_IMPLICIT_TLS, 1);
	test_partial();
	test_wrong_password();
	test_read_back();
	stop_postfix();
	testenv_stop(&env);
	return done_testing();
}
