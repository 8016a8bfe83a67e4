/*
 * A scripted fake IMAP server for tests of what no real server does:
 * hostile or broken responses, disconnects at chosen moments, STARTTLS
 * stripping, and the exact bytes a client sends.
 *
 * It listens on 127.0.0.1 (or ::1) on an ephemeral port, accepts one
 * connection in a thread of its own, and follows a script built before
 * fakeserver_start().  Every byte the client sends (decrypted, once TLS is
 * on) is recorded, also after the last step, so that a test can check
 * what was never sent.  Every wait has a timeout (15 s unless set: the
 * first TLS handshake under valgrind takes seconds), so a wrong client
 * cannot hang a test: the script stops at the first step that does not
 * go as written, the server closes the connection, and
 * fakeserver_finish() reports the step and what happened.
 *
 * Patterns for fakeserver_expect() match one line from the client, its
 * CRLF (or LF) removed, whole:
 *	*		any run of characters, also none
 *	$TAG, $TAG1 ... $TAG9
 *			a tag (a non-empty run of characters other than
 *			space, '*', '+', '(', ')', '{', '%', '"', '\' and
 *			control characters), captured under that name
 *	anything else	itself, case-sensitively
 * In fakeserver_send(), $TAG ... $TAG9 are replaced by what was last
 * captured under the name; everything else is sent as written.
 *
 * Example: a server that offers STARTTLS and checks that the client
 * upgrades before it logs in.
 *
 *	struct fakecerts certs;
 *	struct fakeserver *fs;
 *
 *	if (fakecerts_make(&certs) == -1)
 *		bail_out("no certificates");
 *	fs = fakeserver_new(NULL);
 *	fakeserver_set_certs(fs, &certs);
 *	fakeserver_send(fs, "* OK [CAPABILITY IMAP4rev1 STARTTLS] hi\r\n");
 *	fakeserver_expect(fs, "$TAG STARTTLS");
 *	fakeserver_send(fs, "$TAG OK go ahead\r\n");
 *	fakeserver_tls(fs);
 *	fakeserver_expect(fs, "$TAG CAPABILITY");
 *	fakeserver_send(fs, "* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n"
 *	    "$TAG OK done\r\n");
 *	fakeserver_expect(fs, "$TAG LOGIN * *");
 *	fakeserver_send(fs, "$TAG OK logged in\r\n");
 *	fakeserver_start(fs);
 *
 *	... connect the client to 127.0.0.1 port fakeserver_port(fs),
 *	    with certs.ca as its CA file, and close it ...
 *
 *	ok(fakeserver_finish(fs) == 0, "script: %s", fakeserver_error(fs));
 *	ok(!fakeserver_received_in_clear(fs, "LOGIN"), "no LOGIN in clear");
 *	fakeserver_free(&fs);
 *	fakecerts_remove(&certs);
 *
 * The script functions return nothing: a failure to build the script (out
 * of memory) is kept and reported by fakeserver_start() and
 * fakeserver_finish().  Test code only: the functions print nothing, but
 * they are not meant for a library.
 */
#ifndef MAILFS_TESTS_FAKESERVER_H
#define MAILFS_TESTS_FAKESERVER_H

#include <stddef.h>

/* A throw-away CA and a server certificate for IP:127.0.0.1 only. */
struct fakecerts {
	char dir[256];		/* a new temporary directory */
	char ca[320];		/* dir/ca.pem: the client's CA file */
	char cert[320];		/* dir/server.pem */
	char key[320];		/* dir/server.key */
};

/*
 * Makes certs with tests/harness/mkcert.sh (found through $top_srcdir,
 * else the source tree this was built from) in a new directory under
 * $TMPDIR or /tmp.  0, or -1 (and nothing left behind).
 */
int fakecerts_make(struct fakecerts *certs);

/* Removes the directory and the files mkcert.sh made.  Idempotent. */
void fakecerts_remove(struct fakecerts *certs);

struct fakeserver;

/*
 * Listens on addr ("127.0.0.1" when NULL, or "::1") on a free port.  NULL
 * when the address cannot be bound (no IPv6, say) or memory runs out.
 */
struct fakeserver *fakeserver_new(const char *addr);

/* The port, as a string for conn_open() and struct mailfs_params. */
const char *fakeserver_port(const struct fakeserver *fs);

/* The timeout of every later step, and of the accept; default 15000 ms. */
void fakeserver_set_timeout(struct fakeserver *fs, int timeout_ms);

/* The certificate and key for fakeserver_tls(); copied. */
void fakeserver_set_certs(struct fakeserver *fs, const struct fakecerts *certs);

/* ---- the script, in order ---- */

/* Sends text, with $TAG ... $TAG9 replaced. */
void fakeserver_send(struct fakeserver *fs, const char *text);

/* Sends len bytes exactly as given (NULs included, no replacement). */
void fakeserver_send_raw(struct fakeserver *fs, const void *buf, size_t len);

/* Waits for the client's next line and matches it against pattern. */
void fakeserver_expect(struct fakeserver *fs, const char *pattern);

/* Waits for exactly len more bytes from the client (a literal's data). */
void fakeserver_expect_bytes(struct fakeserver *fs, size_t len);

/* Waits for the client to close the connection (after any bytes). */
void fakeserver_expect_close(struct fakeserver *fs);

/*
 * Runs the server side of a TLS handshake with the certificate of
 * fakeserver_set_certs(): first in the script for implicit TLS (port
 * 993), after the tagged OK to STARTTLS for STARTTLS.
 */
void fakeserver_tls(struct fakeserver *fs);

/* Does nothing for ms: neither reads nor sends. */
void fakeserver_sleep(struct fakeserver *fs, int ms);

/* Closes the connection (without TLS close_notify: an abrupt end). */
void fakeserver_close(struct fakeserver *fs);

/*
 * Closes the connection if still open and accepts the next one on the
 * same port: for clients that reconnect.  Captured tags are forgotten.
 */
void fakeserver_accept(struct fakeserver *fs);

/* ---- running it ---- */

/* Starts the server thread.  0, or -1 (see fakeserver_error()). */
int fakeserver_start(struct fakeserver *fs);

/*
 * Waits for the script to end (each step has its timeout), then reads
 * what the client has already sent, closes, and stops the thread.
 * 0 when every step went as written, else -1.  Call it once, after the
 * client has finished (closed, or waits for nothing more).
 */
int fakeserver_finish(struct fakeserver *fs);

/* What went wrong, "" when nothing did.  Valid until fakeserver_free(). */
const char *fakeserver_error(const struct fakeserver *fs);

/*
 * Everything the client sent over every connection, in order, and its
 * length in *len_r; NUL-terminated for convenience.  After finish only.
 */
const char *fakeserver_received(const struct fakeserver *fs, size_t *len_r);

/* 1 when needle occurs in what the client sent; after finish only. */
int fakeserver_received_contains(const struct fakeserver *fs,
    const char *needle);

/*
 * 1 when needle occurs in what the client sent in the clear (before a
 * fakeserver_tls() step, or on a connection without one); after finish.
 */
int fakeserver_received_in_clear(const struct fakeserver *fs,
    const char *needle);

/* How many connections were accepted. */
int fakeserver_connections(const struct fakeserver *fs);

/* Stops the thread if still running, frees, sets *fs to NULL. */
void fakeserver_free(struct fakeserver **fs);

#endif
