/*
 * libmailfs: the one error convention of the library.
 *
 * Every function that can fail returns 0 on success and -1 on failure,
 * unless its comment says otherwise (a few return a count, or a pointer
 * that is NULL on failure).  Output parameters end in _r and are written
 * only on success.  The library never prints, never exits and never
 * aborts; it reports.
 *
 * Details of a failure live in a struct mailfs_error owned by the object
 * the call was made on (mailfs_client_error() for a client).  The error
 * stays valid until the next call on that object.
 *
 * Destructors take a pointer to the pointer and set it to NULL, so that a
 * second call is harmless.
 */
#ifndef MAILFS_ERROR_H
#define MAILFS_ERROR_H

#ifdef __cplusplus
extern "C" {
#endif

/*
 * What kind of failure it was.  A caller that only wants to decide between
 * "ask for the password again", "the network is down" and "the server
 * refused" can switch on this alone; the message says the rest.
 */
enum mailfs_errkind {
	MAILFS_ERR_NONE = 0,
	MAILFS_ERR_SYSTEM,	/* a local system call failed; sys_errno says which */
	MAILFS_ERR_NOMEM,	/* out of memory */
	MAILFS_ERR_USAGE,	/* the caller passed an invalid argument or called out of order */
	MAILFS_ERR_RESOLVE,	/* the host name does not resolve */
	MAILFS_ERR_CONNECT,	/* no address accepted the connection */
	MAILFS_ERR_TIMEOUT,	/* the server did not answer in time */
	MAILFS_ERR_CLOSED,	/* the server closed the connection (or said BYE) */
	MAILFS_ERR_TLS,		/* the TLS handshake or a TLS read/write failed */
	MAILFS_ERR_CERT,	/* the certificate is not trusted */
	MAILFS_ERR_HOSTNAME,	/* the certificate is valid but not for this host */
	MAILFS_ERR_NO_STARTTLS,	/* imap:// and the server does not offer STARTTLS */
	MAILFS_ERR_AUTH,	/* the server rejected the user name or password */
	MAILFS_ERR_LOGINDISABLED, /* the server forbids login on this connection */
	MAILFS_ERR_UNSUPPORTED,	/* the server lacks a capability the call needs */
	MAILFS_ERR_PROTOCOL,	/* the server sent something malformed or out of place */
	MAILFS_ERR_LIMIT,	/* the server sent more than a configured limit allows */
	MAILFS_ERR_NO,		/* the command completed with NO; see code */
	MAILFS_ERR_BAD		/* the command completed with BAD */
};

/*
 * The response codes (RFC 3501 7.1, RFC 5530, RFC 4315) that change what a
 * caller should do.  A code not listed here is MAILFS_CODE_OTHER, with its
 * name kept in mailfs_error.code_name.
 */
enum mailfs_code {
	MAILFS_CODE_NONE = 0,
	MAILFS_CODE_OTHER,
	MAILFS_CODE_ALERT,
	MAILFS_CODE_TRYCREATE,
	MAILFS_CODE_OVERQUOTA,
	MAILFS_CODE_ALREADYEXISTS,
	MAILFS_CODE_NONEXISTENT,
	MAILFS_CODE_NOPERM,
	MAILFS_CODE_INUSE,
	MAILFS_CODE_LIMIT,
	MAILFS_CODE_AUTHENTICATIONFAILED,
	MAILFS_CODE_AUTHORIZATIONFAILED,
	MAILFS_CODE_UNAVAILABLE,
	MAILFS_CODE_SERVERBUG,
	MAILFS_CODE_CANNOT,
	MAILFS_CODE_EXPUNGEISSUED,
	MAILFS_CODE_READ_ONLY,
	MAILFS_CODE_UIDNOTSTICKY,
	MAILFS_CODE_PRIVACYREQUIRED,
	/* POP3 (RFC 2449 8, RFC 3206) */
	MAILFS_CODE_LOGIN_DELAY,
	MAILFS_CODE_SYS_TEMP,
	MAILFS_CODE_SYS_PERM
};

#define MAILFS_ERROR_MSG_MAX	512

struct mailfs_error {
	enum mailfs_errkind kind;
	enum mailfs_code code;		/* for MAILFS_ERR_NO and MAILFS_ERR_BAD */
	int sys_errno;			/* for MAILFS_ERR_SYSTEM, else 0 */
	char code_name[32];		/* the response code's atom, "" when none */
	/* One plain sentence, no trailing newline, secrets never included. */
	char msg[MAILFS_ERROR_MSG_MAX];
};

/* A short constant name for a kind ("auth", "tls", ...); never NULL. */
const char *mailfs_errkind_name(enum mailfs_errkind kind);

/* The response code for an atom such as "OVERQUOTA"; case-insensitive. */
enum mailfs_code mailfs_code_from_name(const char *name);

#ifdef __cplusplus
}
#endif

#endif
