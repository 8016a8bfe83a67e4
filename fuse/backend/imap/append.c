/*
 * The IMAP backend: append (see imap.h).  STUB: not yet written;
 * returns EPERM, and nothing calls it yet.
 */
#include <errno.h>

#include "imap.h"

int
imap_append(struct backend *be, const char *mailbox, const char *data, size_t len,
    int64_t date, const char *flags, const char *msgid, uint32_t *uid_r,
    uint32_t *uidvalidity_r)
{
	(void)be;
	(void)mailbox;
	(void)data;
	(void)len;
	(void)date;
	(void)flags;
	(void)msgid;
	(void)uid_r;
	(void)uidvalidity_r;
	return EPERM;
}
