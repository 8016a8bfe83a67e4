/*
 * AUTH (RFC 4954): the exchange for any SASL mechanism through
 * struct mailfs_smtp_mech, and the two the library knows, PLAIN
 * (RFC 4616) and LOGIN (draft-murchison-sasl-login), written as such
 * mechanisms.  Only over TLS.  Credentials and responses are never
 * traced (the trace shows "***"), never put in an error, and wiped from
 * memory after use; replies to AUTH are traced and reported without
 * their text, which a server may have filled with what it was sent.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "conn.h"
#include "errors.h"
#include "sasl.h"
#include "smtp_reply.h"
#include "smtp_session.h"

/* RFC 4954 4: the AUTH command line, CRLF included. */
#define AUTH_LINE_MAX		12288

/* ---- PLAIN and LOGIN as mechanisms ---- */

static int
copy_response(const void *a, size_t alen, const void *b, size_t blen,
    unsigned char **response_r, size_t *len_r)
{
	unsigned char *p;

	if ((p = malloc(alen + blen + 1)) == NULL)
		return -1;
	memcpy(p, a, alen);
	memcpy(p + alen, b, blen);
	*response_r = p;
	*len_r = alen + blen;
	return 0;
}

/* No initial response; the user name, then the password. */
static int
login_step(void *ctx, unsigned step, const unsigned char *challenge,
    size_t challenge_len, unsigned char **response_r, size_t *len_r)
{
	const struct sasl_credentials *cr = ctx;
	const char *what;

	(void)challenge;
	(void)challenge_len;
	*response_r = NULL;
	*len_r = 0;
	if (step == 0 || step > 2)
		return 0;
	what = step == 1 ? cr->user : cr->password;
	return copy_response(what, strlen(what), "", 0, response_r, len_r);
}

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
	struct sasl_io io = { sasl_send, sasl_next, &a, &s->err, "SMTP",
	    AUTH_LINE_MAX };

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
	struct sasl_credentials cr;
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
		mech.step = login_step;
	} else {
		mech.name = "PLAIN";
		mech.step = sasl_plain_step;
	}
	return mailfs_smtp_auth(s, &mech);
}
