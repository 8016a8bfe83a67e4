/*
 * The DATA encoder and the envelope's checks (see smtp_data.h).
 *
 * RFC 5321 2.3.8, 4.5.2, 4.5.3.1; RFC 3461 4; RFC 6531 3.3.
 */
#include <errno.h>
#include <string.h>

#include "buf.h"
#include "errors.h"
#include "smtp_data.h"

void
smtp_data_enc_init(struct smtp_data_enc *e, const char *msg, size_t len)
{
	memset(e, 0, sizeof(*e));
	e->msg = msg;
	e->len = len;
	e->line_start = 1;
}

/* Ends the current line, which the text so far measured. */
static void
end_line(struct smtp_data_enc *e, char *out, size_t *n)
{
	out[(*n)++] = '\r';
	out[(*n)++] = '\n';
	e->line_start = 1;
}

size_t
smtp_data_encode(struct smtp_data_enc *e, char *out, size_t cap)
{
	size_t n = 0;
	unsigned char ch;

	/* Each input byte makes at most 2 output bytes; the marker 5. */
	while (e->pos < e->len && cap - n >= 3) {
		ch = (unsigned char)e->msg[e->pos];
		if (e->line_start) {
			e->line_start = 0;
			e->line_len = 0;
			e->lines++;
		}
		if (ch == '\r' || ch == '\n') {
			/* CRLF stays; a bare CR or LF becomes one. */
			e->pos += ch == '\r' && e->pos + 1 < e->len &&
			    e->msg[e->pos + 1] == '\n' ? 2 : 1;
			end_line(e, out, &n);
			continue;
		}
		if (ch == '.' && e->line_len == 0)
			out[n++] = '.';
		out[n++] = (char)ch;
		e->pos++;
		if (++e->line_len > e->longest) {
			e->longest = e->line_len;
			e->longest_at = e->lines;
		}
		if (ch >= 0x80)
			e->eight_bit = 1;
		else if (ch == '\0')
			e->nul = 1;
	}
	if (e->pos == e->len && !e->done && cap - n >= 5) {
		if (!e->line_start)
			end_line(e, out, &n);
		memcpy(out + n, ".\r\n", 3);
		n += 3;
		e->done = 1;
	}
	e->out_total += n;
	return n;
}

int
smtp_data_check(const char *msg, size_t len, struct smtp_data_info *info_r,
    struct mailfs_error *err)
{
	struct smtp_data_enc e;
	char scratch[4096];

	smtp_data_enc_init(&e, msg, len);
	while (smtp_data_encode(&e, scratch, sizeof(scratch)) > 0)
		continue;
	if (e.longest > SMTP_LINE_MAX) {
		error_set(err, MAILFS_ERR_USAGE, "line %llu of the message is "
		    "%zu bytes long, and SMTP allows at most %d: nothing was "
		    "sent", (unsigned long long)e.longest_at, e.longest,
		    SMTP_LINE_MAX);
		return -1;
	}
	if (e.nul) {
		error_set(err, MAILFS_ERR_USAGE, "the message holds a NUL "
		    "byte, which SMTP cannot carry: nothing was sent");
		return -1;
	}
	info_r->wire_size = e.out_total - 3;
	info_r->eight_bit = e.eight_bit;
	return 0;
}

int
smtp_address_check(const char *addr, int allow_empty, const char *what,
    int *utf8_r, struct mailfs_error *err)
{
	size_t i, len;
	unsigned char ch;
	int utf8 = 0;

	if (addr == NULL || (len = strlen(addr)) == 0) {
		if (addr != NULL && allow_empty) {
			*utf8_r = 0;
			return 0;
		}
		error_set(err, MAILFS_ERR_USAGE, "no %s address", what);
		return -1;
	}
	if (len > SMTP_ADDRESS_MAX) {
		error_set(err, MAILFS_ERR_USAGE, "the %s address is %zu bytes "
		    "long, more than SMTP's %d", what, len, SMTP_ADDRESS_MAX);
		return -1;
	}
	for (i = 0; i < len; i++) {
		ch = (unsigned char)addr[i];
		if (ch <= 0x20 || ch == 0x7f || ch == '<' || ch == '>') {
			error_set(err, MAILFS_ERR_USAGE, "the %s address "
			    "holds a space, a control byte or an angle "
			    "bracket", what);
			return -1;
		}
		if (ch >= 0x80)
			utf8 = 1;
	}
	*utf8_r = utf8;
	return 0;
}

int
smtp_xtext_append(struct buf *out, const char *s)
{
	unsigned char ch;

	for (; *s != '\0'; s++) {
		ch = (unsigned char)*s;
		if (ch < '!' || ch > '~' || ch == '+' || ch == '=') {
			if (buf_printf(out, "+%02X", ch) == -1)
				return -1;
		} else if (buf_append(out, s, 1) == -1)
			return -1;
	}
	return 0;
}
