/*
 * A growable byte buffer with a ceiling fixed at init (see buf.h).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

#define BUF_MIN_CAP	64

void
buf_init(struct buf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
}

/*
 * Makes room for extra more bytes plus the terminating NUL.  Grows by
 * doubling so that many small appends cost O(n) in all, never past max.
 */
static int
buf_reserve(struct buf *b, size_t extra)
{
	size_t need, cap;
	char *p;

	if (extra > b->max || b->len > b->max - extra) {
		errno = E2BIG;
		return -1;
	}
	need = b->len + extra;
	if (b->data != NULL && need <= b->cap)
		return 0;
	cap = b->cap < BUF_MIN_CAP ? BUF_MIN_CAP : b->cap;
	while (cap < need) {
		if (cap > b->max / 2) {
			cap = b->max;
			break;
		}
		cap *= 2;
	}
	if (cap > b->max)
		cap = b->max;
	if (cap == (size_t)-1) {
		errno = ENOMEM;
		return -1;
	}
	p = realloc(b->data, cap + 1);
	if (p == NULL) {
		errno = ENOMEM;
		return -1;
	}
	b->data = p;
	b->cap = cap;
	return 0;
}

int
buf_append(struct buf *b, const void *data, size_t len)
{
	if (buf_reserve(b, len) == -1)
		return -1;
	if (len > 0)
		memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
	return 0;
}

int
buf_append_str(struct buf *b, const char *s)
{
	return buf_append(b, s, strlen(s));
}

int
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		errno = EINVAL;
		return -1;
	}
	if (buf_reserve(b, (size_t)n) == -1)
		return -1;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

int
buf_append_word_upper(struct buf *b, const char *word, size_t len)
{
	size_t i;
	char ch;

	if (buf_append(b, " ", 1) == -1)
		return -1;
	for (i = 0; i < len; i++) {
		ch = word[i] >= 'a' && word[i] <= 'z' ?
		    (char)(word[i] - 'a' + 'A') : word[i];
		if (buf_append(b, &ch, 1) == -1)
			return -1;
	}
	return 0;
}

void
buf_consume(struct buf *b, size_t n)
{
	if (n >= b->len) {
		buf_reset(b);
		return;
	}
	memmove(b->data, b->data + n, b->len - n);
	b->len -= n;
	b->data[b->len] = '\0';
}

void
buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->data != NULL)
		b->data[0] = '\0';
}

void
buf_free(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}

char *
buf_steal(struct buf *b)
{
	char *s;

	if (b->data == NULL) {
		s = malloc(1);
		if (s == NULL) {
			errno = ENOMEM;
			return NULL;
		}
		s[0] = '\0';
		return s;
	}
	s = b->data;
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	return s;
}
