/*
 * The IMAP backend: open, close, refresh, listing (see imap.h).  open and
 * close are written (a pool connection through imap_conn(), as rm and mv
 * took theirs); refresh and listing are STUBS returning EPERM.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "imap.h"
#include "pool.h"
#include "recover.h"

int
imap_open(struct backend *be, const char *mailbox, struct be_folder **f_r,
    struct be_status *st_r)
{
	const struct mailfs_mailbox_state *mb;
	struct be_folder *f;
	int r;

	(void)be;
	if ((f = calloc(1, sizeof(*f))) == NULL || (f->mailbox = strdup(mailbox)) == NULL) {
		free(f);
		return ENOMEM;
	}
	if ((r = imap_conn(mailbox, &f->pc)) != 0) {
		free(f->mailbox);
		free(f);
		return r;
	}
	mb = mailfs_client_mailbox(pool_client(f->pc));
	memset(st_r, 0, sizeof(*st_r));
	st_r->present = BE_STATUS_MESSAGES | BE_STATUS_UIDVALIDITY;
	st_r->messages = mb->exists;
	st_r->uidvalidity = mb->uidvalidity;
	if (mb->uidnext != 0) {
		st_r->present |= BE_STATUS_UIDNEXT;
		st_r->uidnext = mb->uidnext;
	}
	if (mb->highestmodseq != 0) {
		st_r->present |= BE_STATUS_HIGHESTMODSEQ;
		st_r->highestmodseq = mb->highestmodseq;
	}
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
