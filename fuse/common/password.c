/*
 * The password.  It is never taken from the command line.  A password file
 * must not be readable by group or others; a command runs as /bin/sh -c CMD
 * with its standard output read through a pipe (no popen(), so that the
 * wait is bounded); the terminal is asked with echo off.
 */
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "password.h"

static void *(*const volatile memset_v)(void *, int, size_t) = memset;

void
secret_bzero(void *p, size_t n)
{
	memset_v(p, 0, n);
}

static int
secret_alloc(struct secret *s, size_t cap)
{
	s->buf = calloc(1, cap);
	if (s->buf == NULL)
		return ENOMEM;
	/* Best effort: keep it out of swap. */
	(void)mlock(s->buf, cap);
	s->len = 0;
	s->cap = cap;
	return 0;
}

static size_t
secret_cap(const struct secret *s)
{
	return s->cap != 0 ? s->cap : PASSWORD_MAX + 1;
}

int
secret_empty(struct secret *s)
{
	return secret_alloc(s, PASSWORD_MAX + 1);
}

void
secret_wipe(struct secret *s)
{
	if (s->buf == NULL)
		return;
	secret_bzero(s->buf, secret_cap(s));
	(void)munlock(s->buf, secret_cap(s));
	free(s->buf);
	s->buf = NULL;
	s->len = 0;
	s->cap = 0;
}

/* Keeps the first line of s->buf[0..s->len); 0, or EINVAL when it is empty. */
static int
first_line(struct secret *s)
{
	char *nl = memchr(s->buf, '\n', s->len);

	if (nl != NULL) {
		secret_bzero(nl, s->len - (size_t)(nl - s->buf));
		s->len = (size_t)(nl - s->buf);
	}
	if (s->len > 0 && s->buf[s->len - 1] == '\r')
		s->buf[--s->len] = '\0';
	s->buf[s->len] = '\0';
	return s->len == 0 || memchr(s->buf, '\0', s->len) != NULL ? EINVAL : 0;
}

/*
 * Reads up to the secret's capacity less one byte from fd until EOF, a
 * newline or the deadline: 0, ETIMEDOUT, or the errno of the failed read.
 */
static int
read_fd(int fd, struct secret *s, int timeout_ms)
{
	struct pollfd pfd = { fd, POLLIN, 0 };
	struct timespec start, now;
	ssize_t n;
	int left;

	clock_gettime(CLOCK_MONOTONIC, &start);
	while (s->len < secret_cap(s) - 1) {
		if (timeout_ms >= 0) {
			clock_gettime(CLOCK_MONOTONIC, &now);
			left = timeout_ms - (int)((now.tv_sec - start.tv_sec) * 1000 +
			    (now.tv_nsec - start.tv_nsec) / 1000000);
			if (left <= 0)
				return ETIMEDOUT;
			if (poll(&pfd, 1, left) == -1) {
				if (errno == EINTR)
					continue;
				return errno;
			}
			if (pfd.revents == 0)
				continue;
		}
		n = read(fd, s->buf + s->len, secret_cap(s) - 1 - s->len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return errno;
		if (n == 0)
			break;
		s->len += (size_t)n;
		if (memchr(s->buf, '\n', s->len) != NULL)
			break;
	}
	return 0;
}

static int
from_file(const char *path, struct secret *s, char *why, size_t whylen)
{
	struct stat st;
	int fd, r;

	if ((fd = open(path, O_RDONLY | O_NOCTTY)) == -1) {
		r = errno;
		snprintf(why, whylen, "cannot open the password file %s: %s", path,
		    strerror(r));
		return r;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		snprintf(why, whylen, "the password file %s is not a regular file", path);
		close(fd);
		return EINVAL;
	}
	if (st.st_mode & (S_IRGRP | S_IROTH)) {
		snprintf(why, whylen, "the password file %s is readable by group or others; "
		    "run chmod 600 on it", path);
		close(fd);
		return EACCES;
	}
	r = read_fd(fd, s, -1);
	close(fd);
	if (r != 0 || first_line(s) != 0) {
		snprintf(why, whylen, "the password file %s holds no password on its first line",
		    path);
		return EINVAL;
	}
	return 0;
}

/*
 * Runs cmd and keeps the first line it prints; what names the secret in
 * the sentences ("password", "token").
 */
static int
from_command(const char *cmd, const char *what, int timeout_s, struct secret *s,
    char *why, size_t whylen)
{
	struct timespec start, now;
	int fds[2], status, r;
	pid_t pid, w;

	if (pipe(fds) == -1) {
		r = errno;
		snprintf(why, whylen, "cannot run the %s command: %s", what, strerror(r));
		return r;
	}
	if ((pid = fork()) == -1) {
		r = errno;
		snprintf(why, whylen, "cannot run the %s command: %s", what, strerror(r));
		close(fds[0]);
		close(fds[1]);
		return r;
	}
	if (pid == 0) {
		close(fds[0]);
		if (fds[1] != STDOUT_FILENO) {
			dup2(fds[1], STDOUT_FILENO);
			close(fds[1]);
		}
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	clock_gettime(CLOCK_MONOTONIC, &start);
	r = read_fd(fds[0], s, timeout_s * 1000);
	close(fds[0]);
	/*
	 * A command that printed its line yet goes on (a helper it left
	 * running in its place) has the rest of the time to exit: the
	 * daemon runs the token command at each sign-in, and waits.
	 */
	while (r == 0 && (w = waitpid(pid, &status, WNOHANG)) != pid) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (w == -1 && errno != EINTR) {
			r = errno;
			pid = -1;	/* none to kill: not ours, or reaped */
		} else if ((now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec -
		    start.tv_nsec) / 1000000 >= (long)timeout_s * 1000)
			r = ETIMEDOUT;
		else
			(void)poll(NULL, 0, 10);
	}
	if (r != 0 && pid != -1) {
		kill(pid, SIGKILL);
		while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
			;
	}
	if (r == ETIMEDOUT) {
		snprintf(why, whylen, "the %s command did not answer within %d seconds",
		    what, timeout_s);
		return ETIMEDOUT;
	}
	if (r != 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		if (r == 0 && WIFEXITED(status) && strcmp(what, "password") != 0)
			snprintf(why, whylen, "the %s command failed (exit status %d)",
			    what, WEXITSTATUS(status));
		else
			snprintf(why, whylen, "the %s command failed", what);
		return EIO;
	}
	if (first_line(s) != 0) {
		if (strcmp(what, "password") == 0)
			snprintf(why, whylen, "the password command printed no password");
		else
			snprintf(why, whylen, "the %s command printed nothing", what);
		return EINVAL;
	}
	return 0;
}

static int
from_terminal(const char *prompt, struct secret *s, char *why, size_t whylen)
{
	struct termios old, quiet;
	int fd, r;

	if ((fd = open("/dev/tty", O_RDWR | O_NOCTTY)) == -1 || !isatty(fd)) {
		if (fd != -1)
			close(fd);
		snprintf(why, whylen, "no terminal to ask for the password on; "
		    "use -o password_file= or -o password_command=");
		return ENOTTY;
	}
	if (tcgetattr(fd, &old) == -1) {
		r = errno;
		snprintf(why, whylen, "cannot turn off echo on the terminal: %s", strerror(r));
		close(fd);
		return r;
	}
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
	quiet.c_lflag |= ICANON;
	(void)write(fd, prompt, strlen(prompt));
	tcsetattr(fd, TCSAFLUSH, &quiet);
	r = read_fd(fd, s, -1);
	tcsetattr(fd, TCSAFLUSH, &old);
	(void)write(fd, "\n", 1);
	close(fd);
	if (r != 0 || first_line(s) != 0) {
		snprintf(why, whylen, "no password was given");
		return EINVAL;
	}
	return 0;
}

int
password_get(const char *password_file, const char *password_command,
    const char *prompt, int timeout_s, struct secret *s, char *why, size_t whylen)
{
	int r;

	if ((r = secret_alloc(s, PASSWORD_MAX + 1)) != 0) {
		snprintf(why, whylen, "out of memory");
		return r;
	}
	if (password_file != NULL)
		r = from_file(password_file, s, why, whylen);
	else if (password_command != NULL)
		r = from_command(password_command, "password", timeout_s, s, why,
		    whylen);
	else
		r = from_terminal(prompt, s, why, whylen);
	if (r != 0)
		secret_wipe(s);
	return r;
}

int
token_get(const char *command, int timeout_s, struct secret *s, char *why,
    size_t whylen)
{
	int r;

	if ((r = secret_alloc(s, TOKEN_MAX + 1)) != 0) {
		snprintf(why, whylen, "out of memory");
		return r;
	}
	if ((r = from_command(command, "token", timeout_s, s, why, whylen)) != 0)
		secret_wipe(s);
	return r;
}
