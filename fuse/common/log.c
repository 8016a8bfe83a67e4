/*
 * Logging: stderr in the foreground, syslog in the background.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "log.h"

static int log_to_syslog;
static int log_debug;

void
log_init(int foreground, int debug)
{
	(void)foreground;
	log_debug = debug;
	log_to_syslog = 0;
}

void
log_background(void)
{
	openlog("mailfs", LOG_PID, LOG_USER);
	log_to_syslog = 1;
}

int
log_debugging(void)
{
	return log_debug;
}

void
log_msg(int prio, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	if (prio == LOG_DEBUG && !log_debug)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (log_to_syslog)
		syslog(prio, "%s", buf);
	else
		/* The level, so that a reader (and the tests) can tell
		 * what went wrong from what merely happened. */
		fprintf(stderr, "mailfs: %s%s\n", prio <= LOG_ERR ? "error: " :
		    prio == LOG_WARNING ? "warning: " : "", buf);
}

void
log_trace(void *ctx, enum mailfs_trace_dir dir, const char *line, size_t len)
{
	static const char *const arrows[] = { "C:", "S:", "--" };
	int n = len > 900 ? 900 : (int)len;

	(void)ctx;
	log_msg(LOG_DEBUG, "%s %.*s%s", arrows[dir <= MAILFS_TRACE_INFO ? dir : 2],
	    n, line, n < (int)len ? " ..." : "");
}
