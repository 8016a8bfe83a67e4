/*
 * Changes of messages (see mutate.h): rm and mv, through the backend
 * (backend.h), which makes each change on the source exactly once or not
 * at all, asking after a lost answer.  Here: which folder, under which
 * locks, and what the model learns of the change (the message's new UID
 * and name, the forward table).  Locks: a folder's sync_lock (both of a
 * mv's, in address order) across the change; its lock briefly for its
 * names; the tree's read lock briefly.
 *
 * Offline, or behind changes queued before, a change is queued instead
 * (queue.h); a move of two commands (no BE_CAN_MOVE) is journaled online
 * too, so that a kill -9 between them is finished by the next mount.
 *
 * RFC 6154 (\Trash: where rm moves with -o delete=trash).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "alias.h"
#include "backend.h"
#include "deadline.h"
#include "folder.h"
#include "forward.h"
#include "inode.h"
#include "journal.h"
#include "log.h"
#include "mutate.h"
#include "options.h"
#include "queue.h"

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
		folder_lock(fc->f);
		fc->uidvalidity = fc->f->uidvalidity;
		folder_unlock(fc->f);
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
	folder_lock(f);
	alias_msg_name_locked(f, uid, name);
	folder_unlock(f);
}

/* 1 when name stands for a message of f other than uid (0: any). */
static int
name_taken(struct folder *f, const char *name, uint32_t uid)
{
	uint32_t holder;
	int taken;

	folder_lock(f);
	taken = (holder = alias_lookup_locked(f, name)) != 0 && holder != uid &&
	    folder_find_locked(f, holder) >= 0;
	folder_unlock(f);
	return taken;
}

int
mutate_unlink(struct node *dir, uint32_t uid)
{
	char name[NAMES_COMPONENT_MAX + 1];
	struct be_folder *bf;
	struct be_status st;
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
	if (queue_wanted()) {
		fctx_clear(&fc);
		return queue_unlink(dir, uid);
	}
	if ((r = sync_lock2_op(fc.f, NULL)) != 0) {
		fctx_clear(&fc);
		return r;
	}
	if ((r = backend_open(fs.backend, fc.mailbox, &bf, &st)) == 0) {
		/* Another generation: the message named is gone. */
		if ((r = backend_expunge(fs.backend, bf, fc.uidvalidity, uid)) == ESTALE)
			r = ENOENT;
		else if (r == 0)
			folder_remove_local(fc.f, uid);
		backend_close(fs.backend, bf, r != 0 && r != ENOENT);
	}
	sync_unlock2(fc.f, NULL);
	fctx_clear(&fc);
	/* Nothing was sent: the source went out of reach meanwhile. */
	if (queue_unreachable(r))
		r = queue_unlink(dir, uid);
	return r;
}

/* ---- mv of a message ---- */

/*
 * Moves m from src to dst on the server; 0 with the new UID (0 when the
 * server would not tell), or an errno when the message did not move.
 */
static int
move_on_server(struct fctx *src, struct fctx *dst, const struct msg *m,
    uint32_t *newuid_r, uint32_t *uidvalidity_r)
{
	struct be_msg bm = { .uid = m->uid, .size = m->size, .date = m->date };
	struct journal_change c;
	struct be_folder *bf;
	struct be_status st;
	int r, begun = 0;

	*newuid_r = 0;
	*uidvalidity_r = 0;
	if (!(backend_caps(fs.backend) & BE_CAN_MOVE)) {
		/* COPY, then the expunge: journaled, so that a crash between is finished. */
		memset(&c, 0, sizeof(c));
		c.kind = JOURNAL_MOVE;
		c.mailbox = src->mailbox;
		c.uidvalidity = src->uidvalidity;
		c.uid = m->uid;
		c.mailbox2 = dst->mailbox;
		c.size = m->size;
		c.date = m->date;
		if ((r = queue_begin(&c)) != 0)
			return r;
		begun = 1;
	}
	if ((r = backend_open(fs.backend, src->mailbox, &bf, &st)) == 0) {
		/* Another generation: the message named is gone. */
		if ((r = backend_move(fs.backend, bf, src->uidvalidity, &bm, dst->mailbox,
		    newuid_r, uidvalidity_r)) == ESTALE)
			r = ENOENT;
		backend_close(fs.backend, bf, r != 0 && r != ENOENT);
	}
	/* Not sent: the caller queues it anew.  Failed: the caller is told. */
	if (begun)
		queue_end(&c, 1);
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
	/* Within a folder only this mount's name changes: nothing to queue. */
	if (sc.f != dc.f && queue_wanted()) {
		fctx_clear(&dc);
		fctx_clear(&sc);
		return queue_move(src, uid, dst, newname);
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
	} else if ((r = move_on_server(&sc, &dc, &m, &newuid, &uidvalidity)) != 0)
		goto out;
	else {
		folder_remove_local(sc.f, uid);
		if (newuid != 0 && !folder_add_local(dc.f, uidvalidity, newuid, m.size,
		    m.date, flags))
			newuid = 0;
	}
	if (newuid != 0) {
		folder_lock(dc.f);
		if (dc.f->alias_uidvalidity == uidvalidity) {
			if (newname[0] == '\0') {
				alias_msg_name_locked(dc.f, newuid, name);
				newname = name;
			}
			(void)alias_set_locked(dc.f, newuid, newname);
		}
		folder_unlock(dc.f);
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
	/* Nothing was sent: the source went out of reach meanwhile. */
	if (queue_unreachable(r))
		r = queue_move(src, uid, dst, newname);
	return r;
}
