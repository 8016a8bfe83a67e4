/*
 * PLAIN (RFC 4616) and LOGIN (draft-murchison-sasl-login) as SASL
 * mechanisms (see <mailfs/sasl.h>), for any of the protocol clients.
 */
#include <stdlib.h>
#include <string.h>

#include <mailfs/sasl.h>

#include "sasl_wire.h"

/* A new buffer holding s without its NUL; 0 or -1. */
static int
copy(const char *s, unsigned char **response_r, size_t *len_r)
{
	size_t len = strlen(s);
	unsigned char *p;

	if ((p = malloc(len + 1)) == NULL)
		return -1;
	memcpy(p, s, len);
	*response_r = p;
	*len_r = len;
	return 0;
}

/* "\0user\0password" as the initial response; nothing after (RFC 4616). */
int
mailfs_sasl_plain_step(void *ctx, unsigned step,
    const unsigned char *challenge, size_t challenge_len,
    unsigned char **response_r, size_t *len_r)
{
	const struct mailfs_sasl_password *cr = ctx;

	(void)challenge;
	(void)challenge_len;
	*response_r = NULL;
	*len_r = 0;
	if (step > 0)
		return 0;
	return sasl_plain(cr->user, cr->password, response_r, len_r);
}

/* No initial response; the user name, then the password. */
int
mailfs_sasl_login_step(void *ctx, unsigned step,
    const unsigned char *challenge, size_t challenge_len,
    unsigned char **response_r, size_t *len_r)
{
	const struct mailfs_sasl_password *cr = ctx;
	const char *what;

	(void)challenge;
	(void)challenge_len;
	*response_r = NULL;
	*len_r = 0;
	if (step == 0 || step > 2)
		return 0;
	what = step == 1 ? cr->user : cr->password;
	return copy(what, response_r, len_r);
}
