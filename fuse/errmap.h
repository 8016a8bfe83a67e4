/* Library errors to errno: one table (see errmap.c). */
#ifndef MAILFS_FUSE_ERRMAP_H
#define MAILFS_FUSE_ERRMAP_H

#include <mailfs/error.h>

/* The errno a filesystem operation returns for this failure; never 0. */
int errmap_errno(const struct mailfs_error *err);

/* 1 when the failure leaves the connection unusable (reconnect before reuse). */
int errmap_conn_broken(const struct mailfs_error *err);

#endif
