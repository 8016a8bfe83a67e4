/*
 * libmailfs: modified UTF-7, the encoding of IMAP mailbox names
 * (RFC 3501 5.1.3).
 *
 * Both directions are strict: what the other direction would not produce
 * is refused, so that every mailbox has exactly one UTF-8 name and back.
 */
#ifndef MAILFS_UTF7_H
#define MAILFS_UTF7_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Encodes the len bytes of UTF-8 at utf8 as modified UTF-7.  Returns 0 and
 * sets *out_r to a NUL-terminated string the caller frees with free(), or
 * -1 with errno EILSEQ (not valid UTF-8: overlong forms, surrogates, code
 * points above U+10FFFF, a NUL byte, truncated sequences) or ENOMEM.
 */
int mailfs_utf7_encode(const char *utf8, size_t len, char **out_r);

/*
 * Decodes the len bytes of modified UTF-7 at utf7 to UTF-8.  Returns 0 and
 * sets *out_r to a NUL-terminated string the caller frees with free(), or
 * -1 with errno EILSEQ or ENOMEM.  Refused as EILSEQ: bytes outside
 * 0x20-0x7e, an unterminated "&" shift, base64 outside the modified
 * alphabet, non-zero padding bits, a shift that encodes a printable ASCII
 * character or is empty ("&-" is the only form of "&"), two adjacent
 * shifts, unpaired surrogates, and U+0000.
 */
int mailfs_utf7_decode(const char *utf7, size_t len, char **out_r);

#ifdef __cplusplus
}
#endif

#endif
