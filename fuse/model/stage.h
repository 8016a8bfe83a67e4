/*
 * New files.  A file created in a folder is staged: its bytes go to a
 * file of mode 0600 in the cache directory's staging/, and it reads,
 * stats and lists like any file.  It becomes a message with exactly one
 * append of its bytes (backend_append(), backend.h; IMAP: one APPEND),
 * bare LF turned into CRLF, INTERNALDATE from its mtime and flags from
 * its user.imap.flags, as last set, when
 *	- a handle that wrote to it is closed (FUSE flush) or fsync'ed,
 *	- it is renamed from a hidden name (".x") to a visible one,
 *	- the filesystem is unmounted,
 * and only when its name is visible (not beginning with ".") and it is
 * not empty.  The error of a failed upload reaches close(), fsync() or
 * rename(); the bytes stay staged and the next flush, fsync or the
 * unmount tries again.  After the upload the name stays the message's
 * (alias.h) and its inode number leads to the message.
 *
 * A save over a message's name (rename onto it) expunges that message
 * once the new one is there (backend_expunge()).
 *
 * The staged files are kept in staged.h's table, under its lock (a
 * leaf).  An upload holds the file's own upload_lock (the outermost lock
 * of fs.h's order) and its folder's sync_lock, never the table's, across
 * its round trips.
 */
#ifndef MAILFS_FUSE_STAGE_H
#define MAILFS_FUSE_STAGE_H

#include <sys/stat.h>

#include <stddef.h>
#include <stdint.h>

#include "fs.h"
#include "staged.h"

struct node;

/* Makes the staging directory (logged when it cannot); 0 or an errno. */
int stage_init(void);
/*
 * The first size bytes of fd with every bare LF made CRLF, as they are
 * uploaded: 0 with *buf_r (malloc'ed) and *len_r, or an errno.  For the
 * fuzzer (tests/fuzz/fuzz_crlf.c).
 */
int stage_read_crlf(int fd, uint64_t size, char **buf_r, size_t *len_r);
/* At unmount: uploads what is left (logging each), then frees everything. */
void stage_finish(void);

/*
 * The offline queue's new files (queue.h).  stage_replay_append() makes
 * the change c (JOURNAL_APPEND) on the source, marks it done and lets its
 * staged file go: 0 or the append's errno (then it stays pending, or is
 * dropped by the caller, its bytes left in staging/).
 * stage_restore_queued() shows the new files a pending change names, in
 * their folders, as the mount starts.
 */
struct journal_change;
int stage_replay_append(const struct journal_change *c);
void stage_restore_queued(void);

/*
 * Creates the staged file name in the folder dir and opens it.  Returns 0
 * with its attributes, inode number (lookup counted) and a descriptor.
 */
int stage_create(struct node *dir, const char *name, struct stat *st, fuse_ino_t *ino_r,
    int *fd_r);

/*
 * STAGE_NOOPEN in place of a handle's descriptor: a handle that the
 * kernel opened without asking (FUSE_CAP_NO_OPEN_SUPPORT, vfs/file.c),
 * of which only its writes, flushes and fsyncs are seen, never its open
 * or release.  Its writes go to the staged file's own descriptor.  Such
 * handles are told apart only by the process of the request (pid, from
 * fuse_req_ctx(); 0 when the kernel gives none, as for the writeback of
 * a mapping): the flush of the process that wrote last uploads, so that
 * a reader's close() never uploads what a writer is still appending.
 */
#define STAGE_NOOPEN	(-2)

/* open(): a descriptor of the staged bytes; O_TRUNC truncates.  ENOENT when unknown. */
int stage_open(fuse_ino_t ino, int flags, int *fd_r);
/*
 * A descriptor of the staged bytes for one read (the caller closes it),
 * counted as no handle: 0, ENOENT when unknown, ESTALE once uploaded.
 */
int stage_dup(fuse_ino_t ino, int *fd_r);
/*
 * Writes through fd (or STAGE_NOOPEN): 0 with the number of bytes in
 * *written_r, or an errno (EPERM once uploaded).
 */
int stage_write(fuse_ino_t ino, int fd, pid_t pid, const char *buf, size_t size,
    off_t off, size_t *written_r);
/* setattr: size, times (kept for the INTERNALDATE); mode and owner are accepted. */
int stage_setattr(fuse_ino_t ino, const struct stat *attr, int to_set, struct stat *st);
/*
 * flush of a handle (fd) that may write, and fsync (explicit): uploads
 * when due.  A flush of the handle whose last upload failed returns that
 * failure again instead of trying anew; fsync, another handle and the
 * unmount try again.  Of STAGE_NOOPEN handles, only the flush of the
 * process pid that wrote last counts: it uploads when that process wrote
 * since its last flush or fsync, and after its fsync failed it returns
 * that failure, once (no release says when the handle went).
 */
int stage_sync(fuse_ino_t ino, int fd, pid_t pid, int explicit);
/*
 * mv of the staged file dir/name to newdir/newname; uploads it there when
 * it becomes visible.  replace_uid (0: none) is a message named newname in
 * newdir, expunged once the new one is in place.  ENOENT when dir/name is
 * no staged file.
 */
int stage_rename(fuse_ino_t dir, const char *name, struct node *newdir,
    const char *newname, uint32_t replace_uid);

/* Extended attributes of a staged file: user.imap.flags is kept for the upload. */
int stage_getxattr(fuse_ino_t ino, const char *name, char *buf, size_t size, size_t *len_r);
int stage_setxattr(fuse_ino_t ino, const char *name, const char *value);
int stage_removexattr(fuse_ino_t ino, const char *name);

#endif
