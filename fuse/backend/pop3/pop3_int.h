/*
 * Inside the POP3 backend (maildrop.h): what its files share.  Only the
 * files of this folder include it.  Everything here runs under the
 * session lock (pop3_lock()), except pop3_lock() itself and the date
 * parsing, which keeps no state.
 */
#ifndef MAILFS_FUSE_POP3_INT_H
#define MAILFS_FUSE_POP3_INT_H

#include <stddef.h>
#include <stdint.h>

#include <mailfs/pop3.h>

#include "backend.h"
#include "maildrop.h"
#include "names.h"

/* uidmap.c: UIDL -> UID, under the session lock */
struct uidmap_entry {
	uint32_t uid;
	int64_t date;		/* the Date: header, else when first seen */
	const char *uidl;	/* the entry's own */
};
/* Reads the map, or makes a new one; 0 or an errno (logged). */
int uidmap_load(const struct pop3_mapstore *ms);
void uidmap_free(void);
uint32_t uidmap_uidvalidity(void);
uint32_t uidmap_uidnext(void);
/*
 * The entry of uidl, made when new; NULL when out of memory.  Valid
 * until uidmap_free(), uidmap_keep() or a failed uidmap_commit().  A new
 * entry's UID may be handed out only once uidmap_commit() saved it.
 */
const struct uidmap_entry *uidmap_get(const char *uidl);
/* Notes a message's date (saved by uidmap_commit()). */
void uidmap_set_date(uint32_t uid, int64_t date);
/*
 * After a whole UIDL: forgets the entries whose UIDs are not in the
 * sorted keep[0..n) (gone from the server for good; saved by
 * uidmap_commit()), and writes the map afresh when it grew by much.
 */
void uidmap_keep(const uint32_t *keep, size_t n);
/*
 * Saves what changed since the last commit, in one write: 0, or an
 * errno (logged), when the entries first seen since are forgotten again.
 */
int uidmap_commit(void);

/* date.c */
/*
 * Collects a message's header as its bytes arrive and reads its Date:.
 * A struct date_scan is its caller's; zero it before the first byte.
 */
struct date_scan {
	char head[8192];
	size_t len;
	int done;		/* the header is over (or too long) */
};
void date_scan_feed(struct date_scan *ds, const char *data, size_t len);
/* The Date: header's time, INT64_MIN when none could be read. */
int64_t date_scan_result(struct date_scan *ds);
/* An RFC 5322 date-time ("Tue, 1 Jul 2003 10:52:37 +0200"): 0 or -1. */
int date_parse(const char *s, int64_t *t_r);

/* A message of the session: its number now, its UID, LIST's size. */
struct pop3_msg {
	uint32_t number;
	uint64_t size;
	const struct uidmap_entry *e;
};

/*
 * The folder opened (backend.h open()): the session, held from open() to
 * close() under the session lock; the backend has one.
 */
struct be_folder {
	struct mailfs_pop3 *c;	/* NULL: not connected (yet, or any more) */
	struct pop3_msg *msgs;	/* malloc'ed, in the server's order */
	size_t n;
	int broken;		/* the session failed: no later call may use it */
};

/* maildrop.c */
/* The errno of a library error (errors.h). */
int pop3_errno(const struct mailfs_error *err);
/*
 * Connects and logs in f's session unless it is, and asks UIDL and LIST:
 * 0 or an errno (logged).  unreachable: the errno when the server cannot
 * be reached at all (ONLINE_ERRNO for reads, EROFS for rm).
 */
int pop3_session(struct be_folder *f, int unreachable);
/* Loads the UID map unless it is (under the session lock): 0 or an errno. */
int pop3_map_ready(void);
/* Ends the session: QUIT when quit (0 when it was answered +OK), else dropped. */
int pop3_session_end(struct be_folder *f, int quit);
/* The message of uid in the session, or NULL. */
const struct pop3_msg *pop3_msg_of(const struct be_folder *f, uint32_t uid);
/* Moves the library's deadline on with the operation's (a message arriving). */
void pop3_progress(struct be_folder *f);

/* session.c: the folder's operations */
int pop3_open(struct backend *be, const char *mailbox, struct be_folder **f_r,
    struct be_status *st_r);
void pop3_close(struct be_folder *f, int failed);
int pop3_refresh(struct be_folder *f, struct be_status *st_r);
int pop3_listing(struct be_folder *f, uint64_t since, const struct be_listing_cb *cb,
    struct be_status *st_r);
int pop3_fetch(struct be_folder *f, uint32_t uidvalidity, const char *uids,
    const struct be_body_cb *cb);
int pop3_expunge(struct be_folder *f, uint32_t uidvalidity, uint32_t uid);
/*
 * Gives each message first seen in this session its date, once: its
 * Date: header by TOP (for the first few), else the time now.  0, or -1
 * when the connection broke (the library's error).
 */
int pop3_learn_dates(struct be_folder *f);
/* The session lock (maildrop.c's): open() takes it, close() gives it back. */
int pop3_lock(void);
void pop3_unlock(void);
/* The one folder. */
struct be_folder *pop3_folder(void);

#endif
