/*
 * The IMAP backend's recovery after a lost answer: a connection that may
 * have died is asked again on a new one, and what a lost APPEND, MOVE or
 * COPY made is found by its size, INTERNALDATE and Message-ID, so that a
 * change is reported done exactly when it was made (backend.h).
 * Functions returning int give 0 or an errno, unless they say "-1 (the
 * client's error)": those run one command on a client the caller holds.
 */
#ifndef MAILFS_FUSE_RECOVER_H
#define MAILFS_FUSE_RECOVER_H

#include <stdint.h>

#include <mailfs/client.h>

struct pool_conn;

/*
 * Finds a message that an APPEND, MOVE or COPY whose answer was lost may
 * have made in the selected mailbox: the highest UID >= from of that
 * size (RFC822.SIZE), with that INTERNALDATE when date >= 0, and with
 * that Message-ID when msgid is not NULL.  0 with *uid_r (0: none), or
 * -1 (the client's error).
 */
int imap_find(struct mailfs_client *c, uint32_t from, uint64_t size, int64_t date,
    const char *msgid, uint32_t *uid_r);

/*
 * A connection to mailbox (NULL: any) from the pool, trying again when
 * the one it gave was dropped by the server meanwhile.  0 or an errno
 * (logged).
 */
int imap_conn(const char *mailbox, struct pool_conn **pc_r);
/* imap_conn() that leaves mailbox to be selected by the caller (pool_get_lazy()). */
int imap_conn_lazy(const char *mailbox, struct pool_conn **pc_r);

/* 1 when a failure on c means the connection is gone (the answer may be lost). */
int imap_lost(struct mailfs_client *c, const struct mailfs_error *err);

/*
 * Runs fn (0, or -1 with the client's error) on a connection to mailbox
 * (NULL: any), and again on a new one, up to three times, when the one the
 * pool gave turns out to be dead: how an operation whose answer was lost
 * asks what happened.  0 or an errno.
 */
int imap_ask(const char *mailbox, int (*fn)(struct mailfs_client *, void *), void *ctx);

/* imap_find() in mailbox through imap_ask(); also its UIDVALIDITY.  0 or an errno. */
int imap_find_in(const char *mailbox, uint32_t from, uint64_t size, int64_t date,
    const char *msgid, uint32_t *uid_r, uint32_t *uidvalidity_r);

/*
 * UID STORE uid +FLAGS.SILENT (\Deleted) and UID EXPUNGE uid on *pcp
 * (mailbox selected); on a dropped connection, once more on a new one
 * (both are idempotent).  *pcp may be replaced (or NULL on failure).
 * Without UIDPLUS the STORE, a UID SEARCH DELETED, and EXPUNGE only when
 * uid is the one message marked: else it stays marked (recover.c,
 * backend.h expunge()).
 */
int imap_expunge_uid(struct pool_conn **pcp, const char *mailbox, uint32_t uid);

/* Whether message uid is in the selected mailbox (imap_ask()'s fn). */
struct imap_has_uid {
	uint32_t uid;
	int present;
};
int imap_ask_has_uid(struct mailfs_client *c, void *ctx);

#endif
