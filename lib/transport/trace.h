/*
 * Formatting a protocol trace line for a client's trace callback
 * (mailfs_trace_fn, <mailfs/client.h>): what IMAP's engine and the SMTP
 * session share.  Internal to libmailfs.
 *
 * transport/ (shared by every protocol; uses the public headers alone).
 */
#ifndef MAILFS_TRACE_H
#define MAILFS_TRACE_H

#include <stdarg.h>
#include <stddef.h>

#include <mailfs/client.h>

/* The longest line handed to a callback, whatever a caller asks. */
#define TRACE_EMIT_MAX		1024

/*
 * Formats fmt and hands at most max (<= TRACE_EMIT_MAX) bytes of it to
 * fn with ctx; does nothing when fn is NULL.
 */
void trace_vemit(mailfs_trace_fn *fn, void *ctx, enum mailfs_trace_dir dir,
    size_t max, const char *fmt, va_list ap);

#endif
