/*
 * The pack segments' index in memory (see index.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "index.h"

/* The index's memory: 32 bytes a message, 48 with the array's slack at worst. */
_Static_assert(sizeof(struct pent) == 32, "an index entry grew");

static struct pgen *gens;

struct pgen *
idx_gens(void)
{
	return gens;
}


struct pgen *
idx_gen_find(const struct pack_key *k)
{
	struct pgen *g;

	HASH_FIND(hh, gens, k, sizeof(*k), g);
	return g;
}

struct pgen *
idx_gen_get(const struct pack_key *k)
{
	struct pgen *g;

	if ((g = idx_gen_find(k)) != NULL)
		return g;
	if ((g = calloc(1, sizeof(*g))) == NULL)
		return NULL;
	g->key = *k;
	HASH_ADD(hh, gens, key, sizeof(g->key), g);
	return g;
}

void
idx_gen_free(struct pgen *g)
{
	struct pmeta *m;

	HASH_DEL(gens, g);
	while ((m = g->meta) != NULL) {
		g->meta = m->next;
		free(m->p);
		free(m);
	}
	free(g->v);
	free(g);
}

/* The index of uid in g, or where it would go (*found_r says which). */
size_t
idx_ent_pos(const struct pgen *g, uint32_t uid, int *found_r)
{
	size_t lo = 0, hi = g->n, mid;

	if (g->n > 0 && g->v[g->n - 1].uid < uid) {
		*found_r = 0;
		return g->n;
	}
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (g->v[mid].uid < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found_r = lo < g->n && g->v[lo].uid == uid;
	return lo;
}

int
idx_ent_put(const struct pack_key *k, const struct pent *e)
{
	struct pgen *g;
	struct pent *v;
	size_t i, cap;
	int found;

	if ((g = idx_gen_get(k)) == NULL)
		return ENOMEM;
	i = idx_ent_pos(g, e->uid, &found);
	if (found) {
		g->v[i] = *e;
		return 0;
	}
	if (g->n == g->cap) {
		cap = g->cap == 0 ? 64 : g->cap + g->cap / 2;
		if ((v = realloc(g->v, cap * sizeof(*v))) == NULL)
			return ENOMEM;
		g->v = v;
		g->cap = cap;
	}
	memmove(g->v + i + 1, g->v + i, (g->n - i) * sizeof(*g->v));
	g->v[i] = *e;
	g->n++;
	return 0;
}

struct pent *
idx_ent_find(const struct pack_key *k, uint32_t uid)
{
	struct pgen *g;
	size_t i;
	int found;

	if ((g = idx_gen_find(k)) == NULL)
		return NULL;
	i = idx_ent_pos(g, uid, &found);
	return found ? &g->v[i] : NULL;
}

struct pmeta *
idx_meta_find(struct pgen *g, const char *name)
{
	struct pmeta *m;

	for (m = g->meta; m != NULL; m = m->next)
		if (strncmp(m->name, name, PACK_NAME_MAX) == 0)
			return m;
	return NULL;
}

/* Notes a piece of a named value: the whole (append 0) or more of it. */
int
idx_meta_note(const struct pack_key *k, const char *name, const struct piece *pc, int append)
{
	struct pgen *g;
	struct pmeta *m;
	struct piece *p;

	if ((g = idx_gen_get(k)) == NULL)
		return ENOMEM;
	if ((m = idx_meta_find(g, name)) == NULL) {
		if ((m = calloc(1, sizeof(*m))) == NULL)
			return ENOMEM;
		memcpy(m->name, name, strnlen(name, PACK_NAME_MAX));
		m->next = g->meta;
		g->meta = m;
	}
	if (!append)
		m->n = 0;
	if ((p = realloc(m->p, (m->n + 1) * sizeof(*p))) == NULL)
		return ENOMEM;
	m->p = p;
	m->p[m->n++] = *pc;
	return 0;
}

