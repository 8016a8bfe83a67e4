/*
 * The IMAP backend: create, remove, rename of folders (see
 * imap.h).  Each runs its commands on one pool connection; when the
 * connection drops under a CREATE, DELETE or RENAME, a new one is asked
 * whether the folder is there now (LIST), so that the operation returns
 * 0 exactly when the change was made (backend.h).  State: the personal
 * namespace's prefix, asked once per mount, under ns_lock (a leaf).
 *
 * RFC 3501 6.3.3-6.3.5 (CREATE, DELETE, RENAME), 6.3.8 (LIST), 6.3.10
 * (STATUS); RFC 3691 (UNSELECT); RFC 2342 (NAMESPACE).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <mailfs/commands.h>

#include "errmap.h"
#include "imap.h"
#include "log.h"
#include "pool.h"
#include "recover.h"

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

/*
 * Leaves mailbox, or with delim a folder below it, if pc has it selected
 * (folders about to go or move).
 */
static void
leave(struct pool_conn *pc, const char *mailbox, char delim)
{
	struct mailfs_client *c = pool_client(pc);
	const char *sel = pool_selected(pc);

	if (sel != NULL && pool_name_under(sel, mailbox, delim))
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

/*
 * The prefix into buf ("" when none or unknown); asks c the first time.
 * 1 when it is known, 0 when NAMESPACE failed (the client's error says why).
 */
static int
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
	return known;
}

/* After the server refused to make mailbox (CREATE, RENAME): where folders go. */
static void
log_refused(struct pool_conn *pc, const char *what, const char *mailbox, int r)
{
	char prefix[sizeof(ns_prefix)];
	size_t len;

	(void)personal_prefix(pool_client(pc), prefix);
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
imap_create(struct backend *be, const char *mailbox, char delim)
{
	struct pool_conn *pc;
	int r;

	(void)be;
	if ((r = imap_conn(NULL, &pc)) != 0)
		return r;
	r = run_folder_cmd(&pc, mailfs_create(pool_client(pc), mailbox), "create", mailbox,
	    mailbox, delim, 1, ERRMAP_CREATE);
	if (pc != NULL && (r == EACCES || r == EPERM))
		log_refused(pc, "create", mailbox, r);
	if (pc != NULL)
		pool_put(pc, r != 0);
	return r;
}

int
imap_remove(struct backend *be, const char *mailbox, char delim, int selectable)
{
	struct be_status cnt = { 0 };
	struct mailfs_handlers h;
	struct mailfs_client *cl;
	struct list_probe p;
	struct pool_conn *pc;
	int r;

	(void)be;
	if ((r = imap_conn(NULL, &pc)) != 0)
		return r;
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
		leave(pc, mailbox, '\0');
		r = run_folder_cmd(&pc, mailfs_delete(cl, mailbox), "delete", mailbox,
		    mailbox, delim, 0, ERRMAP_DELETE);
	}
	if (pc != NULL)
		pool_put(pc, r != 0 && r != ENOTEMPTY);
	if (r == 0)
		pool_unselect_name(mailbox, '\0');
	return r;
}

int
imap_rename(struct backend *be, const char *from, const char *to, char delim)
{
	struct pool_conn *pc;
	int r;

	(void)be;
	if ((r = imap_conn(NULL, &pc)) != 0)
		return r;
	leave(pc, from, delim);
	r = run_folder_cmd(&pc, mailfs_rename(pool_client(pc), from, to), "rename", from, to,
	    delim, 1, ERRMAP_RENAME);
	if (pc != NULL && (r == EACCES || r == EPERM))
		log_refused(pc, "rename a folder to", to, r);
	if (pc != NULL)
		pool_put(pc, r != 0);
	if (r == 0)
		pool_unselect_name(from, delim);
	return r;
}
