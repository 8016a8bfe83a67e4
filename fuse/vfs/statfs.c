/*
 * The handler statfs (vfs.h): df shows the account's quota.
 *
 * The backend asks (imap/flags.c: GETQUOTAROOT, RFC 9208).
 */
#include <sys/statvfs.h>

#include <pthread.h>
#include <string.h>
#include <time.h>

#include "backend.h"
#include "log.h"
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

/* Room for the backend's reason: the server's words (512 bytes) and a few more. */
#define WHY_MAX	544

void
vfs_statfs(fuse_req_t req, fuse_ino_t ino)
{
	struct be_quota q;
	struct statvfs st;
	time_t now = time(NULL);
	char why[WHY_MAX];
	int r;

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
	r = backend_quota(fs.backend, &q, why, sizeof(why));
	pthread_mutex_lock(&statfs_lock);
	if (r == 0) {
		memset(&statfs_cached, 0, sizeof(statfs_cached));
		statfs_cached.f_blocks = (fsblkcnt_t)q.limit;
		statfs_cached.f_bfree = statfs_cached.f_bavail =
		    (fsblkcnt_t)(q.usage < q.limit ? q.limit - q.usage : 0);
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
