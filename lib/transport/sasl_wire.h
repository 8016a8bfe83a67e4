/*
 * What every SASL exchange (IMAP AUTHENTICATE, SMTP AUTH, POP3 AUTH)
 * puts on the wire: base64 (RFC 4648 4) and mechanism names.  Internal
 * to libmailfs.  The base64 functions return memory the caller owns
 * (free() it, after wiping it when it held a secret).
 */
#ifndef MAILFS_SASL_WIRE_H
#define MAILFS_SASL_WIRE_H

#include <stddef.h>

/* Base64 of p[0..len), NUL-terminated; NULL when out of memory. */
char *sasl_base64_encode(const unsigned char *p, size_t len);

/*
 * Decodes the NUL-terminated text (padded base64, no spaces) into a new
 * buffer of *len_r bytes (NUL-terminated, not counted); -1 when it is not
 * base64 or out of memory.  "" decodes to zero bytes.
 */
int sasl_base64_decode(const char *text, unsigned char **out_r, size_t *len_r);

/* RFC 4422 3.1: 1 to 20 of upper-case letters, digits, '-' and '_'. */
int sasl_mech_name_ok(const char *name);

#endif
