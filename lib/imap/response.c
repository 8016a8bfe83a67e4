/*
 * The generic half of understanding what the server says: tagged and
 * untagged status responses, continuation requests, and the response
 * codes and data that go, through the tables below, to the command
 * family that understands them (mailbox.c, message.c); AUTHENTICATE's
 * challenges go to auth.c.  See response.h.
 *
 * RFC 3501 7, RFC 9051 7.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "auth.h"
#include "engine.h"
#include "errors.h"
#include "mailbox.h"
#include "message.h"
#include "reply.h"
#include "response.h"

static int
code_alert(struct mailfs_client *c, const struct imap_response *resp,
    struct mailfs_cmd *cmd, const char *args)
{
	(void)cmd;
	(void)args;
	if (c->unilateral.alert != NULL)
		c->unilateral.alert(c->unilateral.ctx, resp->text);
	return 0;
}

/* Response codes, by the command family that understands them. */
static const struct {
	const char *name;
	reply_code_fn *fn;
} codes[] = {
	{ "ALERT", code_alert },
	{ "CAPABILITY", mailbox_code_capability },
	{ "UIDVALIDITY", mailbox_code_select },
	{ "UIDNEXT", mailbox_code_select },
	{ "HIGHESTMODSEQ", mailbox_code_select },
	{ "NOMODSEQ", mailbox_code_select },
	{ "PERMANENTFLAGS", mailbox_code_select },
	{ "READ-ONLY", mailbox_code_select },
	{ "READ-WRITE", mailbox_code_select },
	{ "APPENDUID", message_code_appenduid },
	{ "COPYUID", message_code_copyuid },
	{ "MODIFIED", message_code_modified },
};

/* Applies a status response's code.  cmd is the tagged command, or NULL. */
static int
handle_code(struct mailfs_client *c, const struct imap_response *resp,
    struct mailfs_cmd *cmd)
{
	size_t i;

	if (resp->code == NULL)
		return 0;
	for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		if (strcasecmp(resp->code, codes[i].name) == 0)
			return codes[i].fn(c, resp, cmd,
			    resp->code_args != NULL ? resp->code_args : "");
	return 0;
}

/* "* n NAME": RECENT and anything not here is left alone. */
static const struct {
	const char *name;
	reply_numbered_fn *fn;
} numbered[] = {
	{ "EXISTS", mailbox_exists },
	{ "EXPUNGE", message_expunge },
	{ "FETCH", message_fetch },
};

static int
handle_numbered(struct mailfs_client *c, const struct imap_response *resp)
{
	uint32_t n;
	size_t i;

	if (reply_u32(&resp->args[0], &n) == -1)
		return reply_malformed(c, "numbered");
	for (i = 0; i < sizeof(numbered) / sizeof(numbered[0]); i++)
		if (imap_arg_atom_is(&resp->args[1], numbered[i].name))
			return numbered[i].fn(c, n, resp);
	return 0;
}

/* "* NAME ...": ID, LSUB and anything not here is not ours to act on. */
static const struct {
	const char *name;
	reply_data_fn *fn;
} data[] = {
	{ "CAPABILITY", mailbox_capability_data },
	{ "ENABLED", mailbox_enabled_data },
	{ "NAMESPACE", mailbox_namespace_data },
	{ "LIST", mailbox_list_data },
	{ "STATUS", mailbox_status_data },
	{ "QUOTAROOT", mailbox_quotaroot_data },
	{ "QUOTA", mailbox_quota_data },
	{ "FLAGS", mailbox_flags_data },
	{ "SEARCH", message_search_data },
	{ "ESEARCH", message_esearch_data },
	{ "VANISHED", message_vanished_data },
};

static int
handle_data(struct mailfs_client *c, const struct imap_response *resp)
{
	const struct imap_arg *args = resp->args;
	size_t nargs = resp->nargs, i;

	if (nargs == 0 || args[0].type != IMAP_ARG_ATOM)
		return reply_malformed(c, "untagged");
	if (nargs >= 2 && args[0].str[0] >= '0' && args[0].str[0] <= '9')
		return handle_numbered(c, resp);
	for (i = 0; i < sizeof(data) / sizeof(data[0]); i++)
		if (imap_arg_atom_is(&args[0], data[i].name))
			return data[i].fn(c, args + 1, nargs - 1);
	return 0;
}

/*
 * A tagged response completes its command.  The session's state machine
 * moves here, through client_set_state(), whichever family sent the
 * command: LOGIN (client.c, above this file) could not do it otherwise.
 */
static void
complete_command(struct mailfs_client *c, struct mailfs_cmd *cmd,
    const struct imap_response *resp)
{
	char text[200];

	reply_printable(text, sizeof(text), resp->text);
	reply_printable(cmd->result.text, sizeof(cmd->result.text), resp->text);
	if (resp->status == IMAP_STATUS_OK) {
		error_clear(&cmd->err);
		switch (cmd->kind) {
		case CMD_LOGIN:
			client_set_state(c, MAILFS_STATE_AUTHENTICATED);
			break;
		case CMD_SELECT:
			client_set_state(c, MAILFS_STATE_SELECTED);
			c->selected = 1;
			break;
		case CMD_UNSELECT:
			mailbox_state_clear(c);
			break;
		case CMD_LOGOUT:
			client_set_state(c, MAILFS_STATE_LOGOUT);
			break;
		default:
			break;
		}
	} else {
		error_set(&cmd->err, resp->status == IMAP_STATUS_NO ?
		    MAILFS_ERR_NO : MAILFS_ERR_BAD, "%s failed: %s%s%s%s",
		    cmd->name, resp->code != NULL ? "[" : "",
		    resp->code != NULL ? resp->code : "",
		    resp->code != NULL ? "] " : "", text);
		if (resp->code != NULL) {
			cmd->err.code = mailfs_code_from_name(resp->code);
			reply_printable(cmd->err.code_name,
			    sizeof(cmd->err.code_name), resp->code);
		}
		/* A failed SELECT leaves no mailbox selected (RFC 3501 6.3.1). */
		if (cmd->kind == CMD_SELECT)
			mailbox_state_clear(c);
		if (cmd->kind == CMD_LOGIN && resp->status == IMAP_STATUS_NO)
			cmd->err.kind = MAILFS_ERR_AUTH;
	}
	cmd->phase = CMD_PHASE_DONE;
	if (cmd->detached)
		engine_release(c, cmd);
}

static int
handle_tagged(struct mailfs_client *c, const struct imap_response *resp)
{
	struct mailfs_cmd *cmd = reply_by_tag(c, resp->tag);

	if (cmd == NULL) {
		error_set(&c->err, MAILFS_ERR_PROTOCOL,
		    "the server answered a command that was never sent");
		return -1;
	}
	if (resp->status != IMAP_STATUS_OK && resp->status != IMAP_STATUS_NO &&
	    resp->status != IMAP_STATUS_BAD)
		return reply_malformed(c, "tagged");
	if (handle_code(c, resp, cmd) == -1)
		return -1;
	complete_command(c, cmd, resp);
	return 0;
}

static int
handle_untagged_status(struct mailfs_client *c, const struct imap_response *resp)
{
	if (c->greeting_pending) {
		c->greeting_pending = 0;
		if (resp->status == IMAP_STATUS_PREAUTH)
			client_set_state(c, MAILFS_STATE_AUTHENTICATED);
		else if (resp->status == IMAP_STATUS_OK)
			client_set_state(c, MAILFS_STATE_NOT_AUTHENTICATED);
		else if (resp->status != IMAP_STATUS_BYE)
			return reply_malformed(c, "greeting");
	}
	if (resp->status == IMAP_STATUS_BYE) {
		c->bye = 1;
		reply_printable(c->bye_text, sizeof(c->bye_text), resp->text);
		return 0;
	}
	if (resp->status == IMAP_STATUS_PREAUTH && c->state != MAILFS_STATE_AUTHENTICATED)
		return reply_malformed(c, "PREAUTH");
	return handle_code(c, resp, NULL);
}

static int
handle_continuation(struct mailfs_client *c, const char *text)
{
	struct mailfs_cmd *cmd;

	for (cmd = c->queue; cmd != NULL; cmd = cmd->next) {
		if (cmd->phase == CMD_PHASE_SENDING) {
			cmd->continuation_granted = 1;
			return 0;
		}
		if (cmd->phase == CMD_PHASE_SENT && cmd->kind == CMD_IDLE) {
			c->idling = 1;
			return 0;
		}
		if (cmd->phase == CMD_PHASE_SENT && cmd->kind == CMD_LOGIN &&
		    c->sasl != NULL)
			return auth_challenge(c, text);
	}
	error_set(&c->err, MAILFS_ERR_PROTOCOL,
	    "the server asked for data no command has to send");
	return -1;
}

static void
trace_response(struct mailfs_client *c, const struct imap_response *resp)
{
	static const char *const status[] = {
		"", "OK", "NO", "BAD", "BYE", "PREAUTH"
	};
	char line[400];
	size_t used = 0, i;

	if (c->trace == NULL)
		return;
	if (resp->kind == IMAP_RESP_CONTINUATION) {
		engine_trace(c, MAILFS_TRACE_RECV, "+ %.300s", resp->text);
		return;
	}
	if (resp->status != IMAP_STATUS_NONE) {
		engine_trace(c, MAILFS_TRACE_RECV, "%s %s %s%s%s%s%s%.300s",
		    resp->tag != NULL ? resp->tag : "*", status[resp->status],
		    resp->code != NULL ? "[" : "",
		    resp->code != NULL ? resp->code : "",
		    resp->code_args != NULL && *resp->code_args ? " " : "",
		    resp->code_args != NULL ? resp->code_args : "",
		    resp->code != NULL ? "] " : "", resp->text);
		return;
	}
	for (i = 0; i < resp->nargs && i < 3 && used < sizeof(line) - 80; i++) {
		const struct imap_arg *a = &resp->args[i];
		int n;

		if (a->type == IMAP_ARG_LIST)
			n = snprintf(line + used, sizeof(line) - used, " (%zu items)", a->len);
		else if (a->type == IMAP_ARG_ATOM || a->type == IMAP_ARG_STRING)
			n = snprintf(line + used, sizeof(line) - used, " %.60s", a->str);
		else
			n = snprintf(line + used, sizeof(line) - used, " ...");
		if (n > 0)
			used += (size_t)n;
	}
	for (i = 0; i < used; i++)
		if ((unsigned char)line[i] < 0x20)
			line[i] = '?';
	engine_trace(c, MAILFS_TRACE_RECV, "*%.*s%s", (int)used, line,
	    resp->nargs > 3 ? " ..." : "");
}

int
response_handle(struct mailfs_client *c, const struct imap_response *resp)
{
	trace_response(c, resp);
	switch (resp->kind) {
	case IMAP_RESP_CONTINUATION:
		return handle_continuation(c, resp->text);
	case IMAP_RESP_TAGGED:
		return handle_tagged(c, resp);
	case IMAP_RESP_UNTAGGED:
		if (resp->status != IMAP_STATUS_NONE)
			return handle_untagged_status(c, resp);
		if (c->greeting_pending)
			return reply_malformed(c, "greeting");
		return handle_data(c, resp);
	}
	return reply_malformed(c, "unknown");
}

const struct engine_dispatch response_dispatch = {
	response_handle,
	message_stream_hook,
	message_stream_data,
};
