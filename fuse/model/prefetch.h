/*
 * Read-ahead of whole messages: when the files of a folder are opened in
 * UID order (rsync, grep -r, tar, find -exec cat: they read names in
 * sorted or listing order, which is UID order), the bodies of the
 * following messages are fetched by range (UID FETCH a:b BODY.PEEK[]) on
 * a pool connection of their own, into the on-disk cache, a byte window
 * ahead of the reader.  A reader of a message being prefetched waits for
 * that message only (cache.h).
 *
 * prefetch_lock, the module's lock, is taken under folder->lock and takes
 * no other lock (a leaf, like the cache lock).
 */
#ifndef MAILFS_FUSE_PREFETCH_H
#define MAILFS_FUSE_PREFETCH_H

#include <stdint.h>

struct node;

/*
 * The message uid of the folder of dir (referenced by the caller), whose
 * server name and UIDVALIDITY are given, is being opened.  Never blocks
 * on the server: at most it queues work for the prefetch thread.
 */
void prefetch_hint(struct node *dir, const char *mailbox, uint32_t uidvalidity,
    uint32_t uid);

/*
 * The directory dir (referenced by the caller) is being opened.  When it
 * is the next directory of a walk, the next folders are listed ahead.
 * Never blocks on the server.
 */
void prefetch_opendir(struct node *dir);

/* Stops the prefetch threads (after the batches they are fetching) and drops the queue. */
void prefetch_stop(void);

#endif
