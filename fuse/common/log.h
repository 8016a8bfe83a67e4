/*
 * The daemon's one logging function: stderr while in the foreground,
 * syslog once in the background.  LOG_DEBUG lines appear only with -d.
 */
#ifndef MAILFS_FUSE_LOG_H
#define MAILFS_FUSE_LOG_H

#include <stddef.h>
#include <syslog.h>

#include <mailfs/client.h>

void log_init(int foreground, int debug);
/* Switches to syslog (after fuse_daemonize()). */
void log_background(void);
int log_debugging(void);
void log_msg(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A mailfs_trace_fn for the library's protocol trace (secrets already masked). */
void log_trace(void *ctx, enum mailfs_trace_dir dir, const char *line, size_t len);

#endif
