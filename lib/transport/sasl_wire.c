/*
 * SASL on the wire: helpers shared by the IMAP, SMTP and POP3 clients,
 * and the AUTH exchange of SMTP and POP3 (see sasl_wire.h).  RFC 4422 5, RFC 4954 4, RFC 5034 4.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "buf.h"
#include "errors.h"
#include "sasl_wire.h"

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

/*
 * 1 when t is base64 with '=' only as its last one or two bytes.
 * EVP_DecodeBlock() alone is not enough: it skips leading and trailing
 * white space (and writes fewer bytes than len / 4 * 3, the rest of the
 * buffer left uninitialised) and takes '=' in the middle.
 */
static int
is_base64(const char *t, size_t len)
{
	size_t i, pad = 0;
	unsigned char ch;

	while (pad < 2 && len > pad && t[len - 1 - pad] == '=')
		pad++;
	for (i = 0; i < len - pad; i++) {
		ch = (unsigned char)t[i];
		if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
		    (ch >= '0' && ch <= '9') || ch == '+' || ch == '/'))
			return 0;
	}
	return 1;
}

int
sasl_unbase64(const char *t, size_t len, unsigned char **out_r, size_t *len_r)
{
	unsigned char *out;
	size_t pad = 0;

	if (len % 4 != 0 || len > INT32_MAX || !is_base64(t, len))
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

/* ---- the exchange ---- */

/*
 * Sends a response (base64) on a line of its own, or after "AUTH NAME "
 * when prefix is not NULL.  An empty response is "=" on the AUTH line
 * and an empty line after a challenge (RFC 4954 4, RFC 5034 4):
 * XOAUTH2's answer to its error challenge is one.  0 or -1.
 */
static int
send_response(const struct sasl_io *io, const char *prefix,
    const unsigned char *resp, size_t len)
{
	struct buf line;
	char *b64 = NULL;
	char shown[96];
	int rc = -1;

	buf_init(&line, SASL_RESPONSE_MAX * 2);
	if (len > 0 && (b64 = sasl_base64(resp, len)) == NULL) {
		error_set_sys(io->err, ENOMEM, "AUTH");
		return -1;
	}
	if ((prefix != NULL && (buf_append_str(&line, prefix) == -1 ||
	    buf_append(&line, " ", 1) == -1)) ||
	    buf_append_str(&line, b64 != NULL ? b64 : prefix != NULL ?
	    "=" : "") == -1) {
		error_set_sys(io->err, ENOMEM, "AUTH");
		goto out;
	}
	snprintf(shown, sizeof(shown), "%s%s***", prefix != NULL ? prefix : "",
	    prefix != NULL ? " " : "");
	rc = io->send(io->ctx, line.data, shown);
out:
	if (b64 != NULL) {
		sasl_wipe(b64, strlen(b64));
		free(b64);
	}
	if (line.data != NULL)
		sasl_wipe(line.data, line.len);
	buf_free(&line);
	return rc;
}

/*
 * Cancels the exchange ("*") and reads the server's answer; err kept.
 * Anything but a refusal (another challenge, or success) leaves the
 * server somewhere the client is not: dropped.
 */
static void
cancel(const struct sasl_io *io)
{
	struct mailfs_error err = *io->err;
	const char *t;
	size_t n;

	if (io->send(io->ctx, "*", NULL) == 0 &&
	    io->next(io->ctx, &t, &n) != SASL_REFUSED)
		io->drop(io->ctx);
	*io->err = err;
}

int
sasl_exchange(const struct sasl_io *io, const char *name,
    sasl_step_fn *step_fn, void *step_ctx)
{
	unsigned char *resp = NULL, *chal = NULL;
	size_t rlen = 0, clen = 0, tlen;
	const char *text;
	char cmd[96];
	unsigned step;
	int rc = -1, held;

	snprintf(cmd, sizeof(cmd), "AUTH %s", name);
	if (step_fn(step_ctx, 0, NULL, 0, &resp, &rlen) == -1 ||
	    rlen > SASL_RESPONSE_MAX) {
		error_set(io->err, MAILFS_ERR_USAGE, "the %s mechanism "
		    "failed to make its response", name);
		goto out;
	}
	/* The initial response rides on the line when the line stays short. */
	held = resp != NULL && strlen(cmd) + 1 + 4 * ((rlen + 2) / 3) + 2 >
	    io->line_max;
	if (resp != NULL && !held) {
		if (send_response(io, cmd, resp, rlen) == -1)
			goto out;
	} else if (io->send(io->ctx, cmd, NULL) == -1)
		goto out;
	if (!held)
		sasl_free_secret(&resp, rlen);
	for (step = 1;; step++) {
		switch (io->next(io->ctx, &text, &tlen)) {
		case SASL_DONE:
			rc = 0;
			goto out;
		case SASL_CHALLENGE:
			break;
		default:
			goto out;
		}
		if (step > SASL_STEPS_MAX) {
			error_set(io->err, MAILFS_ERR_PROTOCOL, "the %s server "
			    "sent too many AUTH challenges", io->proto);
			cancel(io);
			goto out;
		}
		if (held) {
			held = 0;
		} else {
			if (sasl_unbase64(text, tlen, &chal, &clen) == -1) {
				error_set(io->err, MAILFS_ERR_PROTOCOL, "the %s "
				    "server sent a challenge that is not "
				    "base64", io->proto);
				cancel(io);
				goto out;
			}
			rc = step_fn(step_ctx, step, chal, clen, &resp, &rlen);
			sasl_free_secret(&chal, clen);
			if (rc == -1 || resp == NULL ||
			    rlen > SASL_RESPONSE_MAX) {
				rc = -1;
				error_set(io->err, MAILFS_ERR_AUTH, "the %s "
				    "mechanism gave up after the server's "
				    "challenge %u", name, step);
				cancel(io);
				goto out;
			}
		}
		rc = send_response(io, NULL, resp, rlen);
		sasl_free_secret(&resp, rlen);
		if (rc == -1)
			goto out;
		rc = -1;
	}
out:
	sasl_free_secret(&resp, rlen);
	sasl_free_secret(&chal, clen);
	return rc;
}
