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
#include <strings.h>

#include "buf.h"
#include "engine.h"
#include "errors.h"
#include "message.h"
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
	if (spec->header_fields != NULL && (spec->header_fields[0] == '\0' ||
	    strspn(spec->header_fields, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789- ") != strlen(spec->header_fields))) {
		error_set(&c->err, MAILFS_ERR_USAGE, "UID FETCH: header field names "
		    "are letters, digits and -");
		return NULL;
	}
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
	if (spec->header_fields != NULL)
		cmd_add(cmd, " BODY.PEEK[HEADER.FIELDS (%s)]", spec->header_fields);
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

/* ---- their answers ---- */

/*
 * The command a FETCH answer belongs to.  Pipelined UID FETCH and STORE
 * answers may interleave, so a known UID picks the command whose set holds
 * it; a UID that no command asked for is SELECT's QRESYNC data or news
 * from elsewhere (NULL: the unilateral handler).  Without a UID, which
 * QRESYNC forbids, the oldest command takes it.
 */
static struct mailfs_cmd *
fetch_target(struct mailfs_client *c, uint32_t uid)
{
	struct mailfs_cmd *cmd, *select = NULL, *oldest = NULL;

	for (cmd = c->queue; cmd != NULL; cmd = cmd->next) {
		if (cmd->phase != CMD_PHASE_SENT && cmd->phase != CMD_PHASE_SENDING)
			continue;
		if (cmd->kind == CMD_SELECT && select == NULL)
			select = cmd;
		if (cmd->kind != CMD_FETCH && cmd->kind != CMD_STORE)
			continue;
		if (oldest == NULL)
			oldest = cmd;
		if (uid != 0 && mailfs_uidset_contains(&cmd->uids, uid))
			return cmd;
	}
	if (uid == 0)
		return oldest != NULL ? oldest : select;
	return select;
}

/* The UID among a FETCH list's items so far, or 0. */
static uint32_t
fetch_list_uid(const struct imap_arg *items, size_t count)
{
	size_t i;
	uint32_t uid;

	for (i = 0; i + 1 < count; i += 2)
		if (imap_arg_atom_is(&items[i], "UID") &&
		    reply_u32(&items[i + 1], &uid) == 0)
			return uid;
	return 0;
}

/*
 * APPENDUID uidvalidity uid-set and COPYUID uidvalidity src-set dst-set.
 * Only written into a command of the right kind: an unsolicited code
 * must not masquerade as a command's result (isync CVE-2021-3578).
 */
static int
code_uidplus(struct mailfs_client *c, struct mailfs_cmd *cmd,
    const char *text, int copy)
{
	struct mailfs_cmd_result res;
	const char *p = text, *sp1, *sp2 = NULL;
	uint32_t validity;

	memset(&res, 0, sizeof(res));
	if ((sp1 = strchr(p, ' ')) == NULL ||
	    (copy && (sp2 = strchr(sp1 + 1, ' ')) == NULL))
		return reply_malformed(c, copy ? "COPYUID" : "APPENDUID");
	if (str_to_nz32(p, (size_t)(sp1 - p), &validity) == -1)
		return reply_malformed(c, copy ? "COPYUID" : "APPENDUID");
	if (copy) {
		if (mailfs_uidset_parse(sp1 + 1, (size_t)(sp2 - sp1 - 1),
		    UINT32_MAX, &res.src_uids) == -1 ||
		    mailfs_uidset_parse(sp2 + 1, strlen(sp2 + 1), UINT32_MAX,
		    &res.dst_uids) == -1 ||
		    mailfs_uidset_size(&res.src_uids) !=
		    mailfs_uidset_size(&res.dst_uids)) {
			mailfs_cmd_result_clear(&res);
			return reply_malformed(c, "COPYUID");
		}
	} else if (mailfs_uidset_parse(sp1 + 1, strlen(sp1 + 1), UINT32_MAX,
	    &res.dst_uids) == -1)
		return reply_malformed(c, "APPENDUID");
	res.uidvalidity = validity;
	mailfs_cmd_result_clear(&cmd->result);
	cmd->result = res;
	return 0;
}

static int
parse_fetch(struct mailfs_client *c, uint32_t seq, const struct imap_arg *list,
    struct buf *flags)
{
	struct mailfs_cmd *cmd;
	struct mailfs_msg msg;
	size_t i;

	if (list->type != IMAP_ARG_LIST || list->len % 2 != 0)
		return reply_malformed(c, "FETCH");
	memset(&msg, 0, sizeof(msg));
	msg.seq = seq;
	msg.flags = "";
	for (i = 0; i < list->len; i += 2) {
		const struct imap_arg *name = &list->list[i], *val = &list->list[i + 1];
		int64_t t;

		if (name->type != IMAP_ARG_ATOM)
			return reply_malformed(c, "FETCH");
		if (imap_arg_atom_is(name, "UID")) {
			if (reply_u32(val, &msg.uid) == -1 || msg.uid == 0)
				return reply_malformed(c, "FETCH UID");
			msg.present |= MAILFS_MSG_UID;
		} else if (imap_arg_atom_is(name, "FLAGS")) {
			if (reply_join_atoms(val, flags) == -1)
				return reply_malformed(c, "FETCH FLAGS");
			msg.flags = flags->data != NULL ? flags->data : "";
			msg.present |= MAILFS_MSG_FLAGS;
		} else if (imap_arg_atom_is(name, "RFC822.SIZE")) {
			if (reply_u64(val, &msg.size) == -1)
				return reply_malformed(c, "FETCH RFC822.SIZE");
			msg.present |= MAILFS_MSG_SIZE;
		} else if (imap_arg_atom_is(name, "INTERNALDATE")) {
			if (val->type != IMAP_ARG_STRING ||
			    str_to_imap_datetime(val->str, val->len, &t) == -1)
				return reply_malformed(c, "FETCH INTERNALDATE");
			msg.internaldate = (time_t)t;
			msg.present |= MAILFS_MSG_INTERNALDATE;
		} else if (imap_arg_atom_is(name, "MODSEQ")) {
			if (val->type != IMAP_ARG_LIST || val->len != 1 ||
			    reply_u64(&val->list[0], &msg.modseq) == -1)
				return reply_malformed(c, "FETCH MODSEQ");
			msg.present |= MAILFS_MSG_MODSEQ;
		} else if (strncasecmp(name->str, "BODY[", 5) == 0 ||
		    strncasecmp(name->str, "BINARY[", 7) == 0 ||
		    imap_arg_atom_is(name, "RFC822")) {
			const char *lt = strchr(name->str, '<');

			if (lt != NULL && str_to_u64(lt + 1,
			    name->len - (size_t)(lt + 1 - name->str) - 1,
			    UINT64_MAX, &msg.body_origin) == -1)
				return reply_malformed(c, "FETCH BODY origin");
			if (val->type == IMAP_ARG_LITERAL_STREAMED) {
				msg.present |= MAILFS_MSG_BODY_STREAMED;
				msg.body_len = (size_t)val->literal_size;
			} else if (val->type == IMAP_ARG_NIL) {
				msg.present |= MAILFS_MSG_BODY;
				msg.body = "";
			} else if (imap_arg_is_string(val)) {
				msg.present |= MAILFS_MSG_BODY;
				msg.body = val->str;
				msg.body_len = val->len;
			} else
				return reply_malformed(c, "FETCH BODY");
		}
		/* Items we did not ask for are skipped whatever their form. */
	}
	/* The stream hook chose the command before the body; the same one finishes it. */
	cmd = (msg.present & MAILFS_MSG_BODY_STREAMED) && c->stream_cmd != NULL ?
	    c->stream_cmd : fetch_target(c, msg.uid);
	/* A command that did not ask for FETCH data leaves it to the unilateral handler. */
	if (cmd != NULL && cmd->handlers.fetch != NULL)
		cmd->handlers.fetch(cmd->handlers.ctx, &msg);
	else if (c->unilateral.fetch != NULL)
		c->unilateral.fetch(c->unilateral.ctx, &msg);
	return 0;
}

/* "* SEARCH 1 2 3": numbers become a set. */
int
message_search_data(struct mailfs_client *c, const struct imap_arg *args, size_t nargs)
{
	struct mailfs_cmd *cmd = reply_oldest(c, CMD_SEARCH, CMD_SEARCH, CMD_SEARCH);
	struct mailfs_uidset set;
	struct buf b;
	size_t i;
	int rc = 0;

	buf_init(&b, (size_t)64 * 1024 * 1024);
	for (i = 0; i < nargs && rc == 0; i++) {
		uint32_t n;

		/* (MODSEQ n) may end a CONDSTORE SEARCH answer. */
		if (args[i].type == IMAP_ARG_LIST && i == nargs - 1)
			break;
		if (reply_u32(&args[i], &n) == -1 || n == 0)
			rc = -1;
		else if (buf_printf(&b, "%s%u", b.len > 0 ? "," : "", n) == -1)
			rc = -1;
	}
	memset(&set, 0, sizeof(set));
	if (rc == 0 && b.len > 0)
		rc = mailfs_uidset_parse(b.data, b.len, UINT32_MAX, &set);
	buf_free(&b);
	if (rc == -1)
		return reply_malformed(c, "SEARCH");
	if (cmd != NULL && cmd->handlers.search != NULL)
		cmd->handlers.search(cmd->handlers.ctx, &set);
	mailfs_uidset_clear(&set);
	return 0;
}

/* "* ESEARCH (TAG "m4") UID ALL 1:3,5 COUNT 4" */
int
message_esearch_data(struct mailfs_client *c, const struct imap_arg *args, size_t nargs)
{
	struct mailfs_cmd *cmd = NULL;
	struct mailfs_uidset set;
	size_t i = 0;

	if (nargs > 0 && args[0].type == IMAP_ARG_LIST) {
		const struct imap_arg *corr = &args[0];

		if (corr->len == 2 && imap_arg_atom_is(&corr->list[0], "TAG") &&
		    imap_arg_is_string(&corr->list[1]))
			cmd = reply_by_tag(c, corr->list[1].str);
		i = 1;
	}
	if (cmd == NULL || cmd->kind != CMD_SEARCH)
		cmd = reply_oldest(c, CMD_SEARCH, CMD_SEARCH, CMD_SEARCH);
	if (i < nargs && imap_arg_atom_is(&args[i], "UID"))
		i++;
	memset(&set, 0, sizeof(set));
	for (; i + 1 < nargs; i += 2) {
		if (!imap_arg_atom_is(&args[i], "ALL"))
			continue;
		if (args[i + 1].type != IMAP_ARG_ATOM ||
		    mailfs_uidset_parse(args[i + 1].str, args[i + 1].len,
		    UINT32_MAX, &set) == -1)
			return reply_malformed(c, "ESEARCH");
		break;
	}
	if (cmd != NULL && cmd->handlers.search != NULL)
		cmd->handlers.search(cmd->handlers.ctx, &set);
	mailfs_uidset_clear(&set);
	return 0;
}

int
message_vanished_data(struct mailfs_client *c, const struct imap_arg *args,
    size_t nargs)
{
	struct mailfs_uidset set;
	struct mailfs_cmd *cmd;
	int earlier = 0;
	size_t i = 0;
	uint64_t gone;

	if (nargs > 0 && args[0].type == IMAP_ARG_LIST) {
		if (args[0].len != 1 ||
		    !imap_arg_atom_is(&args[0].list[0], "EARLIER"))
			return reply_malformed(c, "VANISHED");
		earlier = 1;
		i = 1;
	}
	if (nargs != i + 1 || args[i].type != IMAP_ARG_ATOM ||
	    mailfs_uidset_parse(args[i].str, args[i].len, UINT32_MAX,
	    &set) == -1)
		return reply_malformed(c, "VANISHED");
	if (earlier) {
		cmd = reply_oldest(c, CMD_SELECT, CMD_FETCH, CMD_FETCH);
		if (cmd != NULL && cmd->handlers.vanished != NULL)
			cmd->handlers.vanished(cmd->handlers.ctx, &set, 1);
	} else {
		/* Without EARLIER these were in the mailbox until now. */
		gone = mailfs_uidset_size(&set);
		c->mailbox.pub.exists = gone > c->mailbox.pub.exists ? 0 :
		    c->mailbox.pub.exists - (uint32_t)gone;
		if (c->unilateral.vanished != NULL)
			c->unilateral.vanished(c->unilateral.ctx, &set, 0);
	}
	mailfs_uidset_clear(&set);
	return 0;
}

int
message_stream_hook(void *ctx, const struct imap_response *resp,
    const struct imap_arg *list, size_t count, unsigned depth, uint64_t size)
{
	struct mailfs_client *c = ctx;
	struct mailfs_cmd *cmd;
	const struct imap_arg *item;
	uint32_t seq;

	(void)size;
	if (resp->kind != IMAP_RESP_UNTAGGED || resp->nargs < 2 || depth != 1 ||
	    count == 0 || !imap_arg_atom_is(&resp->args[1], "FETCH") ||
	    reply_u32(&resp->args[0], &seq) == -1)
		return 0;
	item = &list[count - 1];
	if (item->type != IMAP_ARG_ATOM || count % 2 != 1 ||
	    !(strncasecmp(item->str, "BODY[", 5) == 0 ||
	    strncasecmp(item->str, "BINARY[", 7) == 0 ||
	    imap_arg_atom_is(item, "RFC822")))
		return 0;
	cmd = fetch_target(c, fetch_list_uid(list, count));
	if (cmd == NULL || cmd->handlers.body == NULL)
		return 0;
	c->stream_cmd = cmd;
	c->stream_seq = seq;
	return 1;
}

void
message_stream_data(void *ctx, uint64_t offset, uint64_t total,
    const char *data, size_t len)
{
	struct mailfs_client *c = ctx;
	struct mailfs_cmd *cmd = c->stream_cmd;

	if (cmd != NULL && cmd->handlers.body != NULL)
		cmd->handlers.body(cmd->handlers.ctx, c->stream_seq, offset,
		    total, data, len);
}

int
message_code_appenduid(struct mailfs_client *c,
    const struct imap_response *resp, struct mailfs_cmd *cmd, const char *args)
{
	(void)resp;
	return cmd != NULL && cmd->kind == CMD_APPEND ?
	    code_uidplus(c, cmd, args, 0) : 0;
}

int
message_code_copyuid(struct mailfs_client *c,
    const struct imap_response *resp, struct mailfs_cmd *cmd, const char *args)
{
	/* MOVE reports it untagged, before its EXPUNGEs (RFC 6851 4.3). */
	if (cmd == NULL && resp->kind == IMAP_RESP_UNTAGGED)
		cmd = reply_oldest(c, CMD_MOVE, CMD_MOVE, CMD_MOVE);
	return cmd != NULL &&
	    (cmd->kind == CMD_COPY || cmd->kind == CMD_MOVE) ?
	    code_uidplus(c, cmd, args, 1) : 0;
}

int
message_code_modified(struct mailfs_client *c,
    const struct imap_response *resp, struct mailfs_cmd *cmd, const char *args)
{
	(void)resp;
	if (cmd == NULL || cmd->kind != CMD_STORE)
		return 0;
	mailfs_uidset_clear(&cmd->result.modified);
	if (mailfs_uidset_parse(args, strlen(args), UINT32_MAX,
	    &cmd->result.modified) == -1)
		return reply_malformed(c, "MODIFIED");
	return 0;
}

int
message_expunge(struct mailfs_client *c, uint32_t n,
    const struct imap_response *resp)
{
	struct mailbox_state *mb = &c->mailbox;

	(void)resp;
	/*
	 * An EXPUNGE can still arrive for the mailbox that a pipelined
	 * SELECT is replacing: count down, but never below zero.
	 */
	if (n == 0)
		return reply_malformed(c, "EXPUNGE");
	if (mb->pub.exists > 0)
		mb->pub.exists--;
	if (c->unilateral.expunge != NULL)
		c->unilateral.expunge(c->unilateral.ctx, n);
	return 0;
}

int
message_fetch(struct mailfs_client *c, uint32_t n,
    const struct imap_response *resp)
{
	struct buf flags;
	int rc;

	if (n == 0 || resp->nargs != 3)
		return reply_malformed(c, "FETCH");
	buf_init(&flags, JOINED_MAX);
	rc = parse_fetch(c, n, &resp->args[2], &flags);
	buf_free(&flags);
	return rc;
}
