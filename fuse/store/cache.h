/*
 * The byte store: message bytes on disk,
 * $XDG_CACHE_HOME/mailfs/ACCOUNT/FOLDER/UIDVALIDITY/UID (hashes for
 * ACCOUNT and FOLDER; files 0600, directories 0700), fetched whole from
 * the backend (backend_fetch(), backend.h), written to a temporary file
 * and renamed into place when complete, bounded in total size by
 * evicting the least recently used.  An open file keeps its descriptor,
 * so eviction never disturbs a reader.  A folder generation's directory
 * is made once.  It also names the files kept beside a generation's
 * bytes (the alias map, the saved listing) and the staging directory.
 *
 * A message is fetched by one thread at a time: whoever fetches it
 * claims it first, and a reader of a claimed message waits until it is
 * in place (or given up), at most until its operation's deadline.
 * Batches (the read-ahead, prefetch.h) claim many and fetch them with
 * one backend_fetch(), each put in place as it arrives.
 *
 * Owns: the index of cached files, the fetches in flight and the
 * directories made, under the cache lock, a leaf of fs.h's order
 * (nothing is taken under it; never held across a round trip).  The
 * store sits below the model: it includes no model header, and calls
 * only the backend.
 */
#ifndef MAILFS_FUSE_CACHE_H
#define MAILFS_FUSE_CACHE_H

#include <stddef.h>
#include <stdint.h>

/* account: a string that names the account (user@host:port).  0, or an errno and why. */
int cache_init(const char *account, uint64_t limit, char *why, size_t whylen);
void cache_destroy(void);

/*
 * A read-only descriptor of the message's bytes, fetched when not cached
 * or when the cached bytes are not of the listing's size (RFC822.SIZE,
 * or the length fetched before) and date (INTERNALDATE): a server
 * restored from a backup may have given the UID to another message.
 * Nothing is served unless the folder still has this UIDVALIDITY.
 * Returns 0 with the descriptor in *fd_r (the caller closes it), the
 * message's first byte at *offset_r in it and *size_r (its real length)
 * bytes from there; or an errno.  Read with pread()/splice() at
 * *offset_r + pos, never with the file position: the descriptor may be
 * shared by many messages.
 */
int cache_open(const char *mailbox, uint32_t uidvalidity, uint32_t uid, uint64_t size,
    int64_t date, int *fd_r, uint64_t *offset_r, uint64_t *size_r);

struct be_folder;
struct cache_batch;

/*
 * An empty batch of messages of one folder generation: 0 with *b_r (the
 * caller's, for cache_batch_free()), or ENOMEM.
 */
int cache_batch_new(const char *mailbox, uint32_t uidvalidity, struct cache_batch **b_r);

/*
 * Claims uid (greater than every UID claimed before) for the batch
 * unless it is cached or being fetched (*claimed_r says which).
 * adjacent: no message of the folder lies between the UID claimed before
 * and this one, so that the two can be asked for as a range.  0 or ENOMEM.
 */
int cache_batch_claim(struct cache_batch *b, uint32_t uid, int adjacent, int *claimed_r);
size_t cache_batch_count(const struct cache_batch *b);

/*
 * Fetches the claimed messages from f, the batch's folder (backend_open()),
 * each put in place as it completes.  0, ESTALE when the folder is of
 * another UIDVALIDITY now, or another errno; *failed_r: the source
 * failed, and f is to be closed as failed (backend_close()).
 */
int cache_batch_fetch(struct cache_batch *b, struct be_folder *f, int *failed_r);

/* 1 when the batch put uid in place. */
int cache_batch_done(const struct cache_batch *b, uint32_t uid);
/* The bytes the batch put in place. */
uint64_t cache_batch_bytes(const struct cache_batch *b);

/* Gives up the messages still claimed (waking their readers) and frees *bp. */
void cache_batch_free(struct cache_batch **bp);

/*
 * The path of a file kept beside a folder generation's cached bytes
 * (leaf must not be all digits), its directory made; 0 or an errno.
 */
int cache_folder_file(const char *mailbox, uint32_t uidvalidity, const char *leaf,
    char *out, size_t size);

/* The directory of staged new files (made, mode 0700); 0 or an errno. */
int cache_staging_dir(char *out, size_t size);

/*
 * Throws away the cached bytes, the alias map and the saved listing of
 * one generation of a folder.
 */
void cache_drop(const char *mailbox, uint32_t uidvalidity);

/* Bytes in the cache, for the log. */
uint64_t cache_bytes(void);

#endif
