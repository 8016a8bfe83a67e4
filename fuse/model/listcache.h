/*
 * A folder's listing saved on disk, so that a later mount need not fetch
 * it again: the value "listing" of the folder generation in the store
 * (cache_meta_put(), cache.h), written whole.  This module only turns a
 * listing into bytes and back; sync.c and folder.c store them.  It is only a starting point: folder.c trusts it without a
 * round trip only when the server's STATUS shows the same UIDVALIDITY,
 * UIDNEXT, MESSAGES and HIGHESTMODSEQ (RFC 7162 3.1.2.1), and otherwise
 * brings it up to date with a CHANGEDSINCE delta.
 *
 * The format is the machine's own (a cache, never moved between hosts);
 * a file that is short, long, of another layout or inconsistent is
 * refused whole.
 */
#ifndef MAILFS_FUSE_LISTCACHE_H
#define MAILFS_FUSE_LISTCACHE_H

#include <stddef.h>
#include <stdint.h>

struct msg;

/* What a saved listing holds. */
struct listcache {
	uint32_t uidvalidity;
	uint32_t uidnext;
	uint64_t modseq;	/* HIGHESTMODSEQ the messages are current with */
	/*
	 * The highest UIDNEXT and HIGHESTMODSEQ the server ever showed for
	 * this generation: a server that shows less went back in time.
	 */
	uint32_t seen_uidnext;
	uint64_t seen_modseq;
	struct msg *msgs;	/* sorted by UID, each msg.kw an index into kw */
	size_t n;
	char **kw;		/* keyword sets; kw[0] is "" */
	uint32_t nkw;
};

/*
 * lc as bytes: 0 with *data_r (malloc'ed: the caller frees it) and
 * *len_r, or ENOMEM.  lc is only read.
 */
int listcache_encode(const struct listcache *lc, void **data_r, size_t *len_r);

/*
 * The len bytes at data (only read) into *lc, which the caller frees
 * with listcache_clear(); 0, EINVAL when they are not a listing this
 * build wrote, or ENOMEM.
 */
int listcache_decode(const void *data, size_t len, struct listcache *lc);

/*
 * Only what the bytes say of their generation: uidvalidity,
 * seen_uidnext and seen_modseq of *lc (nothing to free); 0 or EINVAL.
 */
int listcache_decode_marks(const void *data, size_t len, struct listcache *lc);

void listcache_clear(struct listcache *lc);

#endif
