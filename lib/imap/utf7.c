/*
 * Modified UTF-7, the encoding of IMAP mailbox names.
 *
 * RFC 3501 5.1.3	modified UTF-7 ("&" shift, "," for "/", no padding)
 * RFC 2152		UTF-7 and its base64 bit packing
 * RFC 2781 2.1		UTF-16 surrogate pairs for characters outside the BMP
 * RFC 3629 3-4		well-formed UTF-8
 *
 * Both directions accept only what the other produces, so that a mailbox
 * name has exactly one UTF-8 form and one mUTF-7 form: the decoder refuses
 * every alternative spelling (split shifts, encoded ASCII, stray bits).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include <mailfs/utf7.h>

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

/* The modified base64 value of c, or -1 when c is not in the alphabet. */
static int
b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == ',')
		return 63;
	return -1;
}

/* Printable ASCII: what RFC 3501 says must stand for itself, outside a shift. */
static int
is_printable(uint32_t c)
{
	return c >= 0x20 && c <= 0x7e;
}

/*
 * Reads one character of UTF-8 at s[*pos] (pos < len) and advances *pos.
 * Returns the code point, or -1 for overlong forms, surrogates, code
 * points above U+10FFFF, bad or missing continuation bytes and U+0000,
 * which no mailbox name can hold.
 */
static int32_t
utf8_next(const unsigned char *s, size_t len, size_t *pos)
{
	uint32_t c, min;
	size_t i, n;

	c = s[*pos];
	if (c < 0x80) {
		n = 0;
		min = 0x01;
	} else if ((c & 0xe0) == 0xc0) {
		n = 1;
		c &= 0x1f;
		min = 0x80;
	} else if ((c & 0xf0) == 0xe0) {
		n = 2;
		c &= 0x0f;
		min = 0x800;
	} else if ((c & 0xf8) == 0xf0) {
		n = 3;
		c &= 0x07;
		min = 0x10000;
	} else
		return -1;
	if (len - *pos - 1 < n)
		return -1;
	for (i = 1; i <= n; i++) {
		if ((s[*pos + i] & 0xc0) != 0x80)
			return -1;
		c = (c << 6) | (s[*pos + i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return -1;
	*pos += n + 1;
	return (int32_t)c;
}

/* Writes c (a valid scalar value) as UTF-8 at o; returns the end. */
static char *
utf8_put(char *o, uint32_t c)
{
	if (c < 0x80)
		*o++ = (char)c;
	else if (c < 0x800) {
		*o++ = (char)(0xc0 | (c >> 6));
		*o++ = (char)(0x80 | (c & 0x3f));
	} else if (c < 0x10000) {
		*o++ = (char)(0xe0 | (c >> 12));
		*o++ = (char)(0x80 | ((c >> 6) & 0x3f));
		*o++ = (char)(0x80 | (c & 0x3f));
	} else {
		*o++ = (char)(0xf0 | (c >> 18));
		*o++ = (char)(0x80 | ((c >> 12) & 0x3f));
		*o++ = (char)(0x80 | ((c >> 6) & 0x3f));
		*o++ = (char)(0x80 | (c & 0x3f));
	}
	return o;
}

/* The base64 state of a shift while encoding. */
struct b64_out {
	char *o;
	uint32_t bits;		/* the low nbits are not written yet */
	unsigned nbits;		/* < 6 between calls */
};

static void
b64_put16(struct b64_out *b, uint32_t unit)
{
	b->bits = (b->bits << 16) | unit;
	b->nbits += 16;
	while (b->nbits >= 6) {
		b->nbits -= 6;
		*b->o++ = b64_alphabet[(b->bits >> b->nbits) & 0x3f];
	}
	b->bits &= (1u << b->nbits) - 1;
}

/* Ends a shift: the remaining bits padded with zeros, then "-". */
static void
b64_close(struct b64_out *b)
{
	if (b->nbits > 0)
		*b->o++ = b64_alphabet[(b->bits << (6 - b->nbits)) & 0x3f];
	b->bits = 0;
	b->nbits = 0;
	*b->o++ = '-';
}

int
mailfs_utf7_encode(const char *utf8, size_t len, char **out_r)
{
	const unsigned char *s = (const unsigned char *)utf8;
	struct b64_out b = { NULL, 0, 0 };
	char *out;
	size_t pos;
	int32_t c;
	int shifted = 0;

	/*
	 * The worst case is a lone control character between printable ones:
	 * one input byte becomes "&AAE-", five output bytes.
	 */
	if (len > (SIZE_MAX - 1) / 5) {
		errno = ENOMEM;
		return -1;
	}
	if ((out = malloc(5 * len + 1)) == NULL)
		return -1;
	b.o = out;
	for (pos = 0; pos < len;) {
		if ((c = utf8_next(s, len, &pos)) == -1) {
			free(out);
			errno = EILSEQ;
			return -1;
		}
		if (is_printable((uint32_t)c)) {
			if (shifted)
				b64_close(&b);
			shifted = 0;
			*b.o++ = (char)c;
			if (c == '&')
				*b.o++ = '-';
			continue;
		}
		if (!shifted)
			*b.o++ = '&';
		shifted = 1;
		if (c >= 0x10000) {
			c -= 0x10000;
			b64_put16(&b, 0xd800 | ((uint32_t)c >> 10));
			b64_put16(&b, 0xdc00 | ((uint32_t)c & 0x3ff));
		} else
			b64_put16(&b, (uint32_t)c);
	}
	if (shifted)
		b64_close(&b);
	*b.o = '\0';
	*out_r = out;
	return 0;
}

/*
 * Decodes the shift that starts at s[*pos] (just after its "&") up to and
 * including its "-", writing UTF-8 at *o.  Returns 0, or -1 for anything
 * the encoder would not have written.
 */
static int
decode_shift(const unsigned char *s, size_t len, size_t *pos, char **o)
{
	uint32_t bits = 0, unit, high = 0;
	unsigned nbits = 0;
	size_t i;
	int v;

	for (i = *pos; i < len && s[i] != '-'; i++) {
		if ((v = b64_value(s[i])) == -1)
			return -1;
		bits = (bits << 6) | (uint32_t)v;
		nbits += 6;
		if (nbits < 16)
			continue;
		nbits -= 16;
		unit = (bits >> nbits) & 0xffff;
		bits &= (1u << nbits) - 1;
		if (unit >= 0xd800 && unit <= 0xdbff) {
			if (high != 0)
				return -1;
			high = unit;
		} else if (unit >= 0xdc00 && unit <= 0xdfff) {
			if (high == 0)
				return -1;
			*o = utf8_put(*o, 0x10000 +
			    ((high - 0xd800) << 10) + (unit - 0xdc00));
			high = 0;
		} else {
			if (high != 0 || unit == 0 || is_printable(unit))
				return -1;
			*o = utf8_put(*o, unit);
		}
	}
	/*
	 * Unterminated, a pair cut in half, a whole base64 character too many
	 * (6 bits or more left over; this includes a shift with no character
	 * at all), or padding bits that are not zero.
	 */
	if (i == len || high != 0 || nbits >= 6 || bits != 0)
		return -1;
	*pos = i + 1;
	return 0;
}

int
mailfs_utf7_decode(const char *utf7, size_t len, char **out_r)
{
	const unsigned char *s = (const unsigned char *)utf7;
	char *out, *o;
	size_t pos, shift_end = SIZE_MAX;

	/*
	 * Three UTF-8 bytes come from at least 16 bits, that is 2.67 base64
	 * characters; everything else shrinks, so twice the input is enough.
	 */
	if (len > (SIZE_MAX - 1) / 2) {
		errno = ENOMEM;
		return -1;
	}
	if ((out = malloc(2 * len + 1)) == NULL)
		return -1;
	o = out;
	for (pos = 0; pos < len;) {
		if (!is_printable(s[pos]))
			goto bad;
		if (s[pos] != '&') {
			*o++ = (char)s[pos++];
			continue;
		}
		if (pos + 1 < len && s[pos + 1] == '-') {
			*o++ = '&';
			pos += 2;
			continue;
		}
		/* Two shifts in a row should have been one. */
		if (pos == shift_end)
			goto bad;
		pos++;
		if (decode_shift(s, len, &pos, &o) == -1)
			goto bad;
		shift_end = pos;
	}
	*o = '\0';
	*out_r = out;
	return 0;
bad:
	free(out);
	errno = EILSEQ;
	return -1;
}
