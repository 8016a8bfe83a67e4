/*
 * The handlers of files (vfs.h): open, read, write, flush, fsync,
 * release.  A message's bytes come from the cache (cache.h), a new
 * file's from its staging (stage.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "cache.h"
#include "folder.h"
#include "inode.h"
#include "log.h"
#include "prefetch.h"
#include "stage.h"
#include "stats.h"
#include "vfs.h"

void
vfs_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct msg_info mi;
	uint64_t offset, size;
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
	if ((r = cache_open(mi.mailbox, mi.uidvalidity, mi.m.uid, mi.m.size, mi.m.date, &fd,
	    &offset, &size)) != 0) {
		msg_info_clear(&mi);
		fuse_reply_err(req, r == ESTALE ? ENOENT : r);
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
	if (offset > FH_OFFSET_MAX) {
		close(fd);
		fuse_reply_err(req, EIO);
		return;
	}
	fi->fh = (uint64_t)fd | offset << FH_OFFSET_SHIFT;
	fi->keep_cache = 1;
	/* Nothing to flush on close(): one request a file fewer for grep -r. */
	fi->noflush = 1;
	if (fuse_reply_open(req, fi) != 0)
		close(fd);
}

void
vfs_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
    struct fuse_file_info *fi)
{
	struct fuse_bufvec buf = FUSE_BUFVEC_INIT(size);

	stats_count(STAT_READ);
	(void)ino;
	buf.buf[0].flags = FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK;
	buf.buf[0].fd = FH_FD(fi->fh);
	buf.buf[0].pos = off + (fi->fh & FH_STAGED ? 0 : FH_OFFSET(fi->fh));
	fuse_reply_data(req, &buf, FUSE_BUF_SPLICE_MOVE);
}

void
vfs_write(fuse_req_t req, fuse_ino_t ino, const char *data, size_t size, off_t off,
    struct fuse_file_info *fi)
{
	size_t n;
	int r;

	stats_count(STAT_WRITE);
	if (!(fi->fh & FH_STAGED)) {
		fuse_reply_err(req, EPERM);
		return;
	}
	if ((r = stage_write(ino, FH_FD(fi->fh), data, size, off, &n)) != 0)
		fuse_reply_err(req, r);
	else
		fuse_reply_write(req, n);
}

/*
 * close(): a new file that a handle wrote is uploaded now, so that the
 * error reaches the writer (release's result reaches nobody).
 */
void
vfs_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	stats_count(STAT_FLUSH);
	if ((fi->fh & FH_STAGED) && (fi->fh & FH_WRITE))
		fuse_reply_err(req, stage_sync(ino, FH_FD(fi->fh), 0));
	else
		fuse_reply_err(req, 0);
}

void
vfs_fsync(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi)
{
	stats_count(STAT_FSYNC);
	(void)datasync;
	fuse_reply_err(req, (fi->fh & FH_STAGED) ? stage_sync(ino, FH_FD(fi->fh), 1) : 0);
}

void
vfs_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	stats_count(STAT_RELEASE);
	if (fi->fh & FH_STAGED)
		stage_release(ino, FH_FD(fi->fh));
	else
		close(FH_FD(fi->fh));
	fuse_reply_err(req, 0);
}
