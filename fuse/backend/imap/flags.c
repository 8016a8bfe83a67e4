/*
 * The IMAP backend: set_flags, quota (see imap.h).
 *
 * RFC 3501 2.3.2 (flags), 6.4.6 (STORE), 7.1 (PERMANENTFLAGS);
 * RFC 9208 (GETQUOTAROOT).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <mailfs/commands.h>

#include "errmap.h"
#include "imap.h"
#include "log.h"
#include "pool.h"

/* 1 when the atom (len bytes) is in the space-separated list, case-insensitively. */
static int
in_list(const char *list, const char *atom, size_t len)
{
	const char *p = list, *end;

	while (p != NULL && *p != '\0') {
		while (*p == ' ')
			p++;
		end = strchr(p, ' ');
		if ((size_t)((end != NULL ? end : p + strlen(p)) - p) == len &&
		    strncasecmp(p, atom, len) == 0)
			return 1;
		p = end;
	}
	return 0;
}

/* The first flag of list that permanent (PERMANENTFLAGS) does not allow, or NULL. */
static const char *
refused_flag(const char *list, const char *permanent, size_t *len_r)
{
	const char *p = list, *end;
	size_t len;
	int any_keyword = permanent == NULL || in_list(permanent, "\\*", 2);

	if (permanent == NULL)
		return NULL;	/* no PERMANENTFLAGS: every flag is permanent (RFC 3501 7.1) */
	while (*p != '\0') {
		end = strchr(p, ' ');
		len = end != NULL ? (size_t)(end - p) : strlen(p);
		if (!in_list(permanent, p, len) && (p[0] == '\\' || !any_keyword)) {
			*len_r = len;
			return p;
		}
		p = end != NULL ? end + 1 : p + len;
	}
	return NULL;
}

/* What the STORE's answer says of the message: its FETCH FLAGS and MODSEQ. */
struct store_result {
	struct be_msg *m;	/* m->uid: the message; NULL: not wanted */
	char *buf;
	size_t size;
};

static void
on_store_fetch(void *ctx, const struct mailfs_msg *m)
{
	struct store_result *sr = ctx;

	if (sr->m == NULL || !(m->present & MAILFS_MSG_UID) ||
	    m->uid != sr->m->uid)
		return;
	if ((m->present & MAILFS_MSG_FLAGS) && sr->size > 0) {
		snprintf(sr->buf, sr->size, "%s", m->flags);
		sr->m->flags = sr->buf;
	}
	if (m->present & MAILFS_MSG_MODSEQ)
		sr->m->modseq = m->modseq;
}

int
imap_set_flags(struct be_folder *f, uint32_t uidvalidity, uint32_t uid,
    enum be_flags_mode mode, const char *flags, struct be_msg *m_r, char *buf,
    size_t size)
{
	static const enum mailfs_store_op ops[] = {
		[BE_FLAGS_SET] = MAILFS_STORE_SET,
		[BE_FLAGS_ADD] = MAILFS_STORE_ADD,
		[BE_FLAGS_REMOVE] = MAILFS_STORE_REMOVE
	};
	struct mailfs_client *c = pool_client(f->pc);
	struct store_result sr = { m_r, buf, size };
	struct mailfs_handlers h;
	struct mailfs_error err;
	const char *bad;
	char uidtext[16];
	size_t badlen;

	if (mailfs_client_mailbox(c)->uidvalidity != uidvalidity)
		return ESTALE;
	/*
	 * Removing a flag the server does not keep loses nothing: only
	 * adding one is refused.
	 */
	if (mode != BE_FLAGS_REMOVE && (bad = refused_flag(flags,
	    mailfs_client_mailbox(c)->permanent_flags, &badlen)) != NULL) {
		log_msg(LOG_NOTICE, "the server does not store the flag %.*s in \"%s\"",
		    (int)badlen, bad, f->mailbox);
		return EPERM;
	}
	if (m_r != NULL) {
		memset(m_r, 0, sizeof(*m_r));
		m_r->uid = uid;
	}
	memset(&h, 0, sizeof(h));
	h.fetch = on_store_fetch;
	h.ctx = &sr;
	snprintf(uidtext, sizeof(uidtext), "%u", (unsigned)uid);
	if (mailfs_run(c, mailfs_uid_store(c, uidtext, ops[mode], flags, 0, 0, &h),
	    NULL) == -1) {
		err = *mailfs_client_error(c);
		log_msg(LOG_WARNING, "cannot store the flags of message %s in \"%s\": %s",
		    uidtext, f->mailbox, err.msg);
		return errmap_op_errno(&err, ERRMAP_STORE);
	}
	return 0;
}

/* INBOX's STORAGE quota, the first the server names. */
struct quota_result {
	int got;
	struct be_quota *q;
};

static void
on_quota(void *ctx, const struct mailfs_quota *q)
{
	struct quota_result *qr = ctx;

	if (strcasecmp(q->resource, "STORAGE") == 0 && !qr->got) {
		qr->got = 1;
		qr->q->usage = q->usage;
		qr->q->limit = q->limit;
	}
}

int
imap_quota(struct backend *be, struct be_quota *q_r, char *why, size_t size)
{
	struct quota_result qr = { 0, q_r };
	struct mailfs_handlers h;
	struct mailfs_error err;
	struct pool_conn *pc;
	struct mailfs_client *c;

	(void)be;
	if (!(pool_capabilities() & MAILFS_CAP_QUOTA)) {
		snprintf(why, size, "the server does not offer QUOTA");
		return EPERM;
	}
	if ((pc = pool_get(NULL, &err)) == NULL) {
		snprintf(why, size, "%s", err.msg);
		return errmap_errno(&err);
	}
	c = pool_client(pc);
	memset(&h, 0, sizeof(h));
	h.quota = on_quota;
	h.ctx = &qr;
	if (mailfs_run(c, mailfs_getquotaroot(c, "INBOX", &h), NULL) == -1) {
		err = *mailfs_client_error(c);
		snprintf(why, size, "GETQUOTAROOT: %s", err.msg);
		log_msg(LOG_DEBUG, "%s", why);
		pool_put(pc, 1);
		return errmap_errno(&err);
	}
	pool_put(pc, 0);
	if (!qr.got) {
		snprintf(why, size, "GETQUOTAROOT named no STORAGE limit");
		return ENOENT;
	}
	return 0;
}
