/*
 * Changes of messages on the server (see mutate.h).  Order of every multi-step change:
 * the message is in its new place before it leaves the old one, so that
 * a dropped connection leaves it in the source, the destination or both,
 * never neither.  After a dropped connection the operation asks a new
 * connection what happened, so that the system call fails exactly when
 * the change was not made.
 *
 * RFC 3501 6.4.4 (SEARCH), 6.4.6 (STORE), 6.4.7 (COPY); RFC 4315 (UID
 * EXPUNGE, COPYUID); RFC 6851 (MOVE); RFC 6154 (\Trash).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <mailfs/commands.h>

#include "deadline.h"
#include "alias.h"
#include "errmap.h"
#include "folder.h"
#include "forward.h"
#include "imap.h"
#include "inode.h"
#include "log.h"
#include "mutate.h"
#include "options.h"
#include "pool.h"
#include "recover.h"

int
fctx_get(struct node *n, struct fctx *fc)
{
	int r = 0;

	memset(fc, 0, sizeof(*fc));
	tree_rdlock();
	if (n->folder == NULL || n->gen == 0 || !node_selectable(n))
		r = EPERM;
	else if ((fc->mailbox = strdup(n->mailbox)) == NULL)
		r = ENOMEM;
	else {
		node_ref(n);
		fc->n = n;
		fc->f = n->folder;
	}
	tree_unlock();
	if (r == 0 && (r = folder_ensure(n)) != 0)
		fctx_clear(fc);
	if (r == 0) {
		pthread_mutex_lock(&fc->f->lock);
		fc->uidvalidity = fc->f->uidvalidity;
		pthread_mutex_unlock(&fc->f->lock);
	}
	return r;
}

void
fctx_clear(struct fctx *fc)
{
	node_put(fc->n);
	free(fc->mailbox);
	memset(fc, 0, sizeof(*fc));
}

/* Takes a's and b's sync_lock in address order with lock(); 0 or its error. */
static int
lock_pair(struct folder *a, struct folder *b, int (*lock)(pthread_mutex_t *))
{
	struct folder *first = a, *second = b;
	int r;

	if (b == NULL || b == a)
		return lock(&a->sync_lock);
	if ((uintptr_t)b < (uintptr_t)a) {
		first = b;
		second = a;
	}
	if ((r = lock(&first->sync_lock)) != 0)
		return r;
	if ((r = lock(&second->sync_lock)) != 0)
		pthread_mutex_unlock(&first->sync_lock);
	return r;
}

void
sync_lock2(struct folder *a, struct folder *b)
{
	(void)lock_pair(a, b, pthread_mutex_lock);
}

int
sync_lock2_op(struct folder *a, struct folder *b)
{
	return lock_pair(a, b, deadline_lock);
}

void
sync_unlock2(struct folder *a, struct folder *b)
{
	pthread_mutex_unlock(&a->sync_lock);
	if (b != NULL && b != a)
		pthread_mutex_unlock(&b->sync_lock);
}

/* ---- rm ---- */

/* The name uid has in f now; needs nothing held. */
static void
msg_name(struct folder *f, uint32_t uid, char name[NAMES_COMPONENT_MAX + 1])
{
	pthread_mutex_lock(&f->lock);
	alias_msg_name_locked(f, uid, name);
	pthread_mutex_unlock(&f->lock);
}

/* 1 when name stands for a message of f other than uid (0: any). */
static int
name_taken(struct folder *f, const char *name, uint32_t uid)
{
	uint32_t holder;
	int taken;

	pthread_mutex_lock(&f->lock);
	taken = (holder = alias_lookup_locked(f, name)) != 0 && holder != uid &&
	    folder_find_locked(f, holder) >= 0;
	pthread_mutex_unlock(&f->lock);
	return taken;
}

int
mutate_unlink(struct node *dir, uint32_t uid)
{
	char name[NAMES_COMPONENT_MAX + 1];
	struct pool_conn *pc;
	struct node *trash = NULL;
	struct fctx fc, tc;
	int r;

	if ((r = fctx_get(dir, &fc)) != 0)
		return r;
	if (fs.opts->delete_trash) {
		tree_rdlock();
		if ((trash = tree_trash_locked()) != NULL)
			node_ref(trash);
		tree_unlock();
		if (trash == NULL) {
			log_msg(LOG_WARNING, "delete=trash, but the server names no \\Trash "
			    "folder: message %u of \"%s\" stays", (unsigned)uid, fc.mailbox);
			fctx_clear(&fc);
			return EPERM;
		}
		if (trash != dir) {
			/* Into the Trash under its name, unless that is taken there. */
			msg_name(fc.f, uid, name);
			if ((r = fctx_get(trash, &tc)) == 0) {
				if (name_taken(tc.f, name, 0))
					name[0] = '\0';	/* its UID's name there */
				fctx_clear(&tc);
				r = mutate_rename_msg(dir, uid, trash, name);
			}
			node_put(trash);
			fctx_clear(&fc);
			return r;
		}
		node_put(trash);	/* rm inside the Trash expunges */
	}
	if ((r = sync_lock2_op(fc.f, NULL)) != 0) {
		fctx_clear(&fc);
		return r;
	}
	if ((r = imap_conn(fc.mailbox, &pc)) == 0) {
		if (mailfs_client_mailbox(pool_client(pc))->uidvalidity != fc.uidvalidity)
			r = ENOENT;
		else if ((r = imap_expunge_uid(&pc, fc.mailbox, uid)) == 0)
			folder_remove_local(fc.f, uid);
		if (pc != NULL)
			pool_put(pc, r != 0 && r != ENOENT);
	}
	sync_unlock2(fc.f, NULL);
	fctx_clear(&fc);
	return r;
}

/* ---- mv of a message ---- */

/* The message's UID in dst after a MOVE or COPY whose answer was lost or carried no COPYUID. */
static int
find_in(const char *mailbox, uint32_t from, const struct msg *m, uint32_t *uid_r,
    uint32_t *uidvalidity_r)
{
	return imap_find_in(mailbox, from, m->size, m->date, NULL, uid_r, uidvalidity_r);
}

/*
 * Moves uid from src to dst on the server; 0 with the new UID (0 when the
 * server would not tell), or an errno when the message did not move.
 */
static int
move_on_server(struct fctx *src, struct fctx *dst, uint32_t uid, const struct msg *m,
    uint32_t *newuid_r, uint32_t *uidvalidity_r)
{
	struct be_status su = { 0 };
	struct mailfs_cmd_result res;
	struct mailfs_handlers h;
	struct mailfs_client *c;
	struct mailfs_error err;
	struct pool_conn *pc;
	struct imap_has_uid hu;
	char uidtext[16];
	int r, move, lost;

	*newuid_r = 0;
	*uidvalidity_r = 0;
	if ((r = imap_conn(src->mailbox, &pc)) != 0)
		return r;
	c = pool_client(pc);
	if (mailfs_client_mailbox(c)->uidvalidity != src->uidvalidity) {
		pool_put(pc, 0);
		return ENOENT;
	}
	move = (mailfs_client_capabilities(c) & MAILFS_CAP_MOVE) != 0;
	snprintf(uidtext, sizeof(uidtext), "%u", (unsigned)uid);
	memset(&h, 0, sizeof(h));
	h.status = imap_status_handler;
	h.ctx = &su;
	/* dst's UIDNEXT first: where to look if the answer is lost. */
	(void)mailfs_run(c, mailfs_status(c, dst->mailbox,
	    MAILFS_STATUS_UIDNEXT | MAILFS_STATUS_UIDVALIDITY, &h), NULL);
	memset(&res, 0, sizeof(res));
	if (mailfs_run(c, move ? mailfs_uid_move(c, uidtext, dst->mailbox) :
	    mailfs_uid_copy(c, uidtext, dst->mailbox), &res) == 0) {
		*newuid_r = mailfs_uidset_nth(&res.dst_uids, 0);
		*uidvalidity_r = res.uidvalidity;
		mailfs_cmd_result_clear(&res);
		if (!move && (r = imap_expunge_uid(&pc, src->mailbox, uid)) != 0) {
			/* Both copies stay: nothing lost, and the mv failed. */
			if (pc != NULL)
				pool_put(pc, 1);
			return r;
		}
		/*
		 * Given back before the search, which takes a connection of
		 * its own: holding this one, it would wait for a second
		 * (forever with -o connections=1, and with a pool emptied by
		 * as many mv's at once).
		 */
		pool_put(pc, 0);
		if (*newuid_r == 0 && find_in(dst->mailbox, su.uidnext, m, newuid_r,
		    uidvalidity_r) != 0)
			*newuid_r = 0;	/* it moved; only its new name is lost */
		return 0;
	}
	mailfs_cmd_result_clear(&res);
	err = *mailfs_client_error(c);
	log_msg(LOG_WARNING, "cannot move message %s of \"%s\" to \"%s\": %s", uidtext,
	    src->mailbox, dst->mailbox, err.msg);
	lost = imap_lost(c, &err);
	pool_put(pc, 1);
	if (!lost)
		return errmap_op_errno(&err, ERRMAP_COPY);
	/* The answer was lost: ask what happened. */
	if (move) {
		hu.uid = uid;
		hu.present = 0;
		if ((r = imap_ask(src->mailbox, imap_ask_has_uid, &hu)) != 0)
			return r;
		if (hu.present)
			return errmap_op_errno(&err, ERRMAP_COPY);	/* it did not move */
		(void)find_in(dst->mailbox, su.uidnext, m, newuid_r, uidvalidity_r);
		log_msg(LOG_NOTICE, "message %s of \"%s\" did move to \"%s\"", uidtext,
		    src->mailbox, dst->mailbox);
		return 0;
	}
	if ((r = find_in(dst->mailbox, su.uidnext, m, newuid_r, uidvalidity_r)) != 0)
		return r;
	if (*newuid_r == 0)
		return errmap_op_errno(&err, ERRMAP_COPY);	/* not copied: nothing changed */
	if ((r = imap_conn(src->mailbox, &pc)) != 0)
		return r;
	r = imap_expunge_uid(&pc, src->mailbox, uid);
	if (pc != NULL)
		pool_put(pc, r != 0);
	return r;
}

int
mutate_rename_msg(struct node *src, uint32_t uid, struct node *dst, const char *newname)
{
	char flags[4096], name[NAMES_COMPONENT_MAX + 1];
	struct fctx sc, dc;
	struct msg m;
	uint32_t newuid = 0, uidvalidity = 0, sgen, dgen;
	int r;

	if ((r = fctx_get(src, &sc)) != 0)
		return r;
	if ((r = fctx_get(dst, &dc)) != 0) {
		fctx_clear(&sc);
		return r;
	}
	if ((r = sync_lock2_op(sc.f, dc.f)) != 0) {
		fctx_clear(&dc);
		fctx_clear(&sc);
		return r;
	}
	if ((r = folder_get(sc.f, uid, &m, flags, sizeof(flags))) != 0)
		goto out;
	if (newname[0] != '\0' && name_taken(dc.f, newname, sc.f == dc.f ? uid : 0)) {
		/* Never expunge a message the user did not name for removal. */
		r = EEXIST;
		goto out;
	}
	if (sc.f == dc.f) {
		/* Within a folder only the name changes. */
		newuid = uid;
		uidvalidity = sc.uidvalidity;
	} else if ((r = move_on_server(&sc, &dc, uid, &m, &newuid, &uidvalidity)) != 0)
		goto out;
	else {
		folder_remove_local(sc.f, uid);
		if (newuid != 0 && !folder_add_local(dc.f, uidvalidity, newuid, m.size,
		    m.date, flags))
			newuid = 0;
	}
	if (newuid != 0) {
		pthread_mutex_lock(&dc.f->lock);
		if (dc.f->alias_uidvalidity == uidvalidity) {
			if (newname[0] == '\0') {
				alias_msg_name_locked(dc.f, newuid, name);
				newname = name;
			}
			(void)alias_set_locked(dc.f, newuid, newname);
		}
		pthread_mutex_unlock(&dc.f->lock);
		tree_rdlock();
		sgen = src->gen;
		dgen = dst->gen;
		tree_unlock();
		if (sc.f != dc.f && sgen != 0 && dgen != 0)
			forward_add(msg_ino(sgen, uid), msg_ino(dgen, newuid));
	}
out:
	sync_unlock2(sc.f, dc.f);
	fctx_clear(&dc);
	fctx_clear(&sc);
	return r;
}
