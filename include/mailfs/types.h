/*
 * libmailfs: the data that commands hand to their callers.
 *
 * Everything a callback receives is owned by the library and valid only
 * during the callback; copy what you keep.  Values the caller builds
 * (struct mailfs_uidset from mailfs_uidset_parse()) are the caller's.
 */
#ifndef MAILFS_TYPES_H
#define MAILFS_TYPES_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A set of UIDs (RFC 3501 sequence-set of UIDs), as sorted, merged ranges. */
struct mailfs_uidrange {
	uint32_t first;
	uint32_t last;		/* first <= last */
};

struct mailfs_uidset {
	struct mailfs_uidrange *ranges;
	size_t count;
};

/*
 * Parses "1:5,7,9:*" (at most len bytes of text).  "*" stands for
 * star_value (pass UINT32_MAX when it has no better meaning).  Ranges are
 * sorted and merged.  Returns 0 and fills *set_r, or -1 (errno EINVAL or
 * ENOMEM).  Free with mailfs_uidset_clear().
 */
int mailfs_uidset_parse(const char *text, size_t len, uint32_t star_value,
    struct mailfs_uidset *set_r);

/* Frees the ranges and empties the set. */
void mailfs_uidset_clear(struct mailfs_uidset *set);

/* 1 when uid is in the set, else 0.  O(log n). */
int mailfs_uidset_contains(const struct mailfs_uidset *set, uint32_t uid);

/* The number of UIDs in the set. */
uint64_t mailfs_uidset_size(const struct mailfs_uidset *set);

/*
 * The UID at position index (0-based) in ascending order, for walking
 * COPYUID's parallel sets; 0 when index is past the end.
 */
uint32_t mailfs_uidset_nth(const struct mailfs_uidset *set, uint64_t index);

/* Message attributes a FETCH delivers (RFC 3501 7.4.2, RFC 7162 3.1.4). */
#define MAILFS_MSG_UID		(1u << 0)
#define MAILFS_MSG_FLAGS	(1u << 1)
#define MAILFS_MSG_SIZE		(1u << 2)
#define MAILFS_MSG_INTERNALDATE	(1u << 3)
#define MAILFS_MSG_MODSEQ	(1u << 4)
#define MAILFS_MSG_BODY		(1u << 5)	/* body/body_len are set */
#define MAILFS_MSG_BODY_STREAMED (1u << 6)	/* the body went to the body handler */

struct mailfs_msg {
	unsigned present;	/* MAILFS_MSG_* bits: which members are valid */
	uint32_t seq;
	uint32_t uid;
	uint64_t size;		/* RFC822.SIZE */
	time_t internaldate;	/* seconds since the epoch */
	uint64_t modseq;
	/*
	 * Flags and keywords separated by single spaces, e.g.
	 * "\Seen \Flagged $Label1"; "" for none.  Each is an atom checked by
	 * the parser, so it holds no space, CR, LF, NUL or parenthesis.
	 */
	const char *flags;
	const char *body;	/* BODY[] kept in memory; may hold NUL bytes */
	size_t body_len;
	uint64_t body_origin;	/* the <origin> of a partial BODY[]<n.m> */
};

/* LIST attributes (RFC 3501 7.2.2, RFC 5258, RFC 6154). */
#define MAILFS_MBX_NOSELECT	(1u << 0)
#define MAILFS_MBX_NOINFERIORS	(1u << 1)
#define MAILFS_MBX_HASCHILDREN	(1u << 2)
#define MAILFS_MBX_HASNOCHILDREN (1u << 3)
#define MAILFS_MBX_MARKED	(1u << 4)
#define MAILFS_MBX_UNMARKED	(1u << 5)
#define MAILFS_MBX_NONEXISTENT	(1u << 6)
#define MAILFS_MBX_SUBSCRIBED	(1u << 7)
#define MAILFS_MBX_ALL		(1u << 8)
#define MAILFS_MBX_ARCHIVE	(1u << 9)
#define MAILFS_MBX_DRAFTS	(1u << 10)
#define MAILFS_MBX_FLAGGED	(1u << 11)
#define MAILFS_MBX_JUNK		(1u << 12)
#define MAILFS_MBX_SENT		(1u << 13)
#define MAILFS_MBX_TRASH	(1u << 14)
#define MAILFS_MBX_REMOTE	(1u << 15)

struct mailfs_list_entry {
	/* UTF-8, decoded from modified UTF-7; NULL when the name is not valid mUTF-7 */
	const char *name;
	const char *raw_name;	/* as the server sent it */
	char delimiter;		/* 0 when the server said NIL */
	unsigned attrs;		/* MAILFS_MBX_* */
	/*
	 * 1 when name is NULL for want of memory, not for being invalid:
	 * a folder the caller cannot know, so a list missing it is incomplete.
	 */
	int name_lost;
};

/* STATUS items (RFC 3501 6.3.10, RFC 7162, RFC 8438). */
#define MAILFS_STATUS_MESSAGES		(1u << 0)
#define MAILFS_STATUS_RECENT		(1u << 1)
#define MAILFS_STATUS_UIDNEXT		(1u << 2)
#define MAILFS_STATUS_UIDVALIDITY	(1u << 3)
#define MAILFS_STATUS_UNSEEN		(1u << 4)
#define MAILFS_STATUS_HIGHESTMODSEQ	(1u << 5)
#define MAILFS_STATUS_SIZE		(1u << 6)

struct mailfs_status {
	const char *name;	/* UTF-8; NULL when the name is not valid mUTF-7 */
	unsigned present;	/* MAILFS_STATUS_* bits */
	uint32_t messages;
	uint32_t recent;
	uint32_t uidnext;
	uint32_t uidvalidity;
	uint32_t unseen;
	uint64_t highestmodseq;
	uint64_t size;
};

/* One resource of a QUOTA response (RFC 9208); usage and limit as the server counts them. */
struct mailfs_quota {
	const char *root;
	const char *resource;	/* "STORAGE" (KiB), "MESSAGE", ... */
	uint64_t usage;
	uint64_t limit;
};

/* A personal namespace (RFC 2342); the first one the server lists. */
struct mailfs_namespace {
	const char *prefix;	/* "" or e.g. "INBOX." */
	char delimiter;		/* 0 for NIL */
};

#ifdef __cplusplus
}
#endif

#endif
