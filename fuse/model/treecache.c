/*
 * The saved folder tree (see treecache.h).  The value: a header (magic,
 * the time listed, the count), then per folder a fixed record and its
 * name's bytes.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "log.h"
#include "treecache.h"

#define TREE_MAGIC	"MFSTREE1"
#define TREE_NAME	"tree"
#define TREE_MAX	(1u << 20)	/* folders: far above any account */
#define TREE_NAME_MAX	4096

struct tree_header {
	char magic[8];
	int64_t listed_at;
	uint32_t n;
	uint32_t pad;
};

struct tree_rec {
	uint32_t name_len;
	uint32_t attrs;
	int32_t delim;
	int32_t has_status;
	uint32_t present;
	uint32_t messages;
	uint32_t uidnext;
	uint32_t uidvalidity;
	uint64_t highestmodseq;
};

static pthread_mutex_t treecache_lock = PTHREAD_MUTEX_INITIALIZER;
static char *last;		/* the value saved last (or loaded) */
static size_t last_len;
static time_t last_seen;	/* when a list last matched it */
static int last_flushed;	/* its time on disk is last_seen */

/* lr as the value: 0 with *data_r (malloc'ed) and *len_r, or ENOMEM. */
static int
encode(const struct list_result *lr, time_t at, char **data_r, size_t *len_r)
{
	struct tree_header h;
	struct tree_rec r;
	size_t i, len = sizeof(h), off;
	char *buf;

	for (i = 0; i < lr->n; i++)
		len += sizeof(r) + strlen(lr->v[i].name);
	if ((buf = malloc(len)) == NULL)
		return ENOMEM;
	memset(&h, 0, sizeof(h));
	memcpy(h.magic, TREE_MAGIC, sizeof(h.magic));
	h.listed_at = (int64_t)at;
	h.n = (uint32_t)lr->n;
	memcpy(buf, &h, sizeof(h));
	off = sizeof(h);
	for (i = 0; i < lr->n; i++) {
		memset(&r, 0, sizeof(r));
		r.name_len = (uint32_t)strlen(lr->v[i].name);
		r.attrs = lr->v[i].attrs;
		r.delim = lr->v[i].delim;
		r.has_status = lr->v[i].has_status;
		r.present = lr->v[i].status.present;
		r.messages = lr->v[i].status.messages;
		r.uidnext = lr->v[i].status.uidnext;
		r.uidvalidity = lr->v[i].status.uidvalidity;
		r.highestmodseq = lr->v[i].status.highestmodseq;
		memcpy(buf + off, &r, sizeof(r));
		off += sizeof(r);
		memcpy(buf + off, lr->v[i].name, r.name_len);
		off += r.name_len;
	}
	*data_r = buf;
	*len_r = len;
	return 0;
}

static void
write_value(const char *data, size_t len)
{
	int r;

	if ((r = cache_meta_put("", 0, TREE_NAME, data, len, 0)) != 0)
		log_msg(LOG_WARNING, "cannot save the folder tree: %s", strerror(r));
}

void
treecache_save(const struct list_result *lr)
{
	time_t now = time(NULL);
	char *data;
	size_t len;
	int same;

	/* A list that lost entries would take folders away offline. */
	if (lr->incomplete || lr->n > TREE_MAX || encode(lr, now, &data, &len) != 0)
		return;
	pthread_mutex_lock(&treecache_lock);
	same = last != NULL && last_len == len && memcmp(last + sizeof(struct tree_header),
	    data + sizeof(struct tree_header), len - sizeof(struct tree_header)) == 0;
	last_seen = now;
	if (same) {
		last_flushed = 0;
		free(data);
		pthread_mutex_unlock(&treecache_lock);
		return;
	}
	free(last);
	last = data;
	last_len = len;
	last_flushed = 1;
	/* Only the refresh writes after the mount: no other write overtakes this one. */
	pthread_mutex_unlock(&treecache_lock);
	write_value(data, len);
}

void
treecache_flush(void)
{
	struct tree_header h;
	char *data;
	size_t len;

	pthread_mutex_lock(&treecache_lock);
	data = last_flushed ? NULL : last;
	len = last_len;
	if (data != NULL) {
		memcpy(&h, data, sizeof(h));
		h.listed_at = (int64_t)last_seen;
		memcpy(data, &h, sizeof(h));
		last = NULL;
	}
	pthread_mutex_unlock(&treecache_lock);
	if (data != NULL)
		write_value(data, len);
	free(data);
}

/* The value's bytes into *lr; 0 or EINVAL (or ENOMEM). */
static int
decode(const char *data, size_t len, struct list_result *lr, time_t *at_r)
{
	struct tree_header h;
	struct tree_rec r;
	struct list_item *it;
	size_t off, i;

	if (len < sizeof(h))
		return EINVAL;
	memcpy(&h, data, sizeof(h));
	if (memcmp(h.magic, TREE_MAGIC, sizeof(h.magic)) != 0 || h.n > TREE_MAX)
		return EINVAL;
	if (h.n > 0 && (lr->v = calloc(h.n, sizeof(*lr->v))) == NULL)
		return ENOMEM;
	lr->cap = h.n;
	for (off = sizeof(h), i = 0; i < h.n; i++) {
		if (len - off < sizeof(r))
			return EINVAL;
		memcpy(&r, data + off, sizeof(r));
		off += sizeof(r);
		if (r.name_len == 0 || r.name_len > TREE_NAME_MAX || len - off < r.name_len ||
		    memchr(data + off, '\0', r.name_len) != NULL)
			return EINVAL;
		it = &lr->v[lr->n];
		if ((it->name = strndup(data + off, r.name_len)) == NULL)
			return ENOMEM;
		lr->n++;
		off += r.name_len;
		it->delim = (char)r.delim;
		it->attrs = r.attrs;
		it->has_status = r.has_status != 0;
		it->status.present = r.present;
		it->status.messages = r.messages;
		it->status.uidnext = r.uidnext;
		it->status.uidvalidity = r.uidvalidity;
		it->status.highestmodseq = r.highestmodseq;
	}
	if (off != len)
		return EINVAL;
	*at_r = (time_t)h.listed_at;
	return 0;
}

int
treecache_load(struct list_result *lr, time_t *at_r)
{
	void *data;
	size_t len;
	int r;

	list_result_clear(lr);
	if ((r = cache_meta_get("", 0, TREE_NAME, &data, &len)) != 0)
		return r;
	if ((r = decode(data, len, lr, at_r)) != 0) {
		list_result_clear(lr);
		free(data);
		return r == EINVAL ? ENOENT : r;
	}
	pthread_mutex_lock(&treecache_lock);
	free(last);
	last = data;
	last_len = len;
	last_seen = *at_r;
	last_flushed = 1;
	pthread_mutex_unlock(&treecache_lock);
	return 0;
}
