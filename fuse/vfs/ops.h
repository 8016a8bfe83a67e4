/*
 * The fuse_lowlevel_ops table of the filesystem, for main.c's
 * fuse_session_new(): the handlers of fuse/vfs/ (vfs.h lists them by
 * file).  Constant; the handlers may run on any number of threads.
 */
#ifndef MAILFS_FUSE_OPS_H
#define MAILFS_FUSE_OPS_H

#include "fs.h"

extern const struct fuse_lowlevel_ops vfs_ops;

#endif
