/*
 * Message bytes on disk: $XDG_CACHE_HOME/mailfs/ACCOUNT/FOLDER/UIDVALIDITY/UID
 * (hashes for ACCOUNT and FOLDER; files 0600, directories 0700), fetched
 * whole with BODY.PEEK[], written to a temporary file and renamed into
 * place when complete, bounded in total size by evicting the least
 * recently used.  An open file keeps its descriptor, so eviction never
 * disturbs a reader.
 */
#ifndef MAILFS_FUSE_CACHE_H
#define MAILFS_FUSE_CACHE_H

#include <stddef.h>
#include <stdint.h>

/* account: a string that names the account (user@host:port).  0 or -1 with why. */
int cache_init(const char *account, uint64_t limit, char *why, size_t whylen);
void cache_destroy(void);

/*
 * A read-only descriptor of the message's bytes, fetched when not cached.
 * Nothing is served unless the folder still has this UIDVALIDITY.
 * Returns the descriptor and *size_r (its real length), or -errno.
 */
int cache_open(const char *mailbox, uint32_t uidvalidity, uint32_t uid, uint64_t *size_r);

/*
 * The path of a file kept beside a folder generation's cached bytes
 * (leaf must not be all digits), its directory made; 0 or an errno.
 */
int cache_folder_file(const char *mailbox, uint32_t uidvalidity, const char *leaf,
    char *out, size_t size);

/* The directory of staged new files (made, mode 0700); 0 or an errno. */
int cache_staging_dir(char *out, size_t size);

/* Throws away the cached bytes (and alias map) of one generation of a folder. */
void cache_drop(const char *mailbox, uint32_t uidvalidity);

/* Bytes in the cache, for the log. */
uint64_t cache_bytes(void);

#endif
