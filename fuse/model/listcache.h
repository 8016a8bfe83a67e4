/*
 * A folder's listing saved on disk, so that a later mount need not fetch
 * it again: the file "listing" beside the folder generation's cached
 * bytes (cache.h), written whole to a temporary file and renamed into
 * place.  It is only a starting point: folder.c trusts it without a
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
 * Writes lc to path (0600) through path.new; 0 or an errno.  lc is only
 * read.
 */
int listcache_write(const char *path, const struct listcache *lc);

/*
 * Reads path into *lc, which the caller frees with listcache_clear();
 * 0, ENOENT when there is none, or EINVAL when it is not a listing this
 * build wrote (or another errno).
 */
int listcache_read(const char *path, struct listcache *lc);

/*
 * Reads only what path says of its generation: uidvalidity,
 * seen_uidnext and seen_modseq of *lc (nothing to free); 0 or an errno
 * as listcache_read().
 */
int listcache_read_marks(const char *path, struct listcache *lc);

void listcache_clear(struct listcache *lc);

#endif
