/*
 * The Outbox: messages written to be sent (submit.h), their state and
 * their sending.  Local to the mount, not a server folder.
 *
 * Durable.  Each message is a file of the store's directory outbox/
 * (cache.h), ID.eml, its bytes as written, and beside it ID.state, its
 * state as text (written to ID.state.tmp, fsync'ed, renamed, the
 * directory fsync'ed).  outbox_flush() and outbox_fsync() fsync the
 * bytes and the directory before they return, so that what close()
 * accepted survives a crash.
 *
 * Sending.  A message is sent when its last writer closes it
 * (outbox_flush()), or when it is renamed from a hidden name to a
 * visible one, and only then; a message with a hidden name (outbox_hidden())
 * or empty is a draft.  Before the first byte goes to the server its
 * state is "sending", on disk; the outcome is written before anything
 * else is done:
 *	sent		-> "sent" (not yet filed), then the copy appended to
 *			the Sent folder once (backend_append() with its
 *			Message-ID), then the files removed: close() 0
 *	partial		-> kept, as a record, after the copy was filed: EIO
 *	refused		-> "failed" with the reply in user.mailfs.error: EIO
 *	malformed	-> "invalid" with the reason: EINVAL, nothing sent
 *	deferred	-> "deferred", retried with backoff by the outbox
 *			thread (and at the next mount): close() 0
 *	unknown		-> "unknown": never sent again by itself; the user
 *			removes it or asks again (outbox_retry(),
 *			setfattr -n user.mailfs.retry)
 * A message found "sending" at start is "unknown"; one found "sent" is
 * filed first.  Nothing is sent twice by the daemon's own choice.
 *
 * Lock: outbox_lock, a leaf of fs.h's order, guards the table of
 * messages; a message being sent is marked busy and its round trips run
 * with no lock held.  The state files are written under outbox_lock.
 *
 * Errors: errors.h.  Messages are named by their id (1..), which the
 * FUSE layer makes inode numbers of (fs.h, OUTBOX_GEN).
 */
#ifndef MAILFS_FUSE_OUTBOX_H
#define MAILFS_FUSE_OUTBOX_H

#include <sys/stat.h>
#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#include "names.h"

struct submitter;

/*
 * Opens the store's outbox/ and loads what waits there; s (borrowed until
 * outbox_free()) sends, sent is -o sent= (NULL: the \Sent folder,
 * "none": no copy); backoff_s: the first retry's wait (0: 60 s, doubling
 * to an hour; else doubling to 8 times it, for the tests).  0 or an
 * errno (logged).
 */
int outbox_init(struct submitter *s, const char *sent, unsigned backoff_s);
/* Starts the thread that retries and files; 0 or an errno. */
int outbox_start(void);
/* Stops it (waits for a send in progress to end at its deadline). */
void outbox_stop(void);
void outbox_free(void);
/* 1 once outbox_init() succeeded: the mount shows the Outbox. */
int outbox_enabled(void);

/* 1 for a name that is not sent: ".x" (as stage.h), "x~", "#x#". */
int outbox_hidden(const char *name);

struct outbox_dirent {
	uint32_t id;
	char name[NAMES_COMPONENT_MAX + 1];
	struct stat st;			/* st_ino not set */
};

/* The messages of id > after, in id order: *v_r malloc'ed (the caller's). */
int outbox_list(uint32_t after, struct outbox_dirent **v_r, size_t *n_r);
/* The message named name: 0 with its id and attributes, or ENOENT. */
int outbox_lookup(const char *name, uint32_t *id_r, struct stat *st);
int outbox_getattr(uint32_t id, struct stat *st);
/*
 * A new empty message name (replacing a waiting one of that name): 0
 * with its id, attributes and a descriptor of its bytes (the caller's:
 * close() it), or EEXIST (excl), EBUSY (the old one is being sent), ...
 */
int outbox_create(const char *name, int excl, uint32_t *id_r, struct stat *st,
    int *fd_r);
/*
 * A descriptor of message id's bytes (the caller's) for a handle; write:
 * the handle may write (counted until outbox_release()), trunc: O_TRUNC.
 */
int outbox_open(uint32_t id, int write, int trunc, int *fd_r);
void outbox_release(uint32_t id, int write);
/* Writes into message id (fd: the handle's, -1: the message's own). */
int outbox_write(uint32_t id, int fd, const char *data, size_t size, off_t off,
    size_t *written_r);
/* Reads from message id (fd as above). */
int outbox_read(uint32_t id, int fd, char *buf, size_t size, off_t off, size_t *len_r);
/* setattr: size (truncate), times; *st gets the attributes after. */
int outbox_setattr(uint32_t id, const struct stat *attr, int set_size, int set_mtime,
    struct stat *st);
/*
 * close(): makes the bytes durable, and sends the message when writer is
 * the last handle that may write (or unknown: -1) and it was written
 * since.  The errno close() is to return (see the top).
 */
int outbox_flush(uint32_t id, int writer);
int outbox_fsync(uint32_t id);
/* rm: ENOENT, EBUSY (being sent), or 0. */
int outbox_unlink(const char *name);
/*
 * Renames within the Outbox (replacing a waiting message of the new
 * name; EEXIST with noreplace); from a hidden to a visible name it
 * sends, and returns the send's errno.
 */
int outbox_rename(const char *from, const char *to, int noreplace);
/*
 * The value of xattr "user.mailfs.error" or "user.mailfs.status" of
 * message id into buf: 0 with *len_r, ENODATA (no error), ERANGE.
 */
int outbox_xattr(uint32_t id, const char *name, char *buf, size_t size, size_t *len_r);
/* Sends message id again, whatever its state (not while busy: EBUSY). */
int outbox_retry(uint32_t id);

#endif
