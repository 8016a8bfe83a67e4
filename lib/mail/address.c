/*
 * RFC 5322 address lists (see address.h).
 *
 * Two steps: a scanner turns the text into tokens (atoms with their
 * dots, quoted strings and domain literals kept as written, the
 * specials), dropping folding white space and comments; the list walk
 * gathers each member's tokens and takes its addr-spec: what stands in
 * its angle brackets (after a route, "@a,@b:"), or the member itself.
 * Display names and group names are read past, never used.
 */
#include <stdlib.h>
#include <string.h>

#include "address.h"

enum tok_kind {
	TOK_END,
	TOK_WORD,		/* atom (with dots), quoted string, domain literal */
	TOK_QUOTED,		/* a quoted string: a local part that keeps its quotes */
	TOK_SPECIAL		/* one of < > , : ; @ */
};

struct scanner {
	const unsigned char *p;
	const unsigned char *end;
	int utf8;
	const char *why;
};

struct token {
	enum tok_kind kind;
	const char *text;
	size_t len;
};

/* Characters of an atom (RFC 5322 atext), dots, and UTF-8 (RFC 6532). */
static int
is_atom_char(unsigned char c)
{
	if (c >= 0x80)
		return 1;
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return 1;
	return c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~.", c) != NULL;
}

/* Characters of an address literal as this library accepts it: [192.0.2.1], [IPv6:2001:db8::1]. */
static int
is_literal_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	    c == '.' || c == ':' || c == '-';
}

/*
 * Skips a comment (s->p at its "(", nesting) or the rest of a quoted
 * string or domain literal (s->p past its opening " or [, no nesting),
 * to just past close: 0, or -1 with s->why.
 */
static int
skip_delimited(struct scanner *s, unsigned char open, unsigned char close)
{
	int depth = 0;

	for (; s->p < s->end; s->p++) {
		if (open == '[' && *s->p != ']' && !is_literal_char(*s->p)) {
			/* An IPv4 or IPv6 address (RFC 5321 4.1.3), nothing a parser could trip on. */
			s->why = "a domain literal holds more than an IP address";
			return -1;
		}
		if (*s->p == '\\' && s->p + 1 < s->end && s->p[1] != '\0' &&
		    s->p[1] != '\r' && s->p[1] != '\n') {
			s->p++;
			continue;
		}
		if (*s->p == '\0' || *s->p == '\r' || *s->p == '\n') {
			s->why = "a comment, quoted string or literal spans a line end";
			return -1;
		}
		if (open == '(' && *s->p == '(')
			depth++;
		else if (*s->p == close && (open != '(' || --depth == 0)) {
			s->p++;
			return 0;
		} else if (*s->p >= 0x80 && open != '(')
			s->utf8 = 1;
	}
	s->why = open == '(' ? "a comment is not closed" :
	    open == '"' ? "a quoted string is not closed" : "a domain literal is not closed";
	return -1;
}

/* The next token into *t: 0, or -1 with s->why. */
static int
next_token(struct scanner *s, struct token *t)
{
	const unsigned char *start;

	for (;;) {
		while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\r' ||
		    *s->p == '\n'))
			s->p++;
		if (s->p == s->end) {
			t->kind = TOK_END;
			return 0;
		}
		if (*s->p != '(')
			break;
		if (skip_delimited(s, '(', ')') == -1)
			return -1;
	}
	start = s->p;
	t->text = (const char *)start;
	if (*s->p == '"' || *s->p == '[') {
		s->p++;
		if (skip_delimited(s, *start, *start == '"' ? '"' : ']') == -1)
			return -1;
		t->kind = *start == '"' ? TOK_QUOTED : TOK_WORD;
	} else if (strchr("<>,:;@", *s->p) != NULL && *s->p != '\0') {
		s->p++;
		t->kind = TOK_SPECIAL;
	} else if (is_atom_char(*s->p)) {
		while (s->p < s->end && is_atom_char(*s->p)) {
			if (*s->p >= 0x80)
				s->utf8 = 1;
			s->p++;
		}
		t->kind = TOK_WORD;
	} else {
		s->why = "a character that has no place in an address";
		return -1;
	}
	t->len = (size_t)(s->p - start);
	return 0;
}

/* One member of the list being gathered. */
struct member {
	char addr[ADDRESS_MAX + 1];
	size_t len;
	int angle;		/* 0 before <, 1 inside, 2 after > */
	int route;		/* inside <, a route "@a,@b:" is being read */
	int overflow;
	size_t at;		/* where the addr-spec's last @ is, + 1; 0: none */
	int quoted_domain;	/* a quoted string after the @ */
};

static void
member_add(struct member *m, const struct token *t)
{
	if (m->len + t->len > ADDRESS_MAX) {
		m->overflow = 1;
		return;
	}
	if (t->kind == TOK_SPECIAL && t->text[0] == '@')
		m->at = m->len + 1;
	else if (t->kind == TOK_QUOTED && m->at != 0)
		m->quoted_domain = 1;
	memcpy(m->addr + m->len, t->text, t->len);
	m->len += t->len;
	m->addr[m->len] = '\0';
}

/* Hands the gathered member to add (nothing for an empty one): 0, add's value, or -1. */
static int
member_end(struct member *m, int (*add)(void *, const char *), void *ctx, const char **why_r)
{
	int r = 0;

	if (m->angle == 1) {
		*why_r = "an address's < is not closed by >";
		return -1;
	}
	if (m->overflow) {
		*why_r = "an address is longer than 320 octets";
		return -1;
	}
	if (m->len == 0 && m->angle == 0)
		goto out;	/* an empty member (obs-addr-list) */
	if (m->len == 0)
		r = add(ctx, "");	/* <> */
	else if (m->at <= 1 || m->at == m->len || m->quoted_domain) {
		*why_r = "an address has no domain (local@domain)";
		r = -1;
	} else if (m->at - 1 > 64 || m->len - m->at > 255) {
		*why_r = "an address's local part is over 64 octets or its domain over 255";
		r = -1;
	} else if (memchr(m->addr, '@', m->at - 1) != NULL &&
	    m->addr[0] != '"') {
		*why_r = "an address has two @";
		r = -1;
	} else
		r = add(ctx, m->addr);
out:
	memset(m, 0, sizeof(*m));
	return r;
}

int
address_list_parse(const char *text, size_t len,
    int (*add)(void *ctx, const char *addr), void *ctx, int *utf8_r,
    const char **why_r)
{
	struct scanner s = { (const unsigned char *)text, (const unsigned char *)text + len,
	    0, NULL };
	struct member m;
	struct token t;
	int in_group = 0, r;
	char c;

	memset(&m, 0, sizeof(m));
	for (;;) {
		if (next_token(&s, &t) == -1) {
			*why_r = s.why;
			return -1;
		}
		if (t.kind == TOK_END)
			break;
		c = t.kind == TOK_SPECIAL ? t.text[0] : '\0';
		if (m.angle == 1) {
			/* Inside <>: a route's parts are read past. */
			if (c == '>')
				m.angle = 2;
			else if (c == '<') {
				*why_r = "an address has < inside <>";
				return -1;
			} else if (m.len == 0 && c == '@' && !m.route)
				m.route = 1;
			else if (m.route) {
				if (c == ':')
					m.route = 0;
			} else if (c == ',' || c == ':' || c == ';') {
				*why_r = "an address has , : or ; inside <>";
				return -1;
			} else
				member_add(&m, &t);
			continue;
		}
		if (c == '<') {
			if (m.angle == 2) {
				*why_r = "a member of the list has two <>";
				return -1;
			}
			/* What came before was the display name. */
			memset(&m, 0, sizeof(m));
			m.angle = 1;
		} else if (c == ',' || (c == ';' && in_group)) {
			if ((r = member_end(&m, add, ctx, why_r)) != 0)
				return r;
			if (c == ';')
				in_group = 0;
		} else if (c == ':' && !in_group && m.angle == 0) {
			memset(&m, 0, sizeof(m));	/* a group's name */
			in_group = 1;
		} else if (c == ':' || c == ';' || c == '>') {
			*why_r = "a list with a misplaced : ; or >";
			return -1;
		} else if (m.angle == 2) {
			*why_r = "a member of the list goes on after its >";
			return -1;
		} else
			member_add(&m, &t);
	}
	if (in_group) {
		*why_r = "a group is not closed by ;";
		return -1;
	}
	if ((r = member_end(&m, add, ctx, why_r)) != 0)
		return r;
	if (utf8_r != NULL && s.utf8)
		*utf8_r = 1;
	return 0;
}
