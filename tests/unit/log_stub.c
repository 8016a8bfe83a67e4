/*
 * log_msg() for unit tests of fuse/ modules without the daemon's log:
 * each line as a TAP comment, so that what a module logs shows in the
 * test's log beside the checks.
 */
#include <stdarg.h>
#include <stdio.h>

#include "log.h"

void
log_msg(int prio, const char *fmt, ...)
{
	va_list ap;

	(void)prio;
	va_start(ap, fmt);
	printf("# log: ");
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
}
