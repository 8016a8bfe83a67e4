/*
 * Inside the folder module: what folder.c (the listing array) and sync.c
 * (keeping it in step with the source) share.  No other file includes it.
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
	int nomem;
};

/* folder.c */
uint32_t intern_locked(struct folder *f, const char *text);
void collect_msg(void *ctx, const struct be_msg *m);
void collect_vanished(void *ctx, uint32_t first, uint32_t last);
void vanished_normalise(struct collect *c);
void normalise(struct msg *v, size_t *n);
void note_msg(struct inval_list *inv, enum inval_kind kind, fuse_ino_t dir, uint32_t gen,
    const struct folder *f, uint32_t uid);
void apply_full_locked(struct folder *f, struct collect *c, fuse_ino_t dir, uint32_t gen,
    struct inval_list *inv);
int apply_delta_locked(struct folder *f, struct collect *c, fuse_ino_t dir, uint32_t gen,
    struct inval_list *inv);
void collect_clear(struct collect *c);

/* sync.c */
void marks_raise_locked(struct folder *f, uint32_t uidvalidity, uint32_t uidnext,
    uint64_t modseq);
/* A copy of n's mailbox name (free it), or NULL. */
char *mailbox_of(struct node *n);

#endif
