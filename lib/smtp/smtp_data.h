/*
 * What an SMTP client sends of a message and its envelope: the DATA
 * encoder, and the checks of addresses and DSN parameters.
 *
 * The encoder turns every bare CR and every bare LF into CRLF before it
 * doubles a dot that begins a line, so that the data can never hold
 * <LF>.<LF>, <CR>.<CR> or any end of data but its own (SMTP smuggling);
 * it ends the data with "." CRLF on a line of its own, adding a CRLF when
 * the message does not end with a line end.  It works on the whole
 * message, in memory, and writes the result in chunks of the caller's
 * size, so that a large message is not copied whole.
 *
 * RFC 5321 2.3.8 (lines end in CRLF), 4.5.2 (transparency),
 * 4.5.3.1.6 (998 octets of text a line); RFC 3461 4 (xtext);
 * RFC 6531 (SMTPUTF8 addresses).  Internal to libmailfs.
 *
 * smtp/, beside smtp_reply.h: uses transport/ alone.
 */
#ifndef MAILFS_SMTP_DATA_H
#define MAILFS_SMTP_DATA_H

#include <stddef.h>
#include <stdint.h>

#include <mailfs/error.h>

#include "buf.h"

/* The longest line of text, CRLF and a transparency dot not counted. */
#define SMTP_LINE_MAX		998
/* The longest address we send: a path is 256 octets with its brackets. */
#define SMTP_ADDRESS_MAX	254
/* ENVID's longest value, before xtext encoding (RFC 3461 4.4). */
#define SMTP_ENVID_MAX		100

struct smtp_data_enc {
	const char *msg;
	size_t len;
	size_t pos;		/* bytes of msg consumed */
	int line_start;		/* the next byte begins a line */
	int done;		/* the end marker is written */
	/* What the encoder has seen so far, for smtp_data_check(). */
	uint64_t out_total;	/* bytes written */
	size_t line_len;	/* the current line's text so far */
	size_t longest;		/* the longest line's length */
	uint64_t longest_at;	/* its number, from 1 */
	uint64_t lines;		/* lines begun */
	int eight_bit;		/* a byte >= 0x80 */
	int nul;		/* a NUL byte */
};

/* Starts encoding msg[0..len), borrowed until the encoder is done. */
void smtp_data_enc_init(struct smtp_data_enc *e, const char *msg, size_t len);

/*
 * Writes the next at most cap bytes (cap >= 8) of the encoded message to
 * out; the end marker comes last.  Returns the count, 0 once all has been
 * written.
 */
size_t smtp_data_encode(struct smtp_data_enc *e, char *out, size_t cap);

struct smtp_data_info {
	/* Encoded bytes without the final "." CRLF: SIZE= (RFC 1870). */
	uint64_t wire_size;
	int eight_bit;		/* BODY=8BITMIME is needed */
};

/*
 * Checks a message before anything is sent: 0 and *info_r filled, or -1
 * with err (MAILFS_ERR_USAGE) for a line longer than SMTP_LINE_MAX octets
 * (naming its number and length) or a NUL byte.
 */
int smtp_data_check(const char *msg, size_t len, struct smtp_data_info *info_r,
    struct mailfs_error *err);

/*
 * Checks an address for MAIL FROM or RCPT TO: no control byte, space,
 * '<' or '>', at most SMTP_ADDRESS_MAX bytes, non-empty unless
 * allow_empty (the null reverse-path).  0 and *utf8_r set to 1 when it
 * holds a byte >= 0x80 (SMTPUTF8 is then needed), or -1 with err
 * (MAILFS_ERR_USAGE) naming what.
 */
int smtp_address_check(const char *addr, int allow_empty, const char *what,
    int *utf8_r, struct mailfs_error *err);

/*
 * Appends s as xtext (RFC 3461 4: '+', '=' and bytes outside '!'..'~'
 * as "+XX").  0, or -1 with errno.
 */
int smtp_xtext_append(struct buf *out, const char *s);

#endif
