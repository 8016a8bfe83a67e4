/*
 * Commands about messages in the selected mailbox, and APPEND:
 * UID FETCH, UID STORE, UID COPY, UID MOVE, UID EXPUNGE, EXPUNGE,
 * UID SEARCH, APPEND.
 *
 * RFC 3501 6.3.11 (APPEND), 6.4 (selected state), RFC 4315 (UIDPLUS),
 * RFC 6851 (MOVE), RFC 7162 3.1.3-3.1.4 and 3.2.6 (UNCHANGEDSINCE,
 * CHANGEDSINCE, VANISHED), RFC 4731 (ESEARCH), RFC 7888 (LITERAL+).
 */
#include <stdio.h>
#include <string.h>

#include "engine.h"
#include "errors.h"
#include "strparse.h"

static int
require_selected(struct mailfs_client *c, const char *what)
{
	/* A lost connection is the reason, not a missing SELECT. */
	if (c->conn == NULL) {
		error_set(&c->err, MAILFS_ERR_CLOSED,
		    "%s: not connected to the server", what);
		return -1;
	}
	if (c->selected || c->mailbox.name != NULL)
		return 0;
	error_set(&c->err, MAILFS_ERR_USAGE, "%s: no mailbox is selected", what);
	return -1;
}

static int
require_cap(struct mailfs_client *c, unsigned cap, const char *what)
{
	if (c->caps & cap)
		return 0;
	error_set(&c->err, MAILFS_ERR_UNSUPPORTED,
	    "the server does not support %s", what);
	return -1;
}

/* "UID name uids": the start every UID command shares. */
static struct mailfs_cmd *
uid_command(struct mailfs_client *c, enum cmd_kind kind, const char *name,
    const char *uids, const struct mailfs_handlers *h)
{
	struct mailfs_cmd *cmd;

	if (require_selected(c, name) == -1)
		return NULL;
	if ((cmd = cmd_new(c, kind, name, h)) != NULL)
		cmd_add_uidset(c, cmd, uids);
	return cmd;
}

struct mailfs_cmd *
mailfs_uid_fetch(struct mailfs_client *c, const char *uids,
    const struct mailfs_fetch_spec *spec, const struct mailfs_handlers *h)
{
	static const struct {
		unsigned bit;
		const char *name;
	} items[] = {
		{ MAILFS_FETCH_FLAGS, "FLAGS" },
		{ MAILFS_FETCH_SIZE, "RFC822.SIZE" },
		{ MAILFS_FETCH_INTERNALDATE, "INTERNALDATE" },
		{ MAILFS_FETCH_MODSEQ, "MODSEQ" },
	};
	struct mailfs_cmd *cmd;
	size_t i;

	if (spec->vanished && !c->qresync_enabled) {
		error_set(&c->err, MAILFS_ERR_UNSUPPORTED,
		    "UID FETCH: VANISHED needs QRESYNC enabled");
		return NULL;
	}
	if ((spec->changedsince > 0 || (spec->items & MAILFS_FETCH_MODSEQ)) &&
	    require_cap(c, MAILFS_CAP_CONDSTORE, "CONDSTORE") == -1)
		return NULL;
	if ((cmd = uid_command(c, CMD_FETCH, "UID FETCH", uids, h)) == NULL)
		return NULL;
	cmd_add(cmd, " (UID");
	for (i = 0; i < sizeof(items) / sizeof(items[0]); i++)
		if (spec->items & items[i].bit)
			cmd_add(cmd, " %s", items[i].name);
	if (spec->items & MAILFS_FETCH_BODY) {
		cmd_add(cmd, " BODY.PEEK[]");
		if (spec->partial_len > 0)
			cmd_add(cmd, "<%llu.%llu>",
			    (unsigned long long)spec->partial_offset,
			    (unsigned long long)spec->partial_len);
	}
	cmd_add(cmd, ")");
	if (spec->changedsince > 0)
		cmd_add(cmd, " (CHANGEDSINCE %llu%s)",
		    (unsigned long long)spec->changedsince,
		    spec->vanished ? " VANISHED" : "");
	return cmd_submit(c, cmd);
}

struct mailfs_cmd *
mailfs_uid_store(struct mailfs_client *c, const char *uids,
    enum mailfs_store_op op, const char *flags, int silent,
    uint64_t unchangedsince, const struct mailfs_handlers *h)
{
	static const char *const ops[] = { "FLAGS", "+FLAGS", "-FLAGS" };
	struct mailfs_cmd *cmd;

	if ((unsigned)op > MAILFS_STORE_REMOVE) {
		error_set(&c->err, MAILFS_ERR_USAGE, "UID STORE: unknown operation");
		return NULL;
	}
	if (unchangedsince > 0 &&
	    require_cap(c, MAILFS_CAP_CONDSTORE, "CONDSTORE") == -1)
		return NULL;
	if ((cmd = uid_command(c, CMD_STORE, "UID STORE", uids, h)) == NULL)
		return NULL;
	if (unchangedsince > 0)
		cmd_add(cmd, " (UNCHANGEDSINCE %llu)",
		    (unsigned long long)unchangedsince);
	cmd_add(cmd, " %s%s", ops[op], silent ? ".SILENT" : "");
	cmd_add_flag_list(c, cmd, flags != NULL ? flags : "");
	return cmd_submit(c, cmd);
}

static struct mailfs_cmd *
copy_or_move(struct mailfs_client *c, enum cmd_kind kind, const char *name,
    const char *uids, const char *mailbox)
{
	struct mailfs_cmd *cmd = uid_command(c, kind, name, uids, NULL);

	if (cmd != NULL)
		cmd_add_mailbox(c, cmd, mailbox);
	return cmd_submit(c, cmd);
}

struct mailfs_cmd *
mailfs_uid_copy(struct mailfs_client *c, const char *uids, const char *mailbox)
{
	return copy_or_move(c, CMD_COPY, "UID COPY", uids, mailbox);
}

struct mailfs_cmd *
mailfs_uid_move(struct mailfs_client *c, const char *uids, const char *mailbox)
{
	if (require_cap(c, MAILFS_CAP_MOVE, "MOVE") == -1)
		return NULL;
	return copy_or_move(c, CMD_MOVE, "UID MOVE", uids, mailbox);
}

struct mailfs_cmd *
mailfs_uid_expunge(struct mailfs_client *c, const char *uids)
{
	if (require_cap(c, MAILFS_CAP_UIDPLUS, "UIDPLUS (UID EXPUNGE)") == -1)
		return NULL;
	return cmd_submit(c, uid_command(c, CMD_GENERIC, "UID EXPUNGE", uids,
	    NULL));
}

struct mailfs_cmd *
mailfs_expunge(struct mailfs_client *c)
{
	if (require_selected(c, "EXPUNGE") == -1)
		return NULL;
	return cmd_submit(c, cmd_new(c, CMD_GENERIC, "EXPUNGE", NULL));
}

struct mailfs_cmd *
mailfs_uid_search(struct mailfs_client *c, const char *criteria,
    const struct mailfs_handlers *h)
{
	struct mailfs_cmd *cmd;
	const char *p;

	if (require_selected(c, "UID SEARCH") == -1)
		return NULL;
	/* Criteria travel as given: nothing in them may end the line or start a literal. */
	for (p = criteria; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f || *p == '{')
			break;
	if (*p != '\0' || *criteria == '\0') {
		error_set(&c->err, MAILFS_ERR_USAGE,
		    "UID SEARCH: criteria must be one line without literals");
		return NULL;
	}
	if ((cmd = cmd_new(c, CMD_SEARCH, "UID SEARCH", h)) == NULL)
		return NULL;
	if (c->caps & MAILFS_CAP_ESEARCH)
		cmd_add(cmd, " RETURN (ALL)");
	cmd_add(cmd, " ");
	if (buf_append_str(&cmd->text, criteria) == -1) {
		cmd_free(cmd);
		error_set(&c->err, MAILFS_ERR_USAGE, "UID SEARCH: criteria too long");
		return NULL;
	}
	return cmd_submit(c, cmd);
}

struct mailfs_cmd *
mailfs_append(struct mailfs_client *c, const char *mailbox, const char *flags,
    time_t internaldate, const char *data, size_t len)
{
	struct mailfs_cmd *cmd = cmd_new(c, CMD_APPEND, "APPEND", NULL);
	char date[32];

	if (cmd == NULL)
		return NULL;
	cmd_add_mailbox(c, cmd, mailbox);
	if (flags != NULL && *flags != '\0')
		cmd_add_flag_list(c, cmd, flags);
	if (internaldate >= 0) {
		imap_datetime_format((int64_t)internaldate, date);
		cmd_add(cmd, " \"%s\"", date);
	}
	cmd_add_literal(c, cmd, data, len, 0, 0);
	return cmd_submit(c, cmd);
}
