/*
 * The replay of the offline queue (see queue.h): each pending change made
 * on the source through the same backend calls as online, whose
 * lost-answer recovery makes it once; then marked done.  The conflict
 * rules (mailfs(1), OFFLINE CHANGES), decided by what the source answers:
 *	- a flag change for a message expunged meanwhile is dropped;
 *	- a move of a message another device moved or deleted is dropped
 *	  (it stays where the source has it);
 *	- an rm of a message already gone is done (nothing to remove);
 *	- a mkdir of a folder that now exists merges with it;
 *	- an rmdir of a folder no longer empty on the source is dropped
 *	  (the backend decides emptiness by the source's state: mail the
 *	  user did not name is never deleted);
 *	- a rename whose target now exists or whose source is gone is
 *	  dropped;
 *	- a new file is uploaded whatever happened, into its folder, which
 *	  is made again if it is gone (stage.c).
 * A message whose folder changed its UIDVALIDITY (ESTALE) is gone.
 *
 * Runs on the refresh thread only; takes the locks of the calls it makes
 * (a folder's sync_lock is not needed: the refresh that follows brings
 * the listings up to date).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alias.h"
#include "backend.h"
#include "deadline.h"
#include "flagdiff.h"
#include "folder.h"
#include "inode.h"
#include "journal.h"
#include "log.h"
#include "online.h"
#include "pending.h"
#include "queue.h"
#include "stage.h"

enum outcome {
	MADE,
	DROPPED,
	STOP		/* the source is out of reach: stays pending */
};

/*
 * 1 for a failure that says nothing of the change: try it again later.
 * EIO (the server failed or broke the protocol) is not one: a change the
 * server keeps failing would stop every later one for good.
 */
static int
transient(int r)
{
	return r == ONLINE_ERRNO || r == ETIMEDOUT || r == ECANCELED || r == ENOMEM ||
	    r == EAGAIN || r == EINTR || r == ENXIO;
}

/* What c is, for the log. */
static void
describe(const struct journal_change *c, char *buf, size_t size)
{
	switch (c->kind) {
	case JOURNAL_FLAGS:
		snprintf(buf, size, "the flags (%s) of message %u of \"%s\"", c->flags != NULL ?
		    c->flags : "", (unsigned)c->uid, c->mailbox);
		break;
	case JOURNAL_EXPUNGE:
		snprintf(buf, size, "rm of message %u of \"%s\"", (unsigned)c->uid, c->mailbox);
		break;
	case JOURNAL_MOVE:
		snprintf(buf, size, "mv of message %u of \"%s\" to \"%s\"", (unsigned)c->uid,
		    c->mailbox, c->mailbox2);
		break;
	case JOURNAL_APPEND:
		snprintf(buf, size, "the new file \"%s\" in \"%s\"", c->name != NULL ? c->name : "",
		    c->mailbox);
		break;
	case JOURNAL_CREATE:
		snprintf(buf, size, "mkdir \"%s\"", c->mailbox);
		break;
	case JOURNAL_DELETE:
		snprintf(buf, size, "rmdir \"%s\"", c->mailbox);
		break;
	case JOURNAL_RENAME:
		snprintf(buf, size, "mv of the folder \"%s\" to \"%s\"", c->mailbox, c->mailbox2);
		break;
	default:
		snprintf(buf, size, "a change of unknown kind %d", (int)c->kind);
		break;
	}
}

/*
 * Gives the name the user chose to message uid of mailbox.  Its names are
 * read from the store first: a destination nobody looked at since the
 * mount (its placeholder answered for it) has none loaded yet.
 */
static void
name_moved(const char *mailbox, uint32_t uidvalidity, uint32_t uid, const char *name)
{
	struct node *n;

	if (uid == 0 || name == NULL || name[0] == '\0' ||
	    (n = queue_find_folder(mailbox)) == NULL)
		return;
	if (n->folder != NULL) {
		alias_load(n->folder, mailbox, uidvalidity);
		folder_lock(n->folder);
		if (n->folder->alias_uidvalidity == uidvalidity)
			(void)alias_set_locked(n->folder, uid, name);
		folder_unlock(n->folder);
	}
	node_put(n);
}

/*
 * A flag change: a difference (flagdiff.h) is what it adds, then what it
 * removes, so that what other devices changed meanwhile stays; a list
 * (journals of earlier versions) is set as it is.  after gets the flags
 * the last STORE reported (after->flags NULL: the message is gone).
 */
static int
replay_flags(struct be_folder *bf, const struct journal_change *c, struct be_msg *after,
    char *buf, size_t size)
{
	char add[4096], remove[4096];
	int r;

	memset(after, 0, sizeof(*after));
	if (c->mode != FLAGS_MODE_DIFF)
		return backend_set_flags(fs.backend, bf, c->uidvalidity, c->uid,
		    (enum be_flags_mode)c->mode, c->flags != NULL ? c->flags : "", after,
		    buf, size);
	if ((r = flags_split(c->flags != NULL ? c->flags : "", add, remove,
	    sizeof(add))) != 0)
		return r;
	if (add[0] != '\0' && (r = backend_set_flags(fs.backend, bf, c->uidvalidity,
	    c->uid, BE_FLAGS_ADD, add, after, buf, size)) != 0)
		return r;
	if (remove[0] != '\0')
		r = backend_set_flags(fs.backend, bf, c->uidvalidity, c->uid,
		    BE_FLAGS_REMOVE, remove, after, buf, size);
	return r;
}

/* A change of one message: flags, rm, mv.  *rule_r says why it was dropped. */
static enum outcome
replay_msg(const struct journal_change *c, const char **rule_r, int *err_r)
{
	struct be_folder *bf;
	struct be_status st;
	struct be_msg bm, after;
	char buf[4096];
	uint32_t newuid = 0, newuv = 0;
	int r;

	if ((r = backend_open(fs.backend, c->mailbox, &bf, &st)) != 0) {
		*err_r = r;
		if (transient(r))
			return STOP;
		*rule_r = c->kind == JOURNAL_EXPUNGE ? "its folder is gone" :
		    c->kind == JOURNAL_FLAGS ? "its folder is gone: the message was expunged" :
		    "its folder is gone: another device moved or deleted the message";
		return c->kind == JOURNAL_EXPUNGE ? MADE : DROPPED;
	}
	switch (c->kind) {
	case JOURNAL_FLAGS:
		r = replay_flags(bf, c, &after, buf, sizeof(buf));
		*rule_r = "the message was expunged meanwhile";
		break;
	case JOURNAL_EXPUNGE:
		r = backend_expunge(fs.backend, bf, c->uidvalidity, c->uid);
		*rule_r = "the message was already gone";
		break;
	default:
		memset(&bm, 0, sizeof(bm));
		bm.uid = c->uid;
		bm.size = c->size;
		bm.date = c->date;
		r = backend_move(fs.backend, bf, c->uidvalidity, &bm, c->mailbox2, &newuid,
		    &newuv);
		*rule_r = "another device moved or deleted the message";
		break;
	}
	backend_close(fs.backend, bf, r != 0 && r != ENOENT && r != ESTALE && r != EPERM);
	*err_r = r;
	/*
	 * A UID STORE or UID MOVE of a UID no longer there is no error in
	 * IMAP: no FETCH came back, or (UIDPLUS) no COPYUID.
	 */
	if (r == 0 && c->kind == JOURNAL_FLAGS && after.flags == NULL)
		r = ENOENT;
	if (r == 0 && c->kind == JOURNAL_MOVE && newuid == 0 &&
	    (backend_caps(fs.backend) & BE_CAN_EXPUNGE_ONE))
		r = ENOENT;
	if (r == 0) {
		if (c->kind == JOURNAL_MOVE)
			name_moved(c->mailbox2, newuv, newuid, c->name);
		return MADE;
	}
	if (transient(r))
		return STOP;
	if (r == ENOENT || r == ESTALE)
		return c->kind == JOURNAL_EXPUNGE ? MADE : DROPPED;
	*rule_r = "the server refused it";
	return DROPPED;
}

/* A change of folders: mkdir, rmdir, rename. */
static enum outcome
replay_folder(const struct journal_change *c, const char **rule_r, int *err_r)
{
	int r;

	switch (c->kind) {
	case JOURNAL_CREATE:
		if ((r = backend_create(fs.backend, c->mailbox, c->delim)) == EEXIST) {
			*rule_r = "the folder exists now: merged with it";
			*err_r = r;
			return MADE;
		}
		break;
	case JOURNAL_DELETE:
		r = backend_remove(fs.backend, c->mailbox, c->delim, 1);
		*rule_r = "the folder is no longer empty on the server";
		break;
	default:
		r = backend_rename(fs.backend, c->mailbox, c->mailbox2, c->delim);
		*rule_r = r == EEXIST ? "its new name exists now" :
		    r == ENOENT ? "the folder is gone" : "the server refused it";
		break;
	}
	*err_r = r;
	if (r == 0)
		return MADE;
	if (transient(r))
		return STOP;
	if (c->kind == JOURNAL_DELETE && r != ENOTEMPTY)
		*rule_r = "the server refused it";
	return DROPPED;
}

/* Replays c: its outcome, logged. */
static enum outcome
replay_one(const struct journal_change *c)
{
	enum outcome o;
	const char *rule = NULL;
	char what[4300];
	int r = 0;

	describe(c, what, sizeof(what));
	deadline_begin();
	switch (c->kind) {
	case JOURNAL_FLAGS:
	case JOURNAL_EXPUNGE:
	case JOURNAL_MOVE:
		o = replay_msg(c, &rule, &r);
		break;
	case JOURNAL_APPEND:
		/* stage.c marks it done before it lets its staged file go. */
		r = stage_replay_append(c);
		o = r == 0 ? MADE : transient(r) ? STOP : DROPPED;
		rule = "the server refused it; its bytes stay staged";
		break;
	case JOURNAL_CREATE:
	case JOURNAL_DELETE:
	case JOURNAL_RENAME:
		o = replay_folder(c, &rule, &r);
		break;
	default:
		o = DROPPED;
		rule = "this mailfs does not know it";
		break;
	}
	deadline_end();
	if (o == STOP) {
		log_msg(LOG_NOTICE, "replay of %s waits for the server: %s", what, strerror(r));
		return o;
	}
	(void)journal_done(c->seq);
	if (c->kind == JOURNAL_MOVE)
		pending_done(c);	/* before the refresh shows where the message is */
	if (o == DROPPED)
		log_msg(LOG_WARNING, "dropped %s: %s (%s)", what, rule, strerror(r));
	else if (r != 0)
		log_msg(LOG_NOTICE, "replayed %s: %s", what, rule);
	else
		log_msg(LOG_NOTICE, "replayed %s", what);
	return o;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

size_t
queue_replay(void)
{
	struct journal_change *v;
	size_t n, i, done = 0, dropped = 0, pass;
	double t0 = now_s();
	enum outcome o = MADE;

	/* Changes queued meanwhile come after: another pass, until none is left. */
	while (o != STOP && journal_pending_count() > 0 && !online_offline()) {
		if (journal_pending(&v, &n) != 0)
			break;
		for (i = 0, pass = 0; i < n && o != STOP; i++) {
			if (queue_in_flight(v[i].seq))
				continue;
			if ((o = replay_one(&v[i])) != STOP) {
				pass++;
				if (o == DROPPED)
					dropped++;
			}
		}
		journal_changes_free(v, n);
		done += pass;
		if (pass == 0)
			break;
	}
	if (done > 0)
		log_msg(LOG_NOTICE, "replayed %zu changes (%zu dropped) in %.1f s", done,
		    dropped, now_s() - t0);
	return done;
}
