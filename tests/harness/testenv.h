/*
 * testenv: a private Dovecot for the C tests (tests/harness/dovecot.sh).
 *
 *	struct testenv env;
 *	struct mailfs_params p;
 *
 *	if (testenv_start(&env, NULL) == -1)
 *		bail_out("no Dovecot");
 *	testenv_params(&env, MAILFS_SEC_IMPLICIT_TLS, &p);
 *	...
 *	testenv_stop(&env);
 *
 * testenv_start() also arranges for the server to be stopped and its
 * directory removed at exit() and on SIGINT, SIGTERM and SIGHUP, so a test
 * that bails out leaves nothing behind.  The strings of struct
 * mailfs_params that testenv_params() fills point into env.
 */
#ifndef MAILFS_TESTS_TESTENV_H
#define MAILFS_TESTS_TESTENV_H

#include <mailfs/client.h>

struct testenv {
	char dir[256];		/* DOVECOT_DIR */
	char host[64];		/* IMAP_HOST */
	char imap_port[16];	/* STARTTLS (or plaintext with --no-starttls) */
	char imaps_port[16];	/* implicit TLS; "" with --no-starttls */
	char pop3_port[16];	/* POP3 STLS; "" without --pop3 */
	char pop3s_port[16];	/* POP3 implicit TLS; "" without --pop3 */
	char ca[512];		/* TEST_CA */
	char user[64];
	char password[128];
	char password_file[512];
};

/*
 * Starts Dovecot in a new temporary directory.  options are those of
 * dovecot.sh, space-separated ("--no-starttls", "--quota=100000"), or
 * NULL.  Returns 0, or -1 after saying why on stderr.  The harness
 * directory is found at build time; MAILFS_HARNESS_DIR overrides it.
 */
int testenv_start(struct testenv *env, const char *options);

/* Stops the server and removes its directory; harmless when repeated. */
void testenv_stop(struct testenv *env);

/*
 * Fills params for security sec: host, the port of that kind (IMAPS_PORT
 * for implicit TLS, IMAP_PORT otherwise), the test CA, 10 s timeouts, and
 * zero (the default) for everything else.
 */
void testenv_params(const struct testenv *env, enum mailfs_security sec,
    struct mailfs_params *params_r);

#endif
