/*
 * The store: everything the daemon keeps on disk for an account, in
 * $XDG_CACHE_HOME/mailfs/ACCOUNT (a hash of the account; directories
 * 0700, files 0600), which holds only:
 *	lock	held (fcntl) by the one mount that uses the store: a second
 *		mount of the account is refused (cache_init())
 *	packs/	the records: message bytes fetched from the backend
 *		(backend_fetch(), backend.h) and named values of a folder
 *		generation (the saved listing, the alias map), appended to
 *		segments of at most 64 MiB (pack.h), each with its
 *		headers saved beside it at unmount (NNNNNNNN.idx,
 *		segidx.h) so that the next start need not read them all
 *	staging/ new files being written (stage.h)
 *	outbox/	messages written into Outbox/, until sent (outbox.h)
 *	journal	changes accepted but not yet made on the source (journal.h)
 * Anything else there (the file-per-message layout of earlier builds)
 * is removed when the store is opened: it is a cache.
 *
 * Why segments: written as a file each (made, written, renamed), 20,500
 * messages of 1-8 KiB cost 23-69 us a message, wall and CPU, on this
 * machine's ext4; appended to a segment with a CRC-32, 4.1-5.4 us; in
 * SQLite (WAL, a transaction each) 26-42 us wall and 16-22 us CPU, and
 * every read would copy the blob out (tests/bench/store_bench.c).  A
 * reader gets a descriptor of the segment and the body's offset: the
 * kernel splices from it, nothing is copied by the daemon.
 *
 * Bounded by -o cache_size: past it the oldest segment goes whole
 * (pack.h), and an open descriptor keeps a removed segment readable, so
 * eviction never disturbs a reader.  A crash at any point serves no torn
 * body: records carry lengths and CRCs, a torn tail is cut off at start,
 * and a body's CRC is checked before it is first served in a process.
 *
 * A message is fetched by one thread at a time: whoever fetches it
 * claims it first, and a reader of a claimed message waits until it is
 * in place (or given up), at most until its operation's deadline.
 * Batches (the read-ahead, prefetch.h) claim many and fetch them with
 * one backend_fetch(), each stored as it arrives.
 *
 * Owns: the store's lock file and directory; the claims of fetches in
 * flight, under cache_lock (pack.h), a leaf of fs.h's order (nothing is
 * taken under it; never held across a round trip).  The store sits
 * below the model: it includes no model header, and calls only the
 * backend.
 */
#ifndef MAILFS_FUSE_CACHE_H
#define MAILFS_FUSE_CACHE_H

#include <stddef.h>
#include <stdint.h>

/*
 * Opens the store of account (a string that names it: user@host:port),
 * of at most limit bytes: 0, or an errno and why (EBUSY: another mount
 * holds it; why names its pid).
 */
int cache_init(const char *account, uint64_t limit, char *why, size_t whylen);
/* After fuse_daemonize(): the lock and the pid in it become this process's. */
void cache_daemonized(void);
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
 * How many bodies of the generation are stored: of the n UIDs at uids
 * (each stride bytes after the one before, so that a member of an array
 * of structures can be passed), or of every UID (uids NULL).  Under
 * cache_lock, a lookup a UID: for the status (user.mailfs.status).
 */
size_t cache_count(const char *mailbox, uint32_t uidvalidity, const uint32_t *uids, size_t n,
    size_t stride);

/*
 * A named value kept with a folder generation (name: up to 8 bytes;
 * "listing", "aliases"), or with the account (mailbox "", UIDVALIDITY
 * 0, a generation no folder has: "tree", treecache.h): 0 with *data_r (malloc'ed: the caller frees it)
 * and *len_r, ENOENT when there is none (or it was damaged, or empty),
 * or an errno.
 */
int cache_meta_get(const char *mailbox, uint32_t uidvalidity, const char *name,
    void **data_r, size_t *len_r);
/*
 * Replaces the value (append 0; len 0: none) or adds data at its end
 * (append 1: a journal); data is only read.  0 or an errno.
 */
int cache_meta_put(const char *mailbox, uint32_t uidvalidity, const char *name,
    const void *data, size_t len, int append);

/* The directory of staged new files (made, mode 0700); 0 or an errno. */
int cache_staging_dir(char *out, size_t size);
/* The store's directory name (staging, outbox), made as above; 0 or an errno. */
int cache_subdir(const char *name, char *out, size_t size);

/*
 * Throws away the cached bytes and the named values (the alias map, the
 * saved listing) of one generation of a folder.
 */
void cache_drop(const char *mailbox, uint32_t uidvalidity);

/* Bytes in the cache, for the log. */
uint64_t cache_bytes(void);

#endif
