/*
 * SASL mechanisms for the IMAP, SMTP and POP3 clients: PLAIN and LOGIN
 * with a password, and for OAuth2 sign-in OAUTHBEARER (RFC 7628) and
 * Google's and Microsoft's XOAUTH2.
 *
 * A struct mailfs_oauth owns a copy of the user name and the access
 * token (wiped when it is freed) and the server's error status, when one
 * came.  mailfs_oauth_step() has the shape of the step() of struct
 * mailfs_sasl_mech, struct mailfs_smtp_mech (<mailfs/smtp.h>) and struct
 * mailfs_pop3_mech (<mailfs/pop3.h>), with the mailfs_oauth as ctx: fill
 * whichever of them the protocol takes.  Step 0 makes the initial
 * response; a challenge after it is the server's error document (a JSON
 * object, RFC 7628 3.2.2), whose "status" is kept, and is answered once
 * as the mechanism asks (XOAUTH2: an empty response; OAUTHBEARER: one
 * %x01), after which the server fails the exchange.  A second challenge
 * cancels: the exchange never loops.  Nothing here does I/O, and nothing
 * here ever puts the token in an error or a trace.
 */
#ifndef MAILFS_SASL_H
#define MAILFS_SASL_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * A SASL mechanism for a client's AUTHENTICATE (IMAP, mailfs_client_
 * authenticate()): step() is called with step 0 for the initial
 * response, then once per challenge, decoded from base64 (the library's,
 * valid only during the call).  It sets *response_r to *len_r bytes
 * allocated with malloc(), which the library takes (it encodes, sends,
 * wipes and frees them), or to NULL: at step 0 for no initial response,
 * later to cancel ("*").  It returns 0, or -1 to cancel.
 */
struct mailfs_sasl_mech {
	const char *name;		/* "XOAUTH2": RFC 4422 3.1 syntax */
	int (*step)(void *ctx, unsigned step, const unsigned char *challenge,
	    size_t challenge_len, unsigned char **response_r, size_t *len_r);
	void *ctx;
};

/*
 * PLAIN (RFC 4616: "\0user\0password" as the initial response) and LOGIN
 * (no initial response; the user name, then the password, whatever the
 * challenges say), with a struct mailfs_sasl_password (the caller's,
 * read during the exchange) as ctx.  PLAIN fails (-1) when the user name
 * or the password is longer than 1024 bytes, as every client's login does.  The steps' shape is step()'s.
 */
struct mailfs_sasl_password {
	const char *user;
	const char *password;
};

int mailfs_sasl_plain_step(void *ctx, unsigned step,
    const unsigned char *challenge, size_t challenge_len,
    unsigned char **response_r, size_t *len_r);
int mailfs_sasl_login_step(void *ctx, unsigned step,
    const unsigned char *challenge, size_t challenge_len,
    unsigned char **response_r, size_t *len_r);

enum mailfs_oauth_kind {
	MAILFS_OAUTH_BEARER,		/* OAUTHBEARER, RFC 7628 */
	MAILFS_OAUTH_XOAUTH2		/* XOAUTH2 */
};

/* The longest token accepted: several kilobytes are common. */
#define MAILFS_OAUTH_TOKEN_MAX	(48 * 1024)

struct mailfs_oauth;

/*
 * A mechanism of kind for user with token, both copied (user at most
 * 1024 bytes, token at most MAILFS_OAUTH_TOKEN_MAX; neither may hold a
 * byte below 0x20 or 0x7f, errno EINVAL; the token not a space).  host
 * and port (may be NULL) are told to the server in OAUTHBEARER (RFC 7628
 * 3.1).  NULL with errno set when refused or out of memory.  Free with
 * mailfs_oauth_free().
 */
struct mailfs_oauth *mailfs_oauth_new(enum mailfs_oauth_kind kind,
    const char *user, const char *token, const char *host, const char *port);

/* Wipes the token, frees, sets *o to NULL; NULL and *NULL are accepted. */
void mailfs_oauth_free(struct mailfs_oauth **o);

/* "OAUTHBEARER" or "XOAUTH2": static. */
const char *mailfs_oauth_name(enum mailfs_oauth_kind kind);

/* The step function of the mechanism; ctx is a struct mailfs_oauth. */
int mailfs_oauth_step(void *ctx, unsigned step, const unsigned char *challenge,
    size_t challenge_len, unsigned char **response_r, size_t *len_r);

/* The mechanism as a struct mailfs_sasl_mech, o as its ctx. */
struct mailfs_sasl_mech mailfs_oauth_mech(struct mailfs_oauth *o);

/*
 * The "status" of the server's error document ("invalid_token", "401"),
 * printable ASCII of at most 63 bytes, "" when the document had none;
 * NULL when no error document came.  Owned by o.  Reset by step 0, so
 * that one mailfs_oauth may be tried again.
 */
const char *mailfs_oauth_status(const struct mailfs_oauth *o);

#ifdef __cplusplus
}
#endif

#endif
