/*
 * multi: "mailfs [OPTIONS] MOUNT", with neither a URL nor an account,
 * mounts every account of the accounts file (config.h), each under
 * MOUNT/NAME.
 *
 * The daemon's state is one account's (fs.h, and the statics of every
 * module), so each account is a daemon of its own: its connections, its
 * store, its status, and a server that does not answer blocks nobody
 * else.  This process mounts at MOUNT a read-only filesystem with one
 * directory an account (rootfs.h), then runs for each account this same
 * program, "mailfs -f -o account=NAME [the other options] MOUNT/NAME",
 * by posix_spawn(), no shell between, nothing secret on its command
 * line (the account's options come from the file), its output read
 * through a pipe, in a session of its own: no terminal to ask for a
 * password on (it says so and fails).  All start at once; each is mounted when its directory
 * is another filesystem, or failed when it exits before that.  Then
 * the command returns: 0 when at least one account was mounted, with
 * one line on stderr for each that was not ("mailfs: NAME: not mounted:
 * why"); 1 when none was (nothing is left mounted).  What an account
 * says while it starts is said with its name ("mailfs: NAME: ..."
 * mounted offline), but for the "mounted" line of the foreground: a
 * mount that went well is as quiet as a single one.
 *
 * Afterwards the accounts' lines go to syslog (stderr with -f), each
 * with its name.  SIGTERM, SIGINT or SIGHUP to this process, or MOUNT
 * unmounted (fusermount3 -uz MOUNT, which detaches the whole tree),
 * stops every account's daemon with SIGTERM (each ends as a single mount
 * does, unmounting itself), waits for each by its PID, and then
 * unmounts MOUNT.  A plain fusermount3 -u MOUNT fails with EBUSY while
 * an account is mounted under it: the kernel's rule.  An account's
 * daemon that exits on its own (its directory unmounted) leaves its
 * directory empty; the others stay.
 *
 * A user other than root needs user_allow_other in /etc/fuse.conf: the
 * accounts' fusermount3 runs as root and the kernel lets it into a
 * directory of MOUNT only if MOUNT allows others (allow_other, which
 * this process adds; the modes 0700 keep others out all the same).  Not
 * tried here: the test machine's /dev/fuse is root's alone.
 *
 * Owns: the accounts' processes and their pipes, used by the calling
 * thread alone; the root filesystem's session, served by one thread.
 */
#ifndef MAILFS_FUSE_MULTI_H
#define MAILFS_FUSE_MULTI_H

#include "options.h"

/*
 * Runs the mount described above, with o parsed from argc and argv
 * (o->url and o->account NULL, o->mountpoint MOUNT); o stays the
 * caller's.  Returns the exit status.
 */
int multi_main(struct options *o, int argc, char **argv);

#endif
