/*
 * libFuzzer target for fuse/names.c: the one place where a name from
 * the server becomes a path component.
 *
 *	make fuzz-names && tests/fuzz/fuzz_names -max_total_time=60 CORPUS
 *
 * Input: byte 0 is the hierarchy delimiter for names_split() (0: none),
 * the rest a mailbox name or level.  Whatever names_encode() and
 * names_split() produce is one harmless component: never empty, "." or
 * "..", never holding "/" or NUL, never longer than 255 bytes, never a
 * message file name; names_decode() gives the level back byte for byte;
 * what names_decode() accepts encodes back to itself; split levels joined
 * with the delimiter are the mailbox name again.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "names.h"

#define CHECK(c)	do { if (!(c)) abort(); } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *buf, size_t size);

static void
harmless(const char *comp)
{
	size_t len = strnlen(comp, NAMES_COMPONENT_MAX + 1);
	uint32_t uid, uidvalidity;

	CHECK(len > 0 && len <= NAMES_COMPONENT_MAX);
	CHECK(strchr(comp, '/') == NULL);
	CHECK(strcmp(comp, ".") != 0 && strcmp(comp, "..") != 0);
	/* A folder never takes the name of a message file. */
	CHECK(names_msg_uid(comp, &uidvalidity, &uid) != 0);
	(void)uidvalidity;
}

/* Encodes level[0..len), checks the result, decodes it back. */
static void
encode(const char *level, size_t len)
{
	char out[NAMES_COMPONENT_MAX + 1], back[4096];
	int r;

	if ((r = names_encode(level, len, out)) != 0) {
		CHECK(r == EINVAL || r == ENAMETOOLONG);
		CHECK((r == EINVAL) == (len == 0 || memchr(level, '\0', len) != NULL));
		return;
	}
	CHECK(len > 0 && memchr(level, '\0', len) == NULL);
	harmless(out);
	CHECK(names_decode(out, back, sizeof(back)) == 0);
	CHECK(strlen(back) == len && memcmp(back, level, len) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *buf, size_t size)
{
	char out[NAMES_COMPONENT_MAX + 1], back[4096], *name, *joined, **comps;
	char delim;
	size_t len, n, i, off;

	if (size < 1)
		return 0;
	delim = (char)buf[0];
	len = size - 1;
	encode((const char *)buf + 1, len);

	if ((name = malloc(len + 1)) == NULL)
		return 0;
	memcpy(name, buf + 1, len);
	name[len] = '\0';

	/* What decodes is exactly what encode makes of the result. */
	if (names_decode(name, back, sizeof(back)) == 0) {
		CHECK(names_encode(back, strlen(back), out) == 0);
		CHECK(strcmp(out, name) == 0);
	}

	if (names_split(name, delim, &comps, &n) == 0) {
		CHECK(n > 0);
		CHECK((joined = malloc(strlen(name) + 1)) != NULL);
		off = 0;
		for (i = 0; i < n; i++) {
			harmless(comps[i]);
			CHECK(names_decode(comps[i], back, sizeof(back)) == 0);
			CHECK(off + strlen(back) + (i > 0) <= strlen(name));
			if (i > 0)
				joined[off++] = delim;
			memcpy(joined + off, back, strlen(back));
			off += strlen(back);
		}
		joined[off] = '\0';
		CHECK(off == strlen(name));
		/* The first level "INBOX" is INBOX in any case. */
		if (strncasecmp(joined, "INBOX", 5) == 0 &&
		    (joined[5] == '\0' || joined[5] == delim))
			CHECK(strncasecmp(name, "INBOX", 5) == 0 &&
			    strcmp(joined + 5, name + 5) == 0);
		else
			CHECK(strcmp(joined, name) == 0);
		free(joined);
		names_free(comps, n);
	}
	free(name);
	return 0;
}
