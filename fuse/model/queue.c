/*
 * The offline queue (see queue.h): accepting a change into the journal
 * and laying the pending ones over what the mount shows.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "flagdiff.h"
#include "folder.h"
#include "folder_int.h"
#include "inode.h"
#include "journal.h"
#include "log.h"
#include "mutate.h"
#include "online.h"
#include "pending.h"
#include "queue.h"
#include "refresh.h"

/*
 * The UIDVALIDITY a folder made offline is shown with until the source
 * names its own: it is empty, and the first sync once online takes the
 * source's generation (no message of this one was ever listed).
 */
#define QUEUE_UIDVALIDITY	1

/* The changes in flight online (queue_begin() to queue_end()), by seq. */
static pthread_mutex_t queue_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t inflight[64];
static size_t ninflight;

int
queue_wanted(void)
{
	size_t n;

	if (online_offline())
		return 1;
	pthread_mutex_lock(&queue_lock);
	n = ninflight;
	pthread_mutex_unlock(&queue_lock);
	return journal_pending_count() > n;
}

int
queue_unreachable(int r)
{
	return r == ONLINE_ERRNO;
}

int
queue_in_flight(uint64_t seq)
{
	size_t i;
	int r = 0;

	pthread_mutex_lock(&queue_lock);
	for (i = 0; i < ninflight; i++)
		if (inflight[i] == seq)
			r = 1;
	pthread_mutex_unlock(&queue_lock);
	return r;
}

int
queue_add(struct journal_change *c, const char *what)
{
	int r;

	if ((r = journal_add(c)) != 0) {
		log_msg(LOG_WARNING, "cannot queue %s of \"%s\": %s", what, c->mailbox,
		    strerror(r));
		return r;
	}
	log_msg(LOG_DEBUG, "queued %s of \"%s\" (change %llu)", what, c->mailbox,
	    (unsigned long long)c->seq);
	if (!online_offline())
		refresh_kick();
	return 0;
}

int
queue_begin(struct journal_change *c)
{
	int r;

	pthread_mutex_lock(&queue_lock);
	if (ninflight == sizeof(inflight) / sizeof(inflight[0])) {
		pthread_mutex_unlock(&queue_lock);
		return EAGAIN;
	}
	/* Counted first: a pending change of our own is no reason to queue. */
	ninflight++;
	pthread_mutex_unlock(&queue_lock);
	c->attempted = 1;	/* its first command goes at once */
	r = journal_add(c);
	pthread_mutex_lock(&queue_lock);
	if (r == 0)
		inflight[ninflight - 1] = c->seq;
	else
		ninflight--;
	pthread_mutex_unlock(&queue_lock);
	return r;
}

void
queue_end(const struct journal_change *c, int made)
{
	size_t i;

	if (made)
		(void)journal_done(c->seq);
	pthread_mutex_lock(&queue_lock);
	for (i = 0; i < ninflight; i++)
		if (inflight[i] == c->seq) {
			inflight[i] = inflight[--ninflight];
			break;
		}
	pthread_mutex_unlock(&queue_lock);
	if (!made)
		refresh_kick();
}

/* A change of a message of dir: c filled with its folder's name and generation. */
static int
msg_change(struct node *dir, enum journal_kind kind, uint32_t uid, struct fctx *fc,
    struct journal_change *c)
{
	int r;

	memset(c, 0, sizeof(*c));
	if ((r = fctx_get(dir, fc)) != 0)
		return r;
	c->kind = kind;
	c->mailbox = fc->mailbox;
	c->uidvalidity = fc->uidvalidity;
	c->uid = uid;
	return 0;
}

int
queue_unlink(struct node *dir, uint32_t uid)
{
	struct journal_change c;
	struct fctx fc;
	int r;

	if ((r = msg_change(dir, JOURNAL_EXPUNGE, uid, &fc, &c)) != 0)
		return r;
	if (folder_get(fc.f, uid, &(struct msg){ 0 }, NULL, 0) != 0)
		r = ENOENT;
	else if ((r = queue_add(&c, "rm")) == 0)
		folder_remove_local(fc.f, uid);
	fctx_clear(&fc);
	return r;
}

int
queue_move(struct node *src, uint32_t uid, struct node *dst, const char *newname)
{
	struct journal_change c;
	struct fctx sc, dc;
	struct msg m;
	int r;

	if ((r = msg_change(src, JOURNAL_MOVE, uid, &sc, &c)) != 0)
		return r;
	if ((r = fctx_get(dst, &dc)) != 0) {
		fctx_clear(&sc);
		return r;
	}
	if ((r = folder_get(sc.f, uid, &m, NULL, 0)) == 0) {
		c.mailbox2 = dc.mailbox;
		c.name = (char *)newname;
		c.size = m.size;
		c.date = m.date;
		if ((r = queue_add(&c, "mv")) == 0) {
			folder_remove_local(sc.f, uid);
			pending_show(&c, dst);
		}
	}
	fctx_clear(&dc);
	fctx_clear(&sc);
	return r;
}

int
queue_flags(struct node *dir, uint32_t uid, const char *flags)
{
	struct journal_change c;
	struct fctx fc;
	int r;

	char old[4096], diff[4096];

	if ((r = msg_change(dir, JOURNAL_FLAGS, uid, &fc, &c)) != 0)
		return r;
	/*
	 * What the user changed, not the list they set: replayed later, a
	 * list would undo what other devices changed meanwhile (flagdiff.h).
	 */
	c.mode = FLAGS_MODE_DIFF;
	c.flags = diff;
	if (folder_get(fc.f, uid, &(struct msg){ 0 }, old, sizeof(old)) != 0)
		r = ENOENT;
	else if ((r = flags_diff(old, flags, diff, sizeof(diff))) == 0 &&
	    diff[0] != '\0' && (r = queue_add(&c, "a flag change")) == 0)
		folder_set_flags(fc.f, uid, flags);
	fctx_clear(&fc);
	return r;
}

/* A change of folders: journaled, the tree is the caller's (dirs.c). */
static int
folder_change(enum journal_kind kind, const char *mailbox, const char *mailbox2,
    char delim, const char *what)
{
	struct journal_change c;

	memset(&c, 0, sizeof(c));
	c.kind = kind;
	c.mailbox = (char *)mailbox;
	c.mailbox2 = (char *)mailbox2;
	c.delim = delim;
	return queue_add(&c, what);
}

int
queue_mkdir(const char *mailbox, char delim)
{
	return folder_change(JOURNAL_CREATE, mailbox, NULL, delim, "mkdir");
}

int
queue_rmdir(const char *mailbox, char delim)
{
	return folder_change(JOURNAL_DELETE, mailbox, NULL, delim, "rmdir");
}

int
queue_rename_dir(const char *from, const char *to, char delim)
{
	return folder_change(JOURNAL_RENAME, from, to, delim, "mv of a folder");
}

void
queue_made_folder(struct list_item *it)
{
	it->attrs = BE_FOLDER_HASNOCHILDREN;
	it->has_status = 1;
	it->status.present = BE_STATUS_MESSAGES | BE_STATUS_UIDVALIDITY;
	it->status.messages = 0;
	it->status.uidvalidity = QUEUE_UIDVALIDITY;
}

/* ---- the overlay ---- */

/* Adds a folder made offline to lr; 0 or ENOMEM. */
static int
list_add(struct list_result *lr, const char *name, char delim)
{
	struct list_item *v;
	size_t cap;

	if (lr->n == lr->cap) {
		cap = lr->cap == 0 ? 16 : lr->cap * 2;
		if ((v = realloc(lr->v, cap * sizeof(*v))) == NULL)
			return ENOMEM;
		lr->v = v;
		lr->cap = cap;
	}
	memset(&lr->v[lr->n], 0, sizeof(lr->v[lr->n]));
	if ((lr->v[lr->n].name = strdup(name)) == NULL)
		return ENOMEM;
	lr->v[lr->n].delim = delim;
	queue_made_folder(&lr->v[lr->n]);
	lr->n++;
	return 0;
}

static void
list_del(struct list_result *lr, struct list_item *it)
{
	size_t k = (size_t)(it - lr->v);

	free(it->name);
	memmove(it, it + 1, (lr->n - k - 1) * sizeof(*it));
	lr->n--;
}

/* 1 when name is from or below it (a delimiter after it). */
static int
below(const char *name, const char *from, char delim)
{
	size_t l = strlen(from);

	return strncmp(name, from, l) == 0 && (name[l] == '\0' ||
	    (delim != '\0' && name[l] == delim));
}

/* from and what was below it renamed to to. */
static void
list_rename(struct list_result *lr, const char *from, const char *to, char delim)
{
	size_t i, l = strlen(from);
	char *nm;

	for (i = 0; i < lr->n; i++) {
		if (!below(lr->v[i].name, from, delim))
			continue;
		if (asprintf(&nm, "%s%s", to, lr->v[i].name + l) == -1)
			continue;
		free(lr->v[i].name);
		lr->v[i].name = nm;
	}
}

void
queue_overlay_list(struct list_result *lr)
{
	struct journal_change *v;
	struct list_item *it;
	size_t n, i;

	if (journal_pending_count() == 0 || journal_pending(&v, &n) != 0)
		return;
	for (i = 0; i < n; i++) {
		switch (v[i].kind) {
		case JOURNAL_CREATE:
			if (list_result_find(lr, v[i].mailbox) == NULL)
				(void)list_add(lr, v[i].mailbox, v[i].delim);
			break;
		case JOURNAL_DELETE:
			if ((it = list_result_find(lr, v[i].mailbox)) != NULL)
				list_del(lr, it);
			break;
		case JOURNAL_RENAME:
			if (list_result_find(lr, v[i].mailbox) != NULL &&
			    list_result_find(lr, v[i].mailbox2) == NULL)
				list_rename(lr, v[i].mailbox, v[i].mailbox2, v[i].delim);
			break;
		case JOURNAL_APPEND:
			/* A new file into a folder gone meanwhile: the replay makes it again. */
			break;
		default:
			break;
		}
	}
	journal_changes_free(v, n);
}

/* Hides message uid of f (needs f->lock); what the kernel must forget goes to inv. */
static void
hide_locked(struct folder *f, uint32_t uid, fuse_ino_t dir, uint32_t gen,
    struct inval_list *inv)
{
	long k;

	if ((k = folder_find_locked(f, uid)) < 0)
		return;
	if (gen != 0)
		folder_note_msg_locked(inv, INVAL_DELETE, dir, gen, f, uid);
	memmove(&f->msgs[k], &f->msgs[k + 1], (f->n - (size_t)k - 1) * sizeof(*f->msgs));
	f->n--;
}

/* Shows a pending flag change on m (needs f->lock). */
static void
overlay_flags_locked(struct folder *f, struct msg *m, const struct journal_change *c)
{
	char cur[4096], after[4096];
	const char *flags = c->flags;

	if (c->mode == FLAGS_MODE_DIFF) {
		folder_flags_text_locked(f, m, cur, sizeof(cur));
		(void)flags_apply(cur, c->flags, after, sizeof(after));
		flags = after;
	}
	folder_parse_flags_locked(f, flags, &m->flags, &m->kw);
}

void
queue_overlay_folder_locked(struct folder *f, const char *mailbox, uint32_t uidvalidity,
    fuse_ino_t dir, uint32_t gen, struct inval_list *inv)
{
	struct journal_change *v;
	size_t n, i;
	long k;

	if (journal_pending_count() == 0 || journal_pending(&v, &n) != 0)
		return;
	for (i = 0; i < n; i++) {
		if (strcmp(v[i].mailbox, mailbox) != 0 || v[i].uidvalidity != uidvalidity ||
		    v[i].uid == 0)
			continue;
		switch (v[i].kind) {
		case JOURNAL_EXPUNGE:
		case JOURNAL_MOVE:
		case JOURNAL_APPEND:	/* the message a save replaces */
			hide_locked(f, v[i].uid, dir, gen, inv);
			break;
		case JOURNAL_FLAGS:
			if ((k = folder_find_locked(f, v[i].uid)) >= 0 && v[i].flags != NULL) {
				overlay_flags_locked(f, &f->msgs[k], &v[i]);
				if (gen != 0 && inv != NULL)
					inval_add(inv, INVAL_INODE, 0, msg_ino(gen, v[i].uid), "");
			}
			break;
		default:
			break;
		}
	}
	journal_changes_free(v, n);
}

struct node *
queue_find_folder(const char *mailbox)
{
	struct node **v, *found = NULL;
	size_t n, i;

	n = tree_folders(&v);
	tree_rdlock();
	for (i = 0; i < n && found == NULL; i++)
		if (v[i]->mailbox != NULL && strcmp(v[i]->mailbox, mailbox) == 0) {
			found = v[i];
			node_ref(found);
		}
	tree_unlock();
	tree_put_all(v, n);
	return found;
}
