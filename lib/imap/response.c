/*
 * Understanding what the server says, and giving each answer to the
 * command that asked for it (see response.h).
 *
 * RFC 3501 7, RFC 9051 7, RFC 4315 3 (APPENDUID, COPYUID), RFC 6851 4.3
 * (COPYUID of MOVE arrives untagged), RFC 7162 3.1 and 3.2 (MODSEQ,
 * HIGHESTMODSEQ, VANISHED), RFC 4731 (ESEARCH), RFC 9208 (QUOTA),
 * RFC 2342 (NAMESPACE), RFC 5161 (ENABLED), RFC 6154 (special use),
 * RFC 5819 (LIST-STATUS).
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
#include "response.h"
#include "strparse.h"

/* Flags, capability lists and similar joined strings stay below this. */
#define JOINED_MAX	(256 * 1024)

static int
protocol_error(struct mailfs_client *c, const char *what)
{
	error_set(&c->err, MAILFS_ERR_PROTOCOL,
	    "the server sent a malformed %s response", what);
	return -1;
}

/* Copies server text for a message, replacing control bytes so that no
 * escape sequence reaches a terminal through an error line. */
static void
copy_printable(char *dst, size_t size, const char *src)
{
	size_t i;

	for (i = 0; src != NULL && src[i] != '\0' && i + 1 < size; i++) {
		unsigned char ch = (unsigned char)src[i];

		dst[i] = ch < 0x20 || ch == 0x7f ? '?' : (char)ch;
	}
	if (size > 0)
		dst[i] = '\0';
}

static int
arg_to_u32(const struct imap_arg *arg, uint32_t *n_r)
{
	return arg->type == IMAP_ARG_ATOM ?
	    str_to_u32(arg->str, arg->len, UINT32_MAX, n_r) : -1;
}

static int
arg_to_u64(const struct imap_arg *arg, uint64_t *n_r)
{
	return arg->type == IMAP_ARG_ATOM ?
	    str_to_u64(arg->str, arg->len, UINT64_MAX, n_r) : -1;
}

/* ---- capabilities ---- */

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
};

int
capabilities_set(struct mailfs_client *c, const char *text, size_t len)
{
	char *copy;
	const char *p, *end = text + len;
	size_t i, n;

	if (len > JOINED_MAX)
		return protocol_error(c, "CAPABILITY");
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
static int
capabilities_from_args(struct mailfs_client *c, const struct imap_arg *args,
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
		protocol_error(c, "CAPABILITY");
	buf_free(&b);
	return rc;
}

/* ---- finding the command an answer belongs to ---- */

static struct mailfs_cmd *
oldest_in_flight(struct mailfs_client *c, enum cmd_kind k1, enum cmd_kind k2,
    enum cmd_kind k3)
{
	struct mailfs_cmd *cmd;

	for (cmd = c->queue; cmd != NULL; cmd = cmd->next)
		if ((cmd->phase == CMD_PHASE_SENT ||
		    cmd->phase == CMD_PHASE_SENDING) &&
		    (cmd->kind == k1 || cmd->kind == k2 || cmd->kind == k3))
			return cmd;
	return NULL;
}

static struct mailfs_cmd *
find_by_tag(struct mailfs_client *c, const char *tag)
{
	struct mailfs_cmd *cmd;

	for (cmd = c->queue; cmd != NULL; cmd = cmd->next)
		if ((cmd->phase == CMD_PHASE_SENT ||
		    cmd->phase == CMD_PHASE_SENDING) &&
		    strcmp(cmd->tag, tag) == 0)
			return cmd;
	return NULL;
}

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
		    arg_to_u32(&items[i + 1], &uid) == 0)
			return uid;
	return 0;
}

/* ---- joined strings: flags ---- */

/* Joins a list of atoms with single spaces into a NUL-terminated buffer. */
static int
join_atoms(const struct imap_arg *list, struct buf *out)
{
	size_t i;

	buf_reset(out);
	if (list->type != IMAP_ARG_LIST)
		return -1;
	for (i = 0; i < list->len; i++) {
		if (list->list[i].type != IMAP_ARG_ATOM)
			return -1;
		if ((i > 0 && buf_append(out, " ", 1) == -1) ||
		    buf_append(out, list->list[i].str, list->list[i].len) == -1)
			return -1;
	}
	return buf_append(out, "", 0);
}

static int
replace_string(char **dst, const char *src)
{
	char *copy = strdup(src != NULL ? src : "");

	if (copy == NULL)
		return -1;
	free(*dst);
	*dst = copy;
	return 0;
}

/* ---- response codes ---- */

static int
code_flags(struct mailfs_client *c, const char *text, char **dst)
{
	struct imap_arg *args;
	size_t nargs;
	struct buf b;
	int rc = -1;

	if (imap_parse_args(text, strlen(text), &c->limits, &args, &nargs) == -1)
		return protocol_error(c, "PERMANENTFLAGS");
	buf_init(&b, JOINED_MAX);
	if (nargs == 1 && join_atoms(&args[0], &b) == 0)
		rc = replace_string(dst, b.data != NULL ? b.data : "");
	buf_free(&b);
	imap_args_free(args, nargs);
	if (rc == -1)
		return protocol_error(c, "PERMANENTFLAGS");
	return 0;
}

static int
code_number(struct mailfs_client *c, const char *text, uint64_t max,
    uint64_t *n_r, const char *what)
{
	if (str_to_u64(text, strlen(text), max, n_r) == -1)
		return protocol_error(c, what);
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
		return protocol_error(c, copy ? "COPYUID" : "APPENDUID");
	if (str_to_nz32(p, (size_t)(sp1 - p), &validity) == -1)
		return protocol_error(c, copy ? "COPYUID" : "APPENDUID");
	if (copy) {
		if (mailfs_uidset_parse(sp1 + 1, (size_t)(sp2 - sp1 - 1),
		    UINT32_MAX, &res.src_uids) == -1 ||
		    mailfs_uidset_parse(sp2 + 1, strlen(sp2 + 1), UINT32_MAX,
		    &res.dst_uids) == -1 ||
		    mailfs_uidset_size(&res.src_uids) !=
		    mailfs_uidset_size(&res.dst_uids)) {
			mailfs_cmd_result_clear(&res);
			return protocol_error(c, "COPYUID");
		}
	} else if (mailfs_uidset_parse(sp1 + 1, strlen(sp1 + 1), UINT32_MAX,
	    &res.dst_uids) == -1)
		return protocol_error(c, "APPENDUID");
	res.uidvalidity = validity;
	mailfs_cmd_result_clear(&cmd->result);
	cmd->result = res;
	return 0;
}

/* Applies a status response's code.  cmd is the tagged command, or NULL. */
static int
handle_code(struct mailfs_client *c, const struct imap_response *resp,
    struct mailfs_cmd *cmd)
{
	const char *code = resp->code, *args = resp->code_args;
	struct mailbox_state *mb = &c->mailbox;
	uint64_t n;

	if (code == NULL)
		return 0;
	if (args == NULL)
		args = "";
	if (strcasecmp(code, "CAPABILITY") == 0)
		return capabilities_set(c, args, strlen(args));
	if (strcasecmp(code, "ALERT") == 0) {
		if (c->unilateral.alert != NULL)
			c->unilateral.alert(c->unilateral.ctx, resp->text);
		return 0;
	}
	if (strcasecmp(code, "APPENDUID") == 0)
		return cmd != NULL && cmd->kind == CMD_APPEND ?
		    code_uidplus(c, cmd, args, 0) : 0;
	if (strcasecmp(code, "COPYUID") == 0) {
		/* MOVE reports it untagged, before its EXPUNGEs (RFC 6851 4.3). */
		if (cmd == NULL && resp->kind == IMAP_RESP_UNTAGGED)
			cmd = oldest_in_flight(c, CMD_MOVE, CMD_MOVE, CMD_MOVE);
		return cmd != NULL &&
		    (cmd->kind == CMD_COPY || cmd->kind == CMD_MOVE) ?
		    code_uidplus(c, cmd, args, 1) : 0;
	}
	if (strcasecmp(code, "MODIFIED") == 0) {
		if (cmd == NULL || cmd->kind != CMD_STORE)
			return 0;
		mailfs_uidset_clear(&cmd->result.modified);
		if (mailfs_uidset_parse(args, strlen(args), UINT32_MAX,
		    &cmd->result.modified) == -1)
			return protocol_error(c, "MODIFIED");
		return 0;
	}
	/* The rest describe the mailbox being selected. */
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

/* ---- data responses ---- */

static int
parse_fetch(struct mailfs_client *c, uint32_t seq, const struct imap_arg *list,
    struct buf *flags)
{
	struct mailfs_cmd *cmd;
	struct mailfs_msg msg;
	size_t i;

	if (list->type != IMAP_ARG_LIST || list->len % 2 != 0)
		return protocol_error(c, "FETCH");
	memset(&msg, 0, sizeof(msg));
	msg.seq = seq;
	msg.flags = "";
	for (i = 0; i < list->len; i += 2) {
		const struct imap_arg *name = &list->list[i], *val = &list->list[i + 1];
		int64_t t;

		if (name->type != IMAP_ARG_ATOM)
			return protocol_error(c, "FETCH");
		if (imap_arg_atom_is(name, "UID")) {
			if (arg_to_u32(val, &msg.uid) == -1 || msg.uid == 0)
				return protocol_error(c, "FETCH UID");
			msg.present |= MAILFS_MSG_UID;
		} else if (imap_arg_atom_is(name, "FLAGS")) {
			if (join_atoms(val, flags) == -1)
				return protocol_error(c, "FETCH FLAGS");
			msg.flags = flags->data != NULL ? flags->data : "";
			msg.present |= MAILFS_MSG_FLAGS;
		} else if (imap_arg_atom_is(name, "RFC822.SIZE")) {
			if (arg_to_u64(val, &msg.size) == -1)
				return protocol_error(c, "FETCH RFC822.SIZE");
			msg.present |= MAILFS_MSG_SIZE;
		} else if (imap_arg_atom_is(name, "INTERNALDATE")) {
			if (val->type != IMAP_ARG_STRING ||
			    str_to_imap_datetime(val->str, val->len, &t) == -1)
				return protocol_error(c, "FETCH INTERNALDATE");
			msg.internaldate = (time_t)t;
			msg.present |= MAILFS_MSG_INTERNALDATE;
		} else if (imap_arg_atom_is(name, "MODSEQ")) {
			if (val->type != IMAP_ARG_LIST || val->len != 1 ||
			    arg_to_u64(&val->list[0], &msg.modseq) == -1)
				return protocol_error(c, "FETCH MODSEQ");
			msg.present |= MAILFS_MSG_MODSEQ;
		} else if (strncasecmp(name->str, "BODY[", 5) == 0 ||
		    strncasecmp(name->str, "BINARY[", 7) == 0 ||
		    imap_arg_atom_is(name, "RFC822")) {
			const char *lt = strchr(name->str, '<');

			if (lt != NULL && str_to_u64(lt + 1,
			    name->len - (size_t)(lt + 1 - name->str) - 1,
			    UINT64_MAX, &msg.body_origin) == -1)
				return protocol_error(c, "FETCH BODY origin");
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
				return protocol_error(c, "FETCH BODY");
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
		return protocol_error(c, "mailbox name in a");
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

static int
parse_list(struct mailfs_client *c, const struct imap_arg *args, size_t nargs)
{
	struct mailfs_cmd *cmd = oldest_in_flight(c, CMD_LIST, CMD_LIST, CMD_LIST);
	struct mailfs_list_entry e;
	char *name;
	size_t i;

	if (nargs < 3 || args[0].type != IMAP_ARG_LIST)
		return protocol_error(c, "LIST");
	memset(&e, 0, sizeof(e));
	for (i = 0; i < args[0].len; i++) {
		if (args[0].list[i].type != IMAP_ARG_ATOM)
			return protocol_error(c, "LIST");
		e.attrs |= list_attr_bit(&args[0].list[i]);
	}
	if (args[1].type == IMAP_ARG_STRING && args[1].len == 1)
		e.delimiter = args[1].str[0];
	else if (args[1].type != IMAP_ARG_NIL)
		return protocol_error(c, "LIST");
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
	free(name);
	return 0;
}

static int
parse_status(struct mailfs_client *c, const struct imap_arg *args, size_t nargs)
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
	struct mailfs_cmd *cmd = oldest_in_flight(c, CMD_STATUS, CMD_LIST, CMD_LIST);
	struct mailfs_status st;
	const struct imap_arg *list;
	char *name;
	size_t i, j;
	int lost;	/* the STATUS is dropped: its folder is looked at anyway */

	if (nargs != 2 || args[1].type != IMAP_ARG_LIST || args[1].len % 2 != 0)
		return protocol_error(c, "STATUS");
	memset(&st, 0, sizeof(st));
	list = &args[1];
	for (i = 0; i < list->len; i += 2) {
		for (j = 0; j < sizeof(items) / sizeof(items[0]); j++) {
			uint64_t n;

			if (!imap_arg_atom_is(&list->list[i], items[j].name))
				continue;
			if (arg_to_u64(&list->list[i + 1], &n) == -1 ||
			    (!items[j].wide && n > UINT32_MAX))
				return protocol_error(c, "STATUS");
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
	free(name);
	return 0;
}

/* "* SEARCH 1 2 3": numbers become a set. */
static int
parse_search(struct mailfs_client *c, const struct imap_arg *args, size_t nargs)
{
	struct mailfs_cmd *cmd = oldest_in_flight(c, CMD_SEARCH, CMD_SEARCH, CMD_SEARCH);
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
		if (arg_to_u32(&args[i], &n) == -1 || n == 0)
			rc = -1;
		else if (buf_printf(&b, "%s%u", b.len > 0 ? "," : "", n) == -1)
			rc = -1;
	}
	memset(&set, 0, sizeof(set));
	if (rc == 0 && b.len > 0)
		rc = mailfs_uidset_parse(b.data, b.len, UINT32_MAX, &set);
	buf_free(&b);
	if (rc == -1)
		return protocol_error(c, "SEARCH");
	if (cmd != NULL && cmd->handlers.search != NULL)
		cmd->handlers.search(cmd->handlers.ctx, &set);
	mailfs_uidset_clear(&set);
	return 0;
}

/* "* ESEARCH (TAG "m4") UID ALL 1:3,5 COUNT 4" */
static int
parse_esearch(struct mailfs_client *c, const struct imap_arg *args, size_t nargs)
{
	struct mailfs_cmd *cmd = NULL;
	struct mailfs_uidset set;
	size_t i = 0;

	if (nargs > 0 && args[0].type == IMAP_ARG_LIST) {
		const struct imap_arg *corr = &args[0];

		if (corr->len == 2 && imap_arg_atom_is(&corr->list[0], "TAG") &&
		    imap_arg_is_string(&corr->list[1]))
			cmd = find_by_tag(c, corr->list[1].str);
		i = 1;
	}
	if (cmd == NULL || cmd->kind != CMD_SEARCH)
		cmd = oldest_in_flight(c, CMD_SEARCH, CMD_SEARCH, CMD_SEARCH);
	if (i < nargs && imap_arg_atom_is(&args[i], "UID"))
		i++;
	memset(&set, 0, sizeof(set));
	for (; i + 1 < nargs; i += 2) {
		if (!imap_arg_atom_is(&args[i], "ALL"))
			continue;
		if (args[i + 1].type != IMAP_ARG_ATOM ||
		    mailfs_uidset_parse(args[i + 1].str, args[i + 1].len,
		    UINT32_MAX, &set) == -1)
			return protocol_error(c, "ESEARCH");
		break;
	}
	if (cmd != NULL && cmd->handlers.search != NULL)
		cmd->handlers.search(cmd->handlers.ctx, &set);
	mailfs_uidset_clear(&set);
	return 0;
}

static int
parse_vanished(struct mailfs_client *c, const struct imap_arg *args,
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
			return protocol_error(c, "VANISHED");
		earlier = 1;
		i = 1;
	}
	if (nargs != i + 1 || args[i].type != IMAP_ARG_ATOM ||
	    mailfs_uidset_parse(args[i].str, args[i].len, UINT32_MAX,
	    &set) == -1)
		return protocol_error(c, "VANISHED");
	if (earlier) {
		cmd = oldest_in_flight(c, CMD_SELECT, CMD_FETCH, CMD_FETCH);
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

/* "* QUOTAROOT mailbox root..." and "* QUOTA root (RES usage limit ...)" */
static int
parse_quota(struct mailfs_client *c, const struct imap_arg *args, size_t nargs,
    int is_root)
{
	struct mailfs_cmd *cmd = oldest_in_flight(c, CMD_QUOTA, CMD_QUOTA, CMD_QUOTA);
	const struct mailfs_handlers *h = cmd != NULL ? &cmd->handlers : NULL;
	struct mailfs_quota q;
	size_t i;

	if (nargs < 1 || !imap_arg_is_string(&args[0]))
		return protocol_error(c, is_root ? "QUOTAROOT" : "QUOTA");
	if (is_root) {
		for (i = 1; i < nargs; i++) {
			if (!imap_arg_is_string(&args[i]))
				return protocol_error(c, "QUOTAROOT");
			if (h != NULL && h->quotaroot != NULL)
				h->quotaroot(h->ctx, args[0].str, args[i].str);
		}
		return 0;
	}
	if (nargs != 2 || args[1].type != IMAP_ARG_LIST || args[1].len % 3 != 0)
		return protocol_error(c, "QUOTA");
	for (i = 0; i < args[1].len; i += 3) {
		const struct imap_arg *r = &args[1].list[i];

		memset(&q, 0, sizeof(q));
		if (r[0].type != IMAP_ARG_ATOM || arg_to_u64(&r[1], &q.usage) == -1 ||
		    arg_to_u64(&r[2], &q.limit) == -1)
			return protocol_error(c, "QUOTA");
		q.root = args[0].str;
		q.resource = r[0].str;
		if (h != NULL && h->quota != NULL)
			h->quota(h->ctx, &q);
	}
	return 0;
}

/* "* NAMESPACE (("" ".")) NIL NIL": the first personal namespace. */
static int
parse_namespace(struct mailfs_client *c, const struct imap_arg *args,
    size_t nargs)
{
	struct mailfs_cmd *cmd = oldest_in_flight(c, CMD_NAMESPACE,
	    CMD_NAMESPACE, CMD_NAMESPACE);
	struct mailfs_namespace ns;
	const struct imap_arg *first;

	if (nargs != 3)
		return protocol_error(c, "NAMESPACE");
	if (args[0].type == IMAP_ARG_NIL)
		return 0;
	if (args[0].type != IMAP_ARG_LIST || args[0].len < 1 ||
	    args[0].list[0].type != IMAP_ARG_LIST || args[0].list[0].len < 2)
		return protocol_error(c, "NAMESPACE");
	first = args[0].list[0].list;
	if (!imap_arg_is_string(&first[0]))
		return protocol_error(c, "NAMESPACE");
	memset(&ns, 0, sizeof(ns));
	ns.prefix = first[0].str;
	if (first[1].type == IMAP_ARG_STRING && first[1].len == 1)
		ns.delimiter = first[1].str[0];
	else if (first[1].type != IMAP_ARG_NIL)
		return protocol_error(c, "NAMESPACE");
	if (cmd != NULL && cmd->handlers.namespace != NULL)
		cmd->handlers.namespace(cmd->handlers.ctx, &ns);
	return 0;
}

static int
handle_numbered(struct mailfs_client *c, const struct imap_response *resp)
{
	const struct imap_arg *args = resp->args;
	struct mailbox_state *mb = &c->mailbox;
	uint32_t n;
	int rc = 0;

	if (arg_to_u32(&args[0], &n) == -1)
		return protocol_error(c, "numbered");
	if (imap_arg_atom_is(&args[1], "EXISTS")) {
		mb->pub.exists = n;
		if (c->unilateral.exists != NULL && c->selected)
			c->unilateral.exists(c->unilateral.ctx, n);
	} else if (imap_arg_atom_is(&args[1], "EXPUNGE")) {
		/*
		 * An EXPUNGE can still arrive for the mailbox that a pipelined
		 * SELECT is replacing: count down, but never below zero.
		 */
		if (n == 0)
			return protocol_error(c, "EXPUNGE");
		if (mb->pub.exists > 0)
			mb->pub.exists--;
		if (c->unilateral.expunge != NULL)
			c->unilateral.expunge(c->unilateral.ctx, n);
	} else if (imap_arg_atom_is(&args[1], "FETCH")) {
		struct buf flags;

		if (n == 0 || resp->nargs != 3)
			return protocol_error(c, "FETCH");
		buf_init(&flags, JOINED_MAX);
		rc = parse_fetch(c, n, &args[2], &flags);
		buf_free(&flags);
	}
	/* RECENT and anything else numbered: nothing to do. */
	return rc;
}

static int
handle_data(struct mailfs_client *c, const struct imap_response *resp)
{
	const struct imap_arg *args = resp->args, *rest;
	size_t nargs = resp->nargs, nrest;
	struct buf b;
	int rc;

	if (nargs == 0 || args[0].type != IMAP_ARG_ATOM)
		return protocol_error(c, "untagged");
	if (nargs >= 2 && args[0].str[0] >= '0' && args[0].str[0] <= '9')
		return handle_numbered(c, resp);
	rest = args + 1;
	nrest = nargs - 1;
	if (imap_arg_atom_is(&args[0], "CAPABILITY"))
		return capabilities_from_args(c, rest, nrest);
	if (imap_arg_atom_is(&args[0], "LIST"))
		return parse_list(c, rest, nrest);
	if (imap_arg_atom_is(&args[0], "STATUS"))
		return parse_status(c, rest, nrest);
	if (imap_arg_atom_is(&args[0], "SEARCH"))
		return parse_search(c, rest, nrest);
	if (imap_arg_atom_is(&args[0], "ESEARCH"))
		return parse_esearch(c, rest, nrest);
	if (imap_arg_atom_is(&args[0], "VANISHED"))
		return parse_vanished(c, rest, nrest);
	if (imap_arg_atom_is(&args[0], "QUOTAROOT"))
		return parse_quota(c, rest, nrest, 1);
	if (imap_arg_atom_is(&args[0], "QUOTA"))
		return parse_quota(c, rest, nrest, 0);
	if (imap_arg_atom_is(&args[0], "NAMESPACE"))
		return parse_namespace(c, rest, nrest);
	if (imap_arg_atom_is(&args[0], "FLAGS")) {
		if (nrest != 1)
			return protocol_error(c, "FLAGS");
		buf_init(&b, JOINED_MAX);
		rc = join_atoms(&rest[0], &b);
		if (rc == 0)
			rc = replace_string(&c->mailbox.flags,
			    b.data != NULL ? b.data : "");
		buf_free(&b);
		return rc == -1 ? protocol_error(c, "FLAGS") : 0;
	}
	if (imap_arg_atom_is(&args[0], "ENABLED")) {
		size_t i;

		for (i = 0; i < nrest; i++) {
			if (imap_arg_atom_is(&rest[i], "CONDSTORE"))
				c->condstore_enabled = 1;
			if (imap_arg_atom_is(&rest[i], "QRESYNC"))
				c->qresync_enabled = c->condstore_enabled = 1;
		}
		return 0;
	}
	/* ID, LSUB, anything else: not ours to act on. */
	return 0;
}

/* ---- status responses ---- */

static void
complete_command(struct mailfs_client *c, struct mailfs_cmd *cmd,
    const struct imap_response *resp)
{
	char text[200];

	copy_printable(text, sizeof(text), resp->text);
	copy_printable(cmd->result.text, sizeof(cmd->result.text), resp->text);
	if (resp->status == IMAP_STATUS_OK) {
		error_clear(&cmd->err);
		switch (cmd->kind) {
		case CMD_LOGIN:
			c->state = MAILFS_STATE_AUTHENTICATED;
			break;
		case CMD_SELECT:
			c->state = MAILFS_STATE_SELECTED;
			c->selected = 1;
			break;
		case CMD_UNSELECT:
			mailbox_state_clear(c);
			break;
		case CMD_LOGOUT:
			c->state = MAILFS_STATE_LOGOUT;
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
			copy_printable(cmd->err.code_name,
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
	struct mailfs_cmd *cmd = find_by_tag(c, resp->tag);

	if (cmd == NULL) {
		error_set(&c->err, MAILFS_ERR_PROTOCOL,
		    "the server answered a command that was never sent");
		return -1;
	}
	if (resp->status != IMAP_STATUS_OK && resp->status != IMAP_STATUS_NO &&
	    resp->status != IMAP_STATUS_BAD)
		return protocol_error(c, "tagged");
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
			c->state = MAILFS_STATE_AUTHENTICATED;
		else if (resp->status == IMAP_STATUS_OK)
			c->state = MAILFS_STATE_NOT_AUTHENTICATED;
		else if (resp->status != IMAP_STATUS_BYE)
			return protocol_error(c, "greeting");
	}
	if (resp->status == IMAP_STATUS_BYE) {
		c->bye = 1;
		copy_printable(c->bye_text, sizeof(c->bye_text), resp->text);
		return 0;
	}
	if (resp->status == IMAP_STATUS_PREAUTH && c->state != MAILFS_STATE_AUTHENTICATED)
		return protocol_error(c, "PREAUTH");
	return handle_code(c, resp, NULL);
}

static int
handle_continuation(struct mailfs_client *c)
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
		return handle_continuation(c);
	case IMAP_RESP_TAGGED:
		return handle_tagged(c, resp);
	case IMAP_RESP_UNTAGGED:
		if (resp->status != IMAP_STATUS_NONE)
			return handle_untagged_status(c, resp);
		if (c->greeting_pending)
			return protocol_error(c, "greeting");
		return handle_data(c, resp);
	}
	return protocol_error(c, "unknown");
}

/* ---- streaming bodies ---- */

int
response_stream_hook(void *ctx, const struct imap_response *resp,
    const struct imap_arg *list, size_t count, unsigned depth, uint64_t size)
{
	struct mailfs_client *c = ctx;
	struct mailfs_cmd *cmd;
	const struct imap_arg *item;
	uint32_t seq;

	(void)size;
	if (resp->kind != IMAP_RESP_UNTAGGED || resp->nargs < 2 || depth != 1 ||
	    count == 0 || !imap_arg_atom_is(&resp->args[1], "FETCH") ||
	    arg_to_u32(&resp->args[0], &seq) == -1)
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
response_stream_data(void *ctx, uint64_t offset, uint64_t total,
    const char *data, size_t len)
{
	struct mailfs_client *c = ctx;
	struct mailfs_cmd *cmd = c->stream_cmd;

	if (cmd != NULL && cmd->handlers.body != NULL)
		cmd->handlers.body(cmd->handlers.ctx, c->stream_seq, offset,
		    total, data, len);
}
