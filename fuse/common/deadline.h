/*
 * The deadline of the operation a thread runs.  A filesystem operation
 * has -o timeout in all, however many connections, commands, retries and
 * lock waits it uses: deadline_begin() takes its deadline (per thread),
 * and every wait the daemon makes on its behalf ends then.  A thread
 * that began no operation gets the whole timeout for each wait.
 *
 * The state is the calling thread's own (thread-local): no lock.
 */
#ifndef MAILFS_FUSE_DEADLINE_H
#define MAILFS_FUSE_DEADLINE_H

#include <pthread.h>
#include <time.h>

/* The timeout of an operation, in seconds (-o timeout); set once at start. */
void deadline_init(unsigned timeout_s);
unsigned deadline_timeout(void);

/*
 * Starts an operation on this thread: its deadline is -o timeout from
 * now.  Every FUSE request starts one (stats_count()), the refresh and
 * the prefetch one per folder or job.
 */
void deadline_begin(void);

/* Ends it: the thread's waits get the plain timeout again. */
void deadline_end(void);

/*
 * The operation lost an answer and must ask the server what happened:
 * its deadline moves once by a grace (under a second, so that the call
 * still ends within -o timeout + 1 s).
 */
void deadline_grace(void);

/*
 * What the operation asked for is arriving (a message's bytes): the
 * deadline moves to a timeout after now.  1 when it moved, else 0.
 */
int deadline_extend(void);

/*
 * The running operation's deadline on CLOCK_MONOTONIC, or NULL when
 * none runs.  The pointer is this thread's and stays valid (and current:
 * the functions above move what it points to) for the thread's life.
 */
const struct timespec *deadline_current(void);

/* Milliseconds left to the operation (0 when past), -1 when none runs. */
long deadline_left_ms(void);

/*
 * The operation's deadline on clock (a timeout from now when none runs):
 * the same instant, converted.
 */
void deadline_on(clockid_t clock, struct timespec *ts);

/* Locks m, waiting at most until the deadline: 0, or ETIMEDOUT without the lock. */
int deadline_lock(pthread_mutex_t *m);

/*
 * pthread_cond_wait() on a CLOCK_REALTIME condition, at most until the
 * deadline: 0 (woken, or spuriously), or ETIMEDOUT.  Timed as the
 * profile's wait (profile.h).
 */
int deadline_wait(pthread_cond_t *cond, pthread_mutex_t *m);

#endif
