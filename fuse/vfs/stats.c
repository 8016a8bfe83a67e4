/*
 * Counts of the FUSE requests served, by operation (stats.h).
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "deadline.h"
#include "profile.h"
#include "stats.h"

static uint64_t counts[STAT_NOPS];

/* As the keys of the line; each index is its enum stats_op. */
static const char *const names[STAT_NOPS] = {
	[STAT_LOOKUP] = "lookup",
	[STAT_FORGET] = "forget",
	[STAT_FORGET_MULTI] = "forget_multi",
	[STAT_GETATTR] = "getattr",
	[STAT_SETATTR] = "setattr",
	[STAT_MKNOD] = "mknod",
	[STAT_MKDIR] = "mkdir",
	[STAT_UNLINK] = "unlink",
	[STAT_RMDIR] = "rmdir",
	[STAT_SYMLINK] = "symlink",
	[STAT_RENAME] = "rename",
	[STAT_LINK] = "link",
	[STAT_CREATE] = "create",
	[STAT_OPEN] = "open",
	[STAT_READ] = "read",
	[STAT_WRITE] = "write",
	[STAT_FLUSH] = "flush",
	[STAT_FSYNC] = "fsync",
	[STAT_RELEASE] = "release",
	[STAT_OPENDIR] = "opendir",
	[STAT_READDIR] = "readdir",
	[STAT_READDIRPLUS] = "readdirplus",
	[STAT_RELEASEDIR] = "releasedir",
	[STAT_STATFS] = "statfs",
	[STAT_SETXATTR] = "setxattr",
	[STAT_GETXATTR] = "getxattr",
	[STAT_LISTXATTR] = "listxattr",
	[STAT_REMOVEXATTR] = "removexattr",
};

void
stats_count(enum stats_op op)
{
	/* Every handler calls this first: where its time starts too. */
	deadline_begin();
	if ((unsigned)op < STAT_NOPS)
		(void)__atomic_add_fetch(&counts[op], 1, __ATOMIC_RELAXED);
}

size_t
stats_format(char *buf, size_t size)
{
	uint64_t v[STAT_NOPS], total = 0;
	size_t pos, i;

	if (size == 0)
		return 0;
	/* One load each, so that total is the sum of what the line shows. */
	for (i = 0; i < STAT_NOPS; i++) {
		v[i] = __atomic_load_n(&counts[i], __ATOMIC_RELAXED);
		total += v[i];
	}
	buf[0] = '\0';
	pos = profile_item(buf, size, 0, "total", total);
	for (i = 0; i < STAT_NOPS && pos < size; i++)
		if (v[i] != 0)
			pos = profile_item(buf, size, pos, names[i], v[i]);
	return pos < size ? pos : strlen(buf);
}
