/*
 * Readable message names (see readable.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mailfs/header.h>

#include "online.h"
#include "readable.h"

#define TAG_LEN		6
#define DATE_LEN	16	/* "2024-06-11 09.11" */
#define SUFFIX_MAX	(2 + TAG_LEN + 11 + 4)	/* " ~3fa2c1-4294967295.eml" */

/* FNV-1a, 64 bits: stable everywhere, which is all the tag needs. */
static uint64_t
fnv1a(uint64_t h, const char *s)
{
	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* The length of s cut to at most max bytes on a UTF-8 character's boundary. */
static size_t
cut(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n <= max)
		return n;
	while (max > 0 && ((unsigned char)s[max] & 0xc0) == 0x80)
		max--;
	return max;
}

/* Appends s (n bytes, cut_escaped() so that it fits) to out at *o with "/" as "%2F". */
static void
put_escaped(char *out, size_t *o, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] == '/') {
			memcpy(out + *o, "%2F", 3);
			*o += 3;
		} else
			out[(*o)++] = s[i];
	}
}

/* s with every "/" counted thrice: how long it is once escaped. */
static size_t
escaped_len(const char *s, size_t n)
{
	size_t i, len = n;

	for (i = 0; i < n; i++)
		if (s[i] == '/')
			len += 2;
	return len;
}

/* The longest prefix of s (on a character boundary) whose escaped form fits max. */
static size_t
cut_escaped(const char *s, size_t max)
{
	size_t n = cut(s, max);

	while (n > 0 && escaped_len(s, n) > max)
		n = cut(s, n - 1);
	return n;
}

/* A field's text into *out_r (decode: the way to read it); NULL when absent. */
static int
field(const char *hdr, size_t len, const char *name,
    int (*decode)(const char *, size_t, char **), char **out_r)
{
	const char *v;
	size_t vlen;

	*out_r = NULL;
	if (!mailfs_header_find(hdr, len, name, &v, &vlen))
		return 0;
	return decode(v, vlen, out_r) == 0 ? 0 : ENOMEM;
}

int
readable_name(const char *hdr, size_t len, int64_t internaldate,
    char out[NAMES_COMPONENT_MAX + 1])
{
	char *from = NULL, *subject = NULL, *msgid = NULL, *date = NULL;
	const char *dv, *who, *what;
	size_t dlen, o, n, room;
	int64_t t;
	time_t tt;
	struct tm tm;
	uint64_t h = 0xcbf29ce484222325ULL;
	int r;

	if ((r = field(hdr, len, "From", mailfs_header_from_name, &from)) != 0 ||
	    (r = field(hdr, len, "Subject", mailfs_header_text, &subject)) != 0 ||
	    (r = field(hdr, len, "Message-ID", mailfs_header_raw, &msgid)) != 0 ||
	    (r = field(hdr, len, "Date", mailfs_header_raw, &date)) != 0)
		goto out;
	if (!mailfs_header_find(hdr, len, "Date", &dv, &dlen) ||
	    mailfs_header_date(dv, dlen, &t) != 0 || t < 0 || t > 253402300799LL)
		t = internaldate;
	if (t < 0 || t > 253402300799LL)	/* 9999-12-31 23:59:59 */
		t = 0;
	tt = (time_t)t;
	if (gmtime_r(&tt, &tm) == NULL)
		memset(&tm, 0, sizeof(tm));

	/* The tag: the Message-ID, else what the header says of the message. */
	if (msgid != NULL && msgid[0] != '\0')
		h = fnv1a(h, msgid);
	else {
		h = fnv1a(fnv1a(h, date != NULL ? date : ""), "\n");
		h = fnv1a(fnv1a(h, from != NULL ? from : ""), "\n");
		h = fnv1a(h, subject != NULL ? subject : "");
	}

	who = from != NULL && from[0] != '\0' ? from : "(unknown sender)";
	what = subject != NULL && subject[0] != '\0' ? subject : "(no subject)";
	o = (size_t)snprintf(out, NAMES_COMPONENT_MAX + 1, "%04d-%02d-%02d %02d.%02d ",
	    (tm.tm_year + 1900) % 10000, (tm.tm_mon + 1) % 100, tm.tm_mday % 100,
	    tm.tm_hour % 100, tm.tm_min % 100);
	n = cut_escaped(who, READABLE_FROM_MAX);
	put_escaped(out, &o, who, n);
	memcpy(out + o, " - ", 3);
	o += 3;
	room = NAMES_COMPONENT_MAX - o - SUFFIX_MAX;
	n = cut_escaped(what, room);
	put_escaped(out, &o, what, n);
	snprintf(out + o, NAMES_COMPONENT_MAX + 1 - o, " ~%0*llx.eml", TAG_LEN,
	    (unsigned long long)(h >> (64 - 4 * TAG_LEN)));
out:
	free(from);
	free(subject);
	free(msgid);
	free(date);
	return r;
}

void
readable_dup(char name[NAMES_COMPONENT_MAX + 1], unsigned n)
{
	char *dot = strrchr(name, '.');

	/* The subject was cut to leave SUFFIX_MAX: the number always fits. */
	if (dot == NULL || (size_t)(dot - name) + 16 > NAMES_COMPONENT_MAX)
		return;
	snprintf(dot, NAMES_COMPONENT_MAX + 1 - (size_t)(dot - name), "-%u.eml", n);
}

static uint64_t
name_hash(const char *name)
{
	uint64_t h = fnv1a(0xcbf29ce484222325ULL, name);

	return h != 0 ? h : 1;	/* 0 marks a free slot */
}

/* 1 when h is in s, else 0 after adding it; -1 when out of memory. */
static int
seen_add(struct readable_seen *s, uint64_t h)
{
	uint64_t *v;
	size_t i, cap;

	if (2 * (s->n + 1) > s->cap) {
		/* Open addressing, at most half full: 16 bytes a name at worst. */
		cap = s->cap != 0 ? 2 * s->cap : 1024;
		if ((v = calloc(cap, sizeof(*v))) == NULL)
			return -1;
		for (i = 0; i < s->cap; i++) {
			size_t k = (size_t)(s->v[i] % cap);

			if (s->v[i] == 0)
				continue;
			while (v[k] != 0)
				k = (k + 1) % cap;
			v[k] = s->v[i];
		}
		free(s->v);
		s->v = v;
		s->cap = cap;
	}
	for (i = (size_t)(h % s->cap); s->v[i] != 0; i = (i + 1) % s->cap)
		if (s->v[i] == h)
			return 1;
	s->v[i] = h;
	s->n++;
	return 0;
}

int
readable_unique(struct readable_seen *s, char name[NAMES_COMPONENT_MAX + 1])
{
	char base[NAMES_COMPONENT_MAX + 1];
	unsigned k;
	int r;

	if ((r = seen_add(s, name_hash(name))) <= 0)
		return r == 0 ? 0 : ENOMEM;
	/*
	 * A copy: numbered from 2, the first number no name of the listing
	 * holds.  Copies are rare, so is a hash that met another name: it
	 * costs a number, never a lost message.
	 */
	memcpy(base, name, NAMES_COMPONENT_MAX + 1);
	for (k = 2; k < 100000; k++) {
		memcpy(name, base, NAMES_COMPONENT_MAX + 1);
		readable_dup(name, k);
		if ((r = seen_add(s, name_hash(name))) <= 0)
			return r == 0 ? 0 : ENOMEM;
	}
	return 0;
}

void
readable_seen_clear(struct readable_seen *s)
{
	free(s->v);
	memset(s, 0, sizeof(*s));
}

void
readable_fields_clear(struct readable_fields *rf)
{
	free(rf->subject);
	free(rf->from);
	free(rf->date);
	free(rf->msgid);
	memset(rf, 0, sizeof(*rf));
}

int
readable_fields(const char *hdr, size_t len, struct readable_fields *rf)
{
	char **all[] = { &rf->subject, &rf->from, &rf->date, &rf->msgid };
	const char *dv;
	size_t dlen, i;
	int64_t t;
	char iso[32];
	int r;

	memset(rf, 0, sizeof(*rf));
	if ((r = field(hdr, len, "Subject", mailfs_header_text, &rf->subject)) != 0 ||
	    (r = field(hdr, len, "From", mailfs_header_text, &rf->from)) != 0 ||
	    (r = field(hdr, len, "Message-ID", mailfs_header_raw, &rf->msgid)) != 0 ||
	    (r = field(hdr, len, "Date", mailfs_header_raw, &rf->date)) != 0) {
		readable_fields_clear(rf);
		return r;
	}
	if (mailfs_header_find(hdr, len, "Date", &dv, &dlen) &&
	    mailfs_header_date(dv, dlen, &t) == 0 && t >= 0 && t <= 253402300799LL) {
		online_iso8601((time_t)t, iso, sizeof(iso));
		free(rf->date);
		if ((rf->date = strdup(iso)) == NULL) {
			readable_fields_clear(rf);
			return ENOMEM;
		}
	}
	/*
	 * Decoding may triple a field (an invalid byte becomes U+FFFD): a
	 * value longer than an xattr may be is listed but cannot be read.
	 */
	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (*all[i] != NULL)
			(*all[i])[cut(*all[i], READABLE_FIELD_MAX)] = '\0';
	return 0;
}
