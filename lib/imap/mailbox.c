/*
 * Commands about mailboxes and the session: CAPABILITY, NOOP, ID, ENABLE,
 * NAMESPACE, LIST, STATUS, CREATE, DELETE, RENAME, GETQUOTAROOT, SELECT,
 * EXAMINE, UNSELECT.
 *
 * RFC 3501 6.1-6.3, RFC 9051 6.3, RFC 2971 (ID), RFC 5161 (ENABLE),
 * RFC 2342 (NAMESPACE), RFC 5258 and RFC 6154 (LIST RETURN (SPECIAL-USE)),
 * RFC 5819 (LIST-STATUS), RFC 9208 (GETQUOTAROOT), RFC 7162 3.1.8 and
 * 3.2.5 (SELECT with CONDSTORE and QRESYNC), RFC 3691 (UNSELECT).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "errors.h"

#ifndef MAILFS_VERSION
#define MAILFS_VERSION "unknown"
#endif

static struct mailfs_cmd *
simple(struct mailfs_client *c, enum cmd_kind kind, const char *name)
{
	return cmd_submit(c, cmd_new(c, kind, name, NULL));
}

/* A command whose only argument is one mailbox name. */
static struct mailfs_cmd *
on_mailbox(struct mailfs_client *c, enum cmd_kind kind, const char *name,
    const char *mailbox, const struct mailfs_handlers *handlers)
{
	struct mailfs_cmd *cmd = cmd_new(c, kind, name, handlers);

	if (cmd != NULL)
		cmd_add_mailbox(c, cmd, mailbox);
	return cmd_submit(c, cmd);
}

static int
require(struct mailfs_client *c, unsigned cap, const char *what)
{
	if (c->caps & cap)
		return 0;
	error_set(&c->err, MAILFS_ERR_UNSUPPORTED,
	    "the server does not support %s", what);
	return -1;
}

struct mailfs_cmd *
mailfs_capability(struct mailfs_client *c)
{
	return simple(c, CMD_CAPABILITY, "CAPABILITY");
}

struct mailfs_cmd *
mailfs_noop(struct mailfs_client *c)
{
	return simple(c, CMD_GENERIC, "NOOP");
}

struct mailfs_cmd *
mailfs_id(struct mailfs_client *c)
{
	struct mailfs_cmd *cmd;

	if (require(c, MAILFS_CAP_ID, "ID") == -1)
		return NULL;
	if ((cmd = cmd_new(c, CMD_ID, "ID", NULL)) != NULL)
		cmd_add(cmd, " (\"name\" \"libmailfs\" \"version\" \"%s\")",
		    MAILFS_VERSION);
	return cmd_submit(c, cmd);
}

struct mailfs_cmd *
mailfs_enable(struct mailfs_client *c, const char *extensions)
{
	struct mailfs_cmd *cmd;
	const char *p;

	if (require(c, MAILFS_CAP_ENABLE, "ENABLE") == -1)
		return NULL;
	for (p = extensions; *p != '\0'; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || *p == ' ' || *p == '-' ||
		    *p == '=' || *p == '+' || *p == '.'))
			break;
	if (*p != '\0' || *extensions == '\0') {
		error_set(&c->err, MAILFS_ERR_USAGE,
		    "ENABLE: not a list of capability names");
		return NULL;
	}
	if ((cmd = cmd_new(c, CMD_ENABLE, "ENABLE", NULL)) != NULL)
		cmd_add(cmd, " %s", extensions);
	return cmd_submit(c, cmd);
}

struct mailfs_cmd *
mailfs_namespace(struct mailfs_client *c, const struct mailfs_handlers *h)
{
	if (require(c, MAILFS_CAP_NAMESPACE, "NAMESPACE") == -1)
		return NULL;
	return cmd_submit(c, cmd_new(c, CMD_NAMESPACE, "NAMESPACE", h));
}

/* The STATUS item names for MAILFS_STATUS_* bits, in one place for LIST and STATUS. */
static void
add_status_items(struct mailfs_client *c, struct mailfs_cmd *cmd,
    unsigned items)
{
	static const struct {
		unsigned bit;
		const char *name;
	} names[] = {
		{ MAILFS_STATUS_MESSAGES, "MESSAGES" },
		{ MAILFS_STATUS_RECENT, "RECENT" },
		{ MAILFS_STATUS_UIDNEXT, "UIDNEXT" },
		{ MAILFS_STATUS_UIDVALIDITY, "UIDVALIDITY" },
		{ MAILFS_STATUS_UNSEEN, "UNSEEN" },
		{ MAILFS_STATUS_HIGHESTMODSEQ, "HIGHESTMODSEQ" },
		{ MAILFS_STATUS_SIZE, "SIZE" },
	};
	size_t i;
	int first = 1;

	cmd_add(cmd, " (");
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!(items & names[i].bit))
			continue;
		/* HIGHESTMODSEQ needs CONDSTORE; asking without it is BAD. */
		if (names[i].bit == MAILFS_STATUS_HIGHESTMODSEQ &&
		    !(c->caps & MAILFS_CAP_CONDSTORE))
			continue;
		cmd_add(cmd, "%s%s", first ? "" : " ", names[i].name);
		first = 0;
	}
	if (first)
		cmd_add(cmd, "MESSAGES");
	cmd_add(cmd, ")");
}

struct mailfs_cmd *
mailfs_list(struct mailfs_client *c, const char *reference,
    const char *pattern, unsigned flags, unsigned status_items,
    const struct mailfs_handlers *h)
{
	struct mailfs_cmd *cmd = cmd_new(c, CMD_LIST, "LIST", h);
	int special = (flags & MAILFS_LIST_SPECIAL_USE) &&
	    (c->caps & MAILFS_CAP_SPECIAL_USE);
	int status = (flags & MAILFS_LIST_STATUS) &&
	    (c->caps & MAILFS_CAP_LIST_STATUS);

	if (cmd == NULL)
		return NULL;
	/* The reference may be empty, which cmd_add_mailbox refuses. */
	if (reference == NULL || *reference == '\0')
		cmd_add(cmd, " \"\"");
	else
		cmd_add_mailbox(c, cmd, reference);
	/* Patterns keep their wildcards; they are encoded like names. */
	cmd_add_mailbox(c, cmd, pattern);
	if (special || status) {
		cmd_add(cmd, " RETURN (");
		if (special)
			cmd_add(cmd, "SPECIAL-USE");
		if (status) {
			cmd_add(cmd, "%sSTATUS", special ? " " : "");
			add_status_items(c, cmd, status_items);
		}
		cmd_add(cmd, ")");
	}
	return cmd_submit(c, cmd);
}

struct mailfs_cmd *
mailfs_status(struct mailfs_client *c, const char *mailbox, unsigned items,
    const struct mailfs_handlers *h)
{
	struct mailfs_cmd *cmd = cmd_new(c, CMD_STATUS, "STATUS", h);

	if (cmd != NULL) {
		cmd_add_mailbox(c, cmd, mailbox);
		add_status_items(c, cmd, items);
	}
	return cmd_submit(c, cmd);
}

struct mailfs_cmd *
mailfs_create(struct mailfs_client *c, const char *mailbox)
{
	return on_mailbox(c, CMD_GENERIC, "CREATE", mailbox, NULL);
}

struct mailfs_cmd *
mailfs_delete(struct mailfs_client *c, const char *mailbox)
{
	return on_mailbox(c, CMD_GENERIC, "DELETE", mailbox, NULL);
}

struct mailfs_cmd *
mailfs_rename(struct mailfs_client *c, const char *from, const char *to)
{
	struct mailfs_cmd *cmd = cmd_new(c, CMD_GENERIC, "RENAME", NULL);

	if (cmd != NULL) {
		cmd_add_mailbox(c, cmd, from);
		cmd_add_mailbox(c, cmd, to);
	}
	return cmd_submit(c, cmd);
}

struct mailfs_cmd *
mailfs_getquotaroot(struct mailfs_client *c, const char *mailbox,
    const struct mailfs_handlers *h)
{
	if (require(c, MAILFS_CAP_QUOTA, "QUOTA") == -1)
		return NULL;
	return on_mailbox(c, CMD_QUOTA, "GETQUOTAROOT", mailbox, h);
}

struct mailfs_cmd *
mailfs_select(struct mailfs_client *c, const char *mailbox, unsigned flags,
    const struct mailfs_qresync *qr, const struct mailfs_handlers *h)
{
	struct mailfs_cmd *cmd;
	char *name;

	if (qr != NULL && !c->qresync_enabled) {
		error_set(&c->err, MAILFS_ERR_UNSUPPORTED,
		    "SELECT: QRESYNC is not enabled on this connection");
		return NULL;
	}
	cmd = cmd_new(c, CMD_SELECT, flags & MAILFS_SELECT_READ_ONLY ?
	    "EXAMINE" : "SELECT", h);
	if (cmd == NULL)
		return NULL;
	cmd_add_mailbox(c, cmd, mailbox);
	if (qr != NULL) {
		cmd_add(cmd, " (QRESYNC (%u %llu", qr->uidvalidity,
		    (unsigned long long)qr->modseq);
		if (qr->known_uids != NULL)
			cmd_add_uidset(c, cmd, qr->known_uids);
		cmd_add(cmd, "))");
	} else if ((flags & MAILFS_SELECT_CONDSTORE) &&
	    (c->caps & MAILFS_CAP_CONDSTORE)) {
		cmd_add(cmd, " (CONDSTORE)");
		c->condstore_enabled = 1;
	}
	if ((name = strdup(mailbox)) == NULL) {
		cmd_free(cmd);
		error_set_sys(&c->err, ENOMEM, "SELECT");
		return NULL;
	}
	if ((cmd = cmd_submit(c, cmd)) == NULL) {
		free(name);
		return NULL;
	}
	/*
	 * From now on the server's mailbox data describe the new mailbox:
	 * the old one is deselected as soon as SELECT is sent.
	 */
	mailbox_state_clear(c);
	c->mailbox.name = name;
	c->mailbox.pub.read_only = (flags & MAILFS_SELECT_READ_ONLY) != 0;
	return cmd;
}

struct mailfs_cmd *
mailfs_unselect(struct mailfs_client *c)
{
	if (require(c, MAILFS_CAP_UNSELECT, "UNSELECT") == -1)
		return NULL;
	return simple(c, CMD_UNSELECT, "UNSELECT");
}
