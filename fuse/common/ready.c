/*
 * READY=1 for systemd's Type=notify (ready.h).  The protocol is one
 * datagram of newline-separated VARIABLE=value lines to the socket that
 * $NOTIFY_SOCKET names; a leading '@' means Linux's abstract namespace,
 * whose address begins with a NUL byte.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <fcntl.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ready.h"

static struct sockaddr_un ready_addr;
static socklen_t ready_len;		/* 0: no service manager listens */
static pthread_mutex_t ready_lock = PTHREAD_MUTEX_INITIALIZER;
static int ready_sent;			/* under ready_lock */

void
ready_init(void)
{
	const char *path = getenv("NOTIFY_SOCKET");
	size_t n;

	if (path == NULL)
		return;
	n = strlen(path);
	if ((path[0] == '/' || path[0] == '@') && n >= 2 && n < sizeof(ready_addr.sun_path)) {
		memset(&ready_addr, 0, sizeof(ready_addr));
		ready_addr.sun_family = AF_UNIX;
		memcpy(ready_addr.sun_path, path, n);
		if (path[0] == '@')
			ready_addr.sun_path[0] = '\0';
		ready_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n +
		    (path[0] == '/'));
	}
	unsetenv("NOTIFY_SOCKET");
}

void
ready_say(const char *status)
{
	char msg[300];
	int fd, first;

	pthread_mutex_lock(&ready_lock);
	first = !ready_sent;
	ready_sent = 1;
	pthread_mutex_unlock(&ready_lock);
	if (!first || ready_len == 0)
		return;
	snprintf(msg, sizeof(msg), "READY=1%s%s", status != NULL ? "\nSTATUS=" : "",
	    status != NULL ? status : "");
	if ((fd = socket(AF_UNIX, SOCK_DGRAM, 0)) == -1)
		return;
	(void)fcntl(fd, F_SETFD, FD_CLOEXEC);
	/* Best effort: a service manager that does not listen changes nothing. */
	(void)sendto(fd, msg, strlen(msg), 0, (struct sockaddr *)&ready_addr, ready_len);
	close(fd);
}
