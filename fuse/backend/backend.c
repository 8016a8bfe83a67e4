/*
 * Dispatch of the backend contract (see backend.h): each call goes to
 * the source's operation, or fails with EPERM when the source lacks it.
 * Opening, listing and fetching are timed for the profile (profile.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "backend.h"
#include "profile.h"

#define CALL(be, op, ...) \
	((be)->ops->op != NULL ? (be)->ops->op(__VA_ARGS__) : EPERM)

void
be_status_merge(struct be_status *to, const struct be_status *from)
{
	if (from->present & BE_STATUS_MESSAGES)
		to->messages = from->messages;
	if (from->present & BE_STATUS_UIDNEXT)
		to->uidnext = from->uidnext;
	if (from->present & BE_STATUS_UIDVALIDITY)
		to->uidvalidity = from->uidvalidity;
	if (from->present & BE_STATUS_HIGHESTMODSEQ)
		to->highestmodseq = from->highestmodseq;
	to->present |= from->present;
}

/* The Message-ID of the header, when it can go into a SEARCH as a quoted string. */
void
be_message_id(const char *buf, size_t len, char *out, size_t size)
{
	const char *p = buf, *end = buf + len, *eol, *v;
	size_t n;

	out[0] = '\0';
	while (p < end) {
		if ((eol = memchr(p, '\n', (size_t)(end - p))) == NULL)
			eol = end;
		if (eol == p || (eol == p + 1 && p[0] == '\r'))
			return;		/* the end of the header */
		if (eol - p > 11 && strncasecmp(p, "Message-ID:", 11) == 0) {
			for (v = p + 11; v < eol && (*v == ' ' || *v == '\t'); v++)
				;
			for (n = 0; v + n < eol && v[n] > ' ' && v[n] < 0x7f &&
			    v[n] != '"' && v[n] != '\\'; n++)
				;
			if (n > 0 && n < size && n < 250) {
				memcpy(out, v, n);
				out[n] = '\0';
			}
			return;
		}
		p = eol + 1;
	}
}

struct list_item *
list_result_find(const struct list_result *lr, const char *name)
{
	size_t i;

	for (i = 0; i < lr->n; i++)
		if (strcmp(lr->v[i].name, name) == 0)
			return &lr->v[i];
	return NULL;
}

void
list_result_clear(struct list_result *lr)
{
	size_t i;

	for (i = 0; i < lr->n; i++)
		free(lr->v[i].name);
	free(lr->v);
	lr->v = NULL;
	lr->n = lr->cap = 0;
	lr->incomplete = 0;
}

void
backend_free(struct backend *be)
{
	if (be != NULL)
		be->ops->free(be);
}

void
backend_cancel(struct backend *be, int on)
{
	if (be->ops->cancel != NULL)
		be->ops->cancel(be, on);
}

unsigned
backend_caps(struct backend *be)
{
	return be->ops->caps != NULL ? be->ops->caps(be) : 0;
}

int
backend_list(struct backend *be, struct list_result *lr)
{
	return CALL(be, list, be, lr);
}

int
backend_status(struct backend *be, const char *mailbox, struct be_status *st_r)
{
	return CALL(be, status, be, mailbox, st_r);
}

int
backend_create(struct backend *be, const char *mailbox, char delim)
{
	return CALL(be, create, be, mailbox, delim);
}

int
backend_remove(struct backend *be, const char *mailbox, char delim, int selectable)
{
	return CALL(be, remove, be, mailbox, delim, selectable);
}

int
backend_rename(struct backend *be, const char *from, const char *to, char delim)
{
	return CALL(be, rename, be, from, to, delim);
}

int
backend_quota(struct backend *be, struct be_quota *q_r, char *why, size_t size)
{
	if (be->ops->quota == NULL)
		snprintf(why, size, "the %s backend has none", be->name);
	return CALL(be, quota, be, q_r, why, size);
}

int
backend_open(struct backend *be, const char *mailbox, struct be_folder **f_r,
    struct be_status *st_r)
{
	uint64_t t0 = profile_now();
	int r;

	r = CALL(be, open, be, mailbox, f_r, st_r);
	profile_since(PROF_OPEN_N, PROF_OPEN_US, t0);
	return r;
}

int
backend_open_lazy(struct backend *be, const char *mailbox, struct be_folder **f_r)
{
	struct be_status st;
	uint64_t t0 = profile_now();
	int r;

	if (be->ops->open_lazy == NULL)
		r = CALL(be, open, be, mailbox, f_r, &st);
	else
		r = be->ops->open_lazy(be, mailbox, f_r);
	profile_since(PROF_OPEN_N, PROF_OPEN_US, t0);
	return r;
}

void
backend_close(struct backend *be, struct be_folder *f, int failed)
{
	if (f != NULL)
		be->ops->close(f, failed);
}

int
backend_refresh(struct backend *be, struct be_folder *f, struct be_status *st_r)
{
	return CALL(be, refresh, f, st_r);
}

int
backend_listing(struct backend *be, struct be_folder *f, uint64_t since,
    const struct be_listing_cb *cb, struct be_status *st_r)
{
	uint64_t t0 = profile_now();
	int r;

	r = CALL(be, listing, f, since, cb, st_r);
	profile_since(PROF_LISTING_N, PROF_LISTING_US, t0);
	return r;
}

int
backend_fetch(struct backend *be, struct be_folder *f, uint32_t uidvalidity,
    const char *uids, const struct be_body_cb *cb)
{
	uint64_t t0 = profile_now();
	int r;

	r = CALL(be, fetch, f, uidvalidity, uids, cb);
	profile_since(PROF_FETCH_N, PROF_FETCH_US, t0);
	return r;
}

int
backend_set_flags(struct backend *be, struct be_folder *f, uint32_t uidvalidity,
    uint32_t uid, enum be_flags_mode mode, const char *flags, struct be_msg *m_r,
    char *buf, size_t size)
{
	return CALL(be, set_flags, f, uidvalidity, uid, mode, flags, m_r, buf, size);
}

int
backend_expunge(struct backend *be, struct be_folder *f, uint32_t uidvalidity,
    uint32_t uid)
{
	return CALL(be, expunge, f, uidvalidity, uid);
}

int
backend_move(struct backend *be, struct be_folder *f, uint32_t uidvalidity,
    const struct be_msg *m, const char *dst, uint32_t *uid_r, uint32_t *uidvalidity_r)
{
	return CALL(be, move, f, uidvalidity, m, dst, uid_r, uidvalidity_r);
}

int
backend_append(struct backend *be, const char *mailbox, const struct be_new_msg *m,
    uint32_t *uid_r, uint32_t *uidvalidity_r)
{
	return CALL(be, append, be, mailbox, m, uid_r, uidvalidity_r);
}

int
backend_wait_changes(struct backend *be, unsigned timeout_ms)
{
	return CALL(be, wait_changes, be, timeout_ms);
}
