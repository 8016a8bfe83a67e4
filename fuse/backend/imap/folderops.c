/*
 * The IMAP backend: probe, personal_prefix, create, remove, rename (see imap.h).  STUB: not yet written;
 * returns EPERM, and nothing calls it yet.
 */
#include <errno.h>

#include "imap.h"

int
imap_probe(struct backend *be, const char *mailbox, char delim, struct be_probe *p_r)
{
	(void)be;
	(void)mailbox;
	(void)delim;
	(void)p_r;
	return EPERM;
}

int
imap_personal_prefix(struct backend *be, char *buf, size_t size)
{
	(void)be;
	(void)buf;
	(void)size;
	return EPERM;
}

int
imap_create(struct backend *be, const char *mailbox)
{
	(void)be;
	(void)mailbox;
	return EPERM;
}

int
imap_remove(struct backend *be, const char *mailbox)
{
	(void)be;
	(void)mailbox;
	return EPERM;
}

int
imap_rename(struct backend *be, const char *from, const char *to)
{
	(void)be;
	(void)from;
	(void)to;
	return EPERM;
}
