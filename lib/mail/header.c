/*
 * A received message's header fields for a person (see mailfs/header.h):
 * fields found by name, unstructured text and display names decoded,
 * dates read.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <mailfs/header.h>

#include "address.h"
#include "rfc2047.h"

int
mailfs_header_find(const char *hdr, size_t len, const char *name, const char **val_r,
    size_t *vlen_r)
{
	size_t n = strlen(name), i = 0, e;
	const char *nl;

	while (i < len && hdr[i] != '\n' && !(hdr[i] == '\r' && i + 1 < len &&
	    hdr[i + 1] == '\n')) {
		nl = memchr(hdr + i, '\n', len - i);
		e = nl != NULL ? (size_t)(nl - hdr) + 1 : len;
		/* Folded lines belong to the field. */
		while (e < len && (hdr[e] == ' ' || hdr[e] == '\t')) {
			nl = memchr(hdr + e, '\n', len - e);
			e = nl != NULL ? (size_t)(nl - hdr) + 1 : len;
		}
		if (e - i > n && hdr[i + n] == ':' && strncasecmp(hdr + i, name, n) == 0) {
			*val_r = hdr + i + n + 1;
			*vlen_r = e - i - n - 1;
			return 1;
		}
		i = e;
	}
	return 0;
}

/* The value cut to MAILFS_HEADER_VALUE_MAX and unfolded into t (raw bytes). */
static void
unfold(struct text *t, const char *val, size_t len)
{
	size_t i, start = 0;

	if (len > MAILFS_HEADER_VALUE_MAX)
		len = MAILFS_HEADER_VALUE_MAX;
	for (i = 0; i < len; i++)
		if (val[i] == '\r' || val[i] == '\n') {
			text_add(t, val + start, i - start);
			start = i + 1;
		}
	text_add(t, val + start, len - start);
}

/* t cleaned (cleaned: see utf8_clean()) and trimmed into *out_r; frees t. */
static int
finish(struct text *t, char **out_r)
{
	struct text c = { 0 };

	if (t->s != NULL)
		utf8_clean(&c, t->s, t->len);
	while (c.len > 0 && c.s[c.len - 1] == ' ')
		c.s[--c.len] = '\0';
	if (t->failed)
		c.failed = 1;
	free(t->s);
	memset(t, 0, sizeof(*t));
	*out_r = text_take(&c);
	return *out_r != NULL ? 0 : -1;
}

int
mailfs_header_text(const char *val, size_t len, char **out_r)
{
	struct text u = { 0 }, d = { 0 };

	unfold(&u, val, len);
	if (u.s != NULL)
		rfc2047_decode(&d, u.s, u.len);
	if (u.failed)
		d.failed = 1;
	free(u.s);
	return finish(&d, out_r);
}

int
mailfs_header_raw(const char *val, size_t len, char **out_r)
{
	struct text u = { 0 };

	unfold(&u, val, len);
	return finish(&u, out_r);
}

/*
 * The display name of the first mailbox of an address list into t,
 * encoded words decoded: the phrase before its "<", else the last comment
 * after its addr-spec (the old "a@b (Name)").  Quoted strings lose their
 * quotes (encoded words inside are decoded too: mailers write them so).
 */
static void
display_name(struct text *t, const char *p, size_t n)
{
	struct text phrase = { 0 }, comment = { 0 };
	size_t i = 0, k;
	int depth;

	for (; i < n; i++) {
		if (p[i] == '"') {
			for (i++; i < n && p[i] != '"'; i++) {
				if (p[i] == '\\' && i + 1 < n)
					i++;
				text_add(&phrase, p + i, 1);
			}
		} else if (p[i] == '(') {
			comment.len = 0;
			for (depth = 1, i++; i < n && depth > 0; i++) {
				if (p[i] == '\\' && i + 1 < n)
					i++;
				else if (p[i] == '(')
					depth++;
				else if (p[i] == ')' && --depth == 0)
					break;
				text_add(&comment, p + i, 1);
			}
			text_add(&phrase, " ", 1);
		} else if (p[i] == '<') {
			/* Only the phrase counts, and then only when it is there. */
			comment.len = 0;
			break;
		} else if (p[i] == ',' || p[i] == ';') {
			phrase.len = 0;
			break;
		} else if (p[i] == ':') {
			phrase.len = 0;		/* a group's name: its members follow */
			comment.len = 0;
		} else
			text_add(&phrase, p + i, 1);
	}
	if (i >= n || p[i] != '<')
		phrase.len = 0;		/* no angle brackets: the text was the address */
	for (k = 0; k < phrase.len && (phrase.s[k] == ' ' || phrase.s[k] == '\t'); k++)
		;
	if (k < phrase.len)
		rfc2047_decode(t, phrase.s + k, phrase.len - k);
	else if (comment.len > 0)
		rfc2047_decode(t, comment.s, comment.len);
	if (phrase.failed || comment.failed)
		t->failed = 1;
	free(phrase.s);
	free(comment.s);
}

static int
first_address(void *ctx, const char *addr)
{
	struct text *t = ctx;

	text_add(t, addr, strlen(addr));
	return 1;		/* the first is enough */
}

int
mailfs_header_from_name(const char *val, size_t len, char **out_r)
{
	struct text u = { 0 }, d = { 0 };
	const char *why;
	char *s;
	size_t i;

	unfold(&u, val, len);
	if (u.s == NULL)
		return finish(&u, out_r);
	display_name(&d, u.s, u.len);
	for (i = 0; i < d.len && (d.s[i] == ' ' || d.s[i] == '\t'); i++)
		;
	if (i == d.len) {
		d.len = 0;
		if (address_list_parse(u.s, u.len, first_address, &d, NULL, &why) == -1 ||
		    d.len == 0) {
			d.len = 0;
			rfc2047_decode(&d, u.s, u.len);
		}
	}
	if (u.failed)
		d.failed = 1;
	free(u.s);
	if (finish(&d, &s) != 0)
		return -1;
	*out_r = s;
	return 0;
}

/* ---- Date: (RFC 5322 3.3, 4.3) ---- */

struct scan {
	const char *p;
	const char *end;
};

/* Skips white space and comments. */
static void
skip_cfws(struct scan *s)
{
	int depth = 0;

	for (; s->p < s->end; s->p++) {
		if (*s->p == '(')
			depth++;
		else if (*s->p == ')' && depth > 0)
			depth--;
		else if (depth == 0 && *s->p != ' ' && *s->p != '\t' && *s->p != '\r' &&
		    *s->p != '\n')
			break;
	}
}

/* Up to max digits as a number into *v: the count of digits read. */
static int
digits(struct scan *s, int max, int *v)
{
	int n = 0;

	*v = 0;
	while (s->p < s->end && n < max && *s->p >= '0' && *s->p <= '9') {
		*v = *v * 10 + (*s->p++ - '0');
		n++;
	}
	return n;
}

/* A word of letters (at most size - 1) into buf; its length. */
static size_t
letters(struct scan *s, char *buf, size_t size)
{
	size_t n = 0;

	while (s->p < s->end && ((*s->p >= 'a' && *s->p <= 'z') ||
	    (*s->p >= 'A' && *s->p <= 'Z'))) {
		if (n + 1 < size)
			buf[n] = *s->p;
		n++;
		s->p++;
	}
	buf[n < size ? n : size - 1] = '\0';
	return n;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* A zone as minutes east of UTC: 0, or -1 when it is none. */
static int
zone(struct scan *s, int *min_r)
{
	static const struct {
		const char *name;
		int hours;
	} obs[] = {
		{ "UT", 0 }, { "GMT", 0 }, { "Z", 0 }, { "EST", -5 }, { "EDT", -4 },
		{ "CST", -6 }, { "CDT", -5 }, { "MST", -7 }, { "MDT", -6 }, { "PST", -8 },
		{ "PDT", -7 },
	};
	char word[8];
	size_t i;
	int sign, v;

	if (s->p < s->end && (*s->p == '+' || *s->p == '-')) {
		sign = *s->p++ == '-' ? -1 : 1;
		if (digits(s, 4, &v) != 4 || v % 100 >= 60)
			return -1;
		*min_r = sign * (v / 100 * 60 + v % 100);
		return 0;
	}
	if (letters(s, word, sizeof(word)) == 0)
		return -1;
	/* Military and unknown zones mean nothing sure (4.3): taken as UTC. */
	*min_r = 0;
	for (i = 0; i < sizeof(obs) / sizeof(obs[0]); i++)
		if (strcasecmp(word, obs[i].name) == 0)
			*min_r = obs[i].hours * 60;
	return 0;
}

int
mailfs_header_date(const char *val, size_t len, int64_t *t_r)
{
	static const char months[12][4] = { "jan", "feb", "mar", "apr", "may", "jun",
	    "jul", "aug", "sep", "oct", "nov", "dec" };
	struct scan s = { val, val + (len > 256 ? 256 : len) };
	int day, mon, year, hour, min, sec = 0, off = 0, nd;
	char word[16];

	skip_cfws(&s);
	if (s.p < s.end && ((*s.p >= 'a' && *s.p <= 'z') || (*s.p >= 'A' && *s.p <= 'Z'))) {
		(void)letters(&s, word, sizeof(word));	/* the day of the week */
		skip_cfws(&s);
		if (s.p < s.end && *s.p == ',')
			s.p++;
		skip_cfws(&s);
	}
	if (digits(&s, 2, &day) == 0 || day < 1 || day > 31)
		return -1;
	skip_cfws(&s);
	if (letters(&s, word, sizeof(word)) < 3)
		return -1;
	for (mon = 0; mon < 12; mon++)
		if (strncasecmp(word, months[mon], 3) == 0)
			break;
	if (mon == 12)
		return -1;
	skip_cfws(&s);
	if ((nd = digits(&s, 4, &year)) < 2)
		return -1;
	if (nd == 2)
		year += year < 50 ? 2000 : 1900;	/* 4.3: obs-year */
	else if (nd == 3)
		year += 1900;
	skip_cfws(&s);
	if (digits(&s, 2, &hour) == 0 || hour > 23)
		return -1;
	skip_cfws(&s);
	if (s.p >= s.end || *s.p++ != ':')
		return -1;
	skip_cfws(&s);
	if (digits(&s, 2, &min) == 0 || min > 59)
		return -1;
	skip_cfws(&s);
	if (s.p < s.end && *s.p == ':') {
		s.p++;
		skip_cfws(&s);
		if (digits(&s, 2, &sec) == 0 || sec > 60)
			return -1;
		skip_cfws(&s);
	}
	if (s.p < s.end && zone(&s, &off) == -1)
		return -1;
	*t_r = days_from_civil(year, mon + 1, day) * 86400 + hour * 3600 + min * 60 + sec -
	    (int64_t)off * 60;
	return 0;
}
