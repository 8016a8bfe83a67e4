/*
 * A small pool of IMAP connections.  Each is used by one thread at a time
 * and keeps the mailbox it last selected, so that an operation on a folder
 * prefers a connection that has it selected already.  A connection that
 * broke is opened and logged in again on its next use.
 *
 * Time: pool_get() waits for a free connection until the operation's
 * deadline (deadline.h), and bounds every wait of the connection it hands
 * out (reconnect, TLS, SELECT, each command) by it.
 */
#ifndef MAILFS_FUSE_POOL_H
#define MAILFS_FUSE_POOL_H

#include <pthread.h>

#include <mailfs/client.h>
#include <mailfs/commands.h>
#include <mailfs/error.h>

struct pool_conn;
struct secret;

/*
 * params is copied (its strings must outlive the pool); user and the
 * password stay the caller's and must outlive the pool.
 */
int pool_init(const struct mailfs_params *params, const char *user,
    const struct secret *password, unsigned nconn);
/*
 * Frees every connection without LOGOUT (no waiting for a server that
 * may not answer); no other thread may use the pool any more.
 */
void pool_destroy(void);

/*
 * on: every wait of every connection, those in progress in other threads
 * included, ends at once (MAILFS_ERR_CLOSED), and so does every later
 * one, until pool_cancel(0).  For the exit: threads stuck on a server
 * that stopped answering return at once and can be joined.
 */
void pool_cancel(int on);
/* 1 between pool_cancel(1) and pool_cancel(0). */
int pool_cancelled(void);

/*
 * mailfs_run() of cmd, a command whose answer is a few lines, without a
 * result: its round trip counted in the profile (profile.h).
 */
int pool_run(struct mailfs_client *c, struct mailfs_cmd *cmd);

/*
 * The server is sending c what the operation asked for (a message's
 * bytes): the deadline moves to a timeout after now, so that a large
 * message on a slow link is not cut off while it arrives; a server that
 * stops sending still ends the call a timeout after its last byte.
 */
void pool_op_progress(struct mailfs_client *c);

/*
 * A connection of the caller's own, outside the pool (the push
 * connection, watch.c): connected and logged in as the pool's are, and
 * ended by pool_cancel() as they are; its waits are bounded by this
 * thread's operation (deadline.h) until the caller sets another.  u (may
 * be NULL) is copied.  The caller frees it (mailfs_client_free()) before
 * pool_destroy().  NULL with *err_r filled on failure.
 */
struct mailfs_client *pool_connect(const struct mailfs_unilateral *u,
    struct mailfs_error *err_r);

/*
 * A free connection, connected and logged in; with mailbox set, that
 * mailbox is selected.  Returns NULL with *err_r filled on failure.
 * When no connection became free before the deadline, or the deadline
 * had passed already, *err_r is MAILFS_ERR_SYSTEM with sys_errno
 * ETIMEDOUT (pool_busy_error()): a busy pool, not a broken connection,
 * so nothing is to be reopened or asked.
 */
struct pool_conn *pool_get(const char *mailbox, struct mailfs_error *err_r);

/*
 * As pool_get(), but mailbox (not NULL) is left for the caller to
 * select, so that SELECT goes out with the caller's first command
 * instead of a round trip before it: a connection that has it selected
 * already is still preferred (pool_has_selected() says whether this one
 * has).
 */
struct pool_conn *pool_get_lazy(const char *mailbox, struct mailfs_error *err_r);

/* 1 when pc has mailbox selected (and the server has not closed it). */
int pool_has_selected(const struct pool_conn *pc, const char *mailbox);

/*
 * SELECT (CONDSTORE) mailbox on pc, queued and sent without waiting:
 * the command, to be passed to pool_select_wait(), or NULL (the
 * client's error).  pc has no mailbox selected from now on, as far as
 * the pool knows.
 */
struct mailfs_cmd *pool_select_send(struct pool_conn *pc, const char *mailbox);

/*
 * Waits for the SELECT of pool_select_send() (cmd may be NULL: it
 * failed to queue): 0 when mailbox is now selected, -1 with the client's
 * error.  The connection stays, broken or not, until pool_put(), so that
 * the commands sent after the SELECT can still be waited for.
 */
int pool_select_wait(struct pool_conn *pc, struct mailfs_cmd *cmd, const char *mailbox);

/* 1 when err is pool_get()'s "no connection became free in time". */
int pool_busy_error(const struct mailfs_error *err);
struct mailfs_client *pool_client(struct pool_conn *pc);

/* The mailbox the connection has selected, or NULL; valid until pool_put(). */
const char *pool_selected(const struct pool_conn *pc);

/*
 * Gives the connection back.  failed: the operation failed; the client's
 * error says whether the connection must be reopened before its next use.
 */
void pool_put(struct pool_conn *pc, int failed);

/*
 * Forgets that idle connections have this mailbox selected, or with delim
 * a folder below it (after a DELETE or RENAME), so that its next user
 * selects afresh.
 */
void pool_unselect_name(const char *mailbox, char delim);

/* 1 when name is mailbox or, with delim, a folder below it. */
int pool_name_under(const char *name, const char *mailbox, char delim);

/*
 * Offline (online.h): a connection failed to open for a network reason.
 * From then on pool_get() fails at once with the offline error (nothing
 * sent) until a reconnect in the background succeeds: pool_probe_start()
 * starts it, after the mount (a thread: not before fuse_daemonize()).
 * 0 or an errno.
 */
int pool_probe_start(void);
/* 1 when err is pool_get()'s "offline" (ONLINE_ERRNO): logged as a debug line. */
int pool_offline_error(const struct mailfs_error *err);
/*
 * 1 when a failure of pool_get() needs no warning: offline (said once
 * by online.h), or cut off by pool_cancel(1) (the unmount).
 */
int pool_quiet_error(const struct mailfs_error *err);
/* What made the pool go offline last, as the library said it. */
void pool_offline_cause(struct mailfs_error *err_r);

/* The capabilities of the last connection made (MAILFS_CAP_*). */
unsigned pool_capabilities(void);

#endif
