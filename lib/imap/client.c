/*
 * The client's life: creation from parameters, connecting (implicit TLS
 * or mandatory STARTTLS), authentication, logout, and the getters.
 *
 * RFC 3501 6.2 (STARTTLS, AUTHENTICATE, LOGIN), RFC 2595 and RFC 8314
 * (TLS for IMAP), RFC 4959 (SASL-IR), RFC 4616 (PLAIN); other SASL
 * mechanisms through auth.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>


#include "auth.h"
#include "conn.h"
#include "engine.h"
#include "errors.h"
#include "response.h"
#include "sasl_wire.h"

#define DEFAULT_TIMEOUT_MS	30000
#define DEFAULT_MAX_LINE	(4u * 1024 * 1024)
#define DEFAULT_MAX_LITERAL	(64u * 1024 * 1024)
#define DEFAULT_MAX_BODY	((uint64_t)2 * 1024 * 1024 * 1024)
#define DEFAULT_MAX_DEPTH	16
#define DEFAULT_PIPELINE	64

static char *
strdup_or_null(const char *s, int *failed)
{
	char *copy;

	if (s == NULL)
		return NULL;
	if ((copy = strdup(s)) == NULL)
		*failed = 1;
	return copy;
}

struct mailfs_client *
mailfs_client_new(const struct mailfs_params *params)
{
	struct mailfs_client *c;
	int failed = 0;

	if (params == NULL || params->host == NULL) {
		errno = EINVAL;
		return NULL;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->host = strdup_or_null(params->host, &failed);
	c->port = strdup_or_null(params->port != NULL ? params->port :
	    params->security == MAILFS_SEC_IMPLICIT_TLS ? "993" : "143",
	    &failed);
	c->ca_file = strdup_or_null(params->ca_file, &failed);
	if (failed) {
		mailfs_client_free(&c);
		errno = ENOMEM;
		return NULL;
	}
	c->security = params->security;
	c->connect_timeout_ms = params->connect_timeout_ms > 0 ?
	    params->connect_timeout_ms : DEFAULT_TIMEOUT_MS;
	c->io_timeout_ms = params->io_timeout_ms > 0 ?
	    params->io_timeout_ms : DEFAULT_TIMEOUT_MS;
	c->limits.max_line = params->max_line > 0 ? params->max_line :
	    DEFAULT_MAX_LINE;
	c->limits.max_literal = params->max_literal > 0 ?
	    params->max_literal : DEFAULT_MAX_LITERAL;
	c->limits.max_body = params->max_body > 0 ? params->max_body :
	    DEFAULT_MAX_BODY;
	c->limits.max_depth = params->max_depth > 0 ? params->max_depth :
	    DEFAULT_MAX_DEPTH;
	c->pipeline_depth = params->pipeline_depth > 0 ?
	    params->pipeline_depth : DEFAULT_PIPELINE;
	c->trace = params->trace;
	c->trace_ctx = params->trace_ctx;
	if (params->unilateral != NULL)
		c->unilateral = *params->unilateral;
	c->dispatch = &response_dispatch;
	c->bounds.deadline_ms = -1;
	c->bounds.cancel_fd = -1;
	return c;
}

void
mailfs_client_free(struct mailfs_client **cp)
{
	struct mailfs_client *c;
	struct mailfs_cmd *cmd;

	if (cp == NULL || (c = *cp) == NULL)
		return;
	mailfs_client_disconnect(c);
	while ((cmd = c->queue) != NULL) {
		c->queue = cmd->next;
		cmd_free(cmd);
	}
	imap_parser_free(&c->parser);
	mailbox_state_clear(c);
	free(c->host);
	free(c->port);
	free(c->ca_file);
	free(c->capabilities);
	free(c);
	*cp = NULL;
}

void
mailfs_client_disconnect(struct mailfs_client *c)
{
	struct mailfs_error err;

	if (c->conn == NULL) {
		client_set_state(c, MAILFS_STATE_DISCONNECTED);
		return;
	}
	error_set(&err, MAILFS_ERR_CLOSED, "the connection was closed by the client");
	engine_fail_all(c, &err);
}

/* Runs one command of the client's own to completion. */
static int
run_internal(struct mailfs_client *c, struct mailfs_cmd *cmd)
{
	return mailfs_run(c, cmd, NULL);
}

static int
ask_capabilities(struct mailfs_client *c)
{
	return run_internal(c, cmd_submit(c, cmd_new(c, CMD_CAPABILITY,
	    "CAPABILITY", NULL)));
}

static int
starttls(struct mailfs_client *c)
{
	if (!(c->caps & MAILFS_CAP_STARTTLS)) {
		error_set(&c->err, MAILFS_ERR_NO_STARTTLS,
		    "the server does not offer STARTTLS, and mailfs never "
		    "sends credentials without TLS");
		return -1;
	}
	if (run_internal(c, cmd_submit(c, cmd_new(c, CMD_STARTTLS,
	    "STARTTLS", NULL))) == -1) {
		if (c->err.kind == MAILFS_ERR_NO || c->err.kind == MAILFS_ERR_BAD)
			c->err.kind = MAILFS_ERR_NO_STARTTLS;
		return -1;
	}
	if (conn_start_tls(c->conn, c->host, c->ca_file,
	    c->connect_timeout_ms, &c->err) == -1)
		return -1;
	engine_trace(c, MAILFS_TRACE_INFO, "TLS established");
	/* What the server said before TLS may have been forged: ask again. */
	free(c->capabilities);
	c->capabilities = NULL;
	c->caps = 0;
	return ask_capabilities(c);
}

int
mailfs_client_connect(struct mailfs_client *c)
{
	struct mailfs_error err;

	if (c->conn != NULL) {
		error_set(&c->err, MAILFS_ERR_USAGE, "already connected");
		return -1;
	}
	free(c->capabilities);
	c->capabilities = NULL;
	c->caps = 0;
	c->condstore_enabled = c->qresync_enabled = 0;
	c->have_delimiter = 0;
	c->delimiter = 0;
	if (engine_reset(c) == -1)
		return -1;
	error_clear(&c->err);
	if ((c->conn = conn_open(c->host, c->port, c->connect_timeout_ms,
	    &c->bounds, &c->err)) == NULL)
		return -1;
	engine_trace(c, MAILFS_TRACE_INFO, "connected to %s port %s",
	    c->host, c->port);
	client_set_state(c, MAILFS_STATE_NOT_AUTHENTICATED);
	if (c->security == MAILFS_SEC_IMPLICIT_TLS &&
	    conn_start_tls(c->conn, c->host, c->ca_file,
	    c->connect_timeout_ms, &c->err) == -1)
		goto fail;
	c->greeting_pending = 1;
	while (c->greeting_pending)
		if (engine_step(c, c->io_timeout_ms, 0) == -1)
			return -1;
	if (c->bye) {
		error_set(&c->err, MAILFS_ERR_CLOSED,
		    "the server refused the connection: %s", c->bye_text);
		goto fail;
	}
	if (c->capabilities == NULL && ask_capabilities(c) == -1)
		return -1;
	if (c->security == MAILFS_SEC_STARTTLS &&
	    c->state == MAILFS_STATE_NOT_AUTHENTICATED && starttls(c) == -1)
		goto fail;
	return 0;
fail:
	err = c->err;
	if (c->conn != NULL)
		engine_fail_all(c, &err);
	c->err = err;
	return -1;
}

/* The SASL PLAIN message "\0user\0password", base64-encoded (RFC 4616). */
static char *
plain_base64(const char *user, const char *password)
{
	unsigned char *raw;
	size_t len;
	char *b64;

	if (sasl_plain(user, password, &raw, &len) == -1)
		return NULL;
	b64 = sasl_base64(raw, len);
	sasl_free_secret(&raw, len);
	return b64;
}

static struct mailfs_cmd *
login_command(struct mailfs_client *c, const char *user, const char *password)
{
	struct mailfs_cmd *cmd;
	char *b64;

	if (!(c->caps & MAILFS_CAP_AUTH_PLAIN)) {
		if ((cmd = cmd_new(c, CMD_LOGIN, "LOGIN", NULL)) == NULL)
			return NULL;
		cmd_add_astring(c, cmd, user, 0);
		cmd_add_astring(c, cmd, password, 1);
		return cmd_submit(c, cmd);
	}
	if ((b64 = plain_base64(user, password)) == NULL) {
		error_set_sys(&c->err, ENOMEM, "login");
		return NULL;
	}
	if ((cmd = cmd_new(c, CMD_LOGIN, "AUTHENTICATE", NULL)) != NULL) {
		cmd_add(cmd, " PLAIN");
		/* Base64 is an atom: with SASL-IR it rides on the command line. */
		if (c->caps & MAILFS_CAP_SASL_IR)
			cmd_add_astring(c, cmd, b64, 1);
		else
			cmd_add_after_continuation(cmd, b64, strlen(b64), 1);
		cmd = cmd_submit(c, cmd);
	}
	wipe_secret(b64, strlen(b64));
	free(b64);
	return cmd;
}

/* Whether credentials may be sent now; what stops them in c->err. */
static int
may_authenticate(struct mailfs_client *c)
{
	if (c->state != MAILFS_STATE_NOT_AUTHENTICATED) {
		error_set(&c->err, MAILFS_ERR_USAGE, c->state ==
		    MAILFS_STATE_DISCONNECTED ? "login: not connected" :
		    "login: already authenticated");
		return 0;
	}
	if (!conn_is_tls(c->conn) &&
	    c->security != MAILFS_SEC_PLAINTEXT_INSECURE) {
		error_set(&c->err, MAILFS_ERR_USAGE,
		    "login: refusing to send credentials without TLS");
		return 0;
	}
	return 1;
}

/* The OK usually carries the new capabilities; ask when it did not. */
static int
after_login(struct mailfs_client *c, unsigned caps_before)
{
	if (!(c->caps & (MAILFS_CAP_IMAP4REV1 | MAILFS_CAP_IMAP4REV2)) ||
	    (c->caps & MAILFS_CAP_AUTH_PLAIN) || c->caps == caps_before)
		return ask_capabilities(c);
	return 0;
}

int
mailfs_client_login(struct mailfs_client *c, const char *user,
    const char *password)
{
	if (user == NULL || password == NULL ||
	    strlen(user) > SASL_CREDENTIAL_MAX ||
	    strlen(password) > SASL_CREDENTIAL_MAX) {
		error_set(&c->err, MAILFS_ERR_USAGE,
		    "login: the user name or password is missing or too long");
		return -1;
	}
	if (!may_authenticate(c))
		return -1;
	if (c->caps & MAILFS_CAP_LOGINDISABLED) {
		error_set(&c->err, MAILFS_ERR_LOGINDISABLED,
		    "the server does not allow login on this connection");
		return -1;
	}
	if (mailfs_run(c, login_command(c, user, password), NULL) == -1) {
		if (c->err.kind == MAILFS_ERR_AUTH)
			snprintf(c->err.msg, sizeof(c->err.msg),
			    "the server rejected the user name or password");
		return -1;
	}
	return after_login(c, 0);
}

int
mailfs_client_authenticate(struct mailfs_client *c,
    const struct mailfs_sasl_mech *mech)
{
	char cap[32];
	unsigned caps = c->caps;
	int rc;

	if (mech == NULL || mech->step == NULL ||
	    !sasl_valid_mech_name(mech->name)) {
		error_set(&c->err, MAILFS_ERR_USAGE, "AUTHENTICATE: no "
		    "mechanism, or a name that is not a SASL mechanism's");
		return -1;
	}
	if (!may_authenticate(c))
		return -1;
	snprintf(cap, sizeof(cap), "AUTH=%s", mech->name);
	if (!mailfs_client_has_capability(c, cap)) {
		error_set(&c->err, MAILFS_ERR_UNSUPPORTED, "the server does "
		    "not offer AUTHENTICATE %s", mech->name);
		return -1;
	}
	rc = mailfs_run(c, auth_command(c, mech), NULL);
	c->sasl = NULL;
	if (rc == -1)
		return -1;
	return after_login(c, caps);
}

int
mailfs_client_logout(struct mailfs_client *c)
{
	int rc;

	if (c->conn == NULL)
		return 0;
	rc = mailfs_run(c, cmd_submit(c, cmd_new(c, CMD_LOGOUT, "LOGOUT",
	    NULL)), NULL);
	mailfs_client_disconnect(c);
	client_set_state(c, MAILFS_STATE_DISCONNECTED);
	if (rc == 0)
		error_clear(&c->err);
	return rc;
}

void
mailfs_client_set_deadline(struct mailfs_client *c, const struct timespec *deadline)
{
	c->bounds.deadline_ms = deadline == NULL ? -1 :
	    (int64_t)deadline->tv_sec * 1000 + deadline->tv_nsec / 1000000;
}

void
mailfs_client_set_cancel_fd(struct mailfs_client *c, int fd)
{
	c->bounds.cancel_fd = fd;
}

int
mailfs_client_poll(struct mailfs_client *c)
{
	if (c->conn == NULL) {
		error_set(&c->err, MAILFS_ERR_CLOSED, "not connected to the server");
		return -1;
	}
	while (c->conn != NULL && conn_readable_now(c->conn))
		if (engine_step(c, 0, 1) == -1)
			return -1;
	return c->conn != NULL ? 0 : -1;
}

enum mailfs_client_state
mailfs_client_state(const struct mailfs_client *c)
{
	return c->state;
}

unsigned
mailfs_client_capabilities(const struct mailfs_client *c)
{
	return c->caps;
}

int
mailfs_client_has_capability(const struct mailfs_client *c, const char *name)
{
	const char *p = c->capabilities;
	size_t n, len = strlen(name);

	while (p != NULL && *p != '\0') {
		while (*p == ' ')
			p++;
		for (n = 0; p[n] != '\0' && p[n] != ' '; n++)
			;
		if (n == len && n > 0 && strncasecmp(p, name, n) == 0)
			return 1;
		p += n;
	}
	return 0;
}

int
mailfs_client_condstore_enabled(const struct mailfs_client *c)
{
	return c->condstore_enabled;
}

int
mailfs_client_qresync_enabled(const struct mailfs_client *c)
{
	return c->qresync_enabled;
}

char
mailfs_client_delimiter(const struct mailfs_client *c)
{
	return c->delimiter;
}

const struct mailfs_mailbox_state *
mailfs_client_mailbox(const struct mailfs_client *c)
{
	struct mailbox_state *mb = (struct mailbox_state *)&c->mailbox;

	if (!c->selected && c->state != MAILFS_STATE_SELECTED)
		return NULL;
	mb->pub.name = mb->name;
	mb->pub.flags = mb->flags != NULL ? mb->flags : "";
	mb->pub.permanent_flags = mb->permanent_flags != NULL ?
	    mb->permanent_flags : "";
	return &mb->pub;
}

const struct mailfs_error *
mailfs_client_error(const struct mailfs_client *c)
{
	return &c->err;
}
