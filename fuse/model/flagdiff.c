/*
 * Flag changes as differences (flagdiff.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "flagdiff.h"

/* The next space-separated word of *s: its start and length, 0 at the end. */
static size_t
next_word(const char **s, const char **word_r)
{
	const char *p = *s;
	size_t n;

	while (*p == ' ')
		p++;
	n = strcspn(p, " ");
	*word_r = p;
	*s = p + n;
	return n;
}

/* 1 when list holds the flag word[0..len), compared without case. */
static int
has_flag(const char *list, const char *word, size_t len)
{
	const char *w;
	size_t n;

	while ((n = next_word(&list, &w)) != 0)
		if (n == len && strncasecmp(w, word, len) == 0)
			return 1;
	return 0;
}

static int
is_recent(const char *word, size_t len)
{
	return len == 7 && strncasecmp(word, "\\Recent", 7) == 0;
}

/* Appends sign (may be 0) and word[0..len) to out, space-separated. */
static int
put_word(char *out, size_t size, size_t *used, char sign, const char *word, size_t len)
{
	size_t need = (*used != 0) + (sign != 0) + len;

	if (*used + need >= size)
		return ENAMETOOLONG;
	if (*used != 0)
		out[(*used)++] = ' ';
	if (sign != 0)
		out[(*used)++] = sign;
	memcpy(out + *used, word, len);
	*used += len;
	out[*used] = '\0';
	return 0;
}

/* Appends to out the words of from that are not in other, with sign. */
static int
put_missing(char *out, size_t size, size_t *used, char sign, const char *from,
    const char *other)
{
	const char *w;
	size_t n;
	int r;

	while ((n = next_word(&from, &w)) != 0) {
		if (is_recent(w, n) || has_flag(other, w, n))
			continue;
		if ((r = put_word(out, size, used, sign, w, n)) != 0)
			return r;
	}
	return 0;
}

int
flags_diff(const char *old, const char *new, char *out, size_t size)
{
	size_t used = 0;
	int r;

	if (size == 0)
		return ENAMETOOLONG;
	out[0] = '\0';
	if ((r = put_missing(out, size, &used, '+', new, old)) != 0 ||
	    (r = put_missing(out, size, &used, '-', old, new)) != 0)
		out[0] = '\0';
	return r;
}

int
flags_split(const char *diff, char *add, char *remove, size_t size)
{
	size_t nadd = 0, nremove = 0;
	const char *w;
	size_t n;
	int r = 0;

	if (size == 0)
		return ENAMETOOLONG;
	add[0] = remove[0] = '\0';
	while (r == 0 && (n = next_word(&diff, &w)) != 0) {
		if (n < 2 || (w[0] != '+' && w[0] != '-'))
			continue;
		if (w[0] == '+')
			r = put_word(add, size, &nadd, 0, w + 1, n - 1);
		else
			r = put_word(remove, size, &nremove, 0, w + 1, n - 1);
	}
	return r;
}

int
flags_apply(const char *cur, const char *diff, char *out, size_t size)
{
	char add[4096], remove[4096];
	const char *w;
	size_t n, used = 0;
	int r;

	if (size == 0)
		return ENAMETOOLONG;
	out[0] = '\0';
	if ((r = flags_split(diff, add, remove, sizeof(add))) != 0)
		return r;
	while ((n = next_word(&cur, &w)) != 0)
		if (!has_flag(remove, w, n) && (r = put_word(out, size, &used, 0, w, n)) != 0)
			return r;
	return put_missing(out, size, &used, 0, add, out);
}
