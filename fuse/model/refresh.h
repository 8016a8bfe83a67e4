/*
 * Keeping in step with the server: as soon as the source tells of a
 * change (push: backend_wait_changes()), and at the latest every
 * -o refresh= seconds (where the source cannot tell, or its push broke:
 * exactly then), one LIST (with LIST-STATUS where offered) and a delta of
 * every folder the kernel has looked at whose status changed; then the
 * kernel is told what to forget, for what changed only.  A refresh a push
 * caused starts at least 200 ms after the one before, so that this
 * mount's own changes, which the source tells of too, cost a bounded
 * number of refreshes, and one more follows a second after the last
 * change told (the server's other sessions may show a change later
 * than its push tells of it).  Changes queued offline (queue.h) are
 * replayed before a refresh, at once when the mount goes online.  The
 * thread never holds a connection while it
 * talks to the kernel.  refresh_start() starts the kernel notifier
 * (inval.h) too; refresh_stop() stops both, after backend_cancel() (the
 * push wait may otherwise last the interval).
 */
#ifndef MAILFS_FUSE_REFRESH_H
#define MAILFS_FUSE_REFRESH_H

#include "inode.h"

/* Starts the refresh and notifier threads: 0 or an errno. */
int refresh_start(unsigned interval_s);
void refresh_stop(void);

/*
 * Asks the refresh thread to refresh now, replaying the queued changes
 * first (queue.h): when changes were queued online, and when the mount
 * goes online (online_set_hook()).  Takes refresh_lock only.
 */
void refresh_kick(void);

/* Asks the refresh thread to invalidate ino's attributes soon. */
void refresh_queue_inode(fuse_ino_t ino);

#endif
