/*
 * A folder's message list (see folder.h): a full listing from
 * backend_listing(), then deltas since the folder's HIGHESTMODSEQ (with
 * what vanished where the source says, else a count check).  It speaks
 * to the source only through backend.h.
 *
 * RFC 4549 4.3 (resynchronisation by UID).  A listing saved by an
 * earlier mount (listcache.h) stands in for the full listing when it is
 * of the same UIDVALIDITY.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "alias.h"
#include "backend.h"
#include "cache.h"
#include "folder.h"
#include "folder_int.h"
#include "inode.h"
#include "listcache.h"
#include "log.h"
#include "readable.h"

static const struct {
	const char *name;
	uint16_t bit;
} sysflags[] = {
	{ "\\Seen", FLAG_SEEN },
	{ "\\Answered", FLAG_ANSWERED },
	{ "\\Flagged", FLAG_FLAGGED },
	{ "\\Deleted", FLAG_DELETED },
	{ "\\Draft", FLAG_DRAFT },
};

struct folder *
folder_new(void)
{
	struct folder *f;

	if ((f = calloc(1, sizeof(*f))) == NULL)
		return NULL;
	if ((f->kw_texts = calloc(1, sizeof(*f->kw_texts))) == NULL ||
	    (f->kw_texts[0] = strdup("")) == NULL) {
		free(f->kw_texts);
		free(f);
		return NULL;
	}
	f->nkw = 1;
	pthread_mutex_init(&f->lock, NULL);
	pthread_mutex_init(&f->sync_lock, NULL);
	return f;
}

void
folder_lock(struct folder *f)
{
	pthread_mutex_lock(&f->lock);
}

void
folder_unlock(struct folder *f)
{
	pthread_mutex_unlock(&f->lock);
}

void
folder_free(struct folder *f)
{
	struct kwset *k, *tmp;
	uint32_t i;

	if (f == NULL)
		return;
	HASH_ITER(hh, f->kw_by_text, k, tmp) {
		HASH_DEL(f->kw_by_text, k);
		free(k);
	}
	alias_clear_locked(f);
	for (i = 0; i < f->nkw; i++)
		free(f->kw_texts[i]);
	free(f->kw_texts);
	free(f->msgs);
	pthread_mutex_destroy(&f->lock);
	pthread_mutex_destroy(&f->sync_lock);
	free(f);
}

long
folder_find_locked(const struct folder *f, uint32_t uid)
{
	size_t lo = 0, hi = f->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (f->msgs[mid].uid == uid)
			return (long)mid;
		if (f->msgs[mid].uid < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

size_t
folder_after_locked(const struct folder *f, uint32_t uid)
{
	size_t lo = 0, hi = f->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (f->msgs[mid].uid <= uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

size_t
folder_flags_text_locked(const struct folder *f, const struct msg *m, char *buf,
    size_t size)
{
	size_t i, len = 0, l;
	const char *kw;

	if (size == 0)
		return 0;
	buf[0] = '\0';
	for (i = 0; i < sizeof(sysflags) / sizeof(sysflags[0]); i++) {
		if (!(m->flags & sysflags[i].bit))
			continue;
		l = strlen(sysflags[i].name);
		if (len + l + 2 > size)
			return len;
		if (len > 0)
			buf[len++] = ' ';
		memcpy(buf + len, sysflags[i].name, l + 1);
		len += l;
	}
	kw = m->kw < f->nkw ? f->kw_texts[m->kw] : "";
	l = strlen(kw);
	if (l > 0 && len + l + 2 <= size) {
		if (len > 0)
			buf[len++] = ' ';
		memcpy(buf + len, kw, l + 1);
		len += l;
	}
	return len;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Interns a sorted keyword set; needs f->lock.  0 (none) when out of memory. */
uint32_t
folder_intern_locked(struct folder *f, const char *text)
{
	struct kwset *k;
	char **tmp;

	if (text[0] == '\0')
		return 0;
	HASH_FIND_STR(f->kw_by_text, text, k);
	if (k != NULL)
		return k->index;
	if (f->nkw == UINT32_MAX ||
	    (tmp = realloc(f->kw_texts, (f->nkw + 1) * sizeof(*tmp))) == NULL)
		return 0;
	f->kw_texts = tmp;
	if ((k = calloc(1, sizeof(*k))) == NULL ||
	    (k->text = strdup(text)) == NULL) {
		free(k);
		return 0;
	}
	k->index = f->nkw;
	f->kw_texts[f->nkw++] = k->text;
	HASH_ADD_KEYPTR(hh, f->kw_by_text, k->text, strlen(k->text), k);
	return k->index;
}

/*
 * Parses "\Seen $Label1 \Recent" into bits and an interned keyword set;
 * needs f->lock.  \Recent is a session flag nobody can store: left out.
 */
void
folder_parse_flags_locked(struct folder *f, const char *flags, uint16_t *bits_r, uint32_t *kw_r)
{
	char *copy, *p, *tok, *kws[64], joined[1024];
	size_t nkw = 0, i, len = 0, l;
	uint16_t bits = 0;
	int sys;

	*bits_r = 0;
	*kw_r = 0;
	if ((copy = strdup(flags)) == NULL)
		return;
	for (p = copy; (tok = strsep(&p, " ")) != NULL;) {
		if (*tok == '\0' || strcasecmp(tok, "\\Recent") == 0)
			continue;
		sys = 0;
		for (i = 0; i < sizeof(sysflags) / sizeof(sysflags[0]); i++)
			if (strcasecmp(tok, sysflags[i].name) == 0) {
				bits |= sysflags[i].bit;
				sys = 1;
			}
		if (!sys && nkw < sizeof(kws) / sizeof(kws[0]))
			kws[nkw++] = tok;
	}
	qsort(kws, nkw, sizeof(kws[0]), cmp_str);
	joined[0] = '\0';
	for (i = 0; i < nkw; i++) {
		l = strlen(kws[i]);
		if (i > 0 && strcmp(kws[i], kws[i - 1]) == 0)
			continue;
		if (len + l + 2 > sizeof(joined))
			break;
		if (len > 0)
			joined[len++] = ' ';
		memcpy(joined + len, kws[i], l + 1);
		len += l;
	}
	*bits_r = bits;
	*kw_r = folder_intern_locked(f, joined);
	free(copy);
}

/*
 * Keeps the name the source gave message uid.  One that is no valid file
 * name (names.h) is refused here, whatever the source promised: the
 * message keeps its UID name.
 */
static void
collect_name(struct collect *c, uint32_t uid, const char *name)
{
	struct named *tmp;
	size_t cap, len = strlen(name);

	if (len == 0 || len > NAMES_COMPONENT_MAX || strchr(name, '/') != NULL ||
	    strcmp(name, ".") == 0 || strcmp(name, "..") == 0) {
		log_msg(LOG_WARNING, "message %u: the source's name for it is no file "
		    "name; it keeps its UID's", (unsigned)uid);
		return;
	}
	if (c->nnamed == c->ncap) {
		cap = c->ncap == 0 ? 64 : c->ncap * 2;
		if ((tmp = realloc(c->named, cap * sizeof(*tmp))) == NULL) {
			c->nomem = 1;
			return;
		}
		c->named = tmp;
		c->ncap = cap;
	}
	if ((c->named[c->nnamed].name = strdup(name)) == NULL) {
		c->nomem = 1;
		return;
	}
	c->named[c->nnamed++].uid = uid;
}

void
collect_msg(void *ctx, const struct be_msg *m)
{
	struct collect *c = ctx;
	struct msg *e, *tmp;
	size_t cap;

	if (m->uid == 0)
		return;
	if (m->uid > c->maxuid)
		c->maxuid = m->uid;
	if (m->modseq > c->maxmodseq)
		c->maxmodseq = m->modseq;
	if (c->n == c->cap) {
		cap = c->cap == 0 ? 1024 : c->cap * 2;
		if ((tmp = realloc(c->v, cap * sizeof(*tmp))) == NULL) {
			c->nomem = 1;
			return;
		}
		c->v = tmp;
		c->cap = cap;
	}
	e = &c->v[c->n++];
	memset(e, 0, sizeof(*e));
	e->uid = m->uid;
	if (!m->partial) {
		e->spare = SPARE_HAS_ATTRS;
		e->size = m->size;
		e->date = m->date;
	}
	if (m->flags != NULL) {
		folder_lock(c->f);
		folder_parse_flags_locked(c->f, m->flags, &e->flags, &e->kw);
		folder_unlock(c->f);
	} else
		e->spare |= 2;	/* no flags: keep the old ones */
	if (m->name != NULL)
		collect_name(c, m->uid, m->name);
}

void
collect_vanished(void *ctx, uint32_t first, uint32_t last)
{
	struct collect *c = ctx;
	struct uidrange *tmp;
	size_t cap;

	if (c->nvanished == c->vcap) {
		cap = c->vcap == 0 ? 16 : c->vcap * 2;
		if ((tmp = realloc(c->vanished, cap * sizeof(*tmp))) == NULL) {
			c->nomem = 1;
			return;
		}
		c->vanished = tmp;
		c->vcap = cap;
	}
	c->vanished[c->nvanished].first = first;
	c->vanished[c->nvanished].last = last;
	c->nvanished++;
}

static int
cmp_range(const void *a, const void *b)
{
	const struct uidrange *x = a, *y = b;

	return x->first < y->first ? -1 : x->first > y->first;
}

/*
 * Sorts and merges the vanished ranges, as vanished_has() needs:
 * VANISHED responses come in any order, and several may overlap.
 */
static void
vanished_normalise(struct collect *c)
{
	struct uidrange *r = c->vanished;
	size_t i, o = 0;

	if (c->nvanished == 0)
		return;
	qsort(r, c->nvanished, sizeof(*r), cmp_range);
	for (i = 1; i < c->nvanished; i++) {
		if (r[o].last == UINT32_MAX || r[i].first <= r[o].last + 1) {
			if (r[i].last > r[o].last)
				r[o].last = r[i].last;
			continue;
		}
		r[++o] = r[i];
	}
	c->nvanished = o + 1;
}

/* 1 when uid is in the vanished ranges (normalised). */
static int
vanished_has(const struct collect *c, uint32_t uid)
{
	size_t lo = 0, hi = c->nvanished, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (uid < c->vanished[mid].first)
			hi = mid;
		else if (uid > c->vanished[mid].last)
			lo = mid + 1;
		else
			return 1;
	}
	return 0;
}

static int
cmp_msg(const void *a, const void *b)
{
	const struct msg *x = a, *y = b;

	return x->uid < y->uid ? -1 : x->uid > y->uid;
}

/* Sorts by UID and merges duplicates (an unsolicited FETCH beside ours). */
static void
normalise(struct msg *v, size_t *n)
{
	size_t i, o = 0;

	if (*n == 0)
		return;
	qsort(v, *n, sizeof(*v), cmp_msg);
	for (i = 0; i < *n; i++) {
		if (o > 0 && v[o - 1].uid == v[i].uid) {
			if (v[i].spare & SPARE_HAS_ATTRS) {
				v[o - 1].size = v[i].size;
				v[o - 1].date = v[i].date;
				v[o - 1].spare |= SPARE_HAS_ATTRS;
			}
			if (!(v[i].spare & 2)) {
				v[o - 1].flags = v[i].flags;
				v[o - 1].kw = v[i].kw;
				v[o - 1].spare &= ~2u;
			}
			continue;
		}
		v[o++] = v[i];
	}
	*n = o;
}

/* Notes the name message uid of f has (needs f->lock). */
void
folder_note_msg_locked(struct inval_list *inv, enum inval_kind kind, fuse_ino_t dir,
    uint32_t gen, const struct folder *f, uint32_t uid)
{
	char name[NAMES_COMPONENT_MAX + 1];

	if (inv == NULL)
		return;
	alias_msg_name_locked(f, uid, name);
	inval_add(inv, kind, dir, kind == INVAL_DELETE ? msg_ino(gen, uid) : 0, name);
}

/*
 * Replaces the list with a full listing; needs f->lock.  Messages of the
 * old list that are missing from the new one are noted as deleted, new
 * ones as entries (the kernel may hold a negative entry for the name).
 */
void
folder_apply_full_locked(struct folder *f, struct collect *c, fuse_ino_t dir,
    uint32_t gen, struct inval_list *inv)
{
	struct msg *fit;
	size_t i = 0, j = 0;

	while (i < f->n || j < c->n) {
		if (j == c->n || (i < f->n && f->msgs[i].uid < c->v[j].uid))
			folder_note_msg_locked(inv, INVAL_DELETE, dir, gen, f, f->msgs[i++].uid);
		else if (i == f->n || c->v[j].uid < f->msgs[i].uid) {
			if (f->loaded)
				folder_note_msg_locked(inv, INVAL_ENTRY, dir, gen, f, c->v[j].uid);
			j++;
		} else {
			i++;
			j++;
		}
	}
	/* The listing is kept for long: give back the growth slack. */
	if (c->n > 0 && c->n < c->cap &&
	    (fit = realloc(c->v, c->n * sizeof(*fit))) != NULL) {
		c->v = fit;
		c->cap = c->n;
	}
	free(f->msgs);
	f->msgs = c->v;
	f->n = c->n;
	f->cap = c->cap;
	c->v = NULL;
	c->n = c->cap = 0;
	for (i = 0; i < f->n; i++)
		f->msgs[i].spare = 0;
}

/* 1 when message uid is still there once c is applied (full: c is the whole listing). */
static int
stays(const struct folder *f, const struct collect *c, int full, uint32_t uid)
{
	size_t lo = 0, hi = c->n, mid, i;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (c->v[mid].uid == uid)
			return 1;
		if (c->v[mid].uid < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (full || !f->loaded || folder_find_locked(f, uid) < 0)
		return 0;
	for (i = 0; i < c->nvanished; i++)
		if (uid >= c->vanished[i].first && uid <= c->vanished[i].last)
			return 0;
	return 1;
}

/*
 * The name for uid: the source's, unless another message that stays
 * (and keeps its name in c) has it.  A delta names each message alone:
 * a second copy of a message (-o names=readable), or a first one whose
 * flags changed, gets the name its twin has since an earlier listing,
 * which would move to it; rm of that name would remove the other.  Then
 * the twin keeps it and uid gets the next free copy's name, as a whole
 * listing gives.  0, or 1 when none is free (uid keeps its UID's name).
 */
static int
free_name(const struct folder *f, const struct collect *c, int full, size_t k,
    char out[NAMES_COMPONENT_MAX + 1])
{
	uint32_t uid = c->named[k].uid, holder;
	unsigned n;
	size_t i;

	snprintf(out, NAMES_COMPONENT_MAX + 1, "%s", c->named[k].name);
	for (n = 2; n < 1000; n++) {
		holder = alias_lookup_locked(f, out);
		if (holder == 0 || holder == uid || !stays(f, c, full, holder))
			return 0;
		for (i = 0; i < c->nnamed; i++)
			if (c->named[i].uid == holder)
				break;
		if (i < c->nnamed && strcmp(c->named[i].name, out) != 0)
			return 0;	/* it is renamed too */
		snprintf(out, NAMES_COMPONENT_MAX + 1, "%s", c->named[k].name);
		readable_dup(out, n);
		if (strcmp(out, c->named[k].name) == 0)
			return 1;	/* no room for a number */
	}
	return 1;
}

void
folder_apply_names_locked(struct folder *f, struct collect *c, int full, fuse_ino_t dir,
    uint32_t gen, struct inval_list *inv)
{
	char old[NAMES_COMPONENT_MAX + 1], name[NAMES_COMPONENT_MAX + 1];
	size_t i;

	alias_hold_locked(f, 1);
	for (i = 0; i < c->nnamed; i++) {
		if (free_name(f, c, full, i, name) != 0) {
			log_msg(LOG_WARNING, "message %u: its name %s is another message's; "
			    "it keeps its UID's", (unsigned)c->named[i].uid, c->named[i].name);
			continue;
		}
		alias_msg_name_locked(f, c->named[i].uid, old);
		if (strcmp(old, name) == 0)
			continue;
		if (f->loaded && folder_find_locked(f, c->named[i].uid) >= 0)
			folder_note_msg_locked(inv, INVAL_DELETE, dir, gen, f,
			    c->named[i].uid);
		if (alias_set_locked(f, c->named[i].uid, name) != 0)
			log_msg(LOG_WARNING, "message %u: no memory for its name %s",
			    (unsigned)c->named[i].uid, name);
	}
	alias_hold_locked(f, 0);
}

/* Merges a delta; needs f->lock.  0, or EAGAIN when a full listing is needed. */
int
folder_apply_delta_locked(struct folder *f, struct collect *c, fuse_ino_t dir,
    uint32_t gen, struct inval_list *inv)
{
	struct msg *tmp;
	size_t i, o, added = 0;
	long k;

	/* Take out what vanished. */
	for (i = 0, o = 0; i < f->n; i++) {
		if (vanished_has(c, f->msgs[i].uid)) {
			folder_note_msg_locked(inv, INVAL_DELETE, dir, gen, f, f->msgs[i].uid);
			continue;
		}
		f->msgs[o++] = f->msgs[i];
	}
	f->n = o;
	for (i = 0; i < c->n; i++) {
		k = folder_find_locked(f, c->v[i].uid);
		if (k >= 0) {
			if (!(c->v[i].spare & 2)) {
				f->msgs[k].flags = c->v[i].flags;
				f->msgs[k].kw = c->v[i].kw;
			}
			continue;
		}
		if (!(c->v[i].spare & SPARE_HAS_ATTRS) || (c->v[i].spare & 2))
			return EAGAIN;	/* a new message we know too little of */
		c->v[added++] = c->v[i];
	}
	if (added == 0)
		return 0;
	if (f->n + added > f->cap) {
		if ((tmp = realloc(f->msgs, (f->n + added) * sizeof(*tmp))) == NULL)
			return EAGAIN;
		f->msgs = tmp;
		f->cap = f->n + added;
	}
	for (i = 0; i < added; i++) {
		c->v[i].spare = 0;
		folder_note_msg_locked(inv, INVAL_ENTRY, dir, gen, f, c->v[i].uid);
		f->msgs[f->n++] = c->v[i];
	}
	/* New UIDs are almost always above the old ones: sort only when not. */
	for (i = f->n - added; i > 0 && i < f->n; i++)
		if (f->msgs[i - 1].uid > f->msgs[i].uid) {
			qsort(f->msgs, f->n, sizeof(*f->msgs), cmp_msg);
			break;
		}
	return 0;
}

void
collect_finish(struct collect *c)
{
	normalise(c->v, &c->n);
	vanished_normalise(c);
}

void
collect_clear(struct collect *c)
{
	size_t i;

	for (i = 0; i < c->nnamed; i++)
		free(c->named[i].name);
	free(c->named);
	free(c->v);
	free(c->vanished);
	memset(c, 0, sizeof(*c));
}

/* Saves n's listing when it is loaded and current with a HIGHESTMODSEQ. */
static void
save_one(struct node *n)
{
	struct folder *f = n->folder;
	struct listcache lc;
	char *mailbox;
	void *data;
	size_t len;
	int r = 0, encoded = 0;

	if ((mailbox = folder_mailbox_of(n)) == NULL)
		return;
	folder_lock(f);
	if (f->loaded && f->modseq != 0) {
		memset(&lc, 0, sizeof(lc));
		lc.uidvalidity = f->uidvalidity;
		lc.uidnext = f->uidnext;
		lc.modseq = f->modseq;
		if (f->seen_uidvalidity == f->uidvalidity) {
			lc.seen_uidnext = f->seen_uidnext;
			lc.seen_modseq = f->seen_modseq;
		}
		lc.msgs = f->msgs;
		lc.n = f->n;
		lc.kw = f->kw_texts;
		lc.nkw = f->nkw;
		encoded = (r = listcache_encode(&lc, &data, &len)) == 0;
	}
	folder_unlock(f);
	/* Stored outside the folder's lock: a write of the listing's size. */
	if (encoded) {
		r = cache_meta_put(mailbox, lc.uidvalidity, "listing", data, len, 0);
		free(data);
	}
	if (r != 0)
		log_msg(LOG_WARNING, "cannot save the listing of \"%s\": %s", mailbox,
		    strerror(r));
	free(mailbox);
}

void
folder_save_all(void)
{
	struct node **v;
	size_t n, i;

	n = tree_folders(&v);
	for (i = 0; i < n; i++)
		save_one(v[i]);
	tree_put_all(v, n);
}

void
folder_set_flags(struct folder *f, uint32_t uid, const char *flags)
{
	long k;

	folder_lock(f);
	f->touched = 1;
	if ((k = folder_find_locked(f, uid)) >= 0)
		folder_parse_flags_locked(f, flags, &f->msgs[k].flags, &f->msgs[k].kw);
	folder_unlock(f);
}

void
folder_note_modseq(struct folder *f, uint32_t uidvalidity, uint64_t modseq)
{
	folder_lock(f);
	folder_marks_raise_locked(f, uidvalidity, 0, modseq);
	folder_unlock(f);
}

void
folder_set_size(struct folder *f, uint32_t uid, uint64_t size)
{
	long k;

	folder_lock(f);
	if ((k = folder_find_locked(f, uid)) >= 0)
		f->msgs[k].size = size > UINT32_MAX ? UINT32_MAX : (uint32_t)size;
	folder_unlock(f);
}

int
folder_add_local(struct folder *f, uint32_t uidvalidity, uint32_t uid, uint64_t size,
    int64_t date, const char *flags)
{
	struct msg *tmp, m;
	size_t k, cap;

	folder_lock(f);
	f->touched = 1;
	if (uid != 0 && uid < UINT32_MAX)
		folder_marks_raise_locked(f, uidvalidity, uid + 1, 0);
	if (!f->loaded || f->uidvalidity != uidvalidity || uid == 0) {
		folder_unlock(f);
		return 0;
	}
	if (folder_find_locked(f, uid) >= 0) {
		folder_unlock(f);
		return 1;	/* a sync was quicker */
	}
	if (f->n == f->cap) {
		cap = f->cap < 16 ? 16 : f->cap + f->cap / 2;
		if ((tmp = realloc(f->msgs, cap * sizeof(*tmp))) == NULL) {
			folder_unlock(f);
			return 0;
		}
		f->msgs = tmp;
		f->cap = cap;
	}
	memset(&m, 0, sizeof(m));
	m.uid = uid;
	m.size = size > UINT32_MAX ? UINT32_MAX : (uint32_t)size;
	m.date = date;
	folder_parse_flags_locked(f, flags != NULL ? flags : "", &m.flags, &m.kw);
	k = folder_after_locked(f, uid);
	memmove(&f->msgs[k + 1], &f->msgs[k], (f->n - k) * sizeof(*f->msgs));
	f->msgs[k] = m;
	f->n++;
	if (uid >= f->uidnext)
		f->uidnext = uid + 1;
	folder_unlock(f);
	return 1;
}

void
folder_remove_local(struct folder *f, uint32_t uid)
{
	long k;

	folder_lock(f);
	f->touched = 1;
	if ((k = folder_find_locked(f, uid)) >= 0) {
		memmove(&f->msgs[k], &f->msgs[k + 1], (f->n - (size_t)k - 1) * sizeof(*f->msgs));
		f->n--;
	}
	alias_del_locked(f, uid);
	folder_unlock(f);
}

int
folder_get(struct folder *f, uint32_t uid, struct msg *m, char *flags, size_t size)
{
	long k;

	folder_lock(f);
	if ((k = folder_find_locked(f, uid)) < 0) {
		folder_unlock(f);
		return ENOENT;
	}
	*m = f->msgs[k];
	if (flags != NULL)
		folder_flags_text_locked(f, m, flags, size);
	folder_unlock(f);
	return 0;
}

void
folder_count_cached(uint64_t *cached_r, uint64_t *listed_r)
{
	struct node **v;
	struct list_item st;
	struct folder *f;
	char *mailbox;
	size_t n, i, c;

	*cached_r = *listed_r = 0;
	n = tree_folders(&v);
	for (i = 0; i < n; i++) {
		if ((f = v[i]->folder) == NULL || (mailbox = folder_mailbox_of(v[i])) == NULL)
			continue;
		(void)node_recent_status(v[i], STATUS_STALE_S * 2, &st);
		folder_lock(f);
		if (f->loaded || f->restored) {
			*listed_r += f->n;
			if (f->n > 0)
				*cached_r += cache_count(mailbox, f->uidvalidity, &f->msgs[0].uid,
				    f->n, sizeof(f->msgs[0]));
		} else if (st.has_status && (st.status.present & BE_STATUS_UIDVALIDITY) &&
		    (st.status.present & BE_STATUS_MESSAGES)) {
			/* Not listed here yet: what the store holds of it, at most all. */
			c = cache_count(mailbox, st.status.uidvalidity, NULL, 0, 0);
			*listed_r += st.status.messages;
			*cached_r += c < st.status.messages ? c : st.status.messages;
		}
		folder_unlock(f);
		free(mailbox);
	}
	tree_put_all(v, n);
}
