/*
 * The IMAP backend: list and status (see imap.h).  The folder list is
 * one LIST "" "*" with RETURN (SPECIAL-USE STATUS (...)) where the server
 * offers LIST-STATUS, else a STATUS per folder, pipelined (status_each()).
 * Where no folder is marked \Trash or \Sent (no SPECIAL-USE), the usual
 * names stand in (special_by_name()).
 *
 * RFC 3501 6.3.8 (LIST), 6.3.10 (STATUS), RFC 5819 (LIST-STATUS),
 * RFC 6154 (SPECIAL-USE), RFC 7162 3.1.2.1 (HIGHESTMODSEQ in STATUS).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <mailfs/commands.h>

#include "errmap.h"
#include "imap.h"
#include "log.h"
#include "pool.h"
#include "recover.h"

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

/*
 * Without SPECIAL-USE a server names no \Trash or \Sent: the folder that
 * has the name clients commonly give it (Outlook's, Apple Mail's, the
 * rest's; at the top or right below INBOX, case ignored) stands in, the
 * first name of names found first; none when a folder carries attr.
 * mailfs(1) lists the names.
 */
static void
special_by_name(struct list_result *lr, unsigned attr, const char *const *names)
{
	struct list_item *it;
	const char *leaf;
	size_t i, k;

	for (i = 0; i < lr->n; i++)
		if (lr->v[i].attrs & attr)
			return;
	for (k = 0; names[k] != NULL; k++)
		for (i = 0; i < lr->n; i++) {
			it = &lr->v[i];
			if (it->attrs & BE_FOLDER_NOSELECT)
				continue;
			leaf = it->name;
			if (it->delim != '\0' && strncasecmp(leaf, "INBOX", 5) == 0 &&
			    leaf[5] == it->delim)
				leaf += 6;
			if (strcasecmp(leaf, names[k]) == 0) {
				it->attrs |= attr;
				return;
			}
		}
}

/*
 * Without LIST-STATUS: a STATUS for every selectable folder listed, all
 * sent at once (one round trip).  A folder the server will not tell of
 * stays without status.  0, or -1 (the client's error) when the
 * connection is lost.
 */
static int
status_each(struct mailfs_client *c, struct list_result *lr, unsigned items)
{
	struct mailfs_handlers h;
	struct mailfs_cmd **cmds;
	size_t i;
	int r = 0;

	if (lr->n == 0)
		return 0;
	if ((cmds = calloc(lr->n, sizeof(*cmds))) == NULL)
		return 0;	/* the list stands without status */
	memset(&h, 0, sizeof(h));
	h.status = on_status;
	h.ctx = lr;
	for (i = 0; i < lr->n; i++)
		if (!(lr->v[i].attrs & BE_FOLDER_NOSELECT))
			cmds[i] = mailfs_status(c, lr->v[i].name, items, &h);
	for (i = 0; i < lr->n; i++) {
		if (cmds[i] == NULL)
			continue;
		if (r == -1)
			mailfs_cmd_detach(c, cmds[i]);
		else if (mailfs_run(c, cmds[i], NULL) == -1 &&
		    imap_lost(c, mailfs_client_error(c)))
			r = -1;
	}
	free(cmds);
	return r;
}

int
imap_list_run(struct mailfs_client *c, struct list_result *lr)
{
	static const char *const trash[] = { "Trash", "Deleted Items", "Deleted Messages",
	    NULL };
	static const char *const sent[] = { "Sent", "Sent Items", "Sent Messages",
	    "Sent Mail", NULL };
	struct mailfs_handlers h;
	unsigned items = MAILFS_STATUS_MESSAGES | MAILFS_STATUS_UIDNEXT |
	    MAILFS_STATUS_UIDVALIDITY;

	if (mailfs_client_capabilities(c) & MAILFS_CAP_CONDSTORE)
		items |= MAILFS_STATUS_HIGHESTMODSEQ;
	memset(&h, 0, sizeof(h));
	h.list = on_list;
	h.status = on_status;
	h.ctx = lr;
	if (mailfs_run(c, mailfs_list(c, "", "*", MAILFS_LIST_STATUS |
	    MAILFS_LIST_SPECIAL_USE, items, &h), NULL) == -1)
		return -1;
	if (!(mailfs_client_capabilities(c) & MAILFS_CAP_LIST_STATUS) &&
	    status_each(c, lr, items) == -1)
		return -1;
	special_by_name(lr, BE_FOLDER_TRASH, trash);
	special_by_name(lr, BE_FOLDER_SENT, sent);
	return 0;
}

int
imap_list(struct backend *be, struct list_result *lr)
{
	struct mailfs_error err;
	const struct mailfs_mailbox_state *mb;
	struct mailfs_cmd *unselect = NULL;
	struct mailfs_client *c;
	struct pool_conn *pc;
	struct list_item *item;
	int r;

	(void)be;
	list_result_clear(lr);
	if ((pc = pool_get(NULL, &err)) == NULL) {
		log_msg(pool_quiet_error(&err) ? LOG_DEBUG : LOG_WARNING,
		    "cannot refresh the folder list: %s", err.msg);
		return errmap_errno(&err);
	}
	c = pool_client(pc);
	/*
	 * A session's STATUS of its own selected mailbox shows that
	 * session's view, which lags (Dovecot), and would cost that folder
	 * a delta at every refresh: leave it first, in the LIST's round
	 * trip (the pool prefers a connection with none selected).
	 */
	if (mailfs_client_mailbox(c) != NULL &&
	    (mailfs_client_capabilities(c) & MAILFS_CAP_UNSELECT))
		unselect = mailfs_unselect(c);
	r = imap_list_run(c, lr);
	if (r == -1)
		err = *mailfs_client_error(c);
	/* Refused, it leaves the mailbox selected: seen below. */
	if (unselect != NULL)
		(void)mailfs_run(c, unselect, NULL);
	if (r == -1) {
		/* Cut off by the unmount: nothing went wrong. */
		log_msg(pool_cancelled() ? LOG_DEBUG : LOG_WARNING,
		    "cannot refresh the folder list: %s", err.msg);
		pool_put(pc, 1);
		list_result_clear(lr);
		return errmap_errno(&err);
	}
	/* Still selected (no UNSELECT): look at that folder anyway. */
	if ((mb = mailfs_client_mailbox(c)) != NULL && mb->name != NULL &&
	    (item = list_result_find(lr, mb->name)) != NULL)
		item->has_status = 0;
	pool_put(pc, 0);
	return 0;
}

int
imap_status(struct backend *be, const char *mailbox, struct be_status *st_r)
{
	struct mailfs_handlers h;
	struct mailfs_error err;
	struct mailfs_client *c;
	struct pool_conn *pc;
	struct be_status st = { 0 };
	unsigned items = MAILFS_STATUS_MESSAGES | MAILFS_STATUS_UIDNEXT |
	    MAILFS_STATUS_UIDVALIDITY;

	(void)be;
	if ((pc = pool_get(NULL, &err)) == NULL) {
		log_msg(pool_quiet_error(&err) ? LOG_DEBUG : LOG_WARNING,
		    "cannot ask the status of \"%s\": %s", mailbox, err.msg);
		return errmap_errno(&err);
	}
	c = pool_client(pc);
	if (mailfs_client_capabilities(c) & MAILFS_CAP_CONDSTORE)
		items |= MAILFS_STATUS_HIGHESTMODSEQ;
	memset(&h, 0, sizeof(h));
	h.status = imap_status_handler;
	h.ctx = &st;
	if (mailfs_run(c, mailfs_status(c, mailbox, items, &h), NULL) == -1) {
		err = *mailfs_client_error(c);
		log_msg(LOG_WARNING, "cannot ask the status of \"%s\": %s", mailbox, err.msg);
		pool_put(pc, 1);
		return errmap_errno(&err);
	}
	pool_put(pc, 0);
	*st_r = st;
	return 0;
}
