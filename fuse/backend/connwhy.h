/*
 * Why an account cannot be used, in the user's words: the sentences
 * every mail source's first contact shares (IMAP's login.c, POP3's
 * maildrop.c), so that a wrong password or an untrusted certificate
 * reads the same whatever the protocol.  No state; no lock.
 */
#ifndef MAILFS_FUSE_CONNWHY_H
#define MAILFS_FUSE_CONNWHY_H

#include <stddef.h>

#include <mailfs/error.h>

/*
 * One sentence for err, a failure to connect to or log in at host:port,
 * into why (size bytes).  The caller says first what only its protocol
 * knows (STARTTLS, LOGINDISABLED, [IN-USE]...).
 */
void connect_why(const struct mailfs_error *err, const char *host, const char *port,
    char *why, size_t size);

#endif
