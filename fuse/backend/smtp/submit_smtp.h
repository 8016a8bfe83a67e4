/*
 * The SMTP submitter (submit.h) over libmailfs's SMTP client
 * (<mailfs/smtp.h>): -o smtp=smtps://USER@HOST[:465] (implicit TLS) or
 * smtp://USER@HOST[:587] (STARTTLS, required).
 *
 * It owns one connection, under its own lock (smtp_lock, a leaf of
 * fs.h's order held across the round trips of one send, which no other
 * lock is held across), kept for SMTP_KEEP_S seconds after a send so
 * that consecutive sends share it, and made again when it is gone or
 * broken.  Every wait ends at the calling thread's deadline (deadline.h).
 * A failure to connect or to log in is SUBMIT_DEFERRED with the
 * library's sentence (never a credential) as the reply's text, logged.
 */
#ifndef MAILFS_FUSE_SUBMIT_SMTP_H
#define MAILFS_FUSE_SUBMIT_SMTP_H

#include "password.h"
#include "submit.h"

#define SMTP_KEEP_S	10

/*
 * Checks url ("smtps://USER@HOST[:PORT]" or "smtp://USER@HOST[:PORT]"):
 * 0, or EINVAL with one sentence for the user in why.
 */
int smtp_url_check(const char *url, char *why, size_t whylen);

/*
 * A submitter for url, logging in as its user with password (copied;
 * the caller's stays the caller's), trusting ca_file (NULL: the
 * system's), each wait at most timeout_s seconds.  NULL when out of
 * memory or url is not valid (smtp_url_check() says why).  Free with
 * submit_free().
 */
struct submitter *smtp_submitter_new(const char *url, const struct secret *password,
    const char *ca_file, unsigned timeout_s, int trace);

#endif
