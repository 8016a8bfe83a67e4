/*
 * The POP3 backend: backend.h over libmailfs's POP3 client
 * (<mailfs/pop3.h>), the second implementation of the contract.  A
 * maildrop is one folder, INBOX, that can only be read and emptied.
 * main.c makes the backend (pop3_backend_new(), pop3_backend_connect());
 * the files of this folder share pop3_int.h.
 *
 * Files:
 *	maildrop.c	the backend: one session at a time, its errors
 *	session.c	open, close, refresh, listing, fetch, expunge
 *	uidmap.c	the made-up UIDs (below)
 *	date.c		the Date: header of a message, for its mtime
 *
 * Sessions.  POP3 servers lock the maildrop while a client is logged in
 * (RFC 1939 8), and message numbers hold for one session only, so the
 * backend keeps at most one session, and only from open() to close():
 * open() takes the session lock (waiting until the operation's
 * deadline), the first call that needs the server connects, logs in and
 * asks UIDL and LIST (and TOP for the Date: of messages new to the map,
 * once each), and close() sends QUIT and gives the lock back.  RETR of
 * several messages is pipelined where the server offers PIPELINING.
 * Between two operations nothing is connected: the maildrop is never
 * locked between refreshes (wait_changes is NULL: the model lists again
 * every -o refresh: connect, UIDL, QUIT).  A server that announces
 * LOGIN-DELAY is not logged in to again before the delay is over: the
 * call fails with EAGAIN meanwhile.
 *
 * UIDs.  POP3 names messages by UIDL strings; the model names them by
 * UID.  The backend makes the UIDs up, 1, 2, 3... in the order it first
 * sees each UIDL, and keeps the map in the store (the account's value
 * "pop3map", read and written through the struct pop3_mapstore main.c
 * hands in, the store being above this layer).  Its UIDVALIDITY is the
 * time the map was made: fixed for the map's life, and new when the map
 * is lost, so that bytes cached under an old UID are never served for
 * another message.  UIDs are never reused.  The file names come from the
 * UIDLs themselves (uidlname.h), not from the map: they stay the same
 * across mounts and stores.
 *
 * Changes.  expunge (rm) is DELE, then QUIT, and returns 0 only once
 * QUIT was answered +OK; a connection lost before QUIT deleted nothing
 * (EIO), and one lost during QUIT is looked at again with UIDL before
 * the call returns.  A server that cannot be reached makes rm EROFS:
 * nothing is queued for a maildrop (the offline journal is IMAP's).
 * move, append, create, rename, remove and set_flags are NULL (EPERM).
 *
 * A server without UIDL is refused at the first contact (mailfs(1)): its
 * messages have no identity across sessions, and a name or a delete that
 * could hit another message is worse than no mount.
 */
#ifndef MAILFS_FUSE_MAILDROP_H
#define MAILFS_FUSE_MAILDROP_H

#include <stddef.h>
#include <stdint.h>

#include <mailfs/pop3.h>
#include <mailfs/url.h>

#include "backend.h"

struct secret;

/*
 * Where the UID map is kept (the store's, above this layer): get() gives
 * the whole value (*data_r malloc'ed, the caller's) or ENOENT; put()
 * replaces it (append 0) or adds to its end (append 1).  0 or an errno.
 */
struct pop3_mapstore {
	int (*get)(void **data_r, size_t *len_r);
	int (*put)(const void *data, size_t len, int append);
};

/*
 * The POP3 backend of one maildrop.  params is copied (its strings must
 * outlive the backend), user, password and ms must outlive it.  NULL
 * when out of memory.
 */
struct backend *pop3_backend_new(const struct mailfs_pop3_params *params,
    const char *user, const struct secret *password, const struct pop3_mapstore *ms);

/*
 * Before the mount: logs in, asks UIDL, quits (nothing is changed),
 * and lists the one folder into *lr (emptied first).  0, or an errno and
 * why (size bytes): one sentence, in the user's words, why url cannot be
 * used (a wrong password, the maildrop in use, no UIDL...).
 */
int pop3_backend_connect(struct backend *be, const struct mailfs_url *url,
    struct list_result *lr, char *why, size_t size);

#endif
