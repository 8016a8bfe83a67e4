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
/* A response longer than this is a mistake, not a token. */
#define AUTH_RESPONSE_MAX	(64 * 1024)
/* Challenges answered before the exchange is given up. */
#define AUTH_STEPS_MAX		8

/* ---- PLAIN and LOGIN as mechanisms ---- */

struct credentials {
	const char *user;
	const char *password;
};

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

/* "\0user\0password" as the initial response; nothing after (RFC 4616). */
static int
plain_step(void *ctx, unsigned step, const unsigned char *challenge,
    size_t challenge_len, unsigned char **response_r, size_t *len_r)
{
	const struct credentials *cr = ctx;

	(void)challenge;
	(void)challenge_len;
	*response_r = NULL;
	*len_r = 0;
	if (step > 0)
		return 0;
	return sasl_plain(cr->user, cr->password, response_r, len_r);
}

/* No initial response; the user name, then the password. */
static int
login_step(void *ctx, unsigned step, const unsigned char *challenge,
    size_t challenge_len, unsigned char **response_r, size_t *len_r)
{
	const struct credentials *cr = ctx;
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

/* ---- the exchange ---- */

/*
 * A 334's text decoded from base64 into a new buffer; -1 when it is not
 * base64 (or out of memory).
 */
static int
decode_challenge(const struct smtp_reply *r, unsigned char **out_r,
    size_t *len_r)
{
	const char *t = r->text.data != NULL ? r->text.data : "";

	if (r->nlines != 1)
		return -1;
	return sasl_unbase64(t, strlen(t), out_r, len_r);
}

/*
 * Sends a response (base64, "=" for an empty one) on a line of its own,
 * or as the rest of "AUTH NAME" when prefix is not NULL.  0 or -1.
 */
static int
send_response(struct mailfs_smtp *s, const char *prefix,
    const unsigned char *resp, size_t len)
{
	struct buf line;
	char *b64 = NULL;
	char shown[96];
	int rc = -1;

	buf_init(&line, AUTH_RESPONSE_MAX * 2);
	if (len > 0 && (b64 = sasl_base64(resp, len)) == NULL) {
		error_set_sys(&s->err, ENOMEM, "AUTH");
		return -1;
	}
	if ((prefix != NULL && (buf_append_str(&line, prefix) == -1 ||
	    buf_append(&line, " ", 1) == -1)) ||
	    buf_append_str(&line, b64 != NULL ? b64 : "=") == -1) {
		error_set_sys(&s->err, ENOMEM, "AUTH");
		goto out;
	}
	snprintf(shown, sizeof(shown), "%s%s***", prefix != NULL ? prefix : "",
	    prefix != NULL ? " " : "");
	rc = smtp_send_line(s, line.data, shown);
out:
	if (b64 != NULL) {
		smtp_wipe(b64, strlen(b64));
		free(b64);
	}
	if (line.data != NULL)
		smtp_wipe(line.data, line.len);
	buf_free(&line);
	return rc;
}

/* Cancels the exchange ("*", RFC 4954 4) and reads the server's answer. */
static void
cancel(struct mailfs_smtp *s)
{
	struct mailfs_error err = s->err;

	if (smtp_send_line(s, "*", NULL) == 0)
		smtp_read_reply(s, s->io_timeout_ms);
	s->err = err;
}

static int
auth_failed(struct mailfs_smtp *s, const char *name)
{
	const struct smtp_reply *r = &s->parser.reply;
	char prefix[128];

	if (smtp_closing(s))
		return -1;
	if (r->code == 535) {
		smtp_refusal(s, "the SMTP server rejected the user name or "
		    "password", r, 0);
		s->err.kind = MAILFS_ERR_AUTH;
		return -1;
	}
	snprintf(prefix, sizeof(prefix), "the SMTP server refused AUTH %s",
	    name);
	smtp_refusal(s, prefix, r, 0);
	return -1;
}

/* The exchange itself, from the AUTH line to 235 or a failure. */
static int
exchange(struct mailfs_smtp *s, const struct mailfs_smtp_mech *mech)
{
	const struct smtp_reply *r = &s->parser.reply;
	unsigned char *resp = NULL, *chal = NULL;
	size_t rlen = 0, clen = 0;
	char cmd[96];
	unsigned step;
	int rc = -1, held;

	snprintf(cmd, sizeof(cmd), "AUTH %s", mech->name);
	if (mech->step(mech->ctx, 0, NULL, 0, &resp, &rlen) == -1 ||
	    rlen > AUTH_RESPONSE_MAX) {
		error_set(&s->err, MAILFS_ERR_USAGE, "the %s mechanism "
		    "failed to make its response", mech->name);
		goto out;
	}
	/* The initial response rides on the line when the line stays short. */
	held = resp != NULL && strlen(cmd) + 1 + 4 * ((rlen + 2) / 3) + 2 >
	    AUTH_LINE_MAX;
	if (resp != NULL && !held) {
		if (send_response(s, cmd, resp, rlen) == -1)
			goto out;
	} else if (smtp_send_line(s, cmd, NULL) == -1)
		goto out;
	if (!held)
		sasl_free_secret(&resp, rlen);
	for (step = 1;; step++) {
		if (smtp_read_reply(s, s->io_timeout_ms) == -1)
			goto out;
		if (r->code == 235)
			break;
		if (r->code != 334) {
			auth_failed(s, mech->name);
			goto out;
		}
		if (step > AUTH_STEPS_MAX) {
			error_set(&s->err, MAILFS_ERR_PROTOCOL, "the SMTP "
			    "server sent too many AUTH challenges");
			cancel(s);
			goto out;
		}
		if (held) {
			held = 0;
		} else {
			if (decode_challenge(r, &chal, &clen) == -1) {
				error_set(&s->err, MAILFS_ERR_PROTOCOL, "the "
				    "SMTP server sent a challenge that is not "
				    "base64");
				cancel(s);
				goto out;
			}
			rc = mech->step(mech->ctx, step, chal, clen, &resp,
			    &rlen);
			sasl_free_secret(&chal, clen);
			if (rc == -1 || resp == NULL ||
			    rlen > AUTH_RESPONSE_MAX) {
				rc = -1;
				error_set(&s->err, MAILFS_ERR_AUTH, "the %s "
				    "mechanism gave up after the server's "
				    "challenge %u", mech->name, step);
				cancel(s);
				goto out;
			}
		}
		rc = send_response(s, NULL, resp, rlen);
		sasl_free_secret(&resp, rlen);
		if (rc == -1)
			goto out;
		rc = -1;
	}
	rc = 0;
out:
	sasl_free_secret(&resp, rlen);
	sasl_free_secret(&chal, clen);
	return rc;
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
	struct credentials cr;
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
		mech.step = plain_step;
	}
	return mailfs_smtp_auth(s, &mech);
}
