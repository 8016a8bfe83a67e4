/*
 * The IMAP backend: expunge, move (see imap.h), on the connection of an
 * opened folder.  Order of a move: the message is in its new place before
 * it leaves the old one, so that a dropped connection leaves it in the
 * source, the destination or both, never neither.  When the answer is
 * lost, a new connection is asked what happened (recover.h), so that
 * move() returns 0 exactly when the message moved.
 *
 * Without UIDPLUS no COPYUID names the copy: the source's Message-ID is
 * fetched with dst's UIDNEXT, and the copy found by it, its size and date
 * from that UIDNEXT on; the original goes as rm's does (recover.h).
 *
 * RFC 3501 6.3.10 (STATUS), 6.4.4 (SEARCH), 6.4.5 (FETCH BODY.PEEK[]<>),
 * 6.4.6 (STORE), 6.4.7 (COPY); RFC 4315 (UID EXPUNGE, COPYUID); RFC 6851 (MOVE).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <mailfs/commands.h>

#include "errmap.h"
#include "imap.h"
#include "log.h"
#include "pool.h"
#include "recover.h"

/* ESTALE when f's mailbox is no longer of generation uidvalidity (nothing sent). */
static int
check_generation(struct be_folder *f, uint32_t uidvalidity)
{
	if (f->pc == NULL)
		return EIO;	/* given back by an earlier call (imap.h) */
	if (mailfs_client_mailbox(pool_client(f->pc))->uidvalidity != uidvalidity)
		return ESTALE;
	return 0;
}

int
imap_expunge(struct be_folder *f, uint32_t uidvalidity, uint32_t uid)
{
	int r;

	if ((r = check_generation(f, uidvalidity)) != 0)
		return r;
	return imap_expunge_uid(&f->pc, f->mailbox, uid);
}

/*
 * The message's UID in dst after a MOVE or COPY whose answer was lost or
 * carried no COPYUID; msgid: its Message-ID, or NULL (size and date only).
 */
static int
find_in(const char *mailbox, uint32_t from, const struct be_msg *m, const char *msgid,
    uint32_t *uid_r, uint32_t *uidvalidity_r)
{
	return imap_find_in(mailbox, from, m->size, m->date, msgid, uid_r, uidvalidity_r);
}

/*
 * The head of the message to move, fetched before it where the server
 * names no copy (no UIDPLUS, so no COPYUID): its Message-ID tells the copy
 * from another message of its size and date that arrives meanwhile.
 */
#define HEAD_MAX	16384	/* the header's bytes read for it */

struct head {
	uint32_t uid;
	int seen;		/* the message is there */
	char msgid[256];	/* "": none found in the first HEAD_MAX bytes */
};

static void
on_head(void *ctx, const struct mailfs_msg *m)
{
	struct head *hd = ctx;
	size_t len;

	if (!(m->present & MAILFS_MSG_UID) || m->uid != hd->uid)
		return;
	hd->seen = 1;
	if (!(m->present & MAILFS_MSG_BODY))
		return;
	/* Whole lines only: a Message-ID cut off by HEAD_MAX would match others. */
	for (len = m->body_len; len > 0 && m->body[len - 1] != '\n'; len--)
		;
	be_message_id(m->body, len, hd->msgid, sizeof(hd->msgid));
}

/*
 * After a UID MOVE or COPY of m whose answer was lost (f's connection
 * given back): 0 when the message is in dst and no longer in f (the
 * expunge that a COPY leaves is done here), else err's errno.
 */
static int
move_lost(struct be_folder *f, int move, const struct be_msg *m, const char *msgid,
    const char *dst, uint32_t uidnext, const struct mailfs_error *err, uint32_t *uid_r,
    uint32_t *uidvalidity_r)
{
	uint32_t uid = m->uid;
	struct imap_has_uid hu;
	struct pool_conn *pc;
	int r;

	if (move) {
		hu.uid = uid;
		hu.present = 0;
		if ((r = imap_ask(f->mailbox, imap_ask_has_uid, &hu)) != 0)
			return r;
		if (hu.present)
			return errmap_op_errno(err, ERRMAP_COPY);	/* it did not move */
		(void)find_in(dst, uidnext, m, msgid, uid_r, uidvalidity_r);
		log_msg(LOG_NOTICE, "message %u of \"%s\" did move to \"%s\"", (unsigned)uid,
		    f->mailbox, dst);
		return 0;
	}
	if ((r = find_in(dst, uidnext, m, msgid, uid_r, uidvalidity_r)) != 0)
		return r;
	if (*uid_r == 0)
		return errmap_op_errno(err, ERRMAP_COPY);	/* not copied: nothing changed */
	if ((r = imap_conn(f->mailbox, &pc)) != 0)
		return r;
	r = imap_expunge_uid(&pc, f->mailbox, uid);
	if (pc != NULL)
		pool_put(pc, r != 0);
	return r;
}

/* Keeps c's error in *err_r and logs it. */
static void
move_failed(struct mailfs_client *c, const char *mailbox, const char *uidtext,
    const char *dst, struct mailfs_error *err_r)
{
	*err_r = *mailfs_client_error(c);
	log_msg(LOG_WARNING, "cannot move message %s of \"%s\" to \"%s\": %s", uidtext,
	    mailbox, dst, err_r->msg);
}

int
imap_move(struct be_folder *f, uint32_t uidvalidity, const struct be_msg *m,
    const char *dst, uint32_t *uid_r, uint32_t *uidvalidity_r)
{
	struct be_status su = { 0 };
	struct mailfs_cmd_result res;
	struct mailfs_handlers h, hh;
	struct mailfs_fetch_spec spec;
	struct mailfs_client *c;
	struct mailfs_cmd *status, *head = NULL;
	struct mailfs_error err;
	struct head hd;
	const char *msgid;
	char uidtext[16];
	int r, move, lost;

	*uid_r = 0;
	*uidvalidity_r = 0;
	if ((r = check_generation(f, uidvalidity)) != 0)
		return r;
	c = pool_client(f->pc);
	move = (mailfs_client_capabilities(c) & MAILFS_CAP_MOVE) != 0;
	snprintf(uidtext, sizeof(uidtext), "%u", (unsigned)m->uid);
	memset(&h, 0, sizeof(h));
	h.status = imap_status_handler;
	h.ctx = &su;
	/* dst's UIDNEXT first: where to look if the answer is lost. */
	status = mailfs_status(c, dst, MAILFS_STATUS_UIDNEXT | MAILFS_STATUS_UIDVALIDITY,
	    &h);
	memset(&hd, 0, sizeof(hd));
	hd.uid = m->uid;
	if (!(mailfs_client_capabilities(c) & MAILFS_CAP_UIDPLUS)) {
		/* No COPYUID to come: the Message-ID to find the copy by. */
		memset(&hh, 0, sizeof(hh));
		hh.fetch = on_head;
		hh.ctx = &hd;
		memset(&spec, 0, sizeof(spec));
		spec.items = MAILFS_FETCH_BODY;
		spec.partial_len = HEAD_MAX;
		head = mailfs_uid_fetch(c, uidtext, &spec, &hh);
	}
	/*
	 * Without dst's UIDNEXT (or the Message-ID) a lost answer could only
	 * be asked about by size and date from UID 1, which another copy
	 * of that size and date would answer: the original would go with
	 * its copy never made.  So nothing is sent without them.
	 */
	if ((r = mailfs_run(c, status, NULL)) == -1)
		mailfs_cmd_detach(c, head);
	else if (head != NULL && (r = mailfs_run(c, head, NULL)) == 0 && !hd.seen)
		return ENOENT;	/* gone: a COPY would say OK and copy nothing */
	if (r == -1) {
		move_failed(c, f->mailbox, uidtext, dst, &err);
		return errmap_op_errno(&err, ERRMAP_COPY);
	}
	msgid = hd.msgid[0] != '\0' ? hd.msgid : NULL;
	memset(&res, 0, sizeof(res));
	if (mailfs_run(c, move ? mailfs_uid_move(c, uidtext, dst) :
	    mailfs_uid_copy(c, uidtext, dst), &res) == 0) {
		*uid_r = mailfs_uidset_nth(&res.dst_uids, 0);
		*uidvalidity_r = res.uidvalidity;
		mailfs_cmd_result_clear(&res);
		if (!move && (r = imap_expunge_uid(&f->pc, f->mailbox, m->uid)) != 0) {
			/* Both copies stay: nothing lost, and the mv failed. */
			if (f->pc != NULL)
				pool_put(f->pc, 1);
			f->pc = NULL;
			return r;
		}
		/*
		 * Given back before the search, which takes a connection of
		 * its own: holding this one, it would wait for a second
		 * (forever with -o connections=1, and with a pool emptied by
		 * as many mv's at once).
		 */
		pool_put(f->pc, 0);
		f->pc = NULL;
		if (*uid_r == 0 &&
		    find_in(dst, su.uidnext, m, msgid, uid_r, uidvalidity_r) != 0)
			*uid_r = 0;	/* it moved; only its new name is lost */
		return 0;
	}
	mailfs_cmd_result_clear(&res);
	move_failed(c, f->mailbox, uidtext, dst, &err);
	lost = imap_lost(c, &err);
	pool_put(f->pc, 1);
	f->pc = NULL;
	if (!lost)
		return errmap_op_errno(&err, ERRMAP_COPY);
	/* The answer was lost: ask what happened. */
	return move_lost(f, move, m, msgid, dst, su.uidnext, &err, uid_r, uidvalidity_r);
}
