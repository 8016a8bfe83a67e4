/*
 * fuse/names.c: hostile folder names never become a path escape, and the
 * mapping is reversible.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../tap.h"
#include "names.h"

/* The digits at c (as many as there are). */
static size_t
span_digits(const char *c)
{
	return strspn(c, "0123456789");
}

/*
 * Whether c has a form the mount gives message files: 0000000042.eml,
 * 1732780000-0000000042.eml, and either with "-2" before ".eml".
 */
static int
msg_like(const char *c)
{
	size_t n;

	if (span_digits(c) != 10)
		return 0;
	c += 10;
	if (c[0] == '-' && span_digits(c + 1) == 10)
		c += 11;
	if (c[0] == '-' && (n = span_digits(c + 1)) > 0)
		c += 1 + n;
	return strcmp(c, ".eml") == 0;
}

/* A component is safe when the kernel will take it as one harmless name. */
static int
safe_component(const char *c)
{
	size_t len = strlen(c);

	return len > 0 && len <= NAMES_COMPONENT_MAX && strchr(c, '/') == NULL &&
	    strcmp(c, ".") != 0 && strcmp(c, "..") != 0 &&
	    names_msg_uid(c, &(uint32_t){0}, &(uint32_t){0}) != 0 && !msg_like(c);
}

static void
roundtrip(const char *level, const char *want)
{
	char enc[NAMES_COMPONENT_MAX + 1], dec[1024];

	if (!ok(names_encode(level, strlen(level), enc) == 0, "encode '%s'", level))
		return;
	if (want != NULL)
		ok(strcmp(enc, want) == 0, "'%s' is '%s' (got '%s')", level, want, enc);
	ok(safe_component(enc), "'%s' is a safe component", enc);
	ok(names_decode(enc, dec, sizeof(dec)) == 0 && strcmp(dec, level) == 0,
	    "'%s' decodes back", enc);
}

static void
split_is(const char *mbox, char delim, const char *want)
{
	char **comps, joined[2048] = "";
	size_t n, i;

	if (!ok(names_split(mbox, delim, &comps, &n) == 0, "split '%s'", mbox))
		return;
	for (i = 0; i < n; i++) {
		if (i > 0)
			strcat(joined, "|");
		strcat(joined, comps[i]);
		ok(safe_component(comps[i]), "level %zu of '%s' is safe", i, mbox);
	}
	ok(strcmp(joined, want) == 0, "'%s' splits as '%s' (got '%s')", mbox, want, joined);
	names_free(comps, n);
}

static void
split_fails(const char *mbox, char delim, int err)
{
	char **comps;
	size_t n;
	int r;

	r = names_split(mbox, delim, &comps, &n);
	ok(r == err, "'%s' is refused (%d)", mbox, r);
}

int
main(void)
{
	static const char *bad_decodes[] = {
		"%", "%2", "%2f", "%41", "a%", "%2E.", "x%2Ey", "%2G", "%%",
		"0000000042.eml", "%2E%2E%2E", "a%2Eb", "%2Eeml", "/", "a/b",
		"%2E%2E/x", "12345%2Eeml", "1732780000-0000000042.eml",
		"1732780000-0000000042-2.eml", "1732780000-0000000042%2EEML",
	};
	char buf[NAMES_COMPONENT_MAX + 1], dec[600], big[600];
	uint32_t uid, uv;
	size_t i;

	roundtrip("INBOX", "INBOX");
	roundtrip("Entwürfe", "Entwürfe");
	roundtrip("a/b", "a%2Fb");
	roundtrip("100%", "100%25");
	roundtrip("%2F", "%252F");
	roundtrip(".", "%2E");
	roundtrip("..", "%2E%2E");
	roundtrip("...", "...");
	roundtrip(".hidden", ".hidden");
	roundtrip("../..", "..%2F..");
	roundtrip("0000000042.eml", "0000000042%2Eeml");
	roundtrip("1732780000-0000000042.eml", "1732780000-0000000042%2Eeml");
	roundtrip("1732780000-0000000042-2.eml", "1732780000-0000000042-2%2Eeml");
	roundtrip("0000000042-2.eml", "0000000042-2%2Eeml");
	roundtrip("1732780000-0000000042.EML", "1732780000-0000000042.EML");
	roundtrip("1732780000-42.eml", "1732780000-42%2Eeml");
	roundtrip("173278000-0000000042.eml", "173278000-0000000042.eml");
	roundtrip("1732780000-0000000042-.eml", "1732780000-0000000042-.eml");
	roundtrip("1732780000_0000000042.eml", "1732780000_0000000042.eml");
	roundtrip("1732780000-0000000042.eml.eml", "1732780000-0000000042.eml.eml");
	roundtrip("x1732780000-0000000042.eml", "x1732780000-0000000042.eml");
	roundtrip("0000000042.EML", "0000000042.EML");
	roundtrip("42.eml", "42.eml");
	roundtrip("tab\there", "tab\there");
	roundtrip(" ", " ");
	roundtrip("\\", "\\");

	ok(names_encode("", 0, buf) == EINVAL, "empty is refused");
	ok(names_encode("a\0b", 3, buf) == EINVAL, "NUL is refused");
	memset(big, 'x', 256);
	ok(names_encode(big, 255, buf) == 0 && strlen(buf) == 255, "255 bytes pass");
	ok(names_encode(big, 256, buf) == ENAMETOOLONG, "256 bytes are refused");
	memset(big, '/', 86);
	ok(names_encode(big, 85, buf) == 0 && strlen(buf) == 255, "85 slashes fit");
	ok(names_encode(big, 86, buf) == ENAMETOOLONG,
	    "86 slashes do not fit once escaped");

	for (i = 0; i < sizeof(bad_decodes) / sizeof(bad_decodes[0]); i++)
		ok(names_decode(bad_decodes[i], dec, sizeof(dec)) == EINVAL,
		    "'%s' is not a canonical name", bad_decodes[i]);
	ok(names_decode("abc", dec, 3) == ENAMETOOLONG, "decode is bounded");

	/* Every single byte as a name, and every byte between two letters. */
	for (i = 1; i < 256; i++) {
		char one[4] = { 'a', (char)i, 'b', 0 };
		int good = 1;

		good &= names_encode(one + 1, 1, buf) == 0 && safe_component(buf) &&
		    names_decode(buf, dec, sizeof(dec)) == 0 && dec[0] == (char)i && dec[1] == 0;
		good &= names_encode(one, 3, buf) == 0 && safe_component(buf) &&
		    names_decode(buf, dec, sizeof(dec)) == 0 && strcmp(dec, one) == 0;
		if (!good)
			ok(0, "byte %zu", i);
	}
	ok(1, "every byte maps to a safe component and back");

	split_is("INBOX", '.', "INBOX");
	split_is("inbox", '.', "INBOX");
	split_is("Inbox.Sub", '.', "INBOX|Sub");
	split_is("Archiv.2024.März", '.', "Archiv|2024|März");
	split_is("a/b.c", '.', "a%2Fb|c");
	split_is("a/b", '/', "a|b");
	split_is("a.b", 0, "a.b");
	split_is("../etc/passwd", '/', "%2E%2E|etc|passwd");
	split_is("%2E%2E", '.', "%252E%252E");
	split_fails("../etc", '.', EINVAL);
	split_is("INBOXES", '.', "INBOXES");
	split_fails("a..b", '.', EINVAL);
	split_fails(".a", '.', EINVAL);
	split_fails("a.", '.', EINVAL);
	split_fails("", '.', EINVAL);

	names_msg(1732780000u, 42, buf);
	ok(strcmp(buf, "1732780000-0000000042.eml") == 0 && strlen(buf) == NAMES_MSG_LEN,
	    "message name of UID 42");
	names_msg(4294967295u, 4294967295u, buf);
	ok(strcmp(buf, "4294967295-4294967295.eml") == 0, "message name of the largest UID");
	names_msg(1, 1, buf);
	ok(strcmp(buf, "0000000001-0000000001.eml") == 0, "message name of UID 1");
	ok(names_msg_uid("4294967295-4294967295.eml", &uv, &uid) == 0 &&
	    uv == 4294967295u && uid == 4294967295u, "largest UID back");
	ok(names_msg_uid("1732780000-0000000042.eml", &uv, &uid) == 0 && uv == 1732780000u &&
	    uid == 42, "UID 42 back");
	ok(names_msg_uid("1732780000-4294967296.eml", &uv, &uid) == EINVAL, "UID over 32 bits");
	ok(names_msg_uid("4294967296-0000000001.eml", &uv, &uid) == EINVAL,
	    "UIDVALIDITY over 32 bits");
	ok(names_msg_uid("1732780000-0000000000.eml", &uv, &uid) == EINVAL, "UID 0");
	ok(names_msg_uid("0000000000-0000000001.eml", &uv, &uid) == EINVAL, "UIDVALIDITY 0");
	ok(names_msg_uid("0000000042.eml", &uv, &uid) == EINVAL, "the old form");
	ok(names_msg_uid("1732780000-42.eml", &uv, &uid) == EINVAL, "unpadded");
	ok(names_msg_uid("1732780000-000000004x.eml", &uv, &uid) == EINVAL, "not a digit");
	ok(names_msg_uid("1732780000+0000000042.eml", &uv, &uid) == EINVAL, "not a dash");
	ok(names_msg_uid("1732780000-0000000042.eml~", &uv, &uid) == EINVAL, "trailing garbage");
	ok(names_msg_uid("1732780000-0000000042-2.eml", &uv, &uid) == EINVAL, "a second name");
	ok(names_msg_uid("1732780000-0000000042.EML", &uv, &uid) == EINVAL, "upper case");
	ok(names_msg_uid("", &uv, &uid) == EINVAL, "empty");
	return done_testing();
}
