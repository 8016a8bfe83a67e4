/*
 * Changes on the server (see mutate.h).  Order of every multi-step change:
 * the message is in its new place before it leaves the old one, so that
 * a dropped connection leaves it in the source, the destination or both,
 * never neither.  After a dropped connection the operation asks a new
 * connection what happened, so that the system call fails exactly when
 * the change was not made.
 *
 * RFC 3501 6.3.3-6.3.5 (CREATE, DELETE, RENAME), 6.4.4 (SEARCH), 6.4.6
 * (STORE), 6.4.7 (COPY); RFC 4315 (UID EXPUNGE, COPYUID); RFC 6851 (MOVE);
 * RFC 6154 (\Trash).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <uthash.h>

#include <mailfs/commands.h>

#include "deadline.h"
#include "alias.h"
#include "cache.h"
#include "errmap.h"
#include "folder.h"
#include "imap.h"
#include "inode.h"
#include "log.h"
#include "mutate.h"
#include "options.h"
#include "pool.h"
#include "recover.h"
#include "stage.h"

#define FORWARD_MAX	65536	/* moved messages remembered for stale dentries */

struct forward {
	fuse_ino_t from;
	fuse_ino_t to;
	UT_hash_handle hh;
};

static pthread_mutex_t forward_lock = PTHREAD_MUTEX_INITIALIZER;
static struct forward *forwards;

static void
forward_add(fuse_ino_t from, fuse_ino_t to)
{
	struct forward *f, *tmp;

	pthread_mutex_lock(&forward_lock);
	if (HASH_COUNT(forwards) >= FORWARD_MAX)
		HASH_ITER(hh, forwards, f, tmp) {
			HASH_DEL(forwards, f);
			free(f);
		}
	HASH_FIND(hh, forwards, &from, sizeof(from), f);
	if (f == NULL && (f = calloc(1, sizeof(*f))) != NULL) {
		f->from = from;
		HASH_ADD(hh, forwards, from, sizeof(f->from), f);
	}
	if (f != NULL)
		f->to = to;
	pthread_mutex_unlock(&forward_lock);
}

fuse_ino_t
mutate_forward(fuse_ino_t ino)
{
	struct forward *f;
	fuse_ino_t to = 0;
	int hops;

	pthread_mutex_lock(&forward_lock);
	/* A message moved on and on: follow a few hops. */
	for (hops = 0; hops < 8; hops++) {
		HASH_FIND(hh, forwards, &ino, sizeof(ino), f);
		if (f == NULL)
			break;
		ino = to = f->to;
	}
	pthread_mutex_unlock(&forward_lock);
	return to;
}

void
mutate_destroy(void)
{
	struct forward *f, *tmp;

	pthread_mutex_lock(&forward_lock);
	HASH_ITER(hh, forwards, f, tmp) {
		HASH_DEL(forwards, f);
		free(f);
	}
	pthread_mutex_unlock(&forward_lock);
}

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

/* The failure of an operation on pc, logged with the server's text; the errno. */
static int
failed(struct pool_conn *pc, const char *what, const char *mailbox)
{
	struct mailfs_error err = *mailfs_client_error(pool_client(pc));

	log_msg(LOG_WARNING, "%s \"%s\": %s", what, mailbox, err.msg);
	return errmap_errno(&err);
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

/* ---- folders ---- */

struct list_probe {
	const char *name;	/* the mailbox asked about */
	char delim;
	int exists;
	int children;
	int lost;		/* a name was dropped (out of memory): the answer is unsure */
};

static void
on_probe_list(void *ctx, const struct mailfs_list_entry *e)
{
	struct list_probe *p = ctx;
	size_t len = strlen(p->name);

	if (e->name == NULL && e->name_lost)
		p->lost = 1;
	if (e->name == NULL || (e->attrs & MAILFS_MBX_NONEXISTENT))
		return;
	if (strcmp(e->name, p->name) == 0)
		p->exists = 1;
	else if (p->delim != '\0' && strncmp(e->name, p->name, len) == 0 &&
	    e->name[len] == p->delim)
		p->children = 1;
}

/*
 * Whether mailbox exists (LIST "" name) and has children (LIST "" name.%).
 * 0 or -1 (the client's error).
 */
static int
probe(struct mailfs_client *c, const char *mailbox, char delim, struct list_probe *p)
{
	struct mailfs_handlers h;
	struct mailfs_cmd *a, *b = NULL;
	char pattern[4200];
	int r;

	memset(p, 0, sizeof(*p));
	p->name = mailbox;
	p->delim = delim;
	memset(&h, 0, sizeof(h));
	h.list = on_probe_list;
	h.ctx = p;
	a = mailfs_list(c, "", mailbox, 0, 0, &h);
	if (delim != '\0') {
		snprintf(pattern, sizeof(pattern), "%s%c%%", mailbox, delim);
		b = mailfs_list(c, "", pattern, 0, 0, &h);
	}
	r = mailfs_run(c, a, NULL);
	if (b != NULL && mailfs_run(c, b, NULL) == -1)
		r = -1;
	return r;
}

static int
ask_probe(struct mailfs_client *c, void *ctx)
{
	struct list_probe *p = ctx;

	return probe(c, p->name, p->delim, p);
}

/* Leaves mailbox if pc has it selected (a folder about to go or move). */
static void
leave(struct pool_conn *pc, const char *mailbox)
{
	struct mailfs_client *c = pool_client(pc);
	const char *sel = pool_selected(pc);

	if (sel != NULL && strcmp(sel, mailbox) == 0)
		(void)mailfs_run(c, mailfs_unselect(c), NULL);
}

/*
 * Runs cmd (CREATE, DELETE or RENAME: op); when the connection drops, asks
 * a new one whether check_name exists now (want_exists) to decide.  0 or an errno.
 */
static int
run_folder_cmd(struct pool_conn **pcp, struct mailfs_cmd *cmd, const char *what,
    const char *mailbox, const char *check_name, char delim, int want_exists,
    enum errmap_op op)
{
	struct mailfs_error err;
	struct list_probe p;
	int r;

	if (mailfs_run(pool_client(*pcp), cmd, NULL) == 0)
		return 0;
	err = *mailfs_client_error(pool_client(*pcp));
	log_msg(LOG_WARNING, "cannot %s \"%s\": %s", what, mailbox, err.msg);
	if (!imap_lost(pool_client(*pcp), &err))
		return errmap_op_errno(&err, op);
	pool_put(*pcp, 1);
	*pcp = NULL;
	memset(&p, 0, sizeof(p));
	p.name = check_name;
	p.delim = delim;
	if ((r = imap_ask(NULL, ask_probe, &p)) != 0)
		return r;
	if (p.exists == want_exists) {
		log_msg(LOG_NOTICE, "the %s of \"%s\" was done after all", what, mailbox);
		return 0;
	}
	return errmap_op_errno(&err, op);
}

/*
 * The personal namespace's prefix (RFC 2342), asked once per mount: a
 * server that keeps folders under one (Cyrus, Courier: "INBOX.") may
 * refuse others with a plain NO, and the log then says where they go.
 */
static pthread_mutex_t ns_lock = PTHREAD_MUTEX_INITIALIZER;
static int ns_known;
static char ns_prefix[256];

static void
on_namespace(void *ctx, const struct mailfs_namespace *ns)
{
	snprintf(ctx, sizeof(ns_prefix), "%s", ns->prefix);
}

/* The prefix into buf ("" when none or unknown); asks c the first time. */
static void
personal_prefix(struct mailfs_client *c, char *buf)
{
	struct mailfs_handlers h;
	char got[sizeof(ns_prefix)] = "";
	int known;

	pthread_mutex_lock(&ns_lock);
	known = ns_known;
	pthread_mutex_unlock(&ns_lock);
	if (!known) {
		memset(&h, 0, sizeof(h));
		h.namespace = on_namespace;
		h.ctx = got;
		/* Without NAMESPACE the server has none to tell. */
		known = !(mailfs_client_capabilities(c) & MAILFS_CAP_NAMESPACE) ||
		    mailfs_run(c, mailfs_namespace(c, &h), NULL) == 0;
		pthread_mutex_lock(&ns_lock);
		if (known && !ns_known) {
			memcpy(ns_prefix, got, sizeof(ns_prefix));
			ns_known = 1;
		}
		pthread_mutex_unlock(&ns_lock);
	}
	pthread_mutex_lock(&ns_lock);
	memcpy(buf, ns_prefix, sizeof(ns_prefix));
	pthread_mutex_unlock(&ns_lock);
}

/* After the server refused to make mailbox (CREATE, RENAME): where folders go. */
static void
log_refused(struct pool_conn *pc, const char *what, const char *mailbox, int r)
{
	char prefix[sizeof(ns_prefix)];
	size_t len;

	personal_prefix(pool_client(pc), prefix);
	len = strlen(prefix);
	if (len > 0 && strncmp(mailbox, prefix, len) != 0)
		log_msg(LOG_WARNING, "the server refused to %s \"%s\": %s; folders go "
		    "under %s (the server's personal namespace)", what, mailbox,
		    strerror(r), prefix);
	else
		log_msg(LOG_WARNING, "the server refused to %s \"%s\": %s", what, mailbox,
		    strerror(r));
}

int
mutate_mkdir(struct node *parent, const char *name, fuse_ino_t *ino_r)
{
	struct inval_list inv = { 0 };
	struct list_item it;
	struct pool_conn *pc;
	struct node *c;
	char mailbox[4096], delim;
	int r;

	tree_rdlock();
	delim = tree_delimiter_locked();
	if (tree_child_locked(parent, name) != NULL)
		r = EEXIST;
	else
		r = tree_mailbox_name_locked(parent, name, mailbox, sizeof(mailbox));
	tree_unlock();
	if (r != 0)
		return r;
	if ((r = imap_conn(NULL, &pc)) != 0)
		return r;
	r = run_folder_cmd(&pc, mailfs_create(pool_client(pc), mailbox), "create", mailbox,
	    mailbox, delim, 1, ERRMAP_CREATE);
	if (pc != NULL && (r == EACCES || r == EPERM))
		log_refused(pc, "create", mailbox, r);
	if (pc != NULL)
		pool_put(pc, r != 0);
	if (r != 0)
		return r;
	memset(&it, 0, sizeof(it));
	it.name = mailbox;
	it.delim = delim;
	tree_wrlock();
	tree_touch_locked();
	tree_add_locked(&it, &inv);
	if ((c = tree_child_locked(parent, name)) != NULL) {
		node_lookup(c);
		*ino_r = c->ino;
	} else
		r = EIO;
	tree_unlock();
	inval_send_later(&inv);
	inval_clear(&inv);
	return r;
}

int
mutate_rmdir(struct node *parent, const char *name)
{
	struct inval_list inv = { 0 };
	struct be_status cnt = { 0 };
	struct mailfs_handlers h;
	struct mailfs_client *cl;
	struct list_probe p;
	struct pool_conn *pc;
	struct node *c;
	char mailbox[4096], delim;
	uint32_t uidvalidity = 0;
	int r = 0, selectable = 0;

	tree_rdlock();
	delim = tree_delimiter_locked();
	if ((c = tree_child_locked(parent, name)) == NULL)
		r = ENOENT;
	else if (c->children != NULL)
		r = ENOTEMPTY;
	else if (c->mailbox != NULL)
		snprintf(mailbox, sizeof(mailbox), "%s", c->mailbox);
	else
		r = tree_mailbox_name_locked(c, NULL, mailbox, sizeof(mailbox));
	if (r == 0) {
		node_ref(c);
		selectable = node_selectable(c);
	}
	tree_unlock();
	if (r != 0)
		return r;
	if (strcasecmp(mailbox, "INBOX") == 0)
		r = EPERM;
	else if (stage_any(c->ino))
		r = ENOTEMPTY;
	if (r == 0 && c->folder != NULL) {
		pthread_mutex_lock(&c->folder->lock);
		uidvalidity = c->folder->uidvalidity;
		pthread_mutex_unlock(&c->folder->lock);
	}
	if (r != 0 || (r = imap_conn(NULL, &pc)) != 0) {
		node_put(c);
		return r;
	}
	cl = pool_client(pc);
	/* The server's state decides, not what this mount saw last. */
	memset(&h, 0, sizeof(h));
	h.status = imap_status_handler;
	h.ctx = &cnt;
	if (probe(cl, mailbox, delim, &p) == -1 || (selectable &&
	    mailfs_run(cl, mailfs_status(cl, mailbox, MAILFS_STATUS_MESSAGES, &h), NULL) == -1))
		r = failed(pc, "cannot look into", mailbox);
	else if (p.lost) {
		log_msg(LOG_WARNING, "cannot look into \"%s\": out of memory", mailbox);
		r = ENOMEM;
	} else if (p.children || cnt.messages > 0)
		r = ENOTEMPTY;
	else if (!p.exists)
		r = 0;		/* a level of the hierarchy with nothing below: it just goes */
	else {
		leave(pc, mailbox);
		r = run_folder_cmd(&pc, mailfs_delete(cl, mailbox), "delete", mailbox,
		    mailbox, delim, 0, ERRMAP_DELETE);
	}
	if (pc != NULL)
		pool_put(pc, r != 0 && r != ENOTEMPTY);
	if (r == 0) {
		pool_unselect_name(mailbox);
		tree_wrlock();
		tree_touch_locked();
		tree_remove_locked(c, &inv);
		tree_unlock();
		inval_send_later(&inv);
		inval_clear(&inv);
		if (uidvalidity != 0)
			cache_drop(mailbox, uidvalidity);
	}
	node_put(c);
	return r;
}

/* Old mailbox names of n and below, to let go of their selections after a RENAME. */
static void
collect_names_locked(struct node *n, char ***v, size_t *cnt)
{
	struct node *c;
	char **tmp;

	if (n->mailbox != NULL && (tmp = realloc(*v, (*cnt + 1) * sizeof(**v))) != NULL) {
		*v = tmp;
		if ((tmp[*cnt] = strdup(n->mailbox)) != NULL)
			(*cnt)++;
	}
	for (c = n->children; c != NULL; c = c->next)
		collect_names_locked(c, v, cnt);
}

static void
move_aliases_locked(struct node *n)
{
	struct node *c;

	if (n->folder != NULL && n->mailbox != NULL) {
		pthread_mutex_lock(&n->folder->lock);
		alias_move_locked(n->folder, n->mailbox);
		pthread_mutex_unlock(&n->folder->lock);
	}
	for (c = n->children; c != NULL; c = c->next)
		move_aliases_locked(c);
}

int
mutate_rename_dir(struct node *parent, const char *name, struct node *newparent,
    const char *newname)
{
	struct pool_conn *pc;
	struct node *c, *a;
	char from[4096], to[4096], delim, **old = NULL;
	size_t nold = 0, i;
	int r = 0;

	tree_rdlock();
	delim = tree_delimiter_locked();
	if ((c = tree_child_locked(parent, name)) == NULL)
		r = ENOENT;
	else if (tree_child_locked(newparent, newname) != NULL)
		r = EEXIST;	/* IMAP RENAME never replaces */
	else if ((r = tree_mailbox_name_locked(c, NULL, from, sizeof(from))) == 0)
		r = tree_mailbox_name_locked(newparent, newname, to, sizeof(to));
	for (a = newparent; r == 0 && a != NULL; a = a->parent)
		if (a == c)
			r = EINVAL;	/* into itself */
	if (r == 0 && strcasecmp(from, "INBOX") == 0)
		r = EPERM;	/* RENAME INBOX moves its messages and leaves it */
	if (r == 0) {
		node_ref(c);
		collect_names_locked(c, &old, &nold);
	}
	tree_unlock();
	if (r != 0)
		return r;
	if ((r = imap_conn(NULL, &pc)) == 0) {
		for (i = 0; i < nold; i++)
			leave(pc, old[i]);
		r = run_folder_cmd(&pc, mailfs_rename(pool_client(pc), from, to), "rename",
		    from, to, delim, 1, ERRMAP_RENAME);
		if (pc != NULL && (r == EACCES || r == EPERM))
			log_refused(pc, "rename a folder to", to, r);
		if (pc != NULL)
			pool_put(pc, r != 0);
	}
	if (r == 0) {
		for (i = 0; i < nold; i++)
			pool_unselect_name(old[i]);
		/* The kernel moved its dentry: the node (its inode number) moves too. */
		tree_wrlock();
		tree_touch_locked();
		if (c->parent != NULL && (r = tree_move_locked(c, newparent, newname)) == 0)
			move_aliases_locked(c);
		tree_unlock();
	}
	for (i = 0; i < nold; i++)
		free(old[i]);
	free(old);
	node_put(c);
	return r;
}
