/*
 * PLAIN (RFC 4616) and LOGIN (draft-murchison-sasl-login) as SASL
 * mechanisms (see <mailfs/sasl.h>), for any of the protocol clients.
 */
#include <stdlib.h>
#include <string.h>

#include <mailfs/sasl.h>

/* A new buffer holding a[0..alen) then b[0..blen); 0 or -1. */
static int
concat(const void *a, size_t alen, const void *b, size_t blen,
    unsigned char **response_r, size_t *len_r)
{
	unsigned char *p;

	if ((p = malloc(alen + blen + 1)) == NULL)
		return -1;
	memcpy(p, a, alen);
	memcpy(p + alen, b, blen);
	*response_r = p;
	*len_r = alen + blen;
	return 0;
}

/* "\0user\0password" as the initial response; nothing after (RFC 4616). */
int
mailfs_sasl_plain_step(void *ctx, unsigned step,
    const unsigned char *challenge, size_t challenge_len,
    unsigned char **response_r, size_t *len_r)
{
	const struct mailfs_sasl_password *cr = ctx;
	size_t ulen = strlen(cr->user);
	unsigned char *head;
	int rc;

	(void)challenge;
	(void)challenge_len;
	*response_r = NULL;
	*len_r = 0;
	if (step > 0)
		return 0;
	if ((head = malloc(ulen + 2)) == NULL)
		return -1;
	head[0] = '\0';
	memcpy(head + 1, cr->user, ulen);
	head[1 + ulen] = '\0';
	rc = concat(head, ulen + 2, cr->password, strlen(cr->password),
	    response_r, len_r);
	free(head);
	return rc;
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
	return concat(what, strlen(what), "", 0, response_r, len_r);
}
