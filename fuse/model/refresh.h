/*
 * Keeping in step with the server: every -o refresh= seconds, one LIST
 * (with LIST-STATUS where offered) and a delta of every folder the kernel
 * has looked at whose status changed; then the kernel is told what to
 * forget.  The thread never holds a connection while it talks to the kernel.
 * refresh_start() starts the kernel notifier (inval.h) too, refresh_stop()
 * stops both.
 */
#ifndef MAILFS_FUSE_REFRESH_H
#define MAILFS_FUSE_REFRESH_H

#include "inode.h"

/* Starts the refresh and notifier threads: 0 or an errno. */
int refresh_start(unsigned interval_s);
void refresh_stop(void);

/* Asks the refresh thread to invalidate ino's attributes soon. */
void refresh_queue_inode(fuse_ino_t ino);

#endif
