/*
 * The made-up UIDs of a maildrop's messages (see maildrop.h), kept in
 * the store as a journal of text lines:
 *	V uidvalidity		first: the map's generation
 *	N next			the next UID (after a rewrite, as UIDs are never reused)
 *	+uid uidl		a UIDL seen for the first time
 *	=uid date		its date (seconds since the epoch)
 *	-uid			gone from the server
 * A line that does not parse is skipped: at worst a message gets a new
 * UID, never another message's.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <uthash.h>

#include "log.h"
#include "pop3_int.h"

struct ent {
	struct uidmap_entry pub;
	UT_hash_handle hh_uidl;
	UT_hash_handle hh_uid;
	char uidl[];
};

static const struct pop3_mapstore *store;
static struct ent *by_uidl, *by_uid;
static uint32_t uidvalidity, next_uid = 1;
static size_t records;		/* lines in the journal, to know when to rewrite it */
/*
 * Lines not saved yet, written by uidmap_commit() in one piece: a first
 * UIDL of a large maildrop is one write, not one a message.
 */
static char *pending;
static size_t npending, pcap, pending_lines;
static int pending_nomem;

uint32_t
uidmap_uidvalidity(void)
{
	return uidvalidity;
}

uint32_t
uidmap_uidnext(void)
{
	return next_uid;
}

static struct ent *
find_uid(uint32_t uid)
{
	struct ent *e;

	HASH_FIND(hh_uid, by_uid, &uid, sizeof(uid), e);
	return e;
}

static void
forget(struct ent *e)
{
	HASH_DELETE(hh_uidl, by_uidl, e);
	HASH_DELETE(hh_uid, by_uid, e);
	free(e);
}

static struct ent *
remember(uint32_t uid, const char *uidl, size_t len)
{
	struct ent *e, *old;

	if ((old = find_uid(uid)) != NULL)
		forget(old);
	HASH_FIND(hh_uidl, by_uidl, uidl, len, old);
	if (old != NULL)
		forget(old);
	if ((e = calloc(1, sizeof(*e) + len + 1)) == NULL)
		return NULL;
	memcpy(e->uidl, uidl, len);
	e->pub.uid = uid;
	e->pub.uidl = e->uidl;
	HASH_ADD(hh_uid, by_uid, pub.uid, sizeof(uint32_t), e);
	HASH_ADD_KEYPTR(hh_uidl, by_uidl, e->uidl, len, e);
	if (uid >= next_uid)
		next_uid = uid + 1;
	return e;
}

/* Reads one line of the journal. */
static void
replay_line(const char *p, size_t len)
{
	char buf[MAILFS_POP3_UIDL_MAX + 40], *end;
	unsigned long long v, w;
	struct ent *e;

	if (len == 0 || len >= sizeof(buf))
		return;
	memcpy(buf, p, len);
	buf[len] = '\0';
	errno = 0;
	v = strtoull(buf + 1, &end, 10);
	if (errno != 0 || end == buf + 1 || v == 0 || v > UINT32_MAX)
		return;
	switch (buf[0]) {
	case 'V':
		if (*end == '\0' && uidvalidity == 0)
			uidvalidity = (uint32_t)v;
		break;
	case 'N':
		if (*end == '\0' && v > next_uid)
			next_uid = (uint32_t)v;
		break;
	case '+':
		if (*end == ' ' && end[1] != '\0' && strlen(end + 1) <= MAILFS_POP3_UIDL_MAX)
			(void)remember((uint32_t)v, end + 1, strlen(end + 1));
		break;
	case '=':
		if (*end != ' ' || (e = find_uid((uint32_t)v)) == NULL)
			break;
		w = strtoull(end + 1, &end, 10);
		if (*end == '\0')
			e->pub.date = (int64_t)w;
		break;
	case '-':
		if (*end == '\0' && (e = find_uid((uint32_t)v)) != NULL)
			forget(e);
		break;
	}
}

/* Writes the whole map afresh: 0 or an errno. */
static int
rewrite(void)
{
	struct ent *e, *t;
	char *buf, *p;
	size_t size = 64, n = 2;
	int r;

	HASH_ITER(hh_uid, by_uid, e, t)
		size += strlen(e->uidl) + 48;
	if ((buf = malloc(size)) == NULL)
		return ENOMEM;
	p = buf;
	p += sprintf(p, "V %u\nN %u\n", (unsigned)uidvalidity, (unsigned)next_uid);
	HASH_ITER(hh_uid, by_uid, e, t) {
		p += sprintf(p, "+%u %s\n", (unsigned)e->pub.uid, e->uidl);
		if (e->pub.date != 0)
			p += sprintf(p, "=%u %" PRId64 "\n", (unsigned)e->pub.uid, e->pub.date);
		n += e->pub.date != 0 ? 2 : 1;
	}
	if ((r = store->put(buf, (size_t)(p - buf), 0)) == 0)
		records = n;
	free(buf);
	return r;
}

/* Adds line to the lines to be saved by uidmap_commit(). */
static void
append(const char *line)
{
	size_t len = strlen(line), cap;
	char *tmp;

	if (npending + len > pcap) {
		cap = pcap == 0 ? 4096 : pcap;
		while (cap < npending + len)
			cap *= 2;
		if ((tmp = realloc(pending, cap)) == NULL) {
			pending_nomem = 1;
			return;
		}
		pending = tmp;
		pcap = cap;
	}
	memcpy(pending + npending, line, len);
	npending += len;
	pending_lines++;
}

/* Forgets the entries whose first sighting was not saved. */
static void
forget_unsaved(void)
{
	const char *p, *end, *nl;
	struct ent *e;
	uint32_t uid;

	for (p = pending, end = pending + npending; p < end; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (*p == '+' && (uid = (uint32_t)strtoul(p + 1, NULL, 10)) != 0 &&
		    (e = find_uid(uid)) != NULL)
			forget(e);
	}
}

int
uidmap_commit(void)
{
	int r = 0;

	if (pending_nomem)
		r = ENOMEM;
	else if (npending > 0 && (r = store->put(pending, npending, 1)) == 0)
		records += pending_lines;
	if (r != 0) {
		log_msg(LOG_ERR, "cannot save the map of POP3 UIDs: %s", strerror(r));
		/* Never handed out unsaved: another mount could give the UIDs again. */
		forget_unsaved();
	}
	npending = pending_lines = 0;
	pending_nomem = 0;
	return r;
}

int
uidmap_load(const struct pop3_mapstore *ms)
{
	void *data = NULL;
	const char *p, *end, *nl;
	size_t len = 0;
	int r;

	store = ms;
	uidmap_free();
	if ((r = store->get(&data, &len)) != 0 && r != ENOENT) {
		log_msg(LOG_ERR, "cannot read the map of POP3 UIDs: %s", strerror(r));
		return r;
	}
	for (p = data, end = p + len; p != NULL && p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			break;		/* a line cut short by a crash */
		replay_line(p, (size_t)(nl - p));
		records++;
	}
	free(data);
	if (uidvalidity == 0) {
		/* A new map, a new generation: nothing cached can be taken for it. */
		uidmap_free();
		uidvalidity = (uint32_t)time(NULL);
		if ((r = rewrite()) != 0) {
			log_msg(LOG_ERR, "cannot save the map of POP3 UIDs: %s", strerror(r));
			uidvalidity = 0;
			return r;
		}
		log_msg(LOG_INFO, "a new map of POP3 UIDs, UIDVALIDITY %u",
		    (unsigned)uidvalidity);
	}
	return 0;
}

void
uidmap_free(void)
{
	struct ent *e, *t;

	HASH_ITER(hh_uid, by_uid, e, t)
		forget(e);
	uidvalidity = 0;
	next_uid = 1;
	records = 0;
	free(pending);
	pending = NULL;
	npending = pcap = pending_lines = 0;
	pending_nomem = 0;
}

const struct uidmap_entry *
uidmap_get(const char *uidl)
{
	char line[MAILFS_POP3_UIDL_MAX + 40];
	size_t len = strlen(uidl);
	struct ent *e;
	uint32_t uid;

	HASH_FIND(hh_uidl, by_uidl, uidl, len, e);
	if (e != NULL)
		return &e->pub;
	if (len > MAILFS_POP3_UIDL_MAX || next_uid == UINT32_MAX)
		return NULL;
	uid = next_uid;
	if ((e = remember(uid, uidl, len)) == NULL)
		return NULL;
	/* Saved by uidmap_commit() before anyone is told: a UID is never given twice. */
	snprintf(line, sizeof(line), "+%u %s\n", (unsigned)uid, uidl);
	append(line);
	return &e->pub;
}

void
uidmap_set_date(uint32_t uid, int64_t date)
{
	char line[64];
	struct ent *e;

	if ((e = find_uid(uid)) == NULL || e->pub.date == date)
		return;
	e->pub.date = date;
	snprintf(line, sizeof(line), "=%u %" PRId64 "\n", (unsigned)uid, date);
	append(line);
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

void
uidmap_keep(const uint32_t *keep, size_t n)
{
	char line[32];
	struct ent *e, *t;
	size_t live;

	HASH_ITER(hh_uid, by_uid, e, t) {
		if (bsearch(&e->pub.uid, keep, n, sizeof(*keep), cmp_u32) != NULL)
			continue;
		snprintf(line, sizeof(line), "-%u\n", (unsigned)e->pub.uid);
		append(line);
		forget(e);
	}
	live = HASH_CNT(hh_uid, by_uid);
	if (npending == 0 && records > 2 * live + 256 && rewrite() != 0)
		log_msg(LOG_WARNING, "cannot rewrite the map of POP3 UIDs");
}
