/*
 * The password: from a file, from a command, or from the terminal; kept
 * in locked memory while reconnects may need it, wiped afterwards.  An
 * OAuth2 access token: from the user's token command, read again at
 * each sign-in (see signin.h), never kept longer than one sign-in, never
 * written anywhere.
 */
#ifndef MAILFS_FUSE_PASSWORD_H
#define MAILFS_FUSE_PASSWORD_H

#include <stddef.h>

#define PASSWORD_MAX	1024
/* Access tokens of several kilobytes are common (Microsoft's). */
#define TOKEN_MAX	(48 * 1024)

struct secret {
	char *buf;		/* NUL-terminated, cap bytes, locked if possible */
	size_t len;
	size_t cap;		/* 0: PASSWORD_MAX + 1 */
};

/*
 * Reads the password from password_file, else password_command (run with
 * /bin/sh -c, bounded by timeout_s seconds), else the terminal with prompt.
 * Returns 0, or an errno with one sentence for the user in why.
 */
int password_get(const char *password_file, const char *password_command,
    const char *prompt, int timeout_s, struct secret *s, char *why, size_t whylen);

/*
 * Runs command (with /bin/sh -c, as password_command, bounded by
 * timeout_s seconds) and keeps the first line it prints, at most
 * TOKEN_MAX bytes: an access token.  Returns 0, or an errno with one
 * sentence for the user in why that says whether the command failed
 * (and its exit status), printed nothing, or did not answer.  The token
 * is never put in why.
 */
int token_get(const char *command, int timeout_s, struct secret *s, char *why,
    size_t whylen);

/* An empty secret, for a sign-in that needs no password.  0 or ENOMEM. */
int secret_empty(struct secret *s);

/* Overwrites and frees the password. */
void secret_wipe(struct secret *s);

/* memset that the compiler may not drop. */
void secret_bzero(void *p, size_t n);

#endif
