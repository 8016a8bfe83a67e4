/* The fuse_lowlevel_ops table of the filesystem. */
#ifndef MAILFS_FUSE_OPS_H
#define MAILFS_FUSE_OPS_H

#include "fs.h"

extern const struct fuse_lowlevel_ops vfs_ops;

#endif
