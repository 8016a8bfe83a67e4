/*
 * The IMAP backend: set_flags, quota (see imap.h).  STUB: not yet written;
 * returns EPERM, and nothing calls it yet.
 */
#include <errno.h>

#include "imap.h"

int
imap_set_flags(struct be_folder *f, uint32_t uidvalidity, uint32_t uid,
    enum be_flags_mode mode, const char *flags, struct be_msg *m_r, char *buf,
    size_t size)
{
	(void)f;
	(void)uidvalidity;
	(void)uid;
	(void)mode;
	(void)flags;
	(void)m_r;
	(void)buf;
	(void)size;
	return EPERM;
}

int
imap_quota(struct backend *be, struct be_quota *q_r)
{
	(void)be;
	(void)q_r;
	return EPERM;
}
