/*
 * A folder's messages: a flat array sorted by UID of 24-byte entries,
 * loaded with one listing of the backend (backend_listing()) and kept
 * current with its deltas (since a HIGHESTMODSEQ).
 *
 * The module is two files: folder.c the array (lookups, flags, what this
 * mount did itself, saving it for the next mount), sync.c keeping it in
 * step with the source (folder_sync(), folder_ensure()).
 *
 * folder->lock protects everything below it; folder->sync_lock makes one
 * sync at a time and is the only lock of the folder held across a round
 * trip (with the backend's folder opened under it).  Lock order (fs.h):
 * sync_lock > the backend's connection > tree_lock > folder->lock.
 */
#ifndef MAILFS_FUSE_FOLDER_H
#define MAILFS_FUSE_FOLDER_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include <uthash.h>

#include "fs.h"

struct node;
struct list_item;
struct alias;

#define FLAG_SEEN	(1u << 0)
#define FLAG_ANSWERED	(1u << 1)
#define FLAG_FLAGGED	(1u << 2)
#define FLAG_DELETED	(1u << 3)
#define FLAG_DRAFT	(1u << 4)

struct msg {
	uint32_t uid;
	uint32_t size;		/* RFC822.SIZE, or the length really fetched */
	int64_t date;		/* INTERNALDATE */
	uint32_t kw;		/* index of the interned keyword set; 0: none */
	uint16_t flags;		/* FLAG_* */
	uint16_t spare;
};

struct kwset {
	char *text;		/* keywords separated by single spaces, sorted */
	uint32_t index;
	UT_hash_handle hh;
};

struct folder {
	pthread_mutex_t lock;
	pthread_mutex_t sync_lock;
	int loaded;
	uint32_t uidvalidity;
	uint32_t uidnext;
	uint64_t modseq;	/* HIGHESTMODSEQ we are current with; 0: none */
	struct msg *msgs;
	size_t n;
	size_t cap;
	struct kwset *kw_by_text;
	char **kw_texts;	/* by index; [0] is "" */
	uint32_t nkw;
	/* Names of messages that are not their UIDs' (alias.h). */
	struct alias *alias_by_name;
	struct alias *alias_by_uid;
	uint32_t alias_uidvalidity;	/* the generation they name; 0: not loaded */
	char *alias_mailbox;		/* the folder's name their journal is kept under (cache.h) */
	size_t alias_records;		/* records in the journal */
	/*
	 * Records not yet written, while a listing's names are applied
	 * (alias_hold_locked()): one write for all of them.
	 */
	char *alias_held;
	size_t alias_held_len;
	size_t alias_held_cap;
	int alias_holding;
	/* The saved listing (listcache.h) is in msgs, not yet checked. */
	int restored;
	int restore_tried;
	/* This mount changed the folder: a status from before may be stale. */
	int touched;
	/*
	 * The highest UIDNEXT and HIGHESTMODSEQ the server has shown for the
	 * generation seen_uidvalidity (0: not known yet), kept in the saved
	 * listing: a server that shows less was restored from a backup and
	 * may have given known UIDs to other messages.
	 */
	uint32_t seen_uidvalidity;
	uint32_t seen_uidnext;
	uint64_t seen_modseq;
};

struct folder *folder_new(void);
void folder_free(struct folder *f);

/*
 * f->lock, the listing's own (its messages, keywords and names): taken
 * through these, after tree_lock and before the leaves (fs.h).  The
 * functions named *_locked need it held.
 */
void folder_lock(struct folder *f);
void folder_unlock(struct folder *f);

/* The index of uid in f->msgs, or -1; needs f->lock. */
long folder_find_locked(const struct folder *f, uint32_t uid);
/* The index of the first message with a UID > uid; needs f->lock. */
size_t folder_after_locked(const struct folder *f, uint32_t uid);

/* Writes m's flags as IMAP atoms ("\Seen $Label1") into buf; returns the length. */
size_t folder_flags_text_locked(const struct folder *f, const struct msg *m,
    char *buf, size_t size);

/*
 * Brings the folder of node n up to date with the server.  status, when
 * not NULL, is what LIST-STATUS or STATUS said a moment ago: when it shows
 * no change, nothing is sent.  What the kernel must forget goes to inv
 * (may be NULL).  Returns 0 or an errno.
 */
int folder_sync(struct node *n, const struct list_item *status, struct inval_list *inv);

/*
 * Makes sure the folder was loaded once; 0 or an errno.  A folder first
 * looked at within the refresh interval of the last folder list starts
 * from the listing an earlier mount saved, and sends nothing when the
 * list's STATUS shows it unchanged.
 */
int folder_ensure(struct node *n);

/* Saves every loaded folder's listing for later mounts (listcache.h). */
void folder_save_all(void);

/* Updates one message's flags from a FETCH (after a STORE). */
void folder_set_flags(struct folder *f, uint32_t uid, const char *flags);

/*
 * The MODSEQ a FETCH of this mount's own STORE reported (0: none): a
 * server that later shows a lower HIGHESTMODSEQ went back in time.
 */
void folder_note_modseq(struct folder *f, uint32_t uidvalidity, uint64_t modseq);

/* Sets the size of a message whose real length differs from RFC822.SIZE. */
void folder_set_size(struct folder *f, uint32_t uid, uint64_t size);

/*
 * What this mount did itself, recorded at once rather than at the next
 * sync: a message that arrived (APPEND, MOVE, COPY) with the given
 * UIDVALIDITY, and one that left.  A folder not loaded, or of another
 * UIDVALIDITY, is left alone (the next sync shows the truth).
 * folder_add_local() returns 1 when it recorded the message, else 0.
 */
int folder_add_local(struct folder *f, uint32_t uidvalidity, uint32_t uid,
    uint64_t size, int64_t date, const char *flags);
void folder_remove_local(struct folder *f, uint32_t uid);

/*
 * The messages listed in every folder (as loaded, else as the last
 * folder list counted them) and how many of their bodies the store
 * holds: for the status (user.mailfs.status).
 */
void folder_count_cached(uint64_t *cached_r, uint64_t *listed_r);

/* Copies the message uid into *m and its flags text into flags; 0 or ENOENT. */
int folder_get(struct folder *f, uint32_t uid, struct msg *m, char *flags, size_t size);

#endif
