/*
 * The kernel notifications: inval_add(), inval_send(), inval_send_later()
 * (declared in fs.h) and the notifier thread that sends what handlers
 * may not send themselves.
 */
#ifndef MAILFS_FUSE_INVAL_H
#define MAILFS_FUSE_INVAL_H

#include "fs.h"

/* Starts the notifier thread; 0 or -1. */
int inval_start(void);
/* Stops it, dropping what it had not sent yet. */
void inval_stop(void);

#endif
