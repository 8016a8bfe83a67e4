/*
 * The sending contract: what a mail submitter offers the filesystem,
 * and (submit_prepare()) a message made ready for it,
 * beside backend.h (which is for mail sources).  The Outbox
 * (model/outbox.h) reaches a submission server through this header and
 * nothing else; backend/smtp/ (SMTP submission, RFC 6409) is the first
 * implementation, and each fills a struct submitter_ops and hands out a
 * struct submitter.
 *
 * Calls are synchronous and bounded by the calling thread's operation
 * deadline (deadline.h).  One call at a time per submitter: the
 * implementation serialises them (a single connection is kept a short
 * while for consecutive sends).
 *
 * Outcomes.  send() always fills *res_r (after its argument checks) with
 * one of:
 *	SUBMIT_SENT	accepted for every recipient
 *	SUBMIT_PARTIAL	accepted for some; the others' replies in rcpts
 *	SUBMIT_REFUSED	refused for good (5xx): sent to nobody
 *	SUBMIT_DEFERRED	sent to nobody, for now (4xx, unreachable, a
 *			timeout before the data was wholly sent): safe to
 *			send again later
 *	SUBMIT_UNKNOWN	the data went out and no answer came: it may have
 *			been accepted.  Never to be sent again blindly.
 * and res_r->reply is the reply that decided (the first refusal, the
 * final reply, or for a failure to connect a sentence of the submitter's
 * with code 0).
 *
 * Errors (errors.h): send() returns 0 when the outcome is SUBMIT_SENT,
 * else EIO (refused, partial, unknown), EAGAIN (deferred) or EINVAL (a
 * message the submitter cannot send as it is: outcome SUBMIT_REFUSED,
 * the reason in reply.text).  The submitter logs its own failures once
 * with the server's words; credentials never appear in a log.
 *
 * Ownership.  Everything passed in stays the caller's and is only read
 * during the call.  *res_r is the caller's: submit_result_clear() frees
 * what send() put in it.
 */
#ifndef MAILFS_FUSE_SUBMIT_H
#define MAILFS_FUSE_SUBMIT_H

#include <stddef.h>

struct submitter;

enum submit_outcome {
	SUBMIT_SENT = 0,
	SUBMIT_PARTIAL,
	SUBMIT_REFUSED,
	SUBMIT_DEFERRED,
	SUBMIT_UNKNOWN
};

/* A reply of the server. */
struct submit_reply {
	unsigned code;		/* 250, 550; 0: none came (text is the submitter's) */
	char enhanced[16];	/* "5.1.1", "" when none */
	char text[512];		/* one line, NUL-terminated, control bytes as '?' */
};

struct submit_rcpt {
	char *address;		/* malloc'ed */
	int accepted;
	struct submit_reply reply;
};

struct submit_result {
	enum submit_outcome outcome;
	struct submit_reply reply;	/* the one that decided */
	struct submit_rcpt *rcpts;	/* nrcpts, malloc'ed, in the envelope's order */
	size_t nrcpts;
};

/* What send() transmits: the envelope, and the message as it is to go. */
struct submit_msg {
	const char *from;		/* envelope sender; "" for <> */
	const char *const *rcpts;
	size_t nrcpts;
	const char *data;		/* the message, Bcc: removed */
	size_t len;
	const char *name;		/* for the log: the file's name */
};

struct submitter_ops {
	void (*free)(struct submitter *s);
	int (*send)(struct submitter *s, const struct submit_msg *m,
	    struct submit_result *res_r);
	/* Closes an idle connection kept past its time; called now and then. */
	void (*idle)(struct submitter *s);
};

struct submitter {
	const struct submitter_ops *ops;
	const char *name;	/* "smtp": for the log */
};

/*
 * A message made ready to send (submit_prepare()): its envelope read
 * from its header, and the two forms of it.  Everything is the
 * struct's, freed by submit_prepared_clear().
 */
struct submit_prepared {
	const char *from;		/* envelope sender */
	const char *const *rcpts;	/* To:, Cc:, Bcc: (or the newest Resent-) */
	size_t nrcpts;
	char *wire;			/* to transmit: Bcc: removed */
	size_t wire_len;
	char *copy;			/* to file in Sent: Bcc: kept */
	size_t copy_len;
	int has_msgid;			/* the header had its Message-ID */
	void *env;			/* the envelope, from and rcpts point into it */
};

/*
 * Reads the message data[0..len) (CRLF or LF): its envelope, and the
 * message as transmitted and as filed, with "Date: date" and
 * "Message-ID: msgid" added where the header lacks them.  date and
 * msgid (buffers of at least 64 and 300 bytes) are made here when empty
 * and kept otherwise, so that a message sent again is the same message.
 * 0; EINVAL with why for a message that cannot be sent as it is (no
 * From:, no recipient, a line longer than 998 octets, ...); ENOMEM, EIO.
 */
int submit_prepare(const char *data, size_t len, char *date, size_t datesize,
    char *msgid, size_t msgidsize, struct submit_prepared *p_r, char *why,
    size_t whylen);
void submit_prepared_clear(struct submit_prepared *p);

/* Frees s (NULL accepted) without waiting for the server. */
void submit_free(struct submitter *s);
/* Sends m: see the outcomes above.  0, EIO, EAGAIN or EINVAL. */
int submit_send(struct submitter *s, const struct submit_msg *m,
    struct submit_result *res_r);
void submit_idle(struct submitter *s);
/* Frees what send() put in *res and zeroes it; a zeroed result is accepted. */
void submit_result_clear(struct submit_result *res);
/* "sent", "partial", ...; never NULL. */
const char *submit_outcome_name(enum submit_outcome o);
/*
 * The reply as one line, "550 5.1.1 <x@y>: Recipient address rejected",
 * into buf (NUL-terminated, cut to size).
 */
void submit_reply_text(const struct submit_reply *r, char *buf, size_t size);

#endif
