/*
 * AUTH (RFC 4954): the exchange for any SASL mechanism through
 * struct mailfs_smtp_mech (sasl_wire.h runs it), with PLAIN or LOGIN
 * (<mailfs/sasl.h>) for a password.  Only over TLS.  Credentials and responses are never
 * traced (the trace shows "***"), never put in an error, and wiped from
 * memory after use; replies to AUTH are traced and reported without
 * their text, which a server may have filled with what it was sent.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mailfs/sasl.h>

#include "buf.h"
#include "conn.h"
#include "errors.h"
#include "sasl_wire.h"
#include "smtp_reply.h"
#include "smtp_session.h"

/*
 * The longest AUTH line, CRLF included, that carries the initial
 * response.  RFC 4954 4 has servers take 12288 octets, but Postfix reads
 * commands up to its line_length_limit, 2048 by default, and cuts the
 * rest (its limit for a response after a 334 is 12288): a longer
 * response, an OAuth2 token of a few kilobytes, waits for the first 334.
 */
#define AUTH_LINE_INLINE_MAX	2048

/* ---- the exchange, through sasl_exchange() ---- */

struct smtp_sasl {
	struct mailfs_smtp *s;
	const char *name;
};

static int
sasl_send(void *ctx, const char *line, const char *trace_as)
{
	struct smtp_sasl *a = ctx;

	return smtp_send_line(a->s, line, trace_as);
}

static void
sasl_drop(void *ctx)
{
	struct smtp_sasl *a = ctx;

	smtp_drop(a->s);
}

static void
auth_failed(struct mailfs_smtp *s, const char *name)
{
	const struct smtp_reply *r = &s->parser.reply;
	char prefix[128];

	if (smtp_closing(s))
		return;
	if (r->code == 535) {
		smtp_refusal(s, "the SMTP server rejected the user name or "
		    "password", r, 0);
		s->err.kind = MAILFS_ERR_AUTH;
		return;
	}
	snprintf(prefix, sizeof(prefix), "the SMTP server refused AUTH %s",
	    name);
	smtp_refusal(s, prefix, r, 0);
}

/* 235 is done, 334 a challenge (of one line), anything else a refusal. */
static enum sasl_answer
sasl_next(void *ctx, const char **text_r, size_t *len_r)
{
	struct smtp_sasl *a = ctx;
	const struct smtp_reply *r = &a->s->parser.reply;

	if (smtp_read_reply(a->s, a->s->io_timeout_ms) == -1)
		return SASL_FAILED;
	if (r->code == 235)
		return SASL_DONE;
	if (r->code != 334) {
		auth_failed(a->s, a->name);
		return SASL_REFUSED;
	}
	/* A challenge of more than one line is not base64 ("!"). */
	*text_r = r->nlines != 1 ? "!" : r->text.data != NULL ?
	    r->text.data : "";
	*len_r = strlen(*text_r);
	return SASL_CHALLENGE;
}

/* The exchange itself, from the AUTH line to 235 or a failure. */
static int
exchange(struct mailfs_smtp *s, const struct mailfs_smtp_mech *mech)
{
	struct smtp_sasl a = { s, mech->name };
	struct sasl_io io = { sasl_send, sasl_next, sasl_drop, &a, &s->err,
	    "SMTP", AUTH_LINE_INLINE_MAX };

	return sasl_exchange(&io, mech->name, mech->step, mech->ctx);
}

int
mailfs_smtp_auth(struct mailfs_smtp *s, const struct mailfs_smtp_mech *mech)
{
	int rc;

	if (mech == NULL || mech->step == NULL ||
	    !sasl_valid_mech_name(mech->name)) {
		error_set(&s->err, MAILFS_ERR_USAGE, "AUTH: no mechanism, or "
		    "a name that is not a SASL mechanism's");
		return -1;
	}
	if (s->conn == NULL || s->state != SMTP_ST_READY) {
		error_set(&s->err, MAILFS_ERR_USAGE, "AUTH: %s", s->conn ==
		    NULL ? "not connected" : "the session is not ready");
		return -1;
	}
	if (s->authenticated) {
		error_set(&s->err, MAILFS_ERR_USAGE, "AUTH: already "
		    "authenticated");
		return -1;
	}
	if (!conn_is_tls(s->conn)) {
		error_set(&s->err, MAILFS_ERR_USAGE, "AUTH: refusing to send "
		    "credentials without TLS");
		return -1;
	}
	if (!mailfs_smtp_has_extension(s, "AUTH", mech->name)) {
		error_set(&s->err, MAILFS_ERR_UNSUPPORTED, "the SMTP server "
		    "does not offer AUTH %s", mech->name);
		return -1;
	}
	error_clear(&s->err);
	smtp_set_state(s, SMTP_ST_AUTH);
	s->mask_replies = 1;
	rc = exchange(s, mech);
	s->mask_replies = 0;
	if (s->conn == NULL)
		return -1;
	smtp_set_state(s, SMTP_ST_READY);
	if (rc == 0) {
		s->authenticated = 1;
		smtp_trace(s, MAILFS_TRACE_INFO, "authenticated with %s",
		    mech->name);
	}
	return rc;
}

int
mailfs_smtp_login(struct mailfs_smtp *s, const char *user,
    const char *password)
{
	struct mailfs_sasl_password cr;
	struct mailfs_smtp_mech mech;

	if (user == NULL || password == NULL || *user == '\0' ||
	    strlen(user) > SASL_CREDENTIAL_MAX ||
	    strlen(password) > SASL_CREDENTIAL_MAX) {
		error_set(&s->err, MAILFS_ERR_USAGE, "login: the user name or "
		    "password is missing or too long");
		return -1;
	}
	cr.user = user;
	cr.password = password;
	mech.ctx = &cr;
	/*
	 * PLAIN when offered, else LOGIN; with neither, mailfs_smtp_auth()
	 * says what is missing (the connection, TLS, or the mechanism).
	 */
	if (!mailfs_smtp_has_extension(s, "AUTH", "PLAIN") &&
	    mailfs_smtp_has_extension(s, "AUTH", "LOGIN")) {
		mech.name = "LOGIN";
		mech.step = mailfs_sasl_login_step;
	} else {
		mech.name = "PLAIN";
		mech.step = mailfs_sasl_plain_step;
	}
	return mailfs_smtp_auth(s, &mech);
}
