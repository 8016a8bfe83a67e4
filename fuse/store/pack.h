/*
 * The pack segments: every byte the daemon keeps on disk, as records
 * appended to files packs/00000001, packs/00000002, ... of the store
 * (cache.h), with an index in memory rebuilt from the records' headers
 * when the store is opened (read from the copy saved beside each
 * segment at pack_close() where it holds, segidx.h).  A record is a 64-byte header (magic, its
 * own CRC-32, kind, folder generation, UID, INTERNALDATE, RFC822.SIZE,
 * the body's length and CRC-32) and the body.  Kinds: a message's bytes
 * (BODY), a named value of a folder generation (META, the latest wins;
 * META appended to it: a journal), a generation's tombstone (DROP:
 * everything of it written before is gone).
 *
 * A record enters the index only once it is whole on disk, so a reader
 * never sees one being written; a record cut short by a crash has a bad
 * header or runs past its file's end and is cut off when the segment is
 * scanned; a body whose bytes were damaged fails its CRC, which is
 * checked before it is first served in a process (pack_verify()).
 * Segments hold at most SEG_MAX bytes (a larger message has one of its
 * own), so every record starts below 2^30.  Past the size limit the
 * oldest segment goes whole; the named values that still count in it
 * are appended again to the newest first.
 *
 * Owns: the segments' descriptors and the index, under cache_lock (a
 * leaf of fs.h's order, shared with cache.c's claims: nothing is taken
 * under it; a short pwrite() of a small record is made under it, never
 * a round trip).  The store's directory and its lock file are cache.c's.
 */
#ifndef MAILFS_FUSE_PACK_H
#define MAILFS_FUSE_PACK_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#define SEG_MAX		(64u << 20)
#define PACK_NAME_MAX	8	/* bytes of a value's name, NUL-padded */

extern pthread_mutex_t cache_lock;

/* A folder generation: 128 bits of a hash of its name, and its UIDVALIDITY. */
struct pack_key {
	unsigned char folder[16];
	uint32_t uidvalidity;
};

/* Where a cached body is, and what it was stored with. */
struct pack_body {
	uint32_t seg;		/* the segment's number */
	uint32_t off;		/* the body's first byte in it */
	uint32_t len;
	uint32_t crc;
	int64_t date;		/* INTERNALDATE; INT64_MIN: none given */
	uint32_t rsize;		/* the RFC822.SIZE reported with the bytes */
	int verified;		/* its CRC was checked in this process */
};

/* A body being written in place as it arrives (pack_begin()). */
struct pack_res {
	int fd;			/* the segment's, dup()ed: the caller's until commit/abort */
	uint32_t seg;
	uint32_t off;		/* the record's header */
	uint32_t len;
	uint32_t crc;		/* of what pack_write() wrote */
	uint64_t written;
};

void pack_key_of(const char *mailbox, uint32_t uidvalidity, struct pack_key *k);

/*
 * Opens (making it, 0700) root/packs and scans it: 0, or an errno and
 * why.  limit: the bytes the segments may hold.
 */
int pack_open(const char *root, uint64_t limit, char *why, size_t whylen);
void pack_close(void);
uint64_t pack_bytes(void);

/* Needs cache_lock.  0 with *b_r, or ENOENT. */
int pack_find_locked(const struct pack_key *k, uint32_t uid, struct pack_body *b_r);
/*
 * Needs cache_lock.  A read-only descriptor of b's segment (the
 * caller's to close): 0 with *fd_r, ENOENT when it went, or an errno.
 */
int pack_dup_locked(const struct pack_body *b, int *fd_r);
/* Needs cache_lock.  Forgets uid, or marks it verified, if it is still the body b. */
void pack_forget_locked(const struct pack_key *k, uint32_t uid, const struct pack_body *b);
void pack_verified_locked(const struct pack_key *k, uint32_t uid, const struct pack_body *b);
/* Reads b from fd and checks its CRC (no lock): 0, EIO when it fails, or an errno. */
int pack_verify(int fd, const struct pack_body *b);

/*
 * Stores a whole body (data only read) and indexes it: 0 or an errno.
 * rsize, date: what the server said of the message with it.
 */
int pack_put(const struct pack_key *k, uint32_t uid, uint32_t rsize, int64_t date,
    const void *data, size_t len);
/*
 * A body of len bytes written as it comes: room reserved, then
 * pack_write() (no lock; pos from 0 up), then pack_commit() (indexes it)
 * or pack_abort() (the room is skipped when scanned).  0 or an errno.
 */
int pack_begin(uint64_t len, struct pack_res *r);
int pack_write(struct pack_res *r, const void *data, size_t len);
int pack_commit(struct pack_res *r, const struct pack_key *k, uint32_t uid, uint32_t rsize,
    int64_t date);
void pack_abort(struct pack_res *r);

/*
 * A named value: 0 with *data_r (malloc'ed, the caller frees it) and
 * *len_r, ENOENT when there is none (or it was damaged), or an errno.
 */
int pack_meta_get(const struct pack_key *k, const char *name, void **data_r, size_t *len_r);
/* Replaces (append 0) or extends (append 1) a named value; data only read.  0 or an errno. */
int pack_meta_put(const struct pack_key *k, const char *name, const void *data, size_t len,
    int append);
/* Forgets every record of a generation (a tombstone on disk); 0 or an errno. */
int pack_drop(const struct pack_key *k);

#endif
