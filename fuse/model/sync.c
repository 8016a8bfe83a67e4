/*
 * Keeping a folder's listing in step with the source (see folder.h):
 * folder_sync() and folder_ensure(), the listing an earlier mount saved
 * (listcache.h) put back, and the marks that show a server went back in
 * time.
 *
 * RFC 4549 4.3 (resynchronisation by UID).
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "alias.h"
#include "backend.h"
#include "cache.h"
#include "deadline.h"
#include "folder.h"
#include "folder_int.h"
#include "inode.h"
#include "listcache.h"
#include "log.h"
#include "queue.h"
#include "online.h"
#include "options.h"

/*
 * 1 when a server that shows uidnext and modseq (0: not shown) shows
 * less than the marks: it went back in time (RFC 3501 2.3.1.1 and RFC
 * 7162 3.1.1 let neither go down within one UIDVALIDITY).
 */
static int
went_back(uint32_t uidnext, uint64_t modseq, uint32_t seen_uidnext, uint64_t seen_modseq)
{
	return (uidnext != 0 && uidnext < seen_uidnext) ||
	    (modseq != 0 && modseq < seen_modseq);
}

/* Raises the marks of generation uidvalidity, when they are the ones kept; needs f->lock. */
void
folder_marks_raise_locked(struct folder *f, uint32_t uidvalidity, uint32_t uidnext,
    uint64_t modseq)
{
	if (uidvalidity == 0 || f->seen_uidvalidity != uidvalidity)
		return;
	if (uidnext > f->seen_uidnext)
		f->seen_uidnext = uidnext;
	if (modseq > f->seen_modseq)
		f->seen_modseq = modseq;
}

/* Raises the marks with what st shows, when it is of generation uidvalidity; needs f->lock. */
static void
marks_raise_status_locked(struct folder *f, uint32_t uidvalidity, const struct list_item *st)
{
	const struct be_status *s;

	if (st == NULL || !st->has_status)
		return;
	s = &st->status;
	if (!(s->present & BE_STATUS_UIDVALIDITY) || s->uidvalidity != uidvalidity)
		return;
	folder_marks_raise_locked(f, uidvalidity,
	    (s->present & BE_STATUS_UIDNEXT) ? s->uidnext : 0,
	    (s->present & BE_STATUS_HIGHESTMODSEQ) ? s->highestmodseq : 0);
}

/* 1 when st, of generation uidvalidity, shows less than the marks; needs f->lock. */
static int
status_went_back_locked(const struct folder *f, uint32_t uidvalidity,
    const struct list_item *st)
{
	const struct be_status *s;

	if (st == NULL || !st->has_status || f->seen_uidvalidity != uidvalidity)
		return 0;
	s = &st->status;
	if (!(s->present & BE_STATUS_UIDVALIDITY) || s->uidvalidity != uidvalidity)
		return 0;
	return went_back((s->present & BE_STATUS_UIDNEXT) ? s->uidnext : 0,
	    (s->present & BE_STATUS_HIGHESTMODSEQ) ? s->highestmodseq : 0,
	    f->seen_uidnext, f->seen_modseq);
}

/*
 * Makes the marks those of generation uidvalidity: the saved listing's,
 * or none (a generation never saved).
 */
/*
 * Reads the listing saved for a generation into *lc (to be freed with
 * listcache_clear() unless marks_only): 0 or an errno.
 */
static int
saved_listing(const char *mailbox, uint32_t uidvalidity, int marks_only, struct listcache *lc)
{
	void *data;
	size_t len;
	int r;

	if ((r = cache_meta_get(mailbox, uidvalidity, "listing", &data, &len)) != 0)
		return r;
	r = marks_only ? listcache_decode_marks(data, len, lc) :
	    listcache_decode(data, len, lc);
	free(data);
	return r;
}

static void
marks_load(struct folder *f, const char *mailbox, uint32_t uidvalidity)
{
	struct listcache lc;
	int known;

	folder_lock(f);
	known = f->seen_uidvalidity == uidvalidity;
	folder_unlock(f);
	if (known || uidvalidity == 0)
		return;
	if (saved_listing(mailbox, uidvalidity, 1, &lc) != 0 || lc.uidvalidity != uidvalidity)
		memset(&lc, 0, sizeof(lc));
	folder_lock(f);
	if (f->seen_uidvalidity != uidvalidity) {
		f->seen_uidvalidity = uidvalidity;
		f->seen_uidnext = lc.seen_uidnext;
		f->seen_modseq = lc.seen_modseq;
	}
	folder_unlock(f);
}

/* Notes that the kernel must forget message uid under every name it may know; needs f->lock. */
static void
note_gone_locked(const struct folder *f, struct inval_list *inv, fuse_ino_t dir,
    uint32_t gen, uint32_t uid)
{
	char name[NAMES_COMPONENT_MAX + 1], uidname[NAMES_MSG_LEN + 1];

	if (inv == NULL)
		return;
	folder_note_msg_locked(inv, INVAL_DELETE, dir, gen, f, uid);
	alias_msg_name_locked(f, uid, name);
	names_msg(f->uidvalidity, uid, uidname);
	if (strcmp(name, uidname) != 0)
		inval_add(inv, INVAL_DELETE, dir, msg_ino(gen, uid), uidname);
}

/*
 * The server of n's folder went back in time to (uidnext, modseq) of
 * generation uidvalidity: known UIDs may be other messages now.  Forgets
 * the listing, the names and the cached bytes of the generation, in
 * memory and on disk, and gives the folder's messages new inode numbers;
 * what the kernel must forget goes to inv.  Needs f->sync_lock.
 */
static void
forget_generation(struct node *n, const char *mailbox, uint32_t uidvalidity,
    uint32_t uidnext, uint64_t modseq, struct inval_list *inv)
{
	struct folder *f = n->folder;
	size_t i;

	log_msg(LOG_NOTICE, "the folder \"%s\" went back in time (UIDNEXT %u, "
	    "HIGHESTMODSEQ %llu, after %u and %llu): its saved listing, names and "
	    "cached messages are dropped", mailbox, (unsigned)uidnext,
	    (unsigned long long)modseq, (unsigned)f->seen_uidnext,
	    (unsigned long long)f->seen_modseq);
	tree_wrlock();
	folder_lock(f);
	if (f->loaded) {
		for (i = 0; i < f->n; i++)
			note_gone_locked(f, inv, n->ino, n->gen, f->msgs[i].uid);
		tree_new_gen_locked(n);
	}
	free(f->msgs);
	f->msgs = NULL;
	f->n = f->cap = 0;
	f->restored = 0;
	f->uidnext = 0;
	f->modseq = 0;
	alias_clear_locked(f);
	f->seen_uidvalidity = uidvalidity;
	f->seen_uidnext = uidnext;
	f->seen_modseq = modseq;
	folder_unlock(f);
	tree_unlock();
	cache_drop(mailbox, uidvalidity);
}

static int
status_unchanged(const struct folder *f, const struct list_item *st)
{
	const struct be_status *s = &st->status;
	unsigned need = BE_STATUS_UIDVALIDITY | BE_STATUS_UIDNEXT |
	    BE_STATUS_MESSAGES | BE_STATUS_HIGHESTMODSEQ;

	/*
	 * Without HIGHESTMODSEQ a flag change would not show: look every
	 * time.  A server that went back in time is never unchanged.
	 */
	return !status_went_back_locked(f, f->uidvalidity, st) &&
	    (f->loaded || (f->restored && !f->touched)) && st->has_status &&
	    (s->present & need) == need &&
	    s->uidvalidity == f->uidvalidity && s->uidnext == f->uidnext &&
	    s->messages == f->n && s->highestmodseq == f->modseq && f->modseq != 0;
}

/* A copy of n's mailbox name (free it), or NULL. */
char *
folder_mailbox_of(struct node *n)
{
	char *mailbox;

	tree_rdlock();
	mailbox = n->mailbox != NULL ? strdup(n->mailbox) : NULL;
	tree_unlock();
	return mailbox;
}

/*
 * Puts the saved listing lc (its messages taken) into f, restored, when f
 * is not loaded and empty: 0, or EBUSY (left alone) or ENOMEM; needs
 * f->lock.
 */
static int
install_saved_locked(struct folder *f, struct listcache *lc, const char *mailbox)
{
	uint32_t *map, i;
	size_t k;

	if (f->loaded || f->n != 0)
		return EBUSY;
	if ((map = calloc(lc->nkw, sizeof(*map))) == NULL)
		return ENOMEM;
	for (i = 0; i < lc->nkw; i++)
		map[i] = folder_intern_locked(f, lc->kw[i]);
	for (k = 0; k < lc->n; k++) {
		lc->msgs[k].kw = map[lc->msgs[k].kw];
		lc->msgs[k].spare = 0;
	}
	free(map);
	free(f->msgs);
	f->msgs = lc->msgs;
	f->n = f->cap = lc->n;
	lc->msgs = NULL;
	f->uidvalidity = lc->uidvalidity;
	f->uidnext = lc->uidnext;
	f->modseq = lc->modseq;
	f->restored = 1;
	f->seen_uidvalidity = lc->uidvalidity;
	f->seen_uidnext = lc->seen_uidnext;
	f->seen_modseq = lc->seen_modseq;
	queue_overlay_folder_locked(f, mailbox, f->uidvalidity, 0, 0, NULL);
	log_msg(LOG_DEBUG, "the folder \"%s\": %zu messages from the saved "
	    "listing (HIGHESTMODSEQ %llu)", mailbox, f->n, (unsigned long long)f->modseq);
	return 0;
}

/*
 * Puts the listing an earlier mount saved into a folder not loaded yet,
 * when st names the same UIDVALIDITY; needs f->sync_lock.  It is checked
 * against st, or brought up to date with a delta, before anyone sees it.
 * When st shows less than the listing's marks (st is this mount's, the
 * listing an earlier one's), the server went back in time: the
 * generation's listing, names and bytes go instead.
 */
static void
restore_saved(struct node *n, const struct list_item *st, struct inval_list *inv)
{
	struct folder *f = n->folder;
	struct listcache lc;
	char *mailbox;
	unsigned need = BE_STATUS_UIDVALIDITY | BE_STATUS_HIGHESTMODSEQ;
	int tried;

	if (st == NULL || !st->has_status || (st->status.present & need) != need)
		return;
	folder_lock(f);
	tried = f->loaded || f->restore_tried;
	f->restore_tried = 1;
	folder_unlock(f);
	if (tried || (mailbox = folder_mailbox_of(n)) == NULL)
		return;
	if (saved_listing(mailbox, st->status.uidvalidity, 0, &lc) != 0) {
		free(mailbox);
		return;
	}
	if (lc.uidvalidity != st->status.uidvalidity)
		goto out;
	if (went_back((st->status.present & BE_STATUS_UIDNEXT) ? st->status.uidnext : 0,
	    st->status.highestmodseq, lc.seen_uidnext, lc.seen_modseq)) {
		folder_lock(f);
		f->seen_uidvalidity = lc.uidvalidity;
		f->seen_uidnext = lc.seen_uidnext;
		f->seen_modseq = lc.seen_modseq;
		folder_unlock(f);
		forget_generation(n, mailbox, lc.uidvalidity,
		    (st->status.present & BE_STATUS_UIDNEXT) ? st->status.uidnext : 0,
		    st->status.highestmodseq, inv);
		goto out;
	}
	if (lc.modseq == 0)
		goto out;
	folder_lock(f);
	if (install_saved_locked(f, &lc, mailbox) == 0)
		marks_raise_status_locked(f, lc.uidvalidity, st);
	folder_unlock(f);
out:
	listcache_clear(&lc);
	free(mailbox);
}

/*
 * Looks whether the server of n's folder (opened as bf, which showed
 * opened, of generation uidvalidity) went back in time, and forgets the
 * generation if so; needs f->sync_lock.  What st or the opening showed
 * only raises the suspicion, as either may be older than a mark this
 * mount set since: a status asked after the marks were read decides.
 * 1 when forgotten.
 */
static int
check_went_back(struct node *n, struct be_folder *bf, const struct be_status *opened,
    const char *mailbox, uint32_t uidvalidity, const struct list_item *st,
    struct inval_list *inv)
{
	const unsigned need = BE_STATUS_UIDVALIDITY | BE_STATUS_UIDNEXT |
	    BE_STATUS_HIGHESTMODSEQ;
	const unsigned got = BE_STATUS_UIDVALIDITY | BE_STATUS_UIDNEXT;
	struct folder *f = n->folder;
	struct be_status fst = { 0 };
	uint32_t seen_uidnext;
	uint64_t seen_modseq;
	int suspect;

	marks_load(f, mailbox, uidvalidity);
	folder_lock(f);
	seen_uidnext = f->seen_uidnext;
	seen_modseq = f->seen_modseq;
	/* A folder list's STATUS is fresher than a pooled connection's SELECT. */
	if (st != NULL && st->has_status && (st->status.present & need) == need &&
	    st->status.uidvalidity == uidvalidity)
		suspect = status_went_back_locked(f, uidvalidity, st);
	else
		suspect = went_back(opened->uidnext, opened->highestmodseq, seen_uidnext,
		    seen_modseq);
	folder_unlock(f);
	if (!suspect)
		return 0;
	if (backend_refresh(fs.backend, bf, &fst) != 0 || (fst.present & got) != got ||
	    fst.uidvalidity != uidvalidity)
		return 0;
	if (!(fst.present & BE_STATUS_HIGHESTMODSEQ))
		fst.highestmodseq = 0;
	if (!went_back(fst.uidnext, fst.highestmodseq, seen_uidnext, seen_modseq))
		return 0;
	forget_generation(n, mailbox, uidvalidity, fst.uidnext, fst.highestmodseq, inv);
	return 1;
}

/* The restored listing proved current: the folder is loaded without a round trip. */
static void
accept_restored(struct node *n)
{
	struct folder *f = n->folder;
	char *mailbox;

	if ((mailbox = folder_mailbox_of(n)) != NULL)
		alias_load(f, mailbox, f->uidvalidity);
	folder_lock(f);
	f->loaded = 1;
	f->restored = 0;
	alias_prune_locked(f);
	folder_unlock(f);
	free(mailbox);
}

int
folder_sync(struct node *n, const struct list_item *st, struct inval_list *inv)
{
	struct folder *f = n->folder;
	struct be_listing_cb cb;
	struct be_status opened, after;
	struct be_folder *bf;
	struct collect col;
	struct inval_list dummy = { 0 };
	uint32_t uidvalidity, uidnext, exists, old_uidvalidity = 0, gen;
	uint64_t modseq, known_modseq;
	char *mailbox;
	int full, loaded, restored, r = 0, again;

	if (f == NULL)
		return ENOENT;
	if (inv == NULL)
		inv = &dummy;
	/* Held by a sync or a change that waits on the server: not past our deadline. */
	if (deadline_lock(&f->sync_lock) != 0)
		return ETIMEDOUT;
	restore_saved(n, st, inv);
	folder_lock(f);
	loaded = f->loaded;
	restored = !loaded && f->restored;
	known_modseq = f->modseq;
	if (st != NULL && status_unchanged(f, st)) {
		log_msg(LOG_DEBUG, "folder %llu unchanged (HIGHESTMODSEQ %llu)",
		    (unsigned long long)n->ino, (unsigned long long)f->modseq);
		folder_unlock(f);
		if (restored)
			accept_restored(n);
		pthread_mutex_unlock(&f->sync_lock);
		return 0;
	}
	folder_unlock(f);

	if ((mailbox = folder_mailbox_of(n)) == NULL) {
		pthread_mutex_unlock(&f->sync_lock);
		return ENOENT;
	}
	if ((r = backend_open(fs.backend, mailbox, &bf, &opened)) != 0) {
		free(mailbox);
		pthread_mutex_unlock(&f->sync_lock);
		return r;
	}
	uidvalidity = opened.uidvalidity;
	modseq = opened.highestmodseq;
	if (st != NULL && st->has_status && (st->status.present & BE_STATUS_HIGHESTMODSEQ) &&
	    st->status.highestmodseq > modseq)
		modseq = st->status.highestmodseq;
	if (check_went_back(n, bf, &opened, mailbox, uidvalidity, st, inv))
		known_modseq = 0;
	/* The names this mount gave messages of this generation (alias.h). */
	alias_load(f, mailbox, uidvalidity);
	full = !(loaded || restored) || uidvalidity != f->uidvalidity || known_modseq == 0 ||
	    modseq == 0;
	do {
		again = 0;
		memset(&col, 0, sizeof(col));
		col.f = f;
		memset(&cb, 0, sizeof(cb));
		cb.msg = collect_msg;
		cb.vanished = collect_vanished;
		cb.ctx = &col;
		r = backend_listing(fs.backend, bf, full ? 0 : known_modseq, &cb, &after);
		if (r == EPERM && !full) {
			/* No delta on this connection (nothing was sent): list all. */
			collect_clear(&col);
			r = 0;
			full = again = 1;
			continue;
		}
		if (r != 0) {
			backend_close(fs.backend, bf, 1);
			collect_clear(&col);
			free(mailbox);
			pthread_mutex_unlock(&f->sync_lock);
			return r;
		}
		exists = after.messages;
		uidnext = after.uidnext;
		if (col.nomem) {
			collect_clear(&col);
			r = ENOMEM;
			break;
		}
		collect_finish(&col);

		tree_wrlock();
		folder_lock(f);
		if (f->loaded && uidvalidity != f->uidvalidity) {
			/* A new generation: every old name and byte goes. */
			log_msg(LOG_NOTICE, "the folder \"%s\" changed its UIDVALIDITY; "
			    "its messages have new names", mailbox);
			old_uidvalidity = f->uidvalidity;
			folder_apply_full_locked(f, &(struct collect){ 0 }, n->ino, n->gen, inv);
			tree_new_gen_locked(n);
			f->loaded = 0;
		}
		gen = n->gen;
		/* The names the source gives (a POP3 maildrop's, from UIDLs). */
		folder_apply_names_locked(f, &col, full, n->ino, gen, inv);
		if (full)
			folder_apply_full_locked(f, &col, n->ino, gen, inv);
		else if (folder_apply_delta_locked(f, &col, n->ino, gen, inv) != 0 ||
		    f->n != exists) {
			/* Expunges we were not told of (no QRESYNC), or a gap. */
			full = again = 1;
		}
		if (!again) {
			f->loaded = 1;
			f->restored = 0;
			f->uidvalidity = uidvalidity;
			f->uidnext = uidnext;
			f->modseq = modseq;
			folder_marks_raise_locked(f, uidvalidity, uidnext, after.highestmodseq);
			folder_marks_raise_locked(f, uidvalidity,
			    col.maxuid < UINT32_MAX ? col.maxuid + 1 : col.maxuid, col.maxmodseq);
			marks_raise_status_locked(f, uidvalidity, st);
			alias_prune_locked(f);
			queue_overlay_folder_locked(f, mailbox, uidvalidity, n->ino, gen, inv);
		}
		folder_unlock(f);
		tree_unlock();
		collect_clear(&col);
	} while (again);
	backend_close(fs.backend, bf, 0);
	if (old_uidvalidity != 0)
		cache_drop(mailbox, old_uidvalidity);
	free(mailbox);
	inval_clear(&dummy);
	pthread_mutex_unlock(&f->sync_lock);
	return r;
}

/*
 * Offline (online.h): loads n's folder from its saved listing, of the
 * generation the last folder list named, as it was saved: no server to
 * check it against (and none to tell a server that went back in time:
 * the marks are only compared once online).  A folder that list showed
 * empty needs no listing.  The next sync once online brings it up to
 * date, as every loaded folder.  0, or ONLINE_ERRNO when nothing saved
 * stands in.
 */
static int
restore_offline(struct node *n)
{
	struct folder *f = n->folder;
	struct list_item st;
	struct listcache lc;
	char *mailbox;
	int r;

	if (!node_recent_status(n, STATUS_STALE_S * 2, &st) ||
	    !(st.status.present & BE_STATUS_UIDVALIDITY))
		return ONLINE_ERRNO;
	if ((mailbox = folder_mailbox_of(n)) == NULL)
		return ENOENT;
	memset(&lc, 0, sizeof(lc));
	if (saved_listing(mailbox, st.status.uidvalidity, 0, &lc) != 0 ||
	    lc.uidvalidity != st.status.uidvalidity) {
		listcache_clear(&lc);
		if (!(st.status.present & BE_STATUS_MESSAGES) || st.status.messages != 0) {
			free(mailbox);
			return ONLINE_ERRNO;
		}
		/* Empty when last seen: an empty listing, current with nothing. */
		if ((lc.kw = calloc(1, sizeof(*lc.kw))) == NULL ||
		    (lc.kw[0] = strdup("")) == NULL) {
			listcache_clear(&lc);
			free(mailbox);
			return ENOMEM;
		}
		lc.nkw = 1;
		lc.uidvalidity = st.status.uidvalidity;
	}
	if (deadline_lock(&f->sync_lock) != 0) {
		listcache_clear(&lc);
		free(mailbox);
		return ETIMEDOUT;
	}
	folder_lock(f);
	r = install_saved_locked(f, &lc, mailbox);
	folder_unlock(f);
	if (r == 0 || r == EBUSY) {
		/* EBUSY: loaded meanwhile, or restored and not yet accepted. */
		accept_restored(n);
		r = 0;
	}
	pthread_mutex_unlock(&f->sync_lock);
	listcache_clear(&lc);
	free(mailbox);
	return r;
}

int
folder_ensure(struct node *n)
{
	struct list_item st;
	int loaded, r;

	if (n->folder == NULL)
		return ENOENT;
	folder_lock(n->folder);
	loaded = n->folder->loaded;
	folder_unlock(n->folder);
	if (loaded)
		return 0;
	if (online_offline())
		return restore_offline(n);
	/* As fresh as a loaded folder between two refreshes may be. */
	r = folder_sync(n, node_recent_status(n, (time_t)fs.opts->refresh, &st) ?
	    &st : NULL, NULL);
	/* The server went away just now. */
	if (r == ONLINE_ERRNO && online_offline())
		r = restore_offline(n);
	return r;
}
