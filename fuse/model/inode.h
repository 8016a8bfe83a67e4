/*
 * The folder tree and its inode table.
 *
 * Directories (the root, folders, and levels of the hierarchy that are
 * no mailbox) are nodes, found by inode number and counted with the
 * kernel's lookup count.  Messages are not nodes: a message's inode number
 * is its folder's generation and its UID (fs.h msg_ino()), so a folder of
 * 100,000 messages costs no per-message inode memory.  A folder gets a new
 * generation when its UIDVALIDITY changes, so no old inode number ever
 * names a message of the new generation.
 *
 * Locks, as each member of struct node notes: [T] tree_lock (read to
 * look, written to change), [C] count_lock in inode.c (the counts that
 * decide a node's end, changed and tested together), [F] folder->lock
 * (the contents of node->folder).  Lock order: tree_lock, then
 * folder->lock or count_lock; nothing is taken under count_lock.
 *
 * A node lives while the kernel (nlookup) or an operation (refs) holds
 * it, or while it is in the tree.  Once it is out of the tree (gone) and
 * both counts are 0, the one that made them so frees it, with tree_lock
 * written: exactly once (see node_last_locked() in inode.c).  node_put()
 * and node_forget() may free, so their callers hold no tree_lock.
 */
#ifndef MAILFS_FUSE_INODE_H
#define MAILFS_FUSE_INODE_H

#include <pthread.h>
#include <stdint.h>
#include <time.h>

#include <uthash.h>

#include "backend.h"
#include "fs.h"

struct folder;

struct node {
	fuse_ino_t ino;			/* < 2^32; constant */
	uint64_t nlookup;		/* [C] the kernel's lookup count */
	unsigned refs;			/* [C] operations using the node */
	int gone;			/* [C, set with T written] out of the tree */
	int dying;			/* [C] its last user is about to free it */
	struct node *parent;		/* [T] NULL for the root and once gone */
	struct node *children;		/* [T] */
	struct node *next;		/* [T] sibling */
	unsigned nchildren;		/* [T] */
	char *name;			/* [T] the path component; "" for the root */
	char *mailbox;			/* [T] the server's name (UTF-8), NULL when none */
	unsigned attrs;			/* [T] BE_FOLDER_* */
	unsigned epoch;			/* [T] the LIST pass that last saw it */
	uint32_t gen;			/* [T] the folder generation; 0 when not selectable */
	time_t ctime;			/* constant */
	/* [T] The last LIST-STATUS's word on the folder, and when (CLOCK_MONOTONIC s). */
	int has_status;
	struct be_status status;
	time_t status_at;
	/* [T] set once selectable, never freed before the node; its contents [F] */
	struct folder *folder;
	UT_hash_handle hh;		/* [T] by ino */
	UT_hash_handle hh_gen;		/* [T] by gen */
};

/*
 * tree_lock, the tree's own: read to look at the tree and the [T]
 * members of nodes, written to change them.  See the lock order above.
 */
void tree_rdlock(void);
void tree_wrlock(void);
void tree_unlock(void);

void tree_init(void);
void tree_destroy(void);

/* A directory node by inode number, or NULL; needs tree_lock. */
struct node *tree_node_locked(fuse_ino_t ino);
/* The selectable folder of generation gen, or NULL; needs tree_lock. */
struct node *tree_gen_locked(uint32_t gen);
/* A child directory by name, or NULL; needs tree_lock. */
struct node *tree_child_locked(struct node *dir, const char *name);

/*
 * Takes a reference that keeps the node (not its place in the tree)
 * alive; needs tree_lock held or a reference to n already.
 */
void node_ref(struct node *n);
/* By inode number with a reference, or NULL. */
struct node *node_get(fuse_ino_t ino);
/* Drops a reference; frees a gone node it was the last user of.  No tree_lock held. */
void node_put(struct node *n);

/* The kernel learnt about n once more (lookup, readdirplus); needs tree_lock. */
void node_lookup(struct node *n);
/* FORGET: the kernel dropped count references to ino.  No tree_lock held. */
void node_forget(fuse_ino_t ino, uint64_t count);

/* 1 when the node is a mailbox that holds messages. */
int node_selectable(const struct node *n);

/*
 * Makes the tree match a complete LIST: adds what is new, takes away what
 * is gone, and notes in inv what the kernel must forget.  An incomplete
 * LIST (lr->incomplete) only adds and updates; nothing goes.
 */
void tree_apply_list(const struct list_result *lr, struct inval_list *inv);

/*
 * fn (NULL: none) is called with every list applied, after the tree's
 * lock is released: the composition root saves it (treecache.h).  Set
 * once, before any thread applies a list.
 */
void tree_set_list_hook(void (*fn)(const struct list_result *lr));

/*
 * The statuses in the tree are old (a saved state, online.h): no folder
 * takes them for recent (node_recent_status()) until a list is applied.
 */
#define STATUS_STALE_S	((time_t)1 << 30)
void tree_status_stale(void);

/* Gives n's folder a new generation (after a UIDVALIDITY change); needs tree_lock written. */
void tree_new_gen_locked(struct node *n);

/* The hierarchy delimiter LIST reported (0: none seen, or a flat namespace); needs tree_lock. */
char tree_delimiter_locked(void);

/*
 * The server's name of the mailbox that the directory dir stands for
 * (comp NULL), or of its child named comp, into out.  Returns 0, or
 * EINVAL (comp is no canonical escaped name, or holds the delimiter),
 * EPERM (the server has no hierarchy), ENAMETOOLONG; needs tree_lock.
 */
int tree_mailbox_name_locked(const struct node *dir, const char *comp, char *out,
    size_t size);

/*
 * A stamp that changes whenever this mount changes the folders itself
 * (CREATE, DELETE, RENAME): a LIST begun before such a change is stale,
 * and tree_apply_list_since() leaves the tree alone then.  The stamp
 * changes with tree_touch_locked() (tree_lock written).
 */
unsigned tree_stamp(void);
void tree_touch_locked(void);
/* tree_apply_list() unless the stamp moved since stamp: 1 applied, 0 left alone. */
int tree_apply_list_since(const struct list_result *lr, struct inval_list *inv,
    unsigned stamp);

/* Adds a folder that LIST reported after a CREATE or RENAME; needs tree_lock written. */
void tree_add_locked(const struct list_item *it, struct inval_list *inv);

/* Takes n and everything below it out of the tree; needs tree_lock written. */
void tree_remove_locked(struct node *n, struct inval_list *inv);

/*
 * Moves n to newparent under newname (after a RENAME) and gives it and
 * everything below it their new mailbox names; needs tree_lock written.
 * 0 or ENOMEM.
 */
int tree_move_locked(struct node *n, struct node *newparent, const char *newname);

/* The \Trash folder (SPECIAL-USE), or NULL; needs tree_lock. */
struct node *tree_trash_locked(void);
/* A folder with the BE_FOLDER_* attr (\Sent: BE_FOLDER_SENT), or NULL; needs tree_lock. */
struct node *tree_attr_locked(unsigned attr);

/*
 * What the last folder list said of n's folder, into *it (name left
 * NULL) when it said it within max_age seconds; 1 then, else 0.
 */
int node_recent_status(const struct node *n, time_t max_age, struct list_item *it);

/*
 * The directory after n in a walk of the tree (depth first, names in
 * byte order, as rsync and a readdir-ordered walk go), or NULL at the
 * end; needs tree_lock.
 */
struct node *tree_walk_next_locked(const struct node *n);

/* Number of selectable folders, and a referenced copy of them (free with tree_put_all()). */
size_t tree_folders(struct node ***v_r);
void tree_put_all(struct node **v, size_t n);

#endif
