/*
 * A message's Date: header, for its mtime (see maildrop.h).
 *
 * RFC 5322 3.3 (date-time), with the obsolete zones of 4.3.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pop3_int.h"

void
date_scan_feed(struct date_scan *ds, const char *data, size_t len)
{
	size_t room;

	if (ds->done)
		return;
	room = sizeof(ds->head) - 1 - ds->len;
	if (len > room)
		len = room;
	memcpy(ds->head + ds->len, data, len);
	ds->len += len;
	ds->head[ds->len] = '\0';
	if (strstr(ds->head, "\r\n\r\n") != NULL || strstr(ds->head, "\n\n") != NULL ||
	    ds->len == sizeof(ds->head) - 1)
		ds->done = 1;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian). */
static int64_t
days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

/* Skips blanks and (comments). */
static const char *
skip(const char *p)
{
	int depth;

	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
			p++;
		if (*p != '(')
			return p;
		for (depth = 0; *p != '\0'; p++) {
			if (*p == '(')
				depth++;
			else if (*p == ')' && --depth == 0) {
				p++;
				break;
			}
		}
	}
}

static int
number(const char **pp, int min_digits, int max_digits, long *v_r)
{
	const char *p = *pp;
	long v = 0;
	int n = 0;

	while (isdigit((unsigned char)*p) && n < max_digits) {
		v = v * 10 + (*p++ - '0');
		n++;
	}
	if (n < min_digits)
		return -1;
	*pp = p;
	*v_r = v;
	return 0;
}

int
date_parse(const char *s, int64_t *t_r)
{
	static const char months[] = "janfebmaraprmayjunjulaugsepoctnovdec";
	static const struct { const char *name; int off; } zones[] = {
		{ "UT", 0 }, { "GMT", 0 }, { "Z", 0 }, { "EST", -500 }, { "EDT", -400 },
		{ "CST", -600 }, { "CDT", -500 }, { "MST", -700 }, { "MDT", -600 },
		{ "PST", -800 }, { "PDT", -700 }
	};
	const char *p = skip(s), *m;
	long day, year, hh, mm, ss = 0, zone = 0;
	unsigned mon;
	size_t i;
	int sign;

	if (isalpha((unsigned char)*p)) {	/* the day of the week */
		while (isalpha((unsigned char)*p))
			p++;
		p = skip(p);
		if (*p == ',')
			p = skip(p + 1);
	}
	if (number(&p, 1, 2, &day) == -1 || day < 1 || day > 31)
		return -1;
	p = skip(p);
	for (m = months; *m != '\0'; m += 3)
		if (strncasecmp(p, m, 3) == 0)
			break;
	if (*m == '\0')
		return -1;
	mon = (unsigned)((m - months) / 3 + 1);
	p = skip(p + 3);
	if (number(&p, 2, 4, &year) == -1)
		return -1;
	if (year < 50)
		year += 2000;
	else if (year < 1000)
		year += 1900;
	p = skip(p);
	if (number(&p, 1, 2, &hh) == -1 || *p++ != ':' || number(&p, 2, 2, &mm) == -1)
		return -1;
	if (*p == ':' && (p++, number(&p, 2, 2, &ss) == -1))
		return -1;
	if (hh > 23 || mm > 59 || ss > 60)
		return -1;
	p = skip(p);
	if (*p == '+' || *p == '-') {
		sign = *p++ == '-' ? -1 : 1;
		if (number(&p, 4, 4, &zone) == -1)
			return -1;
		zone *= sign;
	} else
		for (i = 0; i < sizeof(zones) / sizeof(zones[0]); i++)
			if (strncasecmp(p, zones[i].name, strlen(zones[i].name)) == 0) {
				zone = zones[i].off;
				break;
			}
	*t_r = days_from_civil(year, mon, (unsigned)day) * 86400 + hh * 3600 + mm * 60 + ss -
	    ((zone / 100) * 3600 + (zone % 100) * 60);
	return 0;
}

int64_t
date_scan_result(struct date_scan *ds)
{
	char *p, *v, *end;
	int64_t t;

	for (p = ds->head; p != NULL && *p != '\0'; ) {
		if (*p == '\r' || *p == '\n')
			break;		/* the end of the header */
		if (strncasecmp(p, "Date:", 5) == 0) {
			v = p + 5;
			/* The field, unfolded: up to a line break not followed by a blank. */
			for (end = v; *end != '\0'; end++)
				if (*end == '\n' && end[1] != ' ' && end[1] != '\t')
					break;
			*end = '\0';
			return date_parse(v, &t) == 0 ? t : INT64_MIN;
		}
		if ((p = strchr(p, '\n')) != NULL)
			p++;
	}
	return INT64_MIN;
}
