/*
 * Read-ahead of whole messages: when the files of a folder are opened in
 * UID order (rsync, grep -r, tar, find -exec cat: they read names in
 * sorted or listing order, which is UID order), the bodies of the
 * following messages are fetched by range (one backend_fetch() of a UID
 * set; IMAP: UID FETCH a:b BODY.PEEK[]) on a folder the job opens for
 * itself (backend_open_lazy(): the open goes out with the first range),
 * into the on-disk cache (cache.h), a byte window ahead of the reader.
 * A reader of a message being prefetched waits for that message only.
 * Up to two threads fetch; a walk from folder to folder also has the
 * next folders listed ahead.
 *
 * Owns the read streams and the job queue, under prefetch_lock, which is
 * taken under folder->lock and takes no other lock (a leaf, like the
 * cache lock).  A job holds its folder open, and no lock, across its
 * round trips.
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

/*
 * One batch into the store: the n messages uids (ascending) of mailbox
 * of generation uidvalidity, those not stored or being fetched claimed
 * and asked for with one backend_fetch() (adjacent[i]: no message of the
 * folder lies between uids[i - 1] and uids[i], so that both go in one
 * range), on a connection of the pool taken for the batch alone.  A
 * reader of one of them waits for that message only.  The caller holds
 * no lock and has begun a deadline.  0 or an errno; *bytes_r: the bytes
 * stored.
 */
int prefetch_batch(const char *mailbox, uint32_t uidvalidity, const uint32_t *uids,
    const unsigned char *adjacent, size_t n, uint64_t *bytes_r);

/*
 * Stops the prefetch threads (after the batches they are fetching),
 * prefetch=all's (fetchall.h) with them, and drops the queue.
 */
void prefetch_stop(void);

#endif
