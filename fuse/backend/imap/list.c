/*
 * The IMAP backend: list, status (filled by the folder listing work) (see imap.h).  STUB: not yet written;
 * returns EPERM, and nothing calls it yet.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <mailfs/commands.h>

#include "imap.h"
#include "log.h"

static void
on_list(void *ctx, const struct mailfs_list_entry *e)
{
	struct list_result *lr = ctx;
	struct list_item *tmp;
	size_t cap;

	if (e->name == NULL && e->name_lost)
		goto lost;
	if (e->name == NULL) {
		log_msg(LOG_DEBUG, "a folder name is not valid modified UTF-7; left out");
		return;
	}
	if (e->attrs & MAILFS_MBX_NONEXISTENT)
		return;
	if (lr->n == lr->cap) {
		cap = lr->cap == 0 ? 64 : lr->cap * 2;
		if ((tmp = realloc(lr->v, cap * sizeof(*tmp))) == NULL)
			goto lost;
		lr->v = tmp;
		lr->cap = cap;
	}
	memset(&lr->v[lr->n], 0, sizeof(lr->v[lr->n]));
	if ((lr->v[lr->n].name = strdup(e->name)) == NULL)
		goto lost;
	lr->v[lr->n].delim = e->delimiter;
	lr->v[lr->n].attrs = imap_folder_attrs(e->attrs);
	lr->n++;
	return;
lost:
	/* Applied as complete, the list would take the folder away. */
	log_msg(LOG_ERR, "out of memory for the folder \"%s\" in the folder list",
	    e->name != NULL ? e->name : e->raw_name);
	lr->incomplete = 1;
}

static void
on_status(void *ctx, const struct mailfs_status *s)
{
	struct list_result *lr = ctx;
	struct list_item *it;
	size_t i;

	if (s->name == NULL)
		return;
	/* LIST-STATUS sends STATUS right after its LIST line: look from the end. */
	for (i = lr->n; i-- > 0;) {
		it = &lr->v[i];
		if (strcmp(it->name, s->name) != 0)
			continue;
		it->has_status = 1;
		imap_status_copy(&it->status, s);
		return;
	}
}

int
refresh_list(struct mailfs_client *c, struct list_result *lr)
{
	struct mailfs_handlers h;
	unsigned items = MAILFS_STATUS_MESSAGES | MAILFS_STATUS_UIDNEXT |
	    MAILFS_STATUS_UIDVALIDITY;

	if (mailfs_client_capabilities(c) & MAILFS_CAP_CONDSTORE)
		items |= MAILFS_STATUS_HIGHESTMODSEQ;
	memset(&h, 0, sizeof(h));
	h.list = on_list;
	h.status = on_status;
	h.ctx = lr;
	return mailfs_run(c, mailfs_list(c, "", "*", MAILFS_LIST_STATUS |
	    MAILFS_LIST_SPECIAL_USE, items, &h), NULL);
}


int
imap_list(struct backend *be, struct list_result *lr)
{
	(void)be;
	(void)lr;
	return EPERM;
}

int
imap_status(struct backend *be, const char *mailbox, struct be_status *st_r)
{
	(void)be;
	(void)mailbox;
	(void)st_r;
	return EPERM;
}
