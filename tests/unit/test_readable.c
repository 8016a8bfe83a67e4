/*
 * Readable names (fuse/common/readable.c) and the header readers under
 * them (lib/mail/header.c, rfc2047.c), on hostile headers: encoded words
 * in every charset asked for, split characters, invalid bytes, slashes
 * and control characters, 2 KB subjects, identical subjects and dates.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mailfs/header.h>

#include "../tap.h"
#include "readable.h"

/* A test point written as the condition of its failure. */
#define fails(c, ...)	ok(!(c), __VA_ARGS__)

static const struct {
	const char *in;
	const char *out;
} texts[] = {
	{ "Treffen am Donnerstag", "Treffen am Donnerstag" },
	{ " =?UTF-8?Q?Gr=C3=BC=C3=9Fe?= aus =?ISO-8859-1?Q?K=F6ln?=", "Grüße aus Köln" },
	{ "=?utf-8?B?w6TDtsO8?=", "äöü" },
	/* adjacent words: the space between goes (RFC 2047 6.2) */
	{ "=?utf-8?q?a?= =?utf-8?q?b?=", "ab" },
	{ "=?utf-8?q?a_b?=\r\n =?utf-8?q?c?= d", "a bc d" },
	/* a UTF-8 character split across two words */
	{ "=?UTF-8?B?ww==?= =?UTF-8?B?pA==?=", "\xc3\xa4" },
	{ "=?iso-8859-15?q?=A4uro?=", "€uro" },
	{ "=?windows-1252?q?=80_=93x=94?=", "€ “x”" },
	{ "=?us-ascii?q?plain?=", "plain" },
	/* RFC 2231 5: a language */
	{ "=?utf-8*de?q?Gru=C3=9F?=", "Gruß" },
	/* not encoded words: kept as written */
	{ "=?utf-8?x?abc?= =?utf-8?q?no end", "=?utf-8?x?abc?= =?utf-8?q?no end" },
	{ "=??q?x?=", "=??q?x?=" },
	/* invalid bytes, raw and decoded; controls and NUL as spaces */
	{ "caf\xe9 \xff\xfe", "caf\xef\xbf\xbd \xef\xbf\xbd\xef\xbf\xbd" },
	{ "=?utf-8?q?=C3?=x", "\xef\xbf\xbdx" },
	{ "a=?utf-8?q?=00=01=1b=7f?=b\tc", "a b c" },
	{ "=?x-unknown?q?ab=E9?=", "ab\xef\xbf\xbd" },
	{ "\xed\xa0\x80 \xc0\xaf", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd \xef\xbf\xbd\xef\xbf\xbd" },
};

static const struct {
	const char *in;
	const char *out;
} froms[] = {
	{ "Anna Berger <anna@example.org>", "Anna Berger" },
	{ "\"Berger, Anna\" <anna@example.org>", "Berger, Anna" },
	{ "=?UTF-8?Q?J=C3=BCrgen_M=C3=BCller?= <j@example.org>", "Jürgen Müller" },
	{ "\"=?utf-8?q?J=C3=BCrgen?=\" <j@example.org>", "Jürgen" },
	{ "anna@example.org (Anna Berger)", "Anna Berger" },
	{ "<anna@example.org>", "anna@example.org" },
	{ "anna@example.org", "anna@example.org" },
	{ "(comment) Anna <a@example.org>, Bob <b@example.org>", "Anna" },
	{ "\"a/b\" <a@example.org>", "a/b" },
	{ "not an address at all", "not an address at all" },
};

static const struct {
	const char *in;
	long long t;		/* -1: none */
} dates[] = {
	{ "Tue, 11 Jun 2024 11:11:00 +0200", 1718097060 },
	{ "11 Jun 2024 09:11 GMT", 1718097060 },
	{ " Tue,\r\n 11 Jun 2024 05:11:00 -0400 (EDT)", 1718097060 },
	{ "Tue, 11 Jun 24 09:11:00 +0000", 1718097060 },
	{ "Tue, 11 Jun 2024 04:11:00 EST", 1718097060 },
	{ "Thu, 1 Jan 1970 00:00:00 +0000", 0 },
	{ "yesterday", -1 },
	{ "Tue, 32 Jun 2024 09:11:00 +0000", -1 },
	{ "Tue, 11 Foo 2024 09:11:00 +0000", -1 },
	{ "Tue, 11 Jun 2024 25:11:00 +0000", -1 },
	{ "", -1 },
};

static int
utf8_valid(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t k, i;

	while (*p != '\0') {
		k = *p < 0x80 ? 1 : *p >= 0xc2 && *p <= 0xdf ? 2 : *p >= 0xe0 && *p <= 0xef ? 3 :
		    *p >= 0xf0 && *p <= 0xf4 ? 4 : 0;
		if (k == 0)
			return 0;
		for (i = 1; i < k; i++)
			if ((p[i] & 0xc0) != 0x80)
				return 0;
		p += k;
	}
	return 1;
}

/* The name of a header, checked: valid UTF-8, no "/", at most 255 bytes, ".eml". */
static void
name_of(const char *hdr, char *out)
{
	size_t n;

	if (readable_name(hdr, strlen(hdr), 1700000000, out) != 0)
		bail_out("readable_name failed");
	n = strlen(out);
	if (!(utf8_valid(out) && strchr(out, '/') == NULL && n <= 255 && n > 4 &&
	    strcmp(out + n - 4, ".eml") == 0))
		{
		diag("%s", out);
		bail_out("a bad name");
	}
}

int
main(void)
{
	char name[NAMES_COMPONENT_MAX + 1], other[NAMES_COMPONENT_MAX + 1], *s;
	char big[4096], hdr[8192];
	struct readable_fields rf;
	size_t i;
	int64_t t;
	int ok_all;

	ok_all = 1;
	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		if (mailfs_header_text(texts[i].in, strlen(texts[i].in), &s) != 0)
			bail_out("out of memory");
		if (strcmp(s, texts[i].out) != 0) {
			diag("text %zu: \"%s\", want \"%s\"", i, s, texts[i].out);
			ok_all = 0;
		}
		free(s);
	}
	fails(!ok_all, "encoded words, charsets, invalid bytes and controls decode");

	ok_all = 1;
	for (i = 0; i < sizeof(froms) / sizeof(froms[0]); i++) {
		if (mailfs_header_from_name(froms[i].in, strlen(froms[i].in), &s) != 0)
			bail_out("out of memory");
		if (strcmp(s, froms[i].out) != 0) {
			diag("from %zu: \"%s\", want \"%s\"", i, s, froms[i].out);
			ok_all = 0;
		}
		free(s);
	}
	fails(!ok_all, "display names, addresses and comments read as a person would");

	ok_all = 1;
	for (i = 0; i < sizeof(dates) / sizeof(dates[0]); i++) {
		int r = mailfs_header_date(dates[i].in, strlen(dates[i].in), &t);

		if ((dates[i].t == -1) != (r != 0) || (r == 0 && t != dates[i].t)) {
			diag("date %zu: %d %lld", i, r, r == 0 ? (long long)t : 0);
			ok_all = 0;
		}
	}
	fails(!ok_all, "dates with zones, comments, obsolete years and zones; bad ones refused");

	name_of("Date: Tue, 11 Jun 2024 11:11:00 +0200\r\nFrom: Anna Berger <a@example.org>\r\n"
	    "Subject: Treffen am Donnerstag\r\nMessage-ID: <1@example.org>\r\n\r\n", name);
	fails(strncmp(name, "2024-06-11 09.11 Anna Berger - Treffen am Donnerstag ~", 54) != 0 ||
	    strlen(name) != 54 + 6 + 4, "the name: %s", name);

	name_of("From: a@example.org\nSubject: x/../../etc/passwd\x01\n\n", name);
	fails(strstr(name, "x%2F..%2F..%2Fetc%2Fpasswd ~") == NULL ||
	    strncmp(name, "2023-11-14 22.13 a@example.org - ", 33) != 0,
	    "slashes escaped, controls gone, no Date: takes the INTERNALDATE: %s", name);

	/* 2 KB subjects, multi-byte at every cut */
	for (i = 0; i + 2 < 2048; i += 2)
		memcpy(big + i, "\xc3\xa4", 2);
	big[i] = '\0';
	snprintf(hdr, sizeof(hdr), "From: =?utf-8?q?=E2=82=AC?= <a@b.example>\nSubject: %s\n"
	    "Message-ID: <2@x>\n\n", big);
	name_of(hdr, name);
	fails(strlen(name) < 240 || strstr(name, " ~") == NULL, "a 2 KB subject is cut "
	    "on a character (%zu bytes)", strlen(name));
	snprintf(hdr, sizeof(hdr), "From: x@y.example\nSubject: =?utf-8?q?%s?=\n\n",
	    "a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/q/r/s/t/u/v/w/x/y/z/a/b/c/d/e/f/g/h/i/j/k/l/m/"
	    "n/o/p/q/r/s/t/u/v/w/x/y/z/a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/q/r/s/t/u/v/w/x/y/z/"
	    "a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/q/r/s/t/u/v/w/x/y/z/");
	name_of(hdr, name);
	fails(0, "a subject of slashes is cut whole escapes (%zu bytes)", strlen(name));

	/* identical subjects and dates: the Message-ID tells them apart */
	name_of("Date: Tue, 11 Jun 2024 11:11:00 +0200\nFrom: a@b.example\nSubject: Same\n"
	    "Message-ID: <1@x>\n\n", name);
	name_of("Date: Tue, 11 Jun 2024 11:11:00 +0200\nFrom: a@b.example\nSubject: Same\n"
	    "Message-ID: <2@x>\n\n", other);
	fails(strcmp(name, other) == 0, "identical date, sender, subject: two names");
	name_of("Message-ID: <1@x>\nSubject: Same\nFrom: a@b.example\n"
	    "Date: Tue, 11 Jun 2024 11:11:00 +0200\n\n", other);
	fails(strcmp(name, other) != 0, "the same fields in another order: the same name");
	readable_dup(other, 2);
	fails(strlen(other) != strlen(name) + 2 || strcmp(other + strlen(other) - 6, "-2.eml") != 0,
	    "a second copy: %s", other);

	{
		struct readable_seen seen = { 0 };
		char a[NAMES_COMPONENT_MAX + 1];
		int bad = 0;

		for (i = 0; i < 3000; i++) {
			snprintf(a, sizeof(a), "n%zu.eml", i % 1000);
			if (readable_unique(&seen, a) != 0)
				bail_out("out of memory");
			if (i >= 2000 && strcmp(a + strlen(a) - 6, "-3.eml") != 0)
				bad = 1;
		}
		readable_seen_clear(&seen);
		fails(bad, "a listing's third copy of a name is -3");
	}

	snprintf(hdr, sizeof(hdr), "Subject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=\nFrom: A <a@b.example>\n"
	    "Date: Tue, 11 Jun 2024 11:11:00 +0200\nMessage-ID: <1@x>\n\n");
	if (readable_fields(hdr, strlen(hdr), &rf) != 0)
		bail_out("out of memory");
	fails(rf.subject == NULL || strcmp(rf.subject, "Grüße") != 0 || rf.from == NULL ||
	    strcmp(rf.from, "A <a@b.example>") != 0 || rf.date == NULL ||
	    strcmp(rf.date, "2024-06-11T09:11:00Z") != 0 || rf.msgid == NULL ||
	    strcmp(rf.msgid, "<1@x>") != 0, "the fields for the xattrs");
	readable_fields_clear(&rf);

	/* 30000 invalid bytes decode to 90000 (U+FFFD each): more than an xattr holds. */
	{
		static char wide[30100];
		size_t n, k;

		n = (size_t)snprintf(wide, sizeof(wide), "Subject: ");
		memset(wide + n, 0xff, 30000);
		memcpy(wide + n + 30000, "\n\n", 3);
		if (readable_fields(wide, strlen(wide), &rf) != 0)
			bail_out("out of memory");
		k = rf.subject != NULL ? strlen(rf.subject) : 0;
		fails(k == 0 || k > READABLE_FIELD_MAX || k % 3 != 0,
		    "a field decoded past an xattr's size is cut on a character");
		readable_fields_clear(&rf);
	}
	return done_testing();
}
