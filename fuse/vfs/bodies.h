/*
 * The open message bodies: inode number -> the descriptor, offset and
 * length that cache_open() (cache.h) gave for it, so that a read needs
 * no open of its own.  Once the kernel opens files without asking
 * (FUSE_CAP_NO_OPEN_SUPPORT, file.c) a read comes with no handle of
 * ours, and this table is where its bytes are found.
 *
 * Owns: at most BODIES_MAX entries and their descriptors; the least
 * recently used is closed when a new one needs room.  An entry in use
 * by a read (body_find(), body_add()) stays open until body_put(), even
 * when it has left the table meanwhile: a descriptor is never closed
 * under a reader.
 *
 * Lock: bodies_lock, a leaf of fs.h's order (nothing is taken under it;
 * never held across a round trip or a reply).  The table knows nothing
 * of messages: file.c decides what goes in, and drops what went
 * (body_drop(): the kernel forgot the inode, the message was removed
 * or moved).
 */
#ifndef MAILFS_FUSE_BODIES_H
#define MAILFS_FUSE_BODIES_H

#include <stdint.h>

#include "fs.h"

#define BODIES_MAX	128

struct body;

/* What a reader may use until body_put(). */
struct body_ref {
	struct body *b;
	int fd;			/* read with pread()/splice() at offset + pos */
	uint64_t offset;
	uint64_t size;		/* the message's length from offset */
};

/* The body of ino, in use by the caller until body_put(): 0, or ENOENT when not in the table. */
int body_find(fuse_ino_t ino, struct body_ref *ref);
/*
 * Puts fd (the table's from now on, closed by it), offset and size in the
 * table as ino's body and returns it in use.  When another thread put
 * ino's in first, fd is closed and that one is returned.  0, or ENOMEM
 * (fd closed).
 */
int body_add(fuse_ino_t ino, int fd, uint64_t offset, uint64_t size, struct body_ref *ref);
/* Ends a use; ref is cleared. */
void body_put(struct body_ref *ref);
/* Takes ino's body out of the table (closed once no read uses it). */
void body_drop(fuse_ino_t ino);
/* At unmount: closes every body (no read runs any more). */
void bodies_destroy(void);

#endif
