/*
 * A POP3 maildrop's file names (fuse/common/uidlname.c) and message
 * dates (fuse/backend/pop3/date.c): every UIDL a server may send becomes
 * one harmless file name that reads back exactly, and Date: headers as
 * mail really carries them give the right time.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "../tap.h"
#include "pop3_int.h"
#include "uidlname.h"

static void
roundtrip(const char *uidl, const char *want)
{
	char name[NAMES_COMPONENT_MAX + 1], back[MAILFS_POP3_UIDL_MAX + 1];

	uidl_name(uidl, name);
	if (want != NULL)
		ok(strcmp(name, want) == 0, "%s is named %s (%s)", uidl, want, name);
	ok(strchr(name, '/') == NULL && name[0] != '.' && strlen(name) <= NAMES_COMPONENT_MAX,
	    "  a harmless name");
	ok(uidl_of_name(name, back, sizeof(back)) == 0 && strcmp(back, uidl) == 0,
	    "  which reads back");
}

static void
test_names(void)
{
	char uidl[MAILFS_POP3_UIDL_MAX + 1], name[NAMES_COMPONENT_MAX + 1], back[300];
	char other[NAMES_COMPONENT_MAX + 1];

	roundtrip("000000015f3c2a01", "000000015f3c2a01.eml");
	roundtrip("a/b", "a%2Fb.eml");
	roundtrip("50%", "50%25.eml");
	roundtrip(".hidden", "%2Ehidden.eml");
	roundtrip(".", "%2E.eml");
	roundtrip("..", "%2E%2E.eml");
	roundtrip("%2E", NULL);
	roundtrip("1732780000-0000000042", NULL);
	roundtrip("!\"#$&'()*+,-:;<=>?@[\\]^_`{|}~", NULL);
	memset(uidl, 'x', 251);
	uidl[251] = '\0';
	roundtrip(uidl, NULL);		/* 251 + ".eml": the longest plain */
	memset(uidl, '/', MAILFS_POP3_UIDL_MAX);
	uidl[MAILFS_POP3_UIDL_MAX] = '\0';
	uidl_name(uidl, name);
	ok(strncmp(name, "%%", 2) == 0 && strlen(name) <= NAMES_COMPONENT_MAX &&
	    strchr(name, '/') == NULL, "too long a name once escaped is hashed: %s", name);
	ok(uidl_of_name(name, back, sizeof(back)) == EINVAL, "  and does not read back");
	uidl[0] = '.';
	uidl_name(uidl, other);
	ok(strcmp(name, other) != 0, "  two long ids, two hashes");
	ok(uidl_of_name("x.txt", back, sizeof(back)) == EINVAL, "no .eml: no UIDL");
	ok(uidl_of_name(".x.eml", back, sizeof(back)) == EINVAL, "a name it never makes: none");
	ok(uidl_of_name("a%2fb.eml", back, sizeof(back)) == EINVAL, "nor another spelling");
	ok(uidl_of_name(".eml", back, sizeof(back)) == EINVAL, "nor an empty id");
}

static void
feed(struct date_scan *ds, const char *s)
{
	date_scan_feed(ds, s, strlen(s));
}

static void
test_dates(void)
{
	static const struct {
		const char *text;
		int64_t t;
	} good[] = {
		{ "Tue, 1 Jul 2003 10:52:37 +0200", 1057049557 },
		{ " 1 Jul 2003 10:52:37 +0200", 1057049557 },
		{ "Tue,  1 Jul 2003 08:52 GMT", 1057049520 },
		{ "Thu, 13 Feb 1969 23:32:54 -0330", -27723426 },
		{ "Fri, 21 Nov 97 09:55:06 -0600 (MDT)", 880127706 },
		{ "Sat, 29 Feb 2020 12:00:00 EST", 1582995600 },
		{ "29 feb 2020 12:00:00 +0000", 1582977600 },
	};
	static const char *const bad[] = {
		"", "yesterday", "32 Jan 2020 10:00:00 +0000", "1 Foo 2020 10:00 +0000",
		"1 Jan 2020", "1 Jan 2020 25:00 +0000",
	};
	struct date_scan ds;
	int64_t t;
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		ok(date_parse(good[i].text, &t) == 0 && t == good[i].t, "date \"%s\"",
		    good[i].text);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ok(date_parse(bad[i], &t) == -1, "no date in \"%s\"", bad[i]);
	memset(&ds, 0, sizeof(ds));
	feed(&ds, "Subject: x\r\nDATE:\r\n Tue, 1 Jul");
	feed(&ds, " 2003 10:52:37 +0200\r\n\r\nDate: 1 Jan 2000 00:00 +0000\r\n");
	ok(date_scan_result(&ds) == 1057049557, "a folded Date: across two reads");
	memset(&ds, 0, sizeof(ds));
	feed(&ds, "Subject: x\r\n\r\nDate: 1 Jan 2000 00:00 +0000\r\n");
	ok(date_scan_result(&ds) == INT64_MIN, "a Date: in the body is no date");
}

int
main(void)
{
	test_names();
	test_dates();
	return done_testing();
}
