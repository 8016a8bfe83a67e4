/*
 * Number parsing for untrusted text: explicit maximum, no sign, no
 * leading spaces, no overflow.  atoi, strtoul and sscanf are not used on
 * server data.  Internal to libmailfs.
 *
 * transport/ (shared by every protocol, depends on nothing of ours).
 */
#ifndef MAILFS_STRPARSE_H
#define MAILFS_STRPARSE_H

#include <stddef.h>
#include <stdint.h>

/*
 * Parses the whole of s[0..len) as a decimal number <= max.  Returns 0 and
 * sets *n_r, or -1 (empty, a non-digit, or over max).  Leading zeros are
 * accepted.
 */
int str_to_u64(const char *s, size_t len, uint64_t max, uint64_t *n_r);
int str_to_u32(const char *s, size_t len, uint32_t max, uint32_t *n_r);

/* An IMAP nz-number (1..4294967295). */
int str_to_nz32(const char *s, size_t len, uint32_t *n_r);

/*
 * Parses an IMAP date-time "dd-Mon-yyyy hh:mm:ss +zzzz" (the day may be
 * space-padded) to seconds since the epoch, UTC.  Returns 0 or -1.
 */
int str_to_imap_datetime(const char *s, size_t len, int64_t *t_r);

/* Formats t as an IMAP date-time in UTC ("+0000"); out holds at least 27 bytes. */
void imap_datetime_format(int64_t t, char out[32]);

/*
 * 1 when list, words separated by spaces (NULL: none), holds word,
 * compared case-insensitively; else 0.
 */
int str_word_in(const char *list, const char *word);

/* ASCII case-insensitive comparison of s[0..len) with the NUL-terminated lit. */
int str_eq_ci(const char *s, size_t len, const char *lit);

/* The value of the hex digit c (either case), or -1 when it is none. */
int str_hex_digit(unsigned char c);

#endif
