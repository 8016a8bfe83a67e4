/*
 * Folder names and message UIDs to path components and back: the one
 * place where a name from the server becomes part of a path.
 *
 * A mailbox name is split at the server's hierarchy delimiter; each level
 * becomes one component, escaped so that it is a single, harmless path
 * component and so that the mapping is reversible:
 *	"%" -> "%25"   "/" -> "%2F"
 *	a level that is "." or ".." -> "%2E" or "%2E%2E"
 *	a level that looks like a message file ("0000000042.eml") -> "0000000042%2Eeml"
 * A level that is empty, or longer than 255 bytes once escaped, cannot be
 * shown; the caller leaves that mailbox out (and logs it).
 */
#ifndef MAILFS_FUSE_NAMES_H
#define MAILFS_FUSE_NAMES_H

#include <stddef.h>
#include <stdint.h>

#define NAMES_COMPONENT_MAX	255
#define NAMES_MSG_LEN		14	/* "0000000042.eml" */

/*
 * Escapes the len bytes at level (one hierarchy level, UTF-8) into out.
 * Returns 0, or -1 with errno EINVAL (empty, or a NUL byte) or
 * ENAMETOOLONG.
 */
int names_encode(const char *level, size_t len, char out[NAMES_COMPONENT_MAX + 1]);

/*
 * Reverses names_encode().  Returns 0, or -1 with errno EINVAL when comp
 * is not exactly what names_encode() produces for some level, or
 * ENAMETOOLONG when out (outsize bytes) is too small.
 */
int names_decode(const char *comp, char *out, size_t outsize);

/*
 * Splits a mailbox name at delim (0: the name is one level) and escapes
 * each level.  A first level that is "INBOX" in any case becomes "INBOX".
 * Returns 0 with *comps_r (free with names_free()) and *n_r, or -1 with
 * errno as names_encode(), or ENOMEM.
 */
int names_split(const char *mailbox, char delim, char ***comps_r, size_t *n_r);
void names_free(char **comps, size_t n);

/* The file name of the message with this UID: out holds NAMES_MSG_LEN + 1 bytes. */
void names_msg(uint32_t uid, char *out);

/* The UID a message file name stands for: 0 and *uid_r, or -1 when name is none. */
int names_msg_uid(const char *name, uint32_t *uid_r);

#endif
