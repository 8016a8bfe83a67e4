/*
 * libFuzzer target for the SMTP reply parser (lib/smtp/smtp_reply.c).
 *
 *	make fuzz-smtp_reply && tests/fuzz/fuzz_smtp_reply -max_total_time=60 CORPUS
 *
 * The input is a server's byte stream; its first byte picks the size of
 * the chunks it is fed in.  Checked: every reply handed out has a code
 * of 200 to 599, between 1 and max_lines lines, text within the limits
 * and free of control bytes but LF and TAB, and an enhanced code of the
 * reply's class or none; and the replies and the error are the same
 * whether the stream comes in those chunks or one byte at a time.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "smtp_reply.h"

#define CHECK(c)	do { if (!(c)) abort(); } while (0)

#define MAX_LINE	128
#define MAX_LINES	8

int LLVMFuzzerTestOneInput(const uint8_t *buf, size_t size);

static void
check_reply(const struct smtp_reply *r)
{
	const char *t = r->text.data != NULL ? r->text.data : "";
	size_t i;

	CHECK(r->code >= 200 && r->code <= 599);
	CHECK(r->nlines >= 1 && r->nlines <= MAX_LINES);
	CHECK(r->text.len <= (size_t)MAX_LINE * MAX_LINES);
	CHECK(strlen(t) == r->text.len);
	for (i = 0; i < r->text.len; i++)
		CHECK((unsigned char)t[i] >= 0x20 || t[i] == '\n' ||
		    t[i] == '\t');
	CHECK(r->enhanced[0] == '\0' ||
	    (unsigned)(r->enhanced[0] - '0') == r->code / 100);
}

/*
 * Parses data in chunks of step bytes, writing a record of every reply
 * (and of the error, if any) to log.
 */
static void
run(const char *data, size_t len, size_t step, struct buf *log)
{
	struct smtp_reply_parser p;
	struct mailfs_error err;
	enum smtp_parse_result r;
	size_t off = 0, n, used;

	smtp_reply_parser_init(&p, MAX_LINE, MAX_LINES);
	while (off < len) {
		n = len - off < step ? len - off : step;
		r = smtp_reply_feed(&p, data + off, n, &used, &err);
		CHECK(used <= n);
		off += used;
		if (r == SMTP_PARSE_ERROR) {
			CHECK(err.kind == MAILFS_ERR_PROTOCOL ||
			    err.kind == MAILFS_ERR_LIMIT ||
			    err.kind == MAILFS_ERR_NOMEM);
			CHECK(buf_printf(log, "E%d", (int)err.kind) == 0);
			break;
		}
		if (r == SMTP_PARSE_MORE) {
			CHECK(used == n);
			continue;
		}
		check_reply(&p.reply);
		CHECK(buf_printf(log, "R%u %s %u ", p.reply.code,
		    p.reply.enhanced, p.reply.nlines) == 0);
		CHECK(buf_append(log, p.reply.text.data != NULL ?
		    p.reply.text.data : "", p.reply.text.len) == 0);
		CHECK(buf_append(log, "|", 1) == 0);
	}
	smtp_reply_parser_free(&p);
}

int
LLVMFuzzerTestOneInput(const uint8_t *buf, size_t size)
{
	struct buf a, b;
	size_t step;

	if (size == 0)
		return 0;
	step = (size_t)(buf[0] % 64) + 1;
	buf_init(&a, (size_t)1 << 30);
	buf_init(&b, (size_t)1 << 30);
	run((const char *)buf + 1, size - 1, step, &a);
	run((const char *)buf + 1, size - 1, 1, &b);
	CHECK(a.len == b.len && (a.len == 0 || memcmp(a.data, b.data,
	    a.len) == 0));
	buf_free(&a);
	buf_free(&b);
	return 0;
}
