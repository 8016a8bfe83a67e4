/*
 * The FUSE handlers of a POP3 maildrop's mount (backend/pop3/maildrop.h):
 * a maildrop can be read and emptied, nothing more, so what would add to
 * it or rename in it fails at once with EROFS (mailfs(1)), before the
 * model or the server is asked: new files (create, mknod), mkdir,
 * symlink, link and rename inside the mount.  rm, read and the rest go to
 * the handlers of the table (ops.c).  A setfattr of flags is EPERM from
 * the backend (a maildrop keeps no flags).
 *
 * No state; no lock.
 */
#ifndef MAILFS_FUSE_MAILDROP_VFS_H
#define MAILFS_FUSE_MAILDROP_VFS_H

#include "fs.h"

/* Puts the maildrop's refusals in front of ops's handlers. */
void maildrop_vfs_wrap(struct fuse_lowlevel_ops *ops);

#endif
