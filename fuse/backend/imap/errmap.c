/*
 * struct mailfs_error to errno, in one table (errmap.h writes it down).
 * NO with a response code (RFC 5530) maps by the code, a plain NO by
 * what was asked; other kinds map by kind.
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

/* A plain NO, by request (enum errmap_op order). */
static const int plain_no_map[] = {
	[ERRMAP_READ] = EIO,
	[ERRMAP_CREATE] = EACCES,
	[ERRMAP_DELETE] = EACCES,
	[ERRMAP_RENAME] = EACCES,
	[ERRMAP_STORE] = EACCES,
	[ERRMAP_EXPUNGE] = EACCES,
	[ERRMAP_APPEND] = EACCES,
	[ERRMAP_COPY] = EACCES,
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
	{ MAILFS_ERR_BAD, EIO },
};

/* The errno of a NO's response code, or 0 when the table does not know it. */
static int
code_errno(const struct mailfs_error *err)
{
	size_t i;

	for (i = 0; i < sizeof(code_map) / sizeof(code_map[0]); i++)
		if (code_map[i].code == err->code)
			return code_map[i].err;
	return 0;
}

int
errmap_plain_no(const struct mailfs_error *err)
{
	return err->kind == MAILFS_ERR_NO && code_errno(err) == 0;
}

int
errmap_op_errno(const struct mailfs_error *err, enum errmap_op op)
{
	size_t i;
	int e;

	if (err->kind == MAILFS_ERR_NO && (e = code_errno(err)) != 0)
		return e;
	if (err->kind == MAILFS_ERR_NO && (size_t)op <
	    sizeof(plain_no_map) / sizeof(plain_no_map[0]))
		return plain_no_map[op];
	if (err->kind == MAILFS_ERR_SYSTEM && err->sys_errno != 0)
		return err->sys_errno;
	for (i = 0; i < sizeof(kind_map) / sizeof(kind_map[0]); i++)
		if (kind_map[i].kind == err->kind)
			return kind_map[i].err;
	return EIO;
}

int
errmap_errno(const struct mailfs_error *err)
{
	return errmap_op_errno(err, ERRMAP_READ);
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
