/*
 * fuse/errmap.c: a NO without a response code maps by what was asked
 * (errmap.h's table); a response code means the same for every request.
 */
#include <errno.h>
#include <string.h>

#include "../tap.h"
#include "errmap.h"

static struct mailfs_error
no(enum mailfs_code code)
{
	struct mailfs_error e;

	memset(&e, 0, sizeof(e));
	e.kind = MAILFS_ERR_NO;
	e.code = code;
	return e;
}

int
main(void)
{
	static const struct {
		enum errmap_op op;
		const char *name;
		int want;
	} plain[] = {
		{ ERRMAP_READ, "a read", EIO },
		{ ERRMAP_CREATE, "CREATE", EACCES },
		{ ERRMAP_DELETE, "DELETE", EACCES },
		{ ERRMAP_RENAME, "RENAME", EACCES },
		{ ERRMAP_STORE, "STORE", EACCES },
		{ ERRMAP_EXPUNGE, "EXPUNGE", EACCES },
		{ ERRMAP_APPEND, "APPEND", EACCES },
		{ ERRMAP_COPY, "COPY", EACCES },
	};
	struct mailfs_error e;
	size_t i;

	for (i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
		e = no(MAILFS_CODE_NONE);
		ok(errmap_op_errno(&e, plain[i].op) == plain[i].want,
		    "a plain NO to %s is %s", plain[i].name, strerror(plain[i].want));
		e = no(MAILFS_CODE_OTHER);
		ok(errmap_op_errno(&e, plain[i].op) == plain[i].want,
		    "a NO with an unknown code to %s too", plain[i].name);
		e = no(MAILFS_CODE_OVERQUOTA);
		ok(errmap_op_errno(&e, plain[i].op) == EDQUOT,
		    "[OVERQUOTA] to %s is EDQUOT", plain[i].name);
	}
	e = no(MAILFS_CODE_NONE);
	ok(errmap_errno(&e) == EIO, "errmap_errno() maps as a read");
	ok(errmap_plain_no(&e), "a NO without a code is plain");
	e = no(MAILFS_CODE_NOPERM);
	ok(!errmap_plain_no(&e) && errmap_op_errno(&e, ERRMAP_CREATE) == EACCES,
	    "[NOPERM] is no plain NO, and EACCES");
	e = no(MAILFS_CODE_CANNOT);
	ok(errmap_op_errno(&e, ERRMAP_CREATE) == EPERM, "[CANNOT] is EPERM");
	e = no(MAILFS_CODE_NONE);
	e.kind = MAILFS_ERR_BAD;
	ok(errmap_op_errno(&e, ERRMAP_CREATE) == EIO, "BAD to CREATE stays EIO");
	e.kind = MAILFS_ERR_CLOSED;
	ok(errmap_op_errno(&e, ERRMAP_CREATE) == EIO, "a dropped connection stays EIO");
	return done_testing();
}
