/*
 * A connection to a server: TCP over every address the resolver gives, TLS
 * with OpenSSL 3, and reads and writes bounded by timeouts.
 *
 * Implements the transport parts of RFC 3501 and RFC 9051 (section 6.2.1,
 * STARTTLS, and the implicit TLS of port 993), RFC 8314 (certificate
 * checks for mail clients) and RFC 6125 (which names a certificate must
 * carry), TLS 1.2 (RFC 5246) or later, with SNI (RFC 6066) for names.
 *
 * The socket is non-blocking from the start and every wait is a poll()
 * with what is left of the caller's timeout.  Nothing here touches
 * process-wide state: each connection has its own SSL_CTX, the BIO method
 * is created once under pthread_once, and SIGPIPE is avoided per call
 * (MSG_NOSIGNAL, SO_NOSIGPIPE) rather than by changing dispositions.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "conn.h"
#include "errors.h"
#include "wait.h"

struct conn {
	int		 fd;
	const struct conn_bounds *bounds; /* the owner's; NULL: none */
	SSL_CTX		*ctx;
	SSL		*ssl;
	int		 handshake_done;
	/* The numeric address and port we connected to, for messages. */
	char		 addr[INET6_ADDRSTRLEN];
	char		 port[NI_MAXSERV];
};

/*
 * Waits for fd as wait_fd() does, turning a timeout or a failure into the
 * error that conn_read() and conn_write() report.  0 when ready, else -1.
 * what says what the server failed to do in time ("answer").
 */
static int
wait_or_fail(struct conn *c, short events, int64_t deadline,
    const char *what, int timeout_ms, struct mailfs_error *err)
{
	int r;

	if ((r = wait_fd(c->fd, events, deadline, c->bounds)) == -1) {
		wait_error(err, errno);
		return -1;
	}
	if (r == 0) {
		wait_timeout_error(err, what, timeout_ms, deadline, c->bounds);
		return -1;
	}
	return 0;
}

/* ---- sockets that never raise SIGPIPE ---- */

/*
 * Linux and the BSDs have MSG_NOSIGNAL; macOS has SO_NOSIGPIPE (set on the
 * socket in socket_open()).  Elsewhere, SIGPIPE is blocked in the calling
 * thread for the duration of the send, and one raised by it is consumed
 * before the old mask is restored: the disposition and the other threads
 * are left alone.
 */
static ssize_t
send_nosigpipe(int fd, const void *buf, size_t len)
{
#if defined(MSG_NOSIGNAL)
	return send(fd, buf, len, MSG_NOSIGNAL);
#elif defined(SO_NOSIGPIPE)
	return send(fd, buf, len, 0);
#else
	sigset_t pipe_set, old_set, pending;
	struct timespec zero = { 0, 0 };
	int was_pending, saved;
	ssize_t n;

	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, &old_set);
	sigpending(&pending);
	was_pending = sigismember(&pending, SIGPIPE);
	n = send(fd, buf, len, 0);
	saved = errno;
	if (n < 0 && saved == EPIPE && !was_pending)
		while (sigtimedwait(&pipe_set, NULL, &zero) < 0 &&
		    errno == EINTR)
			continue;
	pthread_sigmask(SIG_SETMASK, &old_set, NULL);
	errno = saved;
	return n;
#endif
}

static int
set_nonblock_cloexec(int fd)
{
	int flags;

	if ((flags = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, flags | O_NONBLOCK) == -1)
		return -1;
	if ((flags = fcntl(fd, F_GETFD)) == -1 ||
	    fcntl(fd, F_SETFD, flags | FD_CLOEXEC) == -1)
		return -1;
	return 0;
}

/* A non-blocking, close-on-exec TCP socket for ai, or -1 with errno. */
static int
socket_open(const struct addrinfo *ai)
{
	int fd, one = 1, saved;

	if ((fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol)) == -1)
		return -1;
	if (set_nonblock_cloexec(fd) == -1)
		goto fail;
#ifdef SO_NOSIGPIPE
	if (setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &one, sizeof(one)) == -1)
		goto fail;
#endif
	/* Pipelined commands must leave at once, not wait for an ACK. */
	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) == -1)
		goto fail;
	return fd;
fail:
	saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

/*
 * Connects fd to ai before deadline.  0, or -1 with errno (ETIMEDOUT when
 * the deadline passed).
 */
static int
socket_connect(int fd, const struct addrinfo *ai, int64_t deadline,
    const struct conn_bounds *b)
{
	socklen_t len;
	int soerr, r;

	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
		return 0;
	if (errno != EINPROGRESS && errno != EINTR)
		return -1;
	if ((r = wait_fd(fd, POLLOUT, deadline, b)) == -1)
		return -1;
	if (r == 0) {
		errno = ETIMEDOUT;
		return -1;
	}
	len = sizeof(soerr);
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) == -1)
		return -1;
	if (soerr != 0) {
		errno = soerr;
		return -1;
	}
	return 0;
}

static void
numeric_name(const struct addrinfo *ai, char *addr, size_t addrlen,
    char *port, size_t portlen)
{
	if (getnameinfo(ai->ai_addr, ai->ai_addrlen, addr, addrlen, port,
	    portlen, NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
		snprintf(addr, addrlen, "?");
		snprintf(port, portlen, "?");
	}
}

struct conn *
conn_open(const char *host, const char *port, int timeout_ms,
    const struct conn_bounds *b, struct mailfs_error *err)
{
	struct addrinfo hints, *res, *ai;
	struct conn *c;
	char addr[INET6_ADDRSTRLEN], serv[NI_MAXSERV];
	int64_t deadline, share_deadline;
	int gai, fd = -1, last_errno = 0, left, naddrs;

	if (host == NULL || *host == '\0' || port == NULL || *port == '\0') {
		error_set(err, MAILFS_ERR_USAGE, "no host or port to connect to");
		return NULL;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		error_set_sys(err, ENOMEM, "connecting to %s", host);
		return NULL;
	}
	c->fd = -1;
	c->bounds = b;

	/*
	 * getaddrinfo() takes no timeout: resolution is bounded by the
	 * resolver's own (resolv.conf's timeout and attempts), and only the
	 * connects by timeout_ms.
	 */
	deadline = wait_bounded(wait_deadline_after(timeout_ms), b);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if ((gai = getaddrinfo(host, port, &hints, &res)) != 0) {
		if (gai == EAI_SYSTEM)
			error_set_sys(err, errno, "could not resolve %s", host);
		else if (gai == EAI_MEMORY)
			error_set_sys(err, ENOMEM, "could not resolve %s", host);
		else
			error_set(err, MAILFS_ERR_RESOLVE,
			    "could not resolve %s: %s", host,
			    gai_strerror(gai));
		free(c);
		return NULL;
	}

	addr[0] = serv[0] = '\0';
	for (naddrs = 0, ai = res; ai != NULL; ai = ai->ai_next)
		naddrs++;
	for (ai = res; ai != NULL; ai = ai->ai_next, naddrs--) {
		numeric_name(ai, addr, sizeof(addr), serv, sizeof(serv));
		/*
		 * An address that silently drops packets (IPv6 without a
		 * route, say) must not eat the time of those after it: each
		 * gets an equal share of what is left, the last all of it.
		 */
		share_deadline = deadline;
		if (deadline >= 0 && naddrs > 1) {
			left = wait_remaining_ms(deadline);
			share_deadline = wait_now_ms() + left / naddrs;
		}
		if ((fd = socket_open(ai)) == -1) {
			last_errno = errno;
			continue;
		}
		if (socket_connect(fd, ai, share_deadline, b) == 0)
			break;
		last_errno = errno;
		close(fd);
		fd = -1;
		if (last_errno == ECANCELED)
			break;
		if (deadline >= 0 && wait_remaining_ms(deadline) == 0)
			break;
	}
	freeaddrinfo(res);

	if (fd == -1) {
		if (last_errno == ECANCELED)
			wait_error(err, last_errno);
		else if (last_errno == ETIMEDOUT && deadline >= 0)
			error_set(err, MAILFS_ERR_TIMEOUT,
			    "could not connect to %s port %s in time",
			    addr, serv);
		else if (last_errno == ENOMEM)
			error_set_sys(err, ENOMEM, "connecting to %s", addr);
		else
			error_set(err, MAILFS_ERR_CONNECT,
			    "could not connect to %s port %s: %s", addr, serv,
			    strerror(last_errno));
		free(c);
		return NULL;
	}
	c->fd = fd;
	snprintf(c->addr, sizeof(c->addr), "%s", addr);
	snprintf(c->port, sizeof(c->port), "%s", serv);
	return c;
}

/* ---- a BIO over the non-blocking socket, without SIGPIPE ---- */

/*
 * OpenSSL's own socket BIO writes with write(2), which raises SIGPIPE on
 * a connection the peer has reset.  This one sends with send_nosigpipe().
 */
static int
sockbio_write(BIO *bio, const char *buf, int len)
{
	struct conn *c = BIO_get_data(bio);
	ssize_t n;

	BIO_clear_retry_flags(bio);
	if (len <= 0)
		return 0;
	n = send_nosigpipe(c->fd, buf, (size_t)len);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK ||
	    errno == EINTR))
		BIO_set_retry_write(bio);
	return (int)n;
}

static int
sockbio_read(BIO *bio, char *buf, int len)
{
	struct conn *c = BIO_get_data(bio);
	ssize_t n;

	BIO_clear_retry_flags(bio);
	if (len <= 0)
		return 0;
	n = recv(c->fd, buf, (size_t)len, 0);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK ||
	    errno == EINTR))
		BIO_set_retry_read(bio);
	return (int)n;
}

static long
sockbio_ctrl(BIO *bio, int cmd, long num, void *ptr)
{
	(void)bio;
	(void)num;
	(void)ptr;
	/* send() has no buffer of ours to flush; nothing else applies. */
	return cmd == BIO_CTRL_FLUSH ? 1 : 0;
}

static int
sockbio_create(BIO *bio)
{
	BIO_set_init(bio, 1);
	return 1;
}

static BIO_METHOD *sockbio_method;

static void
sockbio_method_init(void)
{
	BIO_METHOD *m;
	int type;

	/* BIO_get_new_index() hands out few indexes: take one for good. */
	if ((type = BIO_get_new_index()) == -1)
		return;
	if ((m = BIO_meth_new(type | BIO_TYPE_SOURCE_SINK,
	    "mailfs socket")) == NULL)
		return;
	if (!BIO_meth_set_write(m, sockbio_write) ||
	    !BIO_meth_set_read(m, sockbio_read) ||
	    !BIO_meth_set_ctrl(m, sockbio_ctrl) ||
	    !BIO_meth_set_create(m, sockbio_create)) {
		BIO_meth_free(m);
		return;
	}
	sockbio_method = m;
}

static BIO *
sockbio_new(struct conn *c)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	BIO *bio;

	if (pthread_once(&once, sockbio_method_init) != 0 ||
	    sockbio_method == NULL)
		return NULL;
	if ((bio = BIO_new(sockbio_method)) == NULL)
		return NULL;
	BIO_set_data(bio, c);
	return bio;
}

/* ---- TLS ---- */

/* The first reason in this thread's OpenSSL error queue, which it empties. */
static const char *
tls_reason(char *buf, size_t len)
{
	unsigned long e;
	const char *reason;

	if ((e = ERR_peek_error()) == 0) {
		snprintf(buf, len, "unknown error");
	} else if (ERR_SYSTEM_ERROR(e)) {
		snprintf(buf, len, "%s", strerror(ERR_GET_REASON(e)));
	} else if ((reason = ERR_reason_error_string(e)) != NULL) {
		snprintf(buf, len, "%s", reason);
	} else {
		ERR_error_string_n(e, buf, len);
	}
	ERR_clear_error();
	return buf;
}

static int
is_ip_literal(const char *host)
{
	struct in6_addr a6;
	struct in_addr a4;

	return inet_pton(AF_INET, host, &a4) == 1 ||
	    inet_pton(AF_INET6, host, &a6) == 1;
}

static int
tls_setup(struct conn *c, const char *host, const char *ca_file,
    struct mailfs_error *err)
{
	char reason[256];
	BIO *bio;

	ERR_clear_error();
	if ((c->ctx = SSL_CTX_new(TLS_client_method())) == NULL)
		goto fail;
	if (!SSL_CTX_set_min_proto_version(c->ctx, TLS1_2_VERSION))
		goto fail;
	SSL_CTX_set_verify(c->ctx, SSL_VERIFY_PEER, NULL);
	/*
	 * A peer that closes without close_notify is the end of the stream,
	 * not an error: IMAP frames its own data (tagged completions,
	 * literal lengths), so a truncation cannot pass for a whole reply.
	 */
	SSL_CTX_set_options(c->ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
	SSL_CTX_set_mode(c->ctx, SSL_MODE_ENABLE_PARTIAL_WRITE);
	if (ca_file != NULL) {
		if (!SSL_CTX_load_verify_locations(c->ctx, ca_file, NULL)) {
			error_set(err, MAILFS_ERR_CERT,
			    "could not load the CA certificates from %s (%s)",
			    ca_file, tls_reason(reason, sizeof(reason)));
			return -1;
		}
	} else if (!SSL_CTX_set_default_verify_paths(c->ctx))
		goto fail;

	if ((c->ssl = SSL_new(c->ctx)) == NULL)
		goto fail;
	if (is_ip_literal(host)) {
		if (!X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c->ssl),
		    host))
			goto fail;
	} else {
		/* RFC 6066: SNI carries names only, never addresses. */
		if (!SSL_set_tlsext_host_name(c->ssl, host))
			goto fail;
		SSL_set_hostflags(c->ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
		if (!SSL_set1_host(c->ssl, host))
			goto fail;
	}
	if ((bio = sockbio_new(c)) == NULL)
		goto fail;
	SSL_set_bio(c->ssl, bio, bio);
	SSL_set_connect_state(c->ssl);
	return 0;
fail:
	error_set(err, MAILFS_ERR_TLS, "could not set up TLS: %s",
	    tls_reason(reason, sizeof(reason)));
	return -1;
}

/*
 * Fills err for a failed TLS call that returned ret with SSL error code
 * sslerr.  saved_errno is errno right after the call.
 */
static void
tls_error(struct conn *c, const char *host, int sslerr, int saved_errno,
    struct mailfs_error *err)
{
	char reason[256];
	unsigned long e;
	long verify;

	e = ERR_peek_error();
	if (sslerr == SSL_ERROR_ZERO_RETURN ||
	    (sslerr == SSL_ERROR_SYSCALL && e == 0 &&
	    (saved_errno == 0 || saved_errno == ECONNRESET ||
	    saved_errno == EPIPE)) ||
	    (sslerr == SSL_ERROR_SSL &&
	    ERR_GET_REASON(e) == SSL_R_UNEXPECTED_EOF_WHILE_READING)) {
		ERR_clear_error();
		error_set(err, MAILFS_ERR_CLOSED,
		    "the server closed the connection");
		return;
	}
	if (!c->handshake_done && host != NULL &&
	    (verify = SSL_get_verify_result(c->ssl)) != X509_V_OK) {
		ERR_clear_error();
		if (verify == X509_V_ERR_HOSTNAME_MISMATCH ||
		    verify == X509_V_ERR_IP_ADDRESS_MISMATCH)
			error_set(err, MAILFS_ERR_HOSTNAME,
			    "the server's certificate is for another host "
			    "than %s", host);
		else
			error_set(err, MAILFS_ERR_CERT,
			    "the server's certificate is not trusted (%s)",
			    X509_verify_cert_error_string(verify));
		return;
	}
	if (sslerr == SSL_ERROR_SYSCALL && e == 0) {
		error_set_sys(err, saved_errno, "TLS connection to %s",
		    c->addr);
		return;
	}
	if (c->handshake_done)
		error_set(err, MAILFS_ERR_TLS, "TLS error: %s",
		    tls_reason(reason, sizeof(reason)));
	else
		error_set(err, MAILFS_ERR_TLS, "the TLS handshake failed (%s)",
		    tls_reason(reason, sizeof(reason)));
}

/*
 * Waits for what OpenSSL asked for after a call returned sslerr.  1 to
 * retry, 0 when the deadline passed, -1 with err filled otherwise.
 */
static int
tls_wait(struct conn *c, int sslerr, int64_t deadline,
    struct mailfs_error *err)
{
	int r;

	r = wait_fd(c->fd, sslerr == SSL_ERROR_WANT_WRITE ? POLLOUT : POLLIN,
	    deadline, c->bounds);
	if (r == -1)
		wait_error(err, errno);
	return r;
}

int
conn_start_tls(struct conn *c, const char *host, const char *ca_file,
    int timeout_ms, struct mailfs_error *err)
{
	int64_t deadline;
	int ret, sslerr, saved, r;

	if (c->ssl != NULL) {
		error_set(err, MAILFS_ERR_USAGE, "TLS is already on");
		return -1;
	}
	if (host == NULL || *host == '\0') {
		error_set(err, MAILFS_ERR_USAGE, "no host name to verify");
		return -1;
	}
	if (tls_setup(c, host, ca_file, err) == -1)
		goto fail;

	deadline = wait_deadline_after(timeout_ms);
	for (;;) {
		ERR_clear_error();
		errno = 0;
		ret = SSL_connect(c->ssl);
		saved = errno;
		if (ret == 1)
			break;
		sslerr = SSL_get_error(c->ssl, ret);
		if (sslerr != SSL_ERROR_WANT_READ &&
		    sslerr != SSL_ERROR_WANT_WRITE) {
			tls_error(c, host, sslerr, saved, err);
			goto fail;
		}
		if ((r = tls_wait(c, sslerr, deadline, err)) == -1)
			goto fail;
		if (r == 0) {
			wait_timeout_error(err, "complete the TLS handshake",
			    timeout_ms, deadline, c->bounds);
			goto fail;
		}
	}
	/* SSL_VERIFY_PEER already failed the handshake otherwise. */
	if (SSL_get0_peer_certificate(c->ssl) == NULL ||
	    SSL_get_verify_result(c->ssl) != X509_V_OK) {
		error_set(err, MAILFS_ERR_CERT,
		    "the server presented no trusted certificate");
		goto fail;
	}
	c->handshake_done = 1;
	return 0;
fail:
	ERR_clear_error();
	SSL_free(c->ssl);
	SSL_CTX_free(c->ctx);
	c->ssl = NULL;
	c->ctx = NULL;
	return -1;
}

/* ---- reading and writing ---- */

static int
is_again(int e)
{
	return e == EAGAIN || e == EWOULDBLOCK || e == EINTR;
}

static void
set_io_error(struct conn *c, int e, struct mailfs_error *err)
{
	if (e == ECONNRESET || e == EPIPE)
		error_set(err, MAILFS_ERR_CLOSED,
		    "the server closed the connection (%s)", strerror(e));
	else
		error_set_sys(err, e, "connection to %s", c->addr);
}

ssize_t
conn_read(struct conn *c, void *buf, size_t len, int timeout_ms,
    struct mailfs_error *err)
{
	int64_t deadline;
	size_t got;
	ssize_t n;
	int sslerr, saved, want;

	if (len == 0) {
		error_set(err, MAILFS_ERR_USAGE, "read of zero bytes");
		return -1;
	}
	deadline = wait_deadline_after(timeout_ms);
	for (;;) {
		want = POLLIN;
		if (c->ssl != NULL) {
			ERR_clear_error();
			errno = 0;
			if (SSL_read_ex(c->ssl, buf, len, &got) == 1)
				return (ssize_t)got;
			saved = errno;
			sslerr = SSL_get_error(c->ssl, 0);
			if (sslerr == SSL_ERROR_WANT_WRITE)
				want = POLLOUT;
			else if (sslerr != SSL_ERROR_WANT_READ) {
				tls_error(c, NULL, sslerr, saved, err);
				return -1;
			}
		} else {
			n = recv(c->fd, buf, len, 0);
			if (n > 0)
				return n;
			if (n == 0) {
				error_set(err, MAILFS_ERR_CLOSED,
				    "the server closed the connection");
				return -1;
			}
			if (!is_again(errno)) {
				set_io_error(c, errno, err);
				return -1;
			}
		}
		if (wait_or_fail(c, want, deadline, "answer", timeout_ms, err) == -1)
			return -1;
	}
}

int
conn_write(struct conn *c, const void *buf, size_t len, int timeout_ms,
    struct mailfs_error *err)
{
	const char *p = buf;
	int64_t deadline;
	size_t done;
	ssize_t n;
	int sslerr, saved, want;

	deadline = wait_deadline_after(timeout_ms);
	while (len > 0) {
		want = POLLOUT;
		if (c->ssl != NULL) {
			ERR_clear_error();
			errno = 0;
			if (SSL_write_ex(c->ssl, p, len, &done) == 1) {
				p += done;
				len -= done;
				continue;
			}
			saved = errno;
			sslerr = SSL_get_error(c->ssl, 0);
			if (sslerr == SSL_ERROR_WANT_READ)
				want = POLLIN;
			else if (sslerr != SSL_ERROR_WANT_WRITE) {
				tls_error(c, NULL, sslerr, saved, err);
				return -1;
			}
		} else {
			n = send_nosigpipe(c->fd, p, len);
			if (n >= 0) {
				p += n;
				len -= (size_t)n;
				continue;
			}
			if (!is_again(errno)) {
				set_io_error(c, errno, err);
				return -1;
			}
		}
		if (wait_or_fail(c, want, deadline, "take what we sent", timeout_ms,
		    err) == -1)
			return -1;
	}
	return 0;
}

int
conn_readable_now(struct conn *c)
{
	if (c->ssl != NULL && SSL_pending(c->ssl) > 0)
		return 1;
	return wait_fd(c->fd, POLLIN, wait_now_ms(), NULL) == 1;
}

ssize_t
conn_read_unasked(struct conn *c, void *buf, size_t len,
    struct mailfs_error *err)
{
	struct mailfs_error e;
	ssize_t n;

	if (!conn_readable_now(c))
		return 0;
	/*
	 * Readable is not data: under TLS 1.3 it may be a session ticket,
	 * which a read without waiting takes and ends with a timeout.
	 * Data, or the end of the connection, is told.
	 */
	if ((n = conn_read(c, buf, len, 0, &e)) > 0)
		return n;
	if (e.kind == MAILFS_ERR_TIMEOUT)
		return 0;
	*err = e;
	return -1;
}

int
conn_write_line(struct conn *c, const char *line, int secret, int timeout_ms,
    struct mailfs_error *err)
{
	size_t len = strlen(line);
	char *out;
	int rc;

	if ((out = malloc(len + 2)) == NULL) {
		error_set_sys(err, errno, "sending a command");
		return -1;
	}
	memcpy(out, line, len);
	memcpy(out + len, "\r\n", 2);
	rc = conn_write(c, out, len + 2, timeout_ms, err);
	if (secret)
		OPENSSL_cleanse(out, len + 2);
	free(out);
	return rc;
}

int
conn_fd(const struct conn *c)
{
	return c->fd;
}

int
conn_is_tls(const struct conn *c)
{
	return c->ssl != NULL && c->handshake_done;
}

void
conn_close(struct conn **cp)
{
	struct conn *c = *cp;

	if (c == NULL)
		return;
	if (c->ssl != NULL) {
		/* One close_notify if the socket takes it now; no waiting. */
		if (c->handshake_done)
			SSL_shutdown(c->ssl);
		ERR_clear_error();
		SSL_free(c->ssl);
	}
	SSL_CTX_free(c->ctx);
	if (c->fd != -1)
		close(c->fd);
	free(c);
	*cp = NULL;
}
