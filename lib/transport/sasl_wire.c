/*
 * Base64 through OpenSSL's block functions, and mechanism names (see
 * sasl_wire.h).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "sasl_wire.h"

char *
sasl_base64_encode(const unsigned char *p, size_t len)
{
	char *b64;

	if (len > INT32_MAX / 2 ||
	    (b64 = malloc(4 * ((len + 2) / 3) + 1)) == NULL)
		return NULL;
	EVP_EncodeBlock((unsigned char *)b64, p, (int)len);
	return b64;
}

int
sasl_base64_decode(const char *t, unsigned char **out_r, size_t *len_r)
{
	size_t len = strlen(t), pad = 0, n;
	unsigned char *out;

	if (len % 4 != 0 || len > INT32_MAX)
		return -1;
	if ((out = malloc(len / 4 * 3 + 1)) == NULL)
		return -1;
	/* EVP_DecodeBlock() accepts spaces around the text; base64 here has none. */
	if (len > 0 && (strspn(t, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstu"
	    "vwxyz0123456789+/=") != len ||
	    EVP_DecodeBlock(out, (const unsigned char *)t, (int)len) < 0)) {
		free(out);
		return -1;
	}
	while (pad < 2 && len > pad && t[len - 1 - pad] == '=')
		pad++;
	n = len / 4 * 3 - pad;
	out[n] = '\0';
	*out_r = out;
	*len_r = n;
	return 0;
}

int
sasl_mech_name_ok(const char *name)
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
