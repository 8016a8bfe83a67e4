/*
 * What every protocol's SASL exchange (IMAP AUTHENTICATE, SMTP AUTH,
 * POP3 AUTH) puts on the wire: base64 both ways, the PLAIN response, the
 * check of a mechanism's name, the wiping of secrets, and the AUTH
 * exchange SMTP and POP3 share.  Internal to libmailfs; the mechanisms
 * themselves are public (<mailfs/sasl.h>).
 *
 * RFC 4422 3.1 (mechanism names), RFC 4616 (PLAIN), RFC 4648 (base64).
 *
 * transport/ (shared by every protocol; uses buf.h and errors.h).
 */
#ifndef MAILFS_SASL_WIRE_H
#define MAILFS_SASL_WIRE_H

#include <stddef.h>

#include <mailfs/error.h>

/* The longest user name or password accepted; longer is a mistake. */
#define SASL_CREDENTIAL_MAX	1024
/* A mechanism's response longer than this is a mistake, not a token. */
#define SASL_RESPONSE_MAX	(64 * 1024)
/* Challenges answered before an exchange is given up. */
#define SASL_STEPS_MAX		8

/* Overwrites a secret so that it does not linger in freed memory. */
void sasl_wipe(void *p, size_t len);

/* Wipes len bytes of *p, frees it, sets *p to NULL; NULL is accepted. */
void sasl_free_secret(unsigned char **p, size_t len);

/* Base64 of len bytes, NUL-terminated, malloc'ed (the caller frees it); NULL when out of memory. */
char *sasl_base64(const unsigned char *p, size_t len);

/*
 * Decodes len bytes of base64 into a new buffer (malloc'ed, the
 * caller's, NUL-terminated) and its length; -1 when t is not base64 or
 * memory runs out.
 */
int sasl_unbase64(const char *t, size_t len, unsigned char **out_r,
    size_t *len_r);

/*
 * PLAIN's response "\0user\0password" (RFC 4616), malloc'ed: the
 * caller's, to be freed with sasl_free_secret().  0, or -1 when out of
 * memory or a credential is longer than SASL_CREDENTIAL_MAX.
 */
int sasl_plain(const char *user, const char *password,
    unsigned char **response_r, size_t *len_r);

/* 1 for a SASL mechanism's name: 1 to 20 of A-Z, 0-9, '-', '_'. */
int sasl_valid_mech_name(const char *name);

/*
 * A mechanism's step, as struct mailfs_smtp_mech and struct
 * mailfs_pop3_mech declare it: step 0 makes the initial response (NULL:
 * none), later steps answer a decoded challenge (NULL: give up).
 */
typedef int sasl_step_fn(void *ctx, unsigned step,
    const unsigned char *challenge, size_t challenge_len,
    unsigned char **response_r, size_t *len_r);

/* What sasl_io's next() found. */
enum sasl_answer {
	SASL_FAILED = -1,	/* the connection failed; err set */
	SASL_DONE,		/* the server accepted: logged in */
	SASL_CHALLENGE,		/* a challenge, its base64 in *text_r */
	SASL_REFUSED		/* the server refused; err set by next() */
};

/*
 * A protocol's side of an AUTH exchange (SMTP's 334 and 235, POP3's "+"
 * and +OK): what sasl_exchange() needs of it.
 */
struct sasl_io {
	/*
	 * Sends line and CRLF, traced as trace_as when not NULL (the line
	 * carries a secret).  0, or -1 with *err set.
	 */
	int (*send)(void *ctx, const char *line, const char *trace_as);
	/*
	 * Reads the server's next answer; for SASL_CHALLENGE sets *text_r
	 * and *len_r to its base64 text, valid until the next call.
	 */
	enum sasl_answer (*next)(void *ctx, const char **text_r,
	    size_t *len_r);
	/*
	 * Closes the connection without a word: after "*" the server took
	 * neither as a refusal (a challenge again, or success), so that the
	 * session is out of step.
	 */
	void (*drop)(void *ctx);
	void *ctx;
	struct mailfs_error *err;	/* the client's */
	const char *proto;		/* "SMTP", "POP3": in messages */
	size_t line_max;	/* the longest AUTH line with its initial response */
};

/*
 * Runs "AUTH name" with step to the server's verdict: the initial
 * response on the AUTH line when the line stays within line_max, else
 * after the first (empty) challenge; at most 8 challenges answered; a
 * challenge that is not base64, or a step that gives up, cancelled with
 * "*", and the connection dropped unless the server then refuses.  Responses are wiped after use and traced as "***".  0 when the
 * server accepted, else -1 with *io->err set.
 */
int sasl_exchange(const struct sasl_io *io, const char *name,
    sasl_step_fn *step, void *step_ctx);

#endif
