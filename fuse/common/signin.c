/*
 * Signing in with a password or an OAuth2 token (see signin.h).  The
 * choice of mechanism and the second chance for an expired token are
 * the same for IMAP and SMTP: they are written once, over a small table
 * of each protocol's calls.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <mailfs/sasl.h>

#include "deadline.h"
#include "signin.h"

static enum signin_auth signin_auth;
static const char *signin_command;
static unsigned signin_timeout = 30;

/* One protocol's calls, on its connection (conn). */
struct proto {
	const char *name;		/* "IMAP", "SMTP": for sentences */
	int (*offers)(void *conn, const char *mech);
	int (*auth)(void *conn, const struct mailfs_sasl_mech *mech);
	int (*login)(void *conn, const char *user, const char *password);
	const struct mailfs_error *(*error)(void *conn);
	/* The error's words when they are the library's password sentence. */
	const char *password_words;
};

int
signin_parse_auth(const char *text, enum signin_auth *auth_r)
{
	static const struct {
		const char *name;
		enum signin_auth auth;
	} names[] = {
		{ "plain", SIGNIN_PLAIN },
		{ "login", SIGNIN_LOGIN },
		{ "xoauth2", SIGNIN_XOAUTH2 },
		{ "oauthbearer", SIGNIN_OAUTHBEARER }
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcasecmp(text, names[i].name) == 0) {
			*auth_r = names[i].auth;
			return 0;
		}
	return EINVAL;
}

void
signin_configure(enum signin_auth auth, const char *token_command,
    unsigned timeout_s)
{
	signin_auth = auth;
	signin_command = token_command;
	signin_timeout = timeout_s;
}

int
signin_uses_token(void)
{
	return signin_command != NULL;
}

static void fail(struct mailfs_error *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

static void
fail(struct mailfs_error *err, const char *fmt, ...)
{
	va_list ap;

	memset(err, 0, sizeof(*err));
	err->kind = MAILFS_ERR_AUTH;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
}

/* The server's words without the library's password sentence. */
static const char *
reason(const struct proto *p, const struct mailfs_error *e)
{
	size_t n = strlen(p->password_words);

	if (strncmp(e->msg, p->password_words, n) == 0)
		return e->msg + n;
	return e->msg;
}

/* The mechanism for the token: -o auth=, else OAUTHBEARER, else XOAUTH2. */
static int
choose(const struct proto *p, void *conn, enum mailfs_oauth_kind *kind_r,
    struct mailfs_error *err)
{
	if (signin_auth == SIGNIN_XOAUTH2 || (signin_auth != SIGNIN_OAUTHBEARER &&
	    !p->offers(conn, "OAUTHBEARER")))
		*kind_r = MAILFS_OAUTH_XOAUTH2;
	else
		*kind_r = MAILFS_OAUTH_BEARER;
	if (p->offers(conn, mailfs_oauth_name(*kind_r)))
		return 0;
	if (signin_auth == SIGNIN_AUTO)
		fail(err, "the %s server offers neither OAUTHBEARER nor XOAUTH2",
		    p->name);
	else
		fail(err, "the %s server does not offer %s (-o auth=)", p->name,
		    mailfs_oauth_name(*kind_r));
	return -1;
}

/*
 * The password: by the mechanism -o auth= names, else as the library
 * chooses (PLAIN when offered, else LOGIN).
 */
static int
with_password(const struct proto *p, void *conn, const char *user,
    const struct secret *password, struct mailfs_error *err_r)
{
	struct mailfs_sasl_password cr;
	struct mailfs_sasl_mech mech;
	int rc;

	if (password == NULL || password->buf == NULL) {
		fail(err_r, "no password for the %s server", p->name);
		return -1;
	}
	if (signin_auth != SIGNIN_PLAIN && signin_auth != SIGNIN_LOGIN)
		rc = p->login(conn, user, password->buf);
	else {
		cr.user = user;
		cr.password = password->buf;
		mech.name = signin_auth == SIGNIN_PLAIN ? "PLAIN" : "LOGIN";
		mech.step = signin_auth == SIGNIN_PLAIN ?
		    mailfs_sasl_plain_step : mailfs_sasl_login_step;
		mech.ctx = &cr;
		if (!p->offers(conn, mech.name)) {
			fail(err_r, "the %s server does not offer %s (-o auth=)",
			    p->name, mech.name);
			return -1;
		}
		rc = p->auth(conn, &mech);
	}
	if (rc == -1)
		*err_r = *p->error(conn);
	return rc;
}

/*
 * Seconds the token command may take: the timeout, or what is left of
 * the running operation's (deadline.h), at least one.
 */
static int
command_seconds(void)
{
	long left = deadline_left_ms();

	if (left < 0 || left >= (long)signin_timeout * 1000)
		return (int)signin_timeout;
	return left < 1000 ? 1 : (int)((left + 999) / 1000);
}

static int
signin(const struct proto *p, void *conn, const char *user,
    const struct secret *password, const char *host, const char *port,
    struct mailfs_error *err_r)
{
	enum mailfs_oauth_kind kind;
	struct mailfs_oauth *o;
	struct mailfs_sasl_mech mech;
	struct secret token = { NULL, 0, 0 };
	char why[256], status[80], words[sizeof(err_r->msg)];
	unsigned attempt;
	int rc;

	if (signin_command == NULL)
		return with_password(p, conn, user, password, err_r);
	if (choose(p, conn, &kind, err_r) == -1)
		return -1;
	for (attempt = 0; attempt < 2; attempt++) {
		if (token_get(signin_command, command_seconds(), &token, why,
		    sizeof(why)) != 0) {
			fail(err_r, "%s%s", why, attempt > 0 ? " when run again "
			    "after the server refused its token" : "");
			return -1;
		}
		o = mailfs_oauth_new(kind, user, token.buf, host, port);
		secret_wipe(&token);
		if (o == NULL) {
			fail(err_r, "%s", errno == ENOMEM ? "out of memory" :
			    "the token command printed something that is not a "
			    "token (a space or a control character)");
			return -1;
		}
		mech = mailfs_oauth_mech(o);
		rc = p->auth(conn, &mech);
		if (rc == 0) {
			mailfs_oauth_free(&o);
			return 0;
		}
		*err_r = *p->error(conn);
		snprintf(status, sizeof(status), "%s%s%s", mailfs_oauth_status(o) !=
		    NULL && *mailfs_oauth_status(o) != '\0' ? ", status " : "",
		    mailfs_oauth_status(o) != NULL ? mailfs_oauth_status(o) : "",
		    attempt > 0 ? ", also after running the token command again" : "");
		mailfs_oauth_free(&o);
		/* Only a refusal is worth a new token; a lost connection is not. */
		if (err_r->kind != MAILFS_ERR_AUTH)
			return -1;
	}
	snprintf(words, sizeof(words), "%s", reason(p, err_r));
	fail(err_r, "the %s server refused the OAuth2 token (%s): %s", p->name,
	    status + 2, words);
	return -1;
}

/* ---- IMAP ---- */

static int
imap_offers(void *conn, const char *mech)
{
	char cap[32];

	snprintf(cap, sizeof(cap), "AUTH=%s", mech);
	return mailfs_client_has_capability(conn, cap);
}

static int
imap_auth(void *conn, const struct mailfs_sasl_mech *mech)
{
	return mailfs_client_authenticate(conn, mech);
}

static int
imap_login(void *conn, const char *user, const char *password)
{
	return mailfs_client_login(conn, user, password);
}

static const struct mailfs_error *
imap_error(void *conn)
{
	return mailfs_client_error(conn);
}

static const struct proto imap_proto = {
	"IMAP", imap_offers, imap_auth, imap_login, imap_error, ""
};

int
signin_imap(struct mailfs_client *c, const char *user,
    const struct secret *password, const char *host, const char *port,
    struct mailfs_error *err_r)
{
	return signin(&imap_proto, c, user, password, host, port, err_r);
}

/* ---- SMTP ---- */

static int
smtp_offers(void *conn, const char *mech)
{
	return mailfs_smtp_has_extension(conn, "AUTH", mech);
}

static int
smtp_auth(void *conn, const struct mailfs_sasl_mech *mech)
{
	struct mailfs_smtp_mech m;

	m.name = mech->name;
	m.step = mech->step;
	m.ctx = mech->ctx;
	return mailfs_smtp_auth(conn, &m);
}

static int
smtp_login(void *conn, const char *user, const char *password)
{
	return mailfs_smtp_login(conn, user, password);
}

static const struct mailfs_error *
smtp_error(void *conn)
{
	return mailfs_smtp_error(conn);
}

static const struct proto smtp_proto = {
	"SMTP", smtp_offers, smtp_auth, smtp_login, smtp_error,
	"the SMTP server rejected the user name or password: "
};

int
signin_smtp(struct mailfs_smtp *s, const char *user,
    const struct secret *password, const char *host, const char *port,
    struct mailfs_error *err_r)
{
	return signin(&smtp_proto, s, user, password, host, port, err_r);
}

/* ---- POP3 ---- */

static int
pop3_offers(void *conn, const char *mech)
{
	return mailfs_pop3_has_sasl(conn, mech);
}

static int
pop3_auth(void *conn, const struct mailfs_sasl_mech *mech)
{
	struct mailfs_pop3_mech m;

	m.name = mech->name;
	m.step = mech->step;
	m.ctx = mech->ctx;
	return mailfs_pop3_auth(conn, &m);
}

static int
pop3_login(void *conn, const char *user, const char *password)
{
	return mailfs_pop3_login(conn, user, password);
}

static const struct mailfs_error *
pop3_error(void *conn)
{
	return mailfs_pop3_error(conn);
}

static const struct proto pop3_proto = {
	"POP3", pop3_offers, pop3_auth, pop3_login, pop3_error,
	"the POP3 server refused AUTH: "
};

int
signin_pop3(struct mailfs_pop3 *p, const char *user,
    const struct secret *password, const char *host, const char *port,
    struct mailfs_error *err_r)
{
	return signin(&pop3_proto, p, user, password, host, port, err_r);
}
