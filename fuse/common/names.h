/*
 * Folder names and message UIDs to path components and back: the one
 * place where a name from the server becomes part of a path.
 *
 * A mailbox name is split at the server's hierarchy delimiter; each level
 * becomes one component, escaped so that it is a single, harmless path
 * component and so that the mapping is reversible:
 *	"%" -> "%25"   "/" -> "%2F"
 *	a level that is "." or ".." -> "%2E" or "%2E%2E"
 *	a level that looks like a message file ("1732780000-0000000042.eml",
 *	also "1732780000-0000000042-2.eml" and the older "0000000042.eml")
 *	-> its last "." as "%2E": "1732780000-0000000042%2Eeml"
 * A level that is empty, or longer than 255 bytes once escaped, cannot be
 * shown; the caller leaves that mailbox out (and logs it).
 */
#ifndef MAILFS_FUSE_NAMES_H
#define MAILFS_FUSE_NAMES_H

#include <stddef.h>
#include <stdint.h>

#define NAMES_COMPONENT_MAX	255
#define NAMES_MSG_LEN		25	/* "1732780000-0000000042.eml" */

/*
 * Escapes the len bytes at level (one hierarchy level, UTF-8) into out.
 * Returns 0, EINVAL (empty, or a NUL byte) or ENAMETOOLONG.
 */
int names_encode(const char *level, size_t len, char out[NAMES_COMPONENT_MAX + 1]);

/*
 * Reverses names_encode().  Returns 0, EINVAL when comp
 * is not exactly what names_encode() produces for some level, or
 * ENAMETOOLONG when out (outsize bytes) is too small.
 */
int names_decode(const char *comp, char *out, size_t outsize);

/*
 * Splits a mailbox name at delim (0: the name is one level) and escapes
 * each level.  A first level that is "INBOX" in any case becomes "INBOX".
 * Returns 0 with *comps_r (free with names_free()) and *n_r, an errno
 * as names_encode(), or ENOMEM.
 */
int names_split(const char *mailbox, char delim, char ***comps_r, size_t *n_r);
void names_free(char **comps, size_t n);

/*
 * The file name of the message with this UID in a folder of this
 * UIDVALIDITY, both ten digits: "1732780000-0000000042.eml".  The servers
 * give the folders of an account distinct UIDVALIDITY values, so the name
 * is unique within the account (mv and cp between folders cannot meet
 * another message's name), stays the same for an unchanged message, and
 * sorts in UID order within a folder.  out holds NAMES_MSG_LEN + 1 bytes.
 */
void names_msg(uint32_t uidvalidity, uint32_t uid, char *out);

/*
 * The UIDVALIDITY and UID a name of exactly that form holds: 0, or
 * EINVAL when name is not one (or either number is 0 or over 32 bits).  Whether
 * it names a message of a folder is the folder's to say (alias.h).
 */
int names_msg_uid(const char *name, uint32_t *uidvalidity_r, uint32_t *uid_r);

/*
 * 1 for a file name that is not a message yet (".x", an editor's
 * temporary file): a new file so named is not uploaded (stage.h) nor
 * sent (outbox.h) until it is renamed to a visible name.
 */
int name_hidden(const char *name);

#endif
