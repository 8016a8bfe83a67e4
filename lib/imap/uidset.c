/*
 * UID sets: parsing an IMAP sequence-set of UIDs into sorted, merged
 * ranges, and asking it questions.
 *
 * RFC 3501 9	sequence-set, seq-range, seq-number, nz-number
 * RFC 4315 3	uid-set in APPENDUID and COPYUID
 *
 *	sequence-set = (seq-number / seq-range) *("," sequence-set)
 *	seq-range    = seq-number ":" seq-number
 *	seq-number   = nz-number / "*"
 *	nz-number    = digit-nz *DIGIT
 *
 * The text may come from the server (COPYUID), so the work is bounded by
 * its length: one pass to count, one allocation, one sort.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <mailfs/types.h>

#include "strparse.h"

/*
 * Parses the seq-number at s[*pos..len) up to the next ":" or ",".  Returns
 * 0 and advances *pos, or -1.
 */
static int
uidset_number(const char *s, size_t len, size_t *pos, uint32_t star_value,
    uint32_t *n_r)
{
	size_t start = *pos, end;

	for (end = start; end < len && s[end] != ':' && s[end] != ','; end++)
		;
	if (end - start == 1 && s[start] == '*') {
		if (star_value == 0)
			return -1;
		*n_r = star_value;
	} else {
		/* The grammar has no leading zeros; the server never sends them. */
		if (end == start || s[start] == '0' ||
		    str_to_nz32(s + start, end - start, n_r) == -1)
			return -1;
	}
	*pos = end;
	return 0;
}

static int
range_cmp(const void *a, const void *b)
{
	const struct mailfs_uidrange *ra = a, *rb = b;

	if (ra->first != rb->first)
		return ra->first < rb->first ? -1 : 1;
	if (ra->last != rb->last)
		return ra->last < rb->last ? -1 : 1;
	return 0;
}

/* Sorts r[0..n) and merges overlapping and touching ranges; returns the new count. */
static size_t
uidset_normalize(struct mailfs_uidrange *r, size_t n)
{
	size_t i, out;

	qsort(r, n, sizeof(*r), range_cmp);
	out = 0;
	for (i = 1; i < n; i++) {
		if (r[out].last == UINT32_MAX || r[i].first <= r[out].last + 1) {
			if (r[i].last > r[out].last)
				r[out].last = r[i].last;
		} else
			r[++out] = r[i];
	}
	return n == 0 ? 0 : out + 1;
}

int
mailfs_uidset_parse(const char *text, size_t len, uint32_t star_value,
    struct mailfs_uidset *set_r)
{
	struct mailfs_uidrange *r, *shrunk;
	size_t i, n, count, pos;
	uint32_t a, b;

	len = strnlen(text, len);
	if (len == 0) {
		errno = EINVAL;
		return -1;
	}
	for (n = 1, i = 0; i < len; i++)
		if (text[i] == ',')
			n++;
	/* Each element takes a character and a comma: more commas is junk. */
	if (n > len / 2 + 1) {
		errno = EINVAL;
		return -1;
	}
	if ((r = calloc(n, sizeof(*r))) == NULL)
		return -1;
	count = 0;
	for (pos = 0; pos <= len; pos++) {
		if (uidset_number(text, len, &pos, star_value, &a) == -1)
			goto inval;
		b = a;
		if (pos < len && text[pos] == ':') {
			pos++;
			if (uidset_number(text, len, &pos, star_value, &b)
			    == -1)
				goto inval;
		}
		/* Now at the end or at a "," (a second ":" is not a number). */
		if (pos < len && text[pos] != ',')
			goto inval;
		r[count].first = a < b ? a : b;
		r[count].last = a < b ? b : a;
		count++;
	}
	count = uidset_normalize(r, count);
	if (count < n && (shrunk = realloc(r, count * sizeof(*r))) != NULL)
		r = shrunk;
	set_r->ranges = r;
	set_r->count = count;
	return 0;
inval:
	free(r);
	errno = EINVAL;
	return -1;
}

void
mailfs_uidset_clear(struct mailfs_uidset *set)
{
	free(set->ranges);
	set->ranges = NULL;
	set->count = 0;
}

int
mailfs_uidset_contains(const struct mailfs_uidset *set, uint32_t uid)
{
	size_t lo = 0, hi = set->count, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (uid < set->ranges[mid].first)
			hi = mid;
		else if (uid > set->ranges[mid].last)
			lo = mid + 1;
		else
			return 1;
	}
	return 0;
}

uint64_t
mailfs_uidset_size(const struct mailfs_uidset *set)
{
	uint64_t total = 0;
	size_t i;

	for (i = 0; i < set->count; i++)
		total += (uint64_t)set->ranges[i].last -
		    set->ranges[i].first + 1;
	return total;
}

uint32_t
mailfs_uidset_nth(const struct mailfs_uidset *set, uint64_t index)
{
	uint64_t width;
	size_t i;

	for (i = 0; i < set->count; i++) {
		width = (uint64_t)set->ranges[i].last -
		    set->ranges[i].first + 1;
		if (index < width)
			return set->ranges[i].first + (uint32_t)index;
		index -= width;
	}
	return 0;
}
