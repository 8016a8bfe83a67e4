/*
 * Message file names a person can read (-o names=readable):
 *
 *	2024-06-11 09.11 Anna Berger - Treffen am Donnerstag ~3fa2c1.eml
 *
 * the Date: in UTC (so that ls lists mail in the order it was written,
 * and the name is the same on every machine whatever its time zone),
 * the sender's display name, the subject, all decoded (mailfs/header.h),
 * "/" as "%2F", control characters as spaces; then a tag of six hex
 * digits made from the Message-ID (from the Date:, From: and Subject:
 * as written when there is none).  The name is a function of the
 * message's header alone: the same across mounts, machines and servers,
 * never changed by another message coming or going.  That is why the tag
 * is always there: a tag added only when two names meet would rename the
 * first message when the second arrives.  Two copies of one message
 * (same Message-ID, date, sender and subject) in one folder still meet;
 * the listing tells them apart (readable_dup()).
 *
 * At most NAMES_COMPONENT_MAX bytes: the sender is cut to
 * READABLE_FROM_MAX bytes and the subject to what is left, each on a
 * UTF-8 character's boundary; the date, the tag and ".eml" always stay.
 * Nothing here keeps state; any thread may call.
 */
#ifndef MAILFS_FUSE_READABLE_H
#define MAILFS_FUSE_READABLE_H

#include <stddef.h>
#include <stdint.h>

#include "names.h"

#define READABLE_FROM_MAX	64
/* The header fields a name is made of, as IMAP's HEADER.FIELDS names them. */
#define READABLE_FIELDS		"DATE FROM SUBJECT MESSAGE-ID"

/*
 * The name of the message whose header (or header fields: hdr, len
 * bytes, as BODY[HEADER.FIELDS (READABLE_FIELDS)] gives them) this is,
 * into out; internaldate is the time used when it has no readable
 * Date:.  0, or ENOMEM.
 */
int readable_name(const char *hdr, size_t len, int64_t internaldate,
    char out[NAMES_COMPONENT_MAX + 1]);

/*
 * The name of the n-th copy (n >= 2) of a message named name, in place:
 * "... ~3fa2c1.eml" becomes "... ~3fa2c1-2.eml" (the subject cut further
 * if need be).
 */
void readable_dup(char name[NAMES_COMPONENT_MAX + 1], unsigned n);

/*
 * The names one listing gave so far, to tell copies apart: a name met
 * again becomes readable_dup()'s, numbered in the order met (the
 * listing's: ascending UIDs).  Start zeroed; the caller's, one thread.
 */
struct readable_seen {
	uint64_t *v;		/* the names' 64-bit hashes, open addressing */
	size_t n;
	size_t cap;
};

/* Makes name unique among those seen by s, in place, and remembers it; 0 or ENOMEM. */
int readable_unique(struct readable_seen *s, char name[NAMES_COMPONENT_MAX + 1]);
void readable_seen_clear(struct readable_seen *s);

/*
 * The fields as scripts read them (the xattrs user.mail.*): the subject
 * decoded, the From: value decoded, the date in UTC as ISO 8601
 * ("2024-06-11T09:11:00Z"; the value as written when it is no date),
 * the Message-ID as written.  Each is malloc'ed (readable_fields_clear()
 * frees them), or NULL when the header has no such field, and at most
 * READABLE_FIELD_MAX bytes (Linux's XATTR_SIZE_MAX), cut on a UTF-8
 * character's boundary.
 */
#define READABLE_FIELD_MAX	65536
struct readable_fields {
	char *subject;
	char *from;
	char *date;
	char *msgid;
};

/* Reads them from hdr (len bytes): 0, or ENOMEM (nothing to free then). */
int readable_fields(const char *hdr, size_t len, struct readable_fields *rf);
void readable_fields_clear(struct readable_fields *rf);

#endif
