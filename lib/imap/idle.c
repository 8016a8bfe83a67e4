/*
 * IDLE: waiting for the server to tell of changes (RFC 2177), and NOTIFY:
 * saying which changes (RFC 5465).
 *
 * While IDLE runs, no other command may be sent; the engine's barrier
 * rule keeps queued commands back until DONE is answered.
 */
#include <stddef.h>

#include "conn.h"
#include "engine.h"
#include "errors.h"

static struct mailfs_cmd *
idle_command(struct mailfs_client *c)
{
	struct mailfs_cmd *cmd;

	for (cmd = c->queue; cmd != NULL; cmd = cmd->next)
		if (cmd->kind == CMD_IDLE && cmd->phase != CMD_PHASE_DONE)
			return cmd;
	return NULL;
}

int
mailfs_idle_start(struct mailfs_client *c)
{
	struct mailfs_cmd *cmd;

	if (!(c->caps & MAILFS_CAP_IDLE)) {
		error_set(&c->err, MAILFS_ERR_UNSUPPORTED,
		    "the server does not support IDLE");
		return -1;
	}
	if (idle_command(c) != NULL) {
		error_set(&c->err, MAILFS_ERR_USAGE, "IDLE is already running");
		return -1;
	}
	if ((cmd = cmd_submit(c, cmd_new(c, CMD_IDLE, "IDLE", NULL))) == NULL)
		return -1;
	c->idling = 0;
	while (!c->idling && cmd->phase != CMD_PHASE_DONE)
		if (engine_step(c, c->io_timeout_ms, 0) == -1)
			break;
	if (c->idling)
		return 0;
	/* Refused (NO/BAD) or the connection failed: report and forget it. */
	return mailfs_run(c, cmd, NULL);
}

int
mailfs_idle_wait(struct mailfs_client *c, int timeout_ms)
{
	int rc;

	if (idle_command(c) == NULL || !c->idling) {
		error_set(&c->err, MAILFS_ERR_USAGE, "IDLE is not running");
		return -1;
	}
	rc = engine_step(c, timeout_ms, 1);
	/* Drain whatever else is already buffered, without waiting. */
	while (rc == 1 && c->conn != NULL && conn_readable_now(c->conn))
		if (engine_step(c, 0, 1) == -1)
			return -1;
	return rc;
}

int
mailfs_idle_done(struct mailfs_client *c)
{
	struct mailfs_cmd *cmd = idle_command(c);
	struct mailfs_error err;

	if (cmd == NULL) {
		error_set(&c->err, MAILFS_ERR_USAGE, "IDLE is not running");
		return -1;
	}
	error_clear(&err);
	if (conn_write(c->conn, "DONE\r\n", 6, c->io_timeout_ms, &err) == -1) {
		engine_fail_all(c, &err);
		return mailfs_run(c, cmd, NULL);
	}
	engine_trace(c, MAILFS_TRACE_SEND, "DONE");
	c->idling = 0;
	return mailfs_run(c, cmd, NULL);
}

struct mailfs_cmd *
mailfs_notify(struct mailfs_client *c, const char *events)
{
	struct mailfs_cmd *cmd;
	const char *p;

	if (!(c->caps & MAILFS_CAP_NOTIFY)) {
		error_set(&c->err, MAILFS_ERR_UNSUPPORTED,
		    "the server does not support NOTIFY");
		return NULL;
	}
	/* Sent as given: nothing that could end the line or start a literal. */
	for (p = events; *p != '\0'; p++)
		if (*p < 0x20 || *p > 0x7e || *p == '{')
			break;
	if (*p != '\0' || *events == '\0') {
		error_set(&c->err, MAILFS_ERR_USAGE, "NOTIFY: not a list of event groups");
		return NULL;
	}
	if ((cmd = cmd_new(c, CMD_GENERIC, "NOTIFY", NULL)) != NULL)
		cmd_add(cmd, " SET %s", events);
	return cmd_submit(c, cmd);
}
