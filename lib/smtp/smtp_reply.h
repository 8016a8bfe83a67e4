/*
 * A resumable parser for SMTP replies (RFC 5321 4.2), with the enhanced
 * status codes of RFC 2034 and RFC 3463.
 *
 * Bytes go in as they arrive, in chunks of any size (one byte at a time
 * included); a complete reply comes out: its code, the enhanced status
 * code of its first line, and the text of its lines.  The server is
 * untrusted: a line longer than max_line, a reply of more than max_lines
 * lines, a code that is not three digits in range, lines of one reply
 * with different codes, NUL or a bare CR are errors with a message, never
 * a crash, an overread or unbounded memory.  Bytes after a complete reply
 * are left to the caller (pipelined replies, or an injection to refuse).
 *
 *   Reply-line = *( Reply-code "-" [ textstring ] CRLF )
 *                Reply-code [ SP textstring ] CRLF
 *   Reply-code = %x32-35 %x30-35 %x30-39
 *   textstring = 1*(%d09 / %d32-126)	(UTF-8 accepted too: RFC 6531)
 *   status-code = class "." subject "." detail	(RFC 3463)
 *   class = "2" / "4" / "5"; subject, detail = 1*3digit
 *
 * A line may end in CRLF or in LF alone (servers that send LF are broken,
 * not hostile).  Internal to libmailfs.
 *
 * smtp/, the lowest SMTP layer: uses transport/ (buf, strparse, errors).
 */
#ifndef MAILFS_SMTP_REPLY_H
#define MAILFS_SMTP_REPLY_H

#include <stddef.h>

#include <mailfs/error.h>

#include "buf.h"

/* "5.123.456" and its NUL */
#define SMTP_ENHANCED_MAX	10

struct smtp_reply {
	unsigned code;			/* 200 .. 599 */
	/* The first line's enhanced status code, "" when it had none. */
	char enhanced[SMTP_ENHANCED_MAX];
	/*
	 * The text of every line, without code, separator and enhanced
	 * code, the lines joined by '\n'; NUL-terminated (text.data may be
	 * NULL for an empty text).  Bytes < 0x20 but TAB, and 0x7f, are
	 * kept as '?'.
	 */
	struct buf text;
	unsigned nlines;
};

struct smtp_reply_parser {
	size_t max_line;		/* bytes of one line, CRLF included */
	unsigned max_lines;		/* lines of one reply */
	struct buf line;		/* the line being read */
	/* Being built; complete after SMTP_PARSE_REPLY. */
	struct smtp_reply reply;
	int complete;		/* reply was handed out: the next feed clears it */
	int failed;		/* an error was returned: only reset() helps */
};

enum smtp_parse_result {
	SMTP_PARSE_MORE,	/* all input used; the reply is not whole yet */
	SMTP_PARSE_REPLY,	/* parser->reply is complete */
	SMTP_PARSE_ERROR	/* err says why; the connection is unusable */
};

/* Sets up an empty parser with its limits (0: 4096 bytes, 128 lines). */
void smtp_reply_parser_init(struct smtp_reply_parser *p, size_t max_line,
    unsigned max_lines);

/* Frees what the parser holds; it may be initialised again. */
void smtp_reply_parser_free(struct smtp_reply_parser *p);

/*
 * Forgets the reply and the partial line: for the next reply, or for a
 * new connection.  Keeps the limits.
 */
void smtp_reply_parser_reset(struct smtp_reply_parser *p);

/*
 * Feeds len bytes.  *used_r is how many were taken: all of them with
 * SMTP_PARSE_MORE; with SMTP_PARSE_REPLY, up to the end of the reply's
 * last line, the rest being the next reply's (feed it after reading
 * p->reply, which the next feed starts over).  SMTP_PARSE_ERROR fills
 * err (MAILFS_ERR_PROTOCOL or MAILFS_ERR_LIMIT, or MAILFS_ERR_NOMEM).
 */
enum smtp_parse_result smtp_reply_feed(struct smtp_reply_parser *p,
    const char *data, size_t len, size_t *used_r, struct mailfs_error *err);

/* The class of a code: 2, 3, 4 or 5. */
#define SMTP_CLASS(code)	((code) / 100)

#endif
