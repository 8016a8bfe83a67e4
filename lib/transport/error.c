/*
 * The library's error values: names for kinds and response codes, and the
 * one way to fill a struct mailfs_error.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "errors.h"

static const char *const errkind_names[] = {
	[MAILFS_ERR_NONE] = "none",
	[MAILFS_ERR_SYSTEM] = "system",
	[MAILFS_ERR_NOMEM] = "nomem",
	[MAILFS_ERR_USAGE] = "usage",
	[MAILFS_ERR_RESOLVE] = "resolve",
	[MAILFS_ERR_CONNECT] = "connect",
	[MAILFS_ERR_TIMEOUT] = "timeout",
	[MAILFS_ERR_CLOSED] = "closed",
	[MAILFS_ERR_TLS] = "tls",
	[MAILFS_ERR_CERT] = "cert",
	[MAILFS_ERR_HOSTNAME] = "hostname",
	[MAILFS_ERR_NO_STARTTLS] = "no-starttls",
	[MAILFS_ERR_AUTH] = "auth",
	[MAILFS_ERR_LOGINDISABLED] = "logindisabled",
	[MAILFS_ERR_UNSUPPORTED] = "unsupported",
	[MAILFS_ERR_PROTOCOL] = "protocol",
	[MAILFS_ERR_LIMIT] = "limit",
	[MAILFS_ERR_NO] = "no",
	[MAILFS_ERR_BAD] = "bad",
};

const char *
mailfs_errkind_name(enum mailfs_errkind kind)
{
	if ((size_t)kind >= sizeof(errkind_names) / sizeof(errkind_names[0]) ||
	    errkind_names[kind] == NULL)
		return "unknown";
	return errkind_names[kind];
}

static const struct {
	const char *name;
	enum mailfs_code code;
} code_names[] = {
	{ "ALERT", MAILFS_CODE_ALERT },
	{ "TRYCREATE", MAILFS_CODE_TRYCREATE },
	{ "OVERQUOTA", MAILFS_CODE_OVERQUOTA },
	{ "ALREADYEXISTS", MAILFS_CODE_ALREADYEXISTS },
	{ "NONEXISTENT", MAILFS_CODE_NONEXISTENT },
	{ "NOPERM", MAILFS_CODE_NOPERM },
	{ "INUSE", MAILFS_CODE_INUSE },
	{ "LIMIT", MAILFS_CODE_LIMIT },
	{ "AUTHENTICATIONFAILED", MAILFS_CODE_AUTHENTICATIONFAILED },
	{ "AUTHORIZATIONFAILED", MAILFS_CODE_AUTHORIZATIONFAILED },
	{ "UNAVAILABLE", MAILFS_CODE_UNAVAILABLE },
	{ "SERVERBUG", MAILFS_CODE_SERVERBUG },
	{ "CANNOT", MAILFS_CODE_CANNOT },
	{ "EXPUNGEISSUED", MAILFS_CODE_EXPUNGEISSUED },
	{ "READ-ONLY", MAILFS_CODE_READ_ONLY },
	{ "UIDNOTSTICKY", MAILFS_CODE_UIDNOTSTICKY },
	{ "PRIVACYREQUIRED", MAILFS_CODE_PRIVACYREQUIRED },
	/* POP3's (RFC 2449 8, RFC 3206); no IMAP server sends these */
	{ "IN-USE", MAILFS_CODE_INUSE },
	{ "LOGIN-DELAY", MAILFS_CODE_LOGIN_DELAY },
	{ "SYS/TEMP", MAILFS_CODE_SYS_TEMP },
	{ "SYS/PERM", MAILFS_CODE_SYS_PERM },
};

enum mailfs_code
mailfs_code_from_name(const char *name)
{
	size_t i;

	if (name == NULL || *name == '\0')
		return MAILFS_CODE_NONE;
	for (i = 0; i < sizeof(code_names) / sizeof(code_names[0]); i++)
		if (strcasecmp(name, code_names[i].name) == 0)
			return code_names[i].code;
	return MAILFS_CODE_OTHER;
}

static void
error_vset(struct mailfs_error *err, enum mailfs_errkind kind,
    const char *fmt, va_list ap)
{
	err->kind = kind;
	err->code = MAILFS_CODE_NONE;
	err->code_name[0] = '\0';
	err->sys_errno = 0;
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
}

void
error_set(struct mailfs_error *err, enum mailfs_errkind kind,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	error_vset(err, kind, fmt, ap);
	va_end(ap);
}

void
error_set_sys(struct mailfs_error *err, int errnum, const char *fmt, ...)
{
	va_list ap;
	size_t used;

	va_start(ap, fmt);
	error_vset(err, errnum == ENOMEM ? MAILFS_ERR_NOMEM : MAILFS_ERR_SYSTEM,
	    fmt, ap);
	va_end(ap);
	err->sys_errno = errnum;
	used = strlen(err->msg);
	snprintf(err->msg + used, sizeof(err->msg) - used, ": %s",
	    strerror(errnum));
}

void
error_clear(struct mailfs_error *err)
{
	memset(err, 0, sizeof(*err));
}
