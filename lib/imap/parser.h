/*
 * A resumable parser for IMAP server responses (RFC 3501 7, RFC 9051 7).
 *
 * Bytes go in as they arrive, in chunks of any size (one byte at a time
 * included); a complete response comes out as a tree of arguments.  The
 * server is untrusted: every response is bounded by the limits below,
 * a literal's announced size is never allocated up front, and malformed
 * input is an error with a message, never a crash or an overread.
 *
 * Grammar handled:
 *   tagged and untagged status responses (OK, NO, BAD, BYE, PREAUTH) with
 *   an optional [CODE args] and free text; continuation requests ("+ ...");
 *   untagged data as generic arguments: atoms (including flag atoms such
 *   as \Seen and \*, and section atoms such as BODY[HEADER.FIELDS (A B)]<0>
 *   whose brackets may hold spaces and lists), quoted strings with \" and
 *   \\ escapes, literals {n} (and {n+}, and ~{n} literal8), NIL, and nested
 *   parenthesised lists.
 *
 * Internal to libmailfs.
 *
 * imap/, the lowest IMAP layer: uses transport/ (buf, strparse) alone.
 */
#ifndef MAILFS_PARSER_H
#define MAILFS_PARSER_H

#include <stddef.h>
#include <stdint.h>

enum imap_arg_type {
	IMAP_ARG_ATOM,
	IMAP_ARG_STRING,		/* a quoted string, unescaped */
	IMAP_ARG_LITERAL,		/* a literal held in memory */
	IMAP_ARG_LITERAL_STREAMED,	/* a literal passed to the data hook */
	IMAP_ARG_NIL,
	IMAP_ARG_LIST
};

struct imap_arg {
	enum imap_arg_type type;
	/*
	 * ATOM, STRING, LITERAL: str holds len bytes plus a NUL (a literal may
	 * contain NUL bytes; len is the truth).  LIST: list holds len args.
	 * LITERAL_STREAMED: len is 0; literal_size is the announced size.
	 */
	size_t len;
	char *str;
	struct imap_arg *list;
	uint64_t literal_size;
};

enum imap_resp_kind {
	IMAP_RESP_TAGGED,
	IMAP_RESP_UNTAGGED,
	IMAP_RESP_CONTINUATION
};

enum imap_status {
	IMAP_STATUS_NONE = 0,	/* untagged data, not a status response */
	IMAP_STATUS_OK,
	IMAP_STATUS_NO,
	IMAP_STATUS_BAD,
	IMAP_STATUS_BYE,
	IMAP_STATUS_PREAUTH
};

struct imap_response {
	enum imap_resp_kind kind;
	char *tag;			/* TAGGED: the tag; else NULL */
	enum imap_status status;	/* always set for TAGGED */
	/* Status responses: the code atom as sent ("UIDNEXT") or NULL. */
	char *code;
	/* The text after the code atom up to "]", trimmed; "" when none; NULL without code. */
	char *code_args;
	/* Status responses and continuations: the text after the code; "" when none. */
	char *text;
	/*
	 * Untagged data: every argument after "*", e.g. for "* 3 FETCH (UID 7)"
	 * the atoms "3" and "FETCH" and a list.  For status responses and
	 * continuations, nargs is 0.
	 */
	struct imap_arg *args;
	size_t nargs;
};

struct imap_parser_limits {
	size_t max_line;	/* bytes of a response other than its literals */
	size_t max_literal;	/* bytes of one literal held in memory, and of all of them in one response */
	uint64_t max_body;	/* bytes of one streamed literal */
	unsigned max_depth;	/* nesting of parentheses */
};

/*
 * Asked when a literal of size bytes begins.  resp is the response so far
 * (kind, tag and the top-level args already complete); list/count are the
 * arguments so far of the list the literal stands in (the top level when
 * depth is 0).  Returns 1 to stream the literal to the data hook, 0 to
 * keep it in memory (subject to max_literal).
 */
typedef int imap_literal_hook_fn(void *ctx, const struct imap_response *resp,
    const struct imap_arg *list, size_t count, unsigned depth, uint64_t size);

/*
 * Receives a streamed literal: offset is where data starts within it,
 * total its announced size.  Called once with len 0 for an empty literal.
 */
typedef void imap_literal_data_fn(void *ctx, uint64_t offset, uint64_t total,
    const char *data, size_t len);

struct imap_parser;

/* NULL when out of memory.  Zero limits take 4 MiB, 64 MiB, 2 GiB and 16. */
struct imap_parser *imap_parser_new(const struct imap_parser_limits *limits);
void imap_parser_free(struct imap_parser **parser);

/* Both hooks may be NULL (then every literal is held in memory). */
void imap_parser_set_literal_hooks(struct imap_parser *parser,
    imap_literal_hook_fn *hook, imap_literal_data_fn *data, void *ctx);

enum imap_parse_result {
	IMAP_PARSE_MORE,	/* all input consumed; the response is not complete */
	IMAP_PARSE_DONE,	/* a response is complete: see imap_parser_response() */
	IMAP_PARSE_ERROR	/* malformed or over a limit: see imap_parser_error() */
};

/*
 * Consumes up to len bytes; *consumed_r says how many.  After DONE, the
 * bytes past *consumed_r belong to the next response: call
 * imap_parser_reset() and feed them again.  After ERROR the parser stays
 * in error until reset; the connection should be dropped, since the
 * stream's framing can no longer be trusted.
 */
enum imap_parse_result imap_parser_feed(struct imap_parser *parser,
    const char *data, size_t len, size_t *consumed_r);

/*
 * The completed response, owned by the parser until the next reset; NULL
 * unless the last feed returned DONE.
 */
const struct imap_response *imap_parser_response(const struct imap_parser *parser);

/* Frees the current response and any error; ready for the next. */
void imap_parser_reset(struct imap_parser *parser);

/* A one-line description of the error; "" when none. */
const char *imap_parser_error(const struct imap_parser *parser);

/* 1 when the error is a limit exceeded (well-formed but too large), else 0. */
int imap_parser_error_is_limit(const struct imap_parser *parser);

/*
 * Parses text that holds arguments only (no literals, no CRLF), such as
 * the arguments of a response code ("(\Seen \*)" or "3 1:4 7:10").
 * Returns 0 and fills *args_r and *nargs_r (free with imap_args_free()),
 * or -1.  A literal in the text is an error.
 */
int imap_parse_args(const char *text, size_t len,
    const struct imap_parser_limits *limits, struct imap_arg **args_r,
    size_t *nargs_r);
void imap_args_free(struct imap_arg *args, size_t nargs);

/* Convenience checks used by the response interpreters. */
/* 1 when arg is an ATOM equal to lit, ignoring ASCII case. */
int imap_arg_atom_is(const struct imap_arg *arg, const char *lit);
/* 1 when arg is ATOM, STRING or LITERAL (a string of any form); NIL is not. */
int imap_arg_is_string(const struct imap_arg *arg);

#endif
