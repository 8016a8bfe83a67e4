/*
 * Waiting for a descriptor within a deadline on the monotonic clock and
 * within its owner's bounds (a deadline of its own, a cancel descriptor),
 * and the errors a wait ends with.  Used by conn.c; nothing here knows a
 * protocol.  Internal to libmailfs.
 *
 * transport/ (shared by every protocol; uses errors.h alone).
 */
#ifndef MAILFS_WAIT_H
#define MAILFS_WAIT_H

#include <stdint.h>

#include <mailfs/error.h>

/*
 * Limits of the connection's owner (the client) on top of each call's
 * timeout, read at every wait: deadline_ms, a point on the monotonic
 * clock in milliseconds (-1: none), ends every wait that would last
 * longer as a timeout; cancel_fd (-1: none), once readable, ends every
 * wait at once (MAILFS_ERR_CLOSED).  The struct must outlive the conn.
 */
struct conn_bounds {
	int64_t	deadline_ms;
	int	cancel_fd;
};

/* Ends the message of a timeout that the owner's deadline caused. */
#define CONN_DEADLINE_MSG	"in the time the operation had left"

/* Now, in milliseconds on the monotonic clock. */
int64_t wait_now_ms(void);

/* timeout_ms from now; -1 (never) for a negative timeout. */
int64_t wait_deadline_after(int timeout_ms);

/* What is left until deadline, for poll(): -1 for no deadline, 0 when past. */
int wait_remaining_ms(int64_t deadline);

/* The earlier of deadline and the owner's deadline in b (-1: none). */
int64_t wait_bounded(int64_t deadline, const struct conn_bounds *b);

/*
 * The timeout error: what the server failed to do, and within which
 * limit: timeout_ms, or the owner's deadline when that came first.
 */
void wait_timeout_error(struct mailfs_error *err, const char *what,
    int timeout_ms, int64_t deadline, const struct conn_bounds *b);

/*
 * Waits until fd is ready for events or the deadline (or the owner's, in
 * b) passes, or b's cancel descriptor becomes readable.  1 when ready (or
 * in error or hung up: the next call will tell), 0 on timeout, -1 with
 * errno on failure (ECANCELED when cancelled).
 */
int wait_fd(int fd, short events, int64_t deadline, const struct conn_bounds *b);

/* The error for a wait that failed with errno e. */
void wait_error(struct mailfs_error *err, int e);

#endif
