/*
 * statuscmd: "mailfs status [--json] [MOUNT...]", a command that looks
 * at running mounts from outside, through what each exposes: the
 * root's user.mailfs.status attribute (vfs/xattr.c, mailfs(1)) and the
 * files in its Outbox/.  Without MOUNT, every fuse.mailfs mount of
 * /proc/mounts, each account once.  A table, one line an account, or
 * with --json an array of objects for scripts.
 *
 * Owns nothing; runs alone, in place of the daemon.
 */
#ifndef MAILFS_FUSE_STATUSCMD_H
#define MAILFS_FUSE_STATUSCMD_H

/*
 * A mount of every account of the accounts file (multi/multi.h) has no
 * status of its own: its root's attribute STATUS_ACCOUNTS_ATTR names
 * the accounts, one a line, and each is a row of MOUNT/NAME (whose
 * status says "state: unmounted" while no daemon is mounted there).
 */
#define STATUS_ACCOUNTS_ATTR	"user.mailfs.accounts"

/*
 * argv[0] is "status".  Returns the exit status: 0, or 1 when a mount
 * could not be read (said on stderr) or none was found.
 */
int status_main(int argc, char **argv);

#endif
