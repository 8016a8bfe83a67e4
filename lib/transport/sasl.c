/*
 * SASL helpers shared by the SMTP and POP3 clients (see sasl.h).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "sasl.h"

void
sasl_wipe(void *p, size_t len)
{
	OPENSSL_cleanse(p, len);
}

void
sasl_free_secret(unsigned char **p, size_t len)
{
	if (*p != NULL)
		sasl_wipe(*p, len);
	free(*p);
	*p = NULL;
}

char *
sasl_base64(const unsigned char *p, size_t len)
{
	char *b64;

	if ((b64 = malloc(4 * ((len + 2) / 3) + 1)) == NULL)
		return NULL;
	EVP_EncodeBlock((unsigned char *)b64, p, (int)len);
	return b64;
}

int
sasl_unbase64(const char *t, size_t len, unsigned char **out_r, size_t *len_r)
{
	unsigned char *out;
	size_t pad = 0;

	if (len % 4 != 0 || len > INT32_MAX)
		return -1;
	if ((out = malloc(len / 4 * 3 + 1)) == NULL)
		return -1;
	if (len > 0 && EVP_DecodeBlock(out, (const unsigned char *)t,
	    (int)len) < 0) {
		free(out);
		return -1;
	}
	while (pad < 2 && len > pad && t[len - 1 - pad] == '=')
		pad++;
	out[len / 4 * 3 - pad] = '\0';
	*out_r = out;
	*len_r = len / 4 * 3 - pad;
	return 0;
}

int
sasl_plain(const char *user, const char *password,
    unsigned char **response_r, size_t *len_r)
{
	size_t ulen = strlen(user), plen = strlen(password);
	unsigned char *p;

	if (ulen > SASL_CREDENTIAL_MAX || plen > SASL_CREDENTIAL_MAX)
		return -1;
	if ((p = malloc(ulen + plen + 3)) == NULL)
		return -1;
	p[0] = '\0';
	memcpy(p + 1, user, ulen);
	p[1 + ulen] = '\0';
	memcpy(p + 2 + ulen, password, plen);
	p[2 + ulen + plen] = '\0';
	*response_r = p;
	*len_r = ulen + plen + 2;
	return 0;
}

int
sasl_valid_mech_name(const char *name)
{
	size_t i;

	if (name == NULL)
		return 0;
	for (i = 0; name[i] != '\0'; i++)
		if (i >= 20 || !((name[i] >= 'A' && name[i] <= 'Z') ||
		    (name[i] >= '0' && name[i] <= '9') || name[i] == '-' ||
		    name[i] == '_'))
			return 0;
	return i > 0;
}
