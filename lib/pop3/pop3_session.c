/*
 * The POP3 client's life: creation, connecting (implicit TLS or required
 * STLS), the greeting, CAPA, reading status lines and multi-line
 * responses, writing commands, QUIT, and the getters (see
 * pop3_session.h, <mailfs/pop3.h>).
 *
 * RFC 1939 3 (responses, multi-line), 4 (greeting), 6 (QUIT);
 * RFC 2449 5 (CAPA), 6 (its tags); RFC 2595 4 (STLS: what came before
 * TLS is not trusted, CAPA again after); RFC 8314 (implicit TLS).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "conn.h"
#include "errors.h"
#include "pop3_data.h"
#include "pop3_reply.h"
#include "pop3_session.h"
#include "strparse.h"
#include "trace.h"

#define DEFAULT_TIMEOUT_MS	30000
#define DEFAULT_IO_TIMEOUT_MS	60000
#define DEFAULT_MAX_LINE	4096
#define DEFAULT_MAX_MESSAGES	1000000
/* CAPA lines read; the rest is ignored (a server listing forever fails by the line). */
#define CAPA_LINES_MAX		64
/* A SASL mechanism's name longer than this is not one we could use. */
#define MECH_MAX		20

/* ---- the state ---- */

void
pop3_set_state(struct mailfs_pop3 *p, enum pop3_state state)
{
	static const char *const names[] = {
		[POP3_ST_DISCONNECTED] = "DISCONNECTED",
		[POP3_ST_GREETING] = "GREETING",
		[POP3_ST_STLS] = "STLS",
		[POP3_ST_AUTHORIZATION] = "AUTHORIZATION",
		[POP3_ST_AUTH] = "AUTH",
		[POP3_ST_TRANSACTION] = "TRANSACTION",
		[POP3_ST_QUIT] = "QUIT",
	};

	if (p->state == state)
		return;
	pop3_trace(p, MAILFS_TRACE_INFO, "state %s -> %s", names[p->state],
	    names[state]);
	p->state = state;
}

void
pop3_trace(struct mailfs_pop3 *p, enum mailfs_trace_dir dir,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	trace_vemit(p->trace, p->trace_ctx, dir, TRACE_EMIT_MAX, fmt, ap);
	va_end(ap);
}

static void
forget_capabilities(struct mailfs_pop3 *p)
{
	p->caps = 0;
	p->login_delay = -1;
	buf_reset(&p->sasl);
}

void
pop3_drop(struct mailfs_pop3 *p)
{
	if (p->conn != NULL)
		pop3_trace(p, MAILFS_TRACE_INFO, "connection closed");
	conn_close(&p->conn);
	p->in_off = p->in_len = 0;
	p->mask_replies = 0;
	buf_reset(&p->line);
	forget_capabilities(p);
	pop3_set_state(p, POP3_ST_DISCONNECTED);
}

/* ---- creation ---- */

struct mailfs_pop3 *
mailfs_pop3_new(const struct mailfs_pop3_params *params)
{
	struct mailfs_pop3 *p;

	if (params == NULL || params->host == NULL) {
		errno = EINVAL;
		return NULL;
	}
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	p->host = strdup(params->host);
	p->port = strdup(params->port != NULL ? params->port :
	    params->security == MAILFS_SEC_IMPLICIT_TLS ? "995" : "110");
	p->ca_file = params->ca_file != NULL ? strdup(params->ca_file) : NULL;
	p->max_line = params->max_line > 0 ? params->max_line :
	    DEFAULT_MAX_LINE;
	buf_init(&p->sasl, 4096);
	buf_init(&p->line, p->max_line);
	if (p->host == NULL || p->port == NULL ||
	    (params->ca_file != NULL && p->ca_file == NULL)) {
		mailfs_pop3_free(&p);
		errno = ENOMEM;
		return NULL;
	}
	p->security = params->security;
	p->connect_timeout_ms = params->connect_timeout_ms > 0 ?
	    params->connect_timeout_ms : DEFAULT_TIMEOUT_MS;
	p->io_timeout_ms = params->io_timeout_ms > 0 ? params->io_timeout_ms :
	    DEFAULT_IO_TIMEOUT_MS;
	p->max_messages = params->max_messages > 0 ? params->max_messages :
	    DEFAULT_MAX_MESSAGES;
	p->trace = params->trace;
	p->trace_ctx = params->trace_ctx;
	p->bounds.deadline_ms = -1;
	p->bounds.cancel_fd = -1;
	p->login_delay = -1;
	return p;
}

void
mailfs_pop3_free(struct mailfs_pop3 **pp)
{
	struct mailfs_pop3 *p;

	if (pp == NULL || (p = *pp) == NULL)
		return;
	conn_close(&p->conn);
	buf_free(&p->sasl);
	buf_free(&p->line);
	free(p->host);
	free(p->port);
	free(p->ca_file);
	free(p);
	*pp = NULL;
}

/* ---- writing ---- */

int
pop3_write(struct mailfs_pop3 *p, const char *data, size_t len)
{
	if (p->conn == NULL) {
		error_set(&p->err, MAILFS_ERR_CLOSED, "not connected to the "
		    "POP3 server");
		return -1;
	}
	if (conn_write(p->conn, data, len, p->io_timeout_ms, &p->err) == -1) {
		pop3_drop(p);
		return -1;
	}
	return 0;
}

int
pop3_quiet(struct mailfs_pop3 *p)
{
	ssize_t n;

	if (p->conn == NULL)
		return 0;
	if (p->in_off == p->in_len) {
		p->in_off = p->in_len = 0;
		if ((n = conn_read_unasked(p->conn, p->in, sizeof(p->in),
		    &p->err)) == -1) {
			pop3_drop(p);
			return -1;
		}
		p->in_len = (size_t)n;
	}
	if (p->in_off == p->in_len)
		return 0;
	error_set(&p->err, MAILFS_ERR_PROTOCOL, "the POP3 server sent a "
	    "response to no command");
	pop3_drop(p);
	return -1;
}

int
pop3_send_line(struct mailfs_pop3 *p, const char *line, const char *trace_as)
{
	if (strpbrk(line, "\r\n") != NULL) {
		error_set(&p->err, MAILFS_ERR_USAGE, "a POP3 command with a "
		    "line end in it");
		return -1;
	}
	if (pop3_quiet(p) == -1)
		return -1;
	if (p->conn == NULL) {
		error_set(&p->err, MAILFS_ERR_CLOSED, "not connected to the "
		    "POP3 server");
		return -1;
	}
	pop3_trace(p, MAILFS_TRACE_SEND, "%s", trace_as != NULL ? trace_as :
	    line);
	if (conn_write_line(p->conn, line, trace_as != NULL, p->io_timeout_ms,
	    &p->err) == -1) {
		pop3_drop(p);
		return -1;
	}
	return 0;
}

/* ---- reading ---- */

/* Refills p->in when it is used up; 0, or -1 dropped. */
static int
fill(struct mailfs_pop3 *p)
{
	ssize_t n;

	if (p->in_off < p->in_len)
		return 0;
	if (p->conn == NULL) {
		error_set(&p->err, MAILFS_ERR_CLOSED, "not connected to the "
		    "POP3 server");
		return -1;
	}
	p->in_off = p->in_len = 0;
	if ((n = conn_read(p->conn, p->in, sizeof(p->in), p->io_timeout_ms,
	    &p->err)) == -1) {
		pop3_drop(p);
		return -1;
	}
	p->in_len = (size_t)n;
	return 0;
}

/* Reads one line into p->line, its line end (CRLF or LF) removed. */
static int
read_line(struct mailfs_pop3 *p)
{
	const char *nl;
	size_t n;

	buf_reset(&p->line);
	for (;;) {
		if (fill(p) == -1)
			return -1;
		nl = memchr(p->in + p->in_off, '\n', p->in_len - p->in_off);
		n = nl != NULL ? (size_t)(nl - (p->in + p->in_off)) :
		    p->in_len - p->in_off;
		if (buf_append(&p->line, p->in + p->in_off, n) == -1) {
			if (errno == E2BIG)
				error_set(&p->err, MAILFS_ERR_LIMIT, "the POP3 "
				    "server sent a line longer than %zu bytes",
				    p->max_line);
			else
				error_set_sys(&p->err, errno, "reading a line");
			pop3_drop(p);
			return -1;
		}
		p->in_off += n;
		if (nl != NULL) {
			p->in_off++;
			break;
		}
	}
	if (p->line.len > 0 && p->line.data[p->line.len - 1] == '\r')
		p->line.data[--p->line.len] = '\0';
	if (p->line.data == NULL && buf_append(&p->line, "", 0) == -1) {
		error_set_sys(&p->err, errno, "reading a line");
		pop3_drop(p);
		return -1;
	}
	return 0;
}

/* A copy of a server's text fit for a message or a trace. */
static void
printable(char *out, size_t size, const char *s, size_t len)
{
	size_t i;

	if (size == 0)
		return;
	for (i = 0; i < len && i + 1 < size; i++)
		out[i] = (unsigned char)s[i] < 0x20 ||
		    (unsigned char)s[i] >= 0x7f ? '?' : s[i];
	out[i] = '\0';
}

int
pop3_read_status(struct mailfs_pop3 *p, int cont_ok)
{
	char shown[256];

	if (read_line(p) == -1)
		return -1;
	if (pop3_status_parse(p->line.data, p->line.len, &p->st) == -1 ||
	    (p->st.kind == POP3_CONT && !cont_ok)) {
		/* After a secret the line may echo it: not quoted then. */
		printable(shown, 64, p->line.data, p->mask_replies ? 0 :
		    p->line.len);
		error_set(&p->err, MAILFS_ERR_PROTOCOL, "the POP3 server sent "
		    "\"%s\" where +OK or -ERR belongs", p->mask_replies ?
		    "***" : shown);
		pop3_drop(p);
		return -1;
	}
	if (p->trace == NULL)
		return 0;
	if (p->mask_replies && p->st.kind != POP3_CONT) {
		pop3_trace(p, MAILFS_TRACE_RECV, "%s%s%s%s ***",
		    p->st.kind == POP3_OK ? "+OK" : "-ERR",
		    p->st.code[0] != '\0' ? " [" : "", p->st.code,
		    p->st.code[0] != '\0' ? "]" : "");
		return 0;
	}
	if (p->mask_replies) {
		pop3_trace(p, MAILFS_TRACE_RECV, "+ ***");
		return 0;
	}
	printable(shown, sizeof(shown), p->line.data, p->line.len);
	pop3_trace(p, MAILFS_TRACE_RECV, "%s", shown);
	return 0;
}

int
pop3_read_data(struct mailfs_pop3 *p, pop3_sink_fn *sink, void *ctx)
{
	struct pop3_data d;
	enum pop3_data_result r;
	char out[sizeof(p->in) + 1];
	size_t used, olen;

	pop3_data_init(&d);
	do {
		if (fill(p) == -1)
			return -1;
		r = pop3_data_decode(&d, p->in + p->in_off,
		    p->in_len - p->in_off, &used, out, &olen);
		p->in_off += used;
		if (olen > 0 && sink(ctx, out, olen) == -1) {
			pop3_drop(p);
			return -1;
		}
	} while (r == POP3_DATA_MORE);
	return 0;
}

struct lines {
	struct mailfs_pop3 *p;
	struct buf line;
	int (*fn)(void *ctx, const char *line, size_t len);
	void *ctx;
};

/* Cuts the body into lines for pop3_read_lines(). */
static int
lines_sink(void *ctx, const char *data, size_t len)
{
	struct lines *l = ctx;
	const char *nl;
	size_t n, end;

	while (len > 0) {
		nl = memchr(data, '\n', len);
		n = nl != NULL ? (size_t)(nl - data) : len;
		if (buf_append(&l->line, data, n) == -1) {
			if (errno == E2BIG)
				error_set(&l->p->err, MAILFS_ERR_LIMIT, "the "
				    "POP3 server sent a line longer than %zu "
				    "bytes", l->p->max_line);
			else
				error_set_sys(&l->p->err, errno, "reading a "
				    "listing");
			return -1;
		}
		if (nl == NULL)
			break;
		end = l->line.len;
		if (end > 0 && l->line.data[end - 1] == '\r')
			end--;
		if (l->fn(l->ctx, l->line.data != NULL ? l->line.data : "",
		    end) == -1)
			return -1;
		buf_reset(&l->line);
		data += n + 1;
		len -= n + 1;
	}
	return 0;
}

int
pop3_read_lines(struct mailfs_pop3 *p,
    int (*fn)(void *ctx, const char *line, size_t len), void *ctx)
{
	struct lines l;
	int rc;

	l.p = p;
	l.fn = fn;
	l.ctx = ctx;
	buf_init(&l.line, p->max_line);
	rc = pop3_read_data(p, lines_sink, &l);
	/* A last line without its line end is not a line. */
	if (rc == 0 && l.line.len > 0) {
		error_set(&p->err, MAILFS_ERR_PROTOCOL, "the POP3 server ended "
		    "a listing in the middle of a line");
		pop3_drop(p);
		rc = -1;
	}
	buf_free(&l.line);
	return rc;
}

void
pop3_refusal(struct mailfs_pop3 *p, const char *prefix, int with_text)
{
	char text[MAILFS_ERROR_MSG_MAX];

	printable(text, sizeof(text), p->st.text, with_text ?
	    p->st.text_len : 0);
	error_set(&p->err, MAILFS_ERR_NO, "%s: -ERR%s%s%s%s%s", prefix,
	    p->st.code[0] != '\0' ? " [" : "", p->st.code,
	    p->st.code[0] != '\0' ? "]" : "", text[0] != '\0' ? " " : "",
	    text);
	if (p->st.code[0] != '\0') {
		p->err.code = mailfs_code_from_name(p->st.code);
		snprintf(p->err.code_name, sizeof(p->err.code_name), "%s",
		    p->st.code);
	}
}

/* ---- CAPA ---- */

struct capa {
	struct mailfs_pop3 *p;
	unsigned lines;
};

/* One line of CAPA's answer: "TAG params". */
static int
capa_line(void *ctx, const char *line, size_t len)
{
	static const struct {
		const char *name;
		unsigned bit;
	} known[] = {
		{ "TOP", MAILFS_POP3_CAP_TOP },
		{ "UIDL", MAILFS_POP3_CAP_UIDL },
		{ "USER", MAILFS_POP3_CAP_USER },
		{ "SASL", MAILFS_POP3_CAP_SASL },
		{ "RESP-CODES", MAILFS_POP3_CAP_RESP_CODES },
		{ "AUTH-RESP-CODE", MAILFS_POP3_CAP_AUTH_RESP_CODE },
		{ "PIPELINING", MAILFS_POP3_CAP_PIPELINING },
		{ "STLS", MAILFS_POP3_CAP_STLS },
		{ "LOGIN-DELAY", MAILFS_POP3_CAP_LOGIN_DELAY },
		{ "EXPIRE", MAILFS_POP3_CAP_EXPIRE },
	};
	struct capa *c = ctx;
	struct mailfs_pop3 *p = c->p;
	const char *a;
	size_t klen, alen, i, rest;
	uint32_t delay;
	char shown[128];

	if (++c->lines > CAPA_LINES_MAX * 16) {
		error_set(&p->err, MAILFS_ERR_LIMIT, "the POP3 server listed "
		    "more than %d capabilities", CAPA_LINES_MAX * 16);
		return -1;
	}
	if (c->lines > CAPA_LINES_MAX)
		return 0;
	printable(shown, sizeof(shown), line, len);
	pop3_trace(p, MAILFS_TRACE_RECV, "%s", shown);
	for (klen = 0; klen < len && line[klen] != ' '; klen++)
		continue;
	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		if (!str_eq_ci(line, klen, known[i].name))
			continue;
		p->caps |= known[i].bit;
		a = line + klen;
		rest = len - klen;
		if (known[i].bit == MAILFS_POP3_CAP_LOGIN_DELAY) {
			for (; rest > 0 && *a == ' '; a++, rest--)
				continue;
			for (alen = 0; alen < rest && a[alen] != ' '; alen++)
				continue;
			if (str_to_u32(a, alen, 0x7fffffff, &delay) == 0)
				p->login_delay = (long)delay;
		}
		if (known[i].bit != MAILFS_POP3_CAP_SASL)
			break;
		while (rest > 0) {
			for (; rest > 0 && *a == ' '; a++, rest--)
				continue;
			for (alen = 0; alen < rest && a[alen] != ' '; alen++)
				continue;
			if (alen > 0 && alen <= MECH_MAX &&
			    buf_append_word_upper(&p->sasl, a, alen) == -1)
				break;
			a += alen;
			rest -= alen;
		}
		break;
	}
	return 0;
}

int
pop3_capa(struct mailfs_pop3 *p)
{
	struct capa c;

	if (pop3_send_line(p, "CAPA", NULL) == -1 ||
	    pop3_read_status(p, 0) == -1)
		return -1;
	forget_capabilities(p);
	if (p->st.kind == POP3_ERR) {
		/* RFC 1939's server: USER, UIDL and TOP are optional but usual. */
		p->caps = MAILFS_POP3_CAP_USER | MAILFS_POP3_CAP_UIDL |
		    MAILFS_POP3_CAP_TOP;
		return 0;
	}
	c.p = p;
	c.lines = 0;
	if (pop3_read_lines(p, capa_line, &c) == -1)
		return -1;
	if (c.lines > CAPA_LINES_MAX)
		pop3_trace(p, MAILFS_TRACE_INFO, "more than %d CAPA lines: the "
		    "rest ignored", CAPA_LINES_MAX);
	if (buf_append(&p->sasl, " ", 1) == -1) {
		error_set_sys(&p->err, ENOMEM, "reading CAPA's answer");
		pop3_drop(p);
		return -1;
	}
	return 0;
}

/* ---- connecting ---- */

static int
stls(struct mailfs_pop3 *p)
{
	if (!(p->caps & MAILFS_POP3_CAP_STLS)) {
		error_set(&p->err, MAILFS_ERR_NO_STARTTLS, "the POP3 server "
		    "does not offer STLS, and mailfs never sends credentials "
		    "without TLS");
		return -1;
	}
	pop3_set_state(p, POP3_ST_STLS);
	if (pop3_send_line(p, "STLS", NULL) == -1 ||
	    pop3_read_status(p, 0) == -1)
		return -1;
	if (p->st.kind != POP3_OK) {
		pop3_refusal(p, "the POP3 server refused STLS", 1);
		p->err.kind = MAILFS_ERR_NO_STARTTLS;
		return -1;
	}
	/*
	 * Anything after the +OK came before the handshake, in the clear:
	 * a man in the middle's, never the server's (CVE-2011-0411, curl's
	 * CVE-2021-22947).  Refused, not merely discarded: the connection
	 * is being tampered with.
	 */
	if (p->in_off < p->in_len || conn_readable_now(p->conn)) {
		error_set(&p->err, MAILFS_ERR_PROTOCOL, "the POP3 server sent "
		    "more after its answer to STLS, before TLS: someone may "
		    "be tampering with the connection");
		return -1;
	}
	if (conn_start_tls(p->conn, p->host, p->ca_file,
	    p->connect_timeout_ms, &p->err) == -1)
		return -1;
	pop3_trace(p, MAILFS_TRACE_INFO, "TLS established");
	/* What CAPA said before TLS may have been forged: ask again. */
	return pop3_capa(p);
}

int
mailfs_pop3_connect(struct mailfs_pop3 *p)
{
	struct mailfs_error err;

	if (p->conn != NULL) {
		error_set(&p->err, MAILFS_ERR_USAGE, "already connected");
		return -1;
	}
	error_clear(&p->err);
	pop3_drop(p);
	if ((p->conn = conn_open(p->host, p->port, p->connect_timeout_ms,
	    &p->bounds, &p->err)) == NULL)
		return -1;
	pop3_trace(p, MAILFS_TRACE_INFO, "connected to %s port %s", p->host,
	    p->port);
	pop3_set_state(p, POP3_ST_GREETING);
	if (p->security == MAILFS_SEC_IMPLICIT_TLS &&
	    conn_start_tls(p->conn, p->host, p->ca_file,
	    p->connect_timeout_ms, &p->err) == -1)
		goto fail;
	if (pop3_read_status(p, 0) == -1)
		return -1;
	if (p->st.kind != POP3_OK) {
		pop3_refusal(p, "the POP3 server refused the connection", 1);
		p->err.kind = MAILFS_ERR_CLOSED;
		goto fail;
	}
	if (pop3_capa(p) == -1)
		return -1;
	if (p->security == MAILFS_SEC_STARTTLS && stls(p) == -1)
		goto fail;
	pop3_set_state(p, POP3_ST_AUTHORIZATION);
	return 0;
fail:
	err = p->err;
	pop3_drop(p);
	p->err = err;
	return -1;
}

int
mailfs_pop3_quit(struct mailfs_pop3 *p)
{
	int rc = -1;

	if (p->conn == NULL) {
		error_set(&p->err, MAILFS_ERR_CLOSED, "not connected to the "
		    "POP3 server: nothing was deleted");
		return -1;
	}
	pop3_set_state(p, POP3_ST_QUIT);
	if (pop3_send_line(p, "QUIT", NULL) == 0 &&
	    pop3_read_status(p, 0) == 0) {
		rc = p->st.kind == POP3_OK ? 0 : -1;
		if (rc == -1)
			pop3_refusal(p, "the POP3 server refused QUIT", 1);
	}
	pop3_drop(p);
	if (rc == 0)
		error_clear(&p->err);
	return rc;
}

void
mailfs_pop3_disconnect(struct mailfs_pop3 *p)
{
	pop3_drop(p);
}

void
mailfs_pop3_set_deadline(struct mailfs_pop3 *p, const struct timespec *deadline)
{
	p->bounds.deadline_ms = deadline == NULL ? -1 :
	    (int64_t)deadline->tv_sec * 1000 + deadline->tv_nsec / 1000000;
}

void
mailfs_pop3_set_cancel_fd(struct mailfs_pop3 *p, int fd)
{
	p->bounds.cancel_fd = fd;
}

int
mailfs_pop3_is_ready(const struct mailfs_pop3 *p)
{
	return p->conn != NULL && p->state == POP3_ST_TRANSACTION;
}

unsigned
mailfs_pop3_capabilities(const struct mailfs_pop3 *p)
{
	return p->caps;
}

int
mailfs_pop3_has_sasl(const struct mailfs_pop3 *p, const char *mech)
{
	return str_word_in(p->sasl.data, mech);
}

long
mailfs_pop3_login_delay(const struct mailfs_pop3 *p)
{
	return p->login_delay;
}

const struct mailfs_error *
mailfs_pop3_error(const struct mailfs_pop3 *p)
{
	return &p->err;
}
