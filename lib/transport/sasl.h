/*
 * What every protocol's SASL exchange (SMTP AUTH, POP3 AUTH) shares:
 * base64 both ways, the PLAIN response, the check of a mechanism's name,
 * and the wiping of secrets.  Internal to libmailfs.
 *
 * RFC 4422 3.1 (mechanism names), RFC 4616 (PLAIN), RFC 4648 (base64).
 *
 * transport/ (shared by every protocol; depends on nothing of ours).
 */
#ifndef MAILFS_SASL_H
#define MAILFS_SASL_H

#include <stddef.h>

/* The longest user name or password accepted; longer is a mistake. */
#define SASL_CREDENTIAL_MAX	1024

/* Overwrites a secret so that it does not linger in freed memory. */
void sasl_wipe(void *p, size_t len);

/* Wipes len bytes of *p, frees it, sets *p to NULL; NULL is accepted. */
void sasl_free_secret(unsigned char **p, size_t len);

/* Base64 of len bytes, NUL-terminated, malloc'ed; NULL when out of memory. */
char *sasl_base64(const unsigned char *p, size_t len);

/*
 * Decodes len bytes of base64 into a new buffer (malloc'ed, the
 * caller's, NUL-terminated) and its length; -1 when t is not base64 or
 * memory runs out.
 */
int sasl_unbase64(const char *t, size_t len, unsigned char **out_r,
    size_t *len_r);

/*
 * PLAIN's response "\0user\0password" (RFC 4616), malloc'ed: the
 * caller's, to be freed with sasl_free_secret().  0, or -1 when out of
 * memory or a credential is longer than SASL_CREDENTIAL_MAX.
 */
int sasl_plain(const char *user, const char *password,
    unsigned char **response_r, size_t *len_r);

/* 1 for a SASL mechanism's name: 1 to 20 of A-Z, 0-9, '-', '_'. */
int sasl_valid_mech_name(const char *name);

#endif
