/*
 * libFuzzer target for the replay of fuse/alias.c's journal: the file of
 * message names in the user's cache directory, which may be damaged or
 * cut short.
 *
 *	make fuzz-alias && tests/fuzz/fuzz_alias -max_total_time=60 CORPUS
 *
 * The input is a journal ("+UID NAME" and "-UID" records, each ended by
 * NUL).  After alias_replay_locked() every record was counted, and every
 * UID the journal mentions either has its UID name (which leads back to it
 * unless another message's alias holds it) or an alias that is one
 * harmless file name (not empty, ".", "..", no "/", at most 255 bytes),
 * leads back to that UID and is no other UID's alias.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "alias.h"
#include "folder.h"

#define CHECK(c)	do { if (!(c)) abort(); } while (0)
#define MAX_UIDS	512
#define UIDVALIDITY	1732780000u

int LLVMFuzzerTestOneInput(const uint8_t *buf, size_t size);

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

int
LLVMFuzzerTestOneInput(const uint8_t *buf, size_t size)
{
	static char names[MAX_UIDS][NAMES_COMPONENT_MAX + 1];
	char natural[NAMES_COMPONENT_MAX + 1], other[NAMES_COMPONENT_MAX + 1];
	uint32_t uids[MAX_UIDS], holder;
	int alias[MAX_UIDS];
	const char *p, *end = (const char *)buf + size, *nul;
	struct folder *f;
	size_t records = 0, n = 0, i, j, len;
	uint64_t v;

	/* The UIDs the records name, and how many records there are. */
	for (p = (const char *)buf; p < end &&
	    (nul = memchr(p, '\0', (size_t)(end - p))) != NULL; p = nul + 1) {
		records++;
		if (n == MAX_UIDS || (*p != '+' && *p != '-'))
			continue;
		for (v = 0, p++; p < nul && *p >= '0' && *p <= '9' &&
		    v <= UINT32_MAX; p++)
			v = v * 10 + (uint64_t)(*p - '0');
		if (v > 0 && v <= UINT32_MAX)
			uids[n++] = (uint32_t)v;
	}
	qsort(uids, n, sizeof(uids[0]), cmp_u32);

	CHECK((f = calloc(1, sizeof(*f))) != NULL);
	f->uidvalidity = UIDVALIDITY;
	CHECK(alias_replay_locked(f, (const char *)buf, size) == records);
	for (i = 0; i < n; i++) {
		if (i > 0 && uids[i] == uids[i - 1]) {
			strcpy(names[i], names[i - 1]);
			alias[i] = alias[i - 1];
			continue;
		}
		alias_msg_name_locked(f, uids[i], names[i]);
		names_msg(UIDVALIDITY, uids[i], natural);
		alias[i] = strcmp(names[i], natural) != 0;
		if (!alias[i]) {
			/*
			 * The UID name, unless a message moved here holds it
			 * (alias_prune_locked() renames this one after the
			 * listing).
			 */
			holder = alias_lookup_locked(f, natural);
			if (holder != uids[i]) {
				CHECK(holder != 0);
				alias_msg_name_locked(f, holder, other);
				CHECK(strcmp(other, natural) == 0);
			}
			continue;
		}
		len = strlen(names[i]);
		CHECK(len > 0 && len <= NAMES_COMPONENT_MAX);
		CHECK(strchr(names[i], '/') == NULL);
		CHECK(strcmp(names[i], ".") != 0 && strcmp(names[i], "..") != 0);
		CHECK(alias_lookup_locked(f, names[i]) == uids[i]);
		for (j = 0; j < i; j++)
			CHECK(!alias[j] || uids[j] == uids[i] ||
			    strcmp(names[j], names[i]) != 0);
	}
	alias_clear_locked(f);
	free(f);
	return 0;
}
