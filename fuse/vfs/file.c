/*
 * The handlers of files (vfs.h): open, read, write, flush, fsync,
 * release.  A message's bytes come from the cache (cache.h) through the
 * table of open bodies (bodies.h), a new file's from its staging
 * (stage.h).
 *
 * Opens without requests: where the kernel offers it
 * (FUSE_CAP_NO_OPEN_SUPPORT), an open of a message is answered ENOSYS,
 * and from then on the kernel opens every file itself: no OPEN and no
 * RELEASE, the handle's fh is 0 and the page cache is kept across opens,
 * so that a warm grep -r costs one request a file (the FLUSH of close())
 * instead of two.  What open did moves to the first read of an inode
 * (its body is put in the table) and, for new files, to their writes
 * and flushes, which find the staged file by inode (STAGE_NOOPEN).  A
 * write into a message is refused at the setattr of O_TRUNC or at the
 * write itself rather than at open.
 *
 * The switch is made only once NOOPEN_AFTER messages were found to be of
 * their listed size (RFC822.SIZE) and none was not: a file's size must be
 * true before a reader that trusts fstat() (rsync) reads it, and only an
 * open can fix it in time; a server that lies about sizes keeps its opens.
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "bodies.h"
#include "cache.h"
#include "folder.h"
#include "inode.h"
#include "log.h"
#include "prefetch.h"
#include "stage.h"
#include "stats.h"
#include "vfs.h"

/* Messages of true size opened before the kernel is let open files itself. */
#ifndef NOOPEN_AFTER
#define NOOPEN_AFTER	16
#endif

static int noopen_capable;	/* set by init, before any request */
static unsigned honest;		/* opens that found the listed size true */
static int size_lied;		/* a body was not of its listed size */

void
file_init(struct fuse_conn_info *conn)
{
	noopen_capable = (conn->capable & FUSE_CAP_NO_OPEN_SUPPORT) != 0;
}

/* 1 when an open may be answered ENOSYS (see the top of this file). */
static int
noopen_due(void)
{
	return noopen_capable && !__atomic_load_n(&size_lied, __ATOMIC_RELAXED) &&
	    __atomic_load_n(&honest, __ATOMIC_RELAXED) >= NOOPEN_AFTER;
}

/*
 * The body of the message ino (the kernel's inode number) in use by the
 * caller (body_put()): from the table, or opened into it.  A body opened
 * here whose length is not the listed size fixes the size: at_open, the
 * kernel's attributes go before open replies, so that fstat() asks
 * again; in a read, only when the body is longer (the kernel reads no
 * further than the size it has, and asks again once the attributes
 * went: attributes only, which is safe inside a read).  A shorter body
 * needs nothing: the short reply itself makes the kernel cut the size,
 * which it would not do were the attributes changed during the read.
 * 0 or an errno.
 */
static int
body_load(fuse_ino_t ino, int at_open, struct body_ref *ref)
{
	struct msg_info mi;
	uint64_t offset, size;
	int fd, r;

	if (body_find(ino, ref) == 0)
		return 0;
	if ((r = msg_get(resolve(ino), &mi, 1)) != 0)
		return r;
	/* Before blocking on this one: a walk through the folder reads ahead. */
	prefetch_hint(mi.dir, mi.mailbox, mi.uidvalidity, mi.m.uid);
	if ((r = cache_open(mi.mailbox, mi.uidvalidity, mi.m.uid, mi.m.size, mi.m.date, &fd,
	    &offset, &size)) != 0) {
		msg_info_clear(&mi);
		return r == ESTALE ? ENOENT : r;
	}
	if (size != mi.m.size) {
		log_msg(LOG_NOTICE, "message %u of \"%s\" has %llu bytes, not the %u of "
		    "its RFC822.SIZE", (unsigned)mi.m.uid, mi.mailbox,
		    (unsigned long long)size, (unsigned)mi.m.size);
		__atomic_store_n(&size_lied, 1, __ATOMIC_RELAXED);
		folder_set_size(mi.dir->folder, mi.m.uid, size);
		if (at_open || size > mi.m.size)
			(void)fuse_lowlevel_notify_inval_inode(fs.se, ino, -1, 0);
	} else if (at_open)
		(void)__atomic_add_fetch(&honest, 1, __ATOMIC_RELAXED);
	msg_info_clear(&mi);
	return body_add(ino, fd, offset, size, ref);
}

void
vfs_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct body_ref ref;
	struct msg_info mi;
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
	if (noopen_due()) {
		/*
		 * Only for a message, which needs nothing of an open: the first
		 * ENOSYS sets it for the whole connection, and this open
		 * succeeds with fh 0.
		 */
		if ((r = msg_get(resolve(ino), &mi, 0)) == 0)
			r = ENOSYS;
		fuse_reply_err(req, r);
		return;
	}
	if ((r = body_load(ino, 1, &ref)) != 0) {
		fuse_reply_err(req, r);
		return;
	}
	body_put(&ref);
	fi->fh = FH_MSG;
	fi->keep_cache = 1;
	/* Nothing to flush on close(): one request a file fewer for grep -r. */
	fi->noflush = 1;
	(void)fuse_reply_open(req, fi);
}

/* Replies with len bytes of fd from pos. */
static void
reply_fd(fuse_req_t req, int fd, off_t pos, size_t len)
{
	struct fuse_bufvec buf = FUSE_BUFVEC_INIT(len);

	buf.buf[0].flags = FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK;
	buf.buf[0].fd = fd;
	buf.buf[0].pos = pos;
	fuse_reply_data(req, &buf, FUSE_BUF_SPLICE_MOVE);
}

void
vfs_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
    struct fuse_file_info *fi)
{
	struct body_ref ref;
	int fd, r;

	stats_count(STAT_READ);
	if (fi->fh & FH_STAGED) {
		reply_fd(req, FH_FD(fi->fh), off, size);
		return;
	}
	if (ino_is_staged(ino) && (r = stage_dup(ino, &fd)) != ESTALE) {
		if (r != 0)
			fuse_reply_err(req, r);
		else {
			reply_fd(req, fd, off, size);
			close(fd);
		}
		return;
	}
	if ((r = body_load(ino, 0, &ref)) != 0) {
		fuse_reply_err(req, r);
		return;
	}
	/* The descriptor may hold other messages after this one's end. */
	if ((uint64_t)off >= ref.size)
		size = 0;
	else if (size > ref.size - (uint64_t)off)
		size = (size_t)(ref.size - (uint64_t)off);
	reply_fd(req, ref.fd, (off_t)(ref.offset + (uint64_t)off), size);
	body_put(&ref);
}

/*
 * The staged file's descriptor that a handle writes through: its own
 * (FH_STAGED), STAGE_NOOPEN for one the kernel opened itself (fh 0), or
 * -1 for a message's.
 */
static int
staged_handle(fuse_ino_t ino, const struct fuse_file_info *fi)
{
	if (fi->fh & FH_STAGED)
		return FH_FD(fi->fh);
	return fi->fh == 0 && ino_is_staged(ino) ? STAGE_NOOPEN : -1;
}

/*
 * A write into a message through a handle the kernel opened itself: a
 * write() is refused before the kernel keeps any of it, but a shared
 * writable mapping's pages already hold what was written when their
 * writeback is refused.  They go, later: not inside this write, which
 * may be that writeback, which they wait for.
 */
static void
refuse_mapped(fuse_ino_t ino)
{
	struct inval_list l = { NULL, 0, 0 };

	if (inval_add(&l, INVAL_INODE, 0, ino, "") == 0)
		inval_send_later(&l);
	inval_clear(&l);
}

void
vfs_write(fuse_req_t req, fuse_ino_t ino, const char *data, size_t size, off_t off,
    struct fuse_file_info *fi)
{
	size_t n;
	int h = staged_handle(ino, fi), r;

	stats_count(STAT_WRITE);
	if (h == -1) {
		if (fi->fh == 0)
			refuse_mapped(ino);
		fuse_reply_err(req, EPERM);
		return;
	}
	if ((r = stage_write(ino, h, fuse_req_ctx(req)->pid, data, size, off, &n)) != 0)
		fuse_reply_err(req, r);
	else
		fuse_reply_write(req, n);
}

/*
 * close(): a new file that a handle wrote is uploaded now, so that the
 * error reaches the writer (release's result reaches nobody).  Once the
 * kernel opens files itself, every close() of a message comes here too:
 * answered at once.
 */
void
vfs_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	int h = staged_handle(ino, fi);

	stats_count(STAT_FLUSH);
	if (h == STAGE_NOOPEN || (h != -1 && (fi->fh & FH_WRITE)))
		fuse_reply_err(req, stage_sync(ino, h, fuse_req_ctx(req)->pid, 0));
	else
		fuse_reply_err(req, 0);
}

void
vfs_fsync(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi)
{
	int h = staged_handle(ino, fi);

	stats_count(STAT_FSYNC);
	(void)datasync;
	fuse_reply_err(req, h != -1 ? stage_sync(ino, h, fuse_req_ctx(req)->pid, 1) : 0);
}

/* A message's handle holds nothing: its body stays in the table. */
void
vfs_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	stats_count(STAT_RELEASE);
	if (fi->fh & FH_STAGED)
		stage_release(ino, FH_FD(fi->fh));
	fuse_reply_err(req, 0);
}
