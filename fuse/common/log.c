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

/* This thread does work nobody waits for (log_quiet()). */
static __thread int quiet;

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
log_quiet(int on)
{
	quiet = on;
}

void
log_msg(int prio, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	if (quiet && (prio == LOG_WARNING || prio == LOG_NOTICE))
		prio = LOG_DEBUG;
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
