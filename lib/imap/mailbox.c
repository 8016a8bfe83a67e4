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
#include <strings.h>

#include <mailfs/utf7.h>

#include "buf.h"
#include "engine.h"
#include "errors.h"
#include "mailbox.h"
#include "strparse.h"

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

/* ---- their answers ---- */

static const struct {
	const char *name;
	unsigned bit;
} cap_names[] = {
	{ "IMAP4REV1", MAILFS_CAP_IMAP4REV1 },
	{ "IMAP4REV2", MAILFS_CAP_IMAP4REV2 },
	{ "STARTTLS", MAILFS_CAP_STARTTLS },
	{ "LOGINDISABLED", MAILFS_CAP_LOGINDISABLED },
	{ "AUTH=PLAIN", MAILFS_CAP_AUTH_PLAIN },
	{ "SASL-IR", MAILFS_CAP_SASL_IR },
	{ "LITERAL+", MAILFS_CAP_LITERAL_PLUS },
	{ "LITERAL-", MAILFS_CAP_LITERAL_MINUS },
	{ "IDLE", MAILFS_CAP_IDLE },
	{ "UIDPLUS", MAILFS_CAP_UIDPLUS },
	{ "MOVE", MAILFS_CAP_MOVE },
	{ "CONDSTORE", MAILFS_CAP_CONDSTORE },
	{ "QRESYNC", MAILFS_CAP_QRESYNC },
	{ "ENABLE", MAILFS_CAP_ENABLE },
	{ "SPECIAL-USE", MAILFS_CAP_SPECIAL_USE },
	{ "LIST-EXTENDED", MAILFS_CAP_LIST_EXTENDED },
	{ "LIST-STATUS", MAILFS_CAP_LIST_STATUS },
	{ "NAMESPACE", MAILFS_CAP_NAMESPACE },
	{ "QUOTA", MAILFS_CAP_QUOTA },
	{ "ID", MAILFS_CAP_ID },
	{ "ESEARCH", MAILFS_CAP_ESEARCH },
	{ "UNSELECT", MAILFS_CAP_UNSELECT },
	{ "BINARY", MAILFS_CAP_BINARY },
	{ "CREATE-SPECIAL-USE", MAILFS_CAP_CREATE_SPECIAL_USE },
	{ "NOTIFY", MAILFS_CAP_NOTIFY },
};

int
capabilities_set(struct mailfs_client *c, const char *text, size_t len)
{
	char *copy;
	const char *p, *end = text + len;
	size_t i, n;

	if (len > JOINED_MAX)
		return reply_malformed(c, "CAPABILITY");
	if ((copy = malloc(len + 1)) == NULL) {
		error_set_sys(&c->err, errno, "capabilities");
		return -1;
	}
	memcpy(copy, text, len);
	copy[len] = '\0';
	free(c->capabilities);
	c->capabilities = copy;
	c->caps = 0;
	for (p = text; p < end; p += n) {
		while (p < end && *p == ' ')
			p++;
		for (n = 0; p + n < end && p[n] != ' '; n++)
			;
		for (i = 0; i < sizeof(cap_names) / sizeof(cap_names[0]); i++)
			if (n > 0 && str_eq_ci(p, n, cap_names[i].name))
				c->caps |= cap_names[i].bit;
	}
	return 0;
}

/* CAPABILITY as untagged data: rebuild the text from its atoms. */
int
mailbox_capability_data(struct mailfs_client *c, const struct imap_arg *args,
    size_t nargs)
{
	struct buf b;
	size_t i;
	int rc = 0;

	buf_init(&b, JOINED_MAX);
	for (i = 0; i < nargs && rc == 0; i++) {
		if (args[i].type != IMAP_ARG_ATOM)
			rc = -1;
		else if (i > 0)
			rc = buf_append(&b, " ", 1);
		if (rc == 0)
			rc = buf_append(&b, args[i].str, args[i].len);
	}
	if (rc == 0)
		rc = capabilities_set(c, b.data != NULL ? b.data : "", b.len);
	else
		reply_malformed(c, "CAPABILITY");
	buf_free(&b);
	return rc;
}

static int
code_flags(struct mailfs_client *c, const char *text, char **dst)
{
	struct imap_arg *args;
	size_t nargs;
	struct buf b;
	int rc = -1;

	if (imap_parse_args(text, strlen(text), &c->limits, &args, &nargs) == -1)
		return reply_malformed(c, "PERMANENTFLAGS");
	buf_init(&b, JOINED_MAX);
	if (nargs == 1 && reply_join_atoms(&args[0], &b) == 0)
		rc = reply_replace_string(dst, b.data != NULL ? b.data : "");
	buf_free(&b);
	imap_args_free(args, nargs);
	if (rc == -1)
		return reply_malformed(c, "PERMANENTFLAGS");
	return 0;
}

static int
code_number(struct mailfs_client *c, const char *text, uint64_t max,
    uint64_t *n_r, const char *what)
{
	if (str_to_u64(text, strlen(text), max, n_r) == -1)
		return reply_malformed(c, what);
	return 0;
}

static unsigned
list_attr_bit(const struct imap_arg *a)
{
	static const struct {
		const char *name;
		unsigned bit;
	} attrs[] = {
		{ "\\Noselect", MAILFS_MBX_NOSELECT },
		{ "\\NonExistent", MAILFS_MBX_NONEXISTENT | MAILFS_MBX_NOSELECT },
		{ "\\Noinferiors", MAILFS_MBX_NOINFERIORS },
		{ "\\HasChildren", MAILFS_MBX_HASCHILDREN },
		{ "\\HasNoChildren", MAILFS_MBX_HASNOCHILDREN },
		{ "\\Marked", MAILFS_MBX_MARKED },
		{ "\\Unmarked", MAILFS_MBX_UNMARKED },
		{ "\\Subscribed", MAILFS_MBX_SUBSCRIBED },
		{ "\\All", MAILFS_MBX_ALL },
		{ "\\Archive", MAILFS_MBX_ARCHIVE },
		{ "\\Drafts", MAILFS_MBX_DRAFTS },
		{ "\\Flagged", MAILFS_MBX_FLAGGED },
		{ "\\Junk", MAILFS_MBX_JUNK },
		{ "\\Sent", MAILFS_MBX_SENT },
		{ "\\Trash", MAILFS_MBX_TRASH },
		{ "\\Remote", MAILFS_MBX_REMOTE },
	};
	size_t i;

	for (i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++)
		if (imap_arg_atom_is(a, attrs[i].name))
			return attrs[i].bit;
	return 0;
}

/*
 * Decodes a mailbox name argument; *utf8_r is NULL when it is not valid
 * mUTF-7, or when memory ran out (*lost_r 1 then).
 */
static int
mailbox_name(struct mailfs_client *c, const struct imap_arg *a,
    char **utf8_r, int *lost_r)
{
	int r = 0;

	*utf8_r = NULL;
	*lost_r = 0;
	if (!imap_arg_is_string(a) || memchr(a->str, '\0', a->len) != NULL)
		return reply_malformed(c, "mailbox name in a");
	/* INBOX is case-insensitive (RFC 3501 5.1); one spelling for callers. */
	errno = 0;
	if (str_eq_ci(a->str, a->len, "INBOX"))
		r = (*utf8_r = strdup("INBOX")) == NULL ? -1 : 0;
	else
		r = mailfs_utf7_decode(a->str, a->len, utf8_r);
	if (r == -1) {
		*lost_r = errno == ENOMEM;
		*utf8_r = NULL;
	}
	if (*lost_r)
		engine_trace(c, MAILFS_TRACE_INFO,
		    "out of memory for the mailbox name %.*s",
		    (int)(a->len > 200 ? 200 : a->len), a->str);
	else if (*utf8_r == NULL)
		engine_trace(c, MAILFS_TRACE_INFO,
		    "mailbox name is not valid modified UTF-7: %.*s",
		    (int)(a->len > 200 ? 200 : a->len), a->str);
	return 0;
}

int
mailbox_list_data(struct mailfs_client *c, const struct imap_arg *args, size_t nargs)
{
	struct mailfs_cmd *cmd = reply_oldest(c, CMD_LIST, CMD_LIST, CMD_LIST);
	struct mailfs_list_entry e;
	char *name;
	size_t i;

	if (nargs < 3 || args[0].type != IMAP_ARG_LIST)
		return reply_malformed(c, "LIST");
	memset(&e, 0, sizeof(e));
	for (i = 0; i < args[0].len; i++) {
		if (args[0].list[i].type != IMAP_ARG_ATOM)
			return reply_malformed(c, "LIST");
		e.attrs |= list_attr_bit(&args[0].list[i]);
	}
	if (args[1].type == IMAP_ARG_STRING && args[1].len == 1)
		e.delimiter = args[1].str[0];
	else if (args[1].type != IMAP_ARG_NIL)
		return reply_malformed(c, "LIST");
	if (mailbox_name(c, &args[2], &name, &e.name_lost) == -1)
		return -1;
	if (!c->have_delimiter) {
		c->delimiter = e.delimiter;
		c->have_delimiter = 1;
	}
	e.name = name;
	e.raw_name = args[2].str;
	if (cmd != NULL && cmd->handlers.list != NULL)
		cmd->handlers.list(cmd->handlers.ctx, &e);
	else if (cmd == NULL && c->unilateral.list != NULL)
		c->unilateral.list(c->unilateral.ctx, &e);
	free(name);
	return 0;
}

int
mailbox_status_data(struct mailfs_client *c, const struct imap_arg *args, size_t nargs)
{
	static const struct {
		const char *name;
		unsigned bit;
		size_t offset;
		int wide;
	} items[] = {
		{ "MESSAGES", MAILFS_STATUS_MESSAGES, offsetof(struct mailfs_status, messages), 0 },
		{ "RECENT", MAILFS_STATUS_RECENT, offsetof(struct mailfs_status, recent), 0 },
		{ "UIDNEXT", MAILFS_STATUS_UIDNEXT, offsetof(struct mailfs_status, uidnext), 0 },
		{ "UIDVALIDITY", MAILFS_STATUS_UIDVALIDITY, offsetof(struct mailfs_status, uidvalidity), 0 },
		{ "UNSEEN", MAILFS_STATUS_UNSEEN, offsetof(struct mailfs_status, unseen), 0 },
		{ "HIGHESTMODSEQ", MAILFS_STATUS_HIGHESTMODSEQ, offsetof(struct mailfs_status, highestmodseq), 1 },
		{ "SIZE", MAILFS_STATUS_SIZE, offsetof(struct mailfs_status, size), 1 },
	};
	struct mailfs_cmd *cmd = reply_oldest(c, CMD_STATUS, CMD_LIST, CMD_LIST);
	struct mailfs_status st;
	const struct imap_arg *list;
	char *name;
	size_t i, j;
	int lost;	/* the STATUS is dropped: its folder is looked at anyway */

	if (nargs != 2 || args[1].type != IMAP_ARG_LIST || args[1].len % 2 != 0)
		return reply_malformed(c, "STATUS");
	memset(&st, 0, sizeof(st));
	list = &args[1];
	for (i = 0; i < list->len; i += 2) {
		for (j = 0; j < sizeof(items) / sizeof(items[0]); j++) {
			uint64_t n;

			if (!imap_arg_atom_is(&list->list[i], items[j].name))
				continue;
			if (reply_u64(&list->list[i + 1], &n) == -1 ||
			    (!items[j].wide && n > UINT32_MAX))
				return reply_malformed(c, "STATUS");
			if (items[j].wide)
				*(uint64_t *)((char *)&st + items[j].offset) = n;
			else
				*(uint32_t *)((char *)&st + items[j].offset) = (uint32_t)n;
			st.present |= items[j].bit;
		}
	}
	if (mailbox_name(c, &args[0], &name, &lost) == -1)
		return -1;
	st.name = name;
	if (cmd != NULL && cmd->handlers.status != NULL)
		cmd->handlers.status(cmd->handlers.ctx, &st);
	else if (cmd == NULL && c->unilateral.status != NULL)
		c->unilateral.status(c->unilateral.ctx, &st);
	free(name);
	return 0;
}

/* "* QUOTAROOT mailbox root..." and "* QUOTA root (RES usage limit ...)" */
static int
parse_quota(struct mailfs_client *c, const struct imap_arg *args, size_t nargs,
    int is_root)
{
	struct mailfs_cmd *cmd = reply_oldest(c, CMD_QUOTA, CMD_QUOTA, CMD_QUOTA);
	const struct mailfs_handlers *h = cmd != NULL ? &cmd->handlers : NULL;
	struct mailfs_quota q;
	size_t i;

	if (nargs < 1 || !imap_arg_is_string(&args[0]))
		return reply_malformed(c, is_root ? "QUOTAROOT" : "QUOTA");
	if (is_root) {
		for (i = 1; i < nargs; i++) {
			if (!imap_arg_is_string(&args[i]))
				return reply_malformed(c, "QUOTAROOT");
			if (h != NULL && h->quotaroot != NULL)
				h->quotaroot(h->ctx, args[0].str, args[i].str);
		}
		return 0;
	}
	if (nargs != 2 || args[1].type != IMAP_ARG_LIST || args[1].len % 3 != 0)
		return reply_malformed(c, "QUOTA");
	for (i = 0; i < args[1].len; i += 3) {
		const struct imap_arg *r = &args[1].list[i];

		memset(&q, 0, sizeof(q));
		if (r[0].type != IMAP_ARG_ATOM || reply_u64(&r[1], &q.usage) == -1 ||
		    reply_u64(&r[2], &q.limit) == -1)
			return reply_malformed(c, "QUOTA");
		q.root = args[0].str;
		q.resource = r[0].str;
		if (h != NULL && h->quota != NULL)
			h->quota(h->ctx, &q);
	}
	return 0;
}

/* "* NAMESPACE (("" ".")) NIL NIL": the first personal namespace. */
int
mailbox_namespace_data(struct mailfs_client *c, const struct imap_arg *args,
    size_t nargs)
{
	struct mailfs_cmd *cmd = reply_oldest(c, CMD_NAMESPACE,
	    CMD_NAMESPACE, CMD_NAMESPACE);
	struct mailfs_namespace ns;
	const struct imap_arg *first;

	if (nargs != 3)
		return reply_malformed(c, "NAMESPACE");
	if (args[0].type == IMAP_ARG_NIL)
		return 0;
	if (args[0].type != IMAP_ARG_LIST || args[0].len < 1 ||
	    args[0].list[0].type != IMAP_ARG_LIST || args[0].list[0].len < 2)
		return reply_malformed(c, "NAMESPACE");
	first = args[0].list[0].list;
	if (!imap_arg_is_string(&first[0]))
		return reply_malformed(c, "NAMESPACE");
	memset(&ns, 0, sizeof(ns));
	ns.prefix = first[0].str;
	if (first[1].type == IMAP_ARG_STRING && first[1].len == 1)
		ns.delimiter = first[1].str[0];
	else if (first[1].type != IMAP_ARG_NIL)
		return reply_malformed(c, "NAMESPACE");
	if (cmd != NULL && cmd->handlers.namespace != NULL)
		cmd->handlers.namespace(cmd->handlers.ctx, &ns);
	return 0;
}

int
mailbox_quotaroot_data(struct mailfs_client *c, const struct imap_arg *args,
    size_t nargs)
{
	return parse_quota(c, args, nargs, 1);
}

int
mailbox_quota_data(struct mailfs_client *c, const struct imap_arg *args,
    size_t nargs)
{
	return parse_quota(c, args, nargs, 0);
}

/* "* ENABLED CONDSTORE": what ENABLE (or a CONDSTORE command) turned on. */
int
mailbox_enabled_data(struct mailfs_client *c, const struct imap_arg *args,
    size_t nargs)
{
	size_t i;

	for (i = 0; i < nargs; i++) {
		if (imap_arg_atom_is(&args[i], "CONDSTORE"))
			c->condstore_enabled = 1;
		if (imap_arg_atom_is(&args[i], "QRESYNC"))
			c->qresync_enabled = c->condstore_enabled = 1;
	}
	return 0;
}

/* "* FLAGS (\Seen ...)": the flags of the mailbox being selected. */
int
mailbox_flags_data(struct mailfs_client *c, const struct imap_arg *args,
    size_t nargs)
{
	struct buf b;
	int rc;

	if (nargs != 1)
		return reply_malformed(c, "FLAGS");
	buf_init(&b, JOINED_MAX);
	rc = reply_join_atoms(&args[0], &b);
	if (rc == 0)
		rc = reply_replace_string(&c->mailbox.flags,
		    b.data != NULL ? b.data : "");
	buf_free(&b);
	return rc == -1 ? reply_malformed(c, "FLAGS") : 0;
}

int
mailbox_exists(struct mailfs_client *c, uint32_t n,
    const struct imap_response *resp)
{
	(void)resp;
	c->mailbox.pub.exists = n;
	if (c->unilateral.exists != NULL && c->selected)
		c->unilateral.exists(c->unilateral.ctx, n);
	return 0;
}

int
mailbox_code_capability(struct mailfs_client *c,
    const struct imap_response *resp, struct mailfs_cmd *cmd, const char *args)
{
	(void)resp;
	(void)cmd;
	return capabilities_set(c, args, strlen(args));
}

/* The codes that describe the mailbox being selected. */
int
mailbox_code_select(struct mailfs_client *c, const struct imap_response *resp,
    struct mailfs_cmd *cmd, const char *args)
{
	const char *code = resp->code;
	struct mailbox_state *mb = &c->mailbox;
	uint64_t n;

	if (strcasecmp(code, "UIDVALIDITY") == 0) {
		if (code_number(c, args, UINT32_MAX, &n, "UIDVALIDITY") == -1)
			return -1;
		mb->pub.uidvalidity = (uint32_t)n;
	} else if (strcasecmp(code, "UIDNEXT") == 0) {
		if (code_number(c, args, UINT32_MAX, &n, "UIDNEXT") == -1)
			return -1;
		mb->pub.uidnext = (uint32_t)n;
	} else if (strcasecmp(code, "HIGHESTMODSEQ") == 0) {
		if (code_number(c, args, UINT64_MAX, &n, "HIGHESTMODSEQ") == -1)
			return -1;
		mb->pub.highestmodseq = n;
	} else if (strcasecmp(code, "NOMODSEQ") == 0) {
		mb->pub.highestmodseq = 0;
	} else if (strcasecmp(code, "PERMANENTFLAGS") == 0) {
		return code_flags(c, args, &mb->permanent_flags);
	} else if (strcasecmp(code, "READ-ONLY") == 0) {
		if (cmd != NULL && cmd->kind == CMD_SELECT)
			mb->pub.read_only = 1;
	} else if (strcasecmp(code, "READ-WRITE") == 0) {
		if (cmd != NULL && cmd->kind == CMD_SELECT)
			mb->pub.read_only = 0;
	}
	return 0;
}
