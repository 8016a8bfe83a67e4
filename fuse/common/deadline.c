/* Per-thread operation deadlines (see deadline.h). */
#include <errno.h>
#include <pthread.h>
#include <time.h>

#include "deadline.h"
#include "profile.h"

/* What a recovery after a lost answer may take beyond the timeout. */
#define GRACE_MS	700

static unsigned timeout_s = 30;

static __thread struct timespec op_deadline;
static __thread int op_active, op_graced;

static void
add_ms(struct timespec *ts, long ms)
{
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

void
deadline_init(unsigned timeout)
{
	timeout_s = timeout;
}

unsigned
deadline_timeout(void)
{
	return timeout_s;
}

void
deadline_begin(void)
{
	clock_gettime(CLOCK_MONOTONIC, &op_deadline);
	op_deadline.tv_sec += timeout_s;
	op_active = 1;
	op_graced = 0;
}

void
deadline_end(void)
{
	op_active = 0;
}

void
deadline_grace(void)
{
	if (op_active && !op_graced) {
		add_ms(&op_deadline, GRACE_MS);
		op_graced = 1;
	}
}

int
deadline_extend(void)
{
	struct timespec now;

	if (!op_active)
		return 0;
	clock_gettime(CLOCK_MONOTONIC, &now);
	now.tv_sec += timeout_s;
	if (now.tv_sec > op_deadline.tv_sec ||
	    (now.tv_sec == op_deadline.tv_sec && now.tv_nsec > op_deadline.tv_nsec)) {
		op_deadline = now;
		return 1;
	}
	return 0;
}

const struct timespec *
deadline_current(void)
{
	return op_active ? &op_deadline : NULL;
}

long
deadline_left_ms(void)
{
	struct timespec now;
	long left;

	if (!op_active)
		return -1;
	clock_gettime(CLOCK_MONOTONIC, &now);
	left = (long)(op_deadline.tv_sec - now.tv_sec) * 1000 +
	    (op_deadline.tv_nsec - now.tv_nsec) / 1000000;
	return left > 0 ? left : 0;
}

void
deadline_on(clockid_t clock, struct timespec *ts)
{
	long left = deadline_left_ms();

	clock_gettime(clock, ts);
	add_ms(ts, left >= 0 ? left : (long)timeout_s * 1000);
}

/*
 * pthread_mutex_timedlock() (POSIX) counts on the wall clock, as
 * deadline_wait() does; pthread_mutex_clocklock() would not, but it is
 * glibc's, and ThreadSanitizer does not see it.
 */
int
deadline_lock(pthread_mutex_t *m)
{
	struct timespec until;

	if (pthread_mutex_trylock(m) == 0)
		return 0;
	deadline_on(CLOCK_REALTIME, &until);
	return pthread_mutex_timedlock(m, &until) == 0 ? 0 : ETIMEDOUT;
}

int
deadline_wait(pthread_cond_t *cond, pthread_mutex_t *m)
{
	struct timespec until;
	uint64_t t0 = profile_now();
	int r;

	deadline_on(CLOCK_REALTIME, &until);
	r = pthread_cond_timedwait(cond, m, &until) == ETIMEDOUT ? ETIMEDOUT : 0;
	/* Only the store waits here, for a message another thread fetches. */
	profile_since(PROF_WAIT_N, PROF_WAIT_US, t0);
	return r;
}
