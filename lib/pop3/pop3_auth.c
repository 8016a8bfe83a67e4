/*
 * Logging in: USER and PASS (RFC 1939 7), AUTH (RFC 5034) for any SASL
 * mechanism through struct mailfs_pop3_mech, PLAIN (RFC 4616) among
 * them.  Only over TLS.  Credentials and responses are never traced (the
 * trace shows "***"), never put in an error, and wiped from memory after
 * use; the answers to PASS and AUTH are traced and reported without
 * their text, which a server may have filled with what it was sent.
 * After a login, CAPA again (RFC 2449 5).
 *
 * A -ERR to the credentials is MAILFS_ERR_AUTH, unless its response code
 * says the credentials were not the trouble (RFC 2449 8.1, RFC 3206):
 * [IN-USE], [LOGIN-DELAY] and [SYS/TEMP] are MAILFS_ERR_NO, so that a
 * caller tries again later instead of asking for another password.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "conn.h"
#include "errors.h"
#include "pop3_reply.h"
#include "pop3_session.h"
#include "sasl.h"

/* A response longer than this is a mistake, not a token. */
#define AUTH_RESPONSE_MAX	(64 * 1024)
/* Challenges answered before the exchange is given up. */
#define AUTH_STEPS_MAX		8

/* The -ERR just read, to a command that carried credentials or led to them. */
static void
login_refused(struct mailfs_pop3 *p, const char *prefix, int with_text)
{
	pop3_refusal(p, prefix, with_text);
	switch (p->err.code) {
	case MAILFS_CODE_INUSE:
	case MAILFS_CODE_LOGIN_DELAY:
	case MAILFS_CODE_SYS_TEMP:
		break;
	default:
		p->err.kind = MAILFS_ERR_AUTH;
	}
}

/* The checks before any login: connected, not yet logged in, TLS. */
static int
may_login(struct mailfs_pop3 *p)
{
	if (p->conn == NULL || p->state != POP3_ST_AUTHORIZATION) {
		error_set(&p->err, MAILFS_ERR_USAGE, "login: %s",
		    p->conn == NULL ? "not connected" :
		    "already logged in, or the session is not ready");
		return -1;
	}
	if (!conn_is_tls(p->conn)) {
		error_set(&p->err, MAILFS_ERR_USAGE, "login: refusing to send "
		    "credentials without TLS");
		return -1;
	}
	return 0;
}

/* After +OK to the credentials: TRANSACTION, and CAPA again. */
static int
logged_in(struct mailfs_pop3 *p, const char *how)
{
	pop3_set_state(p, POP3_ST_TRANSACTION);
	pop3_trace(p, MAILFS_TRACE_INFO, "logged in with %s", how);
	if (pop3_capa(p) == -1)
		return -1;
	error_clear(&p->err);
	return 0;
}

/* Afterwards: back to AUTHORIZATION unless dropped or logged in. */
static int
finish(struct mailfs_pop3 *p, int rc)
{
	p->mask_replies = 0;
	if (p->conn != NULL && p->state == POP3_ST_AUTH)
		pop3_set_state(p, POP3_ST_AUTHORIZATION);
	return p->conn == NULL ? -1 : rc;
}

static int
user_pass(struct mailfs_pop3 *p, const char *user, const char *password)
{
	struct buf line;
	int rc = -1;

	buf_init(&line, 2 * SASL_CREDENTIAL_MAX);
	pop3_set_state(p, POP3_ST_AUTH);
	if (buf_printf(&line, "USER %s", user) == -1) {
		error_set_sys(&p->err, errno, "login");
		goto out;
	}
	if (pop3_send_line(p, line.data, NULL) == -1 ||
	    pop3_read_status(p, 0) == -1)
		goto out;
	if (p->st.kind != POP3_OK) {
		login_refused(p, "the POP3 server refused the user name", 1);
		goto out;
	}
	buf_reset(&line);
	if (buf_printf(&line, "PASS %s", password) == -1) {
		error_set_sys(&p->err, errno, "login");
		goto out;
	}
	p->mask_replies = 1;
	if (pop3_send_line(p, line.data, "PASS ***") == -1 ||
	    pop3_read_status(p, 0) == -1)
		goto out;
	if (p->st.kind != POP3_OK) {
		login_refused(p, "the POP3 server rejected the user name or "
		    "password", 0);
		goto out;
	}
	p->mask_replies = 0;
	rc = logged_in(p, "USER and PASS");
out:
	if (line.data != NULL)
		sasl_wipe(line.data, line.len);
	buf_free(&line);
	return finish(p, rc);
}

/*
 * Sends a response (base64, "=" for an empty one: RFC 5034 4) on a line
 * of its own, or after "AUTH NAME " when prefix is not NULL.  0 or -1.
 */
static int
send_response(struct mailfs_pop3 *p, const char *prefix,
    const unsigned char *resp, size_t len)
{
	struct buf line;
	char *b64 = NULL;
	char shown[64];
	int rc = -1;

	buf_init(&line, AUTH_RESPONSE_MAX * 2);
	if (len > 0 && (b64 = sasl_base64(resp, len)) == NULL) {
		error_set_sys(&p->err, ENOMEM, "AUTH");
		return -1;
	}
	if ((prefix != NULL && buf_printf(&line, "%s ", prefix) == -1) ||
	    buf_append_str(&line, b64 != NULL ? b64 : "=") == -1) {
		error_set_sys(&p->err, ENOMEM, "AUTH");
		goto out;
	}
	snprintf(shown, sizeof(shown), "%s%s***", prefix != NULL ? prefix : "",
	    prefix != NULL ? " " : "");
	rc = pop3_send_line(p, line.data, shown);
out:
	if (b64 != NULL) {
		sasl_wipe(b64, strlen(b64));
		free(b64);
	}
	if (line.data != NULL)
		sasl_wipe(line.data, line.len);
	buf_free(&line);
	return rc;
}

/* Cancels the exchange ("*", RFC 5034 4) and reads the server's -ERR. */
static void
cancel(struct mailfs_pop3 *p)
{
	struct mailfs_error err = p->err;

	if (pop3_send_line(p, "*", NULL) == 0)
		pop3_read_status(p, 1);
	if (p->conn != NULL)
		p->err = err;
}

/* The exchange itself, from the AUTH line to +OK or a failure. */
static int
exchange(struct mailfs_pop3 *p, const struct mailfs_pop3_mech *mech)
{
	unsigned char *resp = NULL, *chal = NULL;
	size_t rlen = 0, clen = 0;
	char cmd[64];
	unsigned step;
	int rc = -1, held;

	snprintf(cmd, sizeof(cmd), "AUTH %s", mech->name);
	if (mech->step(mech->ctx, 0, NULL, 0, &resp, &rlen) == -1 ||
	    rlen > AUTH_RESPONSE_MAX) {
		error_set(&p->err, MAILFS_ERR_USAGE, "the %s mechanism "
		    "failed to make its response", mech->name);
		goto out;
	}
	/* RFC 5034 4: an initial response only within 255 octets. */
	held = resp != NULL && strlen(cmd) + 1 + 4 * ((rlen + 2) / 3) + 2 >
	    POP3_CMD_MAX;
	if (resp != NULL && !held) {
		if (send_response(p, cmd, resp, rlen) == -1)
			goto out;
	} else if (pop3_send_line(p, cmd, NULL) == -1)
		goto out;
	if (!held)
		sasl_free_secret(&resp, rlen);
	for (step = 1;; step++) {
		if (pop3_read_status(p, 1) == -1)
			goto out;
		if (p->st.kind == POP3_OK)
			break;
		if (p->st.kind == POP3_ERR) {
			login_refused(p, "the POP3 server refused AUTH", 0);
			goto out;
		}
		if (step > AUTH_STEPS_MAX) {
			error_set(&p->err, MAILFS_ERR_PROTOCOL, "the POP3 "
			    "server sent too many AUTH challenges");
			cancel(p);
			goto out;
		}
		if (held) {
			held = 0;
		} else {
			if (sasl_unbase64(p->st.text, p->st.text_len, &chal,
			    &clen) == -1) {
				error_set(&p->err, MAILFS_ERR_PROTOCOL, "the "
				    "POP3 server sent a challenge that is not "
				    "base64");
				cancel(p);
				goto out;
			}
			rc = mech->step(mech->ctx, step, chal, clen, &resp,
			    &rlen);
			sasl_free_secret(&chal, clen);
			if (rc == -1 || resp == NULL ||
			    rlen > AUTH_RESPONSE_MAX) {
				rc = -1;
				error_set(&p->err, MAILFS_ERR_AUTH, "the %s "
				    "mechanism gave up after the server's "
				    "challenge %u", mech->name, step);
				cancel(p);
				goto out;
			}
		}
		rc = send_response(p, NULL, resp, rlen);
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
mailfs_pop3_auth(struct mailfs_pop3 *p, const struct mailfs_pop3_mech *mech)
{
	char how[64];
	int rc;

	if (mech == NULL || mech->step == NULL ||
	    !sasl_valid_mech_name(mech->name)) {
		error_set(&p->err, MAILFS_ERR_USAGE, "AUTH: no mechanism, or "
		    "a name that is not a SASL mechanism's");
		return -1;
	}
	if (may_login(p) == -1)
		return -1;
	if (!mailfs_pop3_has_sasl(p, mech->name)) {
		error_set(&p->err, MAILFS_ERR_UNSUPPORTED, "the POP3 server "
		    "does not offer SASL %s", mech->name);
		return -1;
	}
	error_clear(&p->err);
	pop3_set_state(p, POP3_ST_AUTH);
	p->mask_replies = 1;
	rc = exchange(p, mech);
	p->mask_replies = 0;
	if (rc == 0 && p->conn != NULL) {
		snprintf(how, sizeof(how), "AUTH %s", mech->name);
		rc = logged_in(p, how);
	}
	return finish(p, rc);
}

/* PLAIN as a mechanism: "\0user\0password" as the initial response. */
struct credentials {
	const char *user;
	const char *password;
};

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

/* No byte a command line could trip on: no control byte. */
static int
valid_credential(const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f ||
		    i >= SASL_CREDENTIAL_MAX)
			return 0;
	return 1;
}

int
mailfs_pop3_login(struct mailfs_pop3 *p, const char *user,
    const char *password)
{
	struct credentials cr;
	struct mailfs_pop3_mech mech;

	if (user == NULL || password == NULL || *user == '\0' ||
	    !valid_credential(user) || !valid_credential(password)) {
		error_set(&p->err, MAILFS_ERR_USAGE, "login: the user name or "
		    "password is missing, too long or holds a control "
		    "character");
		return -1;
	}
	if (may_login(p) == -1)
		return -1;
	if (mailfs_pop3_has_sasl(p, "PLAIN")) {
		cr.user = user;
		cr.password = password;
		mech.name = "PLAIN";
		mech.step = plain_step;
		mech.ctx = &cr;
		return mailfs_pop3_auth(p, &mech);
	}
	if (!(p->caps & MAILFS_POP3_CAP_USER)) {
		error_set(&p->err, MAILFS_ERR_UNSUPPORTED, "the POP3 server "
		    "offers neither SASL PLAIN nor USER");
		return -1;
	}
	error_clear(&p->err);
	return user_pass(p, user, password);
}
