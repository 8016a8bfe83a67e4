/*
 * Keeping in step with the server: every -o refresh= seconds, one LIST
 * (with LIST-STATUS where offered) and a delta of every folder the kernel
 * has looked at whose status changed; then the kernel is told what to
 * forget.  The thread never holds a connection while it talks to the kernel.
 */
#ifndef MAILFS_FUSE_REFRESH_H
#define MAILFS_FUSE_REFRESH_H

#include <mailfs/client.h>

#include "inode.h"

/* LIST "" "*" (with STATUS where offered) into lr; 0 or -1 (the client's error). */
int refresh_list(struct mailfs_client *c, struct list_result *lr);

int refresh_start(unsigned interval_s);
void refresh_stop(void);

/* Asks the refresh thread to invalidate ino's attributes soon. */
void refresh_queue_inode(fuse_ino_t ino);

#endif
