/*
 * The forward table of moved messages: the inode number a message that
 * mv moved to another folder now has, for the old inode number the
 * kernel may still hold (a dentry that rename moved).  The table is this
 * module's, under its own forward_lock (a leaf: nothing is taken while
 * it is held); it forgets everything when it reaches FORWARD_MAX entries.
 */
#ifndef MAILFS_FUSE_FORWARD_H
#define MAILFS_FUSE_FORWARD_H

#include "fs.h"

/* Remembers that the message of inode number from is now to. */
void forward_add(fuse_ino_t from, fuse_ino_t to);

/*
 * The inode number a message moved by this mount now has, for an inode
 * number the kernel may still hold (a dentry that rename moved); 0 when
 * there is none.
 */
fuse_ino_t mutate_forward(fuse_ino_t ino);

/* Empties the table (at the exit). */
void mutate_destroy(void);

#endif
