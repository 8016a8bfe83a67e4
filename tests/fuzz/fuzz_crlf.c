/*
 * libFuzzer target for the CR/LF conversion of new files before their
 * APPEND (fuse/stage.c, stage_read_crlf()): a file written through the
 * mount, whatever its bytes, becomes a message whose lines end in CRLF
 * (RFC 3501 2.2) and whose bytes are otherwise the file's.
 *
 *	make fuzz-crlf && tests/fuzz/fuzz_crlf -max_total_time=60 CORPUS
 *
 * Checked: the output is the input with a CR put before exactly each LF
 * that had none; it holds no bare LF; a CRLF input is unchanged; the
 * conversion of the output changes nothing (idempotent); the length is
 * the input's plus the bare LFs.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <sys/mman.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "stage.h"

#define CHECK(c)	do { if (!(c)) abort(); } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *buf, size_t size);

static int fd = -1;

/* Converts buf[0..size) through a file, as the staged bytes are. */
static char *
convert(const void *buf, size_t size, size_t *len_r)
{
	char *out;

	CHECK(ftruncate(fd, 0) == 0);
	CHECK(size == 0 || pwrite(fd, buf, size, 0) == (ssize_t)size);
	CHECK(stage_read_crlf(fd, size, &out, len_r) == 0);
	return out;
}

int
LLVMFuzzerTestOneInput(const uint8_t *buf, size_t size)
{
	const char *in = (const char *)buf;
	char *out, *again;
	size_t len, len2, i, o, bare = 0;

	if (fd == -1)
		CHECK((fd = memfd_create("fuzz_crlf", 0)) != -1);
	out = convert(buf, size, &len);
	for (i = 0; i < size; i++)
		if (in[i] == '\n' && (i == 0 || in[i - 1] != '\r'))
			bare++;
	CHECK(len == size + bare);
	/* The input's bytes in order, a CR added only before a bare LF. */
	for (i = 0, o = 0; i < size; i++) {
		if (in[i] == '\n' && (i == 0 || in[i - 1] != '\r'))
			CHECK(out[o++] == '\r');
		CHECK(out[o++] == in[i]);
	}
	CHECK(o == len);
	for (o = 0; o < len; o++)
		CHECK(out[o] != '\n' || (o > 0 && out[o - 1] == '\r'));
	again = convert(out, len, &len2);
	CHECK(len2 == len && memcmp(again, out, len) == 0);
	free(again);
	free(out);
	return 0;
}
