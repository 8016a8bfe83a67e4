/*
 * The daemon's one logging function: stderr while in the foreground,
 * syslog once in the background.  LOG_DEBUG lines appear only with -d.
 */
#ifndef MAILFS_FUSE_LOG_H
#define MAILFS_FUSE_LOG_H

#include <stddef.h>
#include <syslog.h>

void log_init(int foreground, int debug);
/* Switches to syslog (after fuse_daemonize()). */
void log_background(void);
int log_debugging(void);
void log_msg(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * on: this thread's warnings and notices go out as debug lines, until
 * log_quiet(0).  For work nobody waits for (the read-ahead): when it
 * cannot reach the server, the reader that needs the bytes fetches them
 * itself and says why it could not.
 */
void log_quiet(int on);

#endif
