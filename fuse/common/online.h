/*
 * Whether the server can be reached.  Online, or offline since a failure
 * to connect or log in for a network reason (refused, unreachable, no
 * answer in time): the backend reports both ways (backend/imap/pool.c),
 * the handlers and the model read it.  While offline, what needs the
 * server fails at once with ONLINE_ERRNO instead of waiting for a
 * timeout, and changes are queued (model/queue.h) until the backend's
 * reconnect succeeds, which calls the hook (online_set_hook()) that
 * replays them.  A failed command on a live connection is never
 * "offline".
 *
 * Owns: the state, since when, the last failure to reach the server and
 * when; under online_lock, a leaf of fs.h's order (nothing is taken
 * under it).  online_offline() reads the state without the lock.
 */
#ifndef MAILFS_FUSE_ONLINE_H
#define MAILFS_FUSE_ONLINE_H

#include <errno.h>
#include <stddef.h>
#include <time.h>

/*
 * The errno of what needs the server while offline (an uncached body, a
 * folder never saved): one a script can tell from the others (mailfs(1)).
 */
#define ONLINE_ERRNO	EHOSTDOWN

#define ONLINE_WHY_MAX	256

struct online_status {
	int offline;
	time_t since;			/* of the state, wall clock */
	time_t error_at;		/* 0: no failure yet */
	time_t contact_at;		/* the last command that succeeded; 0: none */
	char error[ONLINE_WHY_MAX];	/* the last failure to reach the server */
};

/* The mount begins, online, at now. */
void online_init(time_t now);

/* 1 while offline. */
int online_offline(void);

/* Offline from now, because of why (the last error): 1 when it was online. */
int online_go_offline(const char *why);

/* Online from now: 1 when it was offline. */
int online_go_online(void);

/*
 * A command succeeded on the server just now (pool.c, for each): the
 * "last contact" of mailfs status.  A clock read and an atomic store,
 * no lock.
 */
void online_note_contact(void);

/* A failure to reach the server that changes no state (a login refused). */
void online_note_error(const char *why);

void online_get(struct online_status *st);

/*
 * fn is called (without online_lock) each time the mount goes online
 * (NULL: nothing): the model's refresh, which replays the changes queued.
 */
void online_set_hook(void (*fn)(void));

/* t as ISO 8601 in UTC ("2026-11-28T14:02:15Z") into buf (at least 21 bytes). */
void online_iso8601(time_t t, char *buf, size_t size);

#endif
