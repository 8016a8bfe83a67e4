/*
 * The filesystem operations: folders are directories, messages are
 * files named by UID (or by the name they came in with, alias.h), flags
 * are the extended attribute user.imap.flags.  New files are staged
 * (stage.c); rm, mv, mkdir and rmdir change the server (mutate.c).
 * Message bytes never change: writing into them is EPERM; chmod, chown
 * and utimes on them are accepted and change nothing, so that rsync -a
 * and cp -a run clean.
 *
 * This file: the fuse_lowlevel_ops table (ops.h), init, lookup, forget,
 * forget_multi, getattr, setattr, and the helpers vfs.h shares; the
 * other handlers are in dir.c, file.c, xattr.c and statfs.c.
 *
 * Locks: see vfs.h.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "alias.h"
#include "bodies.h"
#include "folder.h"
#include "inode.h"
#include "mutate.h"
#include "ops.h"
#include "stage.h"
#include "stats.h"
#include "vfs.h"

struct fs fs;

void
dir_attr_locked(const struct node *n, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = n->ino;
	st->st_mode = S_IFDIR | 0700;
	st->st_nlink = 2 + n->nchildren;
	st->st_uid = fs.uid;
	st->st_gid = fs.gid;
	st->st_size = 0;
	st->st_blksize = 4096;
	st->st_atime = st->st_mtime = st->st_ctime = n->ctime;
}

void
msg_attr(fuse_ino_t ino, const struct msg *m, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = ino;
	st->st_mode = S_IFREG | 0600;
	st->st_nlink = 1;
	st->st_uid = fs.uid;
	st->st_gid = fs.gid;
	st->st_size = (off_t)m->size;
	st->st_blocks = (blkcnt_t)((m->size + 511) / 512);
	st->st_blksize = 4096;
	st->st_atime = st->st_mtime = st->st_ctime = (time_t)m->date;
}

/*
 * Finds the message with inode number ino.  want_mailbox: also its
 * folder's name, UIDVALIDITY and a reference to the folder's node.
 * Returns 0 or an errno.
 */
static int
msg_get_once(fuse_ino_t ino, struct msg_info *mi, int want_mailbox)
{
	struct node *n;
	struct folder *f;
	long k;
	int r = ENOENT;

	memset(mi, 0, sizeof(*mi));
	tree_rdlock();
	if ((n = tree_gen_locked(ino_gen(ino))) != NULL && (f = n->folder) != NULL) {
		folder_lock(f);
		if ((k = folder_find_locked(f, (uint32_t)ino)) >= 0) {
			mi->m = f->msgs[k];
			mi->flags_len = folder_flags_text_locked(f, &mi->m, mi->flags,
			    sizeof(mi->flags));
			mi->uidvalidity = f->uidvalidity;
			r = 0;
		}
		folder_unlock(f);
		if (r == 0 && want_mailbox) {
			if ((mi->mailbox = strdup(n->mailbox)) == NULL)
				r = ENOMEM;
			else {
				node_ref(n);
				mi->dir = n;
			}
		}
	}
	tree_unlock();
	return r;
}

int
msg_get(fuse_ino_t ino, struct msg_info *mi, int want_mailbox)
{
	fuse_ino_t to;
	int r;

	/* A dentry that rename moved still names the message's old inode. */
	if ((r = msg_get_once(ino, mi, want_mailbox)) == ENOENT &&
	    (to = mutate_forward(ino)) != 0)
		r = msg_get_once(to, mi, want_mailbox);
	return r;
}

/* The inode an operation is about: an uploaded staged file leads to its message. */
fuse_ino_t
resolve(fuse_ino_t ino)
{
	fuse_ino_t msg;

	if (ino_is_staged(ino) && (msg = stage_uploaded(ino)) != 0)
		return msg;
	return ino;
}

void
msg_info_clear(struct msg_info *mi)
{
	free(mi->mailbox);
	node_put(mi->dir);
	mi->mailbox = NULL;
	mi->dir = NULL;
}

/* Loads n's messages when it is a mailbox that holds some; 0 or an errno. */
int
holds_messages(struct node *n)
{
	int r;

	tree_rdlock();
	r = n->folder != NULL && n->gen != 0 && node_selectable(n);
	tree_unlock();
	return r;
}

int
ensure_messages(struct node *n)
{
	return holds_messages(n) ? folder_ensure(n) : 0;
}

/*
 * The message named name in the folder of node p (its messages loaded
 * first): 0 with its UID and generation, or an errno (ENOENT: none).
 */
int
find_msg(struct node *p, const char *name, uint32_t *uid_r, uint32_t *gen_r)
{
	struct folder *f;
	uint32_t uid = 0, gen;
	int r;

	if ((r = ensure_messages(p)) != 0)
		return r;
	tree_rdlock();
	gen = p->gen;
	if ((f = p->folder) != NULL && p->gen != 0) {
		folder_lock(f);
		if ((uid = alias_lookup_locked(f, name)) != 0 && folder_find_locked(f, uid) < 0)
			uid = 0;
		folder_unlock(f);
	}
	tree_unlock();
	if (uid == 0)
		return ENOENT;
	*uid_r = uid;
	*gen_r = gen;
	return 0;
}

void
staged_entry(struct fuse_entry_param *e, fuse_ino_t ino, const struct stat *st)
{
	memset(e, 0, sizeof(*e));
	e->ino = ino;
	e->attr = *st;
	/* Its size changes and its inode turns into a message's: ask every time. */
	e->attr_timeout = e->entry_timeout = 0;
}

/* Answers a getattr (or an accepted setattr) of a folder's directory. */
void
reply_dir_attr(fuse_req_t req, fuse_ino_t ino)
{
	struct node *n;
	struct stat st;

	tree_rdlock();
	if ((n = tree_node_locked(ino)) != NULL)
		dir_attr_locked(n, &st);
	tree_unlock();
	if (n == NULL)
		fuse_reply_err(req, ENOENT);
	else
		fuse_reply_attr(req, &st, fs.dir_timeout);
}

static void
vfs_init(void *userdata, struct fuse_conn_info *conn)
{
	(void)userdata;
	/* Attributes with every listing: ls -l then costs no lookups. */
	if (conn->capable & FUSE_CAP_READDIRPLUS)
		conn->want |= FUSE_CAP_READDIRPLUS;
	conn->want &= ~FUSE_CAP_READDIRPLUS_AUTO;
	/*
	 * With opens answered by the kernel (file.c), an O_TRUNC open must
	 * reach setattr, which refuses it for a message and truncates a new
	 * file: an atomic O_TRUNC would be lost with the OPEN never sent.
	 */
	conn->want &= ~FUSE_CAP_ATOMIC_O_TRUNC;
	file_init(conn);
#ifndef __SANITIZE_THREAD__
	/*
	 * ThreadSanitizer cannot see that the kernel has taken a spliced
	 * reply's pages before their descriptor is closed (bodies.c), and
	 * reports a race that is none: its builds reply by copy.
	 */
	if (conn->capable & FUSE_CAP_SPLICE_WRITE)
		conn->want |= FUSE_CAP_SPLICE_WRITE | FUSE_CAP_SPLICE_MOVE;
#endif
}

static void
vfs_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct fuse_entry_param e;
	struct node *p, *c;
	struct msg_info mi;
	struct stat st;
	uint32_t uid, gen;
	fuse_ino_t ino;
	int r;

	stats_count(STAT_LOOKUP);
	memset(&e, 0, sizeof(e));
	tree_rdlock();
	if ((p = tree_node_locked(parent)) == NULL) {
		tree_unlock();
		fuse_reply_err(req, ENOENT);
		return;
	}
	if ((c = tree_child_locked(p, name)) != NULL) {
		node_lookup(c);
		dir_attr_locked(c, &e.attr);
		e.ino = c->ino;
		e.attr_timeout = e.entry_timeout = fs.dir_timeout;
		tree_unlock();
		fuse_reply_entry(req, &e);
		return;
	}
	if (p->folder == NULL) {
		tree_unlock();
		fuse_reply_err(req, ENOENT);
		return;
	}
	node_ref(p);
	tree_unlock();
	if ((ino = stage_lookup(parent, name, &st, 1)) != 0) {
		node_put(p);
		staged_entry(&e, ino, &st);
		fuse_reply_entry(req, &e);
		return;
	}
	r = find_msg(p, name, &uid, &gen);
	node_put(p);
	if (r != 0 || (r = msg_get(msg_ino(gen, uid), &mi, 0)) != 0) {
		fuse_reply_err(req, r);
		return;
	}
	e.ino = msg_ino(gen, uid);
	msg_attr(e.ino, &mi.m, &e.attr);
	e.attr_timeout = e.entry_timeout = fs.msg_timeout;
	fuse_reply_entry(req, &e);
}

/*
 * Messages are not in the tree: their inode numbers say all.  A file's
 * open body goes: the kernel has no handle of it left.
 */
static void
forget_one(fuse_ino_t ino, uint64_t nlookup)
{
	if (ino_gen(ino) == 0) {
		node_forget(ino, nlookup);
		return;
	}
	body_drop(ino);
	if (ino_is_staged(ino))
		stage_forget(ino, nlookup);
}

static void
vfs_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
	stats_count(STAT_FORGET);
	forget_one(ino, nlookup);
	fuse_reply_none(req);
}

static void
vfs_forget_multi(fuse_req_t req, size_t count, struct fuse_forget_data *forgets)
{
	size_t i;

	stats_count(STAT_FORGET_MULTI);
	for (i = 0; i < count; i++)
		forget_one(forgets[i].ino, forgets[i].nlookup);
	fuse_reply_none(req);
}

static void
vfs_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct msg_info mi;
	struct stat st;
	int r;

	stats_count(STAT_GETATTR);
	(void)fi;
	if (ino_gen(ino) == 0) {
		reply_dir_attr(req, ino);
		return;
	}
	if (ino_is_staged(resolve(ino))) {
		if ((r = stage_getattr(ino, &st)) != 0)
			fuse_reply_err(req, r);
		else
			fuse_reply_attr(req, &st, 0);
		return;
	}
	if ((r = msg_get(resolve(ino), &mi, 0)) != 0) {
		fuse_reply_err(req, r);
		return;
	}
	msg_attr(ino, &mi.m, &st);
	fuse_reply_attr(req, &st, ino_is_staged(ino) ? 0 : fs.msg_timeout);
}

static void
vfs_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
    struct fuse_file_info *fi)
{
	struct msg_info mi;
	struct stat st;
	fuse_ino_t target = resolve(ino);
	int r;

	stats_count(STAT_SETATTR);
	(void)fi;
	if (ino_gen(ino) == 0) {
		/* rsync -a and cp -a set a folder's mode and times: accepted, no change. */
		reply_dir_attr(req, ino);
		return;
	}
	if (ino_is_staged(target)) {
		if ((r = stage_setattr(ino, attr, to_set, &st)) == 0) {
			fuse_reply_attr(req, &st, 0);
			return;
		}
		if (r != ESTALE) {
			fuse_reply_err(req, r);
			return;
		}
		target = resolve(ino);	/* uploaded meanwhile */
	}
	if (to_set & FUSE_SET_ATTR_SIZE) {
		fuse_reply_err(req, EPERM);
		return;
	}
	/* A message's mode, owner and times: accepted, and nothing changes. */
	if ((r = msg_get(target, &mi, 0)) != 0) {
		fuse_reply_err(req, r);
		return;
	}
	msg_attr(ino, &mi.m, &st);
	fuse_reply_attr(req, &st, ino_is_staged(ino) ? 0 : fs.msg_timeout);
}

/* At unmount, after the last request. */
static void
vfs_destroy(void *userdata)
{
	(void)userdata;
	bodies_destroy();
}

const struct fuse_lowlevel_ops vfs_ops = {
	.init = vfs_init,
	.destroy = vfs_destroy,
	.lookup = vfs_lookup,
	.forget = vfs_forget,
	.forget_multi = vfs_forget_multi,
	.getattr = vfs_getattr,
	.setattr = vfs_setattr,
	.mknod = vfs_mknod,
	.mkdir = vfs_mkdir,
	.unlink = vfs_unlink,
	.rmdir = vfs_rmdir,
	.symlink = vfs_symlink,
	.rename = vfs_rename,
	.link = vfs_link,
	.create = vfs_create,
	.open = vfs_open,
	.read = vfs_read,
	.write = vfs_write,
	.flush = vfs_flush,
	.fsync = vfs_fsync,
	.release = vfs_release,
	.opendir = vfs_opendir,
	.readdir = vfs_readdir,
	.readdirplus = vfs_readdirplus,
	.releasedir = vfs_releasedir,
	.statfs = vfs_statfs,
	.setxattr = vfs_setxattr,
	.getxattr = vfs_getxattr,
	.listxattr = vfs_listxattr,
	.removexattr = vfs_removexattr,
};
