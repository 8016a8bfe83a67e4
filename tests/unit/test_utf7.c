/*
 * Modified UTF-7 (RFC 3501 5.1.3): known encodings both ways, every kind
 * of input either direction must refuse, and round trips over random and
 * exhaustive valid input.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <mailfs/utf7.h>

#include "../tap.h"

struct pair {
	const char *utf8;
	const char *utf7;
};

/* Checked against RFC 3501's own example and an independent base64 coder. */
static const struct pair pairs[] = {
	{ "", "" },
	{ "INBOX", "INBOX" },
	{ "&", "&-" },
	{ "A&B", "A&-B" },
	{ "&&", "&-&-" },
	{ "-", "-" },
	{ "Sch\xc3\xb6ne Gr\xc3\xbc\xc3\x9f" "e", "Sch&APY-ne Gr&APwA3w-e" },
	{ "Entw\xc3\xbcrfe", "Entw&APw-rfe" },
	/* RFC 3501 5.1.3: "~peter/mail/<taipei>/<japanese>" */
	{ "~peter/mail/\xe5\x8f\xb0\xe5\x8c\x97/"
	  "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e",
	  "~peter/mail/&U,BTFw-/&ZeVnLIqe-" },
	{ "\xe2\x82\xac", "&IKw-" },
	{ "\xf0\x9f\x98\x80", "&2D3eAA-" },		/* U+1F600 */
	{ "\xf0\x90\x80\x80", "&2ADcAA-" },		/* U+10000 */
	{ "\xf4\x8f\xbf\xbf", "&2,,f,w-" },		/* U+10FFFF */
	{ "\xef\xbf\xbf", "&,,8-" },			/* U+FFFF */
	{ "\x01", "&AAE-" },
	{ "a\x7f", "a&AH8-" },
	{ "\xc3\xb6&", "&APY-&-" },
	{ "&\xc3\xb6", "&-&APY-" },
	{ "\xc3\xb6-", "&APY--" },
	{ "\xc3\xb6 \xc3\xb6", "&APY- &APY-" },
};

/* Invalid UTF-8, which the encoder refuses. */
static const struct {
	const char *s;
	size_t len;
	const char *why;
} bad_utf8[] = {
	{ "\xc0\xaf", 2, "overlong 2-byte" },
	{ "\xc1\xbf", 2, "overlong 2-byte, top" },
	{ "\xe0\x80\xaf", 3, "overlong 3-byte" },
	{ "\xe0\x9f\xbf", 3, "overlong 3-byte, top" },
	{ "\xf0\x80\x80\xaf", 4, "overlong 4-byte" },
	{ "\xf0\x8f\xbf\xbf", 4, "overlong 4-byte, top" },
	{ "\xc0\x80", 2, "overlong NUL" },
	{ "\xed\xa0\x80", 3, "surrogate D800" },
	{ "\xed\xbf\xbf", 3, "surrogate DFFF" },
	{ "\xed\xa0\xbd\xed\xb8\x80", 6, "CESU-8 surrogate pair" },
	{ "\xf4\x90\x80\x80", 4, "U+110000" },
	{ "\xf5\x80\x80\x80", 4, "lead byte F5" },
	{ "\xf8\x88\x80\x80\x80", 5, "5-byte form" },
	{ "\xfe", 1, "byte FE" },
	{ "\xff", 1, "byte FF" },
	{ "\x80", 1, "lone continuation byte" },
	{ "a\xbf" "b", 3, "continuation byte between ASCII" },
	{ "\xc3", 1, "truncated 2-byte" },
	{ "\xe2\x82", 2, "truncated 3-byte" },
	{ "\xf0\x9f\x98", 3, "truncated 4-byte" },
	{ "\xc3(", 2, "bad continuation" },
	{ "\xe2(\xac", 3, "bad middle continuation" },
	{ "\0", 1, "NUL" },
	{ "a\0b", 3, "NUL inside" },
};

/* Invalid modified UTF-7, which the decoder refuses. */
static const struct {
	const char *s;
	size_t len;
	const char *why;
} bad_utf7[] = {
	{ "a\x7f", 2, "DEL" },
	{ "\t", 1, "TAB" },
	{ "a\nb", 3, "LF" },
	{ "\x1f", 1, "0x1f" },
	{ "a\x80", 2, "8-bit byte" },
	{ "\xc3\xb6", 2, "raw UTF-8" },
	{ "a\0b", 3, "NUL byte" },
	{ "&AP\0-", 5, "NUL byte in a shift" },
	{ "&", 1, "lone &" },
	{ "a&", 2, "& at the end" },
	{ "&APY", 4, "unterminated shift" },
	{ "&APYA3w", 7, "unterminated longer shift" },
	{ "&AP/-", 5, "'/' from plain base64" },
	{ "&APY=-", 6, "base64 padding" },
	{ "&AP Y-", 6, "space in a shift" },
	{ "&AP&-", 5, "& in a shift" },
	{ "&APZ-", 5, "non-zero padding bits (2)" },
	{ "&APwA3x-", 8, "non-zero padding bits (4)" },
	{ "&A-", 3, "shift of 6 bits" },
	{ "&AA-", 4, "shift of 12 bits" },
	{ "&APYA-", 6, "a base64 character too many" },
	{ "&APYAAA-", 8, "U+0000 after a character" },
	{ "&AAA-", 5, "U+0000" },
	{ "&AGE-", 5, "encoded 'a'" },
	{ "&ACY-", 5, "encoded '&'" },
	{ "&ACA-", 5, "encoded space" },
	{ "&AH4-", 5, "encoded '~'" },
	{ "&AGEA9g-", 8, "encoded 'a' before a letter that needs it" },
	{ "&APY-&APw-", 10, "adjacent shifts" },
	{ "&AGE-&AGE-", 10, "adjacent shifts of ASCII" },
	{ "&2D0-", 5, "lone high surrogate" },
	{ "&3gA-", 5, "lone low surrogate" },
	{ "&3gDYPQ-", 8, "low then high surrogate" },
	{ "&2D3YPQ-", 8, "two high surrogates" },
	{ "&2D0A9g-", 8, "high surrogate before a BMP character" },
	{ "&2D0-&3gA-", 10, "surrogate pair split across shifts" },
	{ "&2D0-x", 6, "high surrogate at the end of a shift" },
};

/* A small deterministic generator, so that a failure can be replayed. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint32_t
rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 16);
}

/* The test's own UTF-8 writer, independent of the library's. */
static size_t
put_utf8(char *o, uint32_t c)
{
	if (c < 0x80) {
		o[0] = (char)c;
		return 1;
	}
	if (c < 0x800) {
		o[0] = (char)(0xc0 | c >> 6);
		o[1] = (char)(0x80 | (c & 0x3f));
		return 2;
	}
	if (c < 0x10000) {
		o[0] = (char)(0xe0 | c >> 12);
		o[1] = (char)(0x80 | (c >> 6 & 0x3f));
		o[2] = (char)(0x80 | (c & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | c >> 18);
	o[1] = (char)(0x80 | (c >> 12 & 0x3f));
	o[2] = (char)(0x80 | (c >> 6 & 0x3f));
	o[3] = (char)(0x80 | (c & 0x3f));
	return 4;
}

/* A random scalar value other than U+0000, weighted towards the edges. */
static uint32_t
random_char(void)
{
	uint32_t c;

	switch (rng() % 6) {
	case 0:
		return 0x20 + rng() % 0x5f;		/* printable, '&' too */
	case 1:
		return '&';
	case 2:
		c = 1 + rng() % 0x7f;			/* controls and DEL */
		return c >= 0x20 && c < 0x7f ? 0x7f : c;
	case 3:
		return 0x80 + rng() % 0x780;		/* 2-byte UTF-8 */
	case 4:
		c = 0x800 + rng() % 0xf800;		/* 3-byte UTF-8 */
		return c >= 0xd800 && c <= 0xdfff ? c + 0x800 : c;
	default:
		return 0x10000 + rng() % 0x100000;	/* surrogate pairs */
	}
}

static int
is_printable_ascii(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return 0;
	return 1;
}

/*
 * Encodes, checks the result is printable ASCII, decodes it back and
 * re-encodes the decoded form.  Returns 1 when all of that held.
 */
static int
round_trip(const char *utf8, size_t len)
{
	char *enc = NULL, *dec = NULL, *enc2 = NULL;
	int good = 0;

	if (mailfs_utf7_encode(utf8, len, &enc) == -1)
		goto out;
	if (!is_printable_ascii(enc))
		goto out;
	if (mailfs_utf7_decode(enc, strlen(enc), &dec) == -1)
		goto out;
	if (strlen(dec) != len || memcmp(dec, utf8, len) != 0)
		goto out;
	if (mailfs_utf7_encode(dec, len, &enc2) == -1)
		goto out;
	good = strcmp(enc, enc2) == 0;
out:
	free(enc);
	free(dec);
	free(enc2);
	return good;
}

static void
test_pairs(void)
{
	size_t i;
	char *out;
	int r;

	for (i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		out = NULL;
		r = mailfs_utf7_encode(pairs[i].utf8, strlen(pairs[i].utf8),
		    &out);
		ok(r == 0 && strcmp(out, pairs[i].utf7) == 0,
		    "encode -> \"%s\" (got \"%s\")", pairs[i].utf7,
		    r == 0 ? out : "error");
		free(out);
		out = NULL;
		r = mailfs_utf7_decode(pairs[i].utf7, strlen(pairs[i].utf7),
		    &out);
		ok(r == 0 && strcmp(out, pairs[i].utf8) == 0,
		    "decode \"%s\"", pairs[i].utf7);
		free(out);
	}
}

static void
test_rejections(void)
{
	size_t i;
	char *out;
	int r;

	for (i = 0; i < sizeof(bad_utf8) / sizeof(bad_utf8[0]); i++) {
		out = (char *)&out;
		errno = 0;
		r = mailfs_utf7_encode(bad_utf8[i].s, bad_utf8[i].len, &out);
		ok(r == -1 && errno == EILSEQ && out == (char *)&out,
		    "encode refuses %s", bad_utf8[i].why);
		if (r == 0)
			free(out);
	}
	for (i = 0; i < sizeof(bad_utf7) / sizeof(bad_utf7[0]); i++) {
		out = (char *)&out;
		errno = 0;
		r = mailfs_utf7_decode(bad_utf7[i].s, bad_utf7[i].len, &out);
		ok(r == -1 && errno == EILSEQ && out == (char *)&out,
		    "decode refuses %s", bad_utf7[i].why);
		if (r == 0)
			free(out);
	}
}

/* Only the first len bytes count: nothing past them is read. */
static void
test_length(void)
{
	char *out = NULL;

	ok(mailfs_utf7_encode("ab\xc3\xb6zz", 4, &out) == 0 &&
	    strcmp(out, "ab&APY-") == 0, "encode stops at len");
	free(out);
	out = NULL;
	ok(mailfs_utf7_decode("&APY-zz", 5, &out) == 0 &&
	    strcmp(out, "\xc3\xb6") == 0, "decode stops at len");
	free(out);
	out = NULL;
	ok(mailfs_utf7_encode("\xc3\xb6", 1, &out) == -1 && errno == EILSEQ,
	    "a character cut by len is truncated UTF-8");
	ok(mailfs_utf7_decode("&APY-", 4, &out) == -1 && errno == EILSEQ,
	    "a shift cut by len is unterminated");
}

/* Every BMP scalar value alone and between letters, and a sample above it. */
static void
test_exhaustive(void)
{
	char buf[16];
	size_t n;
	uint32_t c, bad = 0, tried = 0;

	for (c = 1; c <= 0x10ffff; c += c < 0x10000 ? 1 : 61) {
		if (c >= 0xd800 && c <= 0xdfff)
			continue;
		n = put_utf8(buf, c);
		tried++;
		if (!round_trip(buf, n)) {
			if (bad++ < 5)
				diag("U+%04X does not round-trip", c);
		}
		buf[0] = 'x';
		n = put_utf8(buf + 1, c) + 1;
		buf[n++] = 'y';
		if (!round_trip(buf, n)) {
			if (bad++ < 5)
				diag("x U+%04X y does not round-trip", c);
		}
	}
	ok(bad == 0, "%u single characters round-trip", tried);
}

static void
test_random(void)
{
	char buf[4 * 64];
	size_t n, k, chars;
	unsigned i, bad = 0;

	for (i = 0; i < 20000; i++) {
		chars = rng() % 64;
		for (n = 0, k = 0; k < chars; k++)
			n += put_utf8(buf + n, random_char());
		if (!round_trip(buf, n) && bad++ < 5)
			diag("random string %u does not round-trip", i);
	}
	ok(bad == 0, "20000 random strings round-trip");
}

/* Every printable ASCII character in a shift, alone and after a letter. */
static void
test_encoded_ascii(void)
{
	static const char b64[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";
	char in[16], *out;
	unsigned c, bad = 0;

	for (c = 0x20; c <= 0x7e; c++) {
		/* 16 bits 0x00cc: "A", 2 zero bits and 4 of c, 4 of c and 2 zeros */
		snprintf(in, sizeof(in), "&A%c%c-", b64[c >> 4],
		    b64[(c & 0xf) << 2]);
		out = NULL;
		if (mailfs_utf7_decode(in, strlen(in), &out) != -1 &&
		    bad++ < 5)
			diag("\"%s\" (U+%04X) was accepted", in, c);
		free(out);
	}
	ok(bad == 0, "no printable ASCII character is accepted in a shift");
	ok(mailfs_utf7_decode("&AB8-", 5, &out) == 0 &&
	    strcmp(out, "\x1f") == 0, "U+001F in a shift is a control, accepted");
	free(out);
}

int
main(void)
{
	test_pairs();
	test_rejections();
	test_length();
	test_encoded_ascii();
	test_exhaustive();
	test_random();
	return done_testing();
}
