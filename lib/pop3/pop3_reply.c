/*
 * POP3 status lines, listing lines and the id set (see pop3_reply.h).
 * RFC 1939 3, 5 and 7; RFC 2449 8; RFC 5034 4.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pop3_reply.h"
#include "strparse.h"

/* A response code's characters: printable, no space, no bracket. */
static int
code_char(char c)
{
	return c > 0x20 && c < 0x7f && c != '[' && c != ']';
}

int
pop3_status_parse(const char *line, size_t len, struct pop3_status *st_r)
{
	size_t w, i;

	memset(st_r, 0, sizeof(*st_r));
	if (len >= 3 && str_eq_ci(line, 3, "+OK")) {
		st_r->kind = POP3_OK;
		w = 3;
	} else if (len >= 4 && str_eq_ci(line, 4, "-ERR")) {
		st_r->kind = POP3_ERR;
		w = 4;
	} else if (len >= 1 && line[0] == '+') {
		st_r->kind = POP3_CONT;
		w = 1;
	} else
		return -1;
	if (w < len && line[w] != ' ')
		return -1;
	if (w < len)
		w++;
	st_r->text = line + w;
	st_r->text_len = len - w;
	if (st_r->kind == POP3_CONT || w >= len || line[w] != '[')
		return 0;
	for (i = w + 1; i < len && code_char(line[i]); i++)
		continue;
	if (i >= len || line[i] != ']' || i == w + 1 ||
	    i - w - 1 >= sizeof(st_r->code))
		return 0;	/* not a code: all of it is text */
	memcpy(st_r->code, line + w + 1, i - w - 1);
	st_r->code[i - w - 1] = '\0';
	for (i++; i < len && line[i] == ' '; i++)
		continue;
	st_r->text = line + i;
	st_r->text_len = len - i;
	return 0;
}

int
pop3_listing_parse(const char *line, size_t len, int uidl,
    uint32_t max_number, struct mailfs_pop3_item *item_r, char *uid,
    const char **why_r)
{
	size_t n, a, alen, i;
	uint64_t size;

	while (len > 0 && (line[len - 1] == ' ' || line[len - 1] == '\t'))
		len--;
	for (n = 0; n < len && line[n] != ' '; n++)
		continue;
	if (str_to_nz32(line, n, &item_r->number) == -1 ||
	    item_r->number > max_number) {
		*why_r = "a message number that is not one or out of range";
		return -1;
	}
	for (a = n; a < len && line[a] == ' '; a++)
		continue;
	for (alen = 0; a + alen < len && line[a + alen] != ' '; alen++)
		continue;
	if (alen == 0) {
		*why_r = uidl ? "a message without a unique id" :
		    "a message without a size";
		return -1;
	}
	if (!uidl) {
		/* RFC 1939 5 lets a server say more after the size. */
		if (str_to_u64(line + a, alen, UINT64_MAX, &size) == -1) {
			*why_r = "a size that is not a number";
			return -1;
		}
		item_r->uidl = NULL;
		item_r->size = size;
		return 0;
	}
	if (a + alen != len) {
		*why_r = "a unique id with a space";
		return -1;
	}
	if (alen > MAILFS_POP3_UIDL_MAX) {
		*why_r = "a unique id longer than 255 bytes";
		return -1;
	}
	for (i = 0; i < alen; i++)
		if ((unsigned char)line[a + i] < 0x21 ||
		    (unsigned char)line[a + i] > 0x7e) {
			*why_r = "a unique id with a byte outside 0x21..0x7e";
			return -1;
		}
	memcpy(uid, line + a, alen);
	uid[alen] = '\0';
	item_r->uidl = uid;
	item_r->size = 0;
	return 0;
}

/* ---- the id set: open addressing over the ids' bytes ---- */

/* FNV-1a: the ids are the server's, but a collision costs time only. */
static uint64_t
hash(const char *p, size_t len)
{
	uint64_t h = 14695981039346656037ULL;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)p[i];
		h *= 1099511628211ULL;
	}
	return h;
}

void
pop3_idset_init(struct pop3_idset *s, size_t max)
{
	memset(s, 0, sizeof(*s));
	s->max = max;
}

void
pop3_idset_free(struct pop3_idset *s)
{
	free(s->slots);
	free(s->bytes);
	free(s->offs);
	pop3_idset_init(s, s->max);
}

/* Doubles the table (and the index of ids); 0 or -1. */
static int
grow(struct pop3_idset *s)
{
	size_t n = s->nslots == 0 ? 64 : s->nslots * 2, i, j;
	uint32_t *slots, *offs;
	const char *id;

	if (n > SIZE_MAX / sizeof(*slots) / 2 ||
	    (slots = calloc(n, sizeof(*slots))) == NULL)
		return -1;
	if ((offs = realloc(s->offs, n / 2 * sizeof(*offs))) == NULL) {
		free(slots);
		return -1;
	}
	s->offs = offs;
	for (i = 0; i < s->count; i++) {
		id = s->bytes + s->offs[i];
		for (j = hash(id, strlen(id)) & (n - 1); slots[j] != 0;
		    j = (j + 1) & (n - 1))
			continue;
		slots[j] = (uint32_t)i + 1;
	}
	free(s->slots);
	s->slots = slots;
	s->nslots = n;
	return 0;
}

int
pop3_idset_add(struct pop3_idset *s, const char *id, size_t len)
{
	size_t j, cap;
	const char *old;
	char *bytes;

	if (s->count >= s->max || s->bytes_len + len + 1 > UINT32_MAX)
		return -1;
	if ((s->count + 1) * 2 > s->nslots && grow(s) == -1)
		return -1;
	for (j = hash(id, len) & (s->nslots - 1); s->slots[j] != 0;
	    j = (j + 1) & (s->nslots - 1)) {
		old = s->bytes + s->offs[s->slots[j] - 1];
		if (strlen(old) == len && memcmp(old, id, len) == 0)
			return 1;
	}
	if (s->bytes_len + len + 1 > s->bytes_cap) {
		cap = s->bytes_cap == 0 ? 4096 : s->bytes_cap;
		while (cap < s->bytes_len + len + 1)
			cap *= 2;
		if ((bytes = realloc(s->bytes, cap)) == NULL)
			return -1;
		s->bytes = bytes;
		s->bytes_cap = cap;
	}
	memcpy(s->bytes + s->bytes_len, id, len);
	s->bytes[s->bytes_len + len] = '\0';
	s->offs[s->count] = (uint32_t)s->bytes_len;
	s->bytes_len += len + 1;
	s->slots[j] = (uint32_t)++s->count;
	return 0;
}
