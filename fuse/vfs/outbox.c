/*
 * The FUSE handlers of the Outbox/ directory (outbox_vfs.h).
 *
 * A handle's fi->fh: FH_OB, FH_WRITE when it may write, and a descriptor
 * of the message's bytes in the low half; 0 for a handle the kernel
 * opened without asking (file.c), whose I/O goes to the message's own
 * descriptor.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "inode.h"
#include "outbox.h"
#include "outbox_vfs.h"
#include "stats.h"
#include "vfs.h"

#define FH_OB		(1ULL << 40)
#define OB_NAME		"Outbox"
#define OB_NAME_ALT	"Outbox.local"	/* while the server has an Outbox */
#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE	(1 << 0)
#endif

static struct fuse_lowlevel_ops orig;	/* the handlers wrapped */

static fuse_ino_t
ob_ino(uint32_t id)
{
	return OUTBOX_DIR_INO | id;
}

static int
is_file(fuse_ino_t ino)
{
	return ino_is_outbox(ino) && ino != OUTBOX_DIR_INO;
}

/* The Outbox's name now; needs the tree's lock (read). */
static const char *
name_locked(void)
{
	struct node *root = tree_node_locked(FUSE_ROOT_ID);

	return root != NULL && tree_child_locked(root, OB_NAME) != NULL ? OB_NAME_ALT :
	    OB_NAME;
}

/* 1 when parent/name is the Outbox itself. */
static int
is_outbox(fuse_ino_t parent, const char *name)
{
	int r;

	if (parent != FUSE_ROOT_ID)
		return 0;
	tree_rdlock();
	r = strcmp(name, name_locked()) == 0 &&
	    tree_child_locked(tree_node_locked(FUSE_ROOT_ID), name) == NULL;
	tree_unlock();
	return r;
}

static void
dir_attr(struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = OUTBOX_DIR_INO;
	st->st_mode = S_IFDIR | 0700;
	st->st_nlink = 2;
	st->st_uid = fs.uid;
	st->st_gid = fs.gid;
	st->st_blksize = 4096;
	st->st_atime = st->st_mtime = st->st_ctime = fs.mounted_at;
}

int
outbox_vfs_entry_locked(const char **name_r, struct fuse_entry_param *e)
{
	if (!outbox_enabled())
		return 0;
	memset(e, 0, sizeof(*e));
	e->ino = OUTBOX_DIR_INO;
	dir_attr(&e->attr);
	e->attr_timeout = e->entry_timeout = fs.dir_timeout;
	*name_r = name_locked();
	return 1;
}

static void
file_entry(struct fuse_entry_param *e, uint32_t id, const struct stat *st)
{
	memset(e, 0, sizeof(*e));
	e->ino = ob_ino(id);
	e->attr = *st;
	e->attr.st_ino = e->ino;
	/* Its bytes change and it may leave at any close: ask every time. */
	e->attr_timeout = e->entry_timeout = 0;
}

static void
ob_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct fuse_entry_param e;
	struct stat st;
	uint32_t id;
	int r;

	if (is_outbox(parent, name)) {
		stats_count(STAT_LOOKUP);
		memset(&e, 0, sizeof(e));
		e.ino = OUTBOX_DIR_INO;
		dir_attr(&e.attr);
		e.attr_timeout = e.entry_timeout = fs.dir_timeout;
		fuse_reply_entry(req, &e);
	} else if (parent == OUTBOX_DIR_INO) {
		stats_count(STAT_LOOKUP);
		if ((r = outbox_lookup(name, &id, &st)) != 0)
			fuse_reply_err(req, r);
		else {
			file_entry(&e, id, &st);
			fuse_reply_entry(req, &e);
		}
	} else
		orig.lookup(req, parent, name);
}

static void
ob_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct stat st;
	int r;

	if (ino == OUTBOX_DIR_INO) {
		dir_attr(&st);
		fuse_reply_attr(req, &st, fs.dir_timeout);
	} else if (is_file(ino)) {
		if ((r = outbox_getattr((uint32_t)ino, &st)) != 0)
			fuse_reply_err(req, r);
		else {
			st.st_ino = ino;
			fuse_reply_attr(req, &st, 0);
		}
	} else
		orig.getattr(req, ino, fi);
}

static void
ob_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
    struct fuse_file_info *fi)
{
	struct stat st;
	int r;

	if (ino == OUTBOX_DIR_INO) {
		/* rsync -a and cp -a set a directory's mode and times: accepted. */
		dir_attr(&st);
		fuse_reply_attr(req, &st, fs.dir_timeout);
	} else if (is_file(ino)) {
		if (to_set & FUSE_SET_ATTR_MTIME_NOW) {
			clock_gettime(CLOCK_REALTIME, &attr->st_mtim);
			to_set |= FUSE_SET_ATTR_MTIME;
		}
		/* Mode and owner: accepted, nothing changes (as for a message). */
		if ((r = outbox_setattr((uint32_t)ino, attr, (to_set & FUSE_SET_ATTR_SIZE) != 0,
		    (to_set & FUSE_SET_ATTR_MTIME) != 0, &st)) != 0)
			fuse_reply_err(req, r);
		else {
			st.st_ino = ino;
			fuse_reply_attr(req, &st, 0);
		}
	} else
		orig.setattr(req, ino, attr, to_set, fi);
}

/*
 * create (fi: the handle to open) and mknod (fi NULL) of parent/name: 1
 * when it was the Outbox's to answer.
 */
static int
make_file(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
    struct fuse_file_info *fi)
{
	struct fuse_entry_param e;
	struct stat st;
	uint32_t id;
	int fd, r;

	if (is_outbox(parent, name))
		r = EEXIST;
	else if (parent != OUTBOX_DIR_INO)
		return 0;
	else if (!S_ISREG(mode))
		r = EPERM;	/* regular files only */
	else
		r = outbox_create(name, fi == NULL || (fi->flags & O_EXCL) != 0, &id, &st,
		    &fd);
	if (r != 0) {
		fuse_reply_err(req, r);
		return 1;
	}
	file_entry(&e, id, &st);
	if (fi == NULL) {
		close(fd);
		outbox_release(id, 1);
		fuse_reply_entry(req, &e);
		return 1;
	}
	fi->fh = FH_OB | FH_WRITE | (uint64_t)(unsigned)fd;
	fi->direct_io = 1;
	if (fuse_reply_create(req, &e, fi) != 0) {
		close(fd);
		outbox_release(id, 1);
	}
	return 1;
}

static void
ob_create(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
    struct fuse_file_info *fi)
{
	if (parent == OUTBOX_DIR_INO)
		stats_count(STAT_CREATE);
	if (!make_file(req, parent, name, mode, fi))
		orig.create(req, parent, name, mode, fi);
}

static void
ob_mknod(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode, dev_t rdev)
{
	if (parent == OUTBOX_DIR_INO)
		stats_count(STAT_MKNOD);
	if (!make_file(req, parent, name, mode, NULL))
		orig.mknod(req, parent, name, mode, rdev);
}

static void
ob_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode)
{
	if (is_outbox(parent, name))
		fuse_reply_err(req, EEXIST);
	else if (parent == OUTBOX_DIR_INO)
		fuse_reply_err(req, EPERM);	/* regular files only */
	else
		orig.mkdir(req, parent, name, mode);
}

static void
ob_symlink(fuse_req_t req, const char *link, fuse_ino_t parent, const char *name)
{
	if (parent == OUTBOX_DIR_INO || is_outbox(parent, name))
		fuse_reply_err(req, EPERM);
	else
		orig.symlink(req, link, parent, name);
}

static void
ob_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent, const char *newname)
{
	if (ino_is_outbox(ino) || newparent == OUTBOX_DIR_INO ||
	    is_outbox(newparent, newname))
		fuse_reply_err(req, EPERM);
	else
		orig.link(req, ino, newparent, newname);
}

static void
ob_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	if (is_outbox(parent, name))
		fuse_reply_err(req, EISDIR);
	else if (parent == OUTBOX_DIR_INO) {
		stats_count(STAT_UNLINK);
		fuse_reply_err(req, outbox_unlink(name));
	} else
		orig.unlink(req, parent, name);
}

static void
ob_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	if (is_outbox(parent, name))
		fuse_reply_err(req, EPERM);	/* the Outbox is the mount's, always there */
	else if (parent == OUTBOX_DIR_INO)
		fuse_reply_err(req, ENOTDIR);
	else
		orig.rmdir(req, parent, name);
}

static void
ob_rename(fuse_req_t req, fuse_ino_t parent, const char *name, fuse_ino_t newparent,
    const char *newname, unsigned int flags)
{
	if (is_outbox(parent, name) || is_outbox(newparent, newname))
		fuse_reply_err(req, EPERM);
	else if (parent == OUTBOX_DIR_INO && newparent == OUTBOX_DIR_INO) {
		stats_count(STAT_RENAME);
		if (flags & ~(unsigned)RENAME_NOREPLACE)
			fuse_reply_err(req, EINVAL);
		else
			fuse_reply_err(req, outbox_rename(name, newname,
			    (flags & RENAME_NOREPLACE) != 0));
	} else if (parent == OUTBOX_DIR_INO || newparent == OUTBOX_DIR_INO)
		fuse_reply_err(req, EXDEV);	/* mv copies: the copy is sent at close */
	else
		orig.rename(req, parent, name, newparent, newname, flags);
}

static void
ob_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	int write = (fi->flags & O_ACCMODE) != O_RDONLY, fd, r;

	if (ino == OUTBOX_DIR_INO) {
		fuse_reply_err(req, EISDIR);
		return;
	}
	if (!is_file(ino)) {
		orig.open(req, ino, fi);
		return;
	}
	stats_count(STAT_OPEN);
	if ((r = outbox_open((uint32_t)ino, write, write && (fi->flags & O_TRUNC), &fd)) != 0) {
		fuse_reply_err(req, r);
		return;
	}
	fi->fh = FH_OB | (write ? FH_WRITE : 0) | (uint64_t)(unsigned)fd;
	fi->direct_io = 1;
	if (fuse_reply_open(req, fi) != 0) {
		close(fd);
		outbox_release((uint32_t)ino, write);
	}
}

/* The handle's descriptor, or -1 for a handle the kernel opened itself. */
static int
fh_fd(const struct fuse_file_info *fi)
{
	return fi != NULL && (fi->fh & FH_OB) ? FH_FD(fi->fh) : -1;
}

static void
ob_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi)
{
	char *buf;
	size_t len = 0;
	int r;

	if (!is_file(ino)) {
		orig.read(req, ino, size, off, fi);
		return;
	}
	stats_count(STAT_READ);
	if ((buf = malloc(size + 1)) == NULL) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	if ((r = outbox_read((uint32_t)ino, fh_fd(fi), buf, size, off, &len)) != 0)
		fuse_reply_err(req, r);
	else
		fuse_reply_buf(req, buf, len);
	free(buf);
}

static void
ob_write(fuse_req_t req, fuse_ino_t ino, const char *data, size_t size, off_t off,
    struct fuse_file_info *fi)
{
	size_t n = 0;
	int r;

	if (!is_file(ino)) {
		orig.write(req, ino, data, size, off, fi);
		return;
	}
	stats_count(STAT_WRITE);
	if ((fi->fh & FH_OB) && !(fi->fh & FH_WRITE))
		r = EBADF;
	else
		r = outbox_write((uint32_t)ino, fh_fd(fi), data, size, off, &n);
	if (r != 0)
		fuse_reply_err(req, r);
	else
		fuse_reply_write(req, n);
}

static void
ob_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	if (!is_file(ino)) {
		orig.flush(req, ino, fi);
		return;
	}
	stats_count(STAT_FLUSH);
	fuse_reply_err(req, outbox_flush((uint32_t)ino, !(fi->fh & FH_OB) ? -1 :
	    (fi->fh & FH_WRITE) != 0));
}

static void
ob_fsync(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi)
{
	if (!is_file(ino)) {
		orig.fsync(req, ino, datasync, fi);
		return;
	}
	stats_count(STAT_FSYNC);
	fuse_reply_err(req, outbox_fsync((uint32_t)ino));
}

static void
ob_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	if (!is_file(ino)) {
		orig.release(req, ino, fi);
		return;
	}
	stats_count(STAT_RELEASE);
	if (fi->fh & FH_OB) {
		close(FH_FD(fi->fh));
		outbox_release((uint32_t)ino, (fi->fh & FH_WRITE) != 0);
	}
	fuse_reply_err(req, 0);
}

static void
ob_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	if (is_file(ino))
		fuse_reply_err(req, ENOTDIR);
	else if (ino == OUTBOX_DIR_INO) {
		stats_count(STAT_OPENDIR);
		fuse_reply_open(req, fi);
	} else
		orig.opendir(req, ino, fi);
}

/* Offsets: 1 ".", 2 "..", then 2 + a message's id. */
static void
readdir_ob(fuse_req_t req, size_t size, off_t off, int plus)
{
	struct outbox_dirent *v = NULL;
	struct fuse_entry_param e;
	size_t pos = 0, need, n = 0, i;
	char *buf;
	int r;

	stats_count(plus ? STAT_READDIRPLUS : STAT_READDIR);
	if ((buf = malloc(size)) == NULL) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	if ((r = outbox_list(off > 2 ? (uint32_t)(off - 2) : 0, &v, &n)) != 0) {
		free(buf);
		fuse_reply_err(req, r);
		return;
	}
	for (i = off < 2 ? (size_t)off : 2; i < 2 + n; i++) {
		memset(&e, 0, sizeof(e));
		if (i < 2) {
			e.attr.st_mode = S_IFDIR;
			e.attr.st_ino = i == 0 ? OUTBOX_DIR_INO : FUSE_ROOT_ID;
			need = plus ? fuse_add_direntry_plus(req, buf + pos, size - pos,
			    i == 0 ? "." : "..", &e, (off_t)i + 1) :
			    fuse_add_direntry(req, buf + pos, size - pos, i == 0 ? "." : "..",
			    &e.attr, (off_t)i + 1);
		} else {
			file_entry(&e, v[i - 2].id, &v[i - 2].st);
			need = plus ? fuse_add_direntry_plus(req, buf + pos, size - pos,
			    v[i - 2].name, &e, (off_t)(2 + v[i - 2].id)) :
			    fuse_add_direntry(req, buf + pos, size - pos, v[i - 2].name,
			    &e.attr, (off_t)(2 + v[i - 2].id));
		}
		if (need > size - pos)
			break;
		pos += need;
	}
	fuse_reply_buf(req, buf, pos);
	free(buf);
	free(v);
}

static void
ob_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
    struct fuse_file_info *fi)
{
	if (ino != OUTBOX_DIR_INO)
		orig.readdir(req, ino, size, off, fi);
	else
		readdir_ob(req, size, off, 0);
}

static void
ob_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
    struct fuse_file_info *fi)
{
	if (ino != OUTBOX_DIR_INO)
		orig.readdirplus(req, ino, size, off, fi);
	else
		readdir_ob(req, size, off, 1);
}

/* ---- xattrs: user.mailfs.error, user.mailfs.status; user.mailfs.retry to send again ---- */

static void
ob_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name, size_t size)
{
	char buf[1024];
	size_t len = 0;
	int r;

	if (!ino_is_outbox(ino)) {
		orig.getxattr(req, ino, name, size);
		return;
	}
	stats_count(STAT_GETXATTR);
	if (ino == OUTBOX_DIR_INO)
		r = ENODATA;
	else
		r = outbox_xattr((uint32_t)ino, name, buf, size < sizeof(buf) ? size :
		    sizeof(buf), &len);
	if (r != 0)
		fuse_reply_err(req, r);
	else if (size == 0)
		fuse_reply_xattr(req, len);
	else
		fuse_reply_buf(req, buf, len);
}

static void
ob_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size)
{
	static const char names[] = "user.mailfs.error\0user.mailfs.status";
	char buf[1];
	size_t len = 0, skip = 0;

	if (!ino_is_outbox(ino)) {
		orig.listxattr(req, ino, size);
		return;
	}
	stats_count(STAT_LISTXATTR);
	if (is_file(ino)) {
		len = sizeof(names);
		/* Without an error, only the status. */
		if (outbox_xattr((uint32_t)ino, "user.mailfs.error", buf, 0, &skip) != 0)
			skip = sizeof("user.mailfs.error");
		else
			skip = 0;
		len -= skip;
	}
	if (size == 0)
		fuse_reply_xattr(req, len);
	else if (size < len)
		fuse_reply_err(req, ERANGE);
	else
		fuse_reply_buf(req, names + skip, len);
}

static void
ob_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name, const char *value,
    size_t size, int flags)
{
	if (!ino_is_outbox(ino)) {
		orig.setxattr(req, ino, name, value, size, flags);
		return;
	}
	stats_count(STAT_SETXATTR);
	if (is_file(ino) && strcmp(name, "user.mailfs.retry") == 0)
		fuse_reply_err(req, outbox_retry((uint32_t)ino));
	else
		fuse_reply_err(req, EPERM);
}

static void
ob_removexattr(fuse_req_t req, fuse_ino_t ino, const char *name)
{
	if (!ino_is_outbox(ino))
		orig.removexattr(req, ino, name);
	else
		fuse_reply_err(req, EPERM);
}

void
outbox_vfs_wrap(struct fuse_lowlevel_ops *ops)
{
	orig = *ops;
	ops->lookup = ob_lookup;
	ops->getattr = ob_getattr;
	ops->setattr = ob_setattr;
	ops->create = ob_create;
	ops->mknod = ob_mknod;
	ops->mkdir = ob_mkdir;
	ops->symlink = ob_symlink;
	ops->link = ob_link;
	ops->unlink = ob_unlink;
	ops->rmdir = ob_rmdir;
	ops->rename = ob_rename;
	ops->open = ob_open;
	ops->read = ob_read;
	ops->write = ob_write;
	ops->flush = ob_flush;
	ops->fsync = ob_fsync;
	ops->release = ob_release;
	ops->opendir = ob_opendir;
	ops->readdir = ob_readdir;
	ops->readdirplus = ob_readdirplus;
	ops->getxattr = ob_getxattr;
	ops->listxattr = ob_listxattr;
	ops->setxattr = ob_setxattr;
	ops->removexattr = ob_removexattr;
}
