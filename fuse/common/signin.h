/*
 * Signing in to the IMAP, SMTP and POP3 servers: with the password, or with an
 * OAuth2 access token from the user's token command (-o
 * oauth2_token_command=CMD), by XOAUTH2 or OAUTHBEARER, whichever the
 * server offers or -o auth= names.
 *
 * Owns the sign-in settings, set once by signin_configure() before any
 * thread starts and read-only after (no lock).  Owns no token: each
 * sign-in runs the command, signs in, and wipes the token; a refused
 * token (expired) makes it run the command once more and try again on
 * the same connection, never more.  The token is never logged, never in
 * an error, never on a command line, never on disk.
 */
#ifndef MAILFS_FUSE_SIGNIN_H
#define MAILFS_FUSE_SIGNIN_H

#include <mailfs/client.h>
#include <mailfs/pop3.h>
#include <mailfs/smtp.h>

#include "password.h"

enum signin_auth {
	SIGNIN_AUTO,		/* a token: OAUTHBEARER, else XOAUTH2; a password: PLAIN, else LOGIN */
	SIGNIN_PLAIN,		/* the password by SASL PLAIN (AUTHENTICATE, AUTH) */
	SIGNIN_LOGIN,		/* the password by SASL LOGIN */
	SIGNIN_XOAUTH2,
	SIGNIN_OAUTHBEARER
};

/* "xoauth2" and the others to enum signin_auth: 0, or EINVAL. */
int signin_parse_auth(const char *text, enum signin_auth *auth_r);

/*
 * The settings (token_command is borrowed and must outlive every
 * sign-in; NULL: the password).  Called once, before any sign-in.
 */
void signin_configure(enum signin_auth auth, const char *token_command,
    unsigned timeout_s);

/* 1 when signing in with a token command. */
int signin_uses_token(void);

/*
 * Signs c (connected, not authenticated) in as user, with password when
 * no token command is set.  0, or -1 with *err_r set: the library's
 * error as it was for a lost connection, a refusal without TLS and the
 * like; for a failed sign-in MAILFS_ERR_AUTH and one sentence that says
 * whether the token command failed, printed nothing, or the server
 * refused the token (and the server's reason, and the status of its
 * error document).
 */
int signin_imap(struct mailfs_client *c, const char *user,
    const struct secret *password, const char *host, const char *port,
    struct mailfs_error *err_r);

/* The same for an SMTP session after mailfs_smtp_connect(). */
int signin_smtp(struct mailfs_smtp *s, const char *user,
    const struct secret *password, const char *host, const char *port,
    struct mailfs_error *err_r);

/* The same for a POP3 session after mailfs_pop3_connect(). */
int signin_pop3(struct mailfs_pop3 *p, const char *user,
    const struct secret *password, const char *host, const char *port,
    struct mailfs_error *err_r);

#endif
