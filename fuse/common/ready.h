/*
 * ready: tells a service manager that the mount is ready, by the
 * protocol of systemd's Type=notify (sd_notify(3)) without libsystemd:
 * one datagram "READY=1" to the AF_UNIX socket named by $NOTIFY_SOCKET
 * (a path, or "@name" in Linux's abstract namespace).  Nothing happens
 * where that variable is not set.
 *
 * Owns: the socket's address, taken at ready_init(), and whether READY=1
 * went; ready_lock guards the latter, a leaf of fs.h's order.
 */
#ifndef MAILFS_FUSE_READY_H
#define MAILFS_FUSE_READY_H

/*
 * Takes $NOTIFY_SOCKET and removes it from the environment, so that the
 * commands mailfs runs (password_command=) cannot speak for it.  Call
 * once, before any thread.
 */
void ready_init(void);

/*
 * Sends "READY=1" the first time it is called (later calls do nothing),
 * with "STATUS=status" when status is not NULL.  Any thread.
 */
void ready_say(const char *status);

#endif
