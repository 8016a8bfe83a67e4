/*
 * struct mailfs_error to errno, in one table.  NO with a response code
 * (RFC 5530) maps by the code; other kinds map by kind.
 */
#include <errno.h>
#include <stddef.h>

#include "errmap.h"

static const struct {
	enum mailfs_code code;
	int err;
} code_map[] = {
	{ MAILFS_CODE_NONEXISTENT, ENOENT },
	{ MAILFS_CODE_TRYCREATE, ENOENT },
	{ MAILFS_CODE_NOPERM, EACCES },
	{ MAILFS_CODE_OVERQUOTA, EDQUOT },
	{ MAILFS_CODE_ALREADYEXISTS, EEXIST },
	{ MAILFS_CODE_INUSE, EBUSY },
	{ MAILFS_CODE_LIMIT, ENOSPC },
	{ MAILFS_CODE_UNAVAILABLE, EAGAIN },
	{ MAILFS_CODE_READ_ONLY, EROFS },
	{ MAILFS_CODE_CANNOT, EPERM },
	{ MAILFS_CODE_EXPUNGEISSUED, ENOENT },
	{ MAILFS_CODE_AUTHENTICATIONFAILED, EACCES },
	{ MAILFS_CODE_AUTHORIZATIONFAILED, EACCES },
	{ MAILFS_CODE_PRIVACYREQUIRED, EACCES },
};

static const struct {
	enum mailfs_errkind kind;
	int err;
} kind_map[] = {
	{ MAILFS_ERR_NOMEM, ENOMEM },
	{ MAILFS_ERR_USAGE, EINVAL },
	{ MAILFS_ERR_TIMEOUT, ETIMEDOUT },
	{ MAILFS_ERR_RESOLVE, EHOSTUNREACH },
	{ MAILFS_ERR_CONNECT, ECONNREFUSED },
	{ MAILFS_ERR_CLOSED, EIO },
	{ MAILFS_ERR_TLS, EIO },
	{ MAILFS_ERR_CERT, EIO },
	{ MAILFS_ERR_HOSTNAME, EIO },
	{ MAILFS_ERR_NO_STARTTLS, EIO },
	{ MAILFS_ERR_AUTH, EACCES },
	{ MAILFS_ERR_LOGINDISABLED, EACCES },
	{ MAILFS_ERR_UNSUPPORTED, ENOTSUP },
	{ MAILFS_ERR_PROTOCOL, EIO },
	{ MAILFS_ERR_LIMIT, EFBIG },
	{ MAILFS_ERR_NO, EIO },
	{ MAILFS_ERR_BAD, EIO },
};

int
errmap_errno(const struct mailfs_error *err)
{
	size_t i;

	if (err->kind == MAILFS_ERR_NO)
		for (i = 0; i < sizeof(code_map) / sizeof(code_map[0]); i++)
			if (code_map[i].code == err->code)
				return code_map[i].err;
	if (err->kind == MAILFS_ERR_SYSTEM && err->sys_errno != 0)
		return err->sys_errno;
	for (i = 0; i < sizeof(kind_map) / sizeof(kind_map[0]); i++)
		if (kind_map[i].kind == err->kind)
			return kind_map[i].err;
	return EIO;
}

int
errmap_conn_broken(const struct mailfs_error *err)
{
	switch (err->kind) {
	case MAILFS_ERR_NONE:
	case MAILFS_ERR_NO:
	case MAILFS_ERR_BAD:
	case MAILFS_ERR_USAGE:
	case MAILFS_ERR_UNSUPPORTED:
	case MAILFS_ERR_NOMEM:
		return 0;
	default:
		return 1;
	}
}
