/*
 * statuscmd: "mailfs status [--json] [MOUNT...]", a command that looks
 * at running mounts from outside, through what each exposes: the
 * root's user.mailfs.status attribute (vfs/xattr.c, mailfs(1)) and the
 * files in its Outbox/.  Without MOUNT, every fuse.mailfs mount of
 * /proc/mounts.  A table, one line an account, or with --json an array
 * of objects for scripts.
 *
 * Owns nothing; runs alone, in place of the daemon.
 */
#ifndef MAILFS_FUSE_STATUSCMD_H
#define MAILFS_FUSE_STATUSCMD_H

/*
 * argv[0] is "status".  Returns the exit status: 0, or 1 when a mount
 * could not be read (said on stderr) or none was found.
 */
int status_main(int argc, char **argv);

#endif
