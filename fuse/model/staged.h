/*
 * The staged files' table: the second inode table, beside inode.c's tree.
 * Every staged new file (stage.h) by inode number (STAGE_GEN in the high
 * half, fs.h) and, while it is neither uploaded nor removed, by folder
 * and name; with the kernel's lookup count, its open handles and the
 * operations using it, which keep it alive (libfuse's passthrough_ll
 * keeps its inodes so).  stage.c makes the files, uploads them and
 * answers the kernel's writes and attributes; this module finds them,
 * counts their uses and frees them.
 *
 * Lock: staged_lock() (a leaf in fs.h's order: nothing is taken under
 * it, and it is never held across a round trip or a wait) protects the
 * tables and the fields marked (L) of every entry; those marked (L, U)
 * are written with the entry's upload_lock held too, and may be read
 * under either.  A staged file's own upload_lock is taken before the
 * table's, never under it.
 */
#ifndef MAILFS_FUSE_STAGED_H
#define MAILFS_FUSE_STAGED_H

#include <sys/stat.h>

#include <pthread.h>
#include <stdint.h>

#include <uthash.h>

#include "fs.h"

struct node;

/* A staged file.  Unmarked fields are set once, before it is added. */
struct staged {
	fuse_ino_t ino;
	uint32_t id;			/* the low half of ino; readdir's order */
	uint64_t nlookup;		/* (L) the kernel's lookup count */
	unsigned opens;			/* (L) open handles */
	unsigned refs;			/* (L) operations using it (staged_get()) */
	struct node *dir;		/* (L, U) its folder, referenced */
	char *name;			/* (L, U) */
	char *key;			/* (L) "DIRINO/NAME" while found by name */
	char *path;			/* the staging file */
	int fd;				/* (L) O_RDWR; -1 once uploaded */
	char *flags;			/* (L) user.imap.flags; NULL: none set */
	int unlinked;			/* (L) */
	int uploaded;			/* (L) */
	int keep;			/* leave the staging file (unmount, upload failed) */
	int queued;			/* (L, U) its upload is queued (queue.h): read-only */
	uint64_t seq;			/* (L, U) and its change in the journal */
	int placeholder;		/* a message whose move there is queued (pending.h):
					   queued too, never uploaded, never changed */
	uint64_t absent_size;		/* a placeholder whose body the store lacks (fd -1): */
	int64_t absent_date;		/* its size and date; reads fail (ONLINE_ERRNO) */
	fuse_ino_t msg;			/* (L) once uploaded: the message */
	int written;			/* (L) STAGE_NOOPEN handles wrote since their last flush or fsync */
	pid_t writer;			/* (L) the process that wrote last through one; 0: unknown */
	int failed_fd;			/* (L) the handle whose upload failed (or STAGE_NOOPEN), or -1 */
	int failed_err;			/* (L) and how */
	pthread_mutex_t upload_lock;	/* held across an upload and what it reads */
	UT_hash_handle hh;		/* by ino */
	UT_hash_handle hh_key;		/* by key */
};

void staged_lock(void);
void staged_unlock(void);

/* A new entry, in no table yet (fd -1): 0 with *s_r (the caller's), or ENOMEM. */
int staged_new(struct staged **s_r);
/* Gives s the next id and its inode number; needs the lock. */
void staged_number_locked(struct staged *s);
/* Adds s (numbered, placed) to the table by inode number; needs the lock. */
void staged_add_locked(struct staged *s);
/*
 * Gives s its place dir/name; needs the lock.  0 or an errno.  *old_r is
 * a reference to the former folder for the caller to put, unlocked.
 */
int staged_place_locked(struct staged *s, struct node *dir, const char *name,
    struct node **old_r);
/* Takes s out of the table by name (uploaded, removed or replaced); needs the lock. */
void staged_unkey_locked(struct staged *s);

/* Found without a reference (valid while the lock is held), or NULL; need the lock. */
struct staged *staged_find_locked(fuse_ino_t ino);
struct staged *staged_find_key_locked(fuse_ino_t dir, const char *name);
/* The placeholder of the queued move seq (pending.h), or NULL; needs the lock. */
struct staged *staged_find_placeholder_locked(uint64_t seq);
/* The entry whose staging file is path, or NULL; needs the lock. */
struct staged *staged_find_path_locked(const char *path);
/* Found with a reference (refs), to be given back with staged_put(); NULL: none. */
struct staged *staged_get(fuse_ino_t ino);
void staged_put(struct staged *s);

/*
 * Takes s out of the tables when nothing keeps it (and it is uploaded
 * or removed) and returns it for the caller to destroy, unlocked; NULL
 * while it lives.  Needs the lock.
 */
struct staged *staged_unhash_if_dead_locked(struct staged *s);
/*
 * Closes and frees s (NULL: nothing); its staging file goes unless keep
 * or a pending change of the journal names it (the only copy of a new
 * message queued offline).
 */
void staged_destroy(struct staged *s);
/*
 * Takes every entry out of the tables (the unmount): 0 with *v_r
 * (malloc'ed, the caller frees it and destroys each) and *n_r, or
 * ENOMEM with nothing taken.
 */
int staged_take_all(struct staged ***v_r, size_t *n_r);

/* s's attributes; needs the lock. */
void staged_fill_stat(const struct staged *s, struct stat *st);

/*
 * The kernel's view (vfs/ops.c calls these by these names, declared here
 * since stage.h includes this header).
 */
/* The staged file dir/name: its attributes and inode number (lookup counted when count), or 0. */
fuse_ino_t stage_lookup(fuse_ino_t dir, const char *name, struct stat *st, int count);

/* Where an uploaded staged file leads (its message's inode number), else 0. */
fuse_ino_t stage_uploaded(fuse_ino_t ino);

int stage_getattr(fuse_ino_t ino, struct stat *st);
void stage_release(fuse_ino_t ino, int fd);
void stage_forget(fuse_ino_t ino, uint64_t nlookup);

/*
 * rm of a staged file (ENOENT when dir/name is none); a queued upload of
 * it is dropped; a placeholder (pending.h) stays: EBUSY.
 */
int stage_unlink(fuse_ino_t dir, const char *name);

/* The staged files of a folder, for readdir, ordered by id (> after). */
struct stage_dirent {
	uint32_t id;
	char name[NAMES_COMPONENT_MAX + 1];
	struct stat st;
};
/* 0 with *v_r (the caller frees it) and *n_r, or ENOMEM. */
int stage_list(fuse_ino_t dir, uint32_t after, struct stage_dirent **v_r, size_t *n_r);

/* 1 when the folder dir holds a staged file (rmdir). */
int stage_any(fuse_ino_t dir);

#endif
