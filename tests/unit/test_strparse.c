/*
 * Unit tests for lib/transport/buf.c and lib/transport/strparse.c.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "../tap.h"
#include "buf.h"
#include "strparse.h"

static void
test_buf(void)
{
	struct buf b;
	char *s;
	size_t i;

	buf_init(&b, 10);
	ok(b.data == NULL && b.len == 0, "buf_init allocates nothing");
	ok(buf_append(&b, "hello", 5) == 0 && b.len == 5 &&
	    strcmp(b.data, "hello") == 0, "append");
	ok(buf_append_str(&b, "world") == 0 && b.len == 10 &&
	    strcmp(b.data, "helloworld") == 0, "append up to max");
	errno = 0;
	ok(buf_append(&b, "x", 1) == -1 && errno == E2BIG && b.len == 10 &&
	    strcmp(b.data, "helloworld") == 0, "past max: E2BIG, unchanged");
	ok(b.cap <= b.max, "cap never over max");
	buf_consume(&b, 3);
	ok(b.len == 7 && strcmp(b.data, "loworld") == 0, "consume");
	buf_consume(&b, 7);
	ok(b.len == 0 && b.data[0] == '\0', "consume all");
	errno = 0;
	ok(buf_printf(&b, "%d-%s", 42, "abcdefghij") == -1 && errno == E2BIG &&
	    b.len == 0, "printf past max");
	ok(buf_printf(&b, "%d-%s", 42, "ab") == 0 &&
	    strcmp(b.data, "42-ab") == 0, "printf");
	ok(buf_printf(&b, "%s", "") == 0 && b.len == 5, "empty printf");
	buf_reset(&b);
	ok(b.len == 0 && b.data != NULL && b.data[0] == '\0', "reset keeps storage");
	ok(buf_append(&b, "abc", 3) == 0, "append after reset");
	s = buf_steal(&b);
	ok(s != NULL && strcmp(s, "abc") == 0 && b.data == NULL && b.len == 0,
	    "steal");
	free(s);
	s = buf_steal(&b);
	ok(s != NULL && s[0] == '\0', "steal of empty is an allocated \"\"");
	free(s);
	ok(buf_append(&b, "", 0) == 0 && b.data != NULL && b.data[0] == '\0',
	    "empty append NUL-terminates");
	buf_free(&b);
	ok(b.data == NULL && b.max == 10, "free keeps max");

	/* many small appends: amortised growth, content intact */
	buf_init(&b, 100000);
	for (i = 0; i < 100000; i++)
		if (buf_append(&b, &"0123456789"[i % 10], 1) == -1)
			break;
	ok(i == 100000 && b.len == 100000 && b.data[99999] == '9' &&
	    b.data[100000] == '\0', "100000 one-byte appends");
	ok(buf_append(&b, "x", 1) == -1 && errno == E2BIG, "then full");
	buf_free(&b);

	buf_init(&b, 0);
	ok(buf_append(&b, "", 0) == 0 && buf_append(&b, "a", 1) == -1,
	    "max 0 holds nothing");
	buf_free(&b);
	buf_init(&b, SIZE_MAX);
	errno = 0;
	ok(buf_append(&b, "a", 1) == 0 &&
	    buf_append(&b, "a", SIZE_MAX) == -1, "SIZE_MAX append refused");
	buf_free(&b);
}

static void
test_numbers(void)
{
	static const struct {
		const char *s;
		uint64_t max;
		int ret;
		uint64_t n;
	} t[] = {
		{ "0", 10, 0, 0 },
		{ "10", 10, 0, 10 },
		{ "11", 10, -1, 0 },
		{ "007", 10, 0, 7 },
		{ "", 10, -1, 0 },
		{ "-1", 10, -1, 0 },
		{ "+1", 10, -1, 0 },
		{ " 1", 10, -1, 0 },
		{ "1 ", 10, -1, 0 },
		{ "1a", 10, -1, 0 },
		{ "18446744073709551615", UINT64_MAX, 0, UINT64_MAX },
		{ "18446744073709551616", UINT64_MAX, -1, 0 },
		{ "99999999999999999999999", UINT64_MAX, -1, 0 },
		{ "000000000000000000000000018446744073709551615", UINT64_MAX,
		    0, UINT64_MAX },
		{ "4294967295", UINT32_MAX, 0, 4294967295U },
		{ "4294967296", UINT32_MAX, -1, 0 },
		{ "5", 0, -1, 0 },
		{ "0", 0, 0, 0 },
	};
	size_t i;
	uint64_t n;
	uint32_t n32;
	int ret;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		n = 12345;
		ret = str_to_u64(t[i].s, strlen(t[i].s), t[i].max, &n);
		ok(ret == t[i].ret && (ret == -1 ? n == 12345 : n == t[i].n),
		    "str_to_u64(\"%s\", %llu)", t[i].s,
		    (unsigned long long)t[i].max);
	}
	ok(str_to_u64("123", 2, 100, &n) == 0 && n == 12, "length respected");
	ok(str_to_u64(NULL, 0, 100, &n) == -1, "NULL");
	ok(str_to_u32("4294967295", 10, UINT32_MAX, &n32) == 0 &&
	    n32 == UINT32_MAX, "u32 max");
	ok(str_to_u32("4294967296", 10, UINT32_MAX, &n32) == -1, "u32 over");
	ok(str_to_u32("100", 3, 99, &n32) == -1, "u32 explicit max");
	ok(str_to_nz32("0", 1, &n32) == -1, "nz32 0");
	ok(str_to_nz32("00", 2, &n32) == -1, "nz32 00");
	ok(str_to_nz32("1", 1, &n32) == 0 && n32 == 1, "nz32 1");
	ok(str_to_nz32("4294967295", 10, &n32) == 0, "nz32 max");
	ok(str_to_nz32("4294967296", 10, &n32) == -1, "nz32 over");

	ok(str_eq_ci("FETCH", 5, "fetch"), "eq_ci");
	ok(!str_eq_ci("FETC", 4, "fetch"), "eq_ci shorter");
	ok(!str_eq_ci("FETCHX", 6, "fetch"), "eq_ci longer");
	ok(str_eq_ci("", 0, ""), "eq_ci empty");
	ok(!str_eq_ci("a\0b", 3, "a"), "eq_ci NUL inside");
	ok(!str_eq_ci("\xc0", 1, "\xe0"), "eq_ci ASCII only");
	ok(str_eq_ci("[]", 2, "[]") && !str_eq_ci("{", 1, "["),
	    "eq_ci no case folding of punctuation");
}

static void
test_datetime(void)
{
	static const struct {
		const char *s;
		int ret;
		int64_t t;
	} t[] = {
		{ "17-Jul-1996 02:44:25 -0700", 0, 837596665 },
		{ "01-Jan-1970 00:00:00 +0000", 0, 0 },
		{ " 1-Jan-1970 00:00:00 +0000", 0, 0 },
		{ "01-jan-1970 01:00:00 +0100", 0, 0 },
		{ "31-Dec-1969 23:59:59 +0000", 0, -1 },
		{ "29-Feb-2000 12:00:00 +0000", 0, 951825600 },
		{ "29-Feb-2024 00:00:00 +0000", 0, 1709164800 },
		{ "19-Jan-2038 03:14:08 +0000", 0, 2147483648LL },
		{ "31-Dec-9999 23:59:59 +0000", 0, 253402300799LL },
		{ "01-Jan-0001 00:00:00 +0000", 0, -62135596800LL },
		{ "01-Mar-1900 00:00:00 -2359", 0, -2203804860LL },
		{ "29-Feb-1900 00:00:00 +0000", -1, 0 },
		{ "29-Feb-2023 00:00:00 +0000", -1, 0 },
		{ "31-Apr-2023 00:00:00 +0000", -1, 0 },
		{ "00-Jan-2023 00:00:00 +0000", -1, 0 },
		{ " 0-Jan-2023 00:00:00 +0000", -1, 0 },
		{ "32-Jan-2023 00:00:00 +0000", -1, 0 },
		{ "01-Foo-2023 00:00:00 +0000", -1, 0 },
		{ "01-Janu2023 00:00:00 +0000", -1, 0 },
		{ "01-Jan-2023 24:00:00 +0000", -1, 0 },
		{ "01-Jan-2023 23:60:00 +0000", -1, 0 },
		{ "01-Jan-2023 23:59:60 +0000", -1, 0 },
		{ "01-Jan-2023 00:00:00 +2400", -1, 0 },
		{ "01-Jan-2023 00:00:00 +0060", -1, 0 },
		{ "01-Jan-2023 00:00:00 0000", -1, 0 },
		{ "01-Jan-2023 00:00:00 *0000", -1, 0 },
		{ "01-Jan-2023 00:00:00 +000", -1, 0 },
		{ "01-Jan-2023 00:00:00 +00000", -1, 0 },
		{ "1-Jan-2023 00:00:00 +0000", -1, 0 },
		{ "01-Jan-23 00:00:00 +0000", -1, 0 },
		{ "01-Jan-2023T00:00:00 +0000", -1, 0 },
		{ "01-Jan-2023 0:00:00 +0000 ", -1, 0 },
		{ "+1-Jan-2023 00:00:00 +0000", -1, 0 },
		{ "", -1, 0 },
	};
	char out[32];
	size_t i;
	int64_t v;
	int ret;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		v = 42;
		ret = str_to_imap_datetime(t[i].s, strlen(t[i].s), &v);
		ok(ret == t[i].ret && (ret == -1 ? v == 42 : v == t[i].t),
		    "datetime \"%s\" -> %d %lld", t[i].s, ret, (long long)v);
	}
	imap_datetime_format(837596665, out);
	ok(strcmp(out, "17-Jul-1996 09:44:25 +0000") == 0, "format %s", out);
	imap_datetime_format(0, out);
	ok(strcmp(out, "01-Jan-1970 00:00:00 +0000") == 0, "format epoch");
	imap_datetime_format(-1, out);
	ok(strcmp(out, "31-Dec-1969 23:59:59 +0000") == 0, "format -1");
	imap_datetime_format(INT64_MAX, out);
	ok(strcmp(out, "31-Dec-9999 23:59:59 +0000") == 0, "format clamps high");
	imap_datetime_format(INT64_MIN, out);
	ok(strcmp(out, "01-Jan-0001 00:00:00 +0000") == 0, "format clamps low");
	/* round trip over four centuries, a day and a bit at a time */
	for (v = -12219292800LL; v < 13000000000LL; v += 86400 * 3 + 3607) {
		int64_t back;

		imap_datetime_format(v, out);
		if (strlen(out) != 26 ||
		    str_to_imap_datetime(out, 26, &back) == -1 || back != v)
			break;
	}
	ok(v >= 13000000000LL, "format/parse round trip (stopped at %lld: %s)",
	    (long long)v, out);
}

int
main(void)
{
	test_buf();
	test_numbers();
	test_datetime();
	return done_testing();
}
