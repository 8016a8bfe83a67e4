/* Counters of where the time goes (see profile.h). */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "profile.h"

enum { ROLE_FG, ROLE_RA, NROLES };

static uint64_t counters[NROLES][PROF_NSTATS];
static __thread int role;	/* this thread's: ROLE_FG or ROLE_RA */

/* As the keys of the line, after the role's "fg_" or "ra_". */
static const char *const names[PROF_NSTATS] = {
	[PROF_WAIT_N] = "wait_n",
	[PROF_WAIT_US] = "wait_us",
	[PROF_DIR_N] = "dir_n",
	[PROF_DIR_US] = "dir_us",
	[PROF_OPEN_N] = "open_n",
	[PROF_OPEN_US] = "open_us",
	[PROF_LISTING_N] = "listing_n",
	[PROF_LISTING_US] = "listing_us",
	[PROF_FETCH_N] = "fetch_n",
	[PROF_FETCH_US] = "fetch_us",
	[PROF_CONNECT_N] = "connect_n",
	[PROF_CONNECT_US] = "connect_us",
	[PROF_SELECT_N] = "select_n",
	[PROF_FETCHCMD_N] = "fetchcmd_n",
	[PROF_RTT_N] = "rtt_n",
	[PROF_RTT_US] = "rtt_us",
	[PROF_STREAM_US] = "stream_us",
	[PROF_BYTES] = "bytes",
};

void
profile_set_ahead(int on)
{
	role = on ? ROLE_RA : ROLE_FG;
}

uint64_t
profile_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void
profile_add(enum prof_stat s, uint64_t n)
{
	if ((unsigned)s < PROF_NSTATS && n != 0)
		(void)__atomic_add_fetch(&counters[role][s], n, __ATOMIC_RELAXED);
}

void
profile_since(enum prof_stat count, enum prof_stat us, uint64_t t0)
{
	uint64_t now = profile_now();

	profile_add(count, 1);
	profile_add(us, now > t0 ? (now - t0) / 1000 : 0);
}

void
prof_span_begin(struct prof_span *sp, uint64_t start)
{
	sp->start = start;
	sp->first = 0;
}

void
prof_span_first(struct prof_span *sp)
{
	if (sp->first == 0)
		sp->first = profile_now();
}

uint64_t
prof_span_end(struct prof_span *sp)
{
	uint64_t now = profile_now();

	if (sp->first == 0)
		sp->first = now;
	/* Begun after its first byte: the answer was waiting already. */
	if (sp->first < sp->start)
		sp->start = sp->first;
	profile_add(PROF_RTT_N, 1);
	profile_add(PROF_RTT_US, (sp->first - sp->start) / 1000);
	profile_add(PROF_STREAM_US, (now - sp->first) / 1000);
	return now;
}

size_t
profile_item(char *buf, size_t size, size_t pos, const char *key, uint64_t n)
{
	int w;

	if (pos >= size)
		return pos;
	w = snprintf(buf + pos, size - pos, "%s%s=%llu", pos > 0 ? " " : "", key,
	    (unsigned long long)n);
	if (w < 0 || (size_t)w >= size - pos) {
		buf[pos] = '\0';	/* no half item: the line ends before it */
		return size;
	}
	return pos + (size_t)w;
}

size_t
profile_format(char *buf, size_t size)
{
	static const char *const prefix[NROLES] = { "fg_", "ra_" };
	char key[32];
	uint64_t v;
	size_t pos = 0, i, r;

	if (size == 0)
		return 0;
	buf[0] = '\0';
	for (r = 0; r < NROLES; r++)
		for (i = 0; i < PROF_NSTATS && pos < size; i++) {
			if ((v = __atomic_load_n(&counters[r][i], __ATOMIC_RELAXED)) == 0)
				continue;
			snprintf(key, sizeof(key), "%s%s", prefix[r], names[i]);
			pos = profile_item(buf, size, pos, key, v);
		}
	return pos < size ? pos : strlen(buf);
}
