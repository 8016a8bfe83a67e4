/*
 * fuse/backend/submit.c and smtp/submit_smtp.c: the smtp= URL, and a
 * message made ready to send (submit_prepare()): Bcc: removed from what
 * is transmitted and kept in the copy, Date: and Message-ID: made once,
 * malformed messages refused with a reason.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../tap.h"
#include "submit.h"
#include "submit_smtp.h"

static int
url_ok(const char *url)
{
	char why[200];

	return smtp_url_check(url, why, sizeof(why)) == 0;
}

static int
has(const char *s, size_t len, const char *needle)
{
	size_t n = strlen(needle), i;

	for (i = 0; i + n <= len; i++)
		if (memcmp(s + i, needle, n) == 0)
			return 1;
	return 0;
}

int
main(void)
{
	static const char msg[] = "From: A <a@example.org>\r\nTo: b@example.org\r\n"
	    "Bcc: c@example.org\r\nSubject: hi\r\n\r\nbody\r\n";
	struct submit_prepared p;
	char date[64] = "", msgid[300] = "", why[300], line[1200];
	char date2[64], msgid2[300];

	ok(url_ok("smtps://me@mail.example.org"), "smtps://USER@HOST");
	ok(url_ok("smtp://me@example.org@mail.example.org:2587"),
	    "smtp://USER@HOST:PORT, an '@' in the user");
	ok(url_ok("smtps://me@[::1]:465"), "an IPv6 literal");
	ok(!url_ok("imaps://me@host"), "another scheme is refused");
	ok(!url_ok("smtps://host"), "no user is refused");
	ok(!url_ok("smtps://me@host:x"), "a port that is no number is refused");
	ok(!url_ok("smtps://me@host/path"), "a path is refused");
	ok(!url_ok("smtps://me@"), "no host is refused");

	ok(submit_prepare(msg, sizeof(msg) - 1, date, sizeof(date), msgid, sizeof(msgid), &p,
	    why, sizeof(why)) == 0, "a message is made ready");
	ok(strcmp(p.from, "a@example.org") == 0, "the sender is the From: address");
	ok(p.nrcpts == 2 && strcmp(p.rcpts[1], "c@example.org") == 0,
	    "the recipients are those of To: and Bcc:");
	ok(!has(p.wire, p.wire_len, "Bcc:"), "Bcc: is not transmitted");
	ok(has(p.copy, p.copy_len, "Bcc: c@example.org\r\n"), "Bcc: is kept in the copy");
	ok(date[0] != '\0' && msgid[0] == '<', "Date: and Message-ID: were made");
	ok(has(p.wire, p.wire_len, msgid) && has(p.copy, p.copy_len, msgid),
	    "the same Message-ID in both");
	ok(!p.has_msgid, "the header had none");
	submit_prepared_clear(&p);
	memcpy(date2, date, sizeof(date));
	memcpy(msgid2, msgid, sizeof(msgid));
	ok(submit_prepare(msg, sizeof(msg) - 1, date, sizeof(date), msgid, sizeof(msgid), &p,
	    why, sizeof(why)) == 0 && strcmp(date, date2) == 0 && strcmp(msgid, msgid2) == 0,
	    "made once: a second preparation keeps them");
	submit_prepared_clear(&p);

	ok(submit_prepare("To: b@example.org\n\nx\n", 20, date, sizeof(date), msgid,
	    sizeof(msgid), &p, why, sizeof(why)) == EINVAL, "no From: is EINVAL");
	diag("%s", why);
	ok(submit_prepare("From: a@example.org\n\nx\n", 22, date, sizeof(date), msgid,
	    sizeof(msgid), &p, why, sizeof(why)) == EINVAL, "no recipient is EINVAL");
	diag("%s", why);
	snprintf(line, sizeof(line), "From: a@example.org\nTo: b@example.org\n\n%0999d\n", 0);
	ok(submit_prepare(line, strlen(line), date, sizeof(date), msgid, sizeof(msgid), &p,
	    why, sizeof(why)) == EINVAL && strstr(why, "line 4") != NULL,
	    "a line of 999 octets is EINVAL, its number said");
	snprintf(line, sizeof(line), "From: a@example.org\nTo: b@example.org\n\n%0998d\r\n", 0);
	ok(submit_prepare(line, strlen(line), date, sizeof(date), msgid, sizeof(msgid), &p,
	    why, sizeof(why)) == 0, "998 octets and CRLF are allowed");
	submit_prepared_clear(&p);
	return done_testing();
}
