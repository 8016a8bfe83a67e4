/*
 * The IMAP backend: fetch (see imap.h, backend.h fetch()).
 *
 * One UID FETCH set (UID RFC822.SIZE INTERNALDATE BODY.PEEK[]) on the
 * folder's connection; each body streams to the caller's chunk() as the
 * library reads it, and its FETCH response, once complete, becomes
 * done().  The UID may follow the body in a FETCH response, so chunk()
 * gets 0 for it and done() names the message.
 *
 * A folder opened lazily (open_lazy(), the read-ahead's) has its SELECT
 * sent by the first fetch, right before the UID FETCH and without
 * waiting for its answer: one round trip for both.  The UIDs are then
 * asked for before the folder's UIDVALIDITY is known, so the answer
 * passes a gate: the server answers in order, SELECT's untagged data
 * (UIDVALIDITY) and its completion come before any FETCH response of
 * the command sent after it, and a message is passed on only when the
 * mailbox the client has selected by then is the folder, of the
 * generation the caller named.  Otherwise nothing is passed on and the
 * call is ESTALE (or fails as the SELECT did): no message is ever given
 * under another generation's UID.
 *
 * RFC 3501 6.4.8 (UID FETCH with a UID set), 6.4.5 (BODY.PEEK[] does not
 * set \Seen), 6.1.2 (NOOP: the server tells what came in meanwhile),
 * 6.3.1 (a failed SELECT leaves no mailbox selected), 5.5 (pipelined
 * commands; responses in order).
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
	const char *mailbox;
	uint32_t uidvalidity;
	/*
	 * A SELECT went out with the command: pass nothing on unless the
	 * mailbox selected is mailbox of generation uidvalidity.
	 */
	int gate;
	int stale;		/* the gate held an answer back */
	uint32_t seq;		/* the message whose bytes are streaming */
	int streaming;
	size_t done;		/* done() calls */
	struct prof_span span;	/* the command's answer, for the profile */
};

/* 1 when the answer may be passed on (see the top). */
static int
admitted(struct fetch_run *fr)
{
	const struct mailfs_mailbox_state *mb;

	if (!fr->gate)
		return 1;
	mb = mailfs_client_mailbox(fr->c);
	if (mb != NULL && mb->name != NULL && strcmp(mb->name, fr->mailbox) == 0 &&
	    mb->uidvalidity == fr->uidvalidity)
		return 1;
	fr->stale = 1;
	return 0;
}

static void
on_body(void *ctx, uint32_t seq, uint64_t offset, uint64_t total, const char *data,
    size_t len)
{
	struct fetch_run *fr = ctx;

	prof_span_first(&fr->span);
	if (offset == 0) {
		fr->streaming = 0;
		if (!admitted(fr))
			return;
		fr->seq = seq;
		fr->streaming = 1;
	} else if (!fr->streaming)
		return;	/* held back at its start */
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

/* Queues UID FETCH uids (sent as the pipeline allows); the command, or NULL. */
static struct mailfs_cmd *
fetch_send(struct fetch_run *fr, const char *uids)
{
	struct mailfs_handlers h;
	struct mailfs_fetch_spec spec;

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
	return mailfs_uid_fetch(fr->c, uids, &spec, &h);
}

/* Waits for the UID FETCH cmd; 0, or -1 with the client's error (logged when loud). */
static int
fetch_wait(struct fetch_run *fr, struct mailfs_cmd *cmd, const char *uids, int loud)
{
	int r;

	r = mailfs_run(fr->c, cmd, NULL);
	(void)prof_span_end(&fr->span);
	if (r == -1 && loud)
		log_msg(LOG_WARNING, "cannot fetch messages %s of \"%s\": %s", uids,
		    fr->mailbox, mailfs_client_error(fr->c)->msg);
	return r;
}

/*
 * SELECT and UID FETCH uids sent together on the lazily opened f: 0,
 * ESTALE (another generation: nothing passed on), or an errno (a
 * failed SELECT, logged only as a debug line, as the read-ahead's
 * open is; a failed FETCH, logged).
 */
static int
fetch_selecting(struct be_folder *f, struct fetch_run *fr, const char *uids)
{
	struct mailfs_cmd *sel, *cmd;
	struct mailfs_error err;
	int r;

	fr->gate = 1;
	sel = pool_select_send(f->pc, f->mailbox);
	cmd = fetch_send(fr, uids);
	if (pool_select_wait(f->pc, sel, f->mailbox) == -1) {
		err = *mailfs_client_error(fr->c);
		/* The FETCH fails too (no mailbox is selected): collected, unsaid. */
		(void)fetch_wait(fr, cmd, uids, 0);
		log_msg(LOG_DEBUG, "cannot open the folder \"%s\": %s", f->mailbox, err.msg);
		return errmap_errno(&err);
	}
	/* The FETCH's wait for its first byte starts after the SELECT's answer. */
	fr->span.start = fr->span.first != 0 ? fr->span.first : profile_now();
	r = fetch_wait(fr, cmd, uids, 1);
	if (fr->stale)
		return ESTALE;
	return r == -1 ? errmap_errno(mailfs_client_error(fr->c)) : 0;
}

int
imap_fetch(struct be_folder *f, uint32_t uidvalidity, const char *uids,
    const struct be_body_cb *cb)
{
	const struct mailfs_mailbox_state *mb;
	struct fetch_run fr;
	struct mailfs_client *c;
	int r;

	if (f->pc == NULL)
		return EIO;	/* given back by an earlier call (imap.h) */
	c = pool_client(f->pc);
	memset(&fr, 0, sizeof(fr));
	fr.cb = cb;
	fr.c = c;
	fr.mailbox = f->mailbox;
	fr.uidvalidity = uidvalidity;
	if (f->lazy && !pool_has_selected(f->pc, f->mailbox)) {
		if ((r = fetch_selecting(f, &fr, uids)) != 0)
			return r;
	} else {
		if ((mb = mailfs_client_mailbox(c)) == NULL)
			return EIO;	/* the server closed the mailbox */
		if (mb->uidvalidity != uidvalidity)
			return ESTALE;	/* a new generation: these UIDs may be other messages now */
		if (fetch_wait(&fr, fetch_send(&fr, uids), uids, 1) == -1)
			return errmap_errno(mailfs_client_error(c));
	}
	/*
	 * A message that came in since this connection last looked (mv into
	 * the folder through another connection, then cat at once) is not in
	 * its view yet, and UID FETCH gives nothing: NOOP, and ask again.
	 * Only for a set of one UID (what a read asks for): a UID missing
	 * from the read-ahead's range is one expunged meanwhile.
	 */
	fr.gate = 0;	/* the folder is selected, of that generation */
	if (fr.done == 0 && uids[strspn(uids, "0123456789")] == '\0' &&
	    pool_run(c, mailfs_noop(c)) == 0 &&
	    fetch_wait(&fr, fetch_send(&fr, uids), uids, 1) == -1)
		return errmap_errno(mailfs_client_error(c));
	return 0;
}
