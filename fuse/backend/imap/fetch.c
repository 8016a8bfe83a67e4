/*
 * The IMAP backend: fetch (see imap.h).  STUB: not yet written;
 * returns EPERM, and nothing calls it yet.
 */
#include <errno.h>

#include "imap.h"

int
imap_fetch(struct be_folder *f, uint32_t uidvalidity, const char *uids,
    const struct be_body_cb *cb)
{
	(void)f;
	(void)uidvalidity;
	(void)uids;
	(void)cb;
	return EPERM;
}
