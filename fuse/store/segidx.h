/*
 * The segment files of packs/: their numbers, and their headers saved
 * beside them (packs/NNNNNNNN.idx), so that opening the store reads one
 * small file a segment instead of a header at every record: cold, after a reboot or a dropped page cache, those
 * are thousands of scattered reads (33 ms for 4,200 records of 18 KB
 * here, against 0.3 ms for their .idx; bench "backup again").
 *
 * The .idx is a hint, never the truth: it covers the segment's first
 * `covered` bytes, names the CRC-32 of the segment's first header, and
 * carries a CRC-32 of itself; when any of that disagrees with the
 * segment, it is ignored and the segment scanned.  Records appended
 * after it was written are scanned from `covered` on.  Each header it
 * gives is checked by the caller as a scanned one would be.
 *
 * Knows nothing of records beyond a fixed header size and a callback
 * that tells a valid header's whole record length.  No state, no lock:
 * the caller (pack.c, under cache_lock) serialises.
 */
#ifndef MAILFS_FUSE_SEGIDX_H
#define MAILFS_FUSE_SEGIDX_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#define SEGIDX_HDR	64

/* The whole length of the record headed by hdr, or 0 when hdr is not a valid header. */
typedef uint64_t (*segidx_len_fn)(unsigned char hdr[SEGIDX_HDR]);
/* One record, in segment order: 0, or an errno that ends the read. */
typedef int (*segidx_each_fn)(void *ctx, unsigned char hdr[SEGIDX_HDR], uint32_t off);

/*
 * The records of the segment at path (open as fd, size bytes), from its
 * .idx where that holds and by reading headers beyond: 0 with *end_r
 * where the last whole record ends (short of size: a torn tail), or the
 * errno of each() or of a failed read.
 */
int segidx_read(const char *path, int fd, uint64_t size, segidx_len_fn len,
    segidx_each_fn each, void *ctx, uint64_t *end_r);

/*
 * Saves the headers of the segment's first size bytes (whole records)
 * as its .idx, unless one covers them already: written to a temporary
 * file and renamed, mode 0600.  0 or an errno (nothing is lost without
 * it but time).
 */
int segidx_write(const char *path, int fd, uint64_t size, segidx_len_fn len);

/*
 * The numbers of the segments in packs_dir, ascending: 0 with *v_r
 * (malloc'ed, the caller's) and *n_r, or an errno.
 */
int segidx_list(const char *packs_dir, uint32_t **v_r, size_t *n_r);

/* pread() of exactly len bytes: 0, EIO at the end of the file, or an errno. */
int pread_full(int fd, void *p, size_t len, off_t off);

/* Removes the segment's .idx, before the segment goes or its number is used again. */
void segidx_remove(const char *path);

#endif
