/*
 * A growable byte buffer with a ceiling fixed when it is created, so that
 * no amount of server data can make it grow past what the caller allowed.
 * Internal to libmailfs.
 *
 * transport/ (shared by every protocol, depends on nothing of ours).
 */
#ifndef MAILFS_BUF_H
#define MAILFS_BUF_H

#include <stddef.h>

struct buf {
	char *data;	/* always NUL-terminated after data[len] when data != NULL */
	size_t len;
	size_t cap;	/* allocated, excluding the terminating NUL */
	size_t max;	/* len never exceeds this */
};

/* Starts an empty buffer that may hold up to max bytes. No allocation. */
void buf_init(struct buf *b, size_t max);

/*
 * Appends len bytes.  Returns 0, or -1 with errno E2BIG (over max; nothing
 * appended) or ENOMEM.
 */
int buf_append(struct buf *b, const void *data, size_t len);
int buf_append_str(struct buf *b, const char *s);
/* printf-style append; same errors. */
int buf_printf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * Appends a space and the len bytes of word, ASCII letters upper-cased:
 * lists of keywords (" PLAIN LOGIN ") for str_word_in().  Same errors.
 */
int buf_append_word_upper(struct buf *b, const char *word, size_t len);

/* Drops the first n bytes (n <= len), keeping the rest. */
void buf_consume(struct buf *b, size_t n);

/* Empties without freeing. */
void buf_reset(struct buf *b);

/* Frees the storage; the buffer is empty and reusable with the same max. */
void buf_free(struct buf *b);

/*
 * Hands the storage to the caller (who frees it with free()) and empties
 * the buffer.  Returns "" allocated when the buffer was empty; NULL only
 * when out of memory.
 */
char *buf_steal(struct buf *b);

#endif
