/*
 * Message names that are not the UID's name.  A message is the file
 * 1732780000-0000000042.eml after its folder's UIDVALIDITY and its UID
 * (names_msg()), unless it came into the folder under another name
 * through the mount (mv from another folder, an upload of a new file, a
 * rename): then the folder keeps that name for it, so that
 * `mv A/x.eml B/ && cat B/x.eml` works although the server gave it a new
 * UID.  A name of names_msg()'s form stands for a UID of the folder only
 * when its UIDVALIDITY is the folder's: one that came from another folder
 * is an alias like any other name.
 *
 * The map belongs to one generation (UIDVALIDITY) of a folder and is
 * kept in a journal, the generation's value "aliases" in the store
 * (cache_meta_put(), cache.h; cache_lock is taken under folder->lock), so
 * that names stay the same across mounts; a new UIDVALIDITY starts it afresh.
 * Journal records: "+UID NAME" and "-UID", each ended by a NUL byte (a
 * name holds neither NUL nor "/").
 *
 * Everything here needs folder->lock, except alias_load(), which takes it.
 */
#ifndef MAILFS_FUSE_ALIAS_H
#define MAILFS_FUSE_ALIAS_H

#include <stddef.h>
#include <stdint.h>

#include "names.h"

struct folder;

/*
 * Loads the map of this generation unless it is loaded; a map of another
 * generation goes.  Takes f->lock.
 */
void alias_load(struct folder *f, const char *mailbox, uint32_t uidvalidity);

/*
 * Replays the journal records in buf[0..len) into the map in memory;
 * the number of records.  alias_load() reads the journal with it; the
 * fuzzer (tests/fuzz/fuzz_alias.c) calls it directly.
 */
size_t alias_replay_locked(struct folder *f, const char *buf, size_t len);

/* Forgets the map in memory (the journal stays). */
void alias_clear_locked(struct folder *f);

/*
 * After a listing: drops the names of messages that are gone, and names
 * a message whose UID name another message holds
 * "1732780000-0000000042-2.eml".
 */
void alias_prune_locked(struct folder *f);

/* The file name of message uid: its alias, or its UID name. */
void alias_msg_name_locked(const struct folder *f, uint32_t uid,
    char out[NAMES_COMPONENT_MAX + 1]);

/*
 * The UID a file name stands for, or 0: an alias, or a UID name of this
 * folder's UIDVALIDITY whose message has no alias.  Whether that message exists is the caller's to
 * check.
 */
uint32_t alias_lookup_locked(const struct folder *f, const char *name);

/*
 * Names message uid name (a name that another message held is taken from
 * it; the UID name itself means no alias).  0 or ENOMEM.
 */
int alias_set_locked(struct folder *f, uint32_t uid, const char *name);

/*
 * on: the journal records of the calls that follow are kept in memory;
 * off: they are written, in one piece (a listing names thousands of
 * messages at once, and each record would be a piece of the value to
 * read back).  A failure to write costs only the names' persistence,
 * as a record's does.
 */
void alias_hold_locked(struct folder *f, int on);

/* Forgets the alias of uid, if it has one. */
void alias_del_locked(struct folder *f, uint32_t uid);

/* The folder is now called newmailbox (RENAME keeps UIDVALIDITY): the journal moves. */
void alias_move_locked(struct folder *f, const char *newmailbox);

#endif
