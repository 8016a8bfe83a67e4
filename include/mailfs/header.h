/*
 * libmailfs: the fields of a received message's header as a person reads
 * them: the text of Subject: and of a From: display name with RFC 2047
 * encoded words decoded (and RFC 2231 5's language tags in them), the
 * Date: as a time, a field found by its name.
 *
 * The header is hostile data: every result is valid UTF-8 (bytes that
 * are not, in the source or after conversion, become U+FFFD), holds no
 * NUL, and is bounded: only the first MAILFS_HEADER_VALUE_MAX bytes of a
 * value are read.  Charsets: UTF-8, US-ASCII and ISO-8859-1 directly,
 * every other (ISO-8859-15, Windows-1252, ...) through iconv(3); a
 * charset iconv does not know keeps its ASCII and replaces the rest.
 * Nothing here allocates but the results; nothing here keeps state
 * (any thread may call).
 *
 * RFC 5322 2.2 (fields, folding), 3.3 (date-time, with 4.3's obsolete
 * zones and years), 3.4 (display names); RFC 2047 2, 4, 5, 6.2 (encoded
 * words, adjacent words joined); RFC 2231 5 (charset*language).
 */
#ifndef MAILFS_HEADER_H
#define MAILFS_HEADER_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The most bytes of one field's value read; the rest is ignored. */
#define MAILFS_HEADER_VALUE_MAX	(16 * 1024)

/*
 * The value of the first field called name (any case) in the header hdr
 * (len bytes; lines ending in LF or CRLF; it ends at the first empty
 * line or at len): 1 with *val_r and *vlen_r the raw value in hdr (after
 * the colon, folded lines and line ends included), 0 when there is none.
 */
int mailfs_header_find(const char *hdr, size_t len, const char *name,
    const char **val_r, size_t *vlen_r);

/*
 * An unstructured value (Subject:) as text: unfolded, encoded words
 * decoded, white space runs and control characters as one space,
 * trimmed.  *out_r is the caller's (free()), NUL-terminated UTF-8.
 * 0, or -1 when out of memory.
 */
int mailfs_header_text(const char *val, size_t len, char **out_r);

/*
 * Who sent it, for a person: the display name of a From: value's first
 * mailbox ("Anna Berger" <a@b>; a@b (Anna Berger)), decoded as
 * mailfs_header_text() does, else its addr-spec, else the value as text.
 * *out_r is the caller's (free()).  0, or -1 when out of memory.
 */
int mailfs_header_from_name(const char *val, size_t len, char **out_r);

/*
 * A Date: value as seconds since the epoch (its zone applied): 0 with
 * *t_r, or -1 when it is no RFC 5322 date-time (obsolete forms read).
 */
int mailfs_header_date(const char *val, size_t len, int64_t *t_r);

/*
 * The value trimmed of folding and surrounding white space into a new
 * string (Message-ID:, for a person or a script), control characters
 * as spaces, invalid UTF-8 replaced.  *out_r is the caller's (free()).
 * 0, or -1 when out of memory.
 */
int mailfs_header_raw(const char *val, size_t len, char **out_r);

#ifdef __cplusplus
}
#endif

#endif
