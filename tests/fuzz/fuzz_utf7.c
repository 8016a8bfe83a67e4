/*
 * libFuzzer target for the modified UTF-7 codec (RFC 3501 5.1.3).
 *
 * The codec promises a bijection between valid UTF-8 and valid mUTF-7, so
 * whatever one direction accepts the other must turn back into the same
 * bytes.  Each input is tried both as mUTF-7 and as UTF-8.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <mailfs/utf7.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
must(int cond)
{
	/* A fuzz target reports by crashing; abort() is what libFuzzer catches. */
	if (!cond)
		abort();
}

/* Checks that in[0..len) comes back unchanged through there and back. */
static void
check_back(int (*there)(const char *, size_t, char **),
    int (*back)(const char *, size_t, char **), const char *in, size_t len)
{
	char *mid, *out;

	if (there(in, len, &mid) == -1)
		return;
	must(back(mid, strlen(mid), &out) == 0);
	must(strlen(out) == len && memcmp(out, in, len) == 0);
	free(out);
	free(mid);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_back(mailfs_utf7_decode, mailfs_utf7_encode,
	    (const char *)data, size);
	check_back(mailfs_utf7_encode, mailfs_utf7_decode,
	    (const char *)data, size);
	return 0;
}
