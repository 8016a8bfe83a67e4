/*
 * The IMAP backend: open, close, refresh, listing (see imap.h).
 * PROVISIONAL open and close (h-bytes), so that the store and the
 * staging run on this branch alone: the h-sync branch's select.c
 * replaces this file at the merge.  refresh and listing are STUBs
 * returning EPERM.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "errmap.h"
#include "imap.h"
#include "log.h"
#include "pool.h"

int
imap_open(struct backend *be, const char *mailbox, struct be_folder **f_r,
    struct be_status *st_r)
{
	struct mailfs_error err;
	struct be_folder *f;

	(void)be;
	if ((f = calloc(1, sizeof(*f))) == NULL || (f->mailbox = strdup(mailbox)) == NULL) {
		free(f);
		return ENOMEM;
	}
	if ((f->pc = pool_get(mailbox, &err)) == NULL) {
		free(f->mailbox);
		free(f);
		/*
		 * Ended by cancel() (the exit): the caller asked for it, and
		 * the read-ahead, whose open this mostly is then, never
		 * warned of its own failures.
		 */
		if (pool_cancelled()) {
			log_msg(LOG_DEBUG, "cannot open the folder \"%s\": %s", mailbox, err.msg);
			return ECANCELED;
		}
		log_msg(LOG_WARNING, "cannot open the folder \"%s\": %s", mailbox, err.msg);
		return errmap_errno(&err);
	}
	memset(st_r, 0, sizeof(*st_r));
	st_r->present = BE_STATUS_UIDVALIDITY | BE_STATUS_UIDNEXT;
	st_r->uidvalidity = mailfs_client_mailbox(pool_client(f->pc))->uidvalidity;
	st_r->uidnext = mailfs_client_mailbox(pool_client(f->pc))->uidnext;
	*f_r = f;
	return 0;
}

void
imap_close(struct be_folder *f, int failed)
{
	if (f->pc != NULL)
		pool_put(f->pc, failed);
	free(f->mailbox);
	free(f);
}

int
imap_refresh(struct be_folder *f, struct be_status *st_r)
{
	(void)f;
	(void)st_r;
	return EPERM;
}

int
imap_listing(struct be_folder *f, uint64_t since, const struct be_listing_cb *cb,
    struct be_status *st_r)
{
	(void)f;
	(void)since;
	(void)cb;
	(void)st_r;
	return EPERM;
}
