/*
 * UID sets (RFC 3501 sequence-set): parsing into minimal sorted ranges,
 * hostile input, and contains/size/nth against a bitmap on large sets.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <mailfs/types.h>

#include "../tap.h"

static const struct {
	const char *text;
	uint32_t star;
	const char *ranges;	/* as format_set() writes them */
	uint64_t size;
} good_sets[] = {
	{ "1", UINT32_MAX, "1", 1 },
	{ "1:5,7,9:*", 20, "1:5,7,9:20", 18 },
	{ "5:3", UINT32_MAX, "3:5", 3 },
	{ "3,1,2", UINT32_MAX, "1:3", 3 },
	{ "1:5,2:3", UINT32_MAX, "1:5", 5 },
	{ "1:5,6:10", UINT32_MAX, "1:10", 10 },
	{ "10:20,1:9", UINT32_MAX, "1:20", 20 },
	{ "1,3", UINT32_MAX, "1,3", 2 },
	{ "7,7,7", UINT32_MAX, "7", 1 },
	{ "9:*", 5, "5:9", 5 },
	{ "*:1", 5, "1:5", 5 },
	{ "*", UINT32_MAX, "4294967295", 1 },
	{ "*,*", 3, "3", 1 },
	{ "4294967295:1", UINT32_MAX, "1:4294967295", 4294967295u },
	{ "1:4294967295,5,4294967295", 7, "1:4294967295", 4294967295u },
	{ "4294967294,4294967295,1", 1, "1,4294967294:4294967295", 3 },
	{ "4294967295,4294967294", 1, "4294967294:4294967295", 2 },
	{ "100:200,150:300,50:99,400", UINT32_MAX, "50:300,400", 252 },
	{ "2,4,6,8,5,7,3", UINT32_MAX, "2:8", 7 },
	{ "1:1,3:3", UINT32_MAX, "1,3", 2 },
};

static const struct {
	const char *text;
	uint32_t star;
	const char *what;
} bad_sets[] = {
	{ "", UINT32_MAX, "empty" },
	{ ",", UINT32_MAX, "a lone comma" },
	{ "1,", UINT32_MAX, "a trailing comma" },
	{ ",1", UINT32_MAX, "a leading comma" },
	{ "1,,2", UINT32_MAX, "an empty element" },
	{ "0", UINT32_MAX, "zero" },
	{ "0:5", UINT32_MAX, "zero at the start of a range" },
	{ "5:0", UINT32_MAX, "zero at the end of a range" },
	{ "00", UINT32_MAX, "double zero" },
	{ "01", UINT32_MAX, "a leading zero" },
	{ "4294967296", UINT32_MAX, "2^32" },
	{ "1:4294967296", UINT32_MAX, "2^32 at the end of a range" },
	{ "99999999999999999999", UINT32_MAX, "20 digits" },
	{ "18446744073709551617", UINT32_MAX, "2^64 + 1" },
	{ " 1", UINT32_MAX, "a leading space" },
	{ "1 ", UINT32_MAX, "a trailing space" },
	{ "1, 2", UINT32_MAX, "a space after a comma" },
	{ "1 :2", UINT32_MAX, "a space before a colon" },
	{ "1:", UINT32_MAX, "a range without an end" },
	{ ":1", UINT32_MAX, "a range without a start" },
	{ ":", UINT32_MAX, "a lone colon" },
	{ "1::2", UINT32_MAX, "a double colon" },
	{ "1:2:3", UINT32_MAX, "three numbers in a range" },
	{ "a", UINT32_MAX, "a letter" },
	{ "1a", UINT32_MAX, "a letter after a number" },
	{ "*5", UINT32_MAX, "a number after a star" },
	{ "5*", UINT32_MAX, "a star after a number" },
	{ "**", UINT32_MAX, "two stars" },
	{ "-1", UINT32_MAX, "a minus sign" },
	{ "+1", UINT32_MAX, "a plus sign" },
	{ "1;2", UINT32_MAX, "a semicolon" },
	{ "1\n", UINT32_MAX, "a newline" },
	{ "1\r\n", UINT32_MAX, "CR LF" },
	{ "(1)", UINT32_MAX, "parentheses" },
	{ "$", UINT32_MAX, "the saved-search $" },
	{ "1.5", UINT32_MAX, "a dot" },
	{ "*", 0, "a star when star_value is 0" },
};

/* Writes the set as "a:b,c" (ranges) into out, which has room for n bytes. */
static void
format_set(const struct mailfs_uidset *set, char *out, size_t n)
{
	size_t i, used = 0;

	out[0] = '\0';
	for (i = 0; i < set->count && used < n; i++) {
		if (set->ranges[i].first == set->ranges[i].last)
			used += (size_t)snprintf(out + used, n - used, "%s%u",
			    i ? "," : "", set->ranges[i].first);
		else
			used += (size_t)snprintf(out + used, n - used,
			    "%s%u:%u", i ? "," : "", set->ranges[i].first,
			    set->ranges[i].last);
	}
}

/* Sorted, each first <= last, and no two ranges overlap or touch. */
static int
is_minimal(const struct mailfs_uidset *set)
{
	size_t i;

	for (i = 0; i < set->count; i++) {
		if (set->ranges[i].first == 0 ||
		    set->ranges[i].first > set->ranges[i].last)
			return 0;
		if (i > 0 && (uint64_t)set->ranges[i - 1].last + 1 >=
		    set->ranges[i].first)
			return 0;
	}
	return 1;
}

static void
test_good(void)
{
	struct mailfs_uidset set;
	struct mailfs_uidrange *r;
	char buf[256];
	size_t i, k;
	int edges;

	for (i = 0; i < sizeof(good_sets) / sizeof(good_sets[0]); i++) {
		if (!ok(mailfs_uidset_parse(good_sets[i].text, strlen(good_sets[i].text),
		    good_sets[i].star, &set) == 0, "parses \"%s\"", good_sets[i].text))
			continue;
		format_set(&set, buf, sizeof(buf));
		ok(strcmp(buf, good_sets[i].ranges) == 0, "  is %s (got %s)",
		    good_sets[i].ranges, buf);
		ok(is_minimal(&set), "  is minimal");
		ok(mailfs_uidset_size(&set) == good_sets[i].size, "  size %llu",
		    (unsigned long long)good_sets[i].size);
		edges = 1;
		for (k = 0; k < set.count; k++) {
			r = &set.ranges[k];
			if (!mailfs_uidset_contains(&set, r->first) ||
			    !mailfs_uidset_contains(&set, r->last) ||
			    (r->first > 1 &&
			    mailfs_uidset_contains(&set, r->first - 1)) ||
			    (r->last < UINT32_MAX &&
			    mailfs_uidset_contains(&set, r->last + 1)))
				edges = 0;
		}
		ok(edges && !mailfs_uidset_contains(&set, 0),
		    "  contains its edges and nothing next to them");
		ok(mailfs_uidset_nth(&set, 0) == set.ranges[0].first &&
		    mailfs_uidset_nth(&set, good_sets[i].size - 1) ==
		    set.ranges[set.count - 1].last &&
		    mailfs_uidset_nth(&set, good_sets[i].size) == 0,
		    "  nth: first, last, past the end");
		mailfs_uidset_clear(&set);
		ok(set.ranges == NULL && set.count == 0, "  clear empties it");
	}
}

static void
test_bad(void)
{
	struct mailfs_uidset set;
	size_t i;
	int r;

	for (i = 0; i < sizeof(bad_sets) / sizeof(bad_sets[0]); i++) {
		memset(&set, 0xa5, sizeof(set));
		errno = 0;
		r = mailfs_uidset_parse(bad_sets[i].text, strlen(bad_sets[i].text),
		    bad_sets[i].star, &set);
		ok(r == -1 && errno == EINVAL &&
		    set.count == (size_t)0xa5a5a5a5a5a5a5a5ull,
		    "refuses %s", bad_sets[i].what);
		if (r == 0)
			mailfs_uidset_clear(&set);
	}
}

static void
test_len_and_empty(void)
{
	struct mailfs_uidset set, empty = { NULL, 0 };
	char buf[64];

	ok(mailfs_uidset_parse("1,2,junk", 3, UINT32_MAX, &set) == 0,
	    "only len bytes are read");
	format_set(&set, buf, sizeof(buf));
	ok(strcmp(buf, "1:2") == 0, "  and they are 1:2");
	mailfs_uidset_clear(&set);
	mailfs_uidset_clear(&set);
	ok(set.ranges == NULL, "clear twice is harmless");
	ok(mailfs_uidset_parse("12", 1, UINT32_MAX, &set) == 0 &&
	    set.count == 1 && set.ranges[0].first == 1,
	    "len cuts a number");
	mailfs_uidset_clear(&set);
	ok(mailfs_uidset_parse("1:", 2, UINT32_MAX, &set) == -1,
	    "len leaving a dangling colon");
	ok(!mailfs_uidset_contains(&empty, 1) &&
	    mailfs_uidset_size(&empty) == 0 &&
	    mailfs_uidset_nth(&empty, 0) == 0, "an empty set answers");
}

static uint64_t rng_state = 0x2545f4914f6cdd1dull;

static uint32_t
rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 16);
}

#define UNIVERSE	5000

/*
 * Random sets of many elements over 1..UNIVERSE, checked UID by UID
 * against a bitmap built from the same elements.
 */
static void
test_large(void)
{
	struct mailfs_uidset set;
	static unsigned char bitmap[UNIVERSE + 2];
	char *text;
	size_t cap = 1 << 20, used;
	uint32_t a, b, lo, hi, u;
	uint64_t members, idx;
	unsigned round, bad = 0, elements;

	if ((text = malloc(cap)) == NULL)
		bail_out("out of memory");
	for (round = 0; round < 20; round++) {
		memset(bitmap, 0, sizeof(bitmap));
		elements = 1 + rng() % 20000;
		used = 0;
		while (elements-- > 0) {
			a = 1 + rng() % UNIVERSE;
			b = rng() % 3 ? a : 1 + rng() % UNIVERSE;
			used += (size_t)snprintf(text + used, cap - used,
			    a == b ? "%s%u" : "%s%u:%u", used ? "," : "", a, b);
			lo = a < b ? a : b;
			hi = a < b ? b : a;
			memset(bitmap + lo, 1, hi - lo + 1);
		}
		if (mailfs_uidset_parse(text, used, UINT32_MAX, &set) == -1) {
			bad++;
			continue;
		}
		if (!is_minimal(&set))
			bad++;
		members = 0;
		idx = 0;
		for (u = 0; u <= UNIVERSE + 1; u++) {
			if (mailfs_uidset_contains(&set, u) != bitmap[u])
				bad++;
			if (!bitmap[u])
				continue;
			members++;
			if (mailfs_uidset_nth(&set, idx++) != u)
				bad++;
		}
		if (mailfs_uidset_size(&set) != members ||
		    mailfs_uidset_nth(&set, members) != 0)
			bad++;
		mailfs_uidset_clear(&set);
	}
	ok(bad == 0, "20 random sets of up to 20000 elements match a bitmap");

	/* Hostile sizes: a megabyte of commas, digits or repeats. */
	memset(text, ',', cap);
	ok(mailfs_uidset_parse(text, cap, UINT32_MAX, &set) == -1,
	    "a megabyte of commas is refused");
	memset(text, '9', cap);
	ok(mailfs_uidset_parse(text, cap, UINT32_MAX, &set) == -1,
	    "a megabyte of digits is refused");
	for (used = 0; used + 3 <= cap; used += 2)
		memcpy(text + used, "1,", 2);
	text[used++] = '*';
	ok(mailfs_uidset_parse(text, used, UINT32_MAX, &set) == 0 &&
	    set.count == 2 && mailfs_uidset_size(&set) == 2,
	    "half a million repeats of one UID merge into one range");
	mailfs_uidset_clear(&set);
	for (used = 0, u = 1; used + 12 < cap; u += 2)
		used += (size_t)snprintf(text + used, cap - used, "%s%u",
		    used ? "," : "", u);
	ok(mailfs_uidset_parse(text, used, UINT32_MAX, &set) == 0 &&
	    set.count == (u - 1) / 2 && is_minimal(&set) &&
	    mailfs_uidset_contains(&set, u - 2) &&
	    !mailfs_uidset_contains(&set, u - 1),
	    "%u separate UIDs stay separate", (u - 1) / 2);
	mailfs_uidset_clear(&set);
	free(text);
}

/* Short random strings over the set's own alphabet: never a crash, and what parses is minimal. */
static void
test_random_text(void)
{
	static const char alphabet[] = "0129:,*";
	struct mailfs_uidset set;
	char text[16];
	unsigned i, accepted = 0, bad = 0;
	size_t n, k;

	for (i = 0; i < 200000; i++) {
		n = rng() % sizeof(text);
		for (k = 0; k < n; k++)
			text[k] = alphabet[rng() % (sizeof(alphabet) - 1)];
		if (mailfs_uidset_parse(text, n, 1 + rng() % 100, &set) == -1)
			continue;
		accepted++;
		if (!is_minimal(&set) || set.count == 0)
			bad++;
		mailfs_uidset_clear(&set);
	}
	ok(bad == 0, "random text: %u of 200000 accepted, all minimal",
	    accepted);
}

int
main(void)
{
	test_good();
	test_bad();
	test_len_and_empty();
	test_large();
	test_random_text();
	return done_testing();
}
