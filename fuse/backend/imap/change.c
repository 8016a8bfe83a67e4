/*
 * The IMAP backend: expunge, move (see imap.h).  STUB: not yet written;
 * returns EPERM, and nothing calls it yet.
 */
#include <errno.h>

#include "imap.h"

int
imap_expunge(struct be_folder *f, uint32_t uidvalidity, uint32_t uid)
{
	(void)f;
	(void)uidvalidity;
	(void)uid;
	return EPERM;
}

int
imap_move(struct be_folder *f, uint32_t uidvalidity, const struct be_msg *m,
    const char *dst, uint32_t *uid_r, uint32_t *uidvalidity_r)
{
	(void)f;
	(void)uidvalidity;
	(void)m;
	(void)dst;
	(void)uid_r;
	(void)uidvalidity_r;
	return EPERM;
}
