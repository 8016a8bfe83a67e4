/*
 * Push: backend.h wait_changes() for IMAP, on a connection of its own
 * outside the pool (pool_connect()), so that waiting for the server
 * never keeps a connection from an operation.
 *
 * What pushes.  Where the server offers NOTIFY (RFC 5465): NOTIFY SET
 * (SELECTED ...) (PERSONAL (MessageNew MessageExpunge FlagChange
 * MailboxName SubscriptionChange)), no mailbox selected, then IDLE
 * (RFC 2177) to wait: new mail, expunges and flag changes of every
 * personal folder (as STATUS) and folders created, deleted or renamed
 * (as LIST) are told at once.  Else (or when NOTIFY is refused) IDLE
 * with INBOX selected: INBOX's changes are told at once, the other
 * folders' are found by the caller's polling (every -o refresh).  A server without IDLE: EPERM, the caller
 * polls.  What ends a wait is untagged data that is a change (EXISTS,
 * EXPUNGE, FETCH, VANISHED, STATUS, LIST), not a keepalive ("* OK Still
 * here").
 *
 * Liveness.  Every PROBE (-o timeout, at most two minutes) the IDLE is
 * ended with DONE, whose tagged OK must come within -o timeout, and sent
 * again: a connection that went silent (a suspended laptop, a NAT that
 * forgot it) is noticed within PROBE + timeout, and IDLE is re-issued
 * long before RFC 2177's 29 minutes.
 *
 * Failure.  Any failure (refused, broken, silent) drops the connection,
 * is logged once (until a connection works again, which is logged too),
 * and returns EIO at once: the caller polls, and its next call connects
 * again.  A connection made (again) reports a change at once, so that
 * what happened while nobody watched is found by the listing after.
 *
 * Push takes a connection beside the pool's -o connections, except with
 * connections=1 (imap_watch_init(0)): one connection then, and polling.
 *
 * State: the statics below, used by the one thread that calls
 * imap_wait_changes() (the model's refresh thread) and freed by
 * imap_watch_free() once it stopped: no lock.
 */
#include <errno.h>
#include <stdint.h>
#include <time.h>

#include <mailfs/commands.h>

#include "deadline.h"
#include "errmap.h"
#include "imap.h"
#include "log.h"
#include "pool.h"

#define WATCH_EVENTS "(SELECTED (MessageNew MessageExpunge FlagChange)) " \
	"(PERSONAL (MessageNew MessageExpunge FlagChange MailboxName SubscriptionChange))"
#define PROBE_MAX_MS	(120 * 1000)

static int watch_on;		/* imap_watch_init() */
static struct mailfs_client *watch_client;
static int watch_changed;	/* the server told of a change */
static int watch_down;		/* a failure was logged: say when push is back */
static uint64_t watch_probe_ms;	/* when IDLE is ended and begun again */

static void
changed(void *ctx)
{
	(void)ctx;
	watch_changed = 1;
}

static void
on_count(void *ctx, uint32_t n)
{
	(void)n;
	changed(ctx);
}

static void
on_vanished(void *ctx, const struct mailfs_uidset *uids, int earlier)
{
	(void)uids;
	(void)earlier;
	changed(ctx);
}

static void
on_fetch(void *ctx, const struct mailfs_msg *msg)
{
	(void)msg;
	changed(ctx);
}

static void
on_list(void *ctx, const struct mailfs_list_entry *e)
{
	(void)e;
	changed(ctx);
}

static void
on_status(void *ctx, const struct mailfs_status *st)
{
	(void)st;
	changed(ctx);
}

static const struct mailfs_unilateral watch_handlers = {
	.exists = on_count,
	.expunge = on_count,
	.vanished = on_vanished,
	.fetch = on_fetch,
	.list = on_list,
	.status = on_status,
};

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static uint64_t
probe_interval_ms(void)
{
	uint64_t ms = (uint64_t)deadline_timeout() * 1000;

	return ms > PROBE_MAX_MS ? PROBE_MAX_MS : ms;
}

/* Drops the connection after a failure, said once: EIO, the caller polls. */
static int
fail(const char *what)
{
	const struct mailfs_error *err;

	if (!watch_down && !pool_cancelled()) {
		err = watch_client != NULL ? mailfs_client_error(watch_client) : NULL;
		log_msg(LOG_INFO, "push: %s%s%s; looking for changes every refresh "
		    "interval until it works again", what, err != NULL ? ": " : "",
		    err != NULL ? err->msg : "");
		watch_down = 1;
	}
	mailfs_client_free(&watch_client);
	deadline_end();
	return pool_cancelled() ? ECANCELED : EIO;
}

/*
 * Bounds each command of the connection by -o timeout (an operation of
 * its own), or, with on 0, lets the IDLE wait as long as asked.
 */
static void
bound(int on)
{
	if (on) {
		deadline_begin();
		mailfs_client_set_deadline(watch_client, deadline_current());
	} else {
		deadline_end();
		mailfs_client_set_deadline(watch_client, NULL);
	}
}

/* Connects, asks for the changes (NOTIFY or INBOX) and starts IDLE. */
static int
watch_open(void)
{
	struct mailfs_error err;
	unsigned caps;

	deadline_begin();
	if ((watch_client = pool_connect(&watch_handlers, &err)) == NULL) {
		if (!watch_down && !pool_cancelled()) {
			log_msg(LOG_INFO, "push: cannot connect: %s; looking for changes "
			    "every refresh interval until it works again", err.msg);
			watch_down = 1;
		}
		deadline_end();
		return pool_cancelled() ? ECANCELED : EIO;
	}
	mailfs_client_set_deadline(watch_client, deadline_current());
	caps = mailfs_client_capabilities(watch_client);
	if (!(caps & MAILFS_CAP_IDLE)) {
		log_msg(LOG_INFO, "push: the server offers no IDLE; looking for "
		    "changes every refresh interval");
		mailfs_client_free(&watch_client);
		deadline_end();
		return EPERM;
	}
	/* NOTIFY refused (NO, BAD): IDLE on INBOX, as without it. */
	if ((caps & MAILFS_CAP_NOTIFY) && mailfs_run(watch_client,
	    mailfs_notify(watch_client, WATCH_EVENTS), NULL) == -1) {
		if (errmap_conn_broken(mailfs_client_error(watch_client)))
			return fail("NOTIFY failed");
		log_msg(LOG_INFO, "push: %s; IDLE on INBOX instead",
		    mailfs_client_error(watch_client)->msg);
		caps &= ~MAILFS_CAP_NOTIFY;
	}
	if (!(caps & MAILFS_CAP_NOTIFY) && mailfs_run(watch_client,
	    mailfs_select(watch_client, "INBOX", 0, NULL, NULL), NULL) == -1)
		return fail("cannot select INBOX");
	if (mailfs_idle_start(watch_client) == -1)
		return fail("IDLE failed");
	bound(0);
	if (watch_down)
		log_msg(LOG_INFO, "push: working again");
	else
		log_msg(LOG_DEBUG, "push: %s", caps & MAILFS_CAP_NOTIFY ?
		    "NOTIFY, every folder" : "IDLE on INBOX, the other folders polled");
	watch_down = 0;
	watch_probe_ms = now_ms() + probe_interval_ms();
	/*
	 * What happened while no connection watched (since the mount's
	 * LIST, or since the connection before broke): the caller lists
	 * once.  A refresh that finds nothing changed costs the LIST only.
	 */
	watch_changed = 1;
	return 0;
}

/* DONE, its OK within -o timeout, and IDLE again. */
static int
probe(void)
{
	bound(1);
	if (mailfs_idle_done(watch_client) == -1)
		return fail("the connection did not answer its check");
	if (mailfs_idle_start(watch_client) == -1)
		return fail("IDLE failed");
	bound(0);
	watch_probe_ms = now_ms() + probe_interval_ms();
	return 0;
}

int
imap_wait_changes(struct backend *be, unsigned timeout_ms)
{
	uint64_t now, end;
	int r;

	(void)be;
	if (!watch_on)
		return EPERM;
	if (pool_cancelled())
		return ECANCELED;
	if (watch_client == NULL && (r = watch_open()) != 0)
		return r;
	end = now_ms() + timeout_ms;
	for (;;) {
		if (watch_changed) {
			watch_changed = 0;
			return 0;
		}
		now = now_ms();
		if (now >= end)
			return 0;
		if (now >= watch_probe_ms) {
			if ((r = probe()) != 0)
				return r;
			continue;
		}
		if (mailfs_idle_wait(watch_client, (int)((end < watch_probe_ms ?
		    end : watch_probe_ms) - now)) == -1)
			return fail("the connection broke");
	}
}

void
imap_watch_init(int on)
{
	watch_on = on;
}

void
imap_watch_free(void)
{
	mailfs_client_free(&watch_client);
	watch_changed = watch_down = 0;
}
