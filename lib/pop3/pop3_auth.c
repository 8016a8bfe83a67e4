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

#include <mailfs/sasl.h>

#include "buf.h"
#include "conn.h"
#include "errors.h"
#include "pop3_reply.h"
#include "pop3_session.h"
#include "sasl_wire.h"

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

/* ---- the exchange, through sasl_exchange() ---- */

static int
sasl_send(void *ctx, const char *line, const char *trace_as)
{
	return pop3_send_line(ctx, line, trace_as);
}

static void
sasl_drop(void *ctx)
{
	pop3_drop(ctx);
}

/* +OK is done, "+ " a challenge, -ERR a refusal. */
static enum sasl_answer
sasl_next(void *ctx, const char **text_r, size_t *len_r)
{
	struct mailfs_pop3 *p = ctx;

	if (pop3_read_status(p, 1) == -1)
		return SASL_FAILED;
	if (p->st.kind == POP3_OK)
		return SASL_DONE;
	if (p->st.kind == POP3_ERR) {
		login_refused(p, "the POP3 server refused AUTH", 0);
		return SASL_REFUSED;
	}
	*text_r = p->st.text;
	*len_r = p->st.text_len;
	return SASL_CHALLENGE;
}

int
mailfs_pop3_auth(struct mailfs_pop3 *p, const struct mailfs_pop3_mech *mech)
{
	/* RFC 5034 4: an initial response only within 255 octets. */
	struct sasl_io io = { sasl_send, sasl_next, sasl_drop, p, &p->err,
	    "POP3", POP3_CMD_MAX };
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
	rc = sasl_exchange(&io, mech->name, mech->step, mech->ctx);
	p->mask_replies = 0;
	if (rc == 0 && p->conn != NULL) {
		snprintf(how, sizeof(how), "AUTH %s", mech->name);
		rc = logged_in(p, how);
	}
	return finish(p, rc);
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
	struct mailfs_sasl_password cr;
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
		mech.step = mailfs_sasl_plain_step;
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
