/*
 * The SMTP reply parser and the DATA encoder, without a server: tables of
 * well-formed and hostile replies, each fed whole, split at every byte
 * and one byte at a time; the encoder's exact bytes, in chunks of every
 * small size; and, for every string of up to 7 bytes of CR, LF, '.' and
 * 'a', that the encoded data has no bare CR or LF, no end of data but
 * its last line, and gives back the message once the dots are undone.
 *
 * RFC 5321 4.2, 4.5.2, 4.5.3.1.6; RFC 3463.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../tap.h"
#include "smtp_data.h"
#include "smtp_reply.h"

struct good {
	const char *in;
	unsigned code;
	const char *enhanced;
	const char *text;
	unsigned nlines;
	size_t used;		/* 0: all of in */
};

static const struct good goods[] = {
	{ "250 OK\r\n", 250, "", "OK", 1, 0 },
	{ "220\r\n", 220, "", "", 1, 0 },
	{ "250 OK\n", 250, "", "OK", 1, 0 },
	{ "250-mx.example\r\n250-PIPELINING\r\n250 SIZE 1000\r\n", 250, "",
	    "mx.example\nPIPELINING\nSIZE 1000", 3, 0 },
	{ "550 5.1.1 <x@y>: unknown\r\n", 550, "5.1.1", "<x@y>: unknown", 1, 0 },
	{ "550-5.1.1 first\r\n550 5.1.1 second\r\n", 550, "5.1.1",
	    "first\nsecond", 2, 0 },
	{ "250 2.0.0\r\n", 250, "2.0.0", "", 1, 0 },
	{ "451 4.123.456 busy\r\n", 451, "4.123.456", "busy", 1, 0 },
	/* A code of another class, or malformed, is text. */
	{ "550 2.1.1 x\r\n", 550, "", "2.1.1 x", 1, 0 },
	{ "550 5.1234.1 x\r\n", 550, "", "5.1234.1 x", 1, 0 },
	{ "550 5.1.1x\r\n", 550, "", "5.1.1x", 1, 0 },
	{ "250 a\x1b[31mb\tc\r\n", 250, "", "a?[31mb\tc", 1, 0 },
	{ "250-\r\n250 \r\n", 250, "", "\n", 2, 0 },
	/* Two replies: the first ends where its last line does. */
	{ "250 one\r\n354 two\r\n", 250, "", "one", 1, 9 },
	{ "220 ready\r\n250 injected\r\n", 220, "", "ready", 1, 11 },
};

struct bad {
	const char *in;
	size_t len;		/* 0: strlen */
	enum mailfs_errkind kind;
};

static const struct bad bads[] = {
	{ "600 x\r\n", 0, MAILFS_ERR_PROTOCOL },
	{ "199 x\r\n", 0, MAILFS_ERR_PROTOCOL },
	{ "260 x\r\n", 0, MAILFS_ERR_PROTOCOL },
	{ "2a0 x\r\n", 0, MAILFS_ERR_PROTOCOL },
	{ "25\r\n", 0, MAILFS_ERR_PROTOCOL },
	{ "\r\n", 0, MAILFS_ERR_PROTOCOL },
	{ "250x\r\n", 0, MAILFS_ERR_PROTOCOL },
	{ "250-a\r\n251 b\r\n", 0, MAILFS_ERR_PROTOCOL },
	{ "250 a\0b\r\n", 9, MAILFS_ERR_PROTOCOL },
	{ "250 a\rb\r\n", 0, MAILFS_ERR_PROTOCOL },
	{ " 250 a\r\n", 0, MAILFS_ERR_PROTOCOL },
};

#define MAX_LINE	64
#define MAX_LINES	4

/*
 * Feeds in[0..len) in pieces cut at the offsets in cuts (ncuts of them,
 * ascending); returns the result of the feed that ended it and the bytes
 * used in all.
 */
static enum smtp_parse_result
feed_cut(struct smtp_reply_parser *p, const char *in, size_t len,
    const size_t *cuts, size_t ncuts, size_t *used_r, struct mailfs_error *err)
{
	enum smtp_parse_result r = SMTP_PARSE_MORE;
	size_t i, from = 0, to, used;

	*used_r = 0;
	for (i = 0; i <= ncuts; i++) {
		to = i < ncuts ? cuts[i] : len;
		r = smtp_reply_feed(p, in + from, to - from, &used, err);
		*used_r += used;
		if (r != SMTP_PARSE_MORE)
			return r;
		from = to;
	}
	return r;
}

static int
good_matches(const struct smtp_reply_parser *p, enum smtp_parse_result r,
    size_t used, const struct good *g)
{
	const char *text = p->reply.text.data != NULL ? p->reply.text.data : "";
	size_t want_used = g->used != 0 ? g->used : strlen(g->in);

	return r == SMTP_PARSE_REPLY && used == want_used &&
	    p->reply.code == g->code && strcmp(p->reply.enhanced,
	    g->enhanced) == 0 && strcmp(text, g->text) == 0 &&
	    p->reply.nlines == g->nlines;
}

static void
test_good(void)
{
	struct smtp_reply_parser p;
	struct mailfs_error err;
	enum smtp_parse_result r;
	size_t i, cut, used, len, k, *cuts;
	int all;

	smtp_reply_parser_init(&p, MAX_LINE, MAX_LINES);
	for (i = 0; i < sizeof(goods) / sizeof(goods[0]); i++) {
		len = strlen(goods[i].in);
		smtp_reply_parser_reset(&p);
		r = feed_cut(&p, goods[i].in, len, NULL, 0, &used, &err);
		if (!ok(good_matches(&p, r, used, &goods[i]), "reply %zu "
		    "whole: %u", i, p.reply.code))
			diag("%d, used %zu, \"%s\" \"%s\"", r, used,
			    p.reply.enhanced, p.reply.text.data);
		all = 1;
		for (cut = 1; cut < len; cut++) {
			smtp_reply_parser_reset(&p);
			r = feed_cut(&p, goods[i].in, len, &cut, 1, &used, &err);
			if (!good_matches(&p, r, used, &goods[i])) {
				diag("cut at %zu", cut);
				all = 0;
			}
		}
		ok(all, "reply %zu split at every byte", i);
		if ((cuts = calloc(len, sizeof(*cuts))) == NULL)
			bail_out("calloc");
		for (k = 1; k < len; k++)
			cuts[k - 1] = k;
		smtp_reply_parser_reset(&p);
		r = feed_cut(&p, goods[i].in, len, cuts, len - 1, &used, &err);
		ok(good_matches(&p, r, used, &goods[i]),
		    "reply %zu one byte at a time", i);
		free(cuts);
	}
	/* The next reply starts over after one is handed out. */
	smtp_reply_parser_reset(&p);
	r = smtp_reply_feed(&p, "250 one\r\n354 two\r\n", 18, &used, &err);
	r = smtp_reply_feed(&p, "250 one\r\n354 two\r\n" + used, 18 - used,
	    &used, &err);
	ok(r == SMTP_PARSE_REPLY && p.reply.code == 354 && p.reply.nlines == 1 &&
	    strcmp(p.reply.text.data, "two") == 0, "the second of two replies");
	smtp_reply_parser_free(&p);
}

static void
test_bad(void)
{
	struct smtp_reply_parser p;
	struct mailfs_error err;
	enum smtp_parse_result r;
	char line[MAX_LINE + 16], many[256];
	size_t i, cut, used, len;
	int all;

	smtp_reply_parser_init(&p, MAX_LINE, MAX_LINES);
	for (i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		len = bads[i].len != 0 ? bads[i].len : strlen(bads[i].in);
		all = 1;
		for (cut = 0; cut < len; cut++) {
			smtp_reply_parser_reset(&p);
			memset(&err, 0, sizeof(err));
			r = feed_cut(&p, bads[i].in, len, &cut, cut > 0,
			    &used, &err);
			if (r != SMTP_PARSE_ERROR || err.kind != bads[i].kind) {
				diag("cut %zu: result %d, %s", cut, r, err.msg);
				all = 0;
			}
		}
		ok(all, "hostile reply %zu refused (%s), split anywhere", i,
		    mailfs_errkind_name(bads[i].kind));
	}
	/* A line one byte too long, its end never reached. */
	memset(line, 'a', sizeof(line));
	memcpy(line, "250 ", 4);
	smtp_reply_parser_reset(&p);
	r = smtp_reply_feed(&p, line, MAX_LINE + 1, &used, &err);
	ok(r == SMTP_PARSE_ERROR && err.kind == MAILFS_ERR_LIMIT,
	    "a line longer than max_line: limit (%s)", err.msg);
	/* The longest line allowed, CRLF included. */
	memcpy(line + MAX_LINE - 2, "\r\n", 2);
	smtp_reply_parser_reset(&p);
	r = smtp_reply_feed(&p, line, MAX_LINE, &used, &err);
	ok(r == SMTP_PARSE_REPLY, "a line of exactly max_line bytes");
	/* More lines than max_lines. */
	many[0] = '\0';
	for (i = 0; i <= MAX_LINES; i++)
		strcat(many, "250-x\r\n");
	smtp_reply_parser_reset(&p);
	r = smtp_reply_feed(&p, many, strlen(many), &used, &err);
	ok(r == SMTP_PARSE_ERROR && err.kind == MAILFS_ERR_LIMIT,
	    "a reply of more than max_lines lines: limit (%s)", err.msg);
	r = smtp_reply_feed(&p, "250 x\r\n", 7, &used, &err);
	ok(r == SMTP_PARSE_ERROR, "a parser that failed stays failed");
	smtp_reply_parser_free(&p);
}

/* ---- the encoder ---- */

struct enc_case {
	const char *in;
	const char *out;
};

static const struct enc_case encs[] = {
	{ "", ".\r\n" },
	{ "a", "a\r\n.\r\n" },
	{ "a\r\n", "a\r\n.\r\n" },
	{ "a\n.\nb", "a\r\n..\r\nb\r\n.\r\n" },
	{ "a\r.\rb", "a\r\n..\r\nb\r\n.\r\n" },
	{ ".\r\n", "..\r\n.\r\n" },
	{ "\r\n.\r\n", "\r\n..\r\n.\r\n" },
	{ "a\r\r\nb", "a\r\n\r\nb\r\n.\r\n" },
	{ "x\n\r", "x\r\n\r\n.\r\n" },
	{ "..a", "...a\r\n.\r\n" },
	{ "a.b\n.", "a.b\r\n..\r\n.\r\n" },
	{ "a\n\n.\n", "a\r\n\r\n..\r\n.\r\n" },
	{ "a\r\n.\n.\r\r\n", "a\r\n..\r\n..\r\n\r\n.\r\n" },
};

/* The whole encoding of in, in chunks of at most cap bytes. */
static char *
encode(const char *in, size_t len, size_t cap, size_t *outlen)
{
	struct smtp_data_enc e;
	size_t n, size = 3 * len + 8;
	char *out;

	if ((out = malloc(size + cap)) == NULL)
		bail_out("malloc");
	*outlen = 0;
	smtp_data_enc_init(&e, in, len);
	while ((n = smtp_data_encode(&e, out + *outlen, cap)) > 0)
		*outlen += n;
	return out;
}

static void
test_encode(void)
{
	size_t i, cap, len;
	char *out;
	int all;

	for (i = 0; i < sizeof(encs) / sizeof(encs[0]); i++) {
		all = 1;
		for (cap = 8; cap <= 16; cap++) {
			out = encode(encs[i].in, strlen(encs[i].in), cap, &len);
			if (len != strlen(encs[i].out) ||
			    memcmp(out, encs[i].out, len) != 0) {
				diag("cap %zu: \"%.*s\"", cap, (int)len, out);
				all = 0;
			}
			free(out);
		}
		ok(all, "encoding %zu, byte for byte, in chunks of 8 to 16", i);
	}
}

/*
 * The no-smuggling property: out has only CRLF line ends, ends in
 * CRLF "." CRLF (or is ".\r\n" alone) with no other line ".", and gives
 * back in, its line ends made CRLF, once the dots are undone.
 */
static int
clean(const char *in, size_t inlen, const char *out, size_t len)
{
	char norm[64], back[64];
	size_t i, n = 0, b = 0, start;

	for (i = 0; i < inlen; i++) {
		if (in[i] == '\r' || in[i] == '\n') {
			if (in[i] == '\r' && i + 1 < inlen && in[i + 1] == '\n')
				i++;
			norm[n++] = '\r';
			norm[n++] = '\n';
		} else
			norm[n++] = in[i];
	}
	if (n > 0 && norm[n - 1] != '\n') {
		norm[n++] = '\r';
		norm[n++] = '\n';
	}
	if (len < 3 || memcmp(out + len - 3, ".\r\n", 3) != 0 ||
	    (len > 3 && memcmp(out + len - 5, "\r\n", 2) != 0))
		return 0;
	for (i = 0; i < len; i++) {
		if (out[i] == '\r' && (i + 1 >= len || out[i + 1] != '\n'))
			return 0;
		if (out[i] == '\n' && (i == 0 || out[i - 1] != '\r'))
			return 0;
	}
	/* Undo the dots line by line, up to the final ".". */
	for (start = 0; start < len - 3; ) {
		if (out[start] == '.') {
			if (out[start + 1] != '.')
				return 0;	/* a lone dot line before the end */
			start++;
		}
		for (i = start; out[i] != '\n'; i++)
			back[b++] = out[i];
		back[b++] = '\n';
		start = i + 1;
	}
	return b == n && memcmp(back, norm, n) == 0;
}

static void
test_no_smuggling(void)
{
	static const char alphabet[] = "\r\n.a";
	char in[8], *out;
	size_t len, outlen, k, count = 0, failed = 0;
	unsigned long code, max;

	for (len = 0; len <= 7; len++) {
		for (max = 1, k = 0; k < len; k++)
			max *= 4;
		for (code = 0; code < max; code++) {
			unsigned long c = code;

			for (k = 0; k < len; k++, c /= 4)
				in[k] = alphabet[c % 4];
			out = encode(in, len, 8, &outlen);
			if (!clean(in, len, out, outlen)) {
				if (failed++ < 3)
					diag("input \"%.*s\"", (int)len, in);
			}
			free(out);
			count++;
		}
	}
	ok(failed == 0, "no smuggling in %zu strings of CR, LF, '.' and 'a'",
	    count);
}

static void
test_check(void)
{
	struct smtp_data_info info = { 0, 0 };
	struct mailfs_error err;
	char *msg;
	int rc;
	size_t n = 3 * (SMTP_LINE_MAX + 2);

	if ((msg = malloc(n + 16)) == NULL)
		bail_out("malloc");
	memset(msg, 'x', n);
	memcpy(msg + SMTP_LINE_MAX, "\r\n", 2);
	msg[SMTP_LINE_MAX + 2] = '.';
	memcpy(msg + 2 * SMTP_LINE_MAX + 2, "\n", 1);
	rc = smtp_data_check(msg, 2 * SMTP_LINE_MAX + 3, &info, &err);
	ok(rc == 0 && info.wire_size == 2 * SMTP_LINE_MAX + 5 && !info.eight_bit,
	    "lines of 998 octets, one of them dot-stuffed, pass (size %llu)",
	    (unsigned long long)info.wire_size);
	memcpy(msg + 2 * SMTP_LINE_MAX + 2, "y\n", 2);
	ok(smtp_data_check(msg, 2 * SMTP_LINE_MAX + 4, &info, &err) == -1 &&
	    err.kind == MAILFS_ERR_USAGE && strstr(err.msg, "line 2 ") != NULL &&
	    strstr(err.msg, "999") != NULL,
	    "a line of 999 octets is refused, named: %s", err.msg);
	ok(smtp_data_check("a\0b\r\n", 5, &info, &err) == -1 &&
	    err.kind == MAILFS_ERR_USAGE, "a NUL is refused: %s", err.msg);
	ok(smtp_data_check("caf\xc3\xa9\n", 6, &info, &err) == 0 &&
	    info.eight_bit && info.wire_size == 7, "8-bit bytes are told");
	free(msg);
}

static void
test_addresses(void)
{
	struct mailfs_error err;
	int utf8;

	ok(smtp_address_check("", 1, "sender", &utf8, &err) == 0 && !utf8,
	    "the null reverse-path");
	ok(smtp_address_check("", 0, "recipient", &utf8, &err) == -1,
	    "an empty recipient is refused");
	ok(smtp_address_check("a@b>\r\nRCPT TO:<c@d", 0, "recipient", &utf8,
	    &err) == -1, "CRLF and '>' in an address are refused");
	ok(smtp_address_check("j\xc3\xb6rg@example.test", 0, "recipient",
	    &utf8, &err) == 0 && utf8, "a UTF-8 address asks for SMTPUTF8");
}

int
main(void)
{
	struct buf b;
	int rc;

	test_good();
	test_bad();
	test_encode();
	test_no_smuggling();
	test_check();
	test_addresses();
	buf_init(&b, 1024);
	rc = smtp_xtext_append(&b, "a+b=c d\x01");
	ok(rc == 0 && strcmp(b.data, "a+2Bb+3Dc+20d+01") == 0, "xtext: %s",
	    b.data);
	buf_free(&b);
	return done_testing();
}
