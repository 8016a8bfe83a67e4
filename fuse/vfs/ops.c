/*
 * The filesystem operations: folders are directories, messages are
 * files named by UID (or by the name they came in with, alias.h), flags
 * are the extended attribute user.imap.flags.  New files are staged
 * (stage.c); rm, mv, mkdir and rmdir change the server (mutate.c).
 * Message bytes never change: writing into them is EPERM; chmod, chown
 * and utimes on them are accepted and change nothing, so that rsync -a
 * and cp -a run clean.
 *
 * Locks: see fs.h.  A handler takes tree_lock (read) and folder->lock
 * only to copy what it needs, and neither across a round trip.
 *
 * RFC 3501 2.3.2 (flags), 6.4.6 (STORE), RFC 9208 (GETQUOTAROOT).
 */
#include <sys/stat.h>
#include <sys/statvfs.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <mailfs/commands.h>

#include "alias.h"
#include "cache.h"
#include "errmap.h"
#include "folder.h"
#include "inode.h"
#include "log.h"
#include "mutate.h"
#include "ops.h"
#include "options.h"
#include "pool.h"
#include "prefetch.h"
#include "refresh.h"
#include "stage.h"
#include "stats.h"

#define XATTR_FLAGS	"user.imap.flags"
#define XATTR_UID	"user.imap.uid"
#define XATTR_REQUESTS	"user.mailfs.requests"	/* the root's, read-only, unlisted */
#define FLAGS_MAX	4096	/* the longest user.imap.flags value */

/* rename(2) flags as FUSE passes them (Linux's values). */
#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE	(1 << 0)
#endif
#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE		(1 << 1)
#endif

/* fi->fh: a descriptor in the low half; FH_WRITE when the handle may write. */
#define FH_WRITE	(1ULL << 32)
#define FH_STAGED	(1ULL << 33)	/* a descriptor of staged bytes */
#define FH_FD(fh)	((int)((fh) & 0xffffffffULL))

struct fs fs;

/* A message, as a handler needs it once the locks are gone. */
struct msg_info {
	struct msg m;
	char flags[FLAGS_MAX];
	size_t flags_len;
	char *mailbox;		/* when asked for */
	uint32_t uidvalidity;
	struct node *dir;	/* referenced when asked for */
};

static void
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

static void
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
		pthread_mutex_lock(&f->lock);
		if ((k = folder_find_locked(f, (uint32_t)ino)) >= 0) {
			mi->m = f->msgs[k];
			mi->flags_len = folder_flags_text_locked(f, &mi->m, mi->flags,
			    sizeof(mi->flags));
			mi->uidvalidity = f->uidvalidity;
			r = 0;
		}
		pthread_mutex_unlock(&f->lock);
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

static int
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
static fuse_ino_t
resolve(fuse_ino_t ino)
{
	fuse_ino_t msg;

	if (ino_is_staged(ino) && (msg = stage_uploaded(ino)) != 0)
		return msg;
	return ino;
}

static void
msg_info_clear(struct msg_info *mi)
{
	free(mi->mailbox);
	node_put(mi->dir);
	mi->mailbox = NULL;
	mi->dir = NULL;
}

/* Loads n's messages when it is a mailbox that holds some; 0 or an errno. */
static int
ensure_messages(struct node *n)
{
	int selectable;

	tree_rdlock();
	selectable = n->folder != NULL && n->gen != 0 && node_selectable(n);
	tree_unlock();
	return selectable ? folder_ensure(n) : 0;
}

static void
mailfs_init(void *userdata, struct fuse_conn_info *conn)
{
	(void)userdata;
	/* Attributes with every listing: ls -l then costs no lookups. */
	if (conn->capable & FUSE_CAP_READDIRPLUS)
		conn->want |= FUSE_CAP_READDIRPLUS;
	conn->want &= ~FUSE_CAP_READDIRPLUS_AUTO;
#ifndef __SANITIZE_THREAD__
	/*
	 * ThreadSanitizer cannot see that the kernel has taken a spliced
	 * reply's pages before release() closes their descriptor, and
	 * reports a race that is none: its builds reply by copy.
	 */
	if (conn->capable & FUSE_CAP_SPLICE_WRITE)
		conn->want |= FUSE_CAP_SPLICE_WRITE | FUSE_CAP_SPLICE_MOVE;
#endif
}

/*
 * The message named name in the folder of node p (loaded): 0 with its
 * UID and generation, or ENOENT.
 */
static int
find_msg(struct node *p, const char *name, uint32_t *uid_r, uint32_t *gen_r)
{
	struct folder *f;
	uint32_t uid = 0;
	int r;

	if ((r = ensure_messages(p)) != 0)
		return r;
	tree_rdlock();
	*gen_r = p->gen;
	if ((f = p->folder) != NULL && p->gen != 0) {
		pthread_mutex_lock(&f->lock);
		if ((uid = alias_lookup_locked(f, name)) != 0 && folder_find_locked(f, uid) < 0)
			uid = 0;
		pthread_mutex_unlock(&f->lock);
	}
	tree_unlock();
	*uid_r = uid;
	return uid != 0 ? 0 : ENOENT;
}

static void
staged_entry(struct fuse_entry_param *e, fuse_ino_t ino, const struct stat *st)
{
	memset(e, 0, sizeof(*e));
	e->ino = ino;
	e->attr = *st;
	/* Its size changes and its inode turns into a message's: ask every time. */
	e->attr_timeout = e->entry_timeout = 0;
}

static void
mailfs_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
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

static void
mailfs_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
	stats_count(STAT_FORGET);
	/* Messages are not in the table: their inode numbers say all. */
	if (ino_gen(ino) == 0)
		node_forget(ino, nlookup);
	else if (ino_is_staged(ino))
		stage_forget(ino, nlookup);
	fuse_reply_none(req);
}

static void
mailfs_forget_multi(fuse_req_t req, size_t count, struct fuse_forget_data *forgets)
{
	size_t i;

	stats_count(STAT_FORGET_MULTI);
	for (i = 0; i < count; i++)
		if (ino_gen(forgets[i].ino) == 0)
			node_forget(forgets[i].ino, forgets[i].nlookup);
		else if (ino_is_staged(forgets[i].ino))
			stage_forget(forgets[i].ino, forgets[i].nlookup);
	fuse_reply_none(req);
}

/* Answers a getattr (or an accepted setattr) of a folder's directory. */
static void
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
mailfs_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
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
mailfs_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct node *n;
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
	if (o < OFF_MSGS)
		ns = stage_list(ino, o > OFF_STAGED ? (uint32_t)(o - OFF_STAGED) : 0, &sv);
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
		pthread_mutex_lock(&f->lock);
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
		pthread_mutex_unlock(&f->lock);
	}
out:
	tree_unlock();
#undef ADD
	fuse_reply_buf(req, buf, pos);
	free(buf);
	free(sv);
	node_put(n);
}

static void
mailfs_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
    struct fuse_file_info *fi)
{
	stats_count(STAT_READDIR);
	(void)fi;
	do_readdir(req, ino, size, off, 0);
}

static void
mailfs_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
    struct fuse_file_info *fi)
{
	stats_count(STAT_READDIRPLUS);
	(void)fi;
	do_readdir(req, ino, size, off, 1);
}

static void
mailfs_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	stats_count(STAT_RELEASEDIR);
	(void)ino;
	(void)fi;
	fuse_reply_err(req, 0);
}

static void
mailfs_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct msg_info mi;
	uint64_t size;
	int fd, r, writing = (fi->flags & O_ACCMODE) != O_RDONLY;

	stats_count(STAT_OPEN);
	if (ino_gen(ino) == 0) {
		fuse_reply_err(req, EISDIR);
		return;
	}
	if (ino_is_staged(resolve(ino))) {
		if ((r = stage_open(ino, fi->flags, &fd)) == 0) {
			fi->fh = (uint64_t)fd | FH_STAGED | (writing ? FH_WRITE : 0);
			fi->keep_cache = 0;
			if (fuse_reply_open(req, fi) != 0)
				stage_release(ino, fd);
			return;
		}
		if (r != ESTALE) {
			fuse_reply_err(req, r);
			return;
		}
		/* Uploaded meanwhile: it is a message now. */
	}
	/* A message's bytes are the server's and never change. */
	if (writing || (fi->flags & O_TRUNC)) {
		fuse_reply_err(req, EPERM);
		return;
	}
	if ((r = msg_get(resolve(ino), &mi, 1)) != 0) {
		fuse_reply_err(req, r);
		return;
	}
	/* Before blocking on this one: a walk through the folder reads ahead. */
	prefetch_hint(mi.dir, mi.mailbox, mi.uidvalidity, mi.m.uid);
	fd = cache_open(mi.mailbox, mi.uidvalidity, mi.m.uid, mi.m.size, mi.m.date, &size);
	if (fd < 0) {
		msg_info_clear(&mi);
		fuse_reply_err(req, -fd == ESTALE ? ENOENT : -fd);
		return;
	}
	if (size != mi.m.size) {
		/*
		 * st_size must be what read() returns, and the kernel reads no
		 * further than the size it was given: before open replies, the
		 * size becomes the bytes' and the kernel's copy of the
		 * attributes goes (attributes only, which is safe inside an
		 * open: fuse_lowlevel.h names no open among the requests that
		 * deadlock), so that fstat() and a read past the old end ask
		 * again.
		 */
		log_msg(LOG_NOTICE, "message %u of \"%s\" has %llu bytes, not the %u of "
		    "its RFC822.SIZE", (unsigned)mi.m.uid, mi.mailbox,
		    (unsigned long long)size, (unsigned)mi.m.size);
		folder_set_size(mi.dir->folder, mi.m.uid, size);
		(void)fuse_lowlevel_notify_inval_inode(fs.se, ino, -1, 0);
	}
	msg_info_clear(&mi);
	fi->fh = (uint64_t)fd;
	fi->keep_cache = 1;
	/* Nothing to flush on close(): one request a file fewer for grep -r. */
	fi->noflush = 1;
	if (fuse_reply_open(req, fi) != 0)
		close(fd);
}

static void
mailfs_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
    struct fuse_file_info *fi)
{
	struct fuse_bufvec buf = FUSE_BUFVEC_INIT(size);

	stats_count(STAT_READ);
	(void)ino;
	buf.buf[0].flags = FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK;
	buf.buf[0].fd = FH_FD(fi->fh);
	buf.buf[0].pos = off;
	fuse_reply_data(req, &buf, FUSE_BUF_SPLICE_MOVE);
}

static void
mailfs_write(fuse_req_t req, fuse_ino_t ino, const char *data, size_t size, off_t off,
    struct fuse_file_info *fi)
{
	ssize_t n;

	stats_count(STAT_WRITE);
	if (!(fi->fh & FH_STAGED)) {
		fuse_reply_err(req, EPERM);
		return;
	}
	if ((n = stage_write(ino, FH_FD(fi->fh), data, size, off)) < 0)
		fuse_reply_err(req, (int)-n);
	else
		fuse_reply_write(req, (size_t)n);
}

/*
 * close(): a new file that a handle wrote is uploaded now, so that the
 * error reaches the writer (release's result reaches nobody).
 */
static void
mailfs_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	stats_count(STAT_FLUSH);
	if ((fi->fh & FH_STAGED) && (fi->fh & FH_WRITE))
		fuse_reply_err(req, stage_sync(ino, FH_FD(fi->fh), 0));
	else
		fuse_reply_err(req, 0);
}

static void
mailfs_fsync(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi)
{
	stats_count(STAT_FSYNC);
	(void)datasync;
	fuse_reply_err(req, (fi->fh & FH_STAGED) ? stage_sync(ino, FH_FD(fi->fh), 1) : 0);
}

static void
mailfs_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	stats_count(STAT_RELEASE);
	if (fi->fh & FH_STAGED)
		stage_release(ino, FH_FD(fi->fh));
	else
		close(FH_FD(fi->fh));
	fuse_reply_err(req, 0);
}

static void
reply_xattr_value(fuse_req_t req, const char *value, size_t len, size_t size)
{
	if (size == 0)
		fuse_reply_xattr(req, len);
	else if (size < len)
		fuse_reply_err(req, ERANGE);
	else
		fuse_reply_buf(req, value, len);
}

/* 1 for the request counts (stats.h): the root's only attribute. */
static int
is_requests_attr(fuse_ino_t ino, const char *name)
{
	return ino == FUSE_ROOT_ID && strcmp(name, XATTR_REQUESTS) == 0;
}

static void
mailfs_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name, size_t size)
{
	struct msg_info mi;
	char uidtext[16], value[FLAGS_MAX];
	size_t len = 0;
	int is_flags, r;

	stats_count(STAT_GETXATTR);
	/*
	 * ls -l asks for ACLs and SELinux labels on every file: answer
	 * before any lock, and say ENOTSUP outside user.*, which ls then
	 * remembers for the whole filesystem instead of asking per file.
	 */
	if (strncmp(name, "user.", 5) != 0) {
		fuse_reply_err(req, ENOTSUP);
		return;
	}
	if (is_requests_attr(ino, name)) {
		/* The counts grow between a size probe and the read: room for any. */
		if (size == 0)
			fuse_reply_xattr(req, STATS_LINE_MAX);
		else
			reply_xattr_value(req, value, stats_format(value, sizeof(value)), size);
		return;
	}
	is_flags = strcmp(name, XATTR_FLAGS) == 0;
	if ((!is_flags && strcmp(name, XATTR_UID) != 0) || ino_gen(ino) == 0) {
		fuse_reply_err(req, ENODATA);
		return;
	}
	ino = resolve(ino);
	if (ino_is_staged(ino)) {
		if ((r = stage_getxattr(ino, name, value, sizeof(value), &len)) != 0)
			fuse_reply_err(req, r);
		else
			reply_xattr_value(req, value, len, size);
		return;
	}
	if ((r = msg_get(ino, &mi, 0)) != 0) {
		fuse_reply_err(req, r);
		return;
	}
	if (is_flags)
		reply_xattr_value(req, mi.flags, mi.flags_len, size);
	else {
		snprintf(uidtext, sizeof(uidtext), "%u", (unsigned)mi.m.uid);
		reply_xattr_value(req, uidtext, strlen(uidtext), size);
	}
}

static void
mailfs_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size)
{
	static const char names[] = XATTR_FLAGS "\0" XATTR_UID;

	stats_count(STAT_LISTXATTR);
	if (ino_gen(ino) == 0)
		reply_xattr_value(req, "", 0, size);
	else if (ino_is_staged(resolve(ino)))
		reply_xattr_value(req, XATTR_FLAGS, sizeof(XATTR_FLAGS), size);
	else
		reply_xattr_value(req, names, sizeof(names), size);
}

static const char *const system_flags[] = {
	"\\Seen", "\\Answered", "\\Flagged", "\\Deleted", "\\Draft"
};

/* 1 when the atom (len bytes) is in the space-separated list, case-insensitively. */
static int
in_list(const char *list, const char *atom, size_t len)
{
	const char *p = list, *end;

	while (p != NULL && *p != '\0') {
		while (*p == ' ')
			p++;
		end = strchr(p, ' ');
		if ((size_t)((end != NULL ? end : p + strlen(p)) - p) == len &&
		    strncasecmp(p, atom, len) == 0)
			return 1;
		p = end;
	}
	return 0;
}

/*
 * Checks a user.imap.flags value and writes it as an IMAP flag list into
 * out (canonical case for the system flags).  Returns 0, or EINVAL for a
 * value that is not flags, EPERM for a flag nobody may store (\Recent).
 */
static int
parse_flags_value(const char *value, size_t size, char *out, size_t outsize)
{
	static const char specials[] = "(){%*\"\\]";
	size_t i = 0, start, len, o = 0, k;
	const char *tok;
	int bs;

	out[0] = '\0';
	if (size >= outsize)
		return EINVAL;
	while (i < size) {
		if (value[i] == ' ' || value[i] == '\t' || value[i] == '\n') {
			i++;
			continue;
		}
		start = i;
		while (i < size && value[i] != ' ' && value[i] != '\t' && value[i] != '\n')
			i++;
		tok = value + start;
		len = i - start;
		bs = tok[0] == '\\';
		if (len == (size_t)bs)
			return EINVAL;
		for (k = (size_t)bs; k < len; k++)
			if ((unsigned char)tok[k] <= 0x20 || (unsigned char)tok[k] >= 0x7f ||
			    strchr(specials, tok[k]) != NULL)
				return EINVAL;
		if (bs) {
			for (k = 0; k < sizeof(system_flags) / sizeof(system_flags[0]); k++)
				if (strlen(system_flags[k]) == len &&
				    strncasecmp(system_flags[k], tok, len) == 0)
					break;
			if (k == sizeof(system_flags) / sizeof(system_flags[0]))
				return EPERM;	/* \Recent and unknown system flags */
			tok = system_flags[k];
		}
		if (o + len + 2 > outsize)
			return EINVAL;
		if (o > 0)
			out[o++] = ' ';
		memcpy(out + o, tok, len);
		o += len;
		out[o] = '\0';
	}
	return 0;
}

/* The first flag of list that permanent (PERMANENTFLAGS) does not allow, or NULL. */
static const char *
refused_flag(const char *list, const char *permanent, size_t *len_r)
{
	const char *p = list, *end;
	size_t len;
	int any_keyword = permanent == NULL || in_list(permanent, "\\*", 2);

	if (permanent == NULL)
		return NULL;	/* no PERMANENTFLAGS: every flag is permanent (RFC 3501 7.1) */
	while (*p != '\0') {
		end = strchr(p, ' ');
		len = end != NULL ? (size_t)(end - p) : strlen(p);
		if (!in_list(permanent, p, len) && (p[0] == '\\' || !any_keyword)) {
			*len_r = len;
			return p;
		}
		p = end != NULL ? end + 1 : p + len;
	}
	return NULL;
}

struct store_result {
	uint32_t uid;
	int got;
	uint64_t modseq;	/* 0: not reported */
	char flags[FLAGS_MAX];
};

static void
on_store_fetch(void *ctx, const struct mailfs_msg *m)
{
	struct store_result *sr = ctx;

	if ((m->present & MAILFS_MSG_UID) && (m->present & MAILFS_MSG_FLAGS) &&
	    m->uid == sr->uid) {
		strncpy(sr->flags, m->flags, sizeof(sr->flags) - 1);
		sr->got = 1;
	}
	if ((m->present & MAILFS_MSG_UID) && (m->present & MAILFS_MSG_MODSEQ) &&
	    m->uid == sr->uid)
		sr->modseq = m->modseq;
}

/* Replaces the message's flags on the server; 0 or an errno. */
static int
store_flags(fuse_ino_t ino, const char *list)
{
	struct store_result sr;
	struct mailfs_handlers h;
	struct mailfs_error err;
	struct mailfs_client *c;
	struct pool_conn *pc;
	struct msg_info mi;
	const char *bad;
	char uidtext[16];
	size_t badlen;
	int r;

	if ((r = msg_get(ino, &mi, 1)) != 0)
		return r;
	if ((pc = pool_get(mi.mailbox, &err)) == NULL) {
		log_msg(LOG_WARNING, "cannot open the folder \"%s\": %s", mi.mailbox, err.msg);
		msg_info_clear(&mi);
		return errmap_errno(&err);
	}
	c = pool_client(pc);
	if (mailfs_client_mailbox(c)->uidvalidity != mi.uidvalidity) {
		r = ENOENT;
		goto out;
	}
	if ((bad = refused_flag(list, mailfs_client_mailbox(c)->permanent_flags, &badlen))
	    != NULL) {
		log_msg(LOG_NOTICE, "the server does not store the flag %.*s in \"%s\"",
		    (int)badlen, bad, mi.mailbox);
		r = EPERM;
		goto out;
	}
	memset(&sr, 0, sizeof(sr));
	sr.uid = mi.m.uid;
	memset(&h, 0, sizeof(h));
	h.fetch = on_store_fetch;
	h.ctx = &sr;
	snprintf(uidtext, sizeof(uidtext), "%u", (unsigned)mi.m.uid);
	if (mailfs_run(c, mailfs_uid_store(c, uidtext, MAILFS_STORE_SET, list, 0, 0, &h),
	    NULL) == -1) {
		err = *mailfs_client_error(c);
		log_msg(LOG_WARNING, "cannot store the flags of message %s in \"%s\": %s",
		    uidtext, mi.mailbox, err.msg);
		pool_put(pc, 1);
		msg_info_clear(&mi);
		return errmap_op_errno(&err, ERRMAP_STORE);
	}
	folder_set_flags(mi.dir->folder, mi.m.uid, sr.got ? sr.flags : list);
	folder_note_modseq(mi.dir->folder, mi.uidvalidity, sr.modseq);
out:
	pool_put(pc, 0);
	msg_info_clear(&mi);
	return r;
}

static void
mailfs_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name, const char *value,
    size_t size, int flags)
{
	char list[FLAGS_MAX], uidtext[16];
	struct msg_info mi;
	int r;

	stats_count(STAT_SETXATTR);
	(void)flags;
	if (is_requests_attr(ino, name)) {
		fuse_reply_err(req, EPERM);	/* read-only, as user.imap.uid */
		return;
	}
	if (ino_gen(ino) == 0 ||
	    (strcmp(name, XATTR_FLAGS) != 0 && strcmp(name, XATTR_UID) != 0)) {
		fuse_reply_err(req, ENOTSUP);
		return;
	}
	ino = resolve(ino);
	if (ino_is_staged(ino)) {
		/* Kept for the upload; a UID is the server's to choose: accepted, ignored. */
		if (strcmp(name, XATTR_UID) == 0)
			r = stage_setxattr(ino, name, NULL);
		else if ((r = parse_flags_value(value, size, list, sizeof(list))) == 0)
			r = stage_setxattr(ino, name, list);
		if (r == ESTALE)
			r = EAGAIN;	/* uploaded this very moment: try again */
		fuse_reply_err(req, r);
		return;
	}
	if (strcmp(name, XATTR_UID) == 0) {
		/* Read-only, but rsync -X writes back what it read: accept that. */
		if ((r = msg_get(ino, &mi, 0)) == 0) {
			snprintf(uidtext, sizeof(uidtext), "%u", (unsigned)mi.m.uid);
			r = size == strlen(uidtext) && memcmp(value, uidtext, size) == 0 ?
			    0 : EPERM;
		}
		fuse_reply_err(req, r);
		return;
	}
	if ((r = parse_flags_value(value, size, list, sizeof(list))) == 0)
		r = store_flags(ino, list);
	fuse_reply_err(req, r);
}

static void
mailfs_removexattr(fuse_req_t req, fuse_ino_t ino, const char *name)
{
	stats_count(STAT_REMOVEXATTR);
	ino = resolve(ino);
	if (ino_is_staged(ino))
		fuse_reply_err(req, stage_removexattr(ino, name));
	else if (ino_gen(ino) != 0 && strcmp(name, XATTR_FLAGS) == 0)
		fuse_reply_err(req, store_flags(ino, ""));
	else if ((ino_gen(ino) != 0 && strcmp(name, XATTR_UID) == 0) ||
	    is_requests_attr(ino, name))
		fuse_reply_err(req, EPERM);
	else
		fuse_reply_err(req, ENODATA);
}

/*
 * statfs: the quota of INBOX's root, asked at most once a refresh
 * interval.  What the server last gave stays when it does not answer; a
 * server that never gave one shows zeros, never an invented disk.
 */
static pthread_mutex_t statfs_lock = PTHREAD_MUTEX_INITIALIZER;
static struct statvfs statfs_cached;
static time_t statfs_at;
static int statfs_known, statfs_said;

struct quota_result {
	int got;
	uint64_t usage;
	uint64_t limit;
};

static void
on_quota(void *ctx, const struct mailfs_quota *q)
{
	struct quota_result *qr = ctx;

	if (strcasecmp(q->resource, "STORAGE") == 0 && !qr->got) {
		qr->got = 1;
		qr->usage = q->usage;
		qr->limit = q->limit;
	}
}

/* Asks the server for INBOX's STORAGE quota; qr->got says whether it gave one. */
static void
ask_quota(struct quota_result *qr, char *why, size_t size)
{
	struct mailfs_handlers h;
	struct mailfs_error err;
	struct pool_conn *pc;
	struct mailfs_client *c;

	if (!(pool_capabilities() & MAILFS_CAP_QUOTA)) {
		snprintf(why, size, "the server does not offer QUOTA");
		return;
	}
	if ((pc = pool_get(NULL, &err)) == NULL) {
		snprintf(why, size, "%s", err.msg);
		return;
	}
	c = pool_client(pc);
	memset(&h, 0, sizeof(h));
	h.quota = on_quota;
	h.ctx = qr;
	if (mailfs_run(c, mailfs_getquotaroot(c, "INBOX", &h), NULL) == -1) {
		snprintf(why, size, "GETQUOTAROOT: %s", mailfs_client_error(c)->msg);
		log_msg(LOG_DEBUG, "%s", why);
		pool_put(pc, 1);
		return;
	}
	pool_put(pc, 0);
	if (!qr->got)
		snprintf(why, size, "GETQUOTAROOT named no STORAGE limit");
}

static void
mailfs_statfs(fuse_req_t req, fuse_ino_t ino)
{
	struct quota_result qr = { 0, 0, 0 };
	struct statvfs st;
	time_t now = time(NULL);
	char why[MAILFS_ERROR_MSG_MAX + 32];

	stats_count(STAT_STATFS);
	(void)ino;
	pthread_mutex_lock(&statfs_lock);
	if (statfs_at != 0 && now - statfs_at < (time_t)fs.dir_timeout) {
		st = statfs_cached;
		pthread_mutex_unlock(&statfs_lock);
		fuse_reply_statfs(req, &st);
		return;
	}
	pthread_mutex_unlock(&statfs_lock);

	why[0] = '\0';
	ask_quota(&qr, why, sizeof(why));
	pthread_mutex_lock(&statfs_lock);
	if (qr.got) {
		memset(&statfs_cached, 0, sizeof(statfs_cached));
		statfs_cached.f_blocks = (fsblkcnt_t)qr.limit;
		statfs_cached.f_bfree = statfs_cached.f_bavail =
		    (fsblkcnt_t)(qr.usage < qr.limit ? qr.limit - qr.usage : 0);
		statfs_known = 1;
	} else if (!statfs_known && !statfs_said) {
		/* Zeros: no figure is better than an invented one. */
		log_msg(LOG_NOTICE, "df shows no sizes: the server gave no quota (%s)", why);
		statfs_said = 1;
	}
	/* Else the last quota the server gave, however old. */
	statfs_cached.f_bsize = statfs_cached.f_frsize = 1024;	/* STORAGE counts KiB */
	statfs_cached.f_namemax = NAMES_COMPONENT_MAX;
	st = statfs_cached;
	statfs_at = now;
	pthread_mutex_unlock(&statfs_lock);
	fuse_reply_statfs(req, &st);
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

static int
holds_messages(struct node *p)
{
	int r;

	tree_rdlock();
	r = p->folder != NULL && p->gen != 0 && node_selectable(p);
	tree_unlock();
	return r;
}

static void
mailfs_op_create(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
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

static void
mailfs_mknod(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode, dev_t rdev)
{
	stats_count(STAT_MKNOD);
	(void)parent;
	(void)name;
	(void)mode;
	(void)rdev;
	/* Only messages and folders: create() makes regular files. */
	fuse_reply_err(req, EPERM);
}

static void
mailfs_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
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

static void
mailfs_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode)
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

static void
mailfs_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
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
	    (r = find_msg(p, name, &uid, &gen)) == 0)
		r = mutate_unlink(p, uid);
	node_put(p);
	fuse_reply_err(req, r);
}

static void
mailfs_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name)
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
	if ((r = stage_rename(p->ino, name, np, newname, target)) != ENOENT)
		return r;
	if ((r = find_msg(p, name, &uid, &gen)) != 0)
		return r;
	if (p == np && uid == target)
		return 0;	/* the same message */
	if (target != 0)
		return EEXIST;
	if ((r = mutate_rename_msg(p, uid, np, newname)) == 0 && staged_target)
		(void)stage_unlink(np->ino, newname);
	return r;
}

static void
mailfs_op_rename(fuse_req_t req, fuse_ino_t parent, const char *name, fuse_ino_t newparent,
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

static void
mailfs_symlink(fuse_req_t req, const char *link, fuse_ino_t parent, const char *name)
{
	stats_count(STAT_SYMLINK);
	(void)link;
	(void)parent;
	(void)name;
	fuse_reply_err(req, EPERM);
}

static void
mailfs_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent, const char *newname)
{
	stats_count(STAT_LINK);
	(void)ino;
	(void)newparent;
	(void)newname;
	/* One message, one name: a second would be a second message. */
	fuse_reply_err(req, EPERM);
}

const struct fuse_lowlevel_ops mailfs_ops = {
	.init = mailfs_init,
	.lookup = mailfs_lookup,
	.forget = mailfs_forget,
	.forget_multi = mailfs_forget_multi,
	.getattr = mailfs_getattr,
	.setattr = mailfs_setattr,
	.mknod = mailfs_mknod,
	.mkdir = mailfs_mkdir,
	.unlink = mailfs_unlink,
	.rmdir = mailfs_rmdir,
	.symlink = mailfs_symlink,
	.rename = mailfs_op_rename,
	.link = mailfs_link,
	.create = mailfs_op_create,
	.open = mailfs_open,
	.read = mailfs_read,
	.write = mailfs_write,
	.flush = mailfs_flush,
	.fsync = mailfs_fsync,
	.release = mailfs_release,
	.opendir = mailfs_opendir,
	.readdir = mailfs_readdir,
	.readdirplus = mailfs_readdirplus,
	.releasedir = mailfs_releasedir,
	.statfs = mailfs_statfs,
	.setxattr = mailfs_setxattr,
	.getxattr = mailfs_getxattr,
	.listxattr = mailfs_listxattr,
	.removexattr = mailfs_removexattr,
};
