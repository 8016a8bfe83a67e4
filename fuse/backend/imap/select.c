/*
 * The IMAP backend: open, close, refresh, listing (see imap.h).  STUB: not yet written;
 * returns EPERM, and nothing calls it yet.
 */
#include <errno.h>

#include "imap.h"

int
imap_open(struct backend *be, const char *mailbox, struct be_folder **f_r,
    struct be_status *st_r)
{
	(void)be;
	(void)mailbox;
	(void)f_r;
	(void)st_r;
	return EPERM;
}

void
imap_close(struct be_folder *f, int failed)
{
	(void)f;
	(void)failed;
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
