/*
 * The handlers of directories (vfs.h): opendir, readdir, readdirplus,
 * releasedir, and those that change them: create, mknod, mkdir, unlink,
 * rmdir, rename, symlink, link.  New files are staged (stage.c); rm, mv,
 * mkdir and rmdir change the server (mutate.c), or are queued while it
 * cannot be reached (queue.h).
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
#include "outbox_vfs.h"
#include "prefetch.h"
#include "profile.h"
#include "stage.h"
#include "stats.h"
#include "vfs.h"

/* rename(2) flags as FUSE passes them (Linux's values). */
#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE	(1 << 0)
#endif
#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE		(1 << 1)
#endif

void
vfs_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct node *n;
	uint64_t t0 = profile_now();
	int r = 0;

	stats_count(STAT_OPENDIR);
	if (ino_gen(ino) != 0) {
		fuse_reply_err(req, ENOTDIR);
		return;
	}
	if ((n = node_get(ino)) == NULL) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	prefetch_opendir(n);
	/* Load the messages now, so that a failure shows at opendir(). */
	r = ensure_messages(n);
	profile_since(PROF_DIR_N, PROF_DIR_US, t0);
	node_put(n);
	if (r != 0)
		fuse_reply_err(req, r);
	else
		fuse_reply_open(req, fi);
}

#define OFF_DIRS	3		/* offsets 3.. are subfolders by position */
#define OFF_STAGED	(1ULL << 31)	/* from here, staged files by id */
#define OFF_MSGS	(1ULL << 33)	/* from here, messages by UID */

static void
do_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, int plus)
{
	struct fuse_entry_param e;
	struct stage_dirent *sv = NULL;
	struct node *n, *c;
	struct folder *f;
	struct stat st;
	char *buf, name[NAMES_COMPONENT_MAX + 1];
	const char *ob;
	size_t pos = 0, need, i, k, ns = 0;
	uint64_t o = (uint64_t)off;

	if ((n = node_get(ino)) == NULL) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	/* On failure, show the subfolders at least: opendir() reported it. */
	(void)ensure_messages(n);
	if ((buf = malloc(size)) == NULL) {
		node_put(n);
		fuse_reply_err(req, ENOMEM);
		return;
	}
	if (o < OFF_MSGS && stage_list(ino, o > OFF_STAGED ? (uint32_t)(o - OFF_STAGED) : 0,
	    &sv, &ns) != 0) {
		free(buf);
		node_put(n);
		fuse_reply_err(req, ENOMEM);
		return;
	}
#define ADD(nm, ep, next) do {						\
		need = plus ? fuse_add_direntry_plus(req, buf + pos, size - pos, \
		    (nm), (ep), (off_t)(next)) :				\
		    fuse_add_direntry(req, buf + pos, size - pos, (nm),	\
		    &(ep)->attr, (off_t)(next));				\
		if (need > size - pos)					\
			goto out;					\
		pos += need;						\
	} while (0)

	tree_rdlock();
	if (o == 0) {
		memset(&e, 0, sizeof(e));
		e.attr.st_ino = n->ino;
		e.attr.st_mode = S_IFDIR;
		ADD(".", &e, 1);
		o = 1;
	}
	if (o == 1) {
		memset(&e, 0, sizeof(e));
		e.attr.st_ino = n->parent != NULL ? n->parent->ino : n->ino;
		e.attr.st_mode = S_IFDIR;
		ADD("..", &e, 2);
		o = 2;
	}
	if (o < OFF_STAGED) {
		for (c = n->children, i = 0; c != NULL && i + OFF_DIRS <= o; c = c->next)
			i++;
		for (; c != NULL; c = c->next, i++) {
			memset(&e, 0, sizeof(e));
			dir_attr_locked(c, &e.attr);
			e.ino = c->ino;
			e.attr_timeout = e.entry_timeout = fs.dir_timeout;
			ADD(c->name, &e, OFF_DIRS + i);
			if (plus)
				node_lookup(c);
		}
		o = OFF_STAGED;
	}
	if (o < OFF_MSGS) {
		/* The root's Outbox/ (outbox_vfs.h), once, after the folders. */
		if (ino == FUSE_ROOT_ID && o < OFF_MSGS - 1 && outbox_vfs_entry_locked(&ob, &e))
			ADD(ob, &e, OFF_MSGS - 1);
		for (i = 0; i < ns; i++) {
			staged_entry(&e, ((fuse_ino_t)STAGE_GEN << 32) | sv[i].id, &sv[i].st);
			ADD(sv[i].name, &e, OFF_STAGED + sv[i].id);
			/* readdirplus counts as a lookup; a file gone meanwhile is not counted */
			if (plus)
				(void)stage_lookup(ino, sv[i].name, &st, 1);
		}
		o = OFF_MSGS;
	}
	if ((f = n->folder) != NULL && n->gen != 0) {
		folder_lock(f);
		for (k = folder_after_locked(f, (uint32_t)(o - OFF_MSGS)); k < f->n; k++) {
			memset(&e, 0, sizeof(e));
			e.ino = msg_ino(n->gen, f->msgs[k].uid);
			msg_attr(e.ino, &f->msgs[k], &e.attr);
			e.attr_timeout = e.entry_timeout = fs.msg_timeout;
			alias_msg_name_locked(f, f->msgs[k].uid, name);
			need = plus ? fuse_add_direntry_plus(req, buf + pos, size - pos,
			    name, &e, (off_t)(OFF_MSGS + f->msgs[k].uid)) :
			    fuse_add_direntry(req, buf + pos, size - pos, name, &e.attr,
			    (off_t)(OFF_MSGS + f->msgs[k].uid));
			if (need > size - pos)
				break;
			pos += need;
		}
		folder_unlock(f);
	}
out:
	tree_unlock();
#undef ADD
	fuse_reply_buf(req, buf, pos);
	free(buf);
	free(sv);
	node_put(n);
}

void
vfs_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
    struct fuse_file_info *fi)
{
	stats_count(STAT_READDIR);
	(void)fi;
	do_readdir(req, ino, size, off, 0);
}

void
vfs_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
    struct fuse_file_info *fi)
{
	stats_count(STAT_READDIRPLUS);
	(void)fi;
	do_readdir(req, ino, size, off, 1);
}

void
vfs_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	stats_count(STAT_RELEASEDIR);
	(void)ino;
	(void)fi;
	fuse_reply_err(req, 0);
}

/* ---- changes ---- */

/* The parent directory of an operation, referenced, or NULL. */
static struct node *
parent_get(fuse_ino_t ino)
{
	return ino_gen(ino) == 0 ? node_get(ino) : NULL;
}

/* 1 when the directory holds a subfolder by that name. */
static int
has_child(struct node *p, const char *name)
{
	int r;

	tree_rdlock();
	r = tree_child_locked(p, name) != NULL;
	tree_unlock();
	return r;
}

void
vfs_create(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
    struct fuse_file_info *fi)
{
	struct fuse_entry_param e;
	struct node *p;
	struct stat st;
	uint32_t uid, gen;
	fuse_ino_t ino;
	int fd, r;

	stats_count(STAT_CREATE);
	(void)mode;
	if ((p = parent_get(parent)) == NULL) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	if (!holds_messages(p))
		r = EPERM;	/* the root and \Noselect levels hold no messages */
	else if (has_child(p, name) || stage_lookup(parent, name, &st, 0) != 0 ||
	    find_msg(p, name, &uid, &gen) == 0)
		r = EEXIST;
	else
		r = stage_create(p, name, &st, &ino, &fd);
	node_put(p);
	if (r != 0) {
		fuse_reply_err(req, r);
		return;
	}
	staged_entry(&e, ino, &st);
	fi->fh = (uint64_t)fd | FH_STAGED | FH_WRITE;
	fi->keep_cache = 0;
	if (fuse_reply_create(req, &e, fi) != 0) {
		stage_release(ino, fd);
		stage_forget(ino, 1);
	}
}

void
vfs_mknod(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode, dev_t rdev)
{
	stats_count(STAT_MKNOD);
	(void)parent;
	(void)name;
	(void)mode;
	(void)rdev;
	/* Only messages and folders: create() makes regular files. */
	fuse_reply_err(req, EPERM);
}

void
vfs_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode)
{
	struct fuse_entry_param e;
	struct node *p, *c;
	fuse_ino_t ino = 0;
	int r;

	stats_count(STAT_MKDIR);
	(void)mode;
	if ((p = parent_get(parent)) == NULL) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	r = mutate_mkdir(p, name, &ino);
	node_put(p);
	memset(&e, 0, sizeof(e));
	tree_rdlock();
	if (r == 0 && (c = tree_node_locked(ino)) != NULL) {
		dir_attr_locked(c, &e.attr);
		e.ino = ino;
		e.attr_timeout = e.entry_timeout = fs.dir_timeout;
	} else if (r == 0)
		r = ENOENT;
	tree_unlock();
	if (r != 0)
		fuse_reply_err(req, r);
	else
		fuse_reply_entry(req, &e);
}

void
vfs_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct node *p;
	uint32_t uid, gen;
	int r;

	stats_count(STAT_UNLINK);
	if ((p = parent_get(parent)) == NULL) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	if (has_child(p, name))
		r = EISDIR;
	else if ((r = stage_unlink(parent, name)) == ENOENT &&
	    (r = find_msg(p, name, &uid, &gen)) == 0 &&
	    (r = mutate_unlink(p, uid)) == 0)
		body_drop(msg_ino(gen, uid));
	node_put(p);
	fuse_reply_err(req, r);
}

void
vfs_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct node *p;
	int r;

	stats_count(STAT_RMDIR);
	if ((p = parent_get(parent)) == NULL) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	r = mutate_rmdir(p, name);
	node_put(p);
	fuse_reply_err(req, r);
}

/*
 * rename(2) of a file: a staged file, or a message.  A staged file over a
 * message is an editor's save: the new bytes go up, then the old message
 * goes.  A message over another message is refused (EEXIST): that would
 * expunge a message the user never named for removal.
 */
static int
rename_file(struct node *p, const char *name, struct node *np, const char *newname,
    unsigned int flags)
{
	struct stat st;
	uint32_t uid, target = 0, gen;
	int r, staged_target;

	if (has_child(np, newname))
		return EISDIR;
	if (!holds_messages(np))
		return EPERM;
	staged_target = stage_lookup(np->ino, newname, &st, 0) != 0;
	if (find_msg(np, newname, &target, &gen) != 0)
		target = 0;
	if ((flags & RENAME_NOREPLACE) && (staged_target || target != 0))
		return EEXIST;
	if ((r = stage_rename(p->ino, name, np, newname, target)) != ENOENT) {
		if (r == 0 && target != 0)
			body_drop(msg_ino(gen, target));	/* replaced */
		return r;
	}
	if ((r = find_msg(p, name, &uid, &gen)) != 0)
		return r;
	if (p == np && uid == target)
		return 0;	/* the same message */
	if (target != 0)
		return EEXIST;
	if ((r = mutate_rename_msg(p, uid, np, newname)) == 0) {
		body_drop(msg_ino(gen, uid));	/* its bytes are the new UID's now */
		if (staged_target)
			(void)stage_unlink(np->ino, newname);
	}
	return r;
}

void
vfs_rename(fuse_req_t req, fuse_ino_t parent, const char *name, fuse_ino_t newparent,
    const char *newname, unsigned int flags)
{
	struct inval_list inv = { 0 };
	struct node *p, *np = NULL;
	int r;

	stats_count(STAT_RENAME);
	if (flags & RENAME_EXCHANGE) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	if ((p = parent_get(parent)) == NULL || (np = parent_get(newparent)) == NULL) {
		node_put(p);
		fuse_reply_err(req, ENOENT);
		return;
	}
	if (has_child(p, name))
		r = mutate_rename_dir(p, name, np, newname);
	else if ((r = rename_file(p, name, np, newname, flags)) == 0)
		inval_add(&inv, INVAL_ENTRY, newparent, 0, newname);
	node_put(p);
	node_put(np);
	fuse_reply_err(req, r);
	/* The kernel moved its dentry, which may name the old inode: look again. */
	inval_send_later(&inv);
	inval_clear(&inv);
}

void
vfs_symlink(fuse_req_t req, const char *link, fuse_ino_t parent, const char *name)
{
	stats_count(STAT_SYMLINK);
	(void)link;
	(void)parent;
	(void)name;
	fuse_reply_err(req, EPERM);
}

void
vfs_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent, const char *newname)
{
	stats_count(STAT_LINK);
	(void)ino;
	(void)newparent;
	(void)newname;
	/* One message, one name: a second would be a second message. */
	fuse_reply_err(req, EPERM);
}
