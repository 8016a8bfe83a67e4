/*
 * Moves shown in their destination before they are made (see pending.h).
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cache.h"
#include "inode.h"
#include "journal.h"
#include "log.h"
#include "pending.h"
#include "queue.h"
#include "staged.h"

/* Writes all of buf[0..len) at off: 0 or an errno. */
static int
write_all(int fd, const char *buf, size_t len, off_t off)
{
	ssize_t n;

	while (len > 0) {
		if ((n = pwrite(fd, buf, len, off)) == -1) {
			if (errno == EINTR)
				continue;
			return errno;
		}
		buf += n;
		len -= (size_t)n;
		off += n;
	}
	return 0;
}

/*
 * A copy of c's body as the store holds it into a new file of staging/,
 * unlinked at once (pending.h): 0 with *fd_r, or an errno (ENOENT: the
 * store does not hold it).
 */
static int
copy_body(const struct journal_change *c, int *fd_r)
{
	char dir[4096], path[4200], buf[65536];
	struct timespec ts[2];
	uint64_t off, len, done = 0;
	ssize_t n;
	int bfd, fd, r;

	/*
	 * Only a body the store holds: offline a fetch would fail anyway,
	 * and a placeholder is no reason to ask the server.
	 */
	if (cache_count(c->mailbox, c->uidvalidity, &c->uid, 1, sizeof(c->uid)) == 0)
		return ENOENT;
	if ((r = cache_staging_dir(dir, sizeof(dir))) != 0)
		return r;
	if ((size_t)snprintf(path, sizeof(path), "%s/pending.%ld.%llu", dir, (long)getpid(),
	    (unsigned long long)c->seq) >= sizeof(path))
		return ENAMETOOLONG;
	if ((r = cache_open(c->mailbox, c->uidvalidity, c->uid, c->size, c->date, &bfd, &off,
	    &len)) != 0)
		return r;
	if ((fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) == -1) {
		r = errno;
		close(bfd);
		return r;
	}
	(void)unlink(path);
	while (r == 0 && done < len) {
		n = pread(bfd, buf, len - done < sizeof(buf) ? (size_t)(len - done) : sizeof(buf),
		    (off_t)(off + done));
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			r = n == 0 ? EIO : errno;	/* a body shorter than the store says */
		else if ((r = write_all(fd, buf, (size_t)n, (off_t)done)) == 0)
			done += (uint64_t)n;
	}
	close(bfd);
	if (r == 0) {
		/* Dated as the message is. */
		ts[0].tv_sec = ts[1].tv_sec = (time_t)c->date;
		ts[0].tv_nsec = ts[1].tv_nsec = 0;
		(void)futimens(fd, ts);
		*fd_r = fd;
	} else
		close(fd);
	return r;
}

/*
 * The placeholder of change seq goes, and the kernel is told: now, or by
 * the notifier (later: a handler's, whose directory the kernel holds).
 */
static void
drop(uint64_t seq, int later)
{
	struct inval_list inv = { 0 };
	struct staged *s, *dead = NULL;

	staged_lock();
	if ((s = staged_find_placeholder_locked(seq)) != NULL) {
		if (s->key != NULL)
			(void)inval_add(&inv, INVAL_DELETE, s->dir->ino, s->ino, s->name);
		(void)inval_add(&inv, INVAL_INODE, 0, s->ino, "");
		s->unlinked = 1;
		staged_unkey_locked(s);
		dead = staged_unhash_if_dead_locked(s);
	}
	staged_unlock();
	staged_destroy(dead);
	if (later)
		inval_send_later(&inv);
	else
		inval_send(&inv);
	inval_clear(&inv);
}

void
pending_show(const struct journal_change *c, struct node *dst)
{
	struct staged *s;
	struct node *old = NULL;
	int fd, r;

	if (c->name == NULL || c->name[0] == '\0')
		return;		/* the server's UID will name it */
	/* A body the store lacks: shown, its reads failing as offline (fd -1). */
	if ((r = copy_body(c, &fd)) != 0 && r != ENOENT) {
		log_msg(LOG_DEBUG, "the message %u of \"%s\" moved to \"%s\" shows there once "
		    "it is moved: %s", (unsigned)c->uid, c->mailbox, c->mailbox2, strerror(r));
		return;
	}
	if (r == ENOENT)
		fd = -1;
	if ((r = staged_new(&s)) != 0) {
		if (fd != -1)
			close(fd);
		return;
	}
	s->fd = fd;
	s->absent_size = c->size;
	s->absent_date = c->date;
	s->placeholder = 1;
	s->queued = 1;		/* never due for an upload (stage.c) */
	s->seq = c->seq;
	staged_lock();
	if (staged_find_key_locked(dst->ino, c->name) != NULL)
		r = EEXIST;
	else {
		staged_number_locked(s);
		if ((r = staged_place_locked(s, dst, c->name, &old)) == 0)
			staged_add_locked(s);
	}
	staged_unlock();
	node_put(old);
	if (r != 0) {
		log_msg(LOG_DEBUG, "the message moved to \"%s\" as \"%s\" shows there once it "
		    "is moved: %s", c->mailbox2, c->name, strerror(r));
		staged_destroy(s);
		return;
	}
	log_msg(LOG_DEBUG, "\"%s\" shows in \"%s\" before its move (change %llu)", c->name,
	    c->mailbox2, (unsigned long long)c->seq);
	/* The replay may have made the move meanwhile (online, changes queued). */
	if (!journal_is_pending(c->seq))
		drop(c->seq, 1);
}

void
pending_restore(void)
{
	struct journal_change *v;
	struct node *dst;
	size_t n, i;

	if (journal_pending_count() == 0 || journal_pending(&v, &n) != 0)
		return;
	for (i = 0; i < n; i++) {
		if (v[i].kind != JOURNAL_MOVE || v[i].mailbox2 == NULL ||
		    queue_in_flight(v[i].seq))
			continue;
		if ((dst = queue_find_folder(v[i].mailbox2)) == NULL)
			continue;	/* a folder gone, or never listed here */
		pending_show(&v[i], dst);
		node_put(dst);
	}
	journal_changes_free(v, n);
}

void
pending_done(const struct journal_change *c)
{
	drop(c->seq, 0);
}

int
pending_refuse(const struct staged *s, const char *what)
{
	if (!s->placeholder)
		return EPERM;
	log_msg(LOG_DEBUG, "\"%s\" is a message whose move is queued: no %s until it is "
	    "made", s->name != NULL ? s->name : "", what);
	return EBUSY;
}

int
pending_over(fuse_ino_t dir, const char *name)
{
	struct staged *s;
	int r = 0;

	staged_lock();
	if ((s = staged_find_key_locked(dir, name)) != NULL && s->placeholder)
		r = pending_refuse(s, "rename over it");
	staged_unlock();
	return r;
}
