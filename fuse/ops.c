/*
 * The filesystem operations: folders are directories, messages are
 * read-only files named by UID, flags are the extended attribute
 * user.imap.flags.  Writes (issue 4) answer EROFS for now.
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

#include "cache.h"
#include "errmap.h"
#include "folder.h"
#include "inode.h"
#include "log.h"
#include "ops.h"
#include "options.h"
#include "pool.h"
#include "refresh.h"

#define XATTR_FLAGS	"user.imap.flags"
#define XATTR_UID	"user.imap.uid"
#define FLAGS_MAX	4096	/* the longest user.imap.flags value */

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
msg_get(fuse_ino_t ino, struct msg_info *mi, int want_mailbox)
{
	struct node *n;
	struct folder *f;
	long k;
	int r = ENOENT;

	memset(mi, 0, sizeof(*mi));
	pthread_rwlock_rdlock(&tree_lock);
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
	pthread_rwlock_unlock(&tree_lock);
	return r;
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

	pthread_rwlock_rdlock(&tree_lock);
	selectable = n->folder != NULL && n->gen != 0 && node_selectable(n);
	pthread_rwlock_unlock(&tree_lock);
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
	if (conn->capable & FUSE_CAP_SPLICE_WRITE)
		conn->want |= FUSE_CAP_SPLICE_WRITE | FUSE_CAP_SPLICE_MOVE;
}

static void
mailfs_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct fuse_entry_param e;
	struct node *p, *c;
	struct msg_info mi;
	uint32_t uid, gen;
	int r;

	memset(&e, 0, sizeof(e));
	pthread_rwlock_rdlock(&tree_lock);
	if ((p = tree_node_locked(parent)) == NULL) {
		pthread_rwlock_unlock(&tree_lock);
		fuse_reply_err(req, ENOENT);
		return;
	}
	if ((c = tree_child_locked(p, name)) != NULL) {
		node_lookup(c);
		dir_attr_locked(c, &e.attr);
		e.ino = c->ino;
		e.attr_timeout = e.entry_timeout = fs.dir_timeout;
		pthread_rwlock_unlock(&tree_lock);
		fuse_reply_entry(req, &e);
		return;
	}
	if (p->folder == NULL || names_msg_uid(name, &uid) == -1) {
		pthread_rwlock_unlock(&tree_lock);
		fuse_reply_err(req, ENOENT);
		return;
	}
	node_ref(p);
	pthread_rwlock_unlock(&tree_lock);
	if ((r = ensure_messages(p)) != 0) {
		node_put(p);
		fuse_reply_err(req, r);
		return;
	}
	pthread_rwlock_rdlock(&tree_lock);
	gen = p->gen;
	pthread_rwlock_unlock(&tree_lock);
	node_put(p);
	if (gen == 0 || (r = msg_get(msg_ino(gen, uid), &mi, 0)) != 0) {
		fuse_reply_err(req, ENOENT);
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
	/* Messages are not in the table: their inode numbers say all. */
	if (ino_gen(ino) == 0)
		node_forget(ino, nlookup);
	fuse_reply_none(req);
}

static void
mailfs_forget_multi(fuse_req_t req, size_t count, struct fuse_forget_data *forgets)
{
	size_t i;

	for (i = 0; i < count; i++)
		if (ino_gen(forgets[i].ino) == 0)
			node_forget(forgets[i].ino, forgets[i].nlookup);
	fuse_reply_none(req);
}

static void
mailfs_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct msg_info mi;
	struct node *n;
	struct stat st;
	int r;

	(void)fi;
	if (ino_gen(ino) == 0) {
		pthread_rwlock_rdlock(&tree_lock);
		if ((n = tree_node_locked(ino)) != NULL)
			dir_attr_locked(n, &st);
		pthread_rwlock_unlock(&tree_lock);
		if (n == NULL)
			fuse_reply_err(req, ENOENT);
		else
			fuse_reply_attr(req, &st, fs.dir_timeout);
		return;
	}
	if ((r = msg_get(ino, &mi, 0)) != 0) {
		fuse_reply_err(req, r);
		return;
	}
	msg_attr(ino, &mi.m, &st);
	fuse_reply_attr(req, &st, fs.msg_timeout);
}

static void
mailfs_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct node *n;
	int r = 0;

	if (ino_gen(ino) != 0) {
		fuse_reply_err(req, ENOTDIR);
		return;
	}
	if ((n = node_get(ino)) == NULL) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	/* Load the messages now, so that a failure shows at opendir(). */
	r = ensure_messages(n);
	node_put(n);
	if (r != 0)
		fuse_reply_err(req, r);
	else
		fuse_reply_open(req, fi);
}

#define OFF_DIRS	3		/* offsets 3.. are subfolders by position */
#define OFF_MSGS	(1ULL << 32)	/* offsets from here are UIDs */

static void
do_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, int plus)
{
	struct fuse_entry_param e;
	struct node *n, *c;
	struct folder *f;
	char *buf, name[NAMES_MSG_LEN + 1];
	size_t pos = 0, need, i, k;
	uint64_t o = (uint64_t)off;
	int full = 0;

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
#define ADD(nm, ep, next) do {						\
		need = plus ? fuse_add_direntry_plus(req, buf + pos, size - pos, \
		    (nm), (ep), (off_t)(next)) :				\
		    fuse_add_direntry(req, buf + pos, size - pos, (nm),	\
		    &(ep)->attr, (off_t)(next));				\
		if (need > size - pos) {				\
			full = 1;					\
			goto out;					\
		}							\
		pos += need;						\
	} while (0)

	pthread_rwlock_rdlock(&tree_lock);
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
	if (o < OFF_MSGS) {
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
		o = OFF_MSGS;
	}
	if ((f = n->folder) != NULL && n->gen != 0) {
		pthread_mutex_lock(&f->lock);
		for (k = folder_after_locked(f, (uint32_t)(o - OFF_MSGS)); k < f->n; k++) {
			memset(&e, 0, sizeof(e));
			e.ino = msg_ino(n->gen, f->msgs[k].uid);
			msg_attr(e.ino, &f->msgs[k], &e.attr);
			e.attr_timeout = e.entry_timeout = fs.msg_timeout;
			names_msg(f->msgs[k].uid, name);
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
	(void)full;
	pthread_rwlock_unlock(&tree_lock);
#undef ADD
	fuse_reply_buf(req, buf, pos);
	free(buf);
	node_put(n);
}

static void
mailfs_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
    struct fuse_file_info *fi)
{
	(void)fi;
	do_readdir(req, ino, size, off, 0);
}

static void
mailfs_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
    struct fuse_file_info *fi)
{
	(void)fi;
	do_readdir(req, ino, size, off, 1);
}

static void
mailfs_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)ino;
	(void)fi;
	fuse_reply_err(req, 0);
}

static void
mailfs_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct msg_info mi;
	uint64_t size;
	int fd, r;

	if (ino_gen(ino) == 0) {
		fuse_reply_err(req, EISDIR);
		return;
	}
	if ((fi->flags & O_ACCMODE) != O_RDONLY || (fi->flags & O_TRUNC)) {
		fuse_reply_err(req, EROFS);
		return;
	}
	if ((r = msg_get(ino, &mi, 1)) != 0) {
		fuse_reply_err(req, r);
		return;
	}
	fd = cache_open(mi.mailbox, mi.uidvalidity, mi.m.uid, &size);
	if (fd < 0) {
		msg_info_clear(&mi);
		fuse_reply_err(req, -fd == ESTALE ? ENOENT : -fd);
		return;
	}
	if (size != mi.m.size) {
		/* st_size must be what read() returns: the bytes win. */
		log_msg(LOG_NOTICE, "message %u of \"%s\" has %llu bytes, not the %u of "
		    "its RFC822.SIZE", (unsigned)mi.m.uid, mi.mailbox,
		    (unsigned long long)size, (unsigned)mi.m.size);
		folder_set_size(mi.dir->folder, mi.m.uid, size);
		refresh_queue_inode(ino);
	}
	msg_info_clear(&mi);
	fi->fh = (uint64_t)fd;
	fi->keep_cache = 1;
	if (fuse_reply_open(req, fi) != 0)
		close(fd);
}

static void
mailfs_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
    struct fuse_file_info *fi)
{
	struct fuse_bufvec buf = FUSE_BUFVEC_INIT(size);

	(void)ino;
	buf.buf[0].flags = FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK;
	buf.buf[0].fd = (int)fi->fh;
	buf.buf[0].pos = off;
	fuse_reply_data(req, &buf, FUSE_BUF_SPLICE_MOVE);
}

static void
mailfs_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)ino;
	close((int)fi->fh);
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

static void
mailfs_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name, size_t size)
{
	struct msg_info mi;
	char uidtext[16];
	int is_flags, r;

	/* ls asks for ACLs and labels on every file: answer before any lock. */
	is_flags = strcmp(name, XATTR_FLAGS) == 0;
	if ((!is_flags && strcmp(name, XATTR_UID) != 0) || ino_gen(ino) == 0) {
		fuse_reply_err(req, ENODATA);
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

	if (ino_gen(ino) == 0)
		reply_xattr_value(req, "", 0, size);
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
		return errmap_errno(&err);
	}
	folder_set_flags(mi.dir->folder, mi.m.uid, sr.got ? sr.flags : list);
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

	(void)flags;
	if (ino_gen(ino) == 0 ||
	    (strcmp(name, XATTR_FLAGS) != 0 && strcmp(name, XATTR_UID) != 0)) {
		fuse_reply_err(req, ENOTSUP);
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
	if (ino_gen(ino) != 0 && strcmp(name, XATTR_FLAGS) == 0)
		fuse_reply_err(req, store_flags(ino, ""));
	else if (ino_gen(ino) != 0 && strcmp(name, XATTR_UID) == 0)
		fuse_reply_err(req, EPERM);
	else
		fuse_reply_err(req, ENODATA);
}

/* statfs: the quota of INBOX's root, fetched at most once a refresh interval. */
static pthread_mutex_t statfs_lock = PTHREAD_MUTEX_INITIALIZER;
static struct statvfs statfs_cached;
static time_t statfs_at;

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

static void
mailfs_statfs(fuse_req_t req, fuse_ino_t ino)
{
	struct quota_result qr = { 0, 0, 0 };
	struct mailfs_handlers h;
	struct mailfs_error err;
	struct pool_conn *pc;
	struct mailfs_client *c;
	struct statvfs st;
	time_t now = time(NULL);

	(void)ino;
	pthread_mutex_lock(&statfs_lock);
	if (statfs_at != 0 && now - statfs_at < (time_t)fs.dir_timeout) {
		st = statfs_cached;
		pthread_mutex_unlock(&statfs_lock);
		fuse_reply_statfs(req, &st);
		return;
	}
	pthread_mutex_unlock(&statfs_lock);

	if ((pool_capabilities() & MAILFS_CAP_QUOTA) &&
	    (pc = pool_get(NULL, &err)) != NULL) {
		c = pool_client(pc);
		memset(&h, 0, sizeof(h));
		h.quota = on_quota;
		h.ctx = &qr;
		if (mailfs_run(c, mailfs_getquotaroot(c, "INBOX", &h), NULL) == -1) {
			log_msg(LOG_DEBUG, "GETQUOTAROOT: %s", mailfs_client_error(c)->msg);
			pool_put(pc, 1);
		} else
			pool_put(pc, 0);
	}
	memset(&st, 0, sizeof(st));
	st.f_bsize = st.f_frsize = 1024;	/* STORAGE counts KiB */
	st.f_namemax = NAMES_COMPONENT_MAX;
	if (qr.got && qr.limit > 0) {
		st.f_blocks = (fsblkcnt_t)qr.limit;
		st.f_bfree = st.f_bavail = (fsblkcnt_t)(qr.usage < qr.limit ?
		    qr.limit - qr.usage : 0);
	} else {
		/* No quota: a large, empty disk, as sshfs and rclone show. */
		st.f_blocks = st.f_bfree = st.f_bavail = (fsblkcnt_t)1 << 40;
	}
	pthread_mutex_lock(&statfs_lock);
	statfs_cached = st;
	statfs_at = now;
	pthread_mutex_unlock(&statfs_lock);
	fuse_reply_statfs(req, &st);
}

/* Changes come with issue 4; until then the mount is read-only but for flags. */
static void
erofs_entry(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode)
{
	(void)parent;
	(void)name;
	(void)mode;
	fuse_reply_err(req, EROFS);
}

static void
erofs_name(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	(void)parent;
	(void)name;
	fuse_reply_err(req, EROFS);
}

static void
erofs_mknod(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode, dev_t rdev)
{
	(void)rdev;
	erofs_entry(req, parent, name, mode);
}

static void
erofs_create(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
    struct fuse_file_info *fi)
{
	(void)fi;
	erofs_entry(req, parent, name, mode);
}

static void
erofs_rename(fuse_req_t req, fuse_ino_t parent, const char *name, fuse_ino_t newparent,
    const char *newname, unsigned int flags)
{
	(void)newparent;
	(void)newname;
	(void)flags;
	erofs_name(req, parent, name);
}

static void
erofs_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
    struct fuse_file_info *fi)
{
	(void)ino;
	(void)attr;
	(void)to_set;
	(void)fi;
	fuse_reply_err(req, EROFS);
}

static void
erofs_symlink(fuse_req_t req, const char *link, fuse_ino_t parent, const char *name)
{
	(void)link;
	erofs_name(req, parent, name);
}

static void
erofs_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent, const char *newname)
{
	(void)ino;
	erofs_name(req, newparent, newname);
}

const struct fuse_lowlevel_ops mailfs_ops = {
	.init = mailfs_init,
	.lookup = mailfs_lookup,
	.forget = mailfs_forget,
	.forget_multi = mailfs_forget_multi,
	.getattr = mailfs_getattr,
	.setattr = erofs_setattr,
	.mknod = erofs_mknod,
	.mkdir = erofs_entry,
	.unlink = erofs_name,
	.rmdir = erofs_name,
	.symlink = erofs_symlink,
	.rename = erofs_rename,
	.link = erofs_link,
	.create = erofs_create,
	.open = mailfs_open,
	.read = mailfs_read,
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
