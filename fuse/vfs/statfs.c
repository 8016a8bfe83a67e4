/*
 * The handler statfs (vfs.h): df shows the account's quota.
 *
 * RFC 9208 (GETQUOTAROOT).
 */
#include <sys/statvfs.h>

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <mailfs/commands.h>

#include "log.h"
#include "pool.h"
#include "stats.h"
#include "vfs.h"

/*
 * statfs: the quota of INBOX's root, asked at most once a refresh
 * interval.  What the server last gave stays when it does not answer; a
 * server that never gave one shows zeros, never an invented disk.
 */
static pthread_mutex_t statfs_lock = PTHREAD_MUTEX_INITIALIZER;
static struct statvfs statfs_cached;
static time_t statfs_at;
static int statfs_known, statfs_said;

struct quota_result {
	int got;
	uint64_t usage;
	uint64_t limit;
};

static void
on_quota(void *ctx, const struct mailfs_quota *q)
{
	struct quota_result *qr = ctx;

	if (strcasecmp(q->resource, "STORAGE") == 0 && !qr->got) {
		qr->got = 1;
		qr->usage = q->usage;
		qr->limit = q->limit;
	}
}

/* Asks the server for INBOX's STORAGE quota; qr->got says whether it gave one. */
static void
ask_quota(struct quota_result *qr, char *why, size_t size)
{
	struct mailfs_handlers h;
	struct mailfs_error err;
	struct pool_conn *pc;
	struct mailfs_client *c;

	if (!(pool_capabilities() & MAILFS_CAP_QUOTA)) {
		snprintf(why, size, "the server does not offer QUOTA");
		return;
	}
	if ((pc = pool_get(NULL, &err)) == NULL) {
		snprintf(why, size, "%s", err.msg);
		return;
	}
	c = pool_client(pc);
	memset(&h, 0, sizeof(h));
	h.quota = on_quota;
	h.ctx = qr;
	if (mailfs_run(c, mailfs_getquotaroot(c, "INBOX", &h), NULL) == -1) {
		snprintf(why, size, "GETQUOTAROOT: %s", mailfs_client_error(c)->msg);
		log_msg(LOG_DEBUG, "%s", why);
		pool_put(pc, 1);
		return;
	}
	pool_put(pc, 0);
	if (!qr->got)
		snprintf(why, size, "GETQUOTAROOT named no STORAGE limit");
}

void
vfs_statfs(fuse_req_t req, fuse_ino_t ino)
{
	struct quota_result qr = { 0, 0, 0 };
	struct statvfs st;
	time_t now = time(NULL);
	char why[MAILFS_ERROR_MSG_MAX + 32];

	stats_count(STAT_STATFS);
	(void)ino;
	pthread_mutex_lock(&statfs_lock);
	if (statfs_at != 0 && now - statfs_at < (time_t)fs.dir_timeout) {
		st = statfs_cached;
		pthread_mutex_unlock(&statfs_lock);
		fuse_reply_statfs(req, &st);
		return;
	}
	pthread_mutex_unlock(&statfs_lock);

	why[0] = '\0';
	ask_quota(&qr, why, sizeof(why));
	pthread_mutex_lock(&statfs_lock);
	if (qr.got) {
		memset(&statfs_cached, 0, sizeof(statfs_cached));
		statfs_cached.f_blocks = (fsblkcnt_t)qr.limit;
		statfs_cached.f_bfree = statfs_cached.f_bavail =
		    (fsblkcnt_t)(qr.usage < qr.limit ? qr.limit - qr.usage : 0);
		statfs_known = 1;
	} else if (!statfs_known && !statfs_said) {
		/* Zeros: no figure is better than an invented one. */
		log_msg(LOG_NOTICE, "df shows no sizes: the server gave no quota (%s)", why);
		statfs_said = 1;
	}
	/* Else the last quota the server gave, however old. */
	statfs_cached.f_bsize = statfs_cached.f_frsize = 1024;	/* STORAGE counts KiB */
	statfs_cached.f_namemax = NAMES_COMPONENT_MAX;
	st = statfs_cached;
	statfs_at = now;
	pthread_mutex_unlock(&statfs_lock);
	fuse_reply_statfs(req, &st);
}
