/*
 * The IMAP backend's first contact with the account (see imap.h): one
 * connection logs in and lists the folders before anything is mounted,
 * and a failure is one sentence on stderr that names its cause in the
 * user's words.  A server that cannot be reached (pool.h: offline) is
 * no failure yet: main.c may mount from the saved state instead, and
 * says so.
 */
#include <stdio.h>
#include <string.h>

#include "connwhy.h"
#include "errmap.h"
#include "imap.h"
#include "online.h"
#include "pool.h"

/* The sentence for a failure to reach the account. */
static void
connect_failure(const struct mailfs_url *url, const struct mailfs_error *err,
    char *why, size_t size)
{
	switch (err->kind) {
	case MAILFS_ERR_NO_STARTTLS:
		snprintf(why, size, "%s:%s does not offer STARTTLS, which imap:// "
		    "requires (nothing was sent)", url->host, url->port);
		break;
	case MAILFS_ERR_LOGINDISABLED:
		snprintf(why, size, "%s:%s does not allow login on this connection",
		    url->host, url->port);
		break;
	default:
		connect_why(err, url->host, url->port, why, size);
		break;
	}
}

int
imap_backend_connect(struct backend *be, const struct mailfs_url *url,
    struct list_result *lr, char *why, size_t size)
{
	struct mailfs_error err;
	struct pool_conn *pc;
	int r;

	(void)be;
	list_result_clear(lr);
	if ((pc = pool_get(NULL, &err)) == NULL)
		goto fail;
	if (imap_list_run(pool_client(pc), lr) == -1) {
		err = *mailfs_client_error(pool_client(pc));
		pool_put(pc, 1);
		list_result_clear(lr);
		goto fail;
	}
	pool_put(pc, 0);
	return 0;
fail:
	r = errmap_errno(&err);
	if (pool_offline_error(&err)) {
		/* Said as it would have been before: the library's own error. */
		pool_offline_cause(&err);
		r = ONLINE_ERRNO;
	}
	connect_failure(url, &err, why, size);
	return r;
}

int
imap_backend_start(struct backend *be)
{
	(void)be;
	return pool_probe_start();
}
