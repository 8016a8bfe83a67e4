/*
 * Notes on messages of the source: one line of text that this mount
 * wants a message to carry, shown as its xattr user.mailfs.error (today:
 * the recipients a partly refused send did not reach, on the copy filed
 * in Sent; outbox.h).  A note belongs to a message of a folder
 * generation (mailbox, UIDVALIDITY, UID) and is kept in the store with
 * that generation (cache.h's named value "notes", a journal of
 * "UID TEXT" lines, the latest for a UID wins), so that later mounts
 * show it too, and it goes with the generation.
 *
 * Owns nothing between calls (notes are rare: each read asks the store,
 * whose index answers at once when a folder has none).  Errors per
 * errors.h.
 */
#ifndef MAILFS_FUSE_NOTES_H
#define MAILFS_FUSE_NOTES_H

#include <stddef.h>
#include <stdint.h>

/* The longest note kept; longer ones are cut. */
#define NOTE_MAX	2048

/* Gives message uid of mailbox's generation uidvalidity the note text (one line). */
int notes_set(const char *mailbox, uint32_t uidvalidity, uint32_t uid, const char *text);

/*
 * The note of the message into buf (size bytes; not NUL-terminated) and
 * its length into *len_r: 0, ENODATA when it has none, or an errno.
 */
int notes_get(const char *mailbox, uint32_t uidvalidity, uint32_t uid, char *buf,
    size_t size, size_t *len_r);

#endif
