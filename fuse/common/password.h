/*
 * The password: from a file, from a command, or from the terminal; kept
 * in locked memory while reconnects may need it, wiped afterwards.
 */
#ifndef MAILFS_FUSE_PASSWORD_H
#define MAILFS_FUSE_PASSWORD_H

#include <stddef.h>

#define PASSWORD_MAX	1024

struct secret {
	char *buf;		/* NUL-terminated, PASSWORD_MAX + 1 bytes, locked if possible */
	size_t len;
};

/*
 * Reads the password from password_file, else password_command (run with
 * /bin/sh -c, bounded by timeout_s seconds), else the terminal with prompt.
 * Returns 0, or an errno with one sentence for the user in why.
 */
int password_get(const char *password_file, const char *password_command,
    const char *prompt, int timeout_s, struct secret *s, char *why, size_t whylen);

/* Overwrites and frees the password. */
void secret_wipe(struct secret *s);

/* memset that the compiler may not drop. */
void secret_bzero(void *p, size_t n);

#endif
