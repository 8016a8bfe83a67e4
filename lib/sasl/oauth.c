/*
 * OAuth2 bearer tokens as SASL mechanisms (see <mailfs/sasl.h>).
 *
 * RFC 7628 (OAUTHBEARER):
 *   client-resp = (gs2-header kvsep *kvpair kvsep) / kvsep
 *   gs2-header  = "n," [ "a=" saslname ] ","      ; RFC 5801
 *   kvpair      = key "=" value kvsep             ; kvsep = %x01
 * with the pairs host, port and auth ("Bearer " token).  XOAUTH2
 * (Google's and Microsoft's documentation):
 *   "user=" user %x01 "auth=Bearer " token %x01 %x01
 * A failure is a challenge holding a JSON object such as
 *   {"status":"invalid_token","scope":"...","openid-configuration":"..."}
 * which the client must answer (%x01, or an empty response for XOAUTH2)
 * before the server sends its final refusal.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <mailfs/sasl.h>

#include "sasl_wire.h"

#define USER_MAX	1024
#define STATUS_MAX	63

struct mailfs_oauth {
	enum mailfs_oauth_kind kind;
	char *user;
	char *token;
	char *host;
	char *port;
	int failed;			/* an error document came */
	char status[STATUS_MAX + 1];
};

/* Printable ASCII only: a byte below 0x20 would end a key-value pair. */
static int
printable(const char *s, size_t max)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] == 0x7f ||
		    i >= max)
			return 0;
	return 1;
}

struct mailfs_oauth *
mailfs_oauth_new(enum mailfs_oauth_kind kind, const char *user,
    const char *token, const char *host, const char *port)
{
	struct mailfs_oauth *o;

	if (user == NULL || token == NULL || *token == '\0' ||
	    !printable(user, USER_MAX) ||
	    !printable(token, MAILFS_OAUTH_TOKEN_MAX) ||
	    strchr(token, ' ') != NULL ||
	    (host != NULL && !printable(host, 255)) ||
	    (port != NULL && !printable(port, 5)) ||
	    (kind != MAILFS_OAUTH_BEARER && kind != MAILFS_OAUTH_XOAUTH2)) {
		errno = EINVAL;
		return NULL;
	}
	if ((o = calloc(1, sizeof(*o))) == NULL)
		return NULL;
	o->kind = kind;
	if ((o->user = strdup(user)) == NULL ||
	    (o->token = strdup(token)) == NULL ||
	    (host != NULL && (o->host = strdup(host)) == NULL) ||
	    (port != NULL && (o->port = strdup(port)) == NULL)) {
		mailfs_oauth_free(&o);
		errno = ENOMEM;
		return NULL;
	}
	return o;
}

void
mailfs_oauth_free(struct mailfs_oauth **op)
{
	struct mailfs_oauth *o;

	if (op == NULL || (o = *op) == NULL)
		return;
	if (o->token != NULL)
		sasl_wipe(o->token, strlen(o->token));
	free(o->token);
	free(o->user);
	free(o->host);
	free(o->port);
	free(o);
	*op = NULL;
}

const char *
mailfs_oauth_name(enum mailfs_oauth_kind kind)
{
	return kind == MAILFS_OAUTH_XOAUTH2 ? "XOAUTH2" : "OAUTHBEARER";
}

struct mailfs_sasl_mech
mailfs_oauth_mech(struct mailfs_oauth *o)
{
	struct mailfs_sasl_mech m;

	m.name = mailfs_oauth_name(o->kind);
	m.step = mailfs_oauth_step;
	m.ctx = o;
	return m;
}

const char *
mailfs_oauth_status(const struct mailfs_oauth *o)
{
	return o->failed ? o->status : NULL;
}

/* ---- the initial response ---- */

struct out {
	unsigned char *p;
	size_t len, cap;
};

static void
put(struct out *b, const char *s, size_t n)
{
	if (b->p == NULL || b->len + n > b->cap)
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

static void
puts_(struct out *b, const char *s)
{
	put(b, s, strlen(s));
}

/* RFC 5801 saslname: ',' and '=' become "=2C" and "=3D". */
static void
put_saslname(struct out *b, const char *s)
{
	for (; *s != '\0'; s++)
		if (*s == ',')
			puts_(b, "=2C");
		else if (*s == '=')
			puts_(b, "=3D");
		else
			put(b, s, 1);
}

static int
initial_response(const struct mailfs_oauth *o, unsigned char **response_r,
    size_t *len_r)
{
	struct out b;

	/* Room for the worst case: every user byte escaped, and the pairs. */
	b.cap = 3 * strlen(o->user) + strlen(o->token) + 64 +
	    (o->host != NULL ? strlen(o->host) : 0) +
	    (o->port != NULL ? strlen(o->port) : 0);
	b.len = 0;
	if ((b.p = malloc(b.cap)) == NULL)
		return -1;
	if (o->kind == MAILFS_OAUTH_XOAUTH2) {
		puts_(&b, "user=");
		puts_(&b, o->user);
		puts_(&b, "\001");
	} else {
		puts_(&b, "n,a=");
		put_saslname(&b, o->user);
		puts_(&b, ",\001");
		if (o->host != NULL) {
			puts_(&b, "host=");
			puts_(&b, o->host);
			puts_(&b, "\001");
		}
		if (o->port != NULL) {
			puts_(&b, "port=");
			puts_(&b, o->port);
			puts_(&b, "\001");
		}
	}
	puts_(&b, "auth=Bearer ");
	puts_(&b, o->token);
	puts_(&b, "\001\001");
	*response_r = b.p;
	*len_r = b.len;
	return 0;
}

/* ---- the error document ---- */

static const char *
skip_space(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
		p++;
	return p;
}

/*
 * Keeps the value of the top-level-looking key "status": a string (its
 * printable ASCII, escapes taken as the character after the backslash)
 * or a bare number.  A hostile document yields at most a short printable
 * string, never anything longer.
 */
static void
parse_status(struct mailfs_oauth *o, const char *doc, size_t len)
{
	const char *end = doc + len, *p;
	size_t n = 0;

	o->status[0] = '\0';
	for (p = doc; p + 8 <= end; p++) {
		if (memcmp(p, "\"status\"", 8) != 0)
			continue;
		p = skip_space(p + 8, end);
		if (p >= end || *p != ':')
			continue;
		p = skip_space(p + 1, end);
		if (p < end && *p == '"') {
			for (p++; p < end && *p != '"'; p++) {
				if (*p == '\\' && p + 1 < end)
					p++;
				if ((unsigned char)*p >= 0x20 &&
				    (unsigned char)*p < 0x7f && n < STATUS_MAX)
					o->status[n++] = *p;
			}
		} else
			for (; p < end && *p >= '0' && *p <= '9' &&
			    n < STATUS_MAX; p++)
				o->status[n++] = *p;
		break;
	}
	o->status[n] = '\0';
}

int
mailfs_oauth_step(void *ctx, unsigned step, const unsigned char *challenge,
    size_t challenge_len, unsigned char **response_r, size_t *len_r)
{
	struct mailfs_oauth *o = ctx;

	*response_r = NULL;
	*len_r = 0;
	if (step == 0) {
		o->failed = 0;
		o->status[0] = '\0';
		return initial_response(o, response_r, len_r);
	}
	/* An error document is answered once; a second one would loop. */
	if (o->failed)
		return -1;
	o->failed = 1;
	parse_status(o, (const char *)challenge, challenge_len);
	/* RFC 7628 3.2.3: a lone %x01; XOAUTH2 wants an empty response. */
	if ((*response_r = malloc(1)) == NULL)
		return -1;
	if (o->kind == MAILFS_OAUTH_BEARER) {
		(*response_r)[0] = 0x01;
		*len_r = 1;
	}
	return 0;
}
