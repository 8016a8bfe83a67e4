/*
 * Inside the folder module: what folder.c (the listing array) and sync.c
 * (keeping it in step with the source) share.  No other file includes it.
 *
 * A struct collect is its collecting thread's alone (the one that holds
 * the folder's sync_lock); collect_msg() takes c->f->lock only to intern
 * keywords.  Functions named *_locked need f->lock, as folder.h says.
 */
#ifndef MAILFS_FUSE_FOLDER_INT_H
#define MAILFS_FUSE_FOLDER_INT_H

#include "backend.h"
#include "folder.h"

/* spare bits of a struct msg while it is collected */
#define SPARE_HAS_ATTRS	1u	/* SIZE and INTERNALDATE were present */

/* UIDs first..last. */
struct uidrange {
	uint32_t first;
	uint32_t last;
};

/* A name the source gave a message (be_msg.name), while it is collected. */
struct named {
	uint32_t uid;
	char *name;		/* malloc'ed */
};

struct collect {
	struct folder *f;
	struct msg *v;
	size_t n;
	size_t cap;
	struct uidrange *vanished;	/* what went (a delta), as ranges */
	size_t nvanished;
	size_t vcap;
	uint32_t maxuid;	/* the highest UID listed */
	uint64_t maxmodseq;	/* the highest MODSEQ listed */
	struct named *named;	/* the names the source gave, in listing order */
	size_t nnamed;
	size_t ncap;
	int nomem;
};

/* folder.c: a listing collected (backend_listing()'s callbacks, ctx a struct collect) */
void collect_msg(void *ctx, const struct be_msg *m);
void collect_vanished(void *ctx, uint32_t first, uint32_t last);
/* Sorts the messages by UID, merging duplicates, and the vanished ranges. */
void collect_finish(struct collect *c);
void collect_clear(struct collect *c);

/* folder.c: the listing array; each needs f->lock */
/* Interns a sorted keyword set.  0 (none) when out of memory. */
uint32_t folder_intern_locked(struct folder *f, const char *text);
/* Parses "\Seen $Label1" into FLAG_* bits and an interned keyword set. */
void folder_parse_flags_locked(struct folder *f, const char *flags, uint16_t *bits_r,
    uint32_t *kw_r);
/* Notes the name message uid of f has into inv (may be NULL). */
void folder_note_msg_locked(struct inval_list *inv, enum inval_kind kind, fuse_ino_t dir,
    uint32_t gen, const struct folder *f, uint32_t uid);
/* Replaces the array with c's full listing; what went and came goes to inv. */
void folder_apply_full_locked(struct folder *f, struct collect *c, fuse_ino_t dir,
    uint32_t gen, struct inval_list *inv);
/*
 * Gives each message the name the source gave it (an alias, alias.h),
 * before the listing is applied, so that what goes to inv carries it; a
 * listed message whose name changed is noted gone under the old one.
 * A name another message keeps (full: c is the whole listing, else a
 * delta) is not taken from it: the next copy's name is given instead
 * (readable_dup()).  The alias map must be of the listing's generation
 * (alias_load()).
 */
void folder_apply_names_locked(struct folder *f, struct collect *c, int full,
    fuse_ino_t dir, uint32_t gen, struct inval_list *inv);
/* Merges c's delta: 0, or EAGAIN when a full listing is needed. */
int folder_apply_delta_locked(struct folder *f, struct collect *c, fuse_ino_t dir,
    uint32_t gen, struct inval_list *inv);

/* sync.c */
/* Raises the went-back marks of generation uidvalidity; needs f->lock. */
void folder_marks_raise_locked(struct folder *f, uint32_t uidvalidity, uint32_t uidnext,
    uint64_t modseq);
/* A copy of n's mailbox name (the caller frees it), or NULL; takes tree_lock. */
char *folder_mailbox_of(struct node *n);

#endif
