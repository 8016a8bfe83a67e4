/*
 * rootfs: the small read-only filesystem that "mailfs MOUNT" (every
 * account of the accounts file, multi.h) mounts at MOUNT: one directory
 * an account, MOUNT/NAME, mode 0700 and the mounting user's, on which
 * that account's own daemon mounts.  Nothing else: what would change
 * the tree is refused by the kernel (the mount is read-only) or fails
 * with ENOSYS.
 *
 * Inodes are fixed for the mount's life (the root 1, account i at i + 2)
 * and answered with long timeouts: the kernel must never find a
 * directory that a daemon is mounted on changed, as it would then
 * detach that mount.
 *
 * Extended attributes, read-only and unlisted (as the accounts' own):
 *	MOUNT		user.mailfs.accounts	the names, one a line
 *					(STATUS_ACCOUNTS_ATTR, statuscmd.h)
 *	MOUNT/NAME	user.mailfs.status	while no daemon is mounted
 *			there: "state: unmounted", "account: NAME" and
 *			"last-error: WHY" (a mounted daemon answers for
 *			the directory itself, with its own status).
 *
 * Owns: the names and each account's last error, under rootfs_lock, a
 * leaf of fs.h's order (its process has no other lock of fs.h).
 */
#ifndef MAILFS_FUSE_ROOTFS_H
#define MAILFS_FUSE_ROOTFS_H

#include <stddef.h>

#include "fs.h"

/* The handlers (a FUSE low-level table). */
extern const struct fuse_lowlevel_ops rootfs_ops;

/*
 * The accounts, names[0..n-1] (copied; each a valid file name), owned by
 * uid and gid.  0 or ENOMEM.  Before the session starts.
 */
int rootfs_init(char *const *names, size_t n, uid_t uid, gid_t gid);

/* Account i's last error (NULL: none), for its status while unmounted. */
void rootfs_set_error(size_t i, const char *why);

/*
 * Arms the parent's way to stop the loop of se between two requests:
 * a lookup of name in the root is answered (ENOENT), then ends the
 * loop, so that the loop is out of read() before the unmount closes
 * the descriptor it reads (multi.c).  name is copied; before the
 * session starts.  0 or ENOMEM.
 */
int rootfs_arm_stop(struct fuse_session *se, const char *name);

void rootfs_free(void);

#endif
