/*
 * RFC 2047 encoded words to UTF-8 (see rfc2047.h).
 *
 *	encoded-word = "=?" charset ["*" language] "?" encoding "?" encoded-text "?="
 *
 * (RFC 2047 2, with RFC 2231 5's language).  Mailers break the rules in
 * ways every reader copes with, and so does this one: a word's bytes are
 * joined with those of the next word of the same charset before they are
 * converted (a UTF-8 character split across two words), words longer
 * than 75 characters and words inside a run of text are decoded, and a
 * word that does not parse stays as it was written.
 */
#include <errno.h>
#include <iconv.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "rfc2047.h"
#include "strparse.h"

#define CHARSET_MAX	64

void
text_add(struct text *t, const char *p, size_t n)
{
	size_t cap;
	char *s;

	if (t->failed)
		return;
	if (t->len + n + 1 > t->cap) {
		cap = t->cap != 0 ? t->cap : 64;
		while (cap < t->len + n + 1)
			cap *= 2;
		if ((s = realloc(t->s, cap)) == NULL) {
			t->failed = 1;
			return;
		}
		t->s = s;
		t->cap = cap;
	}
	memcpy(t->s + t->len, p, n);
	t->len += n;
	t->s[t->len] = '\0';
}

char *
text_take(struct text *t)
{
	char *s;

	if (!t->failed && t->s == NULL)
		text_add(t, "", 0);
	if (t->failed) {
		free(t->s);
		s = NULL;
	} else
		s = t->s;
	memset(t, 0, sizeof(*t));
	return s;
}

/* The length of the UTF-8 character at s (n bytes left), 0 when the bytes are none. */
static size_t
utf8_char(const unsigned char *s, size_t n)
{
	size_t k, i;
	uint32_t c;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		k = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		k = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		k = 4;
	else
		return 0;
	if (n < k)
		return 0;
	c = s[0] & (0x7f >> k);
	for (i = 1; i < k; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	/* Overlong forms, surrogates, beyond U+10FFFF. */
	if ((k == 3 && c < 0x800) || (k == 4 && (c < 0x10000 || c > 0x10ffff)) ||
	    (c >= 0xd800 && c <= 0xdfff))
		return 0;
	return k;
}

void
utf8_clean(struct text *t, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, k;
	int space;

	while (i < n) {
		k = utf8_char(p + i, n - i);
		/* C0, DEL, and C1 (U+0080..U+009F, 0xc2 0x80..0x9f). */
		space = (k == 1 && (p[i] < 0x20 || p[i] == 0x7f || p[i] == ' ')) ||
		    (k == 2 && p[i] == 0xc2 && p[i + 1] < 0xa0);
		if (space) {
			if (t->len > 0 && t->s[t->len - 1] != ' ')
				text_add(t, " ", 1);
		} else if (k == 0)
			text_add(t, "\xef\xbf\xbd", 3);
		else
			text_add(t, s + i, k);
		i += k != 0 ? k : 1;
	}
}

static int
b64val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	return c == '+' ? 62 : c == '/' ? 63 : -1;
}

/* An encoded word as parsed: where its text is, and its charset. */
struct word {
	char charset[CHARSET_MAX + 1];	/* without the language */
	char encoding;			/* 'Q' or 'B' */
	const char *text;
	size_t textlen;
	size_t len;			/* of the whole word */
};

static int
charset_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	    c == '-' || c == '_' || c == '.' || c == ':' || c == '+' || c == '*';
}

/* The encoded word at p (n bytes, p at "=?") into *w: 1, or 0 when it is none. */
static int
parse_word(const char *p, size_t n, struct word *w)
{
	size_t i = 2, cs, k;
	const char *star;

	for (cs = i; i < n && charset_char((unsigned char)p[i]); i++)
		;
	if (i == cs || i - cs > CHARSET_MAX || i + 2 >= n || p[i] != '?' ||
	    strchr("QqBb", p[i + 1]) == NULL || p[i + 1] == '\0' || p[i + 2] != '?')
		return 0;
	memcpy(w->charset, p + cs, i - cs);
	w->charset[i - cs] = '\0';
	if ((star = strchr(w->charset, '*')) != NULL)
		w->charset[star - w->charset] = '\0';	/* RFC 2231 5: the language */
	if (w->charset[0] == '\0')
		return 0;
	w->encoding = (char)(p[i + 1] & ~0x20);
	i += 3;
	w->text = p + i;
	for (k = i; k + 1 < n; k++) {
		if (p[k] == '?' && p[k + 1] == '=') {
			w->textlen = k - i;
			w->len = k + 2;
			return 1;
		}
		if (p[k] == ' ' || p[k] == '\t' || p[k] == '\r' || p[k] == '\n')
			return 0;
	}
	return 0;
}

/* Appends the bytes w encodes to raw. */
static void
word_bytes(const struct word *w, struct text *raw)
{
	const unsigned char *s = (const unsigned char *)w->text;
	unsigned acc = 0;
	int bits = 0, a, b;
	size_t i;
	char c;

	for (i = 0; i < w->textlen; i++) {
		if (w->encoding == 'Q') {
			if (s[i] == '_')
				c = ' ';
			else if (s[i] == '=' && i + 2 < w->textlen &&
			    (a = str_hex_digit(s[i + 1])) >= 0 &&
			    (b = str_hex_digit(s[i + 2])) >= 0) {
				c = (char)(a << 4 | b);
				i += 2;
			} else
				c = (char)s[i];
			text_add(raw, &c, 1);
		} else {
			if (s[i] == '=')
				break;
			if ((a = b64val(s[i])) < 0)
				continue;
			acc = (acc << 6 | (unsigned)a) & 0xffffff;
			if ((bits += 6) >= 8) {
				bits -= 8;
				c = (char)(acc >> bits);
				text_add(raw, &c, 1);
			}
		}
	}
}

/* Latin-1 to UTF-8: every byte is a character. */
static void
latin1(struct text *t, const unsigned char *s, size_t n)
{
	char u[2];
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] < 0x80) {
			text_add(t, (const char *)s + i, 1);
			continue;
		}
		u[0] = (char)(0xc0 | s[i] >> 6);
		u[1] = (char)(0x80 | (s[i] & 0x3f));
		text_add(t, u, 2);
	}
}

/* Converts through iconv; 0, or -1 when iconv does not know charset. */
static int
through_iconv(struct text *t, const char *charset, const char *s, size_t n)
{
	char out[512], *in = (char *)s, *o;
	size_t inleft = n, oleft, r;
	iconv_t cd;

	if ((cd = iconv_open("UTF-8", charset)) == (iconv_t)-1)
		return -1;
	while (inleft > 0) {
		o = out;
		oleft = sizeof(out);
		r = iconv(cd, &in, &inleft, &o, &oleft);
		text_add(t, out, sizeof(out) - oleft);
		if (r != (size_t)-1 || errno == E2BIG)
			continue;
		/* EILSEQ, or EINVAL at the end: one byte that is no character. */
		text_add(t, "\xef\xbf\xbd", 3);
		in++;
		inleft--;
		(void)iconv(cd, NULL, NULL, NULL, NULL);
	}
	o = out;
	oleft = sizeof(out);
	(void)iconv(cd, NULL, NULL, &o, &oleft);
	text_add(t, out, sizeof(out) - oleft);
	iconv_close(cd);
	return 0;
}

/* Appends the bytes of raw in charset to t as UTF-8 (cleaned later). */
static void
convert(struct text *t, const char *charset, const struct text *raw)
{
	if (raw->len == 0)
		return;
	if (strcasecmp(charset, "iso-8859-1") == 0 || strcasecmp(charset, "latin1") == 0 ||
	    strcasecmp(charset, "iso_8859-1") == 0)
		latin1(t, (const unsigned char *)raw->s, raw->len);
	else if (strcasecmp(charset, "utf-8") == 0 || strcasecmp(charset, "utf8") == 0 ||
	    strcasecmp(charset, "us-ascii") == 0 ||
	    through_iconv(t, charset, raw->s, raw->len) != 0)
		text_add(t, raw->s, raw->len);	/* unknown: its ASCII survives the cleaning */
}

static int
all_space(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r' && p[i] != '\n')
			return 0;
	return 1;
}

void
rfc2047_decode(struct text *t, const char *p, size_t len)
{
	struct text raw = { 0 };
	char charset[CHARSET_MAX + 1] = "";
	size_t i = 0, plain = 0;
	struct word w;
	int after_word = 0;

	while (i < len) {
		if (p[i] != '=' || i + 1 >= len || p[i + 1] != '?' ||
		    !parse_word(p + i, len - i, &w)) {
			i++;
			continue;
		}
		/* White space between two encoded words is dropped (6.2). */
		if (!(after_word && all_space(p + plain, i - plain)) ||
		    strcasecmp(w.charset, charset) != 0) {
			convert(t, charset, &raw);
			raw.len = 0;
			if (!(after_word && all_space(p + plain, i - plain)))
				text_add(t, p + plain, i - plain);
			memcpy(charset, w.charset, sizeof(charset));
		}
		word_bytes(&w, &raw);
		i += w.len;
		plain = i;
		after_word = 1;
	}
	convert(t, charset, &raw);
	text_add(t, p + plain, len - plain);
	if (raw.failed)
		t->failed = 1;
	free(raw.s);
}
