/*
 * Changes of folders on the server: mkdir, rmdir and the rename of
 * folders (see dirs.h).  After a dropped connection the operation asks a
 * new connection whether the folder is there now, so that the system
 * call fails exactly when the change was not made.
 *
 * RFC 3501 6.3.3-6.3.5 (CREATE, DELETE, RENAME), 6.3.8 (LIST); RFC 2342
 * (NAMESPACE).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <mailfs/commands.h>

#include "alias.h"
#include "cache.h"
#include "dirs.h"
#include "errmap.h"
#include "folder.h"
#include "imap.h"
#include "inode.h"
#include "log.h"
#include "pool.h"
#include "recover.h"
#include "stage.h"

/* The failure of an operation on pc, logged with the server's text; the errno. */
static int
failed(struct pool_conn *pc, const char *what, const char *mailbox)
{
	struct mailfs_error err = *mailfs_client_error(pool_client(pc));

	log_msg(LOG_WARNING, "%s \"%s\": %s", what, mailbox, err.msg);
	return errmap_errno(&err);
}

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
