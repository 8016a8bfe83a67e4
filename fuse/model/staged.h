/*
 * The staged files' table (stage.h): moved out of stage.c.
 */
#ifndef MAILFS_FUSE_STAGED_H
#define MAILFS_FUSE_STAGED_H

#include <sys/stat.h>

#include <pthread.h>
#include <stdint.h>

#include <uthash.h>

#include "fs.h"

struct node;

struct staged {
	fuse_ino_t ino;
	uint32_t id;
	uint64_t nlookup;		/* the kernel's lookup count */
	unsigned opens;			/* open handles */
	unsigned refs;			/* operations using it */
	struct node *dir;		/* referenced */
	char *name;
	char *key;			/* "DIRINO/NAME" while in by_key */
	char *path;			/* the staging file */
	int fd;				/* O_RDWR; -1 once uploaded */
	char *flags;			/* user.imap.flags; NULL: none set */
	int unlinked;
	int uploaded;
	int keep;			/* leave the staging file (unmount, upload failed) */
	fuse_ino_t msg;			/* once uploaded: the message */
	int failed_fd;			/* the handle whose upload failed, or -1 */
	int failed_err;			/* and how */
	pthread_mutex_t upload_lock;
	UT_hash_handle hh;		/* by ino */
	UT_hash_handle hh_key;		/* by key, while neither uploaded nor unlinked */
};

extern pthread_mutex_t stage_lock;
extern struct staged *by_ino;
extern struct staged *by_key;
extern uint32_t next_id;

struct staged *staged_find_key_locked(fuse_ino_t dir, const char *name);
struct staged *staged_get_locked(fuse_ino_t ino);
struct staged *staged_get(fuse_ino_t ino);
void staged_unkey_locked(struct staged *s);
/* Takes s out of the tables when nobody needs it; the caller destroys it unlocked. */
struct staged *staged_unhash_if_dead_locked(struct staged *s);
void staged_destroy(struct staged *s);
void staged_put(struct staged *s);
/*
 * Gives s its place dir/name; needs stage_lock.  0 or ENOMEM.  *old_r is
 * a reference to the former folder for the caller to put, unlocked.
 */
int staged_place_locked(struct staged *s, struct node *dir, const char *name,
    struct node **old_r);
void staged_fill_stat(const struct staged *s, struct stat *st);

/* The staged file dir/name: its attributes and inode number (lookup counted when count), or 0. */
fuse_ino_t stage_lookup(fuse_ino_t dir, const char *name, struct stat *st, int count);

/* Where an uploaded staged file leads (its message's inode number), else 0. */
fuse_ino_t stage_uploaded(fuse_ino_t ino);

int stage_getattr(fuse_ino_t ino, struct stat *st);
void stage_release(fuse_ino_t ino, int fd);
void stage_forget(fuse_ino_t ino, uint64_t nlookup);

/* rm of a staged file (ENOENT when dir/name is none). */
int stage_unlink(fuse_ino_t dir, const char *name);

/* The staged files of a folder, for readdir, ordered by id (> after). */
struct stage_dirent {
	uint32_t id;
	char name[NAMES_COMPONENT_MAX + 1];
	struct stat st;
};
size_t stage_list(fuse_ino_t dir, uint32_t after, struct stage_dirent **v_r);

/* 1 when the folder dir holds a staged file (rmdir). */
int stage_any(fuse_ino_t dir);

#endif
