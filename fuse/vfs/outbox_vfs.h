/*
 * The FUSE handlers of the Outbox/ directory (model/outbox.h): a
 * directory of the mount's root, local to the mount, of regular files
 * only.  outbox_vfs_wrap() puts them in front of the handlers of the
 * table (ops.c): each looks at the inode (or the parent) it is given
 * and passes what is not the Outbox's to the handler it replaced.
 *
 * Its name is "Outbox", or "Outbox.local" while the server has a
 * top-level folder named Outbox, which is shown as it is (mailfs(1)).
 *
 * No lock of its own; the model's calls take outbox_lock.
 */
#ifndef MAILFS_FUSE_OUTBOX_VFS_H
#define MAILFS_FUSE_OUTBOX_VFS_H

#include "fs.h"

/* The Outbox directory's inode number. */
#define OUTBOX_DIR_INO	(((fuse_ino_t)OUTBOX_GEN) << 32)

/* Puts the Outbox's handlers in front of ops's (which are kept, copied). */
void outbox_vfs_wrap(struct fuse_lowlevel_ops *ops);

/*
 * For the root's readdir, with the tree's lock held (read): 1 with the
 * Outbox's name (a static string) and entry when the mount shows one,
 * else 0.
 */
int outbox_vfs_entry_locked(const char **name_r, struct fuse_entry_param *e);

#endif
