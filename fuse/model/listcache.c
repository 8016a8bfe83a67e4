/*
 * The saved listing of a folder (see listcache.h).  The value: a header,
 * the keyword sets 1..nkw-1 each ended by a NUL, then the struct msg
 * array as it is in memory.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "folder.h"
#include "listcache.h"

/* MFSLIST1 had no seen_* marks: refused, so that no listing goes unchecked. */
#define LISTCACHE_MAGIC		"MFSLIST2"
/* Bounds on what a file may claim, far above any real folder. */
#define LISTCACHE_MAX_MSGS	(1ul << 26)
#define LISTCACHE_MAX_KWBYTES	(16ul << 20)
#define LISTCACHE_MAX_KWLEN	1023

struct listcache_header {
	char magic[8];
	uint32_t msg_size;	/* sizeof(struct msg) of the build that wrote it */
	uint32_t nkw;
	uint64_t n;
	uint64_t kw_bytes;
	uint32_t uidvalidity;
	uint32_t uidnext;
	uint64_t modseq;
	uint32_t seen_uidnext;
	uint32_t pad;
	uint64_t seen_modseq;
};

int
listcache_encode(const struct listcache *lc, void **data_r, size_t *len_r)
{
	struct listcache_header h;
	size_t len, off, l;
	uint32_t i;
	char *buf;

	memset(&h, 0, sizeof(h));
	memcpy(h.magic, LISTCACHE_MAGIC, sizeof(h.magic));
	h.msg_size = sizeof(struct msg);
	h.nkw = lc->nkw;
	h.n = lc->n;
	for (i = 1; i < lc->nkw; i++)
		h.kw_bytes += strlen(lc->kw[i]) + 1;
	h.uidvalidity = lc->uidvalidity;
	h.uidnext = lc->uidnext;
	h.modseq = lc->modseq;
	h.seen_uidnext = lc->seen_uidnext;
	h.seen_modseq = lc->seen_modseq;
	len = sizeof(h) + (size_t)h.kw_bytes + lc->n * sizeof(*lc->msgs);
	if ((buf = malloc(len)) == NULL)
		return ENOMEM;
	memcpy(buf, &h, sizeof(h));
	off = sizeof(h);
	for (i = 1; i < lc->nkw; i++) {
		l = strlen(lc->kw[i]) + 1;
		memcpy(buf + off, lc->kw[i], l);
		off += l;
	}
	if (lc->n > 0)
		memcpy(buf + off, lc->msgs, lc->n * sizeof(*lc->msgs));
	*data_r = buf;
	*len_r = len;
	return 0;
}

/* Splits the keyword block into lc->kw; 0, EINVAL when it is malformed, or ENOMEM. */
static int
split_keywords(struct listcache *lc, char *block, size_t len)
{
	size_t off = 0, l;
	uint32_t i;

	/* Each keyword set takes two bytes at least: no table of 2^32 for a few bytes. */
	if (lc->nkw - 1 > len / 2)
		return EINVAL;
	if ((lc->kw = calloc(lc->nkw, sizeof(*lc->kw))) == NULL)
		return ENOMEM;
	if ((lc->kw[0] = strdup("")) == NULL)
		return ENOMEM;
	for (i = 1; i < lc->nkw; i++) {
		l = strnlen(block + off, len - off);
		if (l == 0 || l == len - off || l > LISTCACHE_MAX_KWLEN)
			return EINVAL;
		if ((lc->kw[i] = strdup(block + off)) == NULL)
			return ENOMEM;
		off += l + 1;
	}
	return off == len ? 0 : EINVAL;
}

/* 1 when the messages are what a listing of this folder can hold. */
static int
msgs_consistent(const struct listcache *lc)
{
	size_t i;

	for (i = 0; i < lc->n; i++) {
		if (lc->msgs[i].uid == 0 || lc->msgs[i].kw >= lc->nkw ||
		    (lc->msgs[i].flags & ~(uint16_t)(FLAG_SEEN | FLAG_ANSWERED |
		    FLAG_FLAGGED | FLAG_DELETED | FLAG_DRAFT)) != 0)
			return 0;
		if (i > 0 && lc->msgs[i].uid <= lc->msgs[i - 1].uid)
			return 0;
		if (lc->uidnext != 0 && lc->msgs[i].uid >= lc->uidnext)
			return 0;
	}
	return 1;
}

/*
 * Reads a header that fits the value's length into *h and the
 * generation's fields of *lc (zeroed first): 0, or EINVAL (not a
 * listing this build wrote).
 */
static int
read_header(const void *data, size_t len, struct listcache_header *h, struct listcache *lc)
{
	memset(lc, 0, sizeof(*lc));
	if (len < sizeof(*h))
		return EINVAL;
	memcpy(h, data, sizeof(*h));
	if (memcmp(h->magic, LISTCACHE_MAGIC, sizeof(h->magic)) != 0 ||
	    h->msg_size != sizeof(struct msg) || h->nkw == 0 ||
	    h->n > LISTCACHE_MAX_MSGS || h->kw_bytes > LISTCACHE_MAX_KWBYTES ||
	    (uint64_t)len != sizeof(*h) + h->kw_bytes + h->n * sizeof(struct msg))
		return EINVAL;
	lc->uidvalidity = h->uidvalidity;
	lc->uidnext = h->uidnext;
	lc->modseq = h->modseq;
	lc->seen_uidnext = h->seen_uidnext;
	lc->seen_modseq = h->seen_modseq;
	return 0;
}

int
listcache_decode_marks(const void *data, size_t len, struct listcache *lc)
{
	struct listcache_header h;

	return read_header(data, len, &h, lc);
}

int
listcache_decode(const void *data, size_t len, struct listcache *lc)
{
	struct listcache_header h;
	const char *p = data;
	char *block = NULL;
	int e;

	if ((e = read_header(data, len, &h, lc)) != 0)
		return e;
	lc->nkw = h.nkw;
	lc->n = (size_t)h.n;
	e = ENOMEM;
	if ((block = malloc(h.kw_bytes + 1)) == NULL ||
	    (lc->msgs = malloc(lc->n > 0 ? lc->n * sizeof(*lc->msgs) : 1)) == NULL)
		goto out;
	memcpy(block, p + sizeof(h), (size_t)h.kw_bytes);
	if (lc->n > 0)
		memcpy(lc->msgs, p + sizeof(h) + h.kw_bytes, lc->n * sizeof(*lc->msgs));
	if ((e = split_keywords(lc, block, (size_t)h.kw_bytes)) != 0)
		goto out;
	if (!msgs_consistent(lc))
		e = EINVAL;
out:
	free(block);
	if (e != 0)
		listcache_clear(lc);
	return e;
}

void
listcache_clear(struct listcache *lc)
{
	uint32_t i;

	if (lc->kw != NULL)
		for (i = 0; i < lc->nkw; i++)
			free(lc->kw[i]);
	free(lc->kw);
	free(lc->msgs);
	memset(lc, 0, sizeof(*lc));
}
