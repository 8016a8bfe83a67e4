/*
 * libFuzzer target for the SMTP DATA encoder (lib/smtp/smtp_data.c):
 * whatever the message's bytes, the data sent can end only where the
 * encoder ends it (no SMTP smuggling).
 *
 *	make fuzz-smtp_data && tests/fuzz/fuzz_smtp_data -max_total_time=60 CORPUS
 *
 * The first byte picks the chunk size (8 to 71).  Checked, on the
 * encoded bytes read as three servers would (lines ending in CRLF only,
 * in LF only, in CR or LF): each finds the end of data ("." alone on a
 * line) in the last line and nowhere before; with the dots undone the
 * lines are the message's, every CR, LF or CRLF a line end; the size
 * smtp_data_check() gives is the length before the final "." CRLF.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "smtp_data.h"

#define CHECK(c)	do { if (!(c)) abort(); } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *buf, size_t size);

enum server { CRLF_ONLY, LF_ONLY, CR_OR_LF };

/* Where the end-of-data line begins as server s finds it, or -1. */
static long
find_end(const char *out, size_t len, enum server s)
{
	size_t start = 0, i, end, eol;

	while (start < len) {
		for (i = start; i < len; i++) {
			if (s == CRLF_ONLY && out[i] == '\r' && i + 1 < len &&
			    out[i + 1] == '\n')
				break;
			if (s == LF_ONLY && out[i] == '\n')
				break;
			if (s == CR_OR_LF && (out[i] == '\r' || out[i] == '\n'))
				break;
		}
		if (i == len)
			return -1;
		end = i;
		eol = s == CRLF_ONLY ? 2 : 1;
		if (s == LF_ONLY && end > start && out[end - 1] == '\r')
			end--;
		if (end - start == 1 && out[start] == '.')
			return (long)start;
		start = i + eol;
	}
	return -1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *buf, size_t size)
{
	const char *in = (const char *)buf + 1;
	struct smtp_data_enc e;
	struct smtp_data_info info;
	struct mailfs_error err;
	size_t len, cap, n, outlen = 0, i, o, start;
	char *out;

	if (size == 0)
		return 0;
	len = size - 1;
	cap = (size_t)(buf[0] % 64) + 8;
	CHECK((out = malloc(3 * len + 8 + cap)) != NULL);
	smtp_data_enc_init(&e, in, len);
	while ((n = smtp_data_encode(&e, out + outlen, cap)) > 0) {
		CHECK(n <= cap);
		outlen += n;
	}
	CHECK(outlen >= 3 && outlen <= 3 * len + 5);
	CHECK(find_end(out, outlen, CRLF_ONLY) == (long)outlen - 3);
	CHECK(find_end(out, outlen, LF_ONLY) == (long)outlen - 3);
	CHECK(find_end(out, outlen, CR_OR_LF) == (long)outlen - 3);

	/* Undo the dots; compare with the input, its line ends as CRLF. */
	for (i = 0, o = 0, start = 1; o < outlen - 3; ) {
		if (start && out[o] == '.') {
			CHECK(out[o + 1] == '.');
			o++;
		}
		start = 0;
		if (i == len) {
			/* The line end the encoder added. */
			CHECK(out[o] == '\r' && out[o + 1] == '\n' &&
			    o + 2 == outlen - 3);
			o += 2;
			continue;
		}
		if (in[i] == '\r' || in[i] == '\n') {
			CHECK(out[o] == '\r' && out[o + 1] == '\n');
			i += in[i] == '\r' && i + 1 < len && in[i + 1] == '\n' ?
			    2 : 1;
			o += 2;
			start = 1;
			continue;
		}
		CHECK(out[o] == in[i]);
		o++;
		i++;
	}
	CHECK(i == len && o == outlen - 3);
	if (smtp_data_check(in, len, &info, &err) == 0)
		CHECK(info.wire_size == outlen - 3 && e.longest <= SMTP_LINE_MAX);
	else
		CHECK(err.kind == MAILFS_ERR_USAGE &&
		    (e.longest > SMTP_LINE_MAX || e.nul));
	free(out);
	return 0;
}
