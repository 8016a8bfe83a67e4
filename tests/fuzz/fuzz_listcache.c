/*
 * libFuzzer target for fuse/listcache.c's reader: a saved listing is a
 * file in the user's cache directory, and a damaged or foreign one must be
 * refused whole, never half believed.
 *
 *	make fuzz-listcache && tests/fuzz/fuzz_listcache -max_total_time=60 CORPUS
 *
 * The input is written to a temporary file and read with listcache_read().
 * What it accepts must be a listing this build could have written: UIDs
 * ascending, non-zero and below UIDNEXT, keyword indexes in range,
 * keyword sets non-empty and NUL-free, kw[0] ""; written back with
 * listcache_write() it has the same size, keyword sets and messages byte
 * for byte, and reads back the same.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "folder.h"
#include "listcache.h"

#define CHECK(c)	do { if (!(c)) abort(); } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *buf, size_t size);

static char dir[64];

static void
put(const char *path, const uint8_t *buf, size_t size)
{
	FILE *fp;

	CHECK((fp = fopen(path, "wb")) != NULL);
	CHECK(size == 0 || fwrite(buf, 1, size, fp) == size);
	CHECK(fclose(fp) == 0);
}

static uint8_t *
slurp(const char *path, size_t *len_r)
{
	uint8_t *b;
	FILE *fp;
	long n;

	CHECK((fp = fopen(path, "rb")) != NULL);
	CHECK(fseek(fp, 0, SEEK_END) == 0 && (n = ftell(fp)) >= 0);
	rewind(fp);
	CHECK((b = malloc((size_t)n + 1)) != NULL);
	CHECK(fread(b, 1, (size_t)n, fp) == (size_t)n);
	fclose(fp);
	*len_r = (size_t)n;
	return b;
}

static void
cleanup(void)
{
	char p[128];

	snprintf(p, sizeof(p), "%s/in", dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/out", dir);
	unlink(p);
	rmdir(dir);
}

int
LLVMFuzzerTestOneInput(const uint8_t *buf, size_t size)
{
	char in[128], out[128];
	struct listcache lc, again;
	uint8_t *written;
	size_t len, i, kwbytes, body;
	uint32_t k;
	int r;

	if (dir[0] == '\0') {
		snprintf(dir, sizeof(dir), "%s/fuzz_listcache.XXXXXX",
		    getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
		CHECK(mkdtemp(dir) != NULL);
		atexit(cleanup);
	}
	snprintf(in, sizeof(in), "%s/in", dir);
	snprintf(out, sizeof(out), "%s/out", dir);
	put(in, buf, size);

	r = listcache_read(in, &lc);
	if (r != 0) {
		CHECK(r == EINVAL);
		CHECK(lc.msgs == NULL && lc.kw == NULL && lc.n == 0);
		return 0;
	}
	CHECK(lc.nkw >= 1 && lc.kw != NULL && strcmp(lc.kw[0], "") == 0);
	for (k = 1; k < lc.nkw; k++)
		CHECK(lc.kw[k] != NULL && lc.kw[k][0] != '\0');
	for (i = 0; i < lc.n; i++) {
		CHECK(lc.msgs[i].uid != 0 && lc.msgs[i].kw < lc.nkw);
		CHECK(i == 0 || lc.msgs[i].uid > lc.msgs[i - 1].uid);
		CHECK(lc.uidnext == 0 || lc.msgs[i].uid < lc.uidnext);
	}

	/*
	 * Nothing lost or made up: written back, the same keyword sets and
	 * messages byte for byte (the header may differ in its padding).
	 */
	for (k = 1, kwbytes = 0; k < lc.nkw; k++)
		kwbytes += strlen(lc.kw[k]) + 1;
	body = kwbytes + lc.n * sizeof(*lc.msgs);
	CHECK(body <= size);
	CHECK(listcache_write(out, &lc) == 0);
	written = slurp(out, &len);
	CHECK(len == size &&
	    memcmp(written + size - body, buf + size - body, body) == 0);
	free(written);
	CHECK(listcache_read(out, &again) == 0);
	CHECK(again.n == lc.n && again.nkw == lc.nkw &&
	    again.uidvalidity == lc.uidvalidity && again.uidnext == lc.uidnext &&
	    again.modseq == lc.modseq);
	CHECK(lc.n == 0 || memcmp(again.msgs, lc.msgs, lc.n * sizeof(*lc.msgs)) == 0);
	for (k = 0; k < lc.nkw; k++)
		CHECK(strcmp(again.kw[k], lc.kw[k]) == 0);
	listcache_clear(&again);
	listcache_clear(&lc);
	return 0;
}
