/* Library errors to errno: one table (see errmap.c). */
#ifndef MAILFS_FUSE_ERRMAP_H
#define MAILFS_FUSE_ERRMAP_H

#include <mailfs/error.h>

/*
 * What the failed command asked the server for.  A NO with a response
 * code (RFC 5530) means the same whatever was asked; a plain NO (no code,
 * or one the table does not know) says only "refused", and what that is
 * depends on the request:
 *
 *	request		commands			a plain NO is
 *	ERRMAP_READ	SELECT, FETCH, STATUS, LIST,	EIO
 *			SEARCH, NAMESPACE, ...
 *	ERRMAP_CREATE	CREATE (mkdir)			EACCES
 *	ERRMAP_DELETE	DELETE (rmdir)			EACCES
 *	ERRMAP_RENAME	RENAME (mv of a folder)		EACCES
 *	ERRMAP_STORE	STORE (flags; rm's \Deleted)	EACCES
 *	ERRMAP_EXPUNGE	STORE \Deleted and EXPUNGE (rm)	EACCES
 *	ERRMAP_APPEND	APPEND (a new file)		EACCES
 *	ERRMAP_COPY	COPY, MOVE (mv of a message)	EACCES
 *
 * A server that refuses a change without saying why (Cyrus: "NO
 * Permission denied" for a folder outside its namespace) denies
 * permission; a read that fails so is an I/O error.  The response codes:
 *
 *	NONEXISTENT, TRYCREATE, EXPUNGEISSUED	ENOENT
 *	NOPERM, AUTHENTICATIONFAILED,
 *	AUTHORIZATIONFAILED, PRIVACYREQUIRED	EACCES
 *	CANNOT					EPERM
 *	OVERQUOTA				EDQUOT
 *	ALREADYEXISTS				EEXIST
 *	INUSE					EBUSY
 *	LIMIT					ENOSPC
 *	UNAVAILABLE				EAGAIN
 *	READ-ONLY				EROFS
 *
 * BAD is EIO; other failures map by kind (errmap.c).
 */
enum errmap_op {
	ERRMAP_READ,
	ERRMAP_CREATE,
	ERRMAP_DELETE,
	ERRMAP_RENAME,
	ERRMAP_STORE,
	ERRMAP_EXPUNGE,
	ERRMAP_APPEND,
	ERRMAP_COPY
};

/* The errno a filesystem operation returns for this failure of op; never 0. */
int errmap_op_errno(const struct mailfs_error *err, enum errmap_op op);

/* errmap_op_errno() for a read (ERRMAP_READ). */
int errmap_errno(const struct mailfs_error *err);

/* 1 when err is a NO that gives no reason (no response code this table knows). */
int errmap_plain_no(const struct mailfs_error *err);

/* 1 when the failure leaves the connection unusable (reconnect before reuse). */
int errmap_conn_broken(const struct mailfs_error *err);

#endif
