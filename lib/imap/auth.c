/*
 * AUTHENTICATE with a SASL mechanism (see auth.h).
 *
 * RFC 3501 6.2.2:
 *   authenticate  = "AUTHENTICATE" SP auth-type [SP (base64 / "=")] *(CRLF base64)
 *   continue-req  = "+" SP (resp-text / base64) CRLF
 * the optional initial response being RFC 4959's (SASL-IR).  Without
 * SASL-IR the initial response follows the server's first, empty "+" (as
 * Microsoft's servers want even when they offer SASL-IR for other
 * mechanisms, the token is then never on the command line).  A long token
 * needs no special care: the command's text may be 1 MiB
 * (engine.c), Dovecot takes 64 KiB lines, and a response after "+" is a
 * line of its own.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "sasl_wire.h"
#include "conn.h"
#include "errors.h"

struct mailfs_cmd *
auth_command(struct mailfs_client *c, const struct mailfs_sasl_mech *mech)
{
	struct mailfs_cmd *cmd;
	unsigned char *resp = NULL;
	size_t rlen = 0;
	char *b64 = NULL;

	if (mech->step(mech->ctx, 0, NULL, 0, &resp, &rlen) == -1 ||
	    rlen > SASL_RESPONSE_MAX) {
		sasl_free_secret(&resp, rlen);
		error_set(&c->err, MAILFS_ERR_USAGE, "the %s mechanism failed "
		    "to make its response", mech->name);
		return NULL;
	}
	if (resp != NULL && (b64 = sasl_base64(resp, rlen)) == NULL) {
		sasl_free_secret(&resp, rlen);
		error_set(&c->err, MAILFS_ERR_NOMEM, "AUTHENTICATE: out of memory");
		return NULL;
	}
	sasl_free_secret(&resp, rlen);
	if ((cmd = cmd_new(c, CMD_LOGIN, "AUTHENTICATE", NULL)) != NULL) {
		cmd_add(cmd, " %s", mech->name);
		/* Base64 is an atom; "=" is RFC 4959's empty initial response. */
		if (b64 != NULL && (c->caps & MAILFS_CAP_SASL_IR))
			cmd_add_astring(c, cmd, *b64 != '\0' ? b64 : "=", 1);
		else if (b64 != NULL)
			cmd_add_after_continuation(cmd, b64, strlen(b64), 1);
		c->sasl = mech;
		c->sasl_steps = 0;
		if ((cmd = cmd_submit(c, cmd)) == NULL)
			c->sasl = NULL;
	}
	if (b64 != NULL) {
		wipe_secret(b64, strlen(b64));
		free(b64);
	}
	return cmd;
}

/* Writes line (a secret) and CRLF; traced as "***" unless it is "*". */
static int
send_answer(struct mailfs_client *c, char *line)
{
	size_t len = strlen(line);
	int rc;

	engine_trace(c, MAILFS_TRACE_SEND, "%s", strcmp(line, "*") == 0 ?
	    "*" : "***");
	line[len] = '\r';
	line[len + 1] = '\n';
	rc = conn_write(c->conn, line, len + 2, c->io_timeout_ms, &c->err);
	wipe_secret(line, len + 2);
	return rc;
}

int
auth_challenge(struct mailfs_client *c, const char *text)
{
	const struct mailfs_sasl_mech *mech = c->sasl;
	unsigned char *chal = NULL, *resp = NULL;
	size_t clen = 0, rlen = 0;
	char *line = NULL, *b64 = NULL;
	int rc;

	if (++c->sasl_steps > SASL_STEPS_MAX ||
	    sasl_unbase64(text, strlen(text), &chal, &clen) == -1 ||
	    mech->step(mech->ctx, c->sasl_steps, chal, clen, &resp,
	    &rlen) == -1 || resp == NULL || rlen > SASL_RESPONSE_MAX ||
	    (rlen > 0 && (b64 = sasl_base64(resp, rlen)) == NULL))
		b64 = NULL;
	else if (b64 == NULL)
		b64 = strdup("");
	sasl_free_secret(&chal, clen);
	sasl_free_secret(&resp, rlen);
	/* Cancelling ("*") makes the server fail AUTHENTICATE: no loop. */
	if ((line = malloc((b64 != NULL ? strlen(b64) : 1) + 3)) == NULL) {
		rc = -1;
		error_set(&c->err, MAILFS_ERR_NOMEM, "AUTHENTICATE: out of memory");
	} else {
		strcpy(line, b64 != NULL ? b64 : "*");
		rc = send_answer(c, line);
	}
	/*
	 * After "*" the server owes the tagged answer: a further "+" is then
	 * a request no command has to answer (a protocol error), not one more
	 * "*", which a server could ask for forever.
	 */
	if (b64 == NULL)
		c->sasl = NULL;
	if (b64 != NULL) {
		wipe_secret(b64, strlen(b64));
		free(b64);
	}
	free(line);
	return rc;
}
