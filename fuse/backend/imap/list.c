/*
 * The IMAP backend: list, status (filled by the folder listing work) (see imap.h).  STUB: not yet written;
 * returns EPERM, and nothing calls it yet.
 */
#include <errno.h>

#include "imap.h"

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
