/*
 * libFuzzer target for the header readers (lib/mail/header.c,
 * rfc2047.c) and the readable names made of them
 * (fuse/common/readable.c): whatever a message's header holds, reading
 * never goes out of bounds, and every result is valid UTF-8 without
 * control characters; a name is at most 255 bytes, without "/", and
 * ends in ".eml".
 *
 *	make fuzz-rfc2047 && tests/fuzz/fuzz_rfc2047 -max_total_time=60 CORPUS
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <mailfs/header.h>

#include "readable.h"

#define CHECK(c)	do { if (!(c)) abort(); } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *buf, size_t size);

/* Valid UTF-8, no C0, DEL or C1 character. */
static void
check_text(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t k, i;

	if (s == NULL)
		return;
	while (*p != '\0') {
		CHECK(*p >= 0x20 && *p != 0x7f);
		k = *p < 0x80 ? 1 : *p >= 0xc2 && *p <= 0xdf ? 2 : *p >= 0xe0 && *p <= 0xef ? 3 :
		    *p >= 0xf0 && *p <= 0xf4 ? 4 : 0;
		CHECK(k != 0);
		CHECK(!(k == 2 && p[0] == 0xc2 && p[1] < 0xa0));
		for (i = 1; i < k; i++)
			CHECK((p[i] & 0xc0) == 0x80);
		p += k;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *buf, size_t size)
{
	const char *hdr = (const char *)buf;
	char name[NAMES_COMPONENT_MAX + 1], *s;
	struct readable_fields rf;
	size_t n;
	int64_t t;

	/* The whole input as one field's value, each way it is read. */
	CHECK(mailfs_header_text(hdr, size, &s) == 0);
	check_text(s);
	free(s);
	CHECK(mailfs_header_from_name(hdr, size, &s) == 0);
	check_text(s);
	free(s);
	CHECK(mailfs_header_raw(hdr, size, &s) == 0);
	check_text(s);
	free(s);
	(void)mailfs_header_date(hdr, size, &t);

	/* The input as a header. */
	CHECK(readable_name(hdr, size, 1700000000, name) == 0);
	n = strlen(name);
	check_text(name);
	CHECK(n > 4 && n <= NAMES_COMPONENT_MAX && strchr(name, '/') == NULL &&
	    strcmp(name + n - 4, ".eml") == 0);
	readable_dup(name, 4294967295u);
	n = strlen(name);
	CHECK(n <= NAMES_COMPONENT_MAX && strcmp(name + n - 4, ".eml") == 0);
	CHECK(readable_fields(hdr, size, &rf) == 0);
	check_text(rf.subject);
	check_text(rf.from);
	check_text(rf.date);
	check_text(rf.msgid);
	readable_fields_clear(&rf);
	return 0;
}
