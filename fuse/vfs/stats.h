/*
 * How many FUSE requests the daemon served, by operation: for diagnosis
 * and the benchmark (the root's extended attribute user.mailfs.requests,
 * xattr.c).  Counting is lock-free; a line read while requests run is a
 * snapshot of each counter, not of all of them at one instant.
 */
#ifndef MAILFS_FUSE_STATS_H
#define MAILFS_FUSE_STATS_H

#include <stddef.h>

/* One counter per handler of the fuse_lowlevel_ops table (ops.c, vfs.h). */
enum stats_op {
	STAT_LOOKUP,
	STAT_FORGET,
	STAT_FORGET_MULTI,	/* one a batch, whatever its count */
	STAT_GETATTR,
	STAT_SETATTR,
	STAT_MKNOD,
	STAT_MKDIR,
	STAT_UNLINK,
	STAT_RMDIR,
	STAT_SYMLINK,
	STAT_RENAME,
	STAT_LINK,
	STAT_CREATE,
	STAT_OPEN,
	STAT_READ,
	STAT_WRITE,
	STAT_FLUSH,
	STAT_FSYNC,
	STAT_RELEASE,
	STAT_OPENDIR,
	STAT_READDIR,
	STAT_READDIRPLUS,
	STAT_RELEASEDIR,
	STAT_STATFS,
	STAT_SETXATTR,
	STAT_GETXATTR,
	STAT_LISTXATTR,
	STAT_REMOVEXATTR,
	STAT_NOPS
};

/*
 * Room for the longest line with its NUL: every count at 20 digits takes
 * 832 bytes.  Past size, stats_format() ends the line before the item
 * that does not fit.
 */
#define STATS_LINE_MAX	1024

/*
 * Counts one request of the operation.  Every handler calls it first, so
 * it also starts the request's deadline (deadline_begin()).
 */
void stats_count(enum stats_op op);

/*
 * Writes "total=N op=N ..." into buf (NUL-terminated, at most size - 1
 * bytes): total, the sum of the counts shown, then each operation with
 * a count other than 0, in the order above.  Returns the line's length.
 */
size_t stats_format(char *buf, size_t size);

#endif
