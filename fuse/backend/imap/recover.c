/*
 * Recovery after a lost answer (see recover.h).
 *
 * RFC 3501 5.5 (pipelining), 6.4.3 (EXPUNGE), 6.4.4 (SEARCH), 6.4.6 (STORE);
 * RFC 4315 (UID EXPUNGE).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mailfs/commands.h>

#include "deadline.h"
#include "errmap.h"
#include "log.h"
#include "pool.h"
#include "recover.h"

#define FIND_MAX	64	/* candidates imap_find() compares */

int
imap_lost(struct mailfs_client *c, const struct mailfs_error *err)
{
	/* A command queued after the connection died fails as a usage error. */
	return errmap_conn_broken(err) ||
	    mailfs_client_state(c) < MAILFS_STATE_AUTHENTICATED;
}

/* imap_conn(), or imap_conn_lazy() when lazy. */
static int
conn_get(const char *mailbox, int lazy, struct pool_conn **pc_r)
{
	struct mailfs_error err;
	int attempt;

	/*
	 * An idle connection the server dropped fails once, then
	 * reconnects, while the operation has time left.  A busy pool is no
	 * broken connection: waiting again would only overrun the deadline.
	 */
	for (attempt = 0; attempt < 3; attempt++) {
		if ((*pc_r = lazy ? pool_get_lazy(mailbox, &err) : pool_get(mailbox, &err)) !=
		    NULL)
			return 0;
		if (!errmap_conn_broken(&err) || pool_busy_error(&err) ||
		    pool_offline_error(&err) || deadline_left_ms() == 0)
			break;
	}
	/*
	 * Ended by cancel() (the exit): asked for, no failure of the server
	 * (the read-ahead, whose open this mostly is then, never warned).
	 */
	if (pool_cancelled() || pool_offline_error(&err)) {
		log_msg(LOG_DEBUG, "cannot reach \"%s\": %s", mailbox != NULL ? mailbox :
		    "the server", err.msg);
		return pool_cancelled() ? ECANCELED : errmap_errno(&err);
	}
	log_msg(LOG_WARNING, "cannot reach \"%s\": %s", mailbox != NULL ? mailbox :
	    "the server", err.msg);
	return errmap_errno(&err);
}

int
imap_conn(const char *mailbox, struct pool_conn **pc_r)
{
	return conn_get(mailbox, 0, pc_r);
}

int
imap_conn_lazy(const char *mailbox, struct pool_conn **pc_r)
{
	return conn_get(mailbox, 1, pc_r);
}

#define get_conn imap_conn

int
imap_ask(const char *mailbox, int (*fn)(struct mailfs_client *, void *), void *ctx)
{
	struct mailfs_error err;
	struct pool_conn *pc;
	int attempt, r;

	/* Asking is what a lost answer leaves: it may take the grace. */
	deadline_grace();
	memset(&err, 0, sizeof(err));
	for (attempt = 0; attempt < 3; attempt++) {
		if ((r = get_conn(mailbox, &pc)) != 0)
			return r;
		if (fn(pool_client(pc), ctx) == 0) {
			pool_put(pc, 0);
			return 0;
		}
		err = *mailfs_client_error(pool_client(pc));
		r = imap_lost(pool_client(pc), &err);
		pool_put(pc, 1);
		if (!r || deadline_left_ms() == 0)
			break;
	}
	log_msg(LOG_WARNING, "cannot ask \"%s\" what happened: %s", mailbox != NULL ?
	    mailbox : "the server", err.msg);
	return errmap_errno(&err);
}

/* ---- finding what a lost answer made ---- */

struct found {
	uint32_t from;
	int64_t date;
	uint32_t cand[FIND_MAX];
	size_t n;
	uint32_t best;
};

static void
on_find_search(void *ctx, const struct mailfs_uidset *uids)
{
	struct found *fd = ctx;
	size_t i;
	uint32_t u;

	/* "n:*" matches the highest UID even below n: keep only >= from. */
	for (i = uids->count; i-- > 0 && fd->n < FIND_MAX;)
		for (u = uids->ranges[i].last; u >= uids->ranges[i].first && fd->n < FIND_MAX;
		    u--) {
			if (u >= fd->from)
				fd->cand[fd->n++] = u;
			if (u == 0)
				break;
		}
}

static void
on_find_fetch(void *ctx, const struct mailfs_msg *m)
{
	struct found *fd = ctx;
	size_t i;

	if (!(m->present & MAILFS_MSG_UID) || !(m->present & MAILFS_MSG_INTERNALDATE) ||
	    (int64_t)m->internaldate != fd->date)
		return;
	for (i = 0; i < fd->n; i++)
		if (fd->cand[i] == m->uid && m->uid > fd->best)
			fd->best = m->uid;
}

int
imap_find(struct mailfs_client *c, uint32_t from, uint64_t size, int64_t date,
    const char *msgid, uint32_t *uid_r)
{
	struct mailfs_handlers h;
	struct mailfs_fetch_spec spec;
	struct found fd;
	char crit[512], set[FIND_MAX * 11 + 1];
	size_t i, o = 0;
	int n;

	memset(&fd, 0, sizeof(fd));
	fd.from = from != 0 ? from : 1;
	fd.date = date;
	n = snprintf(crit, sizeof(crit), "UID %u:* SMALLER %llu", (unsigned)fd.from,
	    (unsigned long long)size + 1);
	if (size > 0)
		n += snprintf(crit + n, sizeof(crit) - (size_t)n, " LARGER %llu",
		    (unsigned long long)size - 1);
	if (msgid != NULL)
		snprintf(crit + n, sizeof(crit) - (size_t)n, " HEADER Message-ID \"%s\"", msgid);
	memset(&h, 0, sizeof(h));
	h.search = on_find_search;
	h.ctx = &fd;
	/*
	 * A NOOP first, answered before the SEARCH is sent: a session that
	 * had the mailbox selected before the message arrived does not see
	 * it until then (Dovecot's SEARCH looks at the session's view, and
	 * runs beside a NOOP pipelined before it).
	 */
	if (mailfs_run(c, mailfs_noop(c), NULL) == -1 ||
	    mailfs_run(c, mailfs_uid_search(c, crit, &h), NULL) == -1)
		return -1;
	*uid_r = 0;
	if (fd.n == 0)
		return 0;
	if (date < 0) {
		*uid_r = fd.cand[0];	/* the highest */
		return 0;
	}
	for (i = 0; i < fd.n; i++)
		o += (size_t)snprintf(set + o, sizeof(set) - o, "%s%u", i > 0 ? "," : "",
		    (unsigned)fd.cand[i]);
	memset(&spec, 0, sizeof(spec));
	spec.items = MAILFS_FETCH_UID | MAILFS_FETCH_INTERNALDATE;
	h.search = NULL;
	h.fetch = on_find_fetch;
	if (mailfs_run(c, mailfs_uid_fetch(c, set, &spec, &h), NULL) == -1)
		return -1;
	*uid_r = fd.best;
	return 0;
}

int
imap_ask_has_uid(struct mailfs_client *c, void *ctx)
{
	struct imap_has_uid *hu = ctx;
	struct mailfs_handlers h;
	struct found fd;
	char crit[32];

	memset(&fd, 0, sizeof(fd));
	fd.from = hu->uid;
	memset(&h, 0, sizeof(h));
	h.search = on_find_search;
	h.ctx = &fd;
	snprintf(crit, sizeof(crit), "UID %u", (unsigned)hu->uid);
	if (mailfs_run(c, mailfs_uid_search(c, crit, &h), NULL) == -1)
		return -1;
	hu->present = fd.n > 0 && fd.cand[0] == hu->uid;
	return 0;
}

struct find_args {
	uint32_t from;
	uint64_t size;
	int64_t date;
	const char *msgid;
	uint32_t uid;
	uint32_t uidvalidity;
};

static int
ask_find(struct mailfs_client *c, void *ctx)
{
	struct find_args *fa = ctx;

	if (imap_find(c, fa->from, fa->size, fa->date, fa->msgid, &fa->uid) == -1)
		return -1;
	fa->uidvalidity = mailfs_client_mailbox(c)->uidvalidity;
	return 0;
}

int
imap_find_in(const char *mailbox, uint32_t from, uint64_t size, int64_t date,
    const char *msgid, uint32_t *uid_r, uint32_t *uidvalidity_r)
{
	struct find_args fa = { from, size, date, msgid, 0, 0 };
	int r;

	if ((r = imap_ask(mailbox, ask_find, &fa)) == 0) {
		*uid_r = fa.uid;
		*uidvalidity_r = fa.uidvalidity;
	}
	return r;
}

/* ---- rm ---- */

/* What UID SEARCH DELETED found: whether uid is marked, and how many others are. */
struct marked {
	uint32_t uid;
	int mine;
	uint64_t others;
};

static void
on_marked(void *ctx, const struct mailfs_uidset *uids)
{
	struct marked *mk = ctx;
	size_t i;

	for (i = 0; i < uids->count; i++) {
		mk->others += (uint64_t)uids->ranges[i].last - uids->ranges[i].first + 1;
		if (mk->uid >= uids->ranges[i].first && mk->uid <= uids->ranges[i].last) {
			mk->mine = 1;
			mk->others--;
		}
	}
}

static pthread_once_t rev1_once = PTHREAD_ONCE_INIT;

static void
rev1_notice(void)
{
	log_msg(LOG_NOTICE, "the server lacks UIDPLUS: rm marks a message \\Deleted and "
	    "expunges it only when no other message of its folder is marked; "
	    "messages marked \\Deleted are not shown (mailfs(1))");
}

/*
 * rm without UIDPLUS (IMAP4rev1 has no UID EXPUNGE): UID STORE +FLAGS
 * (\Deleted), then UID SEARCH DELETED, then EXPUNGE only when uid is the
 * one message marked, since EXPUNGE removes every marked message, another
 * client's too.  Else the message stays marked: the listing no longer
 * shows it (select.c), as clients of the "mark as deleted" model do.  The
 * SEARCH waits for the STORE's answer: Dovecot runs a pipelined SEARCH
 * beside the command before it, on a view of the mailbox that may lack
 * what other sessions marked since; the STORE's completion brings the
 * view up to date.  A mark set by another client between the SEARCH's
 * answer and the EXPUNGE, one round trip, is the one thing this cannot
 * see.  0 when uid is marked or gone, -1 (the client's error), or EIO
 * (logged) when the server does not keep the mark.
 */
static int
expunge_marked(struct mailfs_client *c, const char *mailbox, const char *uidtext,
    uint32_t uid)
{
	struct mailfs_handlers h;
	struct imap_has_uid hu;
	struct marked mk;

	(void)pthread_once(&rev1_once, rev1_notice);
	memset(&h, 0, sizeof(h));
	h.search = on_marked;
	h.ctx = &mk;
	memset(&mk, 0, sizeof(mk));
	mk.uid = uid;
	if (mailfs_run(c, mailfs_uid_store(c, uidtext, MAILFS_STORE_ADD, "\\Deleted", 1, 0,
	    NULL), NULL) == -1 ||
	    mailfs_run(c, mailfs_uid_search(c, "DELETED", &h), NULL) == -1)
		return -1;
	if (!mk.mine) {
		hu.uid = uid;
		hu.present = 0;
		if (imap_ask_has_uid(c, &hu) == -1)
			return -1;
		if (!hu.present)
			return 0;	/* expunged meanwhile: what rm wanted */
		log_msg(LOG_WARNING, "cannot remove message %s of \"%s\": the server does "
		    "not keep the flag \\Deleted on it", uidtext, mailbox);
		return EIO;
	}
	if (mk.others > 0) {
		log_msg(LOG_DEBUG, "message %s of \"%s\" stays marked \\Deleted: %llu other "
		    "messages there are marked too, and EXPUNGE would remove them", uidtext,
		    mailbox, (unsigned long long)mk.others);
		return 0;
	}
	if (mailfs_run(c, mailfs_expunge(c), NULL) == -1) {
		if (imap_lost(c, mailfs_client_error(c)))
			return -1;	/* asked again: the mark stays, the EXPUNGE may not */
		/* Marked it is, and hidden: the EXPUNGE was only tidying up. */
		log_msg(LOG_NOTICE, "message %s of \"%s\" stays marked \\Deleted: %s", uidtext,
		    mailbox, mailfs_client_error(c)->msg);
	}
	return 0;
}

/* rm with UIDPLUS: 0 or -1 (the client's error). */
static int
expunge_one(struct mailfs_client *c, const char *uidtext)
{
	/*
	 * One after the other, not pipelined: Dovecot may run a UID
	 * EXPUNGE beside a UID STORE still waiting on the mailbox, and
	 * then expunges nothing and says OK.  Both are harmless to repeat.
	 */
	if (mailfs_run(c, mailfs_uid_store(c, uidtext, MAILFS_STORE_ADD, "\\Deleted", 1, 0,
	    NULL), NULL) == -1)
		return -1;
	return mailfs_run(c, mailfs_uid_expunge(c, uidtext), NULL);
}

int
imap_expunge_uid(struct pool_conn **pcp, const char *mailbox, uint32_t uid)
{
	struct mailfs_client *c;
	struct mailfs_error err;
	char uidtext[16];
	int attempt, r, uidplus;

	uidplus = (pool_capabilities() & MAILFS_CAP_UIDPLUS) != 0;
	snprintf(uidtext, sizeof(uidtext), "%u", (unsigned)uid);
	for (attempt = 0;; attempt++) {
		c = pool_client(*pcp);
		r = uidplus ? expunge_one(c, uidtext) : expunge_marked(c, mailbox, uidtext, uid);
		if (r >= 0)
			return r;
		err = *mailfs_client_error(c);
		log_msg(LOG_WARNING, "cannot remove message %s of \"%s\": %s", uidtext, mailbox,
		    err.msg);
		if (attempt >= 2 || !imap_lost(c, &err))
			return errmap_op_errno(&err, ERRMAP_EXPUNGE);
		pool_put(*pcp, 1);
		*pcp = NULL;
		deadline_grace();
		if (deadline_left_ms() == 0 || imap_conn(mailbox, pcp) != 0)
			return errmap_op_errno(&err, ERRMAP_EXPUNGE);
	}
}
