/*
 * Waiting on a descriptor within a deadline and the owner's bounds (see
 * wait.h).
 */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <time.h>

#include "errors.h"
#include "wait.h"

/* A point in time in milliseconds on the monotonic clock; -1 is never. */
int64_t
wait_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
wait_deadline_after(int timeout_ms)
{
	return timeout_ms < 0 ? -1 : wait_now_ms() + timeout_ms;
}

/* What is left until deadline, for poll(): -1 for no deadline, 0 when past. */
int
wait_remaining_ms(int64_t deadline)
{
	int64_t left;

	if (deadline < 0)
		return -1;
	left = deadline - wait_now_ms();
	if (left <= 0)
		return 0;
	return left > INT32_MAX ? INT32_MAX : (int)left;
}

/* The earlier of deadline and the owner's deadline in b (-1: none). */
int64_t
wait_bounded(int64_t deadline, const struct conn_bounds *b)
{
	if (b == NULL || b->deadline_ms < 0)
		return deadline;
	if (deadline < 0 || b->deadline_ms < deadline)
		return b->deadline_ms;
	return deadline;
}

/*
 * The timeout error: what the server failed to do, and within which
 * limit: timeout_ms, or the owner's deadline when that came first.
 */
void
wait_timeout_error(struct mailfs_error *err, const char *what, int timeout_ms,
    int64_t deadline, const struct conn_bounds *b)
{
	if (wait_bounded(deadline, b) != deadline)
		error_set(err, MAILFS_ERR_TIMEOUT,
		    "the server did not %s " CONN_DEADLINE_MSG, what);
	else if (timeout_ms % 1000 == 0)
		error_set(err, MAILFS_ERR_TIMEOUT,
		    "the server did not %s within %d seconds", what,
		    timeout_ms / 1000);
	else
		error_set(err, MAILFS_ERR_TIMEOUT,
		    "the server did not %s within %d milliseconds", what,
		    timeout_ms);
}

/*
 * Waits until fd is ready for events or the deadline (or the owner's, in
 * b) passes, or b's cancel descriptor becomes readable.  1 when ready (or
 * in error or hung up: the next call will tell), 0 on timeout, -1 with
 * errno on failure (ECANCELED when cancelled).
 */
int
wait_fd(int fd, short events, int64_t deadline, const struct conn_bounds *b)
{
	struct pollfd pfd[2];
	nfds_t nfds = 1;
	int n;

	deadline = wait_bounded(deadline, b);
	for (;;) {
		pfd[0].fd = fd;
		pfd[0].events = events;
		pfd[0].revents = 0;
		if (b != NULL && b->cancel_fd >= 0) {
			pfd[1].fd = b->cancel_fd;
			pfd[1].events = POLLIN;
			pfd[1].revents = 0;
			nfds = 2;
		}
		n = poll(pfd, nfds, wait_remaining_ms(deadline));
		if (n > 0 && nfds == 2 && pfd[1].revents != 0) {
			errno = ECANCELED;
			return -1;
		}
		if (n > 0)
			return 1;
		if (n == 0)
			return 0;
		if (errno != EINTR)
			return -1;
	}
}

/* The error for a wait that failed with errno e. */
void
wait_error(struct mailfs_error *err, int e)
{
	if (e == ECANCELED)
		error_set(err, MAILFS_ERR_CLOSED,
		    "the wait for the server was cancelled by the client");
	else
		error_set_sys(err, e, "waiting for the server");
}
