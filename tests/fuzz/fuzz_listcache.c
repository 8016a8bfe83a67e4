/*
 * libFuzzer target for fuse/listcache.c's reader: a saved listing is a
 * value in the user's cache directory (the store checks its CRC, but a
 * listing of another build passes that), and a damaged or foreign one must be
 * refused whole, never half believed.
 *
 *	make fuzz-listcache && tests/fuzz/fuzz_listcache -max_total_time=60 CORPUS
 *
 * The input is decoded with listcache_decode().
 * What it accepts must be a listing this build could have written: UIDs
 * ascending, non-zero and below UIDNEXT, keyword indexes in range,
 * keyword sets non-empty and NUL-free, kw[0] ""; written back with
 * listcache_encode() it has the same size, keyword sets and messages byte
 * for byte, and reads back the same.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "folder.h"
#include "listcache.h"

#define CHECK(c)	do { if (!(c)) abort(); } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *buf, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *buf, size_t size)
{
	struct listcache lc, again;
	void *written;
	size_t len, i, kwbytes, body;
	uint32_t k;
	int r;

	r = listcache_decode(buf, size, &lc);
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
	CHECK(listcache_encode(&lc, &written, &len) == 0);
	CHECK(len == size &&
	    memcmp((uint8_t *)written + size - body, buf + size - body, body) == 0);
	CHECK(listcache_decode(written, len, &again) == 0);
	free(written);
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
