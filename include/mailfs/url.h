/*
 * libmailfs: imap:// and imaps:// URLs (the server part of RFC 5092),
 * and pop3:// and pop3s:// (a POP3 maildrop, the server part of RFC 2384).
 */
#ifndef MAILFS_URL_H
#define MAILFS_URL_H

#include <mailfs/client.h>

#ifdef __cplusplus
extern "C" {
#endif

struct mailfs_url {
	enum mailfs_security security;	/* IMPLICIT_TLS for imaps, STARTTLS for imap */
	char *user;		/* percent-decoded; NULL when the URL has none */
	char *host;		/* without the brackets of an IPv6 literal */
	char *port;		/* "993", "143", "995" or "110" when the URL has none */
	int pop3;		/* 1: pop3:// or pop3s://, a POP3 maildrop */
};

/*
 * Parses imaps://[USER@]HOST[:PORT][/], imap://..., pop3s://... and
 * pop3://... .  A password in the
 * URL (USER:PASS@) is refused, so that it never sits on a command line.
 * Returns 0 and fills *url_r (free with mailfs_url_clear()), or -1 with
 * errno EINVAL (and *why_r, when not NULL, set to a constant sentence) or
 * ENOMEM.
 */
int mailfs_url_parse(const char *text, struct mailfs_url *url_r, const char **why_r);

/* Frees the strings and zeroes the struct. */
void mailfs_url_clear(struct mailfs_url *url);

#ifdef __cplusplus
}
#endif

#endif
