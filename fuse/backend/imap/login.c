/*
 * The IMAP backend's first contact with the account (see imap.h): one
 * connection logs in and lists the folders before anything is mounted,
 * and a failure is one sentence on stderr that names its cause in the
 * user's words.
 */
#include <stdio.h>

#include "errmap.h"
#include "imap.h"
#include "pool.h"

/* The sentence for a failure to reach the account. */
static void
connect_failure(const struct mailfs_url *url, const struct mailfs_error *err)
{
	switch (err->kind) {
	case MAILFS_ERR_AUTH:
		fprintf(stderr, "mailfs: login failed: the server rejected the user name "
		    "or password\n");
		break;
	case MAILFS_ERR_RESOLVE:
		fprintf(stderr, "mailfs: the host name %s does not resolve\n", url->host);
		break;
	case MAILFS_ERR_CERT:
		fprintf(stderr, "mailfs: the certificate of %s:%s is not trusted "
		    "(for a private CA use -o tls_ca_file=PATH)\n", url->host, url->port);
		break;
	case MAILFS_ERR_HOSTNAME:
		fprintf(stderr, "mailfs: the certificate of %s:%s is not valid for the "
		    "name %s\n", url->host, url->port, url->host);
		break;
	case MAILFS_ERR_NO_STARTTLS:
		fprintf(stderr, "mailfs: %s:%s does not offer STARTTLS, which imap:// "
		    "requires (nothing was sent)\n", url->host, url->port);
		break;
	case MAILFS_ERR_LOGINDISABLED:
		fprintf(stderr, "mailfs: %s:%s does not allow login on this connection\n",
		    url->host, url->port);
		break;
	case MAILFS_ERR_TIMEOUT:
		fprintf(stderr, "mailfs: %s:%s did not answer in time\n", url->host,
		    url->port);
		break;
	default:
		fprintf(stderr, "mailfs: cannot use %s:%s: %s\n", url->host, url->port,
		    err->msg[0] != '\0' ? err->msg : mailfs_errkind_name(err->kind));
		break;
	}
}

int
imap_backend_connect(struct backend *be, const struct mailfs_url *url,
    struct list_result *lr)
{
	struct mailfs_error err;
	struct pool_conn *pc;

	(void)be;
	list_result_clear(lr);
	if ((pc = pool_get(NULL, &err)) == NULL) {
		connect_failure(url, &err);
		return errmap_errno(&err);
	}
	if (imap_list_run(pool_client(pc), lr) == -1) {
		err = *mailfs_client_error(pool_client(pc));
		pool_put(pc, 1);
		list_result_clear(lr);
		connect_failure(url, &err);
		return errmap_errno(&err);
	}
	pool_put(pc, 0);
	return 0;
}
