/*
 * What every reply parser shares: finding the command an answer belongs
 * to, numbers and atom lists out of arguments (see reply.h).
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "engine.h"
#include "errors.h"
#include "reply.h"
#include "strparse.h"

int
reply_malformed(struct mailfs_client *c, const char *what)
{
	error_set(&c->err, MAILFS_ERR_PROTOCOL,
	    "the server sent a malformed %s response", what);
	return -1;
}

/* Copies server text for a message, replacing control bytes so that no
 * escape sequence reaches a terminal through an error line. */
void
reply_printable(char *dst, size_t size, const char *src)
{
	size_t i;

	for (i = 0; src != NULL && src[i] != '\0' && i + 1 < size; i++) {
		unsigned char ch = (unsigned char)src[i];

		dst[i] = ch < 0x20 || ch == 0x7f ? '?' : (char)ch;
	}
	if (size > 0)
		dst[i] = '\0';
}

int
reply_u32(const struct imap_arg *arg, uint32_t *n_r)
{
	return arg->type == IMAP_ARG_ATOM ?
	    str_to_u32(arg->str, arg->len, UINT32_MAX, n_r) : -1;
}

int
reply_u64(const struct imap_arg *arg, uint64_t *n_r)
{
	return arg->type == IMAP_ARG_ATOM ?
	    str_to_u64(arg->str, arg->len, UINT64_MAX, n_r) : -1;
}

struct mailfs_cmd *
reply_oldest(struct mailfs_client *c, enum cmd_kind k1, enum cmd_kind k2,
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

struct mailfs_cmd *
reply_by_tag(struct mailfs_client *c, const char *tag)
{
	struct mailfs_cmd *cmd;

	for (cmd = c->queue; cmd != NULL; cmd = cmd->next)
		if ((cmd->phase == CMD_PHASE_SENT ||
		    cmd->phase == CMD_PHASE_SENDING) &&
		    strcmp(cmd->tag, tag) == 0)
			return cmd;
	return NULL;
}

/* Joins a list of atoms with single spaces into a NUL-terminated buffer. */
int
reply_join_atoms(const struct imap_arg *list, struct buf *out)
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

int
reply_replace_string(char **dst, const char *src)
{
	char *copy = strdup(src != NULL ? src : "");

	if (copy == NULL)
		return -1;
	free(*dst);
	*dst = copy;
	return 0;
}
