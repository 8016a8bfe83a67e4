/*
 * Changes of folders on the server: mkdir, rmdir and the rename of
 * folders, each of which the system call reports done exactly when the
 * server made it.  Every function returns 0 or an errno; the backend has
 * logged a failure with the server's text.  No state of its own.
 */
#ifndef MAILFS_FUSE_DIRS_H
#define MAILFS_FUSE_DIRS_H

#include "fs.h"

struct node;

/* mkdir: CREATE; *ino_r is the new directory (its lookup counted). */
int mutate_mkdir(struct node *parent, const char *name, fuse_ino_t *ino_r);

/* rmdir: DELETE of a folder with no messages and no children; else ENOTEMPTY. */
int mutate_rmdir(struct node *parent, const char *name);

/* mv of a directory: RENAME. */
int mutate_rename_dir(struct node *parent, const char *name, struct node *newparent,
    const char *newname);

#endif
