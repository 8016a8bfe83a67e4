/*
 * xreply: answers to FUSE requests that every filesystem of the daemon
 * gives alike (the accounts' and the parent of several, multi/rootfs.h).
 * Owns nothing.
 */
#ifndef MAILFS_FUSE_XREPLY_H
#define MAILFS_FUSE_XREPLY_H

#include <errno.h>
#include <stddef.h>

#include "fs.h"

/*
 * A getxattr answer of value (len bytes, borrowed): its length for a
 * size of 0 (the caller asks how much room it needs), ERANGE when size
 * is too small, else the bytes.
 */
static inline void
reply_xattr_value(fuse_req_t req, const char *value, size_t len, size_t size)
{
	if (size == 0)
		fuse_reply_xattr(req, len);
	else if (size < len)
		fuse_reply_err(req, ERANGE);
	else
		fuse_reply_buf(req, value, len);
}

#endif
