/*
 * libFuzzer target for lib/uidset.c.
 *
 *	make fuzz-uidset && tests/fuzz/fuzz_uidset -max_total_time=60 CORPUS
 *
 * Input: byte 0 picks the value of "*" (none, UINT32_MAX, or bytes 1-4),
 * the rest is a sequence-set as a server might send it in COPYUID.  What
 * parses must be sorted, merged ranges (no two overlap or touch); formatted
 * back as text it parses to the same set; contains(), size() and nth()
 * agree with the ranges.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mailfs/types.h>

#define CHECK(c)	do { if (!(c)) abort(); } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *buf, size_t size);

/* Formats set as "a:b,c"; the caller frees. */
static char *
format(const struct mailfs_uidset *set)
{
	char *out, *p;
	size_t i;

	CHECK((out = malloc(set->count * 24 + 1)) != NULL);
	p = out;
	for (i = 0; i < set->count; i++) {
		if (set->ranges[i].first == set->ranges[i].last)
			p += sprintf(p, "%s%u", i > 0 ? "," : "",
			    (unsigned)set->ranges[i].first);
		else
			p += sprintf(p, "%s%u:%u", i > 0 ? "," : "",
			    (unsigned)set->ranges[i].first,
			    (unsigned)set->ranges[i].last);
	}
	*p = '\0';
	return out;
}

/* contains() by a linear search, to hold the binary search against. */
static int
contains_slow(const struct mailfs_uidset *set, uint32_t uid)
{
	size_t i;

	for (i = 0; i < set->count; i++)
		if (uid >= set->ranges[i].first && uid <= set->ranges[i].last)
			return 1;
	return 0;
}

static void
probe(const struct mailfs_uidset *set, uint32_t uid)
{
	CHECK(mailfs_uidset_contains(set, uid) == contains_slow(set, uid));
}

int
LLVMFuzzerTestOneInput(const uint8_t *buf, size_t size)
{
	struct mailfs_uidset set, again;
	uint64_t total = 0;
	uint32_t star = 0, v;
	const char *text;
	size_t len, i;
	char *s;

	if (size < 5)
		return 0;
	switch (buf[0] % 3) {
	case 0:
		star = 0;
		break;
	case 1:
		star = UINT32_MAX;
		break;
	default:
		memcpy(&star, buf + 1, 4);
		break;
	}
	text = (const char *)buf + 5;
	len = size - 5;
	if (mailfs_uidset_parse(text, len, star, &set) == -1)
		return 0;

	CHECK(set.count > 0 && set.ranges != NULL);
	for (i = 0; i < set.count; i++) {
		CHECK(set.ranges[i].first != 0);
		CHECK(set.ranges[i].first <= set.ranges[i].last);
		/* Merged: a gap of at least one UID between ranges. */
		CHECK(i == 0 || (uint64_t)set.ranges[i].first >
		    (uint64_t)set.ranges[i - 1].last + 1);
		total += (uint64_t)set.ranges[i].last - set.ranges[i].first + 1;
		probe(&set, set.ranges[i].first);
		probe(&set, set.ranges[i].last);
		probe(&set, set.ranges[i].first - 1);
		probe(&set, set.ranges[i].last + 1);
	}
	probe(&set, 0);
	probe(&set, UINT32_MAX);
	for (i = 0; i + 4 <= len; i += 4) {
		memcpy(&v, text + i, 4);
		probe(&set, v);
	}
	CHECK(mailfs_uidset_size(&set) == total);
	CHECK(mailfs_uidset_nth(&set, 0) == set.ranges[0].first);
	CHECK(mailfs_uidset_nth(&set, total - 1) ==
	    set.ranges[set.count - 1].last);
	CHECK(mailfs_uidset_nth(&set, total) == 0);

	/* Every UID the text names is in the set. */
	for (i = 0; i < len && text[i] != '\0'; ) {
		uint64_t n = 0;
		size_t j = i;

		while (j < len && text[j] >= '0' && text[j] <= '9' && n <= UINT32_MAX)
			n = n * 10 + (uint64_t)(text[j++] - '0');
		if (j > i && n >= 1 && n <= UINT32_MAX)
			CHECK(mailfs_uidset_contains(&set, (uint32_t)n));
		i = j > i ? j : i + 1;
	}

	/* Formatted and parsed again: the same set. */
	s = format(&set);
	CHECK(mailfs_uidset_parse(s, strlen(s), star, &again) == 0);
	CHECK(again.count == set.count);
	CHECK(memcmp(again.ranges, set.ranges,
	    set.count * sizeof(*set.ranges)) == 0);
	mailfs_uidset_clear(&again);
	free(s);
	mailfs_uidset_clear(&set);
	CHECK(set.ranges == NULL && set.count == 0);
	return 0;
}
