/*
 * The pack segments' index in memory (see pack.h): a hash of folder
 * generations, each with its bodies in an array sorted by UID (32 bytes
 * a message; bodies mostly come in UID order, so an insert is mostly an
 * append) and its named values, each a list of pieces (a whole value,
 * then what was appended to it, in the order written).  Owns that
 * index, under cache_lock (pack.h): every function here needs it held.
 * Returned pointers point into the index: valid until the next change.
 */
#ifndef MAILFS_FUSE_INDEX_H
#define MAILFS_FUSE_INDEX_H

#include <stddef.h>
#include <stdint.h>

#include <uthash.h>

#include "pack.h"

struct pent {
	uint32_t uid;
	uint32_t seg : 31;
	uint32_t verified : 1;
	uint32_t off;
	uint32_t len;
	int64_t date;
	uint32_t rsize;
	uint32_t crc;
};

struct piece {
	uint32_t seg;
	uint32_t off;
	uint32_t len;
	uint32_t crc;
};

struct pmeta {
	char name[PACK_NAME_MAX];
	struct piece *p;
	size_t n;
	struct pmeta *next;
};

struct pgen {
	struct pack_key key;
	struct pent *v;
	size_t n, cap;
	struct pmeta *meta;
	UT_hash_handle hh;
};

struct pgen *idx_gens(void);
struct pgen *idx_gen_find(const struct pack_key *k);
/* The generation k, added when new; NULL: out of memory. */
struct pgen *idx_gen_get(const struct pack_key *k);
void idx_gen_free(struct pgen *g);
/* The index of uid in g, or where it would go (*found_r says which). */
size_t idx_ent_pos(const struct pgen *g, uint32_t uid, int *found_r);
/* Adds or replaces a body; 0 or ENOMEM. */
int idx_ent_put(const struct pack_key *k, const struct pent *e);
struct pent *idx_ent_find(const struct pack_key *k, uint32_t uid);
struct pmeta *idx_meta_find(struct pgen *g, const char *name);
/* Notes a piece of a named value: the whole (append 0) or more of it; 0 or ENOMEM. */
int idx_meta_note(const struct pack_key *k, const char *name, const struct piece *pc,
    int append);

#endif
