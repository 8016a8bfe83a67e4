/*
 * What the FUSE handlers of fuse/vfs/ share (internal to the folder):
 * the file handle's bits, a message's details copied out from under the
 * locks (struct msg_info), the attributes of directories and messages,
 * and each file's handlers for the table in ops.c.
 *
 * Handlers, by file:
 *	ops.c		the table, init, lookup, forget, forget_multi, getattr,
 *			setattr; the helpers below
 *	dir.c		opendir, readdir, readdirplus, releasedir, create,
 *			mknod, mkdir, unlink, rmdir, rename, symlink, link
 *	file.c		open, read, write, flush, fsync, release (the open
 *			bodies they read: bodies.h)
 *	xattr.c		getxattr, setxattr, listxattr, removexattr
 *	statfs.c	statfs
 *
 * Locks, in the order of fs.h: a handler takes the tree's lock
 * (tree_rdlock(), read), then a folder's (folder->lock), only to copy
 * what it needs, and holds neither across a round trip to the server nor
 * across a reply to the kernel.  The locks further out (a staged file's
 * upload_lock, folder->sync_lock, a connection of the backend) are taken
 * inside the calls into model/ and into the backend, which a handler
 * makes with none of its own held; store_flags() (xattr.c) holds a folder
 * of the backend (backend_open()) across its STORE, and no lock.
 * Functions named *_locked want the tree's lock held (read); the others
 * take what they need.
 *
 * Errors: fuse/common/errors.h; a handler replies with the errno as is.
 */
#ifndef MAILFS_FUSE_VFS_H
#define MAILFS_FUSE_VFS_H

#include <sys/stat.h>

#include <stddef.h>
#include <stdint.h>

#include "folder.h"
#include "fs.h"

struct node;

#define FLAGS_MAX	4096	/* the longest user.imap.flags value */

/*
 * fi->fh of a new file: FH_STAGED and a descriptor in the low half;
 * FH_WRITE when the handle may write.  Of a message: FH_MSG alone (its
 * bytes are in the table of bodies.h).  0: a handle that the kernel
 * opened without asking (file.c), of a message or of a new file.
 */
#define FH_WRITE	(1ULL << 32)
#define FH_STAGED	(1ULL << 33)	/* a descriptor of staged bytes */
#define FH_MSG		(1ULL << 34)
#define FH_FD(fh)	((int)((fh) & 0xffffffffULL))

/* A message, as a handler needs it once the locks are gone. */
struct msg_info {
	struct msg m;
	char flags[FLAGS_MAX];
	size_t flags_len;
	char *mailbox;		/* when asked for */
	uint32_t uidvalidity;
	struct node *dir;	/* referenced when asked for */
};

/* The attributes of the folder node n (tree lock held). */
void dir_attr_locked(const struct node *n, struct stat *st);
/* The attributes of the message m, whose inode number is ino. */
void msg_attr(fuse_ino_t ino, const struct msg *m, struct stat *st);

/*
 * Copies the message with inode number ino (or the one rename moved it
 * to) into *mi.  want_mailbox: also its folder's name, UIDVALIDITY and a
 * reference to the folder's node, which msg_info_clear() gives back.
 * 0 or an errno.
 */
int msg_get(fuse_ino_t ino, struct msg_info *mi, int want_mailbox);
/* Frees what msg_get() gave *mi with want_mailbox. */
void msg_info_clear(struct msg_info *mi);
/* The inode an operation is about: an uploaded staged file's is its message's. */
fuse_ino_t resolve(fuse_ino_t ino);
/* 1 when n is a folder that holds messages (not the root, not \Noselect). */
int holds_messages(struct node *n);
/* Loads n's messages when it is a mailbox that holds some; 0 or an errno. */
int ensure_messages(struct node *n);
/*
 * The message named name in the folder of node p (its messages loaded
 * first): 0 with its UID and generation, or an errno (ENOENT: none).
 */
int find_msg(struct node *p, const char *name, uint32_t *uid_r,
    uint32_t *gen_r);
/* The entry of a staged file: never cached, as its size and inode change. */
void staged_entry(struct fuse_entry_param *e, fuse_ino_t ino,
    const struct stat *st);
/* Answers a getattr (or an accepted setattr) of a folder's directory. */
void reply_dir_attr(fuse_req_t req, fuse_ino_t ino);

/* dir.c */
void vfs_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void vfs_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
    struct fuse_file_info *fi);
void vfs_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
    struct fuse_file_info *fi);
void vfs_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void vfs_create(fuse_req_t req, fuse_ino_t parent, const char *name,
    mode_t mode, struct fuse_file_info *fi);
void vfs_mknod(fuse_req_t req, fuse_ino_t parent, const char *name,
    mode_t mode, dev_t rdev);
void vfs_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name,
    mode_t mode);
void vfs_unlink(fuse_req_t req, fuse_ino_t parent, const char *name);
void vfs_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name);
void vfs_rename(fuse_req_t req, fuse_ino_t parent, const char *name,
    fuse_ino_t newparent, const char *newname, unsigned int flags);
void vfs_symlink(fuse_req_t req, const char *link, fuse_ino_t parent,
    const char *name);
void vfs_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent,
    const char *newname);

/* file.c */
/* From init: whether the kernel may open files without asking. */
void file_init(struct fuse_conn_info *conn);
void vfs_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void vfs_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
    struct fuse_file_info *fi);
void vfs_write(fuse_req_t req, fuse_ino_t ino, const char *data, size_t size,
    off_t off, struct fuse_file_info *fi);
void vfs_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void vfs_fsync(fuse_req_t req, fuse_ino_t ino, int datasync,
    struct fuse_file_info *fi);
void vfs_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);

/* xattr.c */
void vfs_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name,
    size_t size);
void vfs_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size);
void vfs_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name,
    const char *value, size_t size, int flags);
void vfs_removexattr(fuse_req_t req, fuse_ino_t ino, const char *name);

/* statfs.c */
void vfs_statfs(fuse_req_t req, fuse_ino_t ino);

#endif
