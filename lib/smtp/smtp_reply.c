/*
 * The SMTP reply parser (see smtp_reply.h).
 *
 * RFC 5321 4.2 (reply lines, multi-line replies), 4.5.3.1.5 (reply
 * line length); RFC 2034 and RFC 3463 (enhanced status codes).
 */
#include <errno.h>
#include <string.h>

#include "buf.h"
#include "errors.h"
#include "smtp_reply.h"

#define DEFAULT_MAX_LINE	4096
#define DEFAULT_MAX_LINES	128

void
smtp_reply_parser_init(struct smtp_reply_parser *p, size_t max_line,
    unsigned max_lines)
{
	size_t text_max;

	memset(p, 0, sizeof(*p));
	p->max_line = max_line > 0 ? max_line : DEFAULT_MAX_LINE;
	p->max_lines = max_lines > 0 ? max_lines : DEFAULT_MAX_LINES;
	/* A line never exceeds max_line: see smtp_reply_feed(). */
	buf_init(&p->line, p->max_line);
	text_max = p->max_line > (size_t)-1 / p->max_lines ? (size_t)-1 :
	    p->max_line * p->max_lines;
	buf_init(&p->reply.text, text_max);
}

void
smtp_reply_parser_free(struct smtp_reply_parser *p)
{
	buf_free(&p->line);
	buf_free(&p->reply.text);
}

static void
reply_clear(struct smtp_reply *r)
{
	r->code = 0;
	r->enhanced[0] = '\0';
	r->nlines = 0;
	buf_reset(&r->text);
}

void
smtp_reply_parser_reset(struct smtp_reply_parser *p)
{
	buf_reset(&p->line);
	reply_clear(&p->reply);
	p->complete = 0;
	p->failed = 0;
}

static int
is_digit(char ch)
{
	return ch >= '0' && ch <= '9';
}

/*
 * The length of an enhanced status code of class cls at the start of
 * s[0..len), followed by the end or a space; 0 when there is none.
 *   status-code = class "." subject "." detail
 */
static size_t
enhanced_len(const char *s, size_t len, unsigned cls)
{
	size_t i = 0, n, part;

	if (len < 5 || s[0] != (char)('0' + cls) ||
	    (cls != 2 && cls != 4 && cls != 5) || s[1] != '.')
		return 0;
	i = 2;
	for (part = 0; part < 2; part++) {
		for (n = 0; i < len && is_digit(s[i]) && n < 4; i++, n++)
			continue;
		if (n == 0 || n > 3)
			return 0;
		if (part == 0) {
			if (i >= len || s[i] != '.')
				return 0;
			i++;
		}
	}
	if (i < len && s[i] != ' ')
		return 0;
	return i;
}

static enum smtp_parse_result
parse_error(struct smtp_reply_parser *p, struct mailfs_error *err,
    enum mailfs_errkind kind, const char *what)
{
	p->failed = 1;
	error_set(err, kind, "the SMTP server sent %s", what);
	return SMTP_PARSE_ERROR;
}

/* Appends text to the reply, control bytes replaced by '?'. */
static int
text_append(struct smtp_reply *r, const char *s, size_t len)
{
	size_t i, start = 0;

	if (r->nlines > 1 && buf_append(&r->text, "\n", 1) == -1)
		return -1;
	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];

		if ((ch < 0x20 && ch != '\t') || ch == 0x7f) {
			if (buf_append(&r->text, s + start, i - start) == -1 ||
			    buf_append(&r->text, "?", 1) == -1)
				return -1;
			start = i + 1;
		}
	}
	return buf_append(&r->text, s + start, len - start);
}

/*
 * One whole line, its LF (and CR) removed.  1 when it was the reply's
 * last, 0 when more lines follow, -1 on error.
 */
static int
parse_line(struct smtp_reply_parser *p, const char *s, size_t len,
    struct mailfs_error *err)
{
	struct smtp_reply *r = &p->reply;
	unsigned code;
	size_t elen;
	int last;

	if (memchr(s, '\0', len) != NULL) {
		parse_error(p, err, MAILFS_ERR_PROTOCOL,
		    "a NUL byte in a reply");
		return -1;
	}
	if (memchr(s, '\r', len) != NULL) {
		parse_error(p, err, MAILFS_ERR_PROTOCOL,
		    "a bare CR in a reply");
		return -1;
	}
	if (len < 3 || s[0] < '2' || s[0] > '5' || s[1] < '0' || s[1] > '5' ||
	    !is_digit(s[2]) || (len > 3 && s[3] != ' ' && s[3] != '-')) {
		parse_error(p, err, MAILFS_ERR_PROTOCOL,
		    "a malformed reply line");
		return -1;
	}
	code = (unsigned)(s[0] - '0') * 100 + (unsigned)(s[1] - '0') * 10 +
	    (unsigned)(s[2] - '0');
	last = len == 3 || s[3] == ' ';
	if (r->nlines > 0 && code != r->code) {
		parse_error(p, err, MAILFS_ERR_PROTOCOL,
		    "lines of one reply with different codes");
		return -1;
	}
	if (r->nlines >= p->max_lines) {
		p->failed = 1;
		error_set(err, MAILFS_ERR_LIMIT, "the SMTP server sent a reply "
		    "of more than %u lines", p->max_lines);
		return -1;
	}
	r->code = code;
	r->nlines++;
	s += len > 3 ? 4 : 3;
	len -= len > 3 ? 4 : 3;
	if ((elen = enhanced_len(s, len, code / 100)) > 0) {
		if (r->nlines == 1) {
			memcpy(r->enhanced, s, elen);
			r->enhanced[elen] = '\0';
		}
		s += elen;
		len -= elen;
		if (len > 0) {
			s++;
			len--;
		}
	}
	if (text_append(r, s, len) == -1) {
		p->failed = 1;
		error_set_sys(err, errno == E2BIG ? ENOMEM : errno,
		    "reading an SMTP reply");
		return -1;
	}
	return last;
}

enum smtp_parse_result
smtp_reply_feed(struct smtp_reply_parser *p, const char *data, size_t len,
    size_t *used_r, struct mailfs_error *err)
{
	const char *nl;
	size_t off = 0, take, linelen;
	int r;

	*used_r = 0;
	if (p->failed)
		return parse_error(p, err, MAILFS_ERR_PROTOCOL,
		    "a reply the client could not read");
	/* A reply handed out before: this feed starts the next. */
	if (p->complete) {
		reply_clear(&p->reply);
		p->complete = 0;
	}
	while (off < len) {
		nl = memchr(data + off, '\n', len - off);
		take = nl != NULL ? (size_t)(nl - (data + off)) + 1 : len - off;
		if (take > p->max_line - p->line.len) {
			p->failed = 1;
			error_set(err, MAILFS_ERR_LIMIT, "the SMTP server sent "
			    "a reply line longer than %zu bytes", p->max_line);
			return SMTP_PARSE_ERROR;
		}
		if (buf_append(&p->line, data + off, take) == -1) {
			p->failed = 1;
			error_set_sys(err, ENOMEM, "reading an SMTP reply");
			return SMTP_PARSE_ERROR;
		}
		off += take;
		*used_r = off;
		if (nl == NULL)
			break;
		linelen = p->line.len - 1;
		if (linelen > 0 && p->line.data[linelen - 1] == '\r')
			linelen--;
		r = parse_line(p, p->line.data, linelen, err);
		buf_reset(&p->line);
		if (r == -1)
			return SMTP_PARSE_ERROR;
		if (r == 1) {
			p->complete = 1;
			return SMTP_PARSE_REPLY;
		}
	}
	return SMTP_PARSE_MORE;
}
