/*
 * The alias map of a folder and its journal (see alias.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uthash.h>

#include "alias.h"
#include "cache.h"
#include "folder.h"
#include "log.h"

#define JOURNAL_MAX	(64u << 20)	/* a journal larger than this is not read */

struct alias {
	uint32_t uid;
	UT_hash_handle hh_name;
	UT_hash_handle hh_uid;
	char name[];
};

static struct alias *
by_uid(const struct folder *f, uint32_t uid)
{
	struct alias *a;

	HASH_FIND(hh_uid, f->alias_by_uid, &uid, sizeof(uid), a);
	return a;
}

static struct alias *
by_name(const struct folder *f, const char *name)
{
	struct alias *a;

	HASH_FIND(hh_name, f->alias_by_name, name, strlen(name), a);
	return a;
}

static void
forget(struct folder *f, struct alias *a)
{
	HASH_DELETE(hh_name, f->alias_by_name, a);
	HASH_DELETE(hh_uid, f->alias_by_uid, a);
	free(a);
}

/* Adds to memory only; a previous alias of uid or holder of name must be gone. */
static int
remember(struct folder *f, uint32_t uid, const char *name)
{
	size_t len = strlen(name);
	struct alias *a;

	if ((a = malloc(sizeof(*a) + len + 1)) == NULL)
		return ENOMEM;
	memset(a, 0, sizeof(*a));
	a->uid = uid;
	memcpy(a->name, name, len + 1);
	HASH_ADD(hh_uid, f->alias_by_uid, uid, sizeof(a->uid), a);
	HASH_ADD_KEYPTR(hh_name, f->alias_by_name, a->name, len, a);
	return 0;
}

/* Keeps one record for alias_hold_locked(f, 0): 0, or ENOMEM (then it is written now). */
static int
hold(struct folder *f, const char *rec, size_t len)
{
	size_t cap;
	char *tmp;

	if (f->alias_held_len + len > f->alias_held_cap) {
		cap = f->alias_held_cap == 0 ? 4096 : f->alias_held_cap;
		while (cap < f->alias_held_len + len)
			cap *= 2;
		if ((tmp = realloc(f->alias_held, cap)) == NULL)
			return ENOMEM;
		f->alias_held = tmp;
		f->alias_held_cap = cap;
	}
	memcpy(f->alias_held + f->alias_held_len, rec, len);
	f->alias_held_len += len;
	return 0;
}

void
alias_hold_locked(struct folder *f, int on)
{
	int r;

	f->alias_holding = on;
	if (on || f->alias_held_len == 0)
		return;
	if (f->alias_mailbox != NULL && (r = cache_meta_put(f->alias_mailbox,
	    f->alias_uidvalidity, "aliases", f->alias_held, f->alias_held_len, 1)) != 0)
		log_msg(LOG_WARNING, "cannot save the names of \"%s\": %s", f->alias_mailbox,
		    strerror(r));
	free(f->alias_held);
	f->alias_held = NULL;
	f->alias_held_len = f->alias_held_cap = 0;
}

/* Appends one record; a failure is logged and costs only the name's persistence. */
static void
journal(struct folder *f, const char *rec, size_t len)
{
	int r;

	if (f->alias_mailbox == NULL)
		return;
	if (f->alias_holding && hold(f, rec, len) == 0) {
		f->alias_records++;
		return;
	}
	if ((r = cache_meta_put(f->alias_mailbox, f->alias_uidvalidity, "aliases", rec, len,
	    1)) != 0)
		log_msg(LOG_WARNING, "cannot save the names of \"%s\": %s", f->alias_mailbox,
		    strerror(r));
	f->alias_records++;
}

static void
journal_set(struct folder *f, uint32_t uid, const char *name)
{
	char rec[NAMES_COMPONENT_MAX + 16];
	int n;

	n = snprintf(rec, sizeof(rec), "+%u %s", (unsigned)uid, name);
	if (n > 0 && (size_t)n < sizeof(rec))
		journal(f, rec, (size_t)n + 1);
}

static void
journal_del(struct folder *f, uint32_t uid)
{
	char rec[16];
	int n;

	n = snprintf(rec, sizeof(rec), "-%u", (unsigned)uid);
	journal(f, rec, (size_t)n + 1);
}

void
alias_clear_locked(struct folder *f)
{
	struct alias *a, *tmp;

	HASH_ITER(hh_uid, f->alias_by_uid, a, tmp)
		forget(f, a);
	/* Held records are of the generation that goes. */
	free(f->alias_held);
	f->alias_held = NULL;
	f->alias_held_len = f->alias_held_cap = 0;
	free(f->alias_mailbox);
	f->alias_mailbox = NULL;
	f->alias_uidvalidity = 0;
	f->alias_records = 0;
}

/* Parses "123" (no sign, no spaces) up to end; 0 when it is no UID. */
static uint32_t
parse_uid(const char *p, const char *end)
{
	uint64_t v = 0;

	if (p == end)
		return 0;
	for (; p < end; p++) {
		if (*p < '0' || *p > '9')
			return 0;
		v = v * 10 + (uint64_t)(*p - '0');
		if (v > UINT32_MAX)
			return 0;
	}
	return (uint32_t)v;
}

/* Replays a journal into f; returns the number of records. */
static size_t
replay_locked(struct folder *f, const char *buf, size_t len)
{
	const char *p = buf, *end = buf + len, *nul, *sp;
	struct alias *a;
	size_t records = 0;
	uint32_t uid;

	while (p < end && (nul = memchr(p, '\0', (size_t)(end - p))) != NULL) {
		records++;
		if (*p == '+' && (sp = memchr(p, ' ', (size_t)(nul - p))) != NULL &&
		    (uid = parse_uid(p + 1, sp)) != 0 && sp + 1 < nul &&
		    strchr(sp + 1, '/') == NULL && nul - sp - 1 <= NAMES_COMPONENT_MAX &&
		    strcmp(sp + 1, ".") != 0 && strcmp(sp + 1, "..") != 0) {
			if ((a = by_uid(f, uid)) != NULL)
				forget(f, a);
			if ((a = by_name(f, sp + 1)) != NULL)
				forget(f, a);
			(void)remember(f, uid, sp + 1);
		} else if (*p == '-' && (uid = parse_uid(p + 1, nul)) != 0) {
			if ((a = by_uid(f, uid)) != NULL)
				forget(f, a);
		}
		p = nul + 1;
	}
	return records;
}

size_t
alias_replay_locked(struct folder *f, const char *buf, size_t len)
{
	return replay_locked(f, buf, len);
}

/* Rewrites the journal with only what counts (it grows by every rename). */
static void
compact_locked(struct folder *f)
{
	char *buf = NULL, *p;
	struct alias *a, *t;
	size_t n = 0, len = 0, size = 0;
	int w;

	HASH_ITER(hh_uid, f->alias_by_uid, a, t)
		size += strlen(a->name) + 16;
	if ((buf = malloc(size + 1)) == NULL)
		return;
	HASH_ITER(hh_uid, f->alias_by_uid, a, t) {
		p = buf + len;
		w = snprintf(p, size + 1 - len, "+%u %s", (unsigned)a->uid, a->name);
		len += (size_t)w + 1;
		n++;
	}
	if (cache_meta_put(f->alias_mailbox, f->alias_uidvalidity, "aliases", buf, len, 0) == 0)
		f->alias_records = n;
	free(buf);
}

void
alias_load(struct folder *f, const char *mailbox, uint32_t uidvalidity)
{
	void *buf = NULL;
	size_t got = 0;
	int r;

	folder_lock(f);
	r = f->alias_uidvalidity == uidvalidity;
	folder_unlock(f);
	if (r || uidvalidity == 0)
		return;
	if ((r = cache_meta_get(mailbox, uidvalidity, "aliases", &buf, &got)) != 0 &&
	    r != ENOENT)
		log_msg(LOG_WARNING, "cannot read the names of \"%s\": %s", mailbox,
		    strerror(r));
	if (got > JOURNAL_MAX)
		got = 0;
	folder_lock(f);
	alias_clear_locked(f);
	f->alias_uidvalidity = uidvalidity;
	f->alias_mailbox = strdup(mailbox);
	if (got > 0)
		f->alias_records = replay_locked(f, buf, got);
	if (f->alias_mailbox != NULL && f->alias_records > 64 &&
	    f->alias_records > 2 * HASH_CNT(hh_uid, f->alias_by_uid))
		compact_locked(f);
	folder_unlock(f);
	free(buf);
}

/*
 * The UID of this folder that name, a name of names_msg()'s form, stands
 * for: 1 with *uid_r, or 0 when it is no such name or one of another
 * UIDVALIDITY (a message moved here from another folder, or nothing).
 */
static int
own_uid(const struct folder *f, const char *name, uint32_t *uid_r)
{
	uint32_t v;

	return names_msg_uid(name, &v, uid_r) == 0 && v == f->uidvalidity;
}

void
alias_prune_locked(struct folder *f)
{
	char name[NAMES_COMPONENT_MAX + 1];
	struct alias *a, *tmp;
	uint32_t n;
	unsigned k;

	if (!f->loaded || f->alias_by_uid == NULL)
		return;
	HASH_ITER(hh_uid, f->alias_by_uid, a, tmp)
		if (folder_find_locked(f, a->uid) < 0) {
			journal_del(f, a->uid);
			forget(f, a);
		}
	/*
	 * A name of this folder's form that a message was given here (a
	 * rename, or an editor's save over it) keeps it, and the message that
	 * later gets that UID here needs another name.
	 */
	HASH_ITER(hh_uid, f->alias_by_uid, a, tmp) {
		if (!own_uid(f, a->name, &n) || n == a->uid ||
		    folder_find_locked(f, n) < 0 || by_uid(f, n) != NULL)
			continue;
		names_msg(f->uidvalidity, n, name);
		for (k = 2; k < 1000; k++) {
			snprintf(name + NAMES_MSG_LEN - 4, sizeof(name) - (NAMES_MSG_LEN - 4),
			    "-%u.eml", k);
			if (by_name(f, name) == NULL)
				break;
		}
		if (alias_set_locked(f, n, name) == 0)
			log_msg(LOG_INFO, "message %u is %s: its UID's name belongs to "
			    "another message", (unsigned)n, name);
	}
}

void
alias_msg_name_locked(const struct folder *f, uint32_t uid,
    char out[NAMES_COMPONENT_MAX + 1])
{
	struct alias *a;

	if ((a = by_uid(f, uid)) != NULL) {
		strncpy(out, a->name, NAMES_COMPONENT_MAX);
		out[NAMES_COMPONENT_MAX] = '\0';
	} else
		names_msg(f->uidvalidity, uid, out);
}

uint32_t
alias_lookup_locked(const struct folder *f, const char *name)
{
	struct alias *a;
	uint32_t uid;

	if ((a = by_name(f, name)) != NULL)
		return a->uid;
	if (!own_uid(f, name, &uid) || by_uid(f, uid) != NULL)
		return 0;
	return uid;
}

int
alias_set_locked(struct folder *f, uint32_t uid, const char *name)
{
	char natural[NAMES_MSG_LEN + 1];
	struct alias *a;

	if ((a = by_name(f, name)) != NULL && a->uid != uid) {
		journal_del(f, a->uid);
		forget(f, a);
	}
	if ((a = by_uid(f, uid)) != NULL) {
		if (strcmp(a->name, name) == 0)
			return 0;
		forget(f, a);
	}
	names_msg(f->uidvalidity, uid, natural);
	if (strcmp(name, natural) == 0) {
		journal_del(f, uid);
		return 0;
	}
	if (remember(f, uid, name) != 0)
		return ENOMEM;
	journal_set(f, uid, name);
	return 0;
}

void
alias_del_locked(struct folder *f, uint32_t uid)
{
	struct alias *a;

	if ((a = by_uid(f, uid)) != NULL) {
		journal_del(f, uid);
		forget(f, a);
	}
}

void
alias_move_locked(struct folder *f, const char *newmailbox)
{
	void *buf = NULL;
	size_t len = 0;
	char *dup;
	int r;

	if (f->alias_mailbox == NULL || f->alias_uidvalidity == 0)
		return;
	r = cache_meta_get(f->alias_mailbox, f->alias_uidvalidity, "aliases", &buf, &len);
	if (r == 0)
		r = cache_meta_put(newmailbox, f->alias_uidvalidity, "aliases", buf, len, 0);
	else if (r == ENOENT)
		r = 0;
	free(buf);
	if (r != 0) {
		log_msg(LOG_WARNING, "cannot move the names of \"%s\": %s", newmailbox,
		    strerror(r));
		return;
	}
	(void)cache_meta_put(f->alias_mailbox, f->alias_uidvalidity, "aliases", "", 0, 0);
	if ((dup = strdup(newmailbox)) != NULL) {
		free(f->alias_mailbox);
		f->alias_mailbox = dup;
	}
}
