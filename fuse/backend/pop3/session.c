/*
 * The maildrop's one folder, INBOX: open, close, refresh, listing, fetch
 * and expunge over the session (see maildrop.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "deadline.h"
#include "log.h"
#include "pop3_int.h"
#include "online.h"
#include "uidlname.h"

/* New messages whose Date: is asked with TOP in one session; the rest get the time seen. */
#define TOP_BUDGET	200
/* A message's bytes held in memory while it arrives; beyond, in a temporary file. */
#define MEM_MAX		(1u << 20)
#define CHUNK		65536

int
pop3_open(struct backend *be, const char *mailbox, struct be_folder **f_r,
    struct be_status *st_r)
{
	struct be_folder *f;
	int r;

	(void)be;
	if (strcasecmp(mailbox, "INBOX") != 0)
		return ENOENT;
	if ((r = pop3_lock()) != 0)
		return r;
	if ((r = pop3_map_ready()) != 0) {
		pop3_unlock();
		return r;
	}
	f = pop3_folder();
	f->broken = 0;
	memset(st_r, 0, sizeof(*st_r));
	st_r->present = BE_STATUS_UIDVALIDITY | BE_STATUS_UIDNEXT;
	st_r->uidvalidity = uidmap_uidvalidity();
	st_r->uidnext = uidmap_uidnext();
	*f_r = f;
	return 0;
}

void
pop3_close(struct be_folder *f, int failed)
{
	(void)pop3_session_end(f, !failed);
	f->broken = 0;
	pop3_unlock();
}

static void
status_of(const struct be_folder *f, struct be_status *st_r)
{
	memset(st_r, 0, sizeof(*st_r));
	st_r->present = BE_STATUS_UIDVALIDITY | BE_STATUS_UIDNEXT | BE_STATUS_MESSAGES;
	st_r->uidvalidity = uidmap_uidvalidity();
	st_r->uidnext = uidmap_uidnext();
	st_r->messages = (uint32_t)f->n;
}

int
pop3_refresh(struct be_folder *f, struct be_status *st_r)
{
	int r;

	if ((r = pop3_session(f, ONLINE_ERRNO)) != 0)
		return r;
	status_of(f, st_r);
	return 0;
}

int
pop3_listing(struct be_folder *f, uint64_t since, const struct be_listing_cb *cb,
    struct be_status *st_r)
{
	char name[NAMES_COMPONENT_MAX + 1];
	struct be_msg m;
	size_t i;
	int r;

	(void)since;	/* no deltas: every listing is whole */
	if ((r = pop3_session(f, ONLINE_ERRNO)) != 0)
		return r;
	for (i = 0; i < f->n; i++) {
		memset(&m, 0, sizeof(m));
		m.uid = f->msgs[i].e->uid;
		m.size = f->msgs[i].size > UINT32_MAX ? UINT32_MAX : (uint32_t)f->msgs[i].size;
		m.date = f->msgs[i].e->date;
		m.flags = "\\Seen";
		uidl_name(f->msgs[i].e->uidl, name);
		m.name = name;
		cb->msg(cb->ctx, &m);
	}
	status_of(f, st_r);
	return 0;
}

/* ---- Date: of new messages (TOP n 0) ---- */

static int
top_body(void *ctx, uint32_t number, uint64_t offset, const char *data, size_t len)
{
	(void)number;
	(void)offset;
	date_scan_feed(ctx, data, len);
	return 0;
}

static void
top_done(void *ctx, uint32_t number, uint64_t length)
{
	(void)ctx;
	(void)number;
	(void)length;
}

int
pop3_learn_dates(struct be_folder *f)
{
	struct date_scan ds;
	unsigned budget = TOP_BUDGET;
	int64_t t;
	size_t i;

	for (i = 0; i < f->n; i++) {
		if (f->msgs[i].e->date != 0)
			continue;
		t = INT64_MIN;
		if (budget > 0 && (mailfs_pop3_capabilities(f->c) & MAILFS_POP3_CAP_TOP)) {
			budget--;
			memset(&ds, 0, sizeof(ds));
			if (mailfs_pop3_top(f->c, f->msgs[i].number, 0, top_body, top_done,
			    &ds) == 0)
				t = date_scan_result(&ds);
			else if (!mailfs_pop3_is_ready(f->c))
				return -1;
		}
		/* Fixed once: an mtime that never changes (rsync). */
		uidmap_set_date(f->msgs[i].e->uid, t != INT64_MIN && t > 0 ? t :
		    (int64_t)time(NULL));
	}
	return 0;
}

/* ---- fetch ---- */

/* Parses a UID set ("4,7:9", "*" the highest) and says whether uid is in it. */
static int
in_set(const char *set, uint32_t uid)
{
	unsigned long a, b, t;
	const char *p = set;
	char *end;

	while (*p != '\0') {
		if (*p == '*') {
			a = UINT32_MAX;
			end = (char *)p + 1;
		} else
			a = strtoul(p, &end, 10);
		b = a;
		if (*end == ':') {
			p = end + 1;
			if (*p == '*') {
				b = UINT32_MAX;
				end = (char *)p + 1;
			} else
				b = strtoul(p, &end, 10);
		}
		if (end == p && *p != '*')
			return 0;
		if (a > b) {
			t = a;
			a = b;
			b = t;
		}
		if (uid >= a && uid <= b)
			return 1;
		if (*end != ',')
			return 0;
		p = end + 1;
	}
	return 0;
}

/*
 * A message as it arrives, held until its last byte: the store needs
 * its length before the first byte (backend.h's total), and LIST's size
 * is only a hint.
 */
struct fetch_ctx {
	struct be_folder *f;
	const struct be_body_cb *cb;
	char *buf;		/* the first MEM_MAX bytes */
	size_t len;
	FILE *spill;		/* the rest, NULL while it fits */
	int err;
};

static int
fetch_body(void *ctx, uint32_t number, uint64_t offset, const char *data, size_t len)
{
	struct fetch_ctx *fc = ctx;
	size_t room;

	(void)number;
	if (offset == 0) {
		fc->len = 0;
		if (fc->spill != NULL) {
			fclose(fc->spill);
			fc->spill = NULL;
		}
	}
	pop3_progress(fc->f);
	room = MEM_MAX - fc->len;
	if (room > len)
		room = len;
	memcpy(fc->buf + fc->len, data, room);
	fc->len += room;
	if (room < len) {
		if (fc->spill == NULL && (fc->spill = tmpfile()) == NULL) {
			fc->err = errno;
			return -1;
		}
		if (fwrite(data + room, 1, len - room, fc->spill) != len - room) {
			fc->err = EIO;
			return -1;
		}
	}
	return 0;
}

static uint32_t
uid_of_number(const struct be_folder *f, uint32_t number)
{
	size_t lo = 0, hi = f->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (f->msgs[mid].number == number)
			return f->msgs[mid].e->uid;
		if (f->msgs[mid].number < number)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

static void
fetch_done(void *ctx, uint32_t number, uint64_t length)
{
	struct fetch_ctx *fc = ctx;
	const struct pop3_msg *pm;
	struct be_msg m;
	char *spill;
	uint64_t off = 0;
	size_t n;

	memset(&m, 0, sizeof(m));
	if ((m.uid = uid_of_number(fc->f, number)) == 0 ||
	    (pm = pop3_msg_of(fc->f, m.uid)) == NULL)
		return;
	m.size = length > UINT32_MAX ? UINT32_MAX : (uint32_t)length;
	m.date = pm->e->date != 0 ? pm->e->date : INT64_MIN;
	if (pm->size != length)
		log_msg(LOG_INFO, "message %u is %llu bytes, not %llu as LIST said",
		    (unsigned)m.uid, (unsigned long long)length,
		    (unsigned long long)pm->size);
	for (off = 0; off < fc->len; off += n) {
		n = fc->len - off > CHUNK ? CHUNK : fc->len - off;
		fc->cb->chunk(fc->cb->ctx, m.uid, off, length, fc->buf + off, n);
	}
	if (fc->spill != NULL) {
		rewind(fc->spill);
		spill = fc->buf;	/* the memory's bytes are passed on: reused */
		while ((n = fread(spill, 1, CHUNK, fc->spill)) > 0) {
			fc->cb->chunk(fc->cb->ctx, m.uid, off, length, spill, n);
			off += n;
		}
		fclose(fc->spill);
		fc->spill = NULL;
	}
	if (off != length)
		return;		/* cut short: no done(), the bytes are thrown away */
	fc->cb->done(fc->cb->ctx, &m);
	fc->len = 0;
}

int
pop3_fetch(struct be_folder *f, uint32_t uidvalidity, const char *uids,
    const struct be_body_cb *cb)
{
	struct fetch_ctx fc;
	uint32_t *numbers;
	size_t i, n = 0;
	int r;

	if (uidvalidity != uidmap_uidvalidity())
		return ESTALE;
	if ((r = pop3_session(f, ONLINE_ERRNO)) != 0)
		return r;
	if ((numbers = malloc((f->n + 1) * sizeof(*numbers))) == NULL)
		return ENOMEM;
	for (i = 0; i < f->n; i++)
		if (in_set(uids, f->msgs[i].e->uid))
			numbers[n++] = f->msgs[i].number;
	memset(&fc, 0, sizeof(fc));
	fc.f = f;
	fc.cb = cb;
	if (n > 0 && (fc.buf = malloc(MEM_MAX)) == NULL) {
		free(numbers);
		return ENOMEM;
	}
	r = 0;
	if (n > 0 && mailfs_pop3_retr(f->c, numbers, n, fetch_body, fetch_done, &fc,
	    NULL) == -1) {
		r = fc.err != 0 ? fc.err : pop3_errno(mailfs_pop3_error(f->c));
		log_msg(LOG_WARNING, "POP3 RETR failed: %s",
		    fc.err != 0 ? strerror(fc.err) : mailfs_pop3_error(f->c)->msg);
		if (!mailfs_pop3_is_ready(f->c))
			f->broken = r;
	}
	if (fc.spill != NULL)
		fclose(fc.spill);
	free(fc.buf);
	free(numbers);
	return r;
}

/* ---- expunge ---- */

/* After a QUIT whose answer was lost: 1 when uidl is gone from the server, 0 if not, -1 unknown. */
static int
gone_after(struct be_folder *f, const char *uidl)
{
	struct timespec pause = { 0, 100 * 1000 * 1000 };
	const struct pop3_msg *pm;
	unsigned tries;
	size_t i;
	int r;

	/*
	 * The server may still be ending the session that lost its answer
	 * (expunging, holding the maildrop's lock): [IN-USE] for a moment.
	 */
	deadline_grace();
	for (tries = 0; ; tries++) {
		f->broken = 0;
		if ((r = pop3_session(f, EIO)) == 0)
			break;
		if (r != EAGAIN || tries == 20 || deadline_left_ms() == 0)
			return -1;
		nanosleep(&pause, NULL);
	}
	for (i = 0, r = 1; i < f->n; i++) {
		pm = &f->msgs[i];
		if (strcmp(pm->e->uidl, uidl) == 0)
			r = 0;
	}
	return r;
}

int
pop3_expunge(struct be_folder *f, uint32_t uidvalidity, uint32_t uid)
{
	const struct pop3_msg *pm;
	char *uidl;
	int r;

	if (uidvalidity != uidmap_uidvalidity())
		return ESTALE;
	/* Without the server nothing is deleted, nor queued: read-only until it is back. */
	if ((r = pop3_session(f, EROFS)) != 0)
		return r;
	if ((pm = pop3_msg_of(f, uid)) == NULL)
		return ENOENT;
	if (mailfs_pop3_dele(f->c, &pm->number, 1) == -1) {
		r = pop3_errno(mailfs_pop3_error(f->c));
		log_msg(LOG_WARNING, "POP3 DELE of message %u failed: %s (nothing was "
		    "deleted)", (unsigned)uid, mailfs_pop3_error(f->c)->msg);
		(void)pop3_session_end(f, 0);
		f->broken = r == ENOENT ? EIO : r;
		return r == ENOENT ? EIO : r;
	}
	if ((uidl = strdup(pm->e->uidl)) == NULL) {
		(void)pop3_session_end(f, 0);	/* dropped: nothing deleted */
		return ENOMEM;
	}
	/* The marks take effect with QUIT's +OK (RFC 1939 6). */
	if ((r = pop3_session_end(f, 1)) == 0) {
		free(uidl);
		return 0;
	}
	if (r == EIO || r == ETIMEDOUT || r == ECANCELED) {
		/* No answer: did the server delete it?  UIDL says. */
		switch (gone_after(f, uidl)) {
		case 1:
			log_msg(LOG_INFO, "QUIT's answer was lost, but message %u is "
			    "deleted", (unsigned)uid);
			free(uidl);
			return 0;
		case 0:
			log_msg(LOG_WARNING, "the connection was lost before QUIT was "
			    "answered: message %u was not deleted", (unsigned)uid);
			break;
		default:
			log_msg(LOG_WARNING, "the connection was lost before QUIT was "
			    "answered: whether message %u was deleted is not known "
			    "(the next listing shows it)", (unsigned)uid);
			break;
		}
	} else
		log_msg(LOG_WARNING, "the server refused to delete message %u at QUIT",
		    (unsigned)uid);
	free(uidl);
	f->broken = EIO;
	return EIO;
}
