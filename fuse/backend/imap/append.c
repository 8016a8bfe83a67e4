/*
 * The IMAP backend: append (see imap.h, backend.h append()).
 *
 * An append is one APPEND.  When its answer is lost (the connection
 * drops after the literal went out), the message may or may not be on
 * the server: before anything is sent again, the folder is searched,
 * from the UIDNEXT seen before the APPEND, for a message of the same
 * size, INTERNALDATE and Message-ID (imap_find()), so that a retry never
 * makes a second copy; that search runs at once on a new connection, so
 * that the call fails exactly when no message was made.  When even that
 * cannot be asked, the append is remembered as lost (lost_lock, a leaf)
 * and the next append of the same message searches first.
 *
 * RFC 3501 6.3.11 (APPEND), RFC 4315 (APPENDUID).
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <mailfs/commands.h>

#include "errmap.h"
#include "imap.h"
#include "log.h"
#include "pool.h"
#include "recover.h"

/*
 * An append whose outcome is unknown: the message (by a hash of its
 * folder, bytes, date and Message-ID) and the UID to search from.
 */
struct lost {
	uint64_t key;
	uint32_t from;
	struct lost *next;
};

static pthread_mutex_t lost_lock = PTHREAD_MUTEX_INITIALIZER;
static struct lost *lost_list;

static uint64_t
fnv(uint64_t h, const void *p, size_t len)
{
	const unsigned char *s = p;
	size_t i;

	for (i = 0; i < len; i++)
		h = (h ^ s[i]) * 0x100000001b3ULL;
	return h;
}

static uint64_t
lost_key(const char *mailbox, const struct be_new_msg *m)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	h = fnv(h, mailbox, strlen(mailbox) + 1);
	h = fnv(h, &m->date, sizeof(m->date));
	h = fnv(h, &m->len, sizeof(m->len));
	if (m->msgid != NULL)
		h = fnv(h, m->msgid, strlen(m->msgid) + 1);
	return fnv(h, m->data, m->len);
}

/* Where to search for the message of key first (0: no append of it was lost). */
static uint32_t
lost_from(uint64_t key)
{
	struct lost *l;
	uint32_t from = 0;

	pthread_mutex_lock(&lost_lock);
	for (l = lost_list; l != NULL && l->key != key; l = l->next)
		;
	if (l != NULL)
		from = l->from;
	pthread_mutex_unlock(&lost_lock);
	return from;
}

/*
 * Remembers (from > 0) or forgets (0) where to search for the message of
 * key.  Out of memory it is not remembered: the next append of it sends
 * it without searching, as a new file would.
 */
static void
lost_set(uint64_t key, uint32_t from)
{
	struct lost **lp, *l;

	pthread_mutex_lock(&lost_lock);
	for (lp = &lost_list; (l = *lp) != NULL && l->key != key; lp = &l->next)
		;
	if (l != NULL && from != 0)
		l->from = from;
	else if (l != NULL) {
		*lp = l->next;
		free(l);
	} else if (from != 0 && (l = calloc(1, sizeof(*l))) != NULL) {
		l->key = key;
		l->from = from;
		l->next = lost_list;
		lost_list = l;
	}
	pthread_mutex_unlock(&lost_lock);
}

void
imap_append_forget(void)
{
	struct lost *l;

	pthread_mutex_lock(&lost_lock);
	while ((l = lost_list) != NULL) {
		lost_list = l->next;
		free(l);
	}
	pthread_mutex_unlock(&lost_lock);
}

static int
lost_any(void)
{
	int any;

	pthread_mutex_lock(&lost_lock);
	any = lost_list != NULL;
	pthread_mutex_unlock(&lost_lock);
	return any;
}

int
imap_append(struct backend *be, const char *mailbox, const struct be_new_msg *m,
    uint32_t *uid_r, uint32_t *uidvalidity_r)
{
	struct mailfs_cmd_result res;
	struct mailfs_error err;
	struct mailfs_client *c;
	struct pool_conn *pc;
	const struct mailfs_mailbox_state *mb;
	uint32_t uid = 0, uidvalidity = 0, from, check_from = 0;
	uint64_t key = 0;
	int r, broken, keyed;

	(void)be;
	if ((r = imap_conn(mailbox, &pc)) != 0)
		return r;
	c = pool_client(pc);
	mb = mailfs_client_mailbox(c);
	/* The key costs a pass over the bytes: only when an append was lost. */
	if ((keyed = lost_any()) != 0)
		check_from = lost_from(key = lost_key(mailbox, m));
	if (check_from == 0 && m->maybe_there && m->msgid != NULL)
		check_from = 1;
	if (check_from != 0) {
		/* The last APPEND's answer was lost: did it land after all? */
		if (imap_find(c, check_from, m->len, m->date, m->msgid, &uid) == -1) {
			err = *mailfs_client_error(c);
			goto fail;
		}
		if (uid != 0) {
			uidvalidity = mb->uidvalidity;
			log_msg(LOG_NOTICE, "\"%s\" was in \"%s\" already (UID %u): not sent again",
			    m->name, mailbox, (unsigned)uid);
			goto landed;
		}
	}
	from = mb->uidnext != 0 ? mb->uidnext : 1;
	memset(&res, 0, sizeof(res));
	check_from = from;
	if (mailfs_run(c, mailfs_append(c, mailbox, m->flags, m->date, m->data, m->len),
	    &res) == 0) {
		uid = mailfs_uidset_nth(&res.dst_uids, 0);
		uidvalidity = res.uidvalidity;
		mailfs_cmd_result_clear(&res);
		if (uid == 0) {
			/* No APPENDUID (no UIDPLUS): look for it. */
			uidvalidity = mb->uidvalidity;
			if (imap_find(c, from, m->len, m->date, m->msgid, &uid) == -1) {
				/*
				 * It landed whatever the search says: asked again
				 * on a new connection, else its UID stays unknown
				 * (the next listing names it).
				 */
				pool_put(pc, 1);
				pc = NULL;
				if (imap_find_in(mailbox, from, m->len, m->date,
				    m->msgid, &uid, &uidvalidity) != 0)
					uid = 0;
			}
		}
		goto landed;
	}
	mailfs_cmd_result_clear(&res);
	err = *mailfs_client_error(c);
	broken = imap_lost(c, &err);
	pool_put(pc, 1);
	pc = NULL;
	if (!broken) {
		check_from = 0;	/* the server said no: nothing was made */
		goto fail;
	}
	/* Whether it landed decides what the caller says: ask on a new connection. */
	if (imap_find_in(mailbox, from, m->len, m->date, m->msgid, &uid, &uidvalidity) != 0 ||
	    uid == 0)
		goto fail;	/* err: the lost connection */
	log_msg(LOG_NOTICE, "the connection broke after \"%s\" was sent; it is in \"%s\" "
	    "(UID %u)", m->name, mailbox, (unsigned)uid);
landed:
	if (keyed)
		lost_set(key, 0);
	if (pc != NULL)
		pool_put(pc, 0);
	*uid_r = uid;
	*uidvalidity_r = uidvalidity;
	return 0;
fail:
	if (check_from != 0)
		lost_set(keyed ? key : lost_key(mailbox, m), check_from);
	else if (keyed)
		lost_set(key, 0);
	if (pc != NULL)
		pool_put(pc, 1);
	log_msg(LOG_WARNING, "cannot upload \"%s\" to \"%s\": %s%s%s", m->name, mailbox,
	    err.msg, m->note != NULL ? "; " : "", m->note != NULL ? m->note : "");
	return errmap_op_errno(&err, ERRMAP_APPEND);
}
