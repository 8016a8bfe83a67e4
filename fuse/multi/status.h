/*
 * status: "mailfs status [--json] [MOUNT]", what each account's mount
 * says of itself.
 *
 * It reads what a mount already shows: the root's user.mailfs.status
 * (fuse/vfs/xattr.c: state, since, queued, cached, last-error, and for
 * this command account, server, last-contact, outbox, store), and for a
 * mount of every account (multi.h) the root's user.mailfs.accounts, then
 * MOUNT/NAME's status for each name (an account whose daemon is not
 * mounted there says "state: unmounted", rootfs.h).  Without MOUNT:
 * every mailfs mount of the mount table (/proc/self/mounts; elsewhere
 * MOUNT must be given), an account under a mount of every account once.
 *
 * A table, one line an account: ACCOUNT STATE SERVER LAST-CONTACT QUEUED
 * OUTBOX CACHED STORE LAST-ERROR; or with --json an array of objects
 * with the keys account, mount, state, since, server, last_contact,
 * queued, outbox, cached, listed, store_bytes, last_error, last_error_at
 * (numbers as numbers, what is not known null), for scripts.  Exit
 * status 0, or 1 when a mount could not be read (its row says why) or
 * MOUNT is no mailfs mount.
 *
 * Owns nothing; runs on the calling thread.
 */
#ifndef MAILFS_FUSE_STATUS_H
#define MAILFS_FUSE_STATUS_H

/* argv[0] is "status"; returns the exit status. */
int status_main(int argc, char **argv);

#endif
