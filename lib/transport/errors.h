/*
 * Filling a struct mailfs_error.  Internal to libmailfs.
 *
 * transport/ (shared by every protocol, depends on nothing of ours).
 */
#ifndef MAILFS_ERRORS_H
#define MAILFS_ERRORS_H

#include <mailfs/error.h>

/* Sets kind and a formatted one-line message; clears code and sys_errno. */
void error_set(struct mailfs_error *err, enum mailfs_errkind kind,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* MAILFS_ERR_SYSTEM (or NOMEM for ENOMEM) with ": strerror(errnum)" appended. */
void error_set_sys(struct mailfs_error *err, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

void error_clear(struct mailfs_error *err);

#endif
