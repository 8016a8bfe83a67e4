/*
 * The kernel notifications: inval_add(), inval_clear(), inval_send() and
 * inval_send_later() (declared in fs.h, as every layer above collects
 * them), and the notifier thread that sends what handlers may not send
 * themselves (the kernel waits for their reply before it takes a
 * notification about the directory it holds locked for them).
 *
 * Owns the notifier's queue and notify_lock, a leaf (fs.h): nothing is
 * taken under it, and it is never held while the kernel is told.  A
 * struct inval_list of the caller's is the caller's, unlocked; inval_send()
 * talks to the kernel, so its caller holds no lock of the daemon.
 */
#ifndef MAILFS_FUSE_INVAL_H
#define MAILFS_FUSE_INVAL_H

#include "fs.h"

/* Starts the notifier thread; 0 or an errno. */
int inval_start(void);
/* Stops it, dropping what it had not sent yet. */
void inval_stop(void);

#endif
