/*
 * The IMAP backend: expunge, move (see imap.h).  PROVISIONAL expunge
 * (h-bytes), so that a save that replaces a message runs on this branch
 * alone: the h-changes branch's change.c replaces this file at the
 * merge.  move is a STUB returning EPERM.
 */
#include <errno.h>

#include "imap.h"
#include "pool.h"
#include "recover.h"

int
imap_expunge(struct be_folder *f, uint32_t uidvalidity, uint32_t uid)
{
	if (mailfs_client_mailbox(pool_client(f->pc))->uidvalidity != uidvalidity)
		return ESTALE;
	return imap_expunge_uid(&f->pc, f->mailbox, uid);
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
