/*
 * A connection to a server: TCP (IPv4 and IPv6, every address getaddrinfo
 * gives, in order), optionally TLS with OpenSSL, and reads and writes
 * bounded by timeouts (poll, non-blocking sockets).  No buffering of its
 * own: the caller feeds what conn_read() returns to the parser.  It never
 * raises SIGPIPE.  Internal to libmailfs.
 *
 * transport/ (shared by every protocol; uses errors.h alone).
 */
#ifndef MAILFS_CONN_H
#define MAILFS_CONN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <mailfs/error.h>

#include "wait.h"

struct conn;

/*
 * Resolves host and connects to the first address that accepts within
 * timeout_ms (overall; each address gets a share of what is left), within
 * bounds (NULL: none), which the conn keeps for all its waits.
 * Name resolution itself is bounded by the resolver's own settings
 * (resolv.conf), not by timeout_ms: getaddrinfo has no timeout.  Returns NULL with err filled: MAILFS_ERR_RESOLVE,
 * MAILFS_ERR_CONNECT (naming the last address tried and its errno),
 * MAILFS_ERR_TIMEOUT, MAILFS_ERR_NOMEM.
 */
struct conn *conn_open(const char *host, const char *port, int timeout_ms,
    const struct conn_bounds *bounds, struct mailfs_error *err);

/*
 * Runs a TLS client handshake over the connection (TLS 1.2 or later), with
 * SNI for host names, and verifies the certificate chain (against ca_file
 * when not NULL, else the system's default trust store) and that it was
 * issued for host (a DNS name or an IP address).  Failures:
 * MAILFS_ERR_CERT (untrusted, expired ...), MAILFS_ERR_HOSTNAME (valid but
 * for another name), MAILFS_ERR_TLS (handshake failed), MAILFS_ERR_TIMEOUT,
 * MAILFS_ERR_CLOSED.  The message names the reason OpenSSL gives.
 */
int conn_start_tls(struct conn *c, const char *host, const char *ca_file,
    int timeout_ms, struct mailfs_error *err);

/*
 * Reads at most len bytes, waiting up to timeout_ms (-1: forever) for at
 * least one.  Returns the count (> 0), or -1 with err filled:
 * MAILFS_ERR_CLOSED on end of stream, MAILFS_ERR_TIMEOUT, MAILFS_ERR_TLS,
 * MAILFS_ERR_SYSTEM.
 */
ssize_t conn_read(struct conn *c, void *buf, size_t len, int timeout_ms,
    struct mailfs_error *err);

/*
 * Writes all len bytes within timeout_ms.  0, or -1 with err filled:
 * MAILFS_ERR_CLOSED, MAILFS_ERR_TIMEOUT, MAILFS_ERR_TLS, MAILFS_ERR_SYSTEM.
 */
int conn_write(struct conn *c, const void *buf, size_t len, int timeout_ms,
    struct mailfs_error *err);

/*
 * 1 when conn_read() should return data at once (TLS-buffered or
 * readable), else 0.  Under TLS a readable socket may hold only part of a
 * record, so the next read can still wait.
 */
int conn_readable_now(struct conn *c);

/*
 * Before a command of a line protocol, with nothing of the server's
 * left unread: takes without waiting what the server sent that no
 * command asked for.  Returns the count read into buf, 0 when there was
 * nothing (also when a readable TLS socket held only a TLS 1.3 session
 * ticket), or -1 with err filled (the end of the connection included).
 */
ssize_t conn_read_unasked(struct conn *c, void *buf, size_t len,
    struct mailfs_error *err);

/*
 * Writes line and CRLF in one write within timeout_ms; the copy made for
 * it is wiped afterwards when secret (the line carries a credential).
 * 0, or -1 as conn_write() (or MAILFS_ERR_NOMEM).
 */
int conn_write_line(struct conn *c, const char *line, int secret,
    int timeout_ms, struct mailfs_error *err);

int conn_fd(const struct conn *c);
int conn_is_tls(const struct conn *c);

/* Closes (TLS close_notify best effort, without waiting), frees, sets *c to NULL. */
void conn_close(struct conn **c);

#endif
