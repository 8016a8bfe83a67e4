/*
 * libFuzzer target for the POP3 client's decoders: the multi-line body
 * decoder (lib/pop3/pop3_data.c), status lines, UIDL and LIST lines and
 * the id set (lib/pop3/pop3_reply.c).
 *
 *	make fuzz-pop3 && tests/fuzz/fuzz_pop3 -max_total_time=60 CORPUS
 *
 * The input is a server's byte stream; its first byte picks the size of
 * the chunks it is decoded in.  Checked: the body and where it ends are
 * the same in those chunks and a byte at a time, no call writes more than
 * it may; every line of the input parsed as a status has its code within
 * bounds and free of spaces and brackets, its text inside the line; as a
 * UIDL line, an id of 1 to 255 bytes of 0x21..0x7e and a number >= 1;
 * and the id set finds a repeated id exactly when a plain search does.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "pop3_data.h"
#include "pop3_reply.h"

#define CHECK(c)	do { if (!(c)) abort(); } while (0)

#define IDS_MAX		64

int LLVMFuzzerTestOneInput(const uint8_t *buf, size_t size);

/* Decodes data in chunks of step bytes; the body to log, the end's offset. */
static size_t
decode(const char *data, size_t len, size_t step, struct buf *log)
{
	struct pop3_data d;
	enum pop3_data_result r = POP3_DATA_MORE;
	char out[64 + 1];
	size_t off = 0, n, used, olen;

	pop3_data_init(&d);
	while (off < len && r == POP3_DATA_MORE) {
		n = len - off < step ? len - off : step;
		r = pop3_data_decode(&d, data + off, n, &used, out, &olen);
		CHECK(used <= n && olen <= n + 1);
		CHECK(r == POP3_DATA_END || used == n);
		CHECK(buf_append(log, out, olen) == 0);
		off += used;
	}
	return r == POP3_DATA_END ? off : (size_t)-1;
}

static void
check_status(const char *line, size_t len)
{
	struct pop3_status st;
	size_t i;

	if (pop3_status_parse(line, len, &st) == -1)
		return;
	CHECK(st.kind == POP3_OK || st.kind == POP3_ERR ||
	    st.kind == POP3_CONT);
	CHECK(st.text >= line && st.text + st.text_len == line + len);
	CHECK(strlen(st.code) < sizeof(st.code));
	for (i = 0; st.code[i] != '\0'; i++)
		CHECK(st.code[i] > 0x20 && st.code[i] < 0x7f &&
		    st.code[i] != '[' && st.code[i] != ']');
}

int
LLVMFuzzerTestOneInput(const uint8_t *buf, size_t size)
{
	const char *data = (const char *)buf + 1, *line, *nl;
	char uid[MAILFS_POP3_UIDL_MAX + 1], ids[IDS_MAX][MAILFS_POP3_UIDL_MAX + 1];
	struct mailfs_pop3_item item;
	struct pop3_idset set;
	struct buf a, b;
	const char *why;
	size_t len, step, end_a, end_b, n, i, k, nids = 0;
	int r, dup;

	if (size == 0)
		return 0;
	len = size - 1;
	step = (size_t)(buf[0] % 64) + 1;
	buf_init(&a, (size_t)1 << 30);
	buf_init(&b, (size_t)1 << 30);
	end_a = decode(data, len, step, &a);
	end_b = decode(data, len, 1, &b);
	CHECK(end_a == end_b);
	CHECK(a.len == b.len && (a.len == 0 || memcmp(a.data, b.data,
	    a.len) == 0));
	CHECK(a.len <= len);
	buf_free(&a);
	buf_free(&b);

	pop3_idset_init(&set, IDS_MAX);
	for (line = data; line < data + len; line = nl + 1) {
		nl = memchr(line, '\n', (size_t)(data + len - line));
		if (nl == NULL)
			nl = data + len;
		n = (size_t)(nl - line);
		check_status(line, n);
		if (pop3_listing_parse(line, n, 0, 1000, &item, uid,
		    &why) == 0)
			CHECK(item.number >= 1 && item.number <= 1000 &&
			    item.uidl == NULL);
		if (pop3_listing_parse(line, n, 1, UINT32_MAX, &item, uid,
		    &why) == -1)
			continue;
		k = strlen(item.uidl);
		CHECK(item.number >= 1 && k >= 1 &&
		    k <= MAILFS_POP3_UIDL_MAX);
		for (i = 0; i < k; i++)
			CHECK(item.uidl[i] >= 0x21 && item.uidl[i] <= 0x7e);
		if (nids >= IDS_MAX)
			continue;
		for (dup = 0, i = 0; i < nids && !dup; i++)
			dup = strcmp(ids[i], item.uidl) == 0;
		r = pop3_idset_add(&set, item.uidl, k);
		CHECK(r == dup);
		if (!dup)
			memcpy(ids[nids++], item.uidl, k + 1);
	}
	pop3_idset_free(&set);
	return 0;
}
