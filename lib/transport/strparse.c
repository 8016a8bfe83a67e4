/*
 * Number and date parsing for untrusted text (see strparse.h).
 *
 * RFC 3501 9 and RFC 9051 9: number, nz-number, date-time.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "strparse.h"

int
str_to_u64(const char *s, size_t len, uint64_t max, uint64_t *n_r)
{
	uint64_t n = 0;
	unsigned d;
	size_t i;

	if (s == NULL || len == 0)
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		d = (unsigned)(s[i] - '0');
		/* n * 10 + d <= max, asked without overflowing */
		if (d > max || n > (max - d) / 10)
			return -1;
		n = n * 10 + d;
	}
	*n_r = n;
	return 0;
}

int
str_to_u32(const char *s, size_t len, uint32_t max, uint32_t *n_r)
{
	uint64_t n;

	if (str_to_u64(s, len, max, &n) == -1)
		return -1;
	*n_r = (uint32_t)n;
	return 0;
}

int
str_to_nz32(const char *s, size_t len, uint32_t *n_r)
{
	uint32_t n;

	if (str_to_u32(s, len, UINT32_MAX, &n) == -1 || n == 0)
		return -1;
	*n_r = n;
	return 0;
}

int
str_eq_ci(const char *s, size_t len, const char *lit)
{
	size_t i;
	unsigned char a, b;

	for (i = 0; i < len; i++) {
		b = (unsigned char)lit[i];
		if (b == '\0')
			return 0;
		a = (unsigned char)s[i];
		if (a >= 'A' && a <= 'Z')
			a += 'a' - 'A';
		if (b >= 'A' && b <= 'Z')
			b += 'a' - 'A';
		if (a != b)
			return 0;
	}
	return lit[len] == '\0';
}

static const char months[12][4] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	"Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
};

static int
is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
days_in_month(int64_t y, int m)
{
	static const int days[12] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};

	return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

/*
 * Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar.
 * Counts in 400-year eras (146097 days each) from 0000-03-01, so that the
 * leap day falls at the end of a counting year; no timegm(), which is
 * neither in POSIX nor safe with the process's time zone.
 */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	if (m <= 2)
		y--;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;				/* [0, 399] */
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1; /* [0, 365] */
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;	/* [0, 146096] */
	return era * 146097 + doe - 719468;
}

/* The inverse of days_from_civil(). */
static void
civil_from_days(int64_t z, int64_t *y_r, int *m_r, int *d_r)
{
	int64_t era, doe, yoe, y, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d_r = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m_r = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y_r = *m_r <= 2 ? y + 1 : y;
}

/*
 * date-time = DQUOTE date-day-fixed "-" date-month "-" date-year SP time
 *             SP zone DQUOTE   (the quotes are the caller's)
 * date-day-fixed = (SP DIGIT) / 2DIGIT
 * time = 2DIGIT ":" 2DIGIT ":" 2DIGIT
 * zone = ("+" / "-") 4DIGIT
 *
 *  0         1         2
 *  01234567890123456789012345
 * "17-Jul-1996 02:44:25 -0700"
 */
int
str_to_imap_datetime(const char *s, size_t len, int64_t *t_r)
{
	uint32_t day, year, hh, mm, ss, zh, zm;
	int month, i;
	int64_t t, zone;

	if (s == NULL || len != 26)
		return -1;
	if (s[2] != '-' || s[6] != '-' || s[11] != ' ' || s[14] != ':' ||
	    s[17] != ':' || s[20] != ' ' || (s[21] != '+' && s[21] != '-'))
		return -1;
	if (s[0] == ' ') {
		if (str_to_u32(s + 1, 1, 9, &day) == -1)
			return -1;
	} else if (str_to_u32(s, 2, 31, &day) == -1)
		return -1;
	month = 0;
	for (i = 0; i < 12; i++) {
		if (str_eq_ci(s + 3, 3, months[i])) {
			month = i + 1;
			break;
		}
	}
	if (month == 0 ||
	    str_to_u32(s + 7, 4, 9999, &year) == -1 ||
	    str_to_u32(s + 12, 2, 23, &hh) == -1 ||
	    str_to_u32(s + 15, 2, 59, &mm) == -1 ||
	    str_to_u32(s + 18, 2, 59, &ss) == -1 ||
	    str_to_u32(s + 22, 2, 23, &zh) == -1 ||
	    str_to_u32(s + 24, 2, 59, &zm) == -1)
		return -1;
	if (day == 0 || (int)day > days_in_month(year, month))
		return -1;
	t = days_from_civil(year, month, (int)day) * 86400 +
	    (int64_t)hh * 3600 + mm * 60 + ss;
	/* local time = UTC + zone, so UTC = local time - zone */
	zone = (int64_t)zh * 3600 + zm * 60;
	*t_r = s[21] == '+' ? t - zone : t + zone;
	return 0;
}

/* The years that four digits can write. */
#define DATETIME_MIN	(-62135596800LL)	/* 01-Jan-0001 00:00:00 */
#define DATETIME_MAX	253402300799LL		/* 31-Dec-9999 23:59:59 */

void
imap_datetime_format(int64_t t, char out[32])
{
	int64_t days, secs, y;
	int m, d;

	/* Out-of-range times are clamped: IMAP has no way to write them. */
	if (t < DATETIME_MIN)
		t = DATETIME_MIN;
	if (t > DATETIME_MAX)
		t = DATETIME_MAX;
	days = t / 86400;
	secs = t % 86400;
	if (secs < 0) {
		secs += 86400;
		days--;
	}
	civil_from_days(days, &y, &m, &d);
	snprintf(out, 32, "%02d-%s-%04d %02d:%02d:%02d +0000", d,
	    months[m - 1], (int)y, (int)(secs / 3600),
	    (int)(secs / 60 % 60), (int)(secs % 60));
}

int
str_word_in(const char *list, const char *word)
{
	const char *p = list;
	size_t n, k;

	if (p == NULL || word == NULL || (n = strlen(word)) == 0)
		return 0;
	while (*p != '\0') {
		while (*p == ' ')
			p++;
		for (k = 0; p[k] != '\0' && p[k] != ' '; k++)
			continue;
		if (k == n && str_eq_ci(p, k, word))
			return 1;
		p += k;
	}
	return 0;
}

int
str_hex_digit(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}
