/*
 * Sending a message of the Outbox and filing its copy in Sent
 * (outbox.h says the states and what close() returns).
 *
 * Once: the state "sending" is on disk before the submitter is called,
 * and the outcome is on disk before anything else is done; the copy in
 * Sent is appended only from the state "sent" (or "partial") not yet
 * filed, with its Message-ID, which the backend uses to find a copy
 * whose answer was lost (backend.h) instead of appending it twice.
 *
 * RFC 5322 3.6.4 (Message-ID); RFC 6154 (\Sent).
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "backend.h"
#include "fs.h"
#include "inode.h"
#include "log.h"
#include "notes.h"
#include "outbox.h"
#include "outbox_int.h"
#include "stage.h"
#include "submit.h"

/* A message made ready: what goes to the server and what goes to Sent. */
struct ob_msg {
	char name[NAMES_COMPONENT_MAX + 1];
	char date[64];
	char msgid[300];
	struct submit_prepared p;
	char copy_msgid[300];		/* the copy's Message-ID, "" none */
	time_t sent_at;			/* the copy's INTERNALDATE */
	int maybe_there;		/* the copy may be in Sent already */
	char why[600];			/* a malformed message: why */
};

static void
msg_clear(struct ob_msg *m)
{
	submit_prepared_clear(&m->p);
}

/*
 * Reads message fd (with m->date and m->msgid as made before, or made
 * now) into m.  0; EINVAL with m->why for a message that cannot be sent
 * as it is; another errno (logged).
 */
static int
prepare(int fd, struct ob_msg *m)
{
	struct stat st;
	char *data = NULL;
	size_t len = 0;
	int r;

	if (fstat(fd, &st) == -1)
		return errno;
	if ((r = stage_read_crlf(fd, (uint64_t)st.st_size, &data, &len)) != 0) {
		log_msg(LOG_ERR, "cannot read Outbox/%s: %s", m->name, strerror(r));
		return r;
	}
	r = submit_prepare(data, len, m->date, sizeof(m->date), m->msgid, sizeof(m->msgid),
	    &m->p, m->why, sizeof(m->why));
	free(data);
	if (r != 0) {
		if (r != EINVAL)
			log_msg(LOG_ERR, "Outbox/%s: %s", m->name, m->why);
		return r;
	}
	if (m->p.has_msgid)
		be_message_id(m->p.copy, m->p.copy_len, m->copy_msgid,
		    sizeof(m->copy_msgid));
	else
		snprintf(m->copy_msgid, sizeof(m->copy_msgid), "%s", m->msgid);
	return 0;
}

/*
 * Appends m's copy, \Seen, to the Sent folder (-o sent=, else the folder
 * with \Sent; none: nothing).  0 when it is there or goes nowhere, else
 * an errno (the backend logged why).  note (NULL: none) is given to the
 * copy (notes.h: its user.mailfs.error); *noted_r says whether it was.
 */
static int
file_copy(const struct ob_msg *m, const char *note, int *noted_r)
{
	const char *sent = ob_sent_folder();
	struct be_new_msg nm;
	struct node *n;
	char *mailbox = NULL;
	uint32_t uid, uidvalidity;
	int r;

	*noted_r = 0;
	if (sent != NULL && strcmp(sent, "none") == 0)
		return 0;
	if (sent == NULL) {
		tree_rdlock();
		if ((n = tree_attr_locked(BE_FOLDER_SENT)) != NULL && n->mailbox != NULL)
			mailbox = strdup(n->mailbox);
		tree_unlock();
		if (n == NULL) {
			log_msg(LOG_WARNING, "Outbox/%s: no folder has the \\Sent special use "
			    "(-o sent=FOLDER names one): no copy filed", m->name);
			return 0;
		}
		if (mailbox == NULL)
			return ENOMEM;
	}
	memset(&nm, 0, sizeof(nm));
	nm.data = m->p.copy;
	nm.len = m->p.copy_len;
	nm.date = m->sent_at != 0 ? m->sent_at : time(NULL);
	nm.maybe_there = m->maybe_there;
	nm.flags = "\\Seen";
	nm.msgid = m->copy_msgid[0] != '\0' ? m->copy_msgid : NULL;
	nm.name = m->name;
	nm.note = "the copy is filed again later";
	r = backend_append(fs.backend, mailbox != NULL ? mailbox : sent, &nm, &uid,
	    &uidvalidity);
	if (r == 0 && note != NULL && uid != 0 && uidvalidity != 0)
		*noted_r = notes_set(mailbox != NULL ? mailbox : sent, uidvalidity, uid,
		    note) == 0;
	free(mailbox);
	return r;
}

/*
 * Takes message id for a send or a filing: busy, with a descriptor of
 * its bytes and its name, date and Message-ID in *m.  0, or ENOENT, EBUSY.
 */
static int
take(uint32_t id, struct ob_msg *m, int *fd_r, enum ob_state *state_r)
{
	struct ob_entry *e;
	int r = 0;

	memset(m, 0, sizeof(*m));
	pthread_mutex_lock(&outbox_lock);
	if ((e = ob_find_locked(id)) == NULL)
		r = ENOENT;
	else if (e->busy)
		r = EBUSY;
	else if ((*fd_r = dup(e->fd)) == -1)
		r = errno;
	else {
		e->busy = 1;
		*state_r = e->state;
		snprintf(m->name, sizeof(m->name), "%s", e->name);
		snprintf(m->date, sizeof(m->date), "%s", e->date);
		snprintf(m->msgid, sizeof(m->msgid), "%s", e->msgid);
		m->sent_at = e->sent_at;
		m->maybe_there = e->recovered;
	}
	pthread_mutex_unlock(&outbox_lock);
	return r;
}

/* Gives message id back (busy cleared); gone: it leaves the Outbox. */
static void
give_back(uint32_t id, int gone)
{
	struct ob_entry *e, **pp;

	pthread_mutex_lock(&outbox_lock);
	for (pp = &ob_head; (e = *pp) != NULL && e->id != id; pp = &e->next)
		;
	if (e != NULL) {
		e->busy = 0;
		if (gone)
			*pp = e->next;
	}
	pthread_mutex_unlock(&outbox_lock);
	if (e != NULL && gone) {
		ob_remove_files(id);
		ob_entry_free(e);
	}
}

/* Sets message id's state and error and writes them: 0 or an errno. */
static int
set_state(uint32_t id, enum ob_state s, const char *error, const struct ob_msg *m)
{
	struct ob_entry *e;
	int r = ENOENT;

	pthread_mutex_lock(&outbox_lock);
	if ((e = ob_find_locked(id)) != NULL) {
		e->state = s;
		if (error != NULL)
			snprintf(e->error, sizeof(e->error), "%s", error);
		if (m != NULL) {
			snprintf(e->date, sizeof(e->date), "%s", m->date);
			snprintf(e->msgid, sizeof(e->msgid), "%s", m->msgid);
		}
		if (s == OB_SENDING) {
			e->attempts++;
			e->dirty = 0;
		}
		if (s == OB_DEFERRED)
			e->next_try = time(NULL) + ob_backoff(e->attempts);
		if ((s == OB_SENT || s == OB_PARTIAL) && m != NULL)
			e->sent_at = m->sent_at;
		r = ob_save_locked(e);
	}
	pthread_mutex_unlock(&outbox_lock);
	return r;
}

/*
 * After a send: the copy into Sent, once.  1 when it is filed and, for a
 * partly refused message, the refused recipients are noted on the copy:
 * the Outbox has nothing more to say of it.
 */
static int
file_once(uint32_t id, const struct ob_msg *m, int partial)
{
	char note[sizeof(((struct ob_entry *)0)->error) + 16];
	struct ob_entry *e;
	int r, noted;

	note[0] = '\0';
	if (partial) {
		pthread_mutex_lock(&outbox_lock);
		if ((e = ob_find_locked(id)) != NULL)
			snprintf(note, sizeof(note), "refused: %s", e->error);
		pthread_mutex_unlock(&outbox_lock);
	}
	if ((r = file_copy(m, partial ? note : NULL, &noted)) != 0) {
		pthread_mutex_lock(&outbox_lock);
		if ((e = ob_find_locked(id)) != NULL)
			e->next_try = time(NULL) + ob_backoff(1);
		pthread_mutex_unlock(&outbox_lock);
		return 0;
	}
	pthread_mutex_lock(&outbox_lock);
	if ((e = ob_find_locked(id)) != NULL) {
		e->filed = 1;
		(void)ob_save_locked(e);
	}
	pthread_mutex_unlock(&outbox_lock);
	return !partial || noted;
}

/* The refused recipients of res as one line, into buf. */
static void
refused_text(const struct submit_result *res, char *buf, size_t size)
{
	char reply[600];
	size_t i, o = 0;

	buf[0] = '\0';
	for (i = 0; i < res->nrcpts && o < size; i++) {
		if (res->rcpts[i].accepted)
			continue;
		submit_reply_text(&res->rcpts[i].reply, reply, sizeof(reply));
		o += (size_t)snprintf(buf + o, size - o, "%s%s", o > 0 ? "; " : "", reply);
	}
}

int
ob_send(uint32_t id, int force)
{
	struct submit_result res;
	struct submit_msg sm;
	struct ob_msg m;
	enum ob_state state;
	char text[600];
	int fd, r, gone = 0;

	if ((r = take(id, &m, &fd, &state)) != 0)
		return r == ENOENT ? 0 : r;
	if (!force && state != OB_DRAFT && state != OB_DEFERRED) {
		close(fd);
		give_back(id, 0);
		return 0;
	}
	if ((r = prepare(fd, &m)) != 0) {
		close(fd);
		if (r == EINVAL) {
			log_msg(LOG_WARNING, "Outbox/%s not sent: %s", m.name, m.why);
			(void)set_state(id, OB_INVALID, m.why, NULL);
		}
		msg_clear(&m);
		give_back(id, 0);
		return r;
	}
	close(fd);
	/* On disk before a byte goes out: a crash from here on is "unknown". */
	if ((r = set_state(id, OB_SENDING, "", &m)) != 0) {
		msg_clear(&m);
		give_back(id, 0);
		return r;
	}
	memset(&sm, 0, sizeof(sm));
	sm.from = m.p.from;
	sm.rcpts = m.p.rcpts;
	sm.nrcpts = m.p.nrcpts;
	sm.data = m.p.wire;
	sm.len = m.p.wire_len;
	sm.name = m.name;
	r = submit_send(ob_submitter(), &sm, &res);
	submit_reply_text(&res.reply, text, sizeof(text));
	switch (res.outcome) {
	case SUBMIT_SENT:
		m.sent_at = time(NULL);
		(void)set_state(id, OB_SENT, "", &m);
		log_msg(LOG_INFO, "Outbox/%s sent to %zu recipient%s", m.name, sm.nrcpts,
		    sm.nrcpts == 1 ? "" : "s");
		gone = file_once(id, &m, 0);
		r = 0;
		break;
	case SUBMIT_PARTIAL:
		refused_text(&res, text, sizeof(text));
		m.sent_at = time(NULL);
		(void)set_state(id, OB_PARTIAL, text, &m);
		log_msg(LOG_WARNING, "Outbox/%s sent to some recipients only; refused: %s",
		    m.name, text);
		gone = file_once(id, &m, 1);
		r = EIO;
		break;
	case SUBMIT_REFUSED:
		(void)set_state(id, r == EINVAL ? OB_INVALID : OB_FAILED, text, NULL);
		log_msg(LOG_WARNING, "Outbox/%s refused: %s", m.name, text);
		r = r == EINVAL ? EINVAL : EIO;
		break;
	case SUBMIT_DEFERRED:
		(void)set_state(id, OB_DEFERRED, text, NULL);
		log_msg(LOG_WARNING, "Outbox/%s deferred: %s", m.name, text);
		r = 0;		/* queued: sent later (mailfs(1)) */
		break;
	default:
		(void)set_state(id, OB_UNKNOWN, text[0] != '\0' ? text :
		    "no answer after the message went out", NULL);
		log_msg(LOG_WARNING, "Outbox/%s: no answer after it went out: it may have "
		    "been sent; not sent again unless asked", m.name);
		r = EIO;
		break;
	}
	submit_result_clear(&res);
	msg_clear(&m);
	give_back(id, gone);
	return r;
}

int
ob_file_again(uint32_t id)
{
	struct ob_msg m;
	enum ob_state state;
	int fd, r, gone = 0;

	if ((r = take(id, &m, &fd, &state)) != 0)
		return r;
	r = prepare(fd, &m);
	close(fd);
	if (r == 0 && (state == OB_SENT || state == OB_PARTIAL))
		gone = file_once(id, &m, state == OB_PARTIAL);
	msg_clear(&m);
	give_back(id, gone);
	return r;
}
