/*
 * A small pool of IMAP connections.  Each is used by one thread at a time
 * and keeps the mailbox it last selected, so that an operation on a folder
 * prefers a connection that has it selected already.  A connection that
 * broke is opened and logged in again on its next use.  Waiting for a
 * free connection is bounded by -o timeout, as is every command.
 */
#ifndef MAILFS_FUSE_POOL_H
#define MAILFS_FUSE_POOL_H

#include <mailfs/client.h>
#include <mailfs/error.h>

struct pool_conn;
struct secret;

/*
 * params is copied (its strings must outlive the pool); user and the
 * password stay the caller's and must outlive the pool.
 */
int pool_init(const struct mailfs_params *params, const char *user,
    const struct secret *password, unsigned nconn, unsigned timeout_s);
void pool_destroy(void);

/*
 * A free connection, connected and logged in; with mailbox set, that
 * mailbox is selected.  Returns NULL with *err_r filled on failure.
 */
struct pool_conn *pool_get(const char *mailbox, struct mailfs_error *err_r);
struct mailfs_client *pool_client(struct pool_conn *pc);

/* The mailbox the connection has selected, or NULL; valid until pool_put(). */
const char *pool_selected(const struct pool_conn *pc);

/*
 * Gives the connection back.  failed: the operation failed; the client's
 * error says whether the connection must be reopened before its next use.
 */
void pool_put(struct pool_conn *pc, int failed);

/*
 * Forgets that idle connections have this mailbox selected (after a
 * DELETE or RENAME), so that its next user selects afresh.
 */
void pool_unselect_name(const char *mailbox);

/* The capabilities of the last connection made (MAILFS_CAP_*). */
unsigned pool_capabilities(void);

#endif
