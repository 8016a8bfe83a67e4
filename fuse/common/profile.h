/*
 * Where the daemon's time goes, by stage: counters for diagnosis and the
 * benchmark (the root's extended attribute user.mailfs.profile,
 * vfs/xattr.c), beside the request counts (vfs/stats.h).
 *
 * Every counter is kept twice, once for each role of the thread that
 * adds to it: "ra" for the read-ahead's threads (prefetch.h), which mark
 * themselves with profile_set_ahead(), and "fg" for every other thread
 * (FUSE requests, the refresh), whose waits a user may feel.  Times are
 * in microseconds of CLOCK_MONOTONIC.
 *
 * Stages:
 *	wait	a reader blocked until another thread put the message it
 *		opened in place (the store's wait for a claimed message)
 *	dir	opendir of a folder: mostly the wait for its listing, made
 *		by the request itself or by another thread (the read-ahead)
 *	open, listing, fetch
 *		the backend calls of those names (backend.h), whole
 *	connect	a connection opened and logged in
 *	select	SELECT commands sent
 *	fetchcmd
 *		commands that fetch bodies (IMAP: UID FETCH ... BODY.PEEK[])
 *	rtt	answers waited for from a connection that had nothing else
 *		arriving: rtt_n of them, rtt_us from the moment the server
 *		could have started answering (the command sent, or the
 *		answer before it on the connection complete) to its first
 *		byte.  Round trips that overlap another answer's streaming
 *		on the same connection cost nothing here.
 *	stream	from an answer's first byte to its end (bodies, listings)
 *	bytes	message bytes fetched
 *
 * Owns only the counters: atomic, no lock.  A line read while the
 * daemon works is a snapshot of each counter, not of all at one instant.
 */
#ifndef MAILFS_FUSE_PROFILE_H
#define MAILFS_FUSE_PROFILE_H

#include <stddef.h>
#include <stdint.h>

enum prof_stat {
	PROF_WAIT_N,
	PROF_WAIT_US,
	PROF_DIR_N,
	PROF_DIR_US,
	PROF_OPEN_N,
	PROF_OPEN_US,
	PROF_LISTING_N,
	PROF_LISTING_US,
	PROF_FETCH_N,
	PROF_FETCH_US,
	PROF_CONNECT_N,
	PROF_CONNECT_US,
	PROF_SELECT_N,
	PROF_FETCHCMD_N,
	PROF_RTT_N,
	PROF_RTT_US,
	PROF_STREAM_US,
	PROF_BYTES,
	PROF_NSTATS
};

/*
 * Room for the longest line with its NUL: every counter of both roles
 * at 20 digits takes 1,166 bytes.  Past size, profile_format() ends the
 * line before the item that does not fit.
 */
#define PROFILE_LINE_MAX	1280

/* on: the calling thread is one of the read-ahead's ("ra"); off: "fg". */
void profile_set_ahead(int on);

/* Now, in nanoseconds of CLOCK_MONOTONIC: a stage's start. */
uint64_t profile_now(void);

/* Adds n to the calling thread's role's counter. */
void profile_add(enum prof_stat s, uint64_t n);

/* One more of count, and the microseconds since t0 (profile_now()) to us. */
void profile_since(enum prof_stat count, enum prof_stat us, uint64_t t0);

/*
 * One answer's round trip and streaming on a connection (rtt and stream
 * above): begun when the server could start answering, first byte
 * marked by the first data handed on (or by the end, for an answer of
 * one line), ended once complete.
 */
struct prof_span {
	uint64_t start;
	uint64_t first;		/* 0: no byte yet */
};

/* start: profile_now() of the moment the server could start answering. */
void prof_span_begin(struct prof_span *sp, uint64_t start);
/* Data of the answer arrived; only the first call counts. */
void prof_span_first(struct prof_span *sp);
/* The answer is complete: counts the round trip and the streaming; returns now. */
uint64_t prof_span_end(struct prof_span *sp);

/*
 * Appends " key=n" to the line in buf (no space at its start; pos is
 * its length); returns the new length, or size when the item did not
 * fit and the line ends before it.  Also the request counts' (stats.h).
 */
size_t profile_item(char *buf, size_t size, size_t pos, const char *key, uint64_t n);

/*
 * Writes "fg_wait_n=N ... ra_bytes=N" into buf (NUL-terminated, at most
 * size - 1 bytes): each counter other than 0, fg's then ra's, in the
 * order above.  Returns the line's length.
 */
size_t profile_format(char *buf, size_t size);

#endif
