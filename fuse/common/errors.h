/*
 * The daemon's one error convention (fuse/ all through; the library has
 * its own, include/mailfs/error.h, which only the IMAP backend sees).
 *
 *  - A function that can fail returns int: 0 on success, or a positive
 *    errno value (ENOENT, EIO, ...) that says why.  It is the value a
 *    FUSE handler hands to fuse_reply_err() unchanged.
 *  - What a function produces besides (a descriptor, a count, a pointer,
 *    a length) goes out through a pointer parameter named *_r, set only
 *    on success unless the function says otherwise.
 *  - A function that cannot fail returns void, or a value of its own
 *    (a count, a flag 0/1, a pointer that is NULL for "none": never for
 *    a failure).
 *  - A failure is logged once, where its cause is best known: the
 *    backend logs the server's words (backend.h), a module logs its own
 *    I/O failures; a caller passes the errno up without logging it again.
 *  - The backend's answers become errno in one table (backend/imap/
 *    errmap.h for IMAP); nothing above the backend sees a library error.
 *  - A callback whose signature a library fixes (fuse_opt_proc_t, the
 *    library's handlers) follows that library.
 *  - Inside the IMAP backend only, a function that runs one command on a
 *    client the caller holds may return -1 and leave the reason in the
 *    client's error (recover.h says which); it is mapped before it leaves
 *    the backend.
 */
#ifndef MAILFS_FUSE_ERRORS_H
#define MAILFS_FUSE_ERRORS_H

#include <errno.h>

#endif
