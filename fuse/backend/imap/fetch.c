/*
 * The IMAP backend: fetch (see imap.h, backend.h fetch()).
 *
 * One UID FETCH set (UID RFC822.SIZE INTERNALDATE BODY.PEEK[]) on the
 * folder's connection; each body streams to the caller's chunk() as the
 * library reads it, and its FETCH response, once complete, becomes
 * done().  The UID may follow the body in a FETCH response, so chunk()
 * gets 0 for it and done() names the message.
 *
 * RFC 3501 6.4.8 (UID FETCH with a UID set), 6.4.5 (BODY.PEEK[] does not
 * set \Seen), 6.1.2 (NOOP: the server tells what came in meanwhile).
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <mailfs/commands.h>

#include "errmap.h"
#include "imap.h"
#include "log.h"
#include "pool.h"
#include "profile.h"

/* One UID FETCH in progress. */
struct fetch_run {
	const struct be_body_cb *cb;
	struct mailfs_client *c;
	uint32_t seq;		/* the message whose bytes are streaming */
	int streaming;
	size_t done;		/* done() calls */
	struct prof_span span;	/* the command's answer, for the profile */
};

static void
on_body(void *ctx, uint32_t seq, uint64_t offset, uint64_t total, const char *data,
    size_t len)
{
	struct fetch_run *fr = ctx;

	if (offset == 0) {
		fr->seq = seq;
		fr->streaming = 1;
	}
	prof_span_first(&fr->span);
	profile_add(PROF_BYTES, len);
	/* Bytes are arriving: a large message on a slow link is not cut off. */
	pool_op_progress(fr->c);
	fr->cb->chunk(fr->cb->ctx, 0, offset, total, data, len);
}

/* A FETCH response is complete: the message streamed last is whole. */
static void
on_fetch(void *ctx, const struct mailfs_msg *m)
{
	struct fetch_run *fr = ctx;
	struct be_msg bm;

	if (!(m->present & MAILFS_MSG_BODY_STREAMED) || !fr->streaming ||
	    m->seq != fr->seq || !(m->present & MAILFS_MSG_UID))
		return;
	fr->streaming = 0;
	memset(&bm, 0, sizeof(bm));
	bm.uid = m->uid;
	bm.size = (m->present & MAILFS_MSG_SIZE) ? m->size : 0;
	bm.date = (m->present & MAILFS_MSG_INTERNALDATE) ? (int64_t)m->internaldate :
	    INT64_MIN;
	fr->done++;
	fr->cb->done(fr->cb->ctx, &bm);
}

/* UID FETCH uids; 0, or -1 with the client's error (logged). */
static int
fetch_set(struct fetch_run *fr, const char *mailbox, const char *uids)
{
	struct mailfs_handlers h;
	struct mailfs_fetch_spec spec;
	int r;

	memset(&h, 0, sizeof(h));
	h.fetch = on_fetch;
	h.body = on_body;
	h.ctx = fr;
	memset(&spec, 0, sizeof(spec));
	spec.items = MAILFS_FETCH_UID | MAILFS_FETCH_BODY | MAILFS_FETCH_SIZE |
	    MAILFS_FETCH_INTERNALDATE;
	fr->streaming = 0;
	profile_add(PROF_FETCHCMD_N, 1);
	prof_span_begin(&fr->span, profile_now());
	r = mailfs_run(fr->c, mailfs_uid_fetch(fr->c, uids, &spec, &h), NULL);
	(void)prof_span_end(&fr->span);
	if (r == -1) {
		log_msg(LOG_WARNING, "cannot fetch messages %s of \"%s\": %s", uids, mailbox,
		    mailfs_client_error(fr->c)->msg);
		return -1;
	}
	return 0;
}

int
imap_fetch(struct be_folder *f, uint32_t uidvalidity, const char *uids,
    const struct be_body_cb *cb)
{
	struct fetch_run fr;
	struct mailfs_client *c;

	if (f->pc == NULL)
		return EIO;	/* given back by an earlier call (imap.h) */
	c = pool_client(f->pc);
	if (mailfs_client_mailbox(c)->uidvalidity != uidvalidity)
		return ESTALE;	/* a new generation: these UIDs may be other messages now */
	memset(&fr, 0, sizeof(fr));
	fr.cb = cb;
	fr.c = c;
	if (fetch_set(&fr, f->mailbox, uids) == -1)
		return errmap_errno(mailfs_client_error(c));
	/*
	 * A message that came in since this connection last looked (mv into
	 * the folder through another connection, then cat at once) is not in
	 * its view yet, and UID FETCH gives nothing: NOOP, and ask again.
	 * Only for a set of one UID (what a read asks for): a UID missing
	 * from the read-ahead's range is one expunged meanwhile.
	 */
	if (fr.done == 0 && uids[strspn(uids, "0123456789")] == '\0' &&
	    pool_run(c, mailfs_noop(c)) == 0 && fetch_set(&fr, f->mailbox, uids) == -1)
		return errmap_errno(mailfs_client_error(c));
	return 0;
}
