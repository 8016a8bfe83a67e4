/*
 * Online or offline (see online.h).
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "online.h"

static pthread_mutex_t online_lock = PTHREAD_MUTEX_INITIALIZER;
static int offline;		/* also read without the lock (atomically) */
static time_t since;
static time_t error_at;
static time_t contact_at;	/* atomic, without the lock */
static char error[ONLINE_WHY_MAX];
static void (*online_hook)(void);	/* under online_lock; called without it */

void
online_init(time_t now)
{
	pthread_mutex_lock(&online_lock);
	since = now;
	pthread_mutex_unlock(&online_lock);
}

int
online_offline(void)
{
	return __atomic_load_n(&offline, __ATOMIC_ACQUIRE);
}

/* Sets the last error; needs online_lock. */
static void
note_locked(const char *why, time_t now)
{
	snprintf(error, sizeof(error), "%s", why);
	error_at = now;
}

int
online_go_offline(const char *why)
{
	time_t now = time(NULL);
	int changed;

	pthread_mutex_lock(&online_lock);
	note_locked(why, now);
	if ((changed = !offline)) {
		since = now;
		__atomic_store_n(&offline, 1, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&online_lock);
	return changed;
}

int
online_go_online(void)
{
	void (*hook)(void);
	int changed;

	pthread_mutex_lock(&online_lock);
	if ((changed = offline)) {
		since = time(NULL);
		__atomic_store_n(&contact_at, since, __ATOMIC_RELAXED);
		__atomic_store_n(&offline, 0, __ATOMIC_RELEASE);
	}
	hook = online_hook;
	pthread_mutex_unlock(&online_lock);
	if (changed && hook != NULL)
		hook();
	return changed;
}

void
online_note_contact(void)
{
	__atomic_store_n(&contact_at, time(NULL), __ATOMIC_RELAXED);
}

void
online_note_error(const char *why)
{
	pthread_mutex_lock(&online_lock);
	note_locked(why, time(NULL));
	pthread_mutex_unlock(&online_lock);
}

void
online_get(struct online_status *st)
{
	pthread_mutex_lock(&online_lock);
	st->offline = offline;
	st->since = since;
	st->error_at = error_at;
	st->contact_at = __atomic_load_n(&contact_at, __ATOMIC_RELAXED);
	memcpy(st->error, error, sizeof(st->error));
	pthread_mutex_unlock(&online_lock);
}

void
online_set_hook(void (*fn)(void))
{
	pthread_mutex_lock(&online_lock);
	online_hook = fn;
	pthread_mutex_unlock(&online_lock);
}

void
online_iso8601(time_t t, char *buf, size_t size)
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL || strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, size, "%lld", (long long)t);
}
