/*
 * Flag changes as differences: "+\Flagged -\Seen".
 *
 * A flag change made offline is kept as what the user changed, not as the
 * whole list they set: replayed hours later, a list would undo what
 * other devices changed meanwhile (another device read the message: a
 * SET without \Seen would make it unread again).  Pure string functions;
 * no state, no lock.  Flags compare without regard to case (RFC 3501
 * 2.3.2); \Recent is never part of a difference (no client may set it).
 */
#ifndef MAILFS_FUSE_FLAGDIFF_H
#define MAILFS_FUSE_FLAGDIFF_H

#include <stddef.h>

/* The journal mode (journal.h, beside enum be_flags_mode) of a difference. */
#define FLAGS_MODE_DIFF	3

/*
 * Writes into out (size bytes, NUL-terminated) the difference from the
 * space-separated flags old to new: "+A" for each flag of new not in
 * old, then "-B" for each of old not in new.  0, or ENAMETOOLONG when it
 * does not fit (out is then "").  An empty out: nothing changes.
 */
int flags_diff(const char *old, const char *new, char *out, size_t size);

/*
 * Writes into out cur with the difference diff applied.  0, or
 * ENAMETOOLONG (out is then cur, cut at a flag).
 */
int flags_apply(const char *cur, const char *diff, char *out, size_t size);

/*
 * Splits diff into the flags it adds and those it removes (each
 * space-separated, without the signs).  0, or ENAMETOOLONG.
 */
int flags_split(const char *diff, char *add, char *remove, size_t size);

#endif
