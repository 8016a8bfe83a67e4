/*
 * The account's folder tree saved in the store, so that a mount without
 * the server can show it (online.h): the last complete folder list
 * (names, delimiters, attributes, each folder's status where known) and
 * when it was listed, as the account's value "tree" (cache.h: mailbox
 * "", UIDVALIDITY 0).  Saved whenever a list brings a change
 * (tree_set_list_hook(), inode.h), and at unmount with the time it was
 * last seen current.
 *
 * Owns a copy of what it saved last, under treecache_lock (a leaf of
 * fs.h's order; released before the store is written).  The format is
 * the machine's own, as listcache.h's: a value that does not parse is
 * refused whole.
 */
#ifndef MAILFS_FUSE_TREECACHE_H
#define MAILFS_FUSE_TREECACHE_H

#include <time.h>

#include "backend.h"

/* lr (only read) was listed just now: saved when complete and different from the last. */
void treecache_save(const struct list_result *lr);

/* At unmount: the last list saved again, with when it was last listed. */
void treecache_flush(void);

/*
 * The saved tree into *lr (the caller's, emptied first; list_result_clear())
 * and when it was listed into *at_r: 0, ENOENT when none was saved (or
 * it does not parse), or an errno.
 */
int treecache_load(struct list_result *lr, time_t *at_r);

#endif
