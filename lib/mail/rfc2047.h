/*
 * RFC 2047 encoded words to UTF-8, and the growing string the header
 * readers (header.c) build their results in.  Internal to libmailfs.
 *
 * mail/ (the message as a user writes it; depends on nothing of ours
 * but transport/: the error convention, strparse).
 */
#ifndef MAILFS_RFC2047_H
#define MAILFS_RFC2047_H

#include <stddef.h>

/* A string being built: NUL-terminated while it grows; failed: out of memory. */
struct text {
	char *s;
	size_t len;
	size_t cap;
	int failed;
};

void text_add(struct text *t, const char *p, size_t n);
/* Hands t->s to the caller (NULL when it failed: out of memory). */
char *text_take(struct text *t);

/*
 * Appends the len bytes at p, a phrase or unstructured text already
 * unfolded, to t with its encoded words decoded (white space between two
 * encoded words dropped, RFC 2047 6.2) and every byte made valid UTF-8.
 */
void rfc2047_decode(struct text *t, const char *p, size_t len);

/*
 * Appends s (n bytes) to t as valid UTF-8 without NUL or control
 * characters: each invalid byte as U+FFFD, each control character
 * (C0, DEL, C1) and white space run as one space.
 */
void utf8_clean(struct text *t, const char *s, size_t n);

#endif
