/*
 * fuse/store/pack.c: what a reopened store holds after puts, named
 * values and their journal, a tombstone, a torn tail, a damaged body, a
 * body abandoned half written, the CRC-32's check value, and eviction under a small limit (named
 * values kept, the store near its bound).
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../tap.h"
#include "crc.h"
#include "log.h"
#include "pack.h"

static char dir[64], why[256];
static char body[200000];

static void
reopen(uint64_t limit)
{
	pack_close();
	if (pack_open(dir, limit, why, sizeof(why)) != 0) {
		printf("Bail out! %s\n", why);
		exit(1);
	}
}

/* 1 when uid of k is stored with len bytes that pass their CRC. */
static int
has(const struct pack_key *k, uint32_t uid, uint32_t len)
{
	struct pack_body b;
	int fd, r;

	pthread_mutex_lock(&cache_lock);
	r = pack_find_locked(k, uid, &b) == 0 && b.len == len && pack_dup_locked(&b, &fd) == 0;
	pthread_mutex_unlock(&cache_lock);
	if (!r)
		return 0;
	r = pack_verify(fd, &b) == 0;
	close(fd);
	return r;
}

static int
meta_is(const struct pack_key *k, const char *name, const char *want, size_t wantlen)
{
	void *data;
	size_t len;
	int r;

	if (pack_meta_get(k, name, &data, &len) != 0)
		return want == NULL;
	r = want != NULL && len == wantlen && memcmp(data, want, len) == 0;
	free(data);
	return r;
}

/* The newest segment's path. */
static void
newest(char *out, size_t size)
{
	unsigned no;

	for (no = 1; no < 100000; no++) {
		snprintf(out, size, "%s/packs/%08u", dir, no + 1);
		if (access(out, F_OK) != 0)
			break;
	}
	snprintf(out, size, "%s/packs/%08u", dir, no);
}

static uint64_t
file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? (uint64_t)st.st_size : 0;
}

int
main(void)
{
	struct pack_key a, b;
	struct pack_res res;
	struct pack_body pb;
	char path[256], c;
	uint64_t before;
	uint32_t uid;
	int fd;

	snprintf(dir, sizeof(dir), "%s/test_pack.XXXXXX",
	    getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(dir) == NULL) {
		printf("Bail out! mkdtemp\n");
		return 1;
	}
	memset(body, 'm', sizeof(body));
	pack_key_of("INBOX", 7, &a);
	pack_key_of("Other", 7, &b);
	reopen(1ull << 30);
	ok(crc32_update(0, "123456789", 9) == 0xcbf43926u &&
	    crc32_update(crc32_update(0, "1234", 4), "56789", 5) == 0xcbf43926u,
	    "CRC-32 of \"123456789\" is the check value, in one piece or two");

	ok(pack_put(&a, 1, 100, 5, body, 100) == 0, "a body is stored");
	ok(pack_put(&a, 2, 200, 5, body, 200) == 0 && pack_put(&b, 1, 300, 5, body, 300) == 0,
	    "and two more, of two folders");
	ok(pack_meta_put(&a, "listing", "L1", 2, 0) == 0 &&
	    pack_meta_put(&a, "listing", "L2x", 3, 0) == 0, "a value, then another");
	ok(pack_meta_put(&a, "aliases", "+1 x", 5, 1) == 0 &&
	    pack_meta_put(&a, "aliases", "-1", 3, 1) == 0, "a journal of two records");
	ok(pack_begin(150000, &res) == 0 && pack_write(&res, body, 100000) == 0 &&
	    pack_write(&res, body, 50000) == 0 && pack_commit(&res, &a, 3, 0, 5) == 0,
	    "a large body written as it comes");
	ok(pack_begin(5000, &res) == 0 && pack_write(&res, body, 10) == 0, "one begun");
	pack_abort(&res);
	ok(pack_put(&b, 2, 0, 5, body, 400) == 0, "and one more after the one abandoned");
	reopen(1ull << 30);
	ok(has(&a, 1, 100) && has(&a, 2, 200) && has(&a, 3, 150000) && has(&b, 1, 300) &&
	    has(&b, 2, 400), "reopened: every body is there, CRCs right");
	ok(meta_is(&a, "listing", "L2x", 3), "the latest value wins");
	ok(meta_is(&a, "aliases", "+1 x\0-1", 8), "the journal reads in order");
	pthread_mutex_lock(&cache_lock);
	ok(pack_find_locked(&a, 9, &pb) == ENOENT, "a UID never stored is not there");
	pthread_mutex_unlock(&cache_lock);

	ok(pack_drop(&a) == 0, "a generation dropped");
	ok(!has(&a, 1, 100) && meta_is(&a, "listing", NULL, 0), "is gone at once");
	reopen(1ull << 30);
	ok(!has(&a, 1, 100) && !has(&a, 3, 150000) && meta_is(&a, "aliases", NULL, 0),
	    "and after a reopen");
	ok(has(&b, 1, 300), "the other folder stays");

	/* A torn tail: the last record cut in the middle. */
	ok(pack_put(&b, 3, 0, 5, body, 1000) == 0, "a body to tear");
	newest(path, sizeof(path));
	before = file_size(path);
	ok(truncate(path, (off_t)(before - 500)) == 0, "torn");
	reopen(1ull << 30);
	ok(!has(&b, 3, 1000) && has(&b, 2, 400), "the torn record is gone, those before stay");
	ok(file_size(path) == before - 1000 - 64, "the tail is cut off");
	ok(pack_put(&b, 3, 0, 5, body, 1000) == 0 && has(&b, 3, 1000), "and written again");

	/* A flipped byte in a body. */
	pthread_mutex_lock(&cache_lock);
	pack_find_locked(&b, 2, &pb);
	pthread_mutex_unlock(&cache_lock);
	snprintf(path, sizeof(path), "%s/packs/%08u", dir, (unsigned)pb.seg);
	fd = open(path, O_RDWR);
	c = 'M';
	ok(fd != -1 && pwrite(fd, &c, 1, (off_t)pb.off + 10) == 1, "a byte flipped");
	close(fd);
	ok(!has(&b, 2, 400), "its CRC fails");

	/* Eviction: 256 KiB, segments of 16 KiB. */
	reopen(256 << 10);
	ok(pack_meta_put(&b, "listing", "keep me", 7, 0) == 0, "a value before many bodies");
	for (uid = 100; uid < 300; uid++)
		if (pack_put(&b, uid, 0, 5, body, 4000) != 0)
			break;
	ok(uid == 300, "200 bodies of 4000 bytes stored under 256 KiB");
	ok(pack_bytes() <= (256 << 10) + (16 << 10), "the store stays near its bound: %llu",
	    (unsigned long long)pack_bytes());
	ok(!has(&b, 100, 4000) && has(&b, 299, 4000), "the oldest went, the newest stay");
	ok(meta_is(&b, "listing", "keep me", 7), "the value lives on");
	reopen(256 << 10);
	ok(meta_is(&b, "listing", "keep me", 7) && has(&b, 299, 4000) && !has(&b, 100, 4000),
	    "and after a reopen");
	pack_close();
	snprintf(path, sizeof(path), "rm -rf '%s'", dir);
	(void)system(path);
	return done_testing();
}
