/*
 * A resumable parser for IMAP server responses (see parser.h).
 *
 * RFC 3501 7 and 9, RFC 9051 7 and 9 (response grammar), RFC 3516
 * (literal8), RFC 7888 (literal+ syntax), RFC 2342 (NAMESPACE: lists
 * that follow each other without a space).
 *
 * The parser is one state machine fed a chunk at a time.  Runs of bytes of
 * one class (an atom, a quoted string, text, literal data) are taken in
 * one step, so the cost is O(n) however the input is split.  Memory:
 *   - tokens are gathered in a scratch buffer reused across responses;
 *   - finished strings and closed lists go to an arena freed at reset
 *     (one block is kept for the next response);
 *   - the arguments of the lists still open live in one vector per depth,
 *     reused across responses; the top level's is the response's args;
 *   - a literal held in memory grows by doubling as its bytes arrive, and
 *     its announced size is checked against the limits before anything.
 * Every byte of a response except literal contents counts against
 * max_line, checked before the byte is stored, so the tree is bounded by
 * the line budget: at most one argument per two bytes of line (an atom
 * and its space, or "()"), each argument at most twice (in the vector of
 * its open list, then in the arena), plus the strings themselves.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parser.h"
#include "strparse.h"

#define DEFAULT_MAX_LINE	(4 * 1024 * 1024)
#define DEFAULT_MAX_LITERAL	(64 * 1024 * 1024)
#define DEFAULT_MAX_BODY	(2ULL * 1024 * 1024 * 1024)
#define DEFAULT_MAX_DEPTH	16

#define ARENA_FIRST_BLOCK	8192
#define ARENA_MAX_BLOCK		(1024 * 1024)	/* growth stops doubling here */
#define KEEP_MAX		(1024 * 1024)	/* larger scratch is freed at reset */
/* Lists this long are handed to the arena rather than copied. */
#define LIST_HANDOFF		1024
/* Literals up to this size take their room in the arena at once. */
#define LITERAL_PREALLOC	8192

/* Byte classes, one bit each; see the grammar notes at each use. */
#define C_ATOM	0x01	/* atom char except '[' (handled apart) */
#define C_TAG	0x02	/* tag char: ASTRING-CHAR except '+' */
#define C_TEXT	0x04	/* anything but NUL, CR, LF */
#define C_QUOTED 0x08	/* C_TEXT except '"' and '\' */
#define C_SECT	0x10	/* in a section: printable or 8-bit, SP too, not []" */
#define C_CODE	0x20	/* code arguments: C_TEXT except []"  */

#define IS_TEXT(c)	((c) != 0 && (c) != '\r' && (c) != '\n')
#define IS_ATOM(c)	((c) >= 0x80 || ((c) > 0x20 && (c) < 0x7f && \
	(c) != '(' && (c) != ')' && (c) != '{' && (c) != '"' && (c) != '['))
#define IS_TAG(c)	((c) > 0x20 && (c) < 0x7f && (c) != '(' && \
	(c) != ')' && (c) != '{' && (c) != '%' && (c) != '*' && \
	(c) != '"' && (c) != '\\' && (c) != '+')
#define IS_SECT(c)	(((c) >= 0x80 || ((c) >= 0x20 && (c) < 0x7f)) && \
	(c) != '[' && (c) != ']' && (c) != '"')
#define CLS(c)	((IS_ATOM(c) ? C_ATOM : 0) | (IS_TAG(c) ? C_TAG : 0) | \
	(IS_TEXT(c) ? C_TEXT : 0) | \
	(IS_TEXT(c) && (c) != '"' && (c) != '\\' ? C_QUOTED : 0) | \
	(IS_SECT(c) ? C_SECT : 0) | \
	(IS_TEXT(c) && (c) != '[' && (c) != ']' && (c) != '"' ? C_CODE : 0))
#define CLS4(c)		CLS(c), CLS((c) + 1), CLS((c) + 2), CLS((c) + 3)
#define CLS16(c)	CLS4(c), CLS4((c) + 4), CLS4((c) + 8), CLS4((c) + 12)
#define CLS64(c)	CLS16(c), CLS16((c) + 16), CLS16((c) + 32), CLS16((c) + 48)

static const unsigned char cls[256] = {
	CLS64(0), CLS64(64), CLS64(128), CLS64(192)
};

/* Returned for empty texts and streamed literals; never written to. */
static char empty_str[1];

enum state {
	S_START,		/* first byte of a response */
	S_CONT,			/* after "+" */
	S_STAR_SP,		/* after "*" */
	S_TAG,
	S_STATUS_WORD,		/* after "tag SP" */
	S_STATUS_DELIM,		/* after the status word: SP or CRLF */
	S_RESP_TEXT,		/* after "OK SP": "[" code or text */
	S_CODE_ATOM,
	S_CODE_ARGS,
	S_CODE_QUOTED,
	S_CODE_QESC,
	S_AFTER_CODE,		/* after "]" */
	S_TEXT,
	S_LF,			/* after the final CR */
	S_ARG_START,		/* where an argument may begin */
	S_AFTER_ARG,		/* after an argument: SP, ")", CRLF */
	S_TILDE,		/* "~": literal8 or an atom */
	S_ATOM,
	S_SECTION,		/* inside BODY[...] */
	S_SECT_QUOTED,
	S_SECT_QESC,
	S_QUOTED,
	S_QESC,
	S_LIT_SIZE,		/* after "{" */
	S_LIT_CLOSE,		/* after "{n+" */
	S_LIT_CR,		/* after "}" */
	S_LIT_LF,
	S_LIT_DATA,
	S_DONE,
	S_ERROR
};

struct block {
	struct block *next;
	size_t size;		/* bytes of data after the header */
	size_t used;
};
#define BLOCK_HDR	((sizeof(struct block) + 15) & ~(size_t)15)
#define BLOCK_DATA(b)	((char *)(b) + BLOCK_HDR)

/* The arguments so far of one open list (depth 0: the response's). */
struct level {
	struct block *vec;	/* the allocation; items are its data */
	struct imap_arg *items;
	size_t count;
	size_t cap;
};

struct imap_parser {
	struct imap_parser_limits limits;
	imap_literal_hook_fn *hook;
	imap_literal_data_fn *data_hook;
	void *ctx;
	int args_only;		/* imap_parse_args(): no status, no literals */

	enum state state;
	struct imap_response resp;
	uint64_t offset;	/* bytes of this response before this chunk */
	size_t line_used;	/* bytes counted against max_line */

	struct block *blocks;	/* the arena; allocation from the first */
	size_t next_block;

	char *tok;		/* the token being read */
	size_t tok_len;
	size_t tok_cap;

	struct level *levels;	/* levels[0..depth] */
	unsigned nlevels;	/* allocated */
	unsigned depth;
	int after_close;	/* the last argument was a list: "(" may follow */
	unsigned brackets;	/* "[" depth in a section or a code */

	uint64_t lit_size;	/* the literal being read */
	uint64_t lit_done;
	uint64_t lit_total;	/* held in memory in this response */
	int lit_stream;
	char *lit_buf;		/* in memory: arena room or lit_block's data */
	struct block *lit_block; /* a large literal growing on its own */

	size_t fail_pos;	/* where in the chunk the error is */
	char error[160];
	int over_limit;		/* the error is a budget exceeded, not bad syntax */
};

static void
limits_fill(struct imap_parser_limits *l, const struct imap_parser_limits *in)
{
	if (in != NULL)
		*l = *in;
	else
		memset(l, 0, sizeof(*l));
	if (l->max_line == 0)
		l->max_line = DEFAULT_MAX_LINE;
	if (l->max_literal == 0)
		l->max_literal = DEFAULT_MAX_LITERAL;
	if (l->max_body == 0)
		l->max_body = DEFAULT_MAX_BODY;
	if (l->max_depth == 0)
		l->max_depth = DEFAULT_MAX_DEPTH;
}

struct imap_parser *
imap_parser_new(const struct imap_parser_limits *limits)
{
	struct imap_parser *p;

	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return NULL;
	limits_fill(&p->limits, limits);
	p->next_block = ARENA_FIRST_BLOCK;
	p->levels = calloc(1, sizeof(*p->levels));
	if (p->levels == NULL) {
		free(p);
		return NULL;
	}
	p->nlevels = 1;
	imap_parser_reset(p);
	return p;
}

static void
blocks_free(struct block *b)
{
	struct block *next;

	for (; b != NULL; b = next) {
		next = b->next;
		free(b);
	}
}

void
imap_parser_free(struct imap_parser **parser)
{
	struct imap_parser *p = *parser;
	unsigned i;

	if (p == NULL)
		return;
	blocks_free(p->blocks);
	free(p->lit_block);
	free(p->tok);
	for (i = 0; i < p->nlevels; i++)
		free(p->levels[i].vec);
	free(p->levels);
	free(p);
	*parser = NULL;
}

void
imap_parser_set_literal_hooks(struct imap_parser *parser,
    imap_literal_hook_fn *hook, imap_literal_data_fn *data, void *ctx)
{
	parser->hook = hook;
	parser->data_hook = data;
	parser->ctx = ctx;
}

void
imap_parser_reset(struct imap_parser *p)
{
	unsigned i;

	/* Keep the first arena block if it is not too large. */
	if (p->blocks != NULL) {
		blocks_free(p->blocks->next);
		p->blocks->next = NULL;
		if (p->blocks->size > KEEP_MAX) {
			free(p->blocks);
			p->blocks = NULL;
		} else
			p->blocks->used = 0;
	}
	free(p->lit_block);
	p->lit_block = NULL;
	p->lit_buf = NULL;
	if (p->tok_cap > KEEP_MAX) {
		free(p->tok);
		p->tok = NULL;
		p->tok_cap = 0;
	}
	p->tok_len = 0;
	for (i = 0; i < p->nlevels; i++) {
		if (p->levels[i].cap * sizeof(struct imap_arg) > KEEP_MAX) {
			free(p->levels[i].vec);
			p->levels[i].vec = NULL;
			p->levels[i].items = NULL;
			p->levels[i].cap = 0;
		}
		p->levels[i].count = 0;
	}
	p->depth = 0;
	p->after_close = 0;
	p->brackets = 0;
	p->lit_size = p->lit_done = p->lit_total = 0;
	p->lit_stream = 0;
	p->offset = 0;
	p->line_used = 0;
	memset(&p->resp, 0, sizeof(p->resp));
	p->error[0] = '\0';
	p->over_limit = 0;
	p->state = p->args_only ? S_ARG_START : S_START;
}

const struct imap_response *
imap_parser_response(const struct imap_parser *parser)
{
	return parser->state == S_DONE ? &parser->resp : NULL;
}

const char *
imap_parser_error(const struct imap_parser *parser)
{
	return parser->error;
}

static void
fail(struct imap_parser *p, size_t pos, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Records the first error, with the offset in the response where it was. */
static void
fail(struct imap_parser *p, size_t pos, const char *fmt, ...)
{
	char msg[120];
	va_list ap;

	if (p->state == S_ERROR)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(p->error, sizeof(p->error), "%s at byte %llu of the response",
	    msg, (unsigned long long)(p->offset + pos));
	p->fail_pos = pos;
	p->state = S_ERROR;
}

/* Like fail(), for input that is well-formed but larger than the limits allow. */
#define fail_limit(p, ...) do {						\
		if ((p)->state != S_ERROR)				\
			(p)->over_limit = 1;				\
		fail((p), __VA_ARGS__);					\
	} while (0)

/* Arena allocation; align is a power of two <= 16.  NULL when out of memory. */
static void *
arena_alloc(struct imap_parser *p, size_t n, size_t align)
{
	struct block *b = p->blocks, *nb;
	size_t off, size;

	if (b != NULL) {
		off = (b->used + align - 1) & ~(align - 1);
		if (off <= b->size && n <= b->size - off) {
			b->used = off + n;
			return BLOCK_DATA(b) + off;
		}
	}
	size = n > p->next_block ? n : p->next_block;
	if (size > SIZE_MAX - BLOCK_HDR)
		return NULL;
	nb = malloc(BLOCK_HDR + size);
	if (nb == NULL)
		return NULL;
	nb->size = size;
	nb->used = n;
	if (b != NULL && n > p->next_block) {
		/* One large piece: keep allocating from the current block. */
		nb->next = b->next;
		b->next = nb;
	} else {
		nb->next = b;
		p->blocks = nb;
		if (p->next_block < ARENA_MAX_BLOCK)
			p->next_block *= 2;
	}
	return BLOCK_DATA(nb);
}

/*
 * Makes a full block allocated elsewhere part of the arena (freed at
 * reset), behind the block allocation goes on from.
 */
static void
arena_adopt(struct imap_parser *p, struct block *b)
{
	if (p->blocks != NULL) {
		b->next = p->blocks->next;
		p->blocks->next = b;
	} else {
		b->next = NULL;
		p->blocks = b;
	}
}

static char *
arena_strdup(struct imap_parser *p, const char *s, size_t len)
{
	char *d;

	d = arena_alloc(p, len + 1, 1);
	if (d == NULL)
		return NULL;
	memcpy(d, s, len);
	d[len] = '\0';
	return d;
}

/*
 * Counts n bytes of line starting at pos; fails past max_line, at the
 * first byte over, so that the error is the same however input is split.
 */
static int
line_add(struct imap_parser *p, size_t pos, size_t n)
{
	if (n > p->limits.max_line - p->line_used) {
		fail_limit(p, pos + (p->limits.max_line - p->line_used),
		    "response longer than %zu bytes (literals aside)",
		    p->limits.max_line);
		return -1;
	}
	p->line_used += n;
	return 0;
}

/* Appends bytes to the token; they were counted by line_add() first. */
static int
tok_append(struct imap_parser *p, size_t pos, const char *s, size_t n)
{
	size_t cap;
	char *t;

	if (n >= p->tok_cap - p->tok_len || p->tok == NULL) {
		cap = p->tok_cap == 0 ? 256 : p->tok_cap;
		while (cap - p->tok_len <= n)
			cap *= 2;
		t = realloc(p->tok, cap);
		if (t == NULL) {
			fail(p, pos, "out of memory");
			return -1;
		}
		p->tok = t;
		p->tok_cap = cap;
	}
	memcpy(p->tok + p->tok_len, s, n);
	p->tok_len += n;
	return 0;
}

/* Counts and stores bytes of a token. */
static int
take(struct imap_parser *p, size_t pos, const char *s, size_t n)
{
	if (line_add(p, pos, n) == -1)
		return -1;
	return tok_append(p, pos, s, n);
}

/* The token as an arena string; the token is emptied. */
static char *
tok_finish(struct imap_parser *p, size_t pos)
{
	char *s;

	s = arena_strdup(p, p->tok != NULL ? p->tok : "", p->tok_len);
	if (s == NULL)
		fail(p, pos, "out of memory");
	p->tok_len = 0;
	return s;
}

static int
push_arg(struct imap_parser *p, size_t pos, const struct imap_arg *arg)
{
	struct level *lv = &p->levels[p->depth];
	struct block *vec;
	size_t cap;

	if (lv->count == lv->cap) {
		cap = lv->cap == 0 ? 16 : lv->cap * 2;
		if (cap > (SIZE_MAX - BLOCK_HDR) / sizeof(struct imap_arg)) {
			fail(p, pos, "out of memory");
			return -1;
		}
		vec = realloc(lv->vec, BLOCK_HDR + cap * sizeof(struct imap_arg));
		if (vec == NULL) {
			fail(p, pos, "out of memory");
			return -1;
		}
		lv->vec = vec;
		lv->items = (struct imap_arg *)BLOCK_DATA(vec);
		lv->cap = cap;
	}
	lv->items[lv->count++] = *arg;
	p->after_close = arg->type == IMAP_ARG_LIST;
	return 0;
}

static int
push_str(struct imap_parser *p, size_t pos, enum imap_arg_type type,
    char *s, size_t len, uint64_t literal_size)
{
	struct imap_arg arg;

	arg.type = type;
	arg.len = len;
	arg.str = s;
	arg.list = NULL;
	arg.literal_size = literal_size;
	return push_arg(p, pos, &arg);
}

static int
open_list(struct imap_parser *p, size_t pos)
{
	struct level *lv;

	if (p->depth >= p->limits.max_depth) {
		fail_limit(p, pos, "lists nested deeper than %u", p->limits.max_depth);
		return -1;
	}
	if (p->depth + 1 >= p->nlevels) {
		lv = realloc(p->levels, (p->nlevels + 1) * sizeof(*lv));
		if (lv == NULL) {
			fail(p, pos, "out of memory");
			return -1;
		}
		memset(&lv[p->nlevels], 0, sizeof(*lv));
		p->levels = lv;
		p->nlevels++;
	}
	p->depth++;
	p->levels[p->depth].count = 0;
	return 0;
}

/* Moves the innermost list's arguments to the arena and adds the list. */
static int
close_list(struct imap_parser *p, size_t pos)
{
	struct level *lv;
	struct block *vec;
	struct imap_arg arg;

	if (p->depth == 0) {
		fail(p, pos, "unexpected ')'");
		return -1;
	}
	lv = &p->levels[p->depth];
	memset(&arg, 0, sizeof(arg));
	arg.type = IMAP_ARG_LIST;
	arg.len = lv->count;
	if (lv->count >= LIST_HANDOFF) {
		/*
		 * A long list: its vector becomes an arena block as it is,
		 * trimmed, rather than be copied, so that a hostile response
		 * of many tiny arguments never holds them three times over.
		 */
		vec = realloc(lv->vec, BLOCK_HDR + lv->count * sizeof(*arg.list));
		if (vec == NULL)
			vec = lv->vec;
		vec->size = vec->used = lv->count * sizeof(*arg.list);
		arena_adopt(p, vec);
		arg.list = (struct imap_arg *)BLOCK_DATA(vec);
		lv->vec = NULL;
		lv->items = NULL;
		lv->cap = 0;
	} else if (lv->count > 0) {
		arg.list = arena_alloc(p, lv->count * sizeof(*arg.list), 16);
		if (arg.list == NULL) {
			fail(p, pos, "out of memory");
			return -1;
		}
		memcpy(arg.list, lv->items, lv->count * sizeof(*arg.list));
	}
	lv->count = 0;
	p->depth--;
	return push_arg(p, pos, &arg);
}

static enum imap_status
status_word(const char *s, size_t len)
{
	if (str_eq_ci(s, len, "OK"))
		return IMAP_STATUS_OK;
	if (str_eq_ci(s, len, "NO"))
		return IMAP_STATUS_NO;
	if (str_eq_ci(s, len, "BAD"))
		return IMAP_STATUS_BAD;
	if (str_eq_ci(s, len, "BYE"))
		return IMAP_STATUS_BYE;
	if (str_eq_ci(s, len, "PREAUTH"))
		return IMAP_STATUS_PREAUTH;
	return IMAP_STATUS_NONE;
}

/*
 * The fetch items whose "[" opens a section that may hold spaces and
 * lists (RFC 9051 msg-att-static: BODY section, BINARY section-binary,
 * BINARY.SIZE; .PEEK as a client would echo it).  In any other atom "["
 * and "]" are plain atom chars, as in a mailbox named "[Gmail]/Sent" or
 * "a[b" sent as an atom.
 */
static int
opens_section(const char *s, size_t len)
{
	return str_eq_ci(s, len, "BODY") || str_eq_ci(s, len, "BODY.PEEK") ||
	    str_eq_ci(s, len, "BINARY") || str_eq_ci(s, len, "BINARY.PEEK") ||
	    str_eq_ci(s, len, "BINARY.SIZE");
}

/* The atom in the token is complete: an argument, or "* OK". */
static int
finish_atom(struct imap_parser *p, size_t pos)
{
	enum imap_status st;
	char *s;
	size_t len = p->tok_len;

	if (!p->args_only && p->resp.kind == IMAP_RESP_UNTAGGED &&
	    p->depth == 0 && p->levels[0].count == 0 &&
	    (st = status_word(p->tok, len)) != IMAP_STATUS_NONE) {
		p->resp.status = st;
		p->tok_len = 0;
		p->state = S_STATUS_DELIM;
		return 0;
	}
	if ((s = tok_finish(p, pos)) == NULL)
		return -1;
	p->state = S_AFTER_ARG;
	return push_str(p, pos, str_eq_ci(s, len, "NIL") ? IMAP_ARG_NIL :
	    IMAP_ARG_ATOM, s, len, 0);
}

/* The quoted string in the token is complete. */
static int
finish_string(struct imap_parser *p, size_t pos)
{
	size_t len = p->tok_len;
	char *s;

	if ((s = tok_finish(p, pos)) == NULL)
		return -1;
	p->state = S_AFTER_ARG;
	return push_str(p, pos, IMAP_ARG_STRING, s, len, 0);
}

/* "{n}" has been read: decide where the literal goes, within the limits. */
static int
literal_begin(struct imap_parser *p, size_t pos)
{
	uint64_t size = p->lit_size;

	p->lit_stream = 0;
	p->lit_done = 0;
	if (p->hook != NULL && p->data_hook != NULL) {
		p->resp.args = p->levels[0].items;
		p->resp.nargs = p->levels[0].count;
		p->lit_stream = p->hook(p->ctx, &p->resp,
		    p->levels[p->depth].items, p->levels[p->depth].count,
		    p->depth, size) == 1;
		p->resp.args = NULL;
		p->resp.nargs = 0;
	}
	if (p->lit_stream) {
		if (size > p->limits.max_body) {
			fail_limit(p, pos, "streamed literal of %llu bytes over the "
			    "limit",
			    (unsigned long long)size);
			return -1;
		}
		return 0;
	}
	if (size > p->limits.max_literal ||
	    p->lit_total > p->limits.max_literal - size) {
		fail_limit(p, pos, "literal of %llu bytes over the in-memory limit",
		    (unsigned long long)size);
		return -1;
	}
	p->lit_total += size;
	p->lit_block = NULL;
	p->lit_buf = NULL;
	if (size < LITERAL_PREALLOC) {
		p->lit_buf = arena_alloc(p, (size_t)size + 1, 1);
		if (p->lit_buf == NULL) {
			fail(p, pos, "out of memory");
			return -1;
		}
	}
	return 0;
}

/* Stores literal bytes held in memory, growing by doubling up to the size. */
static int
literal_store(struct imap_parser *p, size_t pos, const char *s, size_t n)
{
	struct block *b;
	size_t need, cap;

	if (p->lit_buf == NULL || p->lit_block != NULL) {
		need = (size_t)p->lit_done + n + 1;
		cap = p->lit_block != NULL ? p->lit_block->size : 0;
		if (need > cap) {
			cap = cap == 0 ? LITERAL_PREALLOC : cap;
			while (cap < need)
				cap = cap > SIZE_MAX / 2 ? need : cap * 2;
			if (cap > p->lit_size + 1)
				cap = (size_t)p->lit_size + 1;
			if (cap > SIZE_MAX - BLOCK_HDR) {
				fail(p, pos, "out of memory");
				return -1;
			}
			b = realloc(p->lit_block, BLOCK_HDR + cap);
			if (b == NULL) {
				fail(p, pos, "out of memory");
				return -1;
			}
			b->size = cap;
			p->lit_block = b;
			p->lit_buf = BLOCK_DATA(b);
		}
	}
	memcpy(p->lit_buf + p->lit_done, s, n);
	return 0;
}

static int
literal_finish(struct imap_parser *p, size_t pos)
{
	char *s;

	if (p->lit_stream)
		return push_str(p, pos, IMAP_ARG_LITERAL_STREAMED, empty_str,
		    0, p->lit_size);
	if (p->lit_block != NULL) {
		p->lit_block->used = p->lit_block->size;
		arena_adopt(p, p->lit_block);
		p->lit_block = NULL;
	}
	s = p->lit_buf;
	s[p->lit_size] = '\0';
	p->lit_buf = NULL;
	return push_str(p, pos, IMAP_ARG_LITERAL, s, (size_t)p->lit_size,
	    p->lit_size);
}

/* Strips spaces at both ends of the token (the code's arguments). */
static void
tok_trim(struct imap_parser *p)
{
	size_t start = 0;

	while (p->tok_len > 0 && p->tok[p->tok_len - 1] == ' ')
		p->tok_len--;
	while (start < p->tok_len && p->tok[start] == ' ')
		start++;
	if (start > 0) {
		memmove(p->tok, p->tok + start, p->tok_len - start);
		p->tok_len -= start;
	}
}

static void
response_finish(struct imap_parser *p)
{
	struct imap_response *r = &p->resp;

	if (r->kind == IMAP_RESP_CONTINUATION ||
	    r->status != IMAP_STATUS_NONE) {
		if (r->text == NULL)
			r->text = empty_str;
		r->args = NULL;
		r->nargs = 0;
	} else {
		r->args = p->levels[0].count > 0 ? p->levels[0].items : NULL;
		r->nargs = p->levels[0].count;
	}
	p->state = S_DONE;
}

/* The index of the first byte at or after pos not in class c. */
static size_t
span(const unsigned char *d, size_t pos, size_t len, unsigned char c)
{
	while (pos < len && (cls[d[pos]] & c) != 0)
		pos++;
	return pos;
}

static const char *
byte_name(unsigned char c, char buf[8])
{
	if (c == '\r')
		return "CR";
	if (c == '\n')
		return "LF";
	if (c == '\0')
		return "NUL";
	if (c == ' ')
		return "space";
	if (c > 0x20 && c < 0x7f)
		snprintf(buf, 8, "'%c'", c);
	else
		snprintf(buf, 8, "0x%02x", c);
	return buf;
}

enum imap_parse_result
imap_parser_feed(struct imap_parser *p, const char *data, size_t len,
    size_t *consumed_r)
{
	const unsigned char *d = (const unsigned char *)data;
	const char *cd = data;
	size_t pos = 0, end, n;
	unsigned char c;
	char nb[8];

	if (p->state == S_DONE || p->state == S_ERROR) {
		*consumed_r = 0;
		return p->state == S_DONE ? IMAP_PARSE_DONE : IMAP_PARSE_ERROR;
	}
	while (pos < len && p->state != S_DONE && p->state != S_ERROR) {
		c = d[pos];
		switch (p->state) {
		case S_START:
			if (c == '+' || c == '*') {
				if (line_add(p, pos, 1) == -1)
					break;
				p->resp.kind = c == '+' ?
				    IMAP_RESP_CONTINUATION : IMAP_RESP_UNTAGGED;
				p->state = c == '+' ? S_CONT : S_STAR_SP;
				pos++;
			} else if (cls[c] & C_TAG) {
				p->resp.kind = IMAP_RESP_TAGGED;
				p->state = S_TAG;
			} else if (c == '\r' || c == '\n')
				fail(p, pos, "empty response line");
			else
				fail(p, pos, "unexpected %s at the start of "
				    "a response", byte_name(c, nb));
			break;

		case S_CONT:
		case S_AFTER_CODE:
			/*
			 * continue-req = "+" SP (resp-text / base64), and "]" of a
			 * resp-text-code before its text: a space and text, or
			 * (leniently) the end of the line.
			 */
			if (line_add(p, pos, 1) == -1)
				break;
			if (c == ' ')
				p->state = S_TEXT;
			else if (c == '\r')
				p->state = S_LF;
			else
				fail(p, pos, p->state == S_CONT ? "expected space after '+'" :
				    "expected space after ']'");
			pos++;
			break;

		case S_STAR_SP:
			if (line_add(p, pos, 1) == -1)
				break;
			if (c != ' ') {
				fail(p, pos, "expected space after '*'");
				break;
			}
			p->state = S_ARG_START;
			pos++;
			break;

		case S_TAG:
			end = span(d, pos, len, C_TAG);
			if (take(p, pos, cd + pos, end - pos) == -1)
				break;
			pos = end;
			if (pos == len)
				break;
			if (d[pos] != ' ') {
				if (d[pos] == '\r')
					fail(p, pos, "tagged response without "
					    "a status");
				else
					fail(p, pos, "invalid character %s in "
					    "tag", byte_name(d[pos], nb));
				break;
			}
			if (line_add(p, pos, 1) == -1 ||
			    (p->resp.tag = tok_finish(p, pos)) == NULL)
				break;
			pos++;
			p->state = S_STATUS_WORD;
			break;

		case S_STATUS_WORD:
			end = span(d, pos, len, C_ATOM);
			if (take(p, pos, cd + pos, end - pos) == -1)
				break;
			pos = end;
			if (pos == len)
				break;
			p->resp.status = status_word(p->tok, p->tok_len);
			if ((d[pos] != ' ' && d[pos] != '\r') ||
			    p->resp.status == IMAP_STATUS_NONE ||
			    p->resp.status == IMAP_STATUS_BYE ||
			    p->resp.status == IMAP_STATUS_PREAUTH) {
				fail(p, pos, "tagged response without OK, NO "
				    "or BAD");
				break;
			}
			p->tok_len = 0;
			p->state = S_STATUS_DELIM;
			break;

		case S_STATUS_DELIM:
			if (line_add(p, pos, 1) == -1)
				break;
			if (c == ' ')
				p->state = S_RESP_TEXT;
			else if (c == '\r')
				p->state = S_LF;
			else
				fail(p, pos, "unexpected %s after the status",
				    byte_name(c, nb));
			pos++;
			break;

		case S_RESP_TEXT:
			/* resp-text = ["[" resp-text-code "]" SP] [text] */
			if (c == '[') {
				if (line_add(p, pos, 1) == -1)
					break;
				pos++;
				p->state = S_CODE_ATOM;
			} else
				p->state = S_TEXT;
			break;

		case S_CODE_ATOM:
			for (end = pos; end < len && (cls[d[end]] & C_ATOM) &&
			    d[end] != ']'; end++)
				;
			if (take(p, pos, cd + pos, end - pos) == -1)
				break;
			pos = end;
			if (pos == len)
				break;
			c = d[pos];
			if ((c != ']' && c != ' ') || p->tok_len == 0) {
				fail(p, pos, "invalid response code");
				break;
			}
			if (line_add(p, pos, 1) == -1 ||
			    (p->resp.code = tok_finish(p, pos)) == NULL)
				break;
			pos++;
			if (c == ']') {
				p->resp.code_args = empty_str;
				p->state = S_AFTER_CODE;
			} else {
				p->brackets = 0;
				p->state = S_CODE_ARGS;
			}
			break;

		case S_CODE_ARGS:
			/* raw up to the "]" outside quotes and nested brackets */
			end = span(d, pos, len, C_CODE);
			if (take(p, pos, cd + pos, end - pos) == -1)
				break;
			pos = end;
			if (pos == len)
				break;
			c = d[pos];
			if (c == ']' && p->brackets == 0) {
				if (line_add(p, pos, 1) == -1)
					break;
				tok_trim(p);
				if ((p->resp.code_args = tok_finish(p, pos)) ==
				    NULL)
					break;
				pos++;
				p->state = S_AFTER_CODE;
				break;
			}
			if (c != '[' && c != ']' && c != '"') {
				fail(p, pos, "%s in a response code",
				    byte_name(c, nb));
				break;
			}
			if (take(p, pos, cd + pos, 1) == -1)
				break;
			pos++;
			if (c == '[')
				p->brackets++;
			else if (c == ']')
				p->brackets--;
			else
				p->state = S_CODE_QUOTED;
			break;

		case S_CODE_QUOTED:
		case S_SECT_QUOTED:
		case S_QUOTED:
			end = span(d, pos, len, C_QUOTED);
			if (take(p, pos, cd + pos, end - pos) == -1)
				break;
			pos = end;
			if (pos == len)
				break;
			c = d[pos];
			if (c != '"' && c != '\\') {
				fail(p, pos, "%s in a quoted string",
				    byte_name(c, nb));
				break;
			}
			if (line_add(p, pos, 1) == -1)
				break;
			pos++;
			if (p->state == S_QUOTED) {
				/* the quotes and escapes are not kept */
				if (c == '\\')
					p->state = S_QESC;
				else
					(void)finish_string(p, pos);
				break;
			}
			/* sections and codes stay raw */
			if (tok_append(p, pos, cd + pos - 1, 1) == -1)
				break;
			if (c == '\\')
				p->state = p->state == S_CODE_QUOTED ?
				    S_CODE_QESC : S_SECT_QESC;
			else
				p->state = p->state == S_CODE_QUOTED ?
				    S_CODE_ARGS : S_SECTION;
			break;

		case S_CODE_QESC:
		case S_SECT_QESC:
		case S_QESC:
			/* quoted-specials = DQUOTE / "\" */
			if (c != '"' && c != '\\') {
				fail(p, pos, "invalid escape %s in a quoted "
				    "string", byte_name(c, nb));
				break;
			}
			if (take(p, pos, cd + pos, 1) == -1)
				break;
			pos++;
			p->state = p->state == S_QESC ? S_QUOTED :
			    p->state == S_CODE_QESC ? S_CODE_QUOTED :
			    S_SECT_QUOTED;
			break;


		case S_TEXT:
			end = span(d, pos, len, C_TEXT);
			if (take(p, pos, cd + pos, end - pos) == -1)
				break;
			pos = end;
			if (pos == len)
				break;
			if (d[pos] != '\r') {
				fail(p, pos, "%s in response text",
				    byte_name(d[pos], nb));
				break;
			}
			if (line_add(p, pos, 1) == -1 ||
			    (p->resp.text = tok_finish(p, pos)) == NULL)
				break;
			pos++;
			p->state = S_LF;
			break;

		case S_LF:
			if (line_add(p, pos, 1) == -1)
				break;
			if (c != '\n') {
				fail(p, pos, "CR not followed by LF");
				break;
			}
			pos++;
			response_finish(p);
			break;

		case S_ARG_START:
			if (c == ' ') {
				fail(p, pos, "unexpected space");
				break;
			}
			if (c == '\r') {
				if (p->depth > 0) {
					fail(p, pos, "missing ')'");
					break;
				}
				if (p->levels[0].count == 0 && !p->args_only) {
					fail(p, pos, "empty untagged response");
					break;
				}
				/* a space before CRLF is tolerated */
				if (line_add(p, pos, 1) == -1)
					break;
				pos++;
				p->state = S_LF;
				break;
			}
			if (c == ')' || c == '(' || c == '"' || c == '{' ||
			    c == '~') {
				if (line_add(p, pos, 1) == -1)
					break;
				pos++;
			}
			p->tok_len = 0;
			if (c == '(')
				(void)open_list(p, pos - 1);
			else if (c == ')') {
				/* "(a )": a space before ")" is tolerated */
				if (close_list(p, pos - 1) == 0)
					p->state = S_AFTER_ARG;
			} else if (c == '"')
				p->state = S_QUOTED;
			else if (c == '{' || c == '~') {
				if (p->args_only && c == '{')
					fail(p, pos - 1, "literal in "
					    "argument text");
				else if (c == '~') {
					p->state = S_TILDE;
					(void)tok_append(p, pos, "~", 1);
				} else {
					p->lit_size = 0;
					p->brackets = 0; /* digits read */
					p->state = S_LIT_SIZE;
				}
			} else if (c == '[' || (cls[c] & C_ATOM))
				p->state = S_ATOM;
			else
				fail(p, pos, "unexpected %s", byte_name(c, nb));
			break;

		case S_TILDE:
			if (c == '{' && !p->args_only) {
				if (line_add(p, pos, 1) == -1)
					break;
				pos++;
				p->tok_len = 0;
				p->lit_size = 0;
				p->brackets = 0;
				p->state = S_LIT_SIZE;
			} else
				p->state = S_ATOM;
			break;

		case S_ATOM:
			end = span(d, pos, len, C_ATOM);
			if (take(p, pos, cd + pos, end - pos) == -1)
				break;
			pos = end;
			if (pos == len)
				break;
			if (d[pos] == '[') {
				if (opens_section(p->tok, p->tok_len)) {
					p->brackets = 1;
					p->state = S_SECTION;
				}
				if (take(p, pos, cd + pos, 1) == -1)
					break;
				pos++;
				break;
			}
			(void)finish_atom(p, pos);
			break;

		case S_SECTION:
			end = span(d, pos, len, C_SECT);
			if (take(p, pos, cd + pos, end - pos) == -1)
				break;
			pos = end;
			if (pos == len)
				break;
			c = d[pos];
			if (c != '[' && c != ']' && c != '"') {
				fail(p, pos, "%s in a section",
				    byte_name(c, nb));
				break;
			}
			if (take(p, pos, cd + pos, 1) == -1)
				break;
			pos++;
			if (c == '[')
				p->brackets++;
			else if (c == ']') {
				if (--p->brackets == 0)
					p->state = S_ATOM;
			} else
				p->state = S_SECT_QUOTED;
			break;

		case S_AFTER_ARG:
			if (c == ' ') {
				if (line_add(p, pos, 1) == -1)
					break;
				pos++;
				p->state = S_ARG_START;
			} else if (c == ')') {
				if (line_add(p, pos, 1) == -1)
					break;
				(void)close_list(p, pos);
				pos++;
			} else if (c == '(' && p->after_close) {
				/* "((a)(b))": RFC 2342 and body-type-mpart */
				if (line_add(p, pos, 1) == -1)
					break;
				if (open_list(p, pos) == 0)
					p->state = S_ARG_START;
				pos++;
			} else if (c == '\r') {
				if (p->depth > 0) {
					fail(p, pos, "missing ')'");
					break;
				}
				if (line_add(p, pos, 1) == -1)
					break;
				pos++;
				p->state = S_LF;
			} else
				fail(p, pos, "expected space, ')' or CRLF "
				    "after an argument, not %s",
				    byte_name(c, nb));
			break;

		case S_LIT_SIZE:
		case S_LIT_CLOSE:
			if (line_add(p, pos, 1) == -1)
				break;
			pos++;
			if (p->state == S_LIT_SIZE && c >= '0' && c <= '9') {
				if (p->lit_size > (UINT64_MAX - (c - '0')) / 10) {
					fail_limit(p, pos - 1, "literal size too "
					    "large");
					break;
				}
				p->lit_size = p->lit_size * 10 + (c - '0');
				p->brackets = 1;
			} else if (c == '+' && p->state == S_LIT_SIZE &&
			    p->brackets)
				p->state = S_LIT_CLOSE;
			else if (c == '}' && p->brackets) {
				if (literal_begin(p, pos - 1) == 0)
					p->state = S_LIT_CR;
			} else
				fail(p, pos - 1, "invalid literal size");
			break;

		case S_LIT_CR:
		case S_LIT_LF:
			if (line_add(p, pos, 1) == -1)
				break;
			if (c != (p->state == S_LIT_CR ? '\r' : '\n')) {
				fail(p, pos, "literal size not followed by "
				    "CRLF");
				break;
			}
			pos++;
			if (p->state == S_LIT_CR) {
				p->state = S_LIT_LF;
				break;
			}
			if (p->lit_size > 0) {
				p->state = S_LIT_DATA;
				break;
			}
			if (p->lit_stream)
				p->data_hook(p->ctx, 0, 0, cd + pos, 0);
			if (literal_finish(p, pos) == 0)
				p->state = S_AFTER_ARG;
			break;

		case S_LIT_DATA:
			n = len - pos;
			if (n > p->lit_size - p->lit_done)
				n = (size_t)(p->lit_size - p->lit_done);
			if (p->lit_stream)
				p->data_hook(p->ctx, p->lit_done, p->lit_size,
				    cd + pos, n);
			else if (literal_store(p, pos, cd + pos, n) == -1)
				break;
			p->lit_done += n;
			pos += n;
			if (p->lit_done == p->lit_size &&
			    literal_finish(p, pos) == 0)
				p->state = S_AFTER_ARG;
			break;

		case S_DONE:
		case S_ERROR:
			break;
		}
	}
	if (p->state == S_ERROR) {
		*consumed_r = p->fail_pos;
		return IMAP_PARSE_ERROR;
	}
	*consumed_r = pos;
	p->offset += pos;
	return p->state == S_DONE ? IMAP_PARSE_DONE : IMAP_PARSE_MORE;
}

/* Sizes of a tree: the argument structs and the string bytes. */
static void
args_measure(const struct imap_arg *args, size_t n, size_t *nargs,
    size_t *nbytes)
{
	size_t i;

	*nargs += n;
	for (i = 0; i < n; i++) {
		if (args[i].type == IMAP_ARG_LIST)
			args_measure(args[i].list, args[i].len, nargs, nbytes);
		else if (args[i].str != NULL)
			*nbytes += args[i].len + 1;
	}
}

static void
args_copy(struct imap_arg *dst, const struct imap_arg *src, size_t n,
    struct imap_arg **next_arg, char **next_str)
{
	size_t i;

	for (i = 0; i < n; i++) {
		dst[i] = src[i];
		if (src[i].type == IMAP_ARG_LIST) {
			dst[i].list = NULL;
			if (src[i].len > 0) {
				dst[i].list = *next_arg;
				*next_arg += src[i].len;
				args_copy(dst[i].list, src[i].list,
				    src[i].len, next_arg, next_str);
			}
		} else if (src[i].str != NULL) {
			dst[i].str = *next_str;
			memcpy(*next_str, src[i].str, src[i].len);
			(*next_str)[src[i].len] = '\0';
			*next_str += src[i].len + 1;
		}
	}
}

int
imap_parse_args(const char *text, size_t len,
    const struct imap_parser_limits *limits, struct imap_arg **args_r,
    size_t *nargs_r)
{
	struct imap_parser *p;
	const struct imap_response *r;
	struct imap_arg *out, *next_arg;
	char *next_str;
	size_t c1 = 0, c2 = 0, nargs = 0, nbytes = 0;
	int ret = -1;

	if ((p = imap_parser_new(limits)) == NULL)
		return -1;
	p->args_only = 1;
	imap_parser_reset(p);
	p->resp.kind = IMAP_RESP_UNTAGGED;
	/* the text ends where a response line would: feed it a CRLF */
	if (imap_parser_feed(p, text, len, &c1) != IMAP_PARSE_MORE ||
	    c1 != len ||
	    imap_parser_feed(p, "\r\n", 2, &c2) != IMAP_PARSE_DONE || c2 != 2)
		goto out;
	r = imap_parser_response(p);
	args_measure(r->args, r->nargs, &nargs, &nbytes);
	if (nargs > (SIZE_MAX - nbytes - 1) / sizeof(*out))
		goto out;
	/* one block, so that imap_args_free() is a single free() */
	out = malloc(nargs * sizeof(*out) + nbytes + 1);
	if (out == NULL)
		goto out;
	next_arg = out + r->nargs;
	next_str = (char *)(out + nargs);
	args_copy(out, r->args, r->nargs, &next_arg, &next_str);
	*args_r = out;
	*nargs_r = r->nargs;
	ret = 0;
out:
	imap_parser_free(&p);
	return ret;
}

void
imap_args_free(struct imap_arg *args, size_t nargs)
{
	(void)nargs;
	free(args);
}

int
imap_arg_atom_is(const struct imap_arg *arg, const char *lit)
{
	return arg != NULL && arg->type == IMAP_ARG_ATOM &&
	    str_eq_ci(arg->str, arg->len, lit);
}

int
imap_arg_is_string(const struct imap_arg *arg)
{
	return arg != NULL && (arg->type == IMAP_ARG_ATOM ||
	    arg->type == IMAP_ARG_STRING || arg->type == IMAP_ARG_LITERAL);
}

int
imap_parser_error_is_limit(const struct imap_parser *p)
{
	return p->state == S_ERROR && p->over_limit;
}
