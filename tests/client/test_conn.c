/*
 * lib/transport/conn.c against the scripted fake server (and Dovecot when the
 * harness can start one): connection failures, timeouts, certificate and
 * host name checks, STARTTLS, peers that go away, IPv6, threads.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "conn.h"
#include "errors.h"
#include "../tap.h"
#include "../harness/testenv.h"
#include "fakeserver.h"

#define T	15000	/* ms: the timeout of calls that should succeed */

static struct fakecerts certs;

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
skip(const char *name, const char *why)
{
	ok(1, "%s # SKIP %s", name, why);
}

/* Reads into buf until it holds needle.  0, or -1 with err filled. */
static int
read_until(struct conn *c, const char *needle, char *buf, size_t cap,
    struct mailfs_error *err)
{
	size_t len = 0;
	ssize_t n;

	buf[0] = '\0';
	while (strstr(buf, needle) == NULL) {
		if (len + 1 >= cap) {
			error_set(err, MAILFS_ERR_LIMIT, "buffer full");
			return -1;
		}
		if ((n = conn_read(c, buf + len, cap - 1 - len, T, err)) < 0)
			return -1;
		len += (size_t)n;
		buf[len] = '\0';
	}
	return 0;
}

static int
send_str(struct conn *c, const char *s, struct mailfs_error *err)
{
	return conn_write(c, s, strlen(s), T, err);
}

/* A fake server at addr, or NULL; the caller adds the script. */
static struct fakeserver *
server(const char *addr)
{
	struct fakeserver *fs;

	if ((fs = fakeserver_new(addr)) == NULL)
		return NULL;
	fakeserver_set_certs(fs, &certs);
	return fs;
}

static void
finish(struct fakeserver **fs, const char *name)
{
	ok(fakeserver_finish(*fs) == 0, "%s: the script ran (%s)", name,
	    fakeserver_error(*fs));
	fakeserver_free(fs);
}

static void
remove_certs(void)
{
	fakecerts_remove(&certs);
}

static void
test_refused(void)
{
	struct sockaddr_in sin;
	struct mailfs_error err = { 0 };
	socklen_t len = sizeof(sin);
	struct conn *c;
	char port[16], want[64];
	int fd;

	/* A port that was free a moment ago: nothing listens there now. */
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
	    bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    getsockname(fd, (struct sockaddr *)&sin, &len) == -1)
		bail_out("cannot find a free port");
	snprintf(port, sizeof(port), "%u", ntohs(sin.sin_port));
	close(fd);

	c = conn_open("127.0.0.1", port, T, NULL, &err);
	ok(c == NULL && err.kind == MAILFS_ERR_CONNECT,
	    "refused: MAILFS_ERR_CONNECT (%s)", err.msg);
	snprintf(want, sizeof(want), "127.0.0.1 port %s", port);
	ok(strstr(err.msg, want) != NULL && strstr(err.msg, "refused") != NULL,
	    "refused: the message names the address, port and reason");
	conn_close(&c);
}

/*
 * A listener that never accepts, with its backlog full: Linux drops the
 * SYNs of further connections, which then time out as a server that does
 * not answer would.  Skipped where the kernel completes them anyway.
 */
static void
test_connect_timeout(void)
{
	struct sockaddr_in sin;
	struct mailfs_error err = { 0 };
	socklen_t len = sizeof(sin);
	struct conn *c;
	char port[16];
	int lfd, fill[3], i;
	int64_t t0, took;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((lfd = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
	    bind(lfd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(lfd, 0) == -1 ||
	    getsockname(lfd, (struct sockaddr *)&sin, &len) == -1)
		bail_out("cannot listen");
	snprintf(port, sizeof(port), "%u", ntohs(sin.sin_port));
	for (i = 0; i < 3; i++) {
		if ((fill[i] = socket(AF_INET, SOCK_STREAM, 0)) == -1)
			bail_out("socket");
		fcntl(fill[i], F_SETFL, O_NONBLOCK);
		connect(fill[i], (struct sockaddr *)&sin, sizeof(sin));
	}
	poll(NULL, 0, 100);
	t0 = now_ms();
	c = conn_open("127.0.0.1", port, 500, NULL, &err);
	took = now_ms() - t0;
	if (c != NULL) {
		skip("connect timeout", "a full backlog does not drop SYNs here");
		skip("connect timeout", "a full backlog does not drop SYNs here");
	} else {
		ok(err.kind == MAILFS_ERR_TIMEOUT,
		    "connect timeout: MAILFS_ERR_TIMEOUT (%s)", err.msg);
		ok(took >= 450 && took < 1500,
		    "connect timeout: after %lld ms of 500", (long long)took);
	}
	conn_close(&c);
	for (i = 0; i < 3; i++)
		close(fill[i]);
	close(lfd);
}

/*
 * The resolver runs in a child, so that a machine whose DNS does not
 * answer at all cannot hang the test: after 10 s it is killed and the
 * test skipped.
 */
static void
test_resolve(void)
{
	struct mailfs_error err = { 0 };
	struct pollfd pfd;
	struct conn *c;
	ssize_t n;
	pid_t pid;
	int p[2], status, r;

	if (pipe(p) == -1 || (pid = fork()) == -1)
		bail_out("pipe or fork");
	if (pid == 0) {
		close(p[0]);
		c = conn_open("no-such-host.mailfs.invalid", "143", T, NULL, &err);
		if (c != NULL) {
			err.kind = MAILFS_ERR_NONE;
			conn_close(&c);
		}
		if (write(p[1], &err, sizeof(err)) != sizeof(err))
			_exit(1);
		_exit(0);
	}
	close(p[1]);
	pfd.fd = p[0];
	pfd.events = POLLIN;
	do
		r = poll(&pfd, 1, 10000);
	while (r == -1 && errno == EINTR);
	if (r <= 0) {
		kill(pid, SIGKILL);
		skip("unresolvable host", "the resolver takes too long here");
	} else {
		n = read(p[0], &err, sizeof(err));
		ok(n == sizeof(err) && err.kind == MAILFS_ERR_RESOLVE,
		    "unresolvable host: MAILFS_ERR_RESOLVE (%s)",
		    n == sizeof(err) ? err.msg : "no answer");
	}
	close(p[0]);
	waitpid(pid, &status, 0);
}

static void
test_read_timeout(void)
{
	struct mailfs_error err = { 0 };
	struct fakeserver *fs;
	struct conn *c;
	char buf[64];
	int64_t t0, took;
	ssize_t n;

	fs = server(NULL);
	fakeserver_expect_close(fs);
	fakeserver_start(fs);
	if ((c = conn_open("127.0.0.1", fakeserver_port(fs), T, NULL, &err)) == NULL)
		bail_out(err.msg);
	t0 = now_ms();
	n = conn_read(c, buf, sizeof(buf), 500, &err);
	took = now_ms() - t0;
	ok(n == -1 && err.kind == MAILFS_ERR_TIMEOUT,
	    "silent server: MAILFS_ERR_TIMEOUT (%s)", err.msg);
	ok(took >= 450 && took < 2000, "silent server: after %lld ms of 500",
	    (long long)took);
	conn_close(&c);
	ok(c == NULL, "conn_close sets the pointer to NULL");
	conn_close(&c);
	finish(&fs, "silent server");
}

static void
test_plain(void)
{
	struct mailfs_error err = { 0 };
	struct fakeserver *fs;
	struct conn *c;
	char buf[256];
	socklen_t optlen;
	int opt;

	fs = server(NULL);
	fakeserver_send(fs, "* OK fake IMAP\r\n");
	fakeserver_expect(fs, "$TAG NOOP");
	fakeserver_send(fs, "* 3 EXISTS\r\n$TAG OK NOOP done\r\n");
	fakeserver_expect_close(fs);
	fakeserver_start(fs);

	if ((c = conn_open("127.0.0.1", fakeserver_port(fs), T, NULL, &err)) == NULL)
		bail_out(err.msg);
	ok(!conn_is_tls(c), "plain: not TLS");
	ok(fcntl(conn_fd(c), F_GETFD) & FD_CLOEXEC, "plain: FD_CLOEXEC");
	optlen = sizeof(opt);
	ok(getsockopt(conn_fd(c), IPPROTO_TCP, TCP_NODELAY, &opt, &optlen) ==
	    0 && opt != 0, "plain: TCP_NODELAY");
	ok(read_until(c, "\r\n", buf, sizeof(buf), &err) == 0 &&
	    strcmp(buf, "* OK fake IMAP\r\n") == 0, "plain: greeting");
	ok(!conn_readable_now(c), "plain: nothing more to read");
	ok(send_str(c, "a1 NOOP\r\n", &err) == 0, "plain: write");
	ok(read_until(c, "a1 OK NOOP done\r\n", buf, sizeof(buf), &err) == 0,
	    "plain: tagged reply (%s)", err.msg);
	conn_close(&c);
	finish(&fs, "plain");
}

static void
test_tls(void)
{
	struct mailfs_error err = { 0 };
	struct fakeserver *fs;
	struct conn *c;
	char big[3001], buf[4096];
	ssize_t n;

	memset(big, 'x', sizeof(big) - 3);
	memcpy(big + sizeof(big) - 3, "\r\n", 3);
	fs = server(NULL);
	fakeserver_tls(fs);
	fakeserver_send(fs, "* OK fake IMAPS\r\n");
	fakeserver_expect(fs, "$TAG NOOP");
	fakeserver_send(fs, big);
	fakeserver_send(fs, "$TAG OK done\r\n");
	fakeserver_expect_close(fs);
	fakeserver_start(fs);

	if ((c = conn_open("127.0.0.1", fakeserver_port(fs), T, NULL, &err)) == NULL)
		bail_out(err.msg);
	ok(conn_start_tls(c, "127.0.0.1", certs.ca, T, &err) == 0,
	    "TLS with the CA: handshake (%s)", err.msg);
	ok(conn_is_tls(c), "TLS: conn_is_tls");
	ok(conn_start_tls(c, "127.0.0.1", certs.ca, T, &err) == -1 &&
	    err.kind == MAILFS_ERR_USAGE, "TLS twice: MAILFS_ERR_USAGE");
	ok(read_until(c, "\r\n", buf, sizeof(buf), &err) == 0 &&
	    strcmp(buf, "* OK fake IMAPS\r\n") == 0, "TLS: greeting");
	ok(send_str(c, "a1 NOOP\r\n", &err) == 0, "TLS: write");
	/* Part of a record read: the rest waits in OpenSSL, not the socket. */
	n = conn_read(c, buf, 10, T, &err);
	ok(n > 0 && n <= 10, "TLS: short read");
	ok(conn_readable_now(c), "TLS: conn_readable_now sees buffered data");
	ok(read_until(c, "a1 OK done\r\n", buf, sizeof(buf), &err) == 0,
	    "TLS: the rest (%s)", err.msg);
	conn_close(&c);
	finish(&fs, "TLS");
}

static void
test_tls_fails(const char *name, const char *host, const char *ca,
    enum mailfs_errkind want, const char *want_msg)
{
	struct mailfs_error err = { 0 };
	struct fakeserver *fs;
	struct conn *c;

	fs = server(NULL);
	fakeserver_tls(fs);
	fakeserver_start(fs);
	if ((c = conn_open("127.0.0.1", fakeserver_port(fs), T, NULL, &err)) == NULL)
		bail_out(err.msg);
	ok(conn_start_tls(c, host, ca, T, &err) == -1 && err.kind == want,
	    "%s: %s (%s)", name, mailfs_errkind_name(want), err.msg);
	ok(strstr(err.msg, want_msg) != NULL, "%s: the message says \"%s\"",
	    name, want_msg);
	ok(!conn_is_tls(c), "%s: not TLS", name);
	conn_close(&c);
	/* The server's side of the handshake fails too: no finish() check. */
	if (fakeserver_finish(fs) == -1)
		diag("%s: fake server: %s", name, fakeserver_error(fs));
	fakeserver_free(&fs);
}

static void
test_starttls(void)
{
	struct mailfs_error err = { 0 };
	struct fakeserver *fs;
	struct conn *c;
	char buf[256];

	fs = server(NULL);
	fakeserver_send(fs, "* OK [CAPABILITY IMAP4rev1 STARTTLS] hi\r\n");
	fakeserver_expect(fs, "$TAG STARTTLS");
	fakeserver_send(fs, "$TAG OK begin TLS\r\n");
	fakeserver_tls(fs);
	fakeserver_expect(fs, "$TAG LOGIN * *");
	fakeserver_send(fs, "$TAG OK logged in\r\n");
	fakeserver_expect_close(fs);
	fakeserver_start(fs);

	if ((c = conn_open("127.0.0.1", fakeserver_port(fs), T, NULL, &err)) == NULL)
		bail_out(err.msg);
	ok(read_until(c, "\r\n", buf, sizeof(buf), &err) == 0 &&
	    send_str(c, "s1 STARTTLS\r\n", &err) == 0 &&
	    read_until(c, "s1 OK", buf, sizeof(buf), &err) == 0,
	    "STARTTLS: in the clear (%s)", err.msg);
	ok(conn_start_tls(c, "127.0.0.1", certs.ca, T, &err) == 0,
	    "STARTTLS: handshake (%s)", err.msg);
	ok(send_str(c, "s2 LOGIN user secret\r\n", &err) == 0 &&
	    read_until(c, "s2 OK", buf, sizeof(buf), &err) == 0,
	    "STARTTLS: login under TLS (%s)", err.msg);
	conn_close(&c);
	finish(&fs, "STARTTLS");
}

/* The recording API, on a STARTTLS exchange. */
static void
test_recording(void)
{
	struct mailfs_error err = { 0 };
	struct fakeserver *fs;
	struct conn *c;
	const char *got;
	char buf[256];
	size_t len;

	fs = server(NULL);
	fakeserver_send(fs, "* OK hi\r\n");
	fakeserver_expect(fs, "$TAG1 STARTTLS");
	fakeserver_send(fs, "$TAG1 OK begin TLS\r\n");
	fakeserver_tls(fs);
	fakeserver_expect(fs, "$TAG2 LOGIN {4}");
	fakeserver_send(fs, "+ go on\r\n");
	fakeserver_expect_bytes(fs, 4);
	fakeserver_expect(fs, " pass");
	fakeserver_send(fs, "$TAG2 OK $TAG1 was first\r\n");
	fakeserver_start(fs);

	if ((c = conn_open("127.0.0.1", fakeserver_port(fs), T, NULL, &err)) == NULL)
		bail_out(err.msg);
	read_until(c, "\r\n", buf, sizeof(buf), &err);
	send_str(c, "x7 STARTTLS\r\n", &err);
	read_until(c, "\r\n", buf, sizeof(buf), &err);
	conn_start_tls(c, "127.0.0.1", certs.ca, T, &err);
	send_str(c, "y8 LOGIN {4}\r\n", &err);
	read_until(c, "\r\n", buf, sizeof(buf), &err);
	send_str(c, "user pass\r\n", &err);
	ok(read_until(c, "\r\n", buf, sizeof(buf), &err) == 0 &&
	    strcmp(buf, "y8 OK x7 was first\r\n") == 0,
	    "fake server: tags captured and replaced");
	send_str(c, "z9 LOGOUT\r\n", &err);
	conn_close(&c);
	ok(fakeserver_finish(fs) == 0, "fake server: script (%s)",
	    fakeserver_error(fs));
	got = fakeserver_received(fs, &len);
	ok(len == strlen(got) && strcmp(got, "x7 STARTTLS\r\ny8 LOGIN {4}\r\n"
	    "user pass\r\nz9 LOGOUT\r\n") == 0,
	    "fake server: records every byte, also after the script");
	ok(fakeserver_received_in_clear(fs, "STARTTLS") &&
	    !fakeserver_received_in_clear(fs, "LOGIN") &&
	    fakeserver_received_contains(fs, "LOGIN"),
	    "fake server: tells clear from TLS");
	ok(fakeserver_connections(fs) == 1, "fake server: one connection");
	fakeserver_free(&fs);

	/* A mismatch is reported, and the client is hung up on. */
	fs = server(NULL);
	fakeserver_expect(fs, "$TAG CAPABILITY");
	fakeserver_send(fs, "never sent\r\n");
	fakeserver_start(fs);
	if ((c = conn_open("127.0.0.1", fakeserver_port(fs), T, NULL, &err)) == NULL)
		bail_out(err.msg);
	send_str(c, "a LOGIN me\r\n", &err);
	ok(conn_read(c, buf, sizeof(buf), T, &err) == -1 &&
	    err.kind == MAILFS_ERR_CLOSED,
	    "fake server: hangs up after a mismatch");
	conn_close(&c);
	ok(fakeserver_finish(fs) == -1 &&
	    strstr(fakeserver_error(fs), "a LOGIN me") != NULL &&
	    strstr(fakeserver_error(fs), "step 1") != NULL,
	    "fake server: reports the mismatch (%s)", fakeserver_error(fs));
	fakeserver_free(&fs);
}

/*
 * The server goes away: reads say so, writes fail without SIGPIPE.  With
 * read_eof 0 the client writes without having seen the end, so that the
 * writes reach a reset socket (through OpenSSL's BIO for TLS).
 */
static void
test_closed(int tls, int read_eof)
{
	const char *name = tls ? (read_eof ? "TLS peer closed" :
	    "TLS peer gone, writing") : "peer closed";
	struct mailfs_error err = { 0 };
	struct fakeserver *fs;
	struct conn *c;
	static char block[65536];
	char buf[256];
	int i, r = 0;

	fs = server(NULL);
	if (tls)
		fakeserver_tls(fs);
	fakeserver_send(fs, "* OK bye soon\r\n");
	fakeserver_close(fs);
	fakeserver_start(fs);
	if ((c = conn_open("127.0.0.1", fakeserver_port(fs), T, NULL, &err)) == NULL)
		bail_out(err.msg);
	if (tls && conn_start_tls(c, "127.0.0.1", certs.ca, T, &err) == -1)
		bail_out(err.msg);
	ok(read_until(c, "\r\n", buf, sizeof(buf), &err) == 0,
	    "%s: greeting", name);
	if (read_eof)
		ok(conn_read(c, buf, sizeof(buf), T, &err) == -1 &&
		    err.kind == MAILFS_ERR_CLOSED,
		    "%s: MAILFS_ERR_CLOSED on read (%s)", name, err.msg);
	finish(&fs, name);
	memset(block, 'a', sizeof(block));
	for (i = 0; i < 50 && (r = conn_write(c, block, sizeof(block), T,
	    &err)) == 0; i++)
		continue;
	ok(r == -1, "%s: writes fail after %d blocks, no SIGPIPE (%s: %s)",
	    name, i, mailfs_errkind_name(err.kind), err.msg);
	conn_close(&c);
}

static void
test_write_timeout(void)
{
	struct mailfs_error err = { 0 };
	struct fakeserver *fs;
	struct conn *c;
	size_t size = 64 << 20;
	char *big;
	int64_t t0, took;

	if ((big = calloc(1, size)) == NULL)
		bail_out("out of memory");
	fs = server(NULL);
	fakeserver_sleep(fs, 1000);	/* reads nothing meanwhile */
	fakeserver_close(fs);
	fakeserver_start(fs);
	if ((c = conn_open("127.0.0.1", fakeserver_port(fs), T, NULL, &err)) == NULL)
		bail_out(err.msg);
	t0 = now_ms();
	ok(conn_write(c, big, size, 300, &err) == -1 &&
	    err.kind == MAILFS_ERR_TIMEOUT,
	    "server not reading: MAILFS_ERR_TIMEOUT on write (%s)", err.msg);
	took = now_ms() - t0;
	ok(took >= 250 && took < 950, "server not reading: after %lld ms "
	    "of 300", (long long)took);
	conn_close(&c);
	finish(&fs, "server not reading");
	free(big);
}

static void
test_ipv6(void)
{
	struct mailfs_error err = { 0 };
	struct fakeserver *fs;
	struct conn *c;
	char buf[64];

	if ((fs = server("::1")) == NULL) {
		skip("IPv6", "no ::1 here");
		return;
	}
	fakeserver_send(fs, "* OK over IPv6\r\n");
	fakeserver_tls(fs);
	fakeserver_start(fs);
	if ((c = conn_open("::1", fakeserver_port(fs), T, NULL, &err)) == NULL)
		bail_out(err.msg);
	ok(read_until(c, "\r\n", buf, sizeof(buf), &err) == 0 &&
	    strcmp(buf, "* OK over IPv6\r\n") == 0, "IPv6: greeting");
	/* The certificate is for IP:127.0.0.1 only. */
	ok(conn_start_tls(c, "::1", certs.ca, T, &err) == -1 &&
	    err.kind == MAILFS_ERR_HOSTNAME,
	    "IPv6: an address not in the certificate: MAILFS_ERR_HOSTNAME (%s)",
	    err.msg);
	conn_close(&c);
	fakeserver_finish(fs);
	fakeserver_free(&fs);
}

/* Connections in threads at once, each with its own fake server. */
#define NTHREADS 4

static void *
thread_main(void *arg)
{
	struct mailfs_error err = { 0 };
	struct conn *c;
	const char *port = arg;
	char buf[256];
	int i;

	if ((c = conn_open("127.0.0.1", port, T, NULL, &err)) == NULL ||
	    conn_start_tls(c, "127.0.0.1", certs.ca, T, &err) == -1)
		goto fail;
	for (i = 0; i < 20; i++)
		if (send_str(c, "t NOOP\r\n", &err) == -1 ||
		    read_until(c, "t OK\r\n", buf, sizeof(buf), &err) == -1)
			goto fail;
	conn_close(&c);
	return (void *)1;
fail:
	conn_close(&c);
	return NULL;
}

static void
test_threads(void)
{
	struct fakeserver *fs[NTHREADS];
	pthread_t t[NTHREADS];
	void *res;
	int i, j, good = 0, scripts = 0;

	for (i = 0; i < NTHREADS; i++) {
		fs[i] = server(NULL);
		fakeserver_tls(fs[i]);
		for (j = 0; j < 20; j++) {
			fakeserver_expect(fs[i], "t NOOP");
			fakeserver_send(fs[i], "t OK\r\n");
		}
		fakeserver_expect_close(fs[i]);
		fakeserver_start(fs[i]);
	}
	for (i = 0; i < NTHREADS; i++)
		if (pthread_create(&t[i], NULL, thread_main,
		    (void *)fakeserver_port(fs[i])) != 0)
			bail_out("pthread_create");
	for (i = 0; i < NTHREADS; i++) {
		pthread_join(t[i], &res);
		good += res != NULL;
		scripts += fakeserver_finish(fs[i]) == 0;
		fakeserver_free(&fs[i]);
	}
	ok(good == NTHREADS && scripts == NTHREADS,
	    "%d threads with TLS connections at once", NTHREADS);
}

static void
test_dovecot(void)
{
	struct mailfs_error err = { 0 };
	struct testenv env;
	struct conn *c;
	char buf[1024];

	if (testenv_start(&env, NULL) == -1) {
		skip("Dovecot", "the harness could not start Dovecot");
		return;
	}
	if ((c = conn_open(env.host, env.imaps_port, T, NULL, &err)) == NULL)
		bail_out(err.msg);
	ok(conn_start_tls(c, env.host, env.ca, T, &err) == 0,
	    "Dovecot IMAPS: verified with TEST_CA (%s)", err.msg);
	ok(read_until(c, "\r\n", buf, sizeof(buf), &err) == 0 &&
	    strncmp(buf, "* OK", 4) == 0, "Dovecot IMAPS: greeting");
	conn_close(&c);

	if ((c = conn_open(env.host, env.imap_port, T, NULL, &err)) == NULL)
		bail_out(err.msg);
	ok(read_until(c, "\r\n", buf, sizeof(buf), &err) == 0 &&
	    send_str(c, "a STARTTLS\r\n", &err) == 0 &&
	    read_until(c, "a OK", buf, sizeof(buf), &err) == 0 &&
	    conn_start_tls(c, env.host, env.ca, T, &err) == 0,
	    "Dovecot STARTTLS: verified with TEST_CA (%s)", err.msg);
	ok(send_str(c, "b LOGOUT\r\n", &err) == 0 &&
	    read_until(c, "b OK", buf, sizeof(buf), &err) == 0,
	    "Dovecot STARTTLS: LOGOUT under TLS (%s)", err.msg);
	conn_close(&c);

	if ((c = conn_open(env.host, env.imaps_port, T, NULL, &err)) == NULL)
		bail_out(err.msg);
	ok(conn_start_tls(c, env.host, NULL, T, &err) == -1 &&
	    err.kind == MAILFS_ERR_CERT,
	    "Dovecot IMAPS without TEST_CA: MAILFS_ERR_CERT (%s)", err.msg);
	conn_close(&c);
	testenv_stop(&env);
}

int
main(void)
{
	if (fakecerts_make(&certs) == -1)
		bail_out("tests/harness/mkcert.sh failed");
	atexit(remove_certs);

	test_refused();
	test_connect_timeout();
	test_resolve();
	test_read_timeout();
	test_plain();
	test_tls();
	test_tls_fails("TLS without the CA", "127.0.0.1", NULL,
	    MAILFS_ERR_CERT, "the server's certificate is not trusted (");
	test_tls_fails("TLS to localhost", "localhost", certs.ca,
	    MAILFS_ERR_HOSTNAME, "for another host than localhost");
	test_tls_fails("TLS with a missing CA file", "127.0.0.1",
	    "/nonexistent/ca.pem", MAILFS_ERR_CERT, "/nonexistent/ca.pem");
	test_starttls();
	test_recording();
	test_closed(0, 1);
	test_closed(1, 1);
	test_closed(1, 0);
	test_write_timeout();
	test_ipv6();
	test_threads();
	test_dovecot();

	return done_testing();
}
