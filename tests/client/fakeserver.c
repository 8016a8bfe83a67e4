/*
 * The scripted fake IMAP server of fakeserver.h.  Its tag syntax follows
 * RFC 3501 and RFC 9051 (tag = 1*<any ASTRING-CHAR except "+">).
 *
 * One thread per server.  The socket is non-blocking and every wait is a
 * poll() bounded by the step's timeout, so that a client that stalls or
 * misbehaves ends the script rather than the test.  SIGPIPE is blocked in
 * the server thread only: the test's own threads keep the default
 * disposition, so a client that raises SIGPIPE still dies of it.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "fakeserver.h"

#ifndef FAKESERVER_SRCDIR
#define FAKESERVER_SRCDIR "."
#endif

#define DEFAULT_TIMEOUT_MS	15000
#define MAX_LINE		65536
#define NTAGS			10
#define TAG_MAX			64

enum step_kind {
	STEP_SEND,
	STEP_EXPECT,
	STEP_BYTES,
	STEP_EXPECT_CLOSE,
	STEP_TLS,
	STEP_SLEEP,
	STEP_CLOSE,
	STEP_ACCEPT
};

static const char *const step_names[] = {
	[STEP_SEND] = "send",
	[STEP_EXPECT] = "expect",
	[STEP_BYTES] = "expect_bytes",
	[STEP_EXPECT_CLOSE] = "expect_close",
	[STEP_TLS] = "tls",
	[STEP_SLEEP] = "sleep",
	[STEP_CLOSE] = "close",
	[STEP_ACCEPT] = "accept",
};

struct step {
	enum step_kind	 kind;
	char		*data;		/* send: bytes; expect: pattern */
	size_t		 len;		/* send: length; expect_bytes: count */
	int		 raw;		/* send: no $TAG replacement */
	int		 ms;		/* sleep */
	int		 timeout_ms;
};

struct bytes {
	char	*p;
	size_t	 len;
	size_t	 cap;
};

struct fakeserver {
	int		 lfd;
	int		 fd;
	char		 port[16];
	int		 timeout_ms;
	char		 cert[320];
	char		 key[320];

	struct step	*steps;
	size_t		 nsteps;
	size_t		 stepcap;
	int		 build_failed;

	SSL_CTX		*ctx;
	SSL		*ssl;
	int		 connections;
	char		 tags[NTAGS][TAG_MAX];
	struct bytes	 in;		/* received, not yet consumed */
	struct bytes	 record;	/* every byte received */
	struct bytes	 clear;		/* every byte received without TLS */

	pthread_t	 thread;
	int		 started;
	int		 joined;
	int		 stop_pipe[2];
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
	int		 script_done;
	char		 error[1024];
};

/* ---- small helpers ---- */

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
left_ms(int64_t deadline)
{
	int64_t left = deadline - now_ms();

	return left <= 0 ? 0 : left > INT32_MAX ? INT32_MAX : (int)left;
}

static void __attribute__((format(printf, 2, 3)))
fail(struct fakeserver *fs, const char *fmt, ...)
{
	va_list ap;

	if (fs->error[0] != '\0')
		return;
	va_start(ap, fmt);
	vsnprintf(fs->error, sizeof(fs->error), fmt, ap);
	va_end(ap);
}

static int
bytes_add(struct bytes *b, const void *p, size_t len)
{
	size_t cap;
	char *np;

	if (b->len + len + 1 > b->cap) {
		cap = b->cap ? b->cap : 4096;
		while (cap < b->len + len + 1)
			cap *= 2;
		if ((np = realloc(b->p, cap)) == NULL)
			return -1;
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, p, len);
	b->len += len;
	b->p[b->len] = '\0';
	return 0;
}

static void
bytes_consume(struct bytes *b, size_t n)
{
	memmove(b->p, b->p + n, b->len - n);
	b->len -= n;
	b->p[b->len] = '\0';
}

/* Quotes up to about 200 bytes of s for a message, escaping the unprintable. */
static const char *
quote(const char *s, size_t len, char *buf, size_t buflen)
{
	size_t i, o = 0;
	unsigned char ch;

	for (i = 0; i < len && o + 8 < buflen && i < 200; i++) {
		ch = (unsigned char)s[i];
		if (ch == '\r')
			o += snprintf(buf + o, buflen - o, "\\r");
		else if (ch == '\n')
			o += snprintf(buf + o, buflen - o, "\\n");
		else if (ch < 0x20 || ch >= 0x7f)
			o += snprintf(buf + o, buflen - o, "\\x%02x", ch);
		else
			buf[o++] = (char)ch;
	}
	if (i < len && o + 4 < buflen)
		o += snprintf(buf + o, buflen - o, "...");
	buf[o] = '\0';
	return buf;
}

static int
contains(const struct bytes *b, const char *needle)
{
	size_t n = strlen(needle), i;

	if (n == 0)
		return 1;
	for (i = 0; b->p != NULL && i + n <= b->len; i++)
		if (memcmp(b->p + i, needle, n) == 0)
			return 1;
	return 0;
}

/* ---- certificates ---- */

static int
run_mkcert(const char *dir)
{
	char script[1024];
	const char *top;
	pid_t pid;
	int status, i, devnull;

	if ((top = getenv("top_srcdir")) == NULL || *top == '\0')
		top = FAKESERVER_SRCDIR;
	snprintf(script, sizeof(script), "%s/tests/harness/mkcert.sh", top);
	if ((pid = fork()) == -1)
		return -1;
	if (pid == 0) {
		if ((devnull = open("/dev/null", O_WRONLY)) != -1)
			dup2(devnull, STDOUT_FILENO);
		execl("/bin/sh", "sh", script, dir, (char *)NULL);
		_exit(127);
	}
	/* openssl makes two RSA keys in about a second; allow 60. */
	for (i = 0; i < 600; i++) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return WIFEXITED(status) && WEXITSTATUS(status) == 0 ?
			    0 : -1;
		poll(NULL, 0, 100);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return -1;
}

int
fakecerts_make(struct fakecerts *certs)
{
	const char *tmp;

	memset(certs, 0, sizeof(*certs));
	if ((tmp = getenv("TMPDIR")) == NULL || *tmp == '\0')
		tmp = "/tmp";
	snprintf(certs->dir, sizeof(certs->dir), "%s/mailfs-certs.XXXXXX", tmp);
	if (mkdtemp(certs->dir) == NULL) {
		certs->dir[0] = '\0';
		return -1;
	}
	snprintf(certs->ca, sizeof(certs->ca), "%s/ca.pem", certs->dir);
	snprintf(certs->cert, sizeof(certs->cert), "%s/server.pem", certs->dir);
	snprintf(certs->key, sizeof(certs->key), "%s/server.key", certs->dir);
	if (run_mkcert(certs->dir) == -1) {
		fakecerts_remove(certs);
		return -1;
	}
	return 0;
}

void
fakecerts_remove(struct fakecerts *certs)
{
	char path[600];
	struct dirent *de;
	DIR *d;

	if (certs->dir[0] == '\0')
		return;
	/* mkcert.sh makes only plain files, and no subdirectory. */
	if ((d = opendir(certs->dir)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (strcmp(de->d_name, ".") == 0 ||
			    strcmp(de->d_name, "..") == 0)
				continue;
			snprintf(path, sizeof(path), "%s/%s", certs->dir,
			    de->d_name);
			unlink(path);
		}
		closedir(d);
	}
	rmdir(certs->dir);
	certs->dir[0] = '\0';
}

/* ---- building the script ---- */

struct fakeserver *
fakeserver_new(const char *addr)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	struct fakeserver *fs;
	socklen_t sslen;
	int one = 1, flags;

	if (addr == NULL)
		addr = "127.0.0.1";
	if ((fs = calloc(1, sizeof(*fs))) == NULL)
		return NULL;
	fs->lfd = fs->fd = -1;
	fs->stop_pipe[0] = fs->stop_pipe[1] = -1;
	fs->timeout_ms = DEFAULT_TIMEOUT_MS;
	pthread_mutex_init(&fs->mu, NULL);
	pthread_cond_init(&fs->cv, NULL);

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, addr, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sslen = sizeof(*sin);
	} else if (inet_pton(AF_INET6, addr, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sslen = sizeof(*sin6);
	} else
		goto fail;
	if ((fs->lfd = socket(ss.ss_family, SOCK_STREAM, 0)) == -1)
		goto fail;
	setsockopt(fs->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fs->lfd, (struct sockaddr *)&ss, sslen) == -1 ||
	    listen(fs->lfd, 8) == -1 ||
	    getsockname(fs->lfd, (struct sockaddr *)&ss, &sslen) == -1)
		goto fail;
	if ((flags = fcntl(fs->lfd, F_GETFL)) == -1 ||
	    fcntl(fs->lfd, F_SETFL, flags | O_NONBLOCK) == -1 ||
	    fcntl(fs->lfd, F_SETFD, FD_CLOEXEC) == -1)
		goto fail;
	snprintf(fs->port, sizeof(fs->port), "%u", ntohs(ss.ss_family ==
	    AF_INET ? sin->sin_port : sin6->sin6_port));
	if (pipe(fs->stop_pipe) == -1)
		goto fail;
	return fs;
fail:
	fakeserver_free(&fs);
	return NULL;
}

const char *
fakeserver_port(const struct fakeserver *fs)
{
	return fs->port;
}

void
fakeserver_set_timeout(struct fakeserver *fs, int timeout_ms)
{
	fs->timeout_ms = timeout_ms;
}

void
fakeserver_set_certs(struct fakeserver *fs, const struct fakecerts *certs)
{
	snprintf(fs->cert, sizeof(fs->cert), "%s", certs->cert);
	snprintf(fs->key, sizeof(fs->key), "%s", certs->key);
}

static struct step *
add_step(struct fakeserver *fs, enum step_kind kind)
{
	struct step *s;
	size_t cap;

	if (fs->build_failed)
		return NULL;
	if (fs->nsteps == fs->stepcap) {
		cap = fs->stepcap ? fs->stepcap * 2 : 16;
		if ((s = realloc(fs->steps, cap * sizeof(*s))) == NULL) {
			fs->build_failed = 1;
			return NULL;
		}
		fs->steps = s;
		fs->stepcap = cap;
	}
	s = &fs->steps[fs->nsteps++];
	memset(s, 0, sizeof(*s));
	s->kind = kind;
	s->timeout_ms = fs->timeout_ms;
	return s;
}

static void
add_data_step(struct fakeserver *fs, enum step_kind kind, const void *buf,
    size_t len, int raw)
{
	struct step *s;

	if ((s = add_step(fs, kind)) == NULL)
		return;
	if ((s->data = malloc(len + 1)) == NULL) {
		fs->nsteps--;
		fs->build_failed = 1;
		return;
	}
	memcpy(s->data, buf, len);
	s->data[len] = '\0';
	s->len = len;
	s->raw = raw;
}

void
fakeserver_send(struct fakeserver *fs, const char *text)
{
	add_data_step(fs, STEP_SEND, text, strlen(text), 0);
}

void
fakeserver_send_raw(struct fakeserver *fs, const void *buf, size_t len)
{
	add_data_step(fs, STEP_SEND, buf, len, 1);
}

void
fakeserver_expect(struct fakeserver *fs, const char *pattern)
{
	add_data_step(fs, STEP_EXPECT, pattern, strlen(pattern), 0);
}

void
fakeserver_expect_bytes(struct fakeserver *fs, size_t len)
{
	struct step *s;

	if ((s = add_step(fs, STEP_BYTES)) != NULL)
		s->len = len;
}

void
fakeserver_expect_close(struct fakeserver *fs)
{
	add_step(fs, STEP_EXPECT_CLOSE);
}

void
fakeserver_tls(struct fakeserver *fs)
{
	add_step(fs, STEP_TLS);
}

void
fakeserver_sleep(struct fakeserver *fs, int ms)
{
	struct step *s;

	if ((s = add_step(fs, STEP_SLEEP)) != NULL)
		s->ms = ms;
}

void
fakeserver_close(struct fakeserver *fs)
{
	add_step(fs, STEP_CLOSE);
}

void
fakeserver_accept(struct fakeserver *fs)
{
	add_step(fs, STEP_ACCEPT);
}

/* ---- patterns and tags ---- */

static int
is_tag_char(unsigned char ch)
{
	return ch > 0x20 && ch < 0x7f && strchr("()*{%\"\\+", ch) == NULL;
}

/* The capture index of a "$TAG" or "$TAGn" at p, its length in *len; -1 if none. */
static int
tag_ref(const char *p, size_t *len)
{
	if (strncmp(p, "$TAG", 4) != 0)
		return -1;
	if (p[4] >= '1' && p[4] <= '9') {
		*len = 5;
		return p[4] - '0';
	}
	*len = 4;
	return 0;
}

static int
match(struct fakeserver *fs, const char *pat, const char *s)
{
	size_t reflen, n;
	int idx;

	for (;;) {
		if (*pat == '\0')
			return *s == '\0';
		if (*pat == '*') {
			/* Try every split, shortest first. */
			for (;;) {
				if (match(fs, pat + 1, s))
					return 1;
				if (*s == '\0')
					return 0;
				s++;
			}
		}
		if ((idx = tag_ref(pat, &reflen)) >= 0) {
			for (n = 0; is_tag_char((unsigned char)s[n]); n++)
				continue;
			/* Longest first, so "$TAG*" and "$TAG OK" both work. */
			for (; n > 0; n--) {
				if (n >= TAG_MAX)
					continue;
				memcpy(fs->tags[idx], s, n);
				fs->tags[idx][n] = '\0';
				if (match(fs, pat + reflen, s + n))
					return 1;
			}
			return 0;
		}
		if (*pat != *s)
			return 0;
		pat++;
		s++;
	}
}

/* text with its tag references replaced, in out; -1 for an unset tag. */
static int
substitute(struct fakeserver *fs, const char *text, struct bytes *out)
{
	size_t reflen;
	int idx;

	out->len = 0;
	while (*text != '\0') {
		if ((idx = tag_ref(text, &reflen)) >= 0) {
			if (fs->tags[idx][0] == '\0') {
				fail(fs, "no tag was captured for %.*s",
				    (int)reflen, text);
				return -1;
			}
			if (bytes_add(out, fs->tags[idx],
			    strlen(fs->tags[idx])) == -1)
				return -1;
			text += reflen;
		} else {
			if (bytes_add(out, text, 1) == -1)
				return -1;
			text++;
		}
	}
	return 0;
}

/* ---- the connection ---- */

static void
conn_drop(struct fakeserver *fs)
{
	if (fs->ssl != NULL) {
		SSL_free(fs->ssl);
		fs->ssl = NULL;
	}
	if (fs->fd != -1) {
		close(fs->fd);
		fs->fd = -1;
	}
	fs->in.len = 0;
	memset(fs->tags, 0, sizeof(fs->tags));
}

static int
wait_fd(int fd, short events, int64_t deadline)
{
	struct pollfd pfd;
	int n;

	do {
		pfd.fd = fd;
		pfd.events = events;
		pfd.revents = 0;
		n = poll(&pfd, 1, left_ms(deadline));
	} while (n == -1 && errno == EINTR);
	return n;
}

static int
accept_conn(struct fakeserver *fs, int timeout_ms)
{
	int64_t deadline = now_ms() + timeout_ms;
	int flags;

	conn_drop(fs);
	for (;;) {
		fs->fd = accept(fs->lfd, NULL, NULL);
		if (fs->fd != -1)
			break;
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
			fail(fs, "accept: %s", strerror(errno));
			return -1;
		}
		if (wait_fd(fs->lfd, POLLIN, deadline) <= 0) {
			fail(fs, "no client connected within %d ms",
			    timeout_ms);
			return -1;
		}
	}
	if ((flags = fcntl(fs->fd, F_GETFL)) == -1 ||
	    fcntl(fs->fd, F_SETFL, flags | O_NONBLOCK) == -1) {
		fail(fs, "fcntl: %s", strerror(errno));
		return -1;
	}
	fs->connections++;
	return 0;
}

/*
 * Reads what is there into fs->in, waiting until deadline for some.
 * > 0 bytes read, 0 at end of stream, -1 on error, -2 on timeout.
 */
static int
read_some(struct fakeserver *fs, int64_t deadline)
{
	char buf[16384];
	size_t got;
	ssize_t n;
	int err, r;
	short ev;

	if (fs->fd == -1)
		return 0;
	for (;;) {
		ev = POLLIN;
		if (fs->ssl != NULL) {
			ERR_clear_error();
			if (SSL_read_ex(fs->ssl, buf, sizeof(buf), &got) == 1) {
				n = (ssize_t)got;
				break;
			}
			err = SSL_get_error(fs->ssl, 0);
			if (err == SSL_ERROR_ZERO_RETURN ||
			    err == SSL_ERROR_SYSCALL) {
				ERR_clear_error();
				return 0;
			}
			if (err == SSL_ERROR_WANT_WRITE)
				ev = POLLOUT;
			else if (err != SSL_ERROR_WANT_READ) {
				ERR_clear_error();
				return -1;
			}
		} else {
			n = recv(fs->fd, buf, sizeof(buf), 0);
			if (n >= 0)
				break;
			if (errno == ECONNRESET)
				return 0;
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR)
				return -1;
		}
		if ((r = wait_fd(fs->fd, ev, deadline)) < 0)
			return -1;
		if (r == 0)
			return -2;
	}
	if (n == 0)
		return 0;
	if (bytes_add(&fs->in, buf, (size_t)n) == -1 ||
	    bytes_add(&fs->record, buf, (size_t)n) == -1 ||
	    (fs->ssl == NULL && bytes_add(&fs->clear, buf, (size_t)n) == -1))
		return -1;
	return (int)n;
}

static int
write_all(struct fakeserver *fs, const char *p, size_t len, int64_t deadline)
{
	size_t done;
	ssize_t n;
	int err, r;
	short ev;

	while (len > 0) {
		ev = POLLOUT;
		if (fs->ssl != NULL) {
			ERR_clear_error();
			if (SSL_write_ex(fs->ssl, p, len, &done) == 1) {
				p += done;
				len -= done;
				continue;
			}
			err = SSL_get_error(fs->ssl, 0);
			if (err == SSL_ERROR_WANT_READ)
				ev = POLLIN;
			else if (err != SSL_ERROR_WANT_WRITE) {
				ERR_clear_error();
				fail(fs, "TLS write failed");
				return -1;
			}
		} else {
			/* SIGPIPE is blocked in this thread. */
			n = send(fs->fd, p, len, 0);
			if (n >= 0) {
				p += n;
				len -= (size_t)n;
				continue;
			}
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR) {
				fail(fs, "write: %s", strerror(errno));
				return -1;
			}
		}
		if ((r = wait_fd(fs->fd, ev, deadline)) <= 0) {
			fail(fs, "the client did not read what was sent");
			return -1;
		}
	}
	return 0;
}

static int
tls_accept(struct fakeserver *fs, int64_t deadline)
{
	char reason[256];
	int ret, err;

	if (fs->in.len > 0) {
		fail(fs, "the client sent %zu bytes before the TLS handshake",
		    fs->in.len);
		return -1;
	}
	ERR_clear_error();
	if (fs->ctx == NULL) {
		if ((fs->ctx = SSL_CTX_new(TLS_server_method())) == NULL ||
		    SSL_CTX_use_certificate_chain_file(fs->ctx,
		    fs->cert) != 1 ||
		    SSL_CTX_use_PrivateKey_file(fs->ctx, fs->key,
		    SSL_FILETYPE_PEM) != 1) {
			ERR_clear_error();
			fail(fs, "cannot load the certificate \"%s\" "
			    "(fakeserver_set_certs?)", fs->cert);
			return -1;
		}
	}
	if ((fs->ssl = SSL_new(fs->ctx)) == NULL ||
	    SSL_set_fd(fs->ssl, fs->fd) != 1) {
		fail(fs, "SSL_new failed");
		return -1;
	}
	for (;;) {
		ERR_clear_error();
		if ((ret = SSL_accept(fs->ssl)) == 1)
			return 0;
		err = SSL_get_error(fs->ssl, ret);
		if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE) {
			ERR_error_string_n(ERR_peek_error(), reason,
			    sizeof(reason));
			ERR_clear_error();
			fail(fs, "the TLS handshake failed (%s)", reason);
			return -1;
		}
		if (wait_fd(fs->fd, err == SSL_ERROR_WANT_READ ? POLLIN :
		    POLLOUT, deadline) <= 0) {
			fail(fs, "the TLS handshake did not finish in time");
			return -1;
		}
	}
}

static int
run_expect(struct fakeserver *fs, const struct step *s, int64_t deadline)
{
	char q[1024];
	char *nl;
	size_t linelen, consumed;
	int r;

	for (;;) {
		if (fs->in.p != NULL &&
		    (nl = memchr(fs->in.p, '\n', fs->in.len)) != NULL)
			break;
		if (fs->in.len > MAX_LINE) {
			fail(fs, "the client sent a line of more than %d bytes",
			    MAX_LINE);
			return -1;
		}
		if ((r = read_some(fs, deadline)) > 0)
			continue;
		fail(fs, "%s, after \"%s\"", r == 0 ?
		    "the client closed the connection" : r == -2 ?
		    "no line from the client in time" : "read error",
		    quote(fs->in.p ? fs->in.p : "", fs->in.len, q, sizeof(q)));
		return -1;
	}
	consumed = (size_t)(nl - fs->in.p) + 1;
	linelen = consumed - 1;
	if (linelen > 0 && fs->in.p[linelen - 1] == '\r')
		linelen--;
	fs->in.p[linelen] = '\0';
	/* A NUL in the line would end the match early: a mismatch. */
	if (strlen(fs->in.p) != linelen || !match(fs, s->data, fs->in.p)) {
		fail(fs, "got \"%s\"", quote(fs->in.p, linelen, q, sizeof(q)));
		return -1;
	}
	bytes_consume(&fs->in, consumed);
	return 0;
}

static int
run_step(struct fakeserver *fs, const struct step *s)
{
	int64_t deadline = now_ms() + s->timeout_ms;
	struct bytes out = { NULL, 0, 0 };
	int r;

	if (fs->fd == -1 && s->kind != STEP_ACCEPT && s->kind != STEP_SLEEP &&
	    s->kind != STEP_CLOSE) {
		fail(fs, "the connection is closed");
		return -1;
	}
	switch (s->kind) {
	case STEP_SEND:
		if (s->raw)
			return write_all(fs, s->data, s->len, deadline);
		if (substitute(fs, s->data, &out) == -1) {
			free(out.p);
			fail(fs, "out of memory");
			return -1;
		}
		r = write_all(fs, out.p ? out.p : "", out.len, deadline);
		free(out.p);
		return r;
	case STEP_EXPECT:
		return run_expect(fs, s, deadline);
	case STEP_BYTES:
		while (fs->in.len < s->len)
			if (read_some(fs, deadline) <= 0) {
				fail(fs, "got %zu of %zu bytes", fs->in.len,
				    s->len);
				return -1;
			}
		bytes_consume(&fs->in, s->len);
		return 0;
	case STEP_EXPECT_CLOSE:
		while ((r = read_some(fs, deadline)) > 0)
			continue;
		if (r != 0) {
			fail(fs, "the client did not close the connection");
			return -1;
		}
		conn_drop(fs);
		return 0;
	case STEP_TLS:
		return tls_accept(fs, deadline);
	case STEP_SLEEP:
		poll(NULL, 0, s->ms);
		return 0;
	case STEP_CLOSE:
		conn_drop(fs);
		return 0;
	case STEP_ACCEPT:
		return accept_conn(fs, s->timeout_ms);
	}
	return -1;
}

/* After the script: records until the client closes or finish() says stop. */
static void
record_rest(struct fakeserver *fs)
{
	struct pollfd pfd[2];
	int n;

	while (fs->fd != -1) {
		pfd[0].fd = fs->fd;
		pfd[0].events = POLLIN;
		pfd[1].fd = fs->stop_pipe[0];
		pfd[1].events = POLLIN;
		pfd[0].revents = pfd[1].revents = 0;
		if (fs->ssl == NULL || SSL_pending(fs->ssl) == 0) {
			n = poll(pfd, 2, -1);
			if (n == -1 && errno == EINTR)
				continue;
			if (n == -1 || pfd[1].revents != 0)
				break;
		}
		if ((n = read_some(fs, now_ms())) == 0 || n == -1)
			break;
	}
	/* Stopped: take what the client has sent already, then go. */
	while (fs->fd != -1 && read_some(fs, now_ms() + 50) > 0)
		continue;
	conn_drop(fs);
}

/* Puts "step N (kind ...): " before the message of a failed step. */
static void
name_step(struct fakeserver *fs, size_t i)
{
	const struct step *s = &fs->steps[i];
	char msg[sizeof(fs->error) + 512];
	char q[256];

	snprintf(msg, sizeof(msg), "step %zu (%s%s%s%s): %s", i + 1,
	    step_names[s->kind], s->kind == STEP_EXPECT ? " \"" : "",
	    s->kind == STEP_EXPECT ? quote(s->data, s->len, q, sizeof(q)) : "",
	    s->kind == STEP_EXPECT ? "\"" : "", fs->error);
	memcpy(fs->error, msg, sizeof(fs->error) - 1);
	fs->error[sizeof(fs->error) - 1] = '\0';
}

static void *
server_main(void *arg)
{
	struct fakeserver *fs = arg;
	sigset_t set;
	size_t i;

	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &set, NULL);

	if (accept_conn(fs, fs->timeout_ms) == 0) {
		for (i = 0; i < fs->nsteps; i++) {
			if (run_step(fs, &fs->steps[i]) == -1) {
				name_step(fs, i);
				break;
			}
		}
	}
	pthread_mutex_lock(&fs->mu);
	fs->script_done = 1;
	pthread_cond_broadcast(&fs->cv);
	pthread_mutex_unlock(&fs->mu);

	/* A failed script hangs up at once, so the client cannot wait on it. */
	if (fs->error[0] != '\0')
		conn_drop(fs);
	record_rest(fs);
	return NULL;
}

int
fakeserver_start(struct fakeserver *fs)
{
	if (fs->build_failed) {
		fail(fs, "out of memory while building the script");
		return -1;
	}
	if (fs->started) {
		fail(fs, "fakeserver_start() called twice");
		return -1;
	}
	if (pthread_create(&fs->thread, NULL, server_main, fs) != 0) {
		fail(fs, "cannot start the server thread");
		return -1;
	}
	fs->started = 1;
	return 0;
}

static void
stop(struct fakeserver *fs)
{
	if (!fs->started || fs->joined)
		return;
	pthread_mutex_lock(&fs->mu);
	while (!fs->script_done)
		pthread_cond_wait(&fs->cv, &fs->mu);
	pthread_mutex_unlock(&fs->mu);
	while (write(fs->stop_pipe[1], "x", 1) == -1 && errno == EINTR)
		continue;
	pthread_join(fs->thread, NULL);
	fs->joined = 1;
}

int
fakeserver_finish(struct fakeserver *fs)
{
	if (fs->build_failed)
		fail(fs, "out of memory while building the script");
	if (!fs->started)
		fail(fs, "the server was never started");
	stop(fs);
	return fs->error[0] == '\0' ? 0 : -1;
}

const char *
fakeserver_error(const struct fakeserver *fs)
{
	return fs->error;
}

const char *
fakeserver_received(const struct fakeserver *fs, size_t *len_r)
{
	if (len_r != NULL)
		*len_r = fs->record.len;
	return fs->record.p != NULL ? fs->record.p : "";
}

int
fakeserver_received_contains(const struct fakeserver *fs, const char *needle)
{
	return contains(&fs->record, needle);
}

int
fakeserver_received_in_clear(const struct fakeserver *fs, const char *needle)
{
	return contains(&fs->clear, needle);
}

int
fakeserver_connections(const struct fakeserver *fs)
{
	return fs->connections;
}

void
fakeserver_free(struct fakeserver **fsp)
{
	struct fakeserver *fs = *fsp;
	size_t i;

	if (fs == NULL)
		return;
	stop(fs);
	conn_drop(fs);
	SSL_CTX_free(fs->ctx);
	if (fs->lfd != -1)
		close(fs->lfd);
	if (fs->stop_pipe[0] != -1)
		close(fs->stop_pipe[0]);
	if (fs->stop_pipe[1] != -1)
		close(fs->stop_pipe[1]);
	for (i = 0; i < fs->nsteps; i++)
		free(fs->steps[i].data);
	free(fs->steps);
	free(fs->in.p);
	free(fs->record.p);
	free(fs->clear.p);
	pthread_mutex_destroy(&fs->mu);
	pthread_cond_destroy(&fs->cv);
	free(fs);
	*fsp = NULL;
}
