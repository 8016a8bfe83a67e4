/*
 * libFuzzer target for lib/imap/parser.c.
 *
 *	make fuzz-parser && tests/fuzz/fuzz_parser -max_total_time=120 CORPUS
 *
 * Input: byte 0 picks the limits and whether BODY literals are streamed,
 * bytes 1-8 are chunk sizes (1..16, cycled) for the second pass, the rest
 * is server data.  The data is parsed response after response, once in
 * one piece and once in those chunks, and the invariants are checked:
 * the same results, trees and streamed bytes either way; consumed never
 * past the input; every string NUL-terminated at len; lists within
 * max_depth; streamed offsets contiguous; ERROR sticky until reset.
 * imap_parse_args() gets the data too.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "parser.h"

#define CHECK(c)	do { if (!(c)) abort(); } while (0)
#define MAX_RESPONSES	64

struct trace {
	int stream;
	uint64_t expect;	/* next streamed offset */
	uint64_t total;
	uint64_t sum;		/* a checksum of the streamed bytes */
	unsigned hooks;
};

static int
hook(void *ctx, const struct imap_response *resp,
    const struct imap_arg *list, size_t count, unsigned depth, uint64_t size)
{
	struct trace *t = ctx;

	CHECK(resp != NULL && (count == 0 || list != NULL));
	CHECK(depth > 0 || list == resp->args);
	t->hooks++;
	if (!t->stream || count == 0 || list[count - 1].type != IMAP_ARG_ATOM ||
	    strncmp(list[count - 1].str, "BODY[", 5) != 0)
		return 0;
	t->expect = 0;
	t->total = size;
	t->sum = t->sum * 31 + size;
	return 1;
}

static void
data(void *ctx, uint64_t offset, uint64_t total, const char *d, size_t len)
{
	struct trace *t = ctx;
	size_t i;

	CHECK(offset == t->expect && total == t->total);
	CHECK(offset + len <= total && (len > 0 || total == 0));
	for (i = 0; i < len; i++)
		t->sum = t->sum * 31 + (unsigned char)d[i];
	t->expect += len;
}

/* Walks a tree, checking it; returns a hash of it for comparison. */
static uint64_t
walk(const struct imap_arg *args, size_t n, unsigned depth, unsigned max)
{
	uint64_t h = n;
	size_t i, j;

	CHECK(n == 0 || args != NULL);
	CHECK(depth <= max);
	for (i = 0; i < n; i++) {
		h = h * 131 + args[i].type;
		switch (args[i].type) {
		case IMAP_ARG_LIST:
			h = h * 131 + walk(args[i].list, args[i].len,
			    depth + 1, max);
			break;
		case IMAP_ARG_LITERAL_STREAMED:
			CHECK(args[i].len == 0);
			h = h * 131 + args[i].literal_size;
			break;
		default:
			CHECK(args[i].str != NULL &&
			    args[i].str[args[i].len] == '\0');
			for (j = 0; j < args[i].len; j++)
				h = h * 131 + (unsigned char)args[i].str[j];
			break;
		}
	}
	return h;
}

static uint64_t
hash_str(const char *s)
{
	uint64_t h = 7;

	if (s == NULL)
		return 0;
	for (; *s != '\0'; s++)
		h = h * 131 + (unsigned char)*s;
	return h;
}

static uint64_t
hash_resp(const struct imap_response *r, unsigned max_depth)
{
	uint64_t h;

	CHECK(r->kind <= IMAP_RESP_CONTINUATION);
	CHECK((r->kind == IMAP_RESP_TAGGED) == (r->tag != NULL));
	CHECK(r->code_args == NULL || r->code != NULL);
	CHECK(r->status == IMAP_STATUS_NONE ? r->nargs > 0 ||
	    r->kind == IMAP_RESP_CONTINUATION : r->nargs == 0);
	h = r->kind * 7 + r->status;
	h = h * 131 + hash_str(r->tag);
	h = h * 131 + hash_str(r->code);
	h = h * 131 + hash_str(r->code_args);
	h = h * 131 + hash_str(r->text);
	return h * 131 + walk(r->args, r->nargs, 0, max_depth);
}

/*
 * Parses responses one after another, in chunks of the given sizes (NULL:
 * all that is left at once).  Records each result and tree hash.
 */
static size_t
run(const char *in, size_t len, const struct imap_parser_limits *lim,
    struct trace *t, const uint8_t *sizes, uint64_t *out)
{
	struct imap_parser *p;
	enum imap_parse_result r = IMAP_PARSE_MORE;
	size_t pos = 0, n, c, nout = 0, k = 0;

	p = imap_parser_new(lim);
	if (p == NULL)
		abort();
	imap_parser_set_literal_hooks(p, hook, data, t);
	while (pos < len && nout < MAX_RESPONSES) {
		n = len - pos;
		if (sizes != NULL && n > (size_t)(sizes[k % 8] % 16) + 1)
			n = (size_t)(sizes[k % 8] % 16) + 1;
		k++;
		c = SIZE_MAX;
		r = imap_parser_feed(p, in + pos, n, &c);
		CHECK(c <= n);
		CHECK(r != IMAP_PARSE_MORE || c == n);
		pos += c;
		if (r == IMAP_PARSE_MORE)
			continue;
		if (r == IMAP_PARSE_DONE) {
			CHECK(imap_parser_error(p)[0] == '\0');
			out[nout++] = hash_resp(imap_parser_response(p),
			    lim->max_depth);
			CHECK(imap_parser_feed(p, in, len, &c) ==
			    IMAP_PARSE_DONE && c == 0);
		} else {
			CHECK(imap_parser_error(p)[0] != '\0');
			CHECK(imap_parser_response(p) == NULL);
			CHECK(imap_parser_feed(p, in, len, &c) ==
			    IMAP_PARSE_ERROR && c == 0);
			out[nout++] = 1000 + pos;
			break;
		}
		imap_parser_reset(p);
	}
	if (r == IMAP_PARSE_MORE && nout < MAX_RESPONSES)
		out[nout++] = 2000 + pos;
	imap_parser_free(&p);
	CHECK(p == NULL);
	return nout;
}

int LLVMFuzzerTestOneInput(const uint8_t *buf, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *buf, size_t size)
{
	static const struct imap_parser_limits limits[4] = {
		{ 0, 0, 0, 0 },
		{ 64, 16, 100, 2 },
		{ 200, 1000, 50, 4 },
		{ 1, 1, 1, 1 },
	};
	uint64_t a[MAX_RESPONSES], b[MAX_RESPONSES];
	struct imap_parser_limits lim;
	struct trace ta, tb;
	struct imap_arg *args;
	const char *in;
	size_t len, na, nb, nargs;
	unsigned i;

	if (size < 9)
		return 0;
	lim = limits[buf[0] & 3];
	if (lim.max_depth == 0)
		lim.max_depth = 16;
	memset(&ta, 0, sizeof(ta));
	ta.stream = (buf[0] & 4) != 0;
	tb = ta;
	in = (const char *)buf + 9;
	len = size - 9;

	na = run(in, len, &lim, &ta, NULL, a);
	nb = run(in, len, &lim, &tb, buf + 1, b);
	CHECK(na == nb);
	for (i = 0; i < na; i++)
		CHECK(a[i] == b[i]);
	CHECK(ta.sum == tb.sum && ta.hooks == tb.hooks);

	if (imap_parse_args(in, len, &lim, &args, &nargs) == 0) {
		walk(args, nargs, 0, lim.max_depth);
		imap_args_free(args, nargs);
	}
	return 0;
}
