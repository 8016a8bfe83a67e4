/*
 * libmailfs: the envelope of a message to send, read from its header
 * (RFC 5322 3.4 and 3.6; as msmtp -t and sendmail -t do), and the
 * message as it is to be transmitted.
 *
 * The envelope sender is the From: address (the Sender: address when
 * From: names several); the recipients are those of To:, Cc: and Bcc:,
 * each once.  When the header holds Resent- fields (RFC 5322 3.6.6: a
 * message forwarded as it was), the newest block of them decides
 * instead: Resent-From: (or Resent-Sender:), Resent-To:, Resent-Cc:,
 * Resent-Bcc:.
 *
 * Addresses come out as addr-specs (local@domain, a quoted local part
 * kept quoted), display names, comments, groups and source routes
 * removed.  The header is server data's cousin, written by whoever
 * wrote the file: everything is bounded (MAILFS_ENVELOPE_HEADER_MAX,
 * RFC 5321's 64-octet local part and 255-octet domain) and a field
 * that cannot be read whole is an error, never guessed at.
 *
 * Errors follow error.h, with the caller's struct mailfs_error:
 * MAILFS_ERR_USAGE for a message that cannot be sent as it is (the
 * message says which field and why, in one sentence), MAILFS_ERR_NOMEM.
 */
#ifndef MAILFS_ENVELOPE_H
#define MAILFS_ENVELOPE_H

#include <stddef.h>
#include <time.h>

#include <mailfs/error.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The longest header read (the fields before the first empty line). */
#define MAILFS_ENVELOPE_HEADER_MAX	(1024 * 1024)
/* The most recipients one message may name. */
#define MAILFS_ENVELOPE_RCPT_MAX	1000

struct mailfs_envelope {
	char *sender;		/* addr-spec; "" for a From: of <> */
	char **rcpts;		/* addr-specs, in the order named, each once */
	size_t nrcpts;
	int resent;		/* read from a Resent- block */
	int utf8;		/* an address is not ASCII (SMTPUTF8, RFC 6531) */
	int has_date;		/* the block has its Date: (Resent-Date:) */
	int has_msgid;		/* the block has its Message-ID: (Resent-Message-ID:) */
	int has_bcc;		/* Bcc: (Resent-Bcc:) fields to remove before sending */
	size_t header_len;	/* bytes of the header, with its empty line */
};

/*
 * Reads the envelope of the message msg (len bytes, lines ending in LF
 * or CRLF) into *env_r (the caller's: free with
 * mailfs_envelope_free()).  0, or -1 with err: no From:, no recipient,
 * a malformed or too long address, a header without its end.
 */
int mailfs_envelope_read(const char *msg, size_t len,
    struct mailfs_envelope **env_r, struct mailfs_error *err);

void mailfs_envelope_free(struct mailfs_envelope **env);

/*
 * The message to transmit (keep_bcc 0) or to file in Sent (keep_bcc 1):
 * msg with Bcc: (Resent-Bcc:) fields removed unless keep_bcc, and
 * "Date: date" and "Message-ID: msgid" (Resent-Date:, Resent-Message-ID:
 * for a resent message) added at the end of the header when env says
 * they are missing.  date and msgid are the caller's, made once per
 * message (mailfs_envelope_date(), mailfs_envelope_msgid()) so that the
 * copy sent and the copy filed agree; they may be NULL when not needed.
 * The body is untouched; added lines end as the header's first line
 * does.  *out_r is the caller's (free()), NUL-terminated beyond its
 * *outlen_r bytes (the body may hold NULs).  0, or
 * -1 with err (MAILFS_ERR_NOMEM).
 */
int mailfs_envelope_rewrite(const struct mailfs_envelope *env, const char *msg,
    size_t len, const char *date, const char *msgid, int keep_bcc,
    char **out_r, size_t *outlen_r, struct mailfs_error *err);

/* t as an RFC 5322 date in the local time zone, into buf (at least 40 bytes). */
void mailfs_envelope_date(time_t t, char *buf, size_t size);

/*
 * A new Message-ID, "<128 random bits in hex@domain>", into buf (at
 * least 300 bytes); domain is the sender's ("localhost" when empty).
 * 0, or -1 with err when no randomness could be had.
 */
int mailfs_envelope_msgid(const char *domain, char *buf, size_t size,
    struct mailfs_error *err);

#ifdef __cplusplus
}
#endif

#endif
