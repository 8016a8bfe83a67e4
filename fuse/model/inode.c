/*
 * The folder tree and its inode table (see inode.h for what is a node).
 *
 * Lock order: tree_lock before any folder->lock or count_lock.  A node's
 * end is decided by its counts (nlookup, refs) and gone, changed and
 * tested together under count_lock (as libfuse's passthrough_ll.c keeps
 * its lookup count under one mutex): the one that finds a gone node
 * unused marks it dying and frees it with tree_lock written, so that
 * the last FORGET and the last node_put() of a removed directory, when
 * they race, free it once.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "folder.h"
#include "inode.h"
#include "log.h"

static pthread_rwlock_t tree_lock = PTHREAD_RWLOCK_INITIALIZER;

void
tree_rdlock(void)
{
	pthread_rwlock_rdlock(&tree_lock);
}

void
tree_wrlock(void)
{
	pthread_rwlock_wrlock(&tree_lock);
}

void
tree_unlock(void)
{
	pthread_rwlock_unlock(&tree_lock);
}

static struct node *by_ino;
static struct node *by_gen;
static struct node *root;
static fuse_ino_t next_ino = FUSE_ROOT_ID + 1;
static uint32_t next_gen = 1;
static unsigned cur_epoch;
static char tree_delim;
static unsigned tree_changes;
static pthread_mutex_t count_lock = PTHREAD_MUTEX_INITIALIZER;
static void (*list_hook)(const struct list_result *);

static time_t
monotonic_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

/*
 * Links n among parent's children, which are kept in byte order of their
 * names: readdir then lists folders in the order rsync sorts them and
 * walks them, and tree_walk_next_locked() predicts a walk.
 */
static void
link_child(struct node *parent, struct node *n)
{
	struct node **pp;

	for (pp = &parent->children; *pp != NULL && strcmp((*pp)->name, n->name) < 0;
	    pp = &(*pp)->next)
		;
	n->next = *pp;
	*pp = n;
	parent->nchildren++;
}

static struct node *
node_new(struct node *parent, const char *name)
{
	struct node *n;

	if ((n = calloc(1, sizeof(*n))) == NULL)
		return NULL;
	if ((n->name = strdup(name)) == NULL) {
		free(n);
		return NULL;
	}
	n->ino = parent == NULL ? FUSE_ROOT_ID : next_ino++;
	n->ctime = time(NULL);
	n->parent = parent;
	if (parent != NULL)
		link_child(parent, n);
	HASH_ADD(hh, by_ino, ino, sizeof(n->ino), n);
	return n;
}

static void
node_free(struct node *n)
{
	HASH_DELETE(hh, by_ino, n);
	if (n->gen != 0)
		HASH_DELETE(hh_gen, by_gen, n);
	folder_free(n->folder);
	free(n->name);
	free(n->mailbox);
	free(n);
}

/*
 * 1 when n is gone and nobody holds it any more: the caller is then the
 * one that frees it (node_free_dying()), and nobody else will decide so
 * while it is dying.  Needs count_lock.
 */
static int
node_last_locked(struct node *n)
{
	if (!n->gone || n->dying || n->nlookup != 0 || n->refs != 0)
		return 0;
	n->dying = 1;
	return 1;
}

/*
 * Frees a node node_last_locked() chose, unless someone took it again
 * meanwhile (a reference taken under tree_lock before we held it
 * written): the last user of it then decides anew.  Needs tree_lock
 * written.
 */
static void
node_free_dying_locked(struct node *n)
{
	int unused;

	pthread_mutex_lock(&count_lock);
	unused = n->nlookup == 0 && n->refs == 0;
	n->dying = 0;
	pthread_mutex_unlock(&count_lock);
	if (unused)
		node_free(n);
}

static void
node_free_dying(struct node *n)
{
	tree_wrlock();
	node_free_dying_locked(n);
	tree_unlock();
}

void
tree_init(void)
{
	tree_wrlock();
	root = node_new(NULL, "");
	if (root != NULL)
		root->nlookup = 1;	/* the kernel never forgets the root */
	tree_unlock();
}

void
tree_destroy(void)
{
	struct node *n, *tmp;

	tree_wrlock();
	HASH_ITER(hh, by_ino, n, tmp)
		node_free(n);
	root = NULL;
	tree_unlock();
}

struct node *
tree_node_locked(fuse_ino_t ino)
{
	struct node *n;

	HASH_FIND(hh, by_ino, &ino, sizeof(ino), n);
	return n;
}

struct node *
tree_gen_locked(uint32_t gen)
{
	struct node *n;

	HASH_FIND(hh_gen, by_gen, &gen, sizeof(gen), n);
	return n;
}

struct node *
tree_child_locked(struct node *dir, const char *name)
{
	struct node *c;

	for (c = dir->children; c != NULL; c = c->next)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

void
node_ref(struct node *n)
{
	pthread_mutex_lock(&count_lock);
	n->refs++;
	pthread_mutex_unlock(&count_lock);
}

struct node *
node_get(fuse_ino_t ino)
{
	struct node *n;

	tree_rdlock();
	if ((n = tree_node_locked(ino)) != NULL)
		node_ref(n);
	tree_unlock();
	return n;
}

void
node_put(struct node *n)
{
	int last, over;

	if (n == NULL)
		return;
	pthread_mutex_lock(&count_lock);
	if (!(over = n->refs == 0))
		n->refs--;
	/* A gone node goes once its last user leaves. */
	last = node_last_locked(n);
	pthread_mutex_unlock(&count_lock);
	if (over)
		log_msg(LOG_ERR, "inode %llu released more often than taken",
		    (unsigned long long)n->ino);
	if (last)
		node_free_dying(n);
}

void
node_lookup(struct node *n)
{
	pthread_mutex_lock(&count_lock);
	n->nlookup++;
	pthread_mutex_unlock(&count_lock);
}

void
node_forget(fuse_ino_t ino, uint64_t count)
{
	struct node *n;
	int last = 0, over = 0;

	if (ino == FUSE_ROOT_ID)
		return;		/* the kernel never forgets the root */
	tree_rdlock();
	if ((n = tree_node_locked(ino)) != NULL) {
		pthread_mutex_lock(&count_lock);
		if ((over = n->nlookup < count))
			count = n->nlookup;
		n->nlookup -= count;
		last = node_last_locked(n);
		pthread_mutex_unlock(&count_lock);
	}
	tree_unlock();
	if (over)
		log_msg(LOG_ERR, "the kernel forgot inode %llu more often than it looked it up",
		    (unsigned long long)ino);
	if (last)
		node_free_dying(n);
}

int
node_selectable(const struct node *n)
{
	return n->mailbox != NULL &&
	    (n->attrs & (BE_FOLDER_NOSELECT | BE_FOLDER_NONEXISTENT)) == 0;
}

void
tree_new_gen_locked(struct node *n)
{
	if (n->gen != 0)
		HASH_DELETE(hh_gen, by_gen, n);
	n->gen = next_gen++;
	/* 2^32 generations: a theoretical wrap; STAGE_GEN is not a folder's. */
	if (next_gen == 0 || next_gen >= OUTBOX_GEN)
		next_gen = 1;
	HASH_ADD(hh_gen, by_gen, gen, sizeof(n->gen), n);
}

static void
drop_gen_locked(struct node *n)
{
	if (n->gen != 0) {
		HASH_DELETE(hh_gen, by_gen, n);
		n->gen = 0;
	}
}

/* Takes n and everything under it out of the tree. */
static void
node_remove_locked(struct node *n, struct inval_list *inv)
{
	struct node **pp, *c;
	int last;

	while ((c = n->children) != NULL)
		node_remove_locked(c, inv);
	for (pp = &n->parent->children; *pp != NULL; pp = &(*pp)->next)
		if (*pp == n) {
			*pp = n->next;
			break;
		}
	n->parent->nchildren--;
	inval_add(inv, INVAL_DELETE, n->parent->ino, n->ino, n->name);
	inval_add(inv, INVAL_INODE, 0, n->parent->ino, "");
	drop_gen_locked(n);
	n->parent = NULL;
	n->next = NULL;
	pthread_mutex_lock(&count_lock);
	n->gone = 1;
	last = node_last_locked(n);
	pthread_mutex_unlock(&count_lock);
	if (last)
		node_free_dying_locked(n);
}

static void
apply_item(const struct list_item *it, struct inval_list *inv)
{
	struct node *dir = root, *c = NULL;
	char **comps;
	size_t ncomps, i;

	if (it->delim != '\0')
		tree_delim = it->delim;
	if (names_split(it->name, it->delim, &comps, &ncomps) != 0) {
		log_msg(LOG_WARNING, "the folder \"%s\" cannot be shown as a directory "
		    "(an empty or overlong level); left out", it->name);
		return;
	}
	for (i = 0; i < ncomps; i++, dir = c) {
		if ((c = tree_child_locked(dir, comps[i])) == NULL) {
			if ((c = node_new(dir, comps[i])) == NULL) {
				log_msg(LOG_ERR, "out of memory");
				break;
			}
			c->attrs = BE_FOLDER_NOSELECT;
			inval_add(inv, INVAL_ENTRY, dir->ino, 0, c->name);
			inval_add(inv, INVAL_INODE, 0, dir->ino, "");
		}
		/* Seen this pass; keep the mark of a LIST line of its own. */
		if ((c->epoch & 0x7fffffffu) != cur_epoch)
			c->epoch = cur_epoch;
	}
	if (i == ncomps && c != NULL) {
		if (c->mailbox == NULL || strcmp(c->mailbox, it->name) != 0) {
			free(c->mailbox);
			c->mailbox = strdup(it->name);
		}
		c->attrs = it->attrs;
		c->has_status = it->has_status;
		c->status = it->status;
		c->status_at = monotonic_seconds();
		if (node_selectable(c) && c->folder == NULL)
			c->folder = folder_new();
		if (node_selectable(c) && c->folder != NULL && c->gen == 0)
			tree_new_gen_locked(c);
		if (!node_selectable(c))
			drop_gen_locked(c);
		c->epoch = cur_epoch | 0x80000000u;	/* named by LIST itself */
	}
	names_free(comps, ncomps);
}

static void
sweep_locked(struct node *dir, struct inval_list *inv)
{
	struct node *c, *next;

	for (c = dir->children; c != NULL; c = next) {
		next = c->next;
		if ((c->epoch & 0x7fffffffu) != cur_epoch) {
			node_remove_locked(c, inv);
			continue;
		}
		if (!(c->epoch & 0x80000000u) && c->mailbox != NULL) {
			/* A mailbox that is now only a level of the hierarchy. */
			free(c->mailbox);
			c->mailbox = NULL;
			c->attrs = BE_FOLDER_NOSELECT;
			drop_gen_locked(c);
			inval_add(inv, INVAL_INODE, 0, c->ino, "");
		}
		c->epoch &= 0x7fffffffu;
		sweep_locked(c, inv);
	}
}

static void
apply_list_locked(const struct list_result *lr, struct inval_list *inv)
{
	size_t i;

	cur_epoch = (cur_epoch + 1) & 0x7fffffffu;
	for (i = 0; i < lr->n; i++)
		apply_item(&lr->v[i], inv);
	/*
	 * A folder missing from an incomplete list may be there: it stays
	 * (the marks of this pass go with the next complete one).
	 */
	if (lr->incomplete)
		log_msg(LOG_WARNING, "the folder list lost entries (out of memory): "
		    "new folders are shown, none is taken away until the next list");
	else
		sweep_locked(root, inv);
}

void
tree_set_list_hook(void (*fn)(const struct list_result *lr))
{
	list_hook = fn;
}

void
tree_apply_list(const struct list_result *lr, struct inval_list *inv)
{
	tree_wrlock();
	apply_list_locked(lr, inv);
	tree_unlock();
	if (list_hook != NULL)
		list_hook(lr);
}

void
tree_status_stale(void)
{
	struct node *n, *tmp;

	tree_wrlock();
	HASH_ITER(hh, by_ino, n, tmp)
		n->status_at = monotonic_seconds() - STATUS_STALE_S;
	tree_unlock();
}

unsigned
tree_stamp(void)
{
	unsigned s;

	tree_rdlock();
	s = tree_changes;
	tree_unlock();
	return s;
}

void
tree_touch_locked(void)
{
	tree_changes++;
}

int
tree_apply_list_since(const struct list_result *lr, struct inval_list *inv,
    unsigned stamp)
{
	int applied = 0;

	tree_wrlock();
	if (tree_changes == stamp) {
		apply_list_locked(lr, inv);
		applied = 1;
	}
	tree_unlock();
	if (applied && list_hook != NULL)
		list_hook(lr);
	return applied;
}

char
tree_delimiter_locked(void)
{
	return tree_delim;
}

/* Appends the decoded path of n (below the root) to out at *len. */
static int
path_locked(const struct node *n, char *out, size_t size, size_t *len)
{
	char level[NAMES_COMPONENT_MAX + 1];
	size_t l;
	int r;

	if (n == NULL || n->parent == NULL)
		return 0;
	if ((r = path_locked(n->parent, out, size, len)) != 0)
		return r;
	if (names_decode(n->name, level, sizeof(level)) != 0)
		return EINVAL;
	l = strlen(level);
	if (*len + l + 2 > size)
		return ENAMETOOLONG;
	if (*len > 0)
		out[(*len)++] = tree_delim;
	memcpy(out + *len, level, l + 1);
	*len += l;
	return 0;
}

int
tree_mailbox_name_locked(const struct node *dir, const char *comp, char *out,
    size_t size)
{
	char level[NAMES_COMPONENT_MAX + 1];
	size_t len = 0, l;
	int r;

	if (size == 0)
		return ENAMETOOLONG;
	out[0] = '\0';
	if (comp == NULL)
		return path_locked(dir, out, size, &len);
	if (dir->parent != NULL && tree_delim == '\0')
		return EPERM;	/* a flat namespace: folders hold no folders */
	if (names_decode(comp, level, sizeof(level)) != 0 ||
	    (tree_delim != '\0' && strchr(level, tree_delim) != NULL))
		return EINVAL;
	if ((r = path_locked(dir, out, size, &len)) != 0)
		return r;
	l = strlen(level);
	if (len + l + 2 > size)
		return ENAMETOOLONG;
	if (len > 0)
		out[len++] = tree_delim;
	memcpy(out + len, level, l + 1);
	return 0;
}

void
tree_add_locked(const struct list_item *it, struct inval_list *inv)
{
	apply_item(it, inv);
}

void
tree_remove_locked(struct node *n, struct inval_list *inv)
{
	if (n->parent != NULL)
		node_remove_locked(n, inv);
}

/* Gives n and its descendants the mailbox names their new place implies. */
static int
rename_mailboxes_locked(struct node *n)
{
	char buf[4096], *dup;
	struct node *c;
	int r;

	if (n->mailbox != NULL) {
		if ((r = tree_mailbox_name_locked(n, NULL, buf, sizeof(buf))) != 0)
			return r;
		if ((dup = strdup(buf)) == NULL)
			return ENOMEM;
		free(n->mailbox);
		n->mailbox = dup;
	}
	for (c = n->children; c != NULL; c = c->next)
		if ((r = rename_mailboxes_locked(c)) != 0)
			return r;
	return 0;
}

int
tree_move_locked(struct node *n, struct node *newparent, const char *newname)
{
	struct node **pp;
	char *name;

	if ((name = strdup(newname)) == NULL)
		return ENOMEM;
	for (pp = &n->parent->children; *pp != NULL; pp = &(*pp)->next)
		if (*pp == n) {
			*pp = n->next;
			break;
		}
	n->parent->nchildren--;
	free(n->name);
	n->name = name;
	n->parent = newparent;
	link_child(newparent, n);
	return rename_mailboxes_locked(n);
}

struct node *
tree_attr_locked(unsigned attr)
{
	struct node *n, *tmp;

	HASH_ITER(hh_gen, by_gen, n, tmp)
		if (n->attrs & attr)
			return n;
	return NULL;
}

struct node *
tree_trash_locked(void)
{
	return tree_attr_locked(BE_FOLDER_TRASH);
}

size_t
tree_folders(struct node ***v_r)
{
	struct node *n, *tmp, **v;
	size_t i = 0;

	tree_rdlock();
	v = calloc(HASH_CNT(hh_gen, by_gen) + 1, sizeof(*v));
	if (v != NULL)
		HASH_ITER(hh_gen, by_gen, n, tmp) {
			node_ref(n);
			v[i++] = n;
		}
	tree_unlock();
	*v_r = v;
	return i;
}

void
tree_put_all(struct node **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		node_put(v[i]);
	free(v);
}

int
node_recent_status(const struct node *n, time_t max_age, struct list_item *it)
{
	int r = 0;

	memset(it, 0, sizeof(*it));
	tree_rdlock();
	if (n->has_status && monotonic_seconds() - n->status_at < max_age) {
		it->has_status = 1;
		it->status = n->status;
		r = 1;
	}
	tree_unlock();
	return r;
}

struct node *
tree_walk_next_locked(const struct node *n)
{
	if (n->children != NULL)
		return n->children;
	for (; n != NULL; n = n->parent)
		if (n->next != NULL)
			return n->next;
	return NULL;
}
