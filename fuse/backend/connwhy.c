/*
 * The sentences of a failure to use an account (see connwhy.h).
 */
#include <stdio.h>

#include "connwhy.h"
#include "signin.h"

void
connect_why(const struct mailfs_error *err, const char *host, const char *port,
    char *why, size_t size)
{
	switch (err->kind) {
	case MAILFS_ERR_AUTH:
		/* A token's refusal says the server's reason (signin.h). */
		if (signin_uses_token())
			snprintf(why, size, "login failed: %s", err->msg);
		else
			snprintf(why, size, "login failed: the server rejected the "
			    "user name or password");
		break;
	case MAILFS_ERR_RESOLVE:
		snprintf(why, size, "the host name %s does not resolve", host);
		break;
	case MAILFS_ERR_CERT:
		snprintf(why, size, "the certificate of %s:%s is not trusted "
		    "(for a private CA use -o tls_ca_file=PATH)", host, port);
		break;
	case MAILFS_ERR_HOSTNAME:
		snprintf(why, size, "the certificate of %s:%s is not valid for the "
		    "name %s", host, port, host);
		break;
	case MAILFS_ERR_TIMEOUT:
		snprintf(why, size, "%s:%s did not answer in time", host, port);
		break;
	default:
		snprintf(why, size, "cannot use %s:%s: %s", host, port,
		    err->msg[0] != '\0' ? err->msg : mailfs_errkind_name(err->kind));
		break;
	}
}
