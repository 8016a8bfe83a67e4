/*
 * Staged new files and their upload (see stage.h).
 *
 * An upload is one backend_append(), which returns 0 exactly when the
 * message is on the server once, a lost answer included (backend.h):
 * close() fails exactly when no message was made.  The Message-ID is
 * handed with it, so that a lost answer's message can be found again.
 *
 * RFC 5322 3.6.4 (Message-ID).
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alias.h"
#include "backend.h"
#include "cache.h"
#include "folder.h"
#include "inode.h"
#include "journal.h"
#include "log.h"
#include "mutate.h"
#include "online.h"
#include "pending.h"
#include "queue.h"
#include "stage.h"

#define XATTR_FLAGS	"user.imap.flags"
#define XATTR_UID	"user.imap.uid"
#define UPLOAD_MAX	((uint64_t)UINT32_MAX / 2)	/* RFC822.SIZE is 32 bits; CRLF may double */

static char staging_dir[4096];

static int
is_hidden(const char *name)
{
	return name_hidden(name);
}

int
stage_init(void)
{
	int r;

	if ((r = cache_staging_dir(staging_dir, sizeof(staging_dir))) != 0)
		log_msg(LOG_ERR, "cannot make the staging directory %s: %s", staging_dir,
		    strerror(r));
	return r;
}

int
stage_create(struct node *dir, const char *name, struct stat *st, fuse_ino_t *ino_r,
    int *fd_r)
{
	struct staged *s;
	struct node *old;
	int r = 0;

	if (staging_dir[0] == '\0')
		return EROFS;
	if ((r = staged_new(&s)) != 0)
		return r;
	staged_lock();
	if (staged_find_key_locked(dir->ino, name) != NULL) {
		staged_unlock();
		staged_destroy(s);
		return EEXIST;
	}
	staged_number_locked(s);
	if (asprintf(&s->path, "%s/%ld.%u", staging_dir, (long)getpid(), s->id) == -1) {
		s->path = NULL;
		r = ENOMEM;
	} else if ((s->fd = open(s->path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) == -1)
		r = errno;
	else if ((*fd_r = fcntl(s->fd, F_DUPFD_CLOEXEC, 0)) == -1)
		r = errno;
	else
		r = staged_place_locked(s, dir, name, &old);
	if (r != 0) {
		staged_unlock();
		log_msg(LOG_WARNING, "cannot stage \"%s\": %s", name, strerror(r));
		staged_destroy(s);
		return r;
	}
	s->nlookup = 1;
	s->opens = 1;
	staged_add_locked(s);
	staged_fill_stat(s, st);
	*ino_r = s->ino;
	staged_unlock();
	return 0;
}

int
stage_open(fuse_ino_t ino, int flags, int *fd_r)
{
	struct staged *s;
	int r = 0;

	if ((s = staged_get(ino)) == NULL)
		return ENOENT;
	pthread_mutex_lock(&s->upload_lock);
	staged_lock();
	if (s->placeholder && s->fd == -1)
		r = ONLINE_ERRNO;	/* its body is not in the store */
	else if (s->uploaded || s->fd == -1)
		r = ESTALE;
	else if (s->queued && ((flags & O_ACCMODE) != O_RDONLY || (flags & O_TRUNC)))
		r = pending_refuse(s, "write");	/* a queued change's bytes */
	else if ((flags & O_TRUNC) && ftruncate(s->fd, 0) == -1)
		r = errno;
	else if ((*fd_r = fcntl(s->fd, F_DUPFD_CLOEXEC, 0)) == -1)
		r = errno;
	else
		s->opens++;
	staged_unlock();
	pthread_mutex_unlock(&s->upload_lock);
	staged_put(s);
	return r;
}

int
stage_dup(fuse_ino_t ino, int *fd_r)
{
	struct staged *s;
	int r = 0;

	staged_lock();
	if ((s = staged_find_locked(ino)) == NULL)
		r = ENOENT;
	else if (s->placeholder && s->fd == -1)
		r = ONLINE_ERRNO;
	else if (s->uploaded || s->fd == -1)
		r = ESTALE;
	else if ((*fd_r = fcntl(s->fd, F_DUPFD_CLOEXEC, 0)) == -1)
		r = errno;
	staged_unlock();
	return r;
}

int
stage_write(fuse_ino_t ino, int fd, pid_t pid, const char *buf, size_t size,
    off_t off, size_t *written_r)
{
	struct staged *s;
	ssize_t n;
	int r = 0;

	if ((s = staged_get(ino)) == NULL)
		return ENOENT;
	/* Not while an upload reads the bytes: after it, the file is a message. */
	pthread_mutex_lock(&s->upload_lock);
	if (s->uploaded || s->queued)
		r = s->uploaded ? EPERM : pending_refuse(s, "write");
	else if ((n = pwrite(fd == STAGE_NOOPEN ? s->fd : fd, buf, size, off)) == -1)
		r = errno;
	else {
		*written_r = (size_t)n;
		if (fd == STAGE_NOOPEN) {
			staged_lock();
			s->written = 1;
			s->writer = pid;
			staged_unlock();
		}
	}
	pthread_mutex_unlock(&s->upload_lock);
	staged_put(s);
	return r;
}

int
stage_setattr(fuse_ino_t ino, const struct stat *attr, int to_set, struct stat *st)
{
	struct timespec ts[2];
	struct staged *s;
	int r = 0;

	if ((s = staged_get(ino)) == NULL)
		return ENOENT;
	pthread_mutex_lock(&s->upload_lock);
	if (s->uploaded) {
		r = (to_set & FUSE_SET_ATTR_SIZE) ? EPERM : ESTALE;
		goto out;
	}
	if (s->queued && to_set != 0) {
		r = pending_refuse(s, "setattr");	/* a queued change's bytes, date */
		goto out;
	}
	if ((to_set & FUSE_SET_ATTR_SIZE) && ftruncate(s->fd, attr->st_size) == -1) {
		r = errno;
		goto out;
	}
	if (to_set & (FUSE_SET_ATTR_ATIME | FUSE_SET_ATTR_MTIME |
	    FUSE_SET_ATTR_ATIME_NOW | FUSE_SET_ATTR_MTIME_NOW)) {
		/* The staging file's own mtime is the INTERNALDATE to be. */
		ts[0].tv_nsec = ts[1].tv_nsec = UTIME_OMIT;
		ts[0].tv_sec = ts[1].tv_sec = 0;
		if (to_set & FUSE_SET_ATTR_ATIME_NOW)
			ts[0].tv_nsec = UTIME_NOW;
		else if (to_set & FUSE_SET_ATTR_ATIME)
			ts[0] = attr->st_atim;
		if (to_set & FUSE_SET_ATTR_MTIME_NOW)
			ts[1].tv_nsec = UTIME_NOW;
		else if (to_set & FUSE_SET_ATTR_MTIME)
			ts[1] = attr->st_mtim;
		if (futimens(s->fd, ts) == -1) {
			r = errno;
			goto out;
		}
	}
	staged_lock();
	staged_fill_stat(s, st);
	staged_unlock();
out:
	pthread_mutex_unlock(&s->upload_lock);
	staged_put(s);
	return r;
}

/* The staged bytes with every bare LF made CRLF (RFC 3501 2.2: lines end in CRLF). */
static int
read_crlf(int fd, uint64_t size, char **buf_r, size_t *len_r)
{
	char *in, *out;
	size_t i, o = 0;
	ssize_t n;
	uint64_t got = 0;

	if (size > UPLOAD_MAX)
		return EFBIG;
	if ((in = malloc(size + 1)) == NULL)
		return ENOMEM;
	while (got < size) {
		if ((n = pread(fd, in + got, size - got, (off_t)got)) <= 0) {
			if (n == -1 && errno == EINTR)
				continue;
			if (n == 0)
				break;	/* truncated meanwhile */
			free(in);
			return errno;
		}
		got += (uint64_t)n;
	}
	size = got;
	if ((out = malloc(size * 2 + 1)) == NULL) {
		free(in);
		return ENOMEM;
	}
	for (i = 0; i < size; i++) {
		if (in[i] == '\n' && (i == 0 || in[i - 1] != '\r'))
			out[o++] = '\r';
		out[o++] = in[i];
	}
	free(in);
	*buf_r = out;
	*len_r = o;
	return 0;
}

int
stage_read_crlf(int fd, uint64_t size, char **buf_r, size_t *len_r)
{
	return read_crlf(fd, size, buf_r, len_r);
}

/*
 * Expunges message uid of fc's folder, which a save replaces; needs its
 * sync_lock.  0 or an errno.
 */
static int
expunge_replaced(struct fctx *fc, uint32_t uid)
{
	struct be_folder *f;
	struct be_status st;
	int r;

	if ((r = backend_open(fs.backend, fc->mailbox, &f, &st)) != 0)
		return r;
	r = backend_expunge(fs.backend, f, fc->uidvalidity, uid);
	backend_close(fs.backend, f, r != 0 && r != ESTALE);
	if (r == ESTALE)
		return 0;	/* a new generation: the message it named is gone */
	if (r == 0)
		folder_remove_local(fc->f, uid);
	return r;
}

/*
 * s is uploaded as dir/name, as message uid (0: not known); needs
 * s->upload_lock.  Its staging file goes: the message holds the bytes.
 */
static void
mark_uploaded(struct staged *s, struct node *dir, uint32_t uid)
{
	struct node *old = NULL;
	uint32_t gen;

	tree_rdlock();
	gen = dir->gen;
	tree_unlock();
	staged_lock();
	staged_unkey_locked(s);
	if (s->dir != dir) {
		node_ref(dir);
		old = s->dir;
		s->dir = dir;
	}
	s->uploaded = 1;
	s->queued = 0;
	s->keep = 0;
	s->msg = uid != 0 && gen != 0 ? msg_ino(gen, uid) : 0;
	if (s->fd != -1)
		close(s->fd);
	s->fd = -1;
	staged_unlock();
	node_put(old);
	(void)unlink(s->path);
}

/* The message uid of f, new, named name (as this mount made it). */
static void
note_new(struct folder *f, uint32_t uidvalidity, uint32_t uid, uint64_t len, int64_t date,
    const char *flags, const char *name)
{
	if (uid != 0 && folder_add_local(f, uidvalidity, uid, len, date, flags)) {
		folder_lock(f);
		if (f->alias_uidvalidity == uidvalidity)
			(void)alias_set_locked(f, uid, name);
		folder_unlock(f);
	}
}

/*
 * Queues the upload c of s (queue.h): its bytes synced, then the change
 * journaled (added: it is already, by queue_begin()); the file stays as
 * it is, read-only, until the replay.  Needs s->upload_lock.  0 or an
 * errno, with nothing queued.
 */
static int
queue_upload(struct staged *s, struct fctx *fc, struct journal_change *c, int added)
{
	int dfd, r = 0;

	/* The bytes, then their name in staging/, are on disk before the change names them. */
	if (fsync(s->fd) == -1)
		r = errno;
	else if ((dfd = open(staging_dir, O_RDONLY | O_CLOEXEC)) != -1) {
		if (fsync(dfd) == -1)
			r = errno;
		close(dfd);
	}
	if (r == 0 && !added)
		r = queue_add(c, "a new file");
	if (r != 0) {
		log_msg(LOG_WARNING, "cannot queue the new file \"%s\": %s", c->name,
		    strerror(r));
		return r;
	}
	staged_lock();
	s->queued = 1;
	s->seq = c->seq;
	s->keep = 1;
	staged_unlock();
	if (c->uid != 0)
		folder_remove_local(fc->f, c->uid);	/* the message it replaces */
	return 0;
}

/*
 * Uploads s as dir/name, or queues it (queue.h); needs s->upload_lock.
 * replace_uid: a message of dir expunged once the new one is there (a
 * change of two commands: journaled online too).  0 or an errno.
 */
static int
upload(struct staged *s, struct node *dir, const char *name, uint32_t replace_uid)
{
	struct journal_change c;
	struct be_new_msg m;
	struct fctx fc;
	struct stat st;
	char *data = NULL, *flags = NULL, msgid[256], note[4200];
	uint32_t uid = 0, uidvalidity = 0;
	size_t len = 0;
	int r, begun = 0;

	if (fstat(s->fd, &st) == -1)
		return errno;
	if ((r = fctx_get(dir, &fc)) != 0)
		return r;
	if ((r = read_crlf(s->fd, (uint64_t)st.st_size, &data, &len)) != 0) {
		log_msg(LOG_WARNING, "cannot read the staged file %s: %s", s->path, strerror(r));
		fctx_clear(&fc);
		return r;
	}
	be_message_id(data, len, msgid, sizeof(msgid));
	staged_lock();
	if (s->flags != NULL && (flags = strdup(s->flags)) == NULL)
		r = ENOMEM;
	staged_unlock();
	if (r != 0)
		goto out_free;

	memset(&c, 0, sizeof(c));
	c.kind = JOURNAL_APPEND;
	c.mailbox = fc.mailbox;
	c.name = (char *)name;
	c.file = s->path;
	c.flags = flags;
	c.date = st.st_mtime;
	c.msgid = msgid[0] != '\0' ? msgid : NULL;
	c.size = len > UINT32_MAX ? UINT32_MAX : (uint32_t)len;
	c.uid = replace_uid;
	c.uidvalidity = replace_uid != 0 ? fc.uidvalidity : 0;
	tree_rdlock();
	c.delim = tree_delimiter_locked();
	tree_unlock();
	if (queue_wanted()) {
		r = queue_upload(s, &fc, &c, 0);
		goto out_free;
	}
	if (replace_uid != 0) {
		if ((r = queue_begin(&c)) != 0)
			goto out_free;
		begun = 1;
	}

	snprintf(note, sizeof(note), "its bytes stay staged in %s", s->path);
	memset(&m, 0, sizeof(m));
	m.data = data;
	m.len = len;
	m.date = st.st_mtime;
	m.flags = flags;
	m.msgid = c.msgid;
	m.name = name;
	m.note = note;
	sync_lock2(fc.f, NULL);
	if ((r = backend_append(fs.backend, fc.mailbox, &m, &uid, &uidvalidity)) != 0) {
		sync_unlock2(fc.f, NULL);
		/* Nothing was sent: queued, as offline.  Else the caller is told it failed. */
		if (begun)
			queue_end(&c, !queue_unreachable(r));
		if (queue_unreachable(r))
			r = queue_upload(s, &fc, &c, begun);
		goto out_free;
	}
	note_new(fc.f, uidvalidity, uid, len, st.st_mtime, flags, name);
	if (replace_uid != 0 && replace_uid != uid)
		r = expunge_replaced(&fc, replace_uid);
	sync_unlock2(fc.f, NULL);
	/* The new message is there: never appended again, whatever the expunge did. */
	if (begun)
		queue_end(&c, 1);
	mark_uploaded(s, dir, uid);
	log_msg(LOG_DEBUG, "uploaded \"%s\" to \"%s\" as UID %u", name, fc.mailbox,
	    (unsigned)uid);
out_free:
	free(flags);
	free(data);
	fctx_clear(&fc);
	return r;
}

/* 1 when s is due for an upload as dir/name; needs staged_lock(). */
static int
due_locked(const struct staged *s, const char *name)
{
	struct stat st;

	return !s->uploaded && !s->queued && !s->unlinked && s->fd != -1 && !is_hidden(name) &&
	    fstat(s->fd, &st) == 0 && st.st_size > 0;
}

int
stage_sync(fuse_ino_t ino, int fd, pid_t pid, int explicit)
{
	struct staged *s;
	int r = 0, due;

	if ((s = staged_get(ino)) == NULL)
		return 0;
	pthread_mutex_lock(&s->upload_lock);
	staged_lock();
	due = due_locked(s, s->name);
	/*
	 * The close() after a failed fsync() on the same handle says so again
	 * rather than try once more: the writer was told it failed (and may
	 * write it again), so it must not appear behind its back now.
	 */
	if (fd == STAGE_NOOPEN && !explicit && s->writer != 0 && pid != s->writer)
		due = 0;	/* a reader's close, or another writer's */
	else if (fd == STAGE_NOOPEN && !explicit && !s->written) {
		/* The writer wrote nothing since, or closes after a failed fsync. */
		if (due && s->failed_fd == STAGE_NOOPEN)
			r = s->failed_err;
		if (s->failed_fd == STAGE_NOOPEN)
			s->failed_fd = -1;
		due = 0;
	} else if (due && !explicit && fd == s->failed_fd) {
		due = 0;
		r = s->failed_err;
	}
	if (fd == STAGE_NOOPEN && (explicit || due))
		s->written = 0;
	staged_unlock();
	/*
	 * A failed flush of a STAGE_NOOPEN handle is not kept: no release
	 * would clear it, and the writer has had its error from close().
	 */
	if (due && (r = upload(s, s->dir, s->name, 0)) != 0 &&
	    (fd != STAGE_NOOPEN || explicit)) {
		/* stage_release() reads them under the table's lock only. */
		staged_lock();
		s->failed_fd = fd;
		s->failed_err = r;
		staged_unlock();
	}
	pthread_mutex_unlock(&s->upload_lock);
	staged_put(s);
	return r;
}

int
stage_rename(fuse_ino_t dir, const char *name, struct node *newdir, const char *newname,
    uint32_t replace_uid)
{
	struct staged *s, *other, *dead = NULL;
	struct node *old = NULL;
	struct fctx fc;
	int r, due;

	/* A message moved there, not yet moved: nothing replaces it (pending.h). */
	if ((r = pending_over(newdir->ino, newname)) != 0)
		return r;
	staged_lock();
	if ((s = staged_find_key_locked(dir, name)) != NULL)
		s->refs++;
	staged_unlock();
	if (s == NULL)
		return ENOENT;
	pthread_mutex_lock(&s->upload_lock);
	staged_lock();
	due = s->key != NULL && due_locked(s, newname);
	if (s->key == NULL)
		r = ENOENT;	/* uploaded or removed meanwhile */
	else if (s->queued)
		r = pending_refuse(s, "mv");	/* a queued change's name */
	staged_unlock();
	if (r == 0 && due)
		r = upload(s, newdir, newname, replace_uid);
	else if (r == 0 && replace_uid != 0 && queue_wanted())
		r = queue_unlink(newdir, replace_uid);
	else if (r == 0 && replace_uid != 0 && (r = fctx_get(newdir, &fc)) == 0) {
		/* An empty or hidden file takes the message's place: it goes. */
		sync_lock2(fc.f, NULL);
		r = expunge_replaced(&fc, replace_uid);
		sync_unlock2(fc.f, NULL);
		fctx_clear(&fc);
	}
	staged_lock();
	if (r == 0 && (other = staged_find_key_locked(newdir->ino, newname)) != NULL && other != s) {
		/* A staged file was there: replaced, as rename(2) replaces. */
		other->unlinked = 1;
		staged_unkey_locked(other);
		dead = staged_unhash_if_dead_locked(other);
	}
	if (r == 0 && !s->uploaded)
		r = staged_place_locked(s, newdir, newname, &old);
	staged_unlock();
	pthread_mutex_unlock(&s->upload_lock);
	node_put(old);
	staged_destroy(dead);
	staged_put(s);
	return r;
}

int
stage_getxattr(fuse_ino_t ino, const char *name, char *buf, size_t size, size_t *len_r)
{
	struct staged *s;
	const char *v;
	int r = 0;

	if (strcmp(name, XATTR_FLAGS) != 0)
		return ENODATA;		/* no UID before the upload */
	staged_lock();
	if ((s = staged_find_locked(ino)) == NULL)
		r = ENOENT;
	else {
		v = s->flags != NULL ? s->flags : "";
		*len_r = strlen(v);
		if (size > 0 && *len_r <= size)
			memcpy(buf, v, *len_r);
	}
	staged_unlock();
	return r;
}

int
stage_setxattr(fuse_ino_t ino, const char *name, const char *value)
{
	struct staged *s;
	char *dup = NULL;
	int r = 0;

	/* rsync -X restores user.imap.uid too: the server will choose the UID. */
	if (strcmp(name, XATTR_UID) == 0)
		return 0;
	if (strcmp(name, XATTR_FLAGS) != 0)
		return ENOTSUP;
	if (value != NULL && (dup = strdup(value)) == NULL)
		return ENOMEM;
	staged_lock();
	if ((s = staged_find_locked(ino)) == NULL)
		r = ENOENT;
	else if (s->uploaded)
		r = ESTALE;
	else if (s->queued)
		r = pending_refuse(s, "setfattr");	/* a queued change's flags */
	else {
		free(s->flags);
		s->flags = dup;
		dup = NULL;
	}
	staged_unlock();
	free(dup);
	return r;
}

int
stage_removexattr(fuse_ino_t ino, const char *name)
{
	if (strcmp(name, XATTR_UID) == 0)
		return ENODATA;
	return stage_setxattr(ino, name, NULL);
}

void
stage_finish(void)
{
	struct staged *s, **v;
	size_t n, i;
	int r;

	/* Out of memory, nothing is taken: the bytes stay in staging/. */
	if (staged_take_all(&v, &n) != 0)
		return;
	for (i = 0; i < n; i++) {
		s = v[i];
		if (!s->uploaded && !s->unlinked && s->fd != -1) {
			if (due_locked(s, s->name)) {
				log_msg(LOG_NOTICE, "uploading \"%s\" at unmount", s->name);
				pthread_mutex_lock(&s->upload_lock);
				r = upload(s, s->dir, s->name, 0);
				pthread_mutex_unlock(&s->upload_lock);
				s->keep = r != 0 || s->queued;
			} else if (is_hidden(s->name) && !s->placeholder) {
				log_msg(LOG_NOTICE, "\"%s\" is hidden and was never uploaded; "
				    "its bytes stay in %s", s->name, s->path);
				s->keep = 1;
			}
		}
		staged_destroy(s);
	}
	free(v);
}

/* ---- the offline queue's new files (queue.h) ---- */

/*
 * Appends the bytes of c's file to c's folder, made again when it is gone:
 * a new file is uploaded whatever happened.  0 with *uid_r, *uidvalidity_r.
 */
static int
append_file(const struct journal_change *c, uint32_t *uid_r, uint32_t *uidvalidity_r,
    size_t *len_r)
{
	struct be_new_msg m;
	struct stat st;
	char *data = NULL, note[4200];
	size_t len = 0;
	int fd, r;

	if ((fd = open(c->file, O_RDONLY | O_CLOEXEC)) == -1)
		return errno;
	if (fstat(fd, &st) == -1)
		r = errno;
	else
		r = read_crlf(fd, (uint64_t)st.st_size, &data, &len);
	close(fd);
	/* On disk before it is sent: a crash after the OK is then told apart. */
	if (r == 0 && !c->attempted)
		r = journal_attempt(c->seq);
	if (r != 0) {
		free(data);
		return r;
	}
	snprintf(note, sizeof(note), "its bytes stay staged in %s", c->file);
	memset(&m, 0, sizeof(m));
	m.data = data;
	m.len = len;
	m.date = c->date;
	m.flags = c->flags;
	m.msgid = c->msgid;
	/*
	 * A kill -9 after an APPEND's OK and before journal_done() leaves the
	 * change pending though made: one sent before is looked for first.
	 * One never sent is not (two identical new files stay two).
	 */
	m.maybe_there = c->attempted;
	m.name = c->name;
	m.note = note;
	/*
	 * A folder gone says so in several ways (SELECT or APPEND refused):
	 * after a refusal, one that can be made is made and tried again.
	 */
	if ((r = backend_append(fs.backend, c->mailbox, &m, uid_r, uidvalidity_r)) != 0 &&
	    r != ONLINE_ERRNO && r != ETIMEDOUT && r != ECANCELED &&
	    backend_create(fs.backend, c->mailbox, c->delim) == 0) {
		log_msg(LOG_NOTICE, "the folder \"%s\" was gone: made again for the new "
		    "file \"%s\"", c->mailbox, c->name);
		r = backend_append(fs.backend, c->mailbox, &m, uid_r, uidvalidity_r);
	}
	free(data);
	*len_r = len;
	return r;
}

int
stage_replay_append(const struct journal_change *c)
{
	struct be_folder *bf;
	struct be_status bst;
	struct staged *s;
	struct node *n;
	uint32_t uid = 0, uidvalidity = 0;
	size_t len = 0;
	int r = 0, e;

	if (c->file == NULL || c->mailbox == NULL)
		return EINVAL;
	staged_lock();
	if ((s = staged_find_path_locked(c->file)) != NULL)
		s->refs++;
	staged_unlock();
	if (s != NULL)
		pthread_mutex_lock(&s->upload_lock);
	/*
	 * Removed (stage_unlink()) since the replay read the journal: nothing
	 * to upload (0).  Else the append's failure, nothing done.
	 */
	if (!journal_holds_file(c->file) ||
	    (r = append_file(c, &uid, &uidvalidity, &len)) != 0) {
		if (s != NULL) {
			pthread_mutex_unlock(&s->upload_lock);
			staged_put(s);
		}
		return r;
	}
	if (c->uid != 0 && c->uid != uid &&
	    (e = backend_open(fs.backend, c->mailbox, &bf, &bst)) == 0) {
		/* The message a save replaced; gone already (or a new generation): done. */
		e = backend_expunge(fs.backend, bf, c->uidvalidity, c->uid);
		backend_close(fs.backend, bf, e != 0 && e != ESTALE && e != ENOENT);
		if (e != 0 && e != ESTALE && e != ENOENT)
			log_msg(LOG_WARNING, "the message %u of \"%s\" that \"%s\" replaced "
			    "stays: %s", (unsigned)c->uid, c->mailbox, c->name, strerror(e));
	}
	/* Done before its file goes: a pending change always has its bytes. */
	(void)journal_done(c->seq);
	if ((n = queue_find_folder(c->mailbox)) != NULL && n->folder != NULL)
		note_new(n->folder, uidvalidity, uid, len, c->date, c->flags, c->name);
	if (s != NULL) {
		/* Uploaded: never due again, and its inode number leads to the message. */
		mark_uploaded(s, n != NULL ? n : s->dir, n != NULL ? uid : 0);
		pthread_mutex_unlock(&s->upload_lock);
		staged_put(s);
	}
	node_put(n);
	(void)unlink(c->file);
	return 0;
}

/* Shows the new file of c, queued by an earlier mount, in its folder dir. */
static void
restore_one(const struct journal_change *c, struct node *dir)
{
	struct staged *s;
	struct node *old = NULL;
	int r = 0;

	if (staged_new(&s) != 0)
		return;
	if ((s->path = strdup(c->file)) == NULL ||
	    (c->flags != NULL && (s->flags = strdup(c->flags)) == NULL))
		r = ENOMEM;
	else if ((s->fd = open(c->file, O_RDWR | O_CLOEXEC)) == -1)
		r = errno;
	staged_lock();
	if (r == 0 && staged_find_key_locked(dir->ino, c->name) != NULL)
		r = EEXIST;
	if (r == 0) {
		staged_number_locked(s);
		r = staged_place_locked(s, dir, c->name, &old);
	}
	if (r == 0) {
		s->queued = 1;
		s->seq = c->seq;
		s->keep = 1;
		staged_add_locked(s);
	}
	staged_unlock();
	node_put(old);
	if (r != 0) {
		log_msg(LOG_WARNING, "the queued new file \"%s\" of \"%s\" cannot be shown: %s",
		    c->name, c->mailbox, strerror(r));
		s->keep = 1;
		staged_destroy(s);
	}
}

void
stage_restore_queued(void)
{
	struct journal_change *v;
	struct node *dir;
	size_t n, i;

	if (journal_pending_count() == 0 || journal_pending(&v, &n) != 0)
		return;
	for (i = 0; i < n; i++) {
		if (v[i].kind != JOURNAL_APPEND || v[i].file == NULL || v[i].name == NULL)
			continue;
		/* A folder gone (or never listed here): shown after the replay makes it. */
		if ((dir = queue_find_folder(v[i].mailbox)) == NULL)
			continue;
		restore_one(&v[i], dir);
		node_put(dir);
	}
	journal_changes_free(v, n);
	pending_restore();	/* and the moves, in their destinations */
}
