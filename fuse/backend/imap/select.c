/*
 * The IMAP backend: open, close, refresh, listing (see imap.h).  A folder
 * opened is a pool connection with the mailbox selected (SELECT
 * (CONDSTORE), pool.c), held by the caller until close(); one opened
 * lazily is a connection whose first fetch selects it (fetch.c).  Its listing
 * is one UID FETCH 1:* (FLAGS RFC822.SIZE INTERNALDATE, and with -o
 * names=readable BODY.PEEK[HEADER.FIELDS (DATE FROM SUBJECT MESSAGE-ID)]
 * to name each message, readable.h), with
 * (CHANGEDSINCE m) for a delta where CONDSTORE is enabled on the
 * connection, and VANISHED where QRESYNC is.  Without UIDPLUS a message
 * marked \Deleted is left out (a delta names it gone): there rm leaves
 * messages marked (recover.c), and a mark is what the user removed.
 *
 * RFC 3501 6.3.1 (SELECT), 6.3.10 (STATUS), 6.4.8 and 7.4.2 (UID FETCH),
 * RFC 7162 3.1.4 (CHANGEDSINCE), 3.2.6 (VANISHED).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <mailfs/commands.h>

#include "errmap.h"
#include "fs.h"
#include "imap.h"
#include "log.h"
#include "options.h"
#include "pool.h"
#include "profile.h"
#include "readable.h"
#include "recover.h"

/*
 * What SELECT (and what came since) showed of the folder selected on c;
 * UIDNEXT and HIGHESTMODSEQ are present when the server gave them (the
 * values are 0 when not).
 */
static void
selected_status(struct mailfs_client *c, struct be_status *st_r)
{
	const struct mailfs_mailbox_state *mb = mailfs_client_mailbox(c);

	memset(st_r, 0, sizeof(*st_r));
	st_r->present = BE_STATUS_MESSAGES | BE_STATUS_UIDVALIDITY;
	st_r->messages = mb->exists;
	st_r->uidvalidity = mb->uidvalidity;
	st_r->uidnext = mb->uidnext;
	st_r->highestmodseq = mb->highestmodseq;
	if (mb->uidnext != 0)
		st_r->present |= BE_STATUS_UIDNEXT;
	if (mb->highestmodseq != 0)
		st_r->present |= BE_STATUS_HIGHESTMODSEQ;
}

/* A folder on a pool connection (lazy: mailbox not selected yet); 0 or an errno (logged). */
static int
folder_new(const char *mailbox, int lazy, struct be_folder **f_r)
{
	struct be_folder *f;
	int r;

	if ((f = calloc(1, sizeof(*f))) == NULL || (f->mailbox = strdup(mailbox)) == NULL) {
		free(f);
		log_msg(LOG_WARNING, "cannot open the folder \"%s\": %s", mailbox,
		    "out of memory");
		return ENOMEM;
	}
	/*
	 * imap_conn() tries again when the connection the pool gave was
	 * dropped meanwhile (and logs what it could not reach), as rm and mv
	 * always did; a listing gains the same patience.
	 */
	r = lazy ? imap_conn_lazy(mailbox, &f->pc) : imap_conn(mailbox, &f->pc);
	if (r != 0) {
		free(f->mailbox);
		free(f);
		return r;
	}
	f->lazy = lazy;
	*f_r = f;
	return 0;
}

int
imap_open(struct backend *be, const char *mailbox, struct be_folder **f_r,
    struct be_status *st_r)
{
	int r;

	(void)be;
	if ((r = folder_new(mailbox, 0, f_r)) != 0)
		return r;
	selected_status(pool_client((*f_r)->pc), st_r);
	return 0;
}

int
imap_open_lazy(struct backend *be, const char *mailbox, struct be_folder **f_r)
{
	(void)be;
	return folder_new(mailbox, 1, f_r);
}

void
imap_close(struct be_folder *f, int failed)
{
	if (f->pc != NULL)
		pool_put(f->pc, failed);
	free(f->mailbox);
	free(f);
}

/*
 * Asks the server, on the folder's own connection, for its UIDNEXT and
 * HIGHESTMODSEQ now: what a pooled connection's SELECT or a folder list
 * showed may be older than what this mount did since.
 */
int
imap_refresh(struct be_folder *f, struct be_status *st_r)
{
	struct mailfs_client *c;
	struct mailfs_handlers h;
	struct be_status st = { 0 };

	if (f->pc == NULL)
		return EIO;	/* given back early: only close() is left */
	c = pool_client(f->pc);
	memset(&h, 0, sizeof(h));
	h.status = imap_status_handler;
	h.ctx = &st;
	if (pool_run(c, mailfs_status(c, f->mailbox, MAILFS_STATUS_UIDVALIDITY |
	    MAILFS_STATUS_UIDNEXT | MAILFS_STATUS_HIGHESTMODSEQ, &h)) == -1)
		return errmap_errno(mailfs_client_error(c));
	*st_r = st;
	return 0;
}

/* A listing in progress: the caller's callbacks, and its answer's span. */
struct listing_run {
	const struct be_listing_cb *cb;
	struct prof_span span;
	int hide_deleted;	/* imap_hides_deleted() */
	int readable;			/* -o names=readable: the header fields were asked */
	struct readable_seen seen;	/* and the names given so far */
};

int
imap_hides_deleted(void)
{
	return !(pool_capabilities() & MAILFS_CAP_UIDPLUS);
}

/* 1 when the flags (space-separated) hold \Deleted. */
static int
has_deleted(const char *flags)
{
	const char *p = flags;

	while ((p = strchr(p, '\\')) != NULL) {
		if (strncasecmp(p, "\\Deleted", 8) == 0 && (p[8] == ' ' || p[8] == '\0'))
			return 1;
		p++;
	}
	return 0;
}

static void
on_listing_fetch(void *ctx, const struct mailfs_msg *m)
{
	struct listing_run *lr = ctx;
	const struct be_listing_cb *cb = lr->cb;
	char name[NAMES_COMPONENT_MAX + 1];
	struct be_msg bm;

	prof_span_first(&lr->span);
	if (!(m->present & MAILFS_MSG_UID) || m->uid == 0)
		return;
	if (lr->hide_deleted && (m->present & MAILFS_MSG_FLAGS) && has_deleted(m->flags)) {
		/* Marked for removal, by rm or another client: gone, for the mount. */
		if (cb->vanished != NULL)
			cb->vanished(cb->ctx, m->uid, m->uid);
		return;
	}
	memset(&bm, 0, sizeof(bm));
	bm.uid = m->uid;
	if ((m->present & MAILFS_MSG_SIZE) && (m->present & MAILFS_MSG_INTERNALDATE)) {
		bm.size = m->size > UINT32_MAX ? UINT32_MAX : (uint32_t)m->size;
		bm.date = (int64_t)m->internaldate;
	} else
		bm.partial = 1;
	if (m->present & MAILFS_MSG_MODSEQ)
		bm.modseq = m->modseq;
	if (m->present & MAILFS_MSG_FLAGS)
		bm.flags = m->flags;
	/* -o names=readable: the header fields asked with the listing (readable.h). */
	if (lr->readable && (m->present & MAILFS_MSG_BODY) &&
	    (m->present & MAILFS_MSG_INTERNALDATE) &&
	    readable_name(m->body, m->body_len, (int64_t)m->internaldate, name) == 0 &&
	    readable_unique(&lr->seen, name) == 0)
		bm.name = name;
	cb->msg(cb->ctx, &bm);
}

static void
on_listing_vanished(void *ctx, const struct mailfs_uidset *uids, int earlier)
{
	struct listing_run *lr = ctx;
	const struct be_listing_cb *cb = lr->cb;
	size_t i;

	prof_span_first(&lr->span);
	(void)earlier;
	if (cb->vanished == NULL)
		return;
	for (i = 0; i < uids->count; i++)
		cb->vanished(cb->ctx, uids->ranges[i].first, uids->ranges[i].last);
}

int
imap_listing(struct be_folder *f, uint64_t since, const struct be_listing_cb *cb,
    struct be_status *st_r)
{
	struct mailfs_client *c;
	struct mailfs_fetch_spec spec;
	struct mailfs_handlers h;
	struct listing_run lr;
	int r;

	if (f->pc == NULL)
		return EIO;	/* given back early: only close() is left */
	c = pool_client(f->pc);
	/* A delta needs CONDSTORE enabled on this connection, not only offered. */
	if (since != 0 && !mailfs_client_condstore_enabled(c))
		return EPERM;
	memset(&h, 0, sizeof(h));
	h.fetch = on_listing_fetch;
	h.vanished = on_listing_vanished;
	memset(&lr, 0, sizeof(lr));
	lr.cb = cb;
	lr.hide_deleted = imap_hides_deleted();
	h.ctx = &lr;
	memset(&spec, 0, sizeof(spec));
	spec.items = MAILFS_FETCH_UID | MAILFS_FETCH_FLAGS | MAILFS_FETCH_SIZE |
	    MAILFS_FETCH_INTERNALDATE;
	if ((lr.readable = fs.opts != NULL && fs.opts->names_readable))
		spec.header_fields = READABLE_FIELDS;
	if (since != 0) {
		spec.changedsince = since;
		spec.vanished = mailfs_client_qresync_enabled(c);
	}
	prof_span_begin(&lr.span, profile_now());
	r = mailfs_run(c, mailfs_uid_fetch(c, "1:*", &spec, &h), NULL);
	(void)prof_span_end(&lr.span);
	readable_seen_clear(&lr.seen);
	if (r == -1) {
		/* Cut off by the unmount: nothing went wrong. */
		log_msg(pool_cancelled() ? LOG_DEBUG : LOG_WARNING,
		    "cannot list the folder \"%s\": %s", f->mailbox,
		    mailfs_client_error(c)->msg);
		return errmap_errno(mailfs_client_error(c));
	}
	selected_status(c, st_r);
	return 0;
}
