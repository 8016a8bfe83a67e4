/*
 * Formatting trace lines (see trace.h).
 */
#include <stdarg.h>
#include <stdio.h>

#include "trace.h"

void
trace_vemit(mailfs_trace_fn *fn, void *ctx, enum mailfs_trace_dir dir,
    size_t max, const char *fmt, va_list ap)
{
	char line[TRACE_EMIT_MAX + 1];
	int n;

	if (fn == NULL)
		return;
	if (max > TRACE_EMIT_MAX)
		max = TRACE_EMIT_MAX;
	n = vsnprintf(line, sizeof(line), fmt, ap);
	if (n < 0)
		return;
	fn(ctx, dir, line, (size_t)n > max ? max : (size_t)n);
}
