/*
 * The SMTP client's life: creation, connecting (implicit TLS or required
 * STARTTLS), EHLO and its extensions, reading replies and writing
 * commands, QUIT, and the getters (see smtp_session.h, <mailfs/smtp.h>).
 *
 * RFC 5321 3.1 (greeting), 4.1.1.1 (EHLO), 4.1.3 (address literals),
 * 3.8 (421); RFC 3207 (STARTTLS: discard what came before TLS, EHLO
 * again); RFC 8314 (implicit TLS).
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "conn.h"
#include "errors.h"
#include "smtp_reply.h"
#include "smtp_session.h"
#include "strparse.h"
#include "trace.h"

#define DEFAULT_TIMEOUT_MS	30000
#define DEFAULT_IO_TIMEOUT_MS	60000
#define DEFAULT_FINAL_TIMEOUT_MS 600000
#define DEFAULT_MAX_EXTENSIONS	64
/* An EHLO keyword longer than this is not one we could know. */
#define KEYWORD_MAX		64

/* ---- the state ---- */

void
smtp_set_state(struct mailfs_smtp *s, enum smtp_state state)
{
	static const char *const names[] = {
		[SMTP_ST_DISCONNECTED] = "DISCONNECTED",
		[SMTP_ST_GREETING] = "GREETING",
		[SMTP_ST_EHLO] = "EHLO",
		[SMTP_ST_STARTTLS] = "STARTTLS",
		[SMTP_ST_READY] = "READY",
		[SMTP_ST_AUTH] = "AUTH",
		[SMTP_ST_ENVELOPE] = "ENVELOPE",
		[SMTP_ST_DATA] = "DATA",
		[SMTP_ST_FINAL] = "FINAL",
		[SMTP_ST_RSET] = "RSET",
		[SMTP_ST_QUIT] = "QUIT",
	};

	if (s->state == state)
		return;
	smtp_trace(s, MAILFS_TRACE_INFO, "state %s -> %s", names[s->state],
	    names[state]);
	s->state = state;
}

void
smtp_trace(struct mailfs_smtp *s, enum mailfs_trace_dir dir,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	trace_vemit(s->trace, s->trace_ctx, dir, TRACE_EMIT_MAX, fmt, ap);
	va_end(ap);
}

static void
forget_extensions(struct mailfs_smtp *s)
{
	s->exts = 0;
	s->max_size = 0;
	buf_reset(&s->keywords);
	buf_reset(&s->auth_mechs);
}

void
smtp_drop(struct mailfs_smtp *s)
{
	if (s->conn != NULL)
		smtp_trace(s, MAILFS_TRACE_INFO, "connection closed");
	conn_close(&s->conn);
	s->in_off = s->in_len = 0;
	s->authenticated = 0;
	s->mask_replies = 0;
	smtp_reply_parser_reset(&s->parser);
	forget_extensions(s);
	smtp_set_state(s, SMTP_ST_DISCONNECTED);
}

/* ---- creation ---- */

static char *
copy_or_null(const char *src, int *failed)
{
	char *copy;

	if (src == NULL)
		return NULL;
	if ((copy = strdup(src)) == NULL)
		*failed = 1;
	return copy;
}

/* A name for EHLO: printable, no space, that no command line can trip on. */
static int
valid_helo(const char *name)
{
	size_t i;

	for (i = 0; name[i] != '\0'; i++)
		if ((unsigned char)name[i] <= 0x20 ||
		    (unsigned char)name[i] >= 0x7f || i >= 255)
			return 0;
	return i > 0;
}

struct mailfs_smtp *
mailfs_smtp_new(const struct mailfs_smtp_params *p)
{
	struct mailfs_smtp *s;
	int failed = 0;

	if (p == NULL || p->host == NULL || (p->helo_name != NULL &&
	    !valid_helo(p->helo_name))) {
		errno = EINVAL;
		return NULL;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	s->host = copy_or_null(p->host, &failed);
	s->port = copy_or_null(p->port != NULL ? p->port :
	    p->security == MAILFS_SEC_IMPLICIT_TLS ? "465" : "587", &failed);
	s->ca_file = copy_or_null(p->ca_file, &failed);
	s->helo_name = copy_or_null(p->helo_name, &failed);
	smtp_reply_parser_init(&s->parser, p->max_line, p->max_lines);
	buf_init(&s->keywords, 64 * 1024);
	buf_init(&s->auth_mechs, 8 * 1024);
	if (failed) {
		mailfs_smtp_free(&s);
		errno = ENOMEM;
		return NULL;
	}
	s->security = p->security;
	s->connect_timeout_ms = p->connect_timeout_ms > 0 ?
	    p->connect_timeout_ms : DEFAULT_TIMEOUT_MS;
	s->io_timeout_ms = p->io_timeout_ms > 0 ? p->io_timeout_ms :
	    DEFAULT_IO_TIMEOUT_MS;
	s->final_timeout_ms = p->final_timeout_ms > 0 ? p->final_timeout_ms :
	    DEFAULT_FINAL_TIMEOUT_MS;
	s->max_extensions = p->max_extensions > 0 ? p->max_extensions :
	    DEFAULT_MAX_EXTENSIONS;
	s->trace = p->trace;
	s->trace_ctx = p->trace_ctx;
	s->bounds.deadline_ms = -1;
	s->bounds.cancel_fd = -1;
	return s;
}

void
mailfs_smtp_free(struct mailfs_smtp **sp)
{
	struct mailfs_smtp *s;

	if (sp == NULL || (s = *sp) == NULL)
		return;
	conn_close(&s->conn);
	smtp_reply_parser_free(&s->parser);
	buf_free(&s->keywords);
	buf_free(&s->auth_mechs);
	free(s->host);
	free(s->port);
	free(s->ca_file);
	free(s->helo_name);
	free(s);
	*sp = NULL;
}

/* ---- writing and reading ---- */

int
smtp_write(struct mailfs_smtp *s, const char *data, size_t len)
{
	if (s->conn == NULL) {
		error_set(&s->err, MAILFS_ERR_CLOSED, "not connected to the "
		    "SMTP server");
		return -1;
	}
	if (conn_write(s->conn, data, len, s->io_timeout_ms, &s->err) == -1) {
		smtp_drop(s);
		return -1;
	}
	return 0;
}

int
smtp_quiet(struct mailfs_smtp *s)
{
	ssize_t n;

	if (s->conn == NULL)
		return 0;
	if (s->in_off == s->in_len) {
		s->in_off = s->in_len = 0;
		if ((n = conn_read_unasked(s->conn, s->in, sizeof(s->in),
		    &s->err)) == -1) {
			smtp_drop(s);
			return -1;
		}
		s->in_len = (size_t)n;
	}
	if (s->in_off == s->in_len)
		return 0;
	error_set(&s->err, MAILFS_ERR_PROTOCOL, "the SMTP server sent a "
	    "reply to no command");
	smtp_drop(s);
	return -1;
}

int
smtp_send_line(struct mailfs_smtp *s, const char *line, const char *trace_as)
{
	if (smtp_quiet(s) == -1)
		return -1;
	if (s->conn == NULL) {
		error_set(&s->err, MAILFS_ERR_CLOSED, "not connected to the "
		    "SMTP server");
		return -1;
	}
	smtp_trace(s, MAILFS_TRACE_SEND, "%s", trace_as != NULL ? trace_as :
	    line);
	if (conn_write_line(s->conn, line, trace_as != NULL, s->io_timeout_ms,
	    &s->err) == -1) {
		smtp_drop(s);
		return -1;
	}
	return 0;
}

static void
trace_reply(struct mailfs_smtp *s, const struct smtp_reply *r)
{
	const char *p, *nl;
	unsigned i;

	if (s->trace == NULL)
		return;
	if (s->mask_replies) {
		smtp_trace(s, MAILFS_TRACE_RECV, "%u %s%s***", r->code,
		    r->enhanced, r->enhanced[0] != '\0' ? " " : "");
		return;
	}
	p = r->text.data != NULL ? r->text.data : "";
	for (i = 0; i < r->nlines; i++) {
		nl = strchr(p, '\n');
		smtp_trace(s, MAILFS_TRACE_RECV, "%u%c%s%s%.*s", r->code,
		    i + 1 < r->nlines ? '-' : ' ', i == 0 ? r->enhanced : "",
		    i == 0 && r->enhanced[0] != '\0' ? " " : "",
		    (int)(nl != NULL ? (size_t)(nl - p) : strlen(p)), p);
		if (nl == NULL)
			break;
		p = nl + 1;
	}
}

int
smtp_read_reply(struct mailfs_smtp *s, int timeout_ms)
{
	enum smtp_parse_result r;
	size_t used;
	ssize_t n;

	if (s->conn == NULL) {
		error_set(&s->err, MAILFS_ERR_CLOSED, "not connected to the "
		    "SMTP server");
		return -1;
	}
	for (;;) {
		if (s->in_off < s->in_len) {
			r = smtp_reply_feed(&s->parser, s->in + s->in_off,
			    s->in_len - s->in_off, &used, &s->err);
			s->in_off += used;
			if (r == SMTP_PARSE_ERROR)
				break;
			if (r == SMTP_PARSE_REPLY) {
				trace_reply(s, &s->parser.reply);
				return 0;
			}
		}
		s->in_off = s->in_len = 0;
		if ((n = conn_read(s->conn, s->in, sizeof(s->in), timeout_ms,
		    &s->err)) == -1)
			break;
		s->in_len = (size_t)n;
	}
	smtp_drop(s);
	return -1;
}

void
smtp_refusal_of(struct mailfs_smtp *s, const char *prefix, unsigned code,
    const char *enhanced, const char *text)
{
	char t[MAILFS_ERROR_MSG_MAX];
	size_t i;

	for (i = 0; text != NULL && text[i] != '\0' && i + 1 < sizeof(t); i++)
		t[i] = text[i] == '\n' || text[i] == '\t' ? ' ' : text[i];
	t[i] = '\0';
	error_set(&s->err, MAILFS_ERR_NO, "%s: %u%s%s%s%s", prefix, code,
	    enhanced[0] != '\0' ? " " : "", enhanced, t[0] != '\0' ? " " : "",
	    t);
	if (enhanced[0] != '\0') {
		s->err.code = MAILFS_CODE_OTHER;
		snprintf(s->err.code_name, sizeof(s->err.code_name), "%s",
		    enhanced);
	}
}

void
smtp_refusal(struct mailfs_smtp *s, const char *prefix,
    const struct smtp_reply *r, int with_text)
{
	smtp_refusal_of(s, prefix, r->code, r->enhanced,
	    with_text ? r->text.data : NULL);
}

int
smtp_closing(struct mailfs_smtp *s)
{
	struct smtp_reply *r = &s->parser.reply;

	if (r->code != 421)
		return 0;
	smtp_refusal(s, "the SMTP server is closing the connection", r,
	    !s->mask_replies);
	s->err.kind = MAILFS_ERR_CLOSED;
	smtp_drop(s);
	return 1;
}

void
smtp_reply_export(const struct smtp_reply *r, struct mailfs_smtp_reply *out)
{
	size_t i;

	out->code = r->code;
	snprintf(out->enhanced, sizeof(out->enhanced), "%s", r->enhanced);
	free(out->text);
	if ((out->text = malloc(r->text.len + 1)) == NULL)
		return;
	/* The parser made every other control byte a '?'. */
	for (i = 0; i < r->text.len; i++)
		out->text[i] = r->text.data[i] == '\n' ||
		    r->text.data[i] == '\t' ? ' ' : r->text.data[i];
	out->text[i] = '\0';
}

/* ---- EHLO ---- */

/* EHLO's argument: the configured name, or our address literal. */
static void
helo_argument(struct mailfs_smtp *s, char *out, size_t size)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char addr[INET6_ADDRSTRLEN];

	if (s->helo_name != NULL) {
		snprintf(out, size, "%s", s->helo_name);
		return;
	}
	snprintf(out, size, "localhost");
	if (getsockname(conn_fd(s->conn), (struct sockaddr *)&ss, &len) == -1)
		return;
	if (ss.ss_family == AF_INET && inet_ntop(AF_INET,
	    &((struct sockaddr_in *)&ss)->sin_addr, addr, sizeof(addr)) != NULL)
		snprintf(out, size, "[%s]", addr);
	else if (ss.ss_family == AF_INET6 && inet_ntop(AF_INET6,
	    &((struct sockaddr_in6 *)&ss)->sin6_addr, addr,
	    sizeof(addr)) != NULL)
		snprintf(out, size, "[IPv6:%s]", addr);
}

static int
valid_keyword(const char *k, size_t len)
{
	size_t i;

	if (len == 0 || len > KEYWORD_MAX || k[0] == '-')
		return 0;
	for (i = 0; i < len; i++)
		if (!((k[i] >= 'A' && k[i] <= 'Z') ||
		    (k[i] >= 'a' && k[i] <= 'z') ||
		    (k[i] >= '0' && k[i] <= '9') || k[i] == '-'))
			return 0;
	return 1;
}

/* AUTH's mechanisms, separated by spaces, added to the list. */
static void
add_mechs(struct mailfs_smtp *s, const char *p, size_t len)
{
	size_t n;

	while (len > 0) {
		for (n = 0; n < len && p[n] != ' '; n++)
			continue;
		if (n > 0 && n <= KEYWORD_MAX)
			buf_append_word_upper(&s->auth_mechs, p, n);
		for (; n < len && p[n] == ' '; n++)
			continue;
		p += n;
		len -= n;
	}
}

/* One line of EHLO's reply after the first: "KEYWORD params". */
static void
ehlo_line(struct mailfs_smtp *s, const char *line, size_t len)
{
	static const struct {
		const char *name;
		unsigned bit;
	} known[] = {
		{ "STARTTLS", MAILFS_SMTP_EXT_STARTTLS },
		{ "AUTH", MAILFS_SMTP_EXT_AUTH },
		{ "SIZE", MAILFS_SMTP_EXT_SIZE },
		{ "8BITMIME", MAILFS_SMTP_EXT_8BITMIME },
		{ "SMTPUTF8", MAILFS_SMTP_EXT_SMTPUTF8 },
		{ "PIPELINING", MAILFS_SMTP_EXT_PIPELINING },
		{ "DSN", MAILFS_SMTP_EXT_DSN },
		{ "ENHANCEDSTATUSCODES", MAILFS_SMTP_EXT_ENHANCEDSTATUSCODES },
	};
	const char *params;
	size_t klen, plen, i;
	uint64_t size;

	for (klen = 0; klen < len && line[klen] != ' '; klen++)
		continue;
	params = line + klen + (klen < len ? 1 : 0);
	plen = len - (size_t)(params - line);
	/* The old form "AUTH=PLAIN LOGIN" that some servers still send. */
	if (klen > 5 && str_eq_ci(line, 5, "AUTH=")) {
		s->exts |= MAILFS_SMTP_EXT_AUTH;
		add_mechs(s, line + 5, len - 5);
		return;
	}
	if (!valid_keyword(line, klen))
		return;
	buf_append_word_upper(&s->keywords, line, klen);
	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		if (!str_eq_ci(line, klen, known[i].name))
			continue;
		s->exts |= known[i].bit;
		if (known[i].bit == MAILFS_SMTP_EXT_AUTH)
			add_mechs(s, params, plen);
		else if (known[i].bit == MAILFS_SMTP_EXT_SIZE && plen > 0 &&
		    str_to_u64(params, plen, UINT64_MAX, &size) == 0)
			s->max_size = size;
	}
}

static int
ehlo(struct mailfs_smtp *s)
{
	char arg[300], line[320];
	const struct smtp_reply *r = &s->parser.reply;
	const char *p, *nl;
	unsigned n = 0;

	smtp_set_state(s, SMTP_ST_EHLO);
	forget_extensions(s);
	helo_argument(s, arg, sizeof(arg));
	snprintf(line, sizeof(line), "EHLO %s", arg);
	if (smtp_send_line(s, line, NULL) == -1 ||
	    smtp_read_reply(s, s->io_timeout_ms) == -1 || smtp_closing(s))
		return -1;
	if (SMTP_CLASS(r->code) != 2) {
		smtp_refusal(s, "the SMTP server refused EHLO", r, 1);
		s->err.kind = MAILFS_ERR_UNSUPPORTED;
		smtp_drop(s);
		return -1;
	}
	/* The first line is the server's name and greeting. */
	p = r->text.data != NULL ? strchr(r->text.data, '\n') : NULL;
	for (; p != NULL; p = nl) {
		p++;
		nl = strchr(p, '\n');
		if (++n > s->max_extensions) {
			smtp_trace(s, MAILFS_TRACE_INFO, "more than %u EHLO "
			    "keywords: the rest ignored", s->max_extensions);
			break;
		}
		ehlo_line(s, p, nl != NULL ? (size_t)(nl - p) : strlen(p));
	}
	if (buf_append(&s->keywords, " ", 1) == -1 ||
	    buf_append(&s->auth_mechs, " ", 1) == -1) {
		error_set_sys(&s->err, ENOMEM, "reading EHLO's reply");
		smtp_drop(s);
		return -1;
	}
	return 0;
}

/* ---- connecting ---- */

static int
starttls(struct mailfs_smtp *s)
{
	const struct smtp_reply *r = &s->parser.reply;

	if (!(s->exts & MAILFS_SMTP_EXT_STARTTLS)) {
		error_set(&s->err, MAILFS_ERR_NO_STARTTLS, "the SMTP server "
		    "does not offer STARTTLS, and mailfs never sends mail or "
		    "credentials without TLS");
		return -1;
	}
	smtp_set_state(s, SMTP_ST_STARTTLS);
	if (smtp_send_line(s, "STARTTLS", NULL) == -1 ||
	    smtp_read_reply(s, s->io_timeout_ms) == -1 || smtp_closing(s))
		return -1;
	if (r->code != 220) {
		smtp_refusal(s, "the SMTP server refused STARTTLS", r, 1);
		s->err.kind = MAILFS_ERR_NO_STARTTLS;
		return -1;
	}
	/*
	 * Anything after the 220 came before the handshake, in the clear:
	 * a man in the middle's, never the server's (CVE-2011-0411, curl's
	 * CVE-2021-22947).  Refused, not merely discarded: the connection
	 * is being tampered with.
	 */
	if (s->in_off < s->in_len || conn_readable_now(s->conn)) {
		error_set(&s->err, MAILFS_ERR_PROTOCOL, "the SMTP server sent "
		    "more after its answer to STARTTLS, before TLS: someone "
		    "may be tampering with the connection");
		return -1;
	}
	if (conn_start_tls(s->conn, s->host, s->ca_file,
	    s->connect_timeout_ms, &s->err) == -1)
		return -1;
	smtp_trace(s, MAILFS_TRACE_INFO, "TLS established");
	smtp_reply_parser_reset(&s->parser);
	/* What EHLO said before TLS may have been forged: ask again. */
	return ehlo(s);
}

int
mailfs_smtp_connect(struct mailfs_smtp *s)
{
	const struct smtp_reply *r = &s->parser.reply;
	struct mailfs_error err;

	if (s->conn != NULL) {
		error_set(&s->err, MAILFS_ERR_USAGE, "already connected");
		return -1;
	}
	error_clear(&s->err);
	smtp_drop(s);
	if ((s->conn = conn_open(s->host, s->port, s->connect_timeout_ms,
	    &s->bounds, &s->err)) == NULL)
		return -1;
	smtp_trace(s, MAILFS_TRACE_INFO, "connected to %s port %s", s->host,
	    s->port);
	smtp_set_state(s, SMTP_ST_GREETING);
	if (s->security == MAILFS_SEC_IMPLICIT_TLS &&
	    conn_start_tls(s->conn, s->host, s->ca_file,
	    s->connect_timeout_ms, &s->err) == -1)
		goto fail;
	if (smtp_read_reply(s, s->io_timeout_ms) == -1 || smtp_closing(s))
		return -1;
	if (r->code != 220) {
		smtp_refusal(s, "the SMTP server refused the connection", r, 1);
		s->err.kind = MAILFS_ERR_CLOSED;
		goto fail;
	}
	if (ehlo(s) == -1)
		return -1;
	if (s->security == MAILFS_SEC_STARTTLS && starttls(s) == -1)
		goto fail;
	smtp_set_state(s, SMTP_ST_READY);
	return 0;
fail:
	err = s->err;
	smtp_drop(s);
	s->err = err;
	return -1;
}

int
mailfs_smtp_quit(struct mailfs_smtp *s)
{
	int rc = -1;

	if (s->conn == NULL)
		return 0;
	smtp_set_state(s, SMTP_ST_QUIT);
	if (smtp_send_line(s, "QUIT", NULL) == 0 &&
	    smtp_read_reply(s, s->io_timeout_ms) == 0)
		rc = SMTP_CLASS(s->parser.reply.code) == 2 ? 0 : -1;
	if (rc == -1 && s->conn != NULL)
		smtp_refusal(s, "the SMTP server refused QUIT",
		    &s->parser.reply, 1);
	smtp_drop(s);
	if (rc == 0)
		error_clear(&s->err);
	return rc;
}

void
mailfs_smtp_disconnect(struct mailfs_smtp *s)
{
	smtp_drop(s);
}

void
mailfs_smtp_set_deadline(struct mailfs_smtp *s, const struct timespec *deadline)
{
	s->bounds.deadline_ms = deadline == NULL ? -1 :
	    (int64_t)deadline->tv_sec * 1000 + deadline->tv_nsec / 1000000;
}

void
mailfs_smtp_set_cancel_fd(struct mailfs_smtp *s, int fd)
{
	s->bounds.cancel_fd = fd;
}

int
mailfs_smtp_is_ready(const struct mailfs_smtp *s)
{
	return s->conn != NULL && s->state == SMTP_ST_READY;
}

int
mailfs_smtp_is_authenticated(const struct mailfs_smtp *s)
{
	return s->conn != NULL && s->authenticated;
}

unsigned
mailfs_smtp_extensions(const struct mailfs_smtp *s)
{
	return s->exts;
}

int
mailfs_smtp_has_extension(const struct mailfs_smtp *s, const char *keyword,
    const char *mech)
{
	if (keyword == NULL)
		return 0;
	if (str_eq_ci(keyword, strlen(keyword), "AUTH") && mech != NULL)
		return str_word_in(s->auth_mechs.data, mech);
	if (str_eq_ci(keyword, strlen(keyword), "AUTH"))
		return (s->exts & MAILFS_SMTP_EXT_AUTH) != 0;
	return str_word_in(s->keywords.data, keyword);
}

uint64_t
mailfs_smtp_max_size(const struct mailfs_smtp *s)
{
	return s->max_size;
}

const struct mailfs_error *
mailfs_smtp_error(const struct mailfs_smtp *s)
{
	return &s->err;
}
