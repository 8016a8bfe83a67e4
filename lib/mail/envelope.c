/*
 * The envelope of a message to send, read from its header, and the
 * message as transmitted (see mailfs/envelope.h).
 *
 * The header is split into fields once (struct field: where each starts
 * and ends, folded lines included); the envelope is read from the
 * fields that count, and the rewrite copies the fields that stay.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/rand.h>

#include <mailfs/envelope.h>

#include "address.h"
#include "errors.h"

/* The most fields a header may have. */
#define FIELDS_MAX	10000

struct field {
	size_t start;		/* of its name */
	size_t colon;		/* of the : after the name */
	size_t end;		/* past its last line's end */
	int resent_block;	/* one of the newest Resent- block */
};

struct header {
	struct field *v;
	size_t n;
	size_t len;		/* with the empty line ending it, when there is one */
	size_t body_at;		/* where the empty line is (the fields end) */
	int resent;		/* there is a Resent- block */
	size_t block_end;	/* past the block's last field */
};

/* The length of the line end at p ("\r\n" or "\n"), 0 when none. */
static size_t
eol_len(const char *p, const char *end)
{
	if (p < end && *p == '\n')
		return 1;
	if (end - p >= 2 && p[0] == '\r' && p[1] == '\n')
		return 2;
	return 0;
}

static int
name_is(const char *msg, const struct field *f, const char *name)
{
	size_t n = strlen(name);

	return f->colon - f->start == n && strncasecmp(msg + f->start, name, n) == 0;
}

static int
is_resent(const char *msg, const struct field *f)
{
	return f->colon - f->start > 7 && strncasecmp(msg + f->start, "Resent-", 7) == 0;
}

/* Splits msg's header into h (h->v the caller's to free): 0, or -1 with err. */
static int
split_header(const char *msg, size_t len, struct header *h, struct mailfs_error *err)
{
	const char *end = msg + len, *p = msg, *nl;
	size_t cap = 0, e, i, k, first = 0, line = 0;
	struct field *v;
	int in_block = 0;

	memset(h, 0, sizeof(*h));
	for (;;) {
		line++;
		if (p == end || (e = eol_len(p, end)) != 0) {
			h->body_at = (size_t)(p - msg);
			h->len = h->body_at + (p == end ? 0 : e);
			break;
		}
		if ((size_t)(p - msg) >= MAILFS_ENVELOPE_HEADER_MAX) {
			error_set(err, MAILFS_ERR_USAGE, "the message's header is longer "
			    "than %d bytes", MAILFS_ENVELOPE_HEADER_MAX);
			return -1;
		}
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end - 1;	/* a last line without its end */
		if (memchr(p, '\0', (size_t)(nl + 1 - p)) != NULL) {
			/* Every reader of the header would see it end there. */
			error_set(err, MAILFS_ERR_USAGE, "line %zu of the message's header "
			    "holds a NUL byte", line);
			return -1;
		}
		if (*p == ' ' || *p == '\t') {
			if (h->n == 0) {
				error_set(err, MAILFS_ERR_USAGE, "the message begins with a "
				    "folded line, not a header field");
				return -1;
			}
			h->v[h->n - 1].end = (size_t)(nl + 1 - msg);
		} else {
			const char *colon = memchr(p, ':', (size_t)(nl - p));
			const char *c;

			for (c = p; colon != NULL && c < colon; c++)
				if (*c <= ' ' || *c >= 127)
					colon = NULL;
			if (colon == NULL || colon == p) {
				error_set(err, MAILFS_ERR_USAGE, "line %zu of the message's "
				    "header is not a field (Name: value)", line);
				return -1;
			}
			if (h->n == FIELDS_MAX) {
				error_set(err, MAILFS_ERR_USAGE, "the message's header has "
				    "more than %d fields", FIELDS_MAX);
				return -1;
			}
			if (h->n == cap) {
				cap = cap != 0 ? cap * 2 : 32;
				if ((v = realloc(h->v, cap * sizeof(*v))) == NULL) {
					error_set(err, MAILFS_ERR_NOMEM, "out of memory");
					return -1;
				}
				h->v = v;
			}
			h->v[h->n].start = (size_t)(p - msg);
			h->v[h->n].colon = (size_t)(colon - msg);
			h->v[h->n].end = (size_t)(nl + 1 - msg);
			h->v[h->n].resent_block = 0;
			h->n++;
		}
		p = nl + 1;
	}
	/*
	 * The newest Resent- block: the first run of Resent- fields, up to
	 * one that names a field the run has already (each is once a block).
	 */
	for (i = 0; i < h->n; i++) {
		if (is_resent(msg, &h->v[i])) {
			if (!h->resent)
				in_block = h->resent = 1;
			for (k = first; in_block && k < i; k++)
				if (h->v[k].colon - h->v[k].start == h->v[i].colon - h->v[i].start &&
				    strncasecmp(msg + h->v[k].start, msg + h->v[i].start,
				    h->v[i].colon - h->v[i].start) == 0)
					in_block = 0;
			if (in_block) {
				if (h->block_end == 0)
					first = i;
				h->v[i].resent_block = 1;
				h->block_end = h->v[i].end;
			}
		} else if (h->resent)
			in_block = 0;
	}
	return 0;
}

/* A field's value unfolded (line ends dropped) into a new string, or NULL. */
static char *
unfold(const char *msg, const struct field *f)
{
	const char *p = msg + f->colon + 1, *end = msg + f->end;
	char *s, *o;

	if ((s = malloc((size_t)(end - p) + 1)) == NULL)
		return NULL;
	for (o = s; p < end; p++)
		if (*p != '\r' && *p != '\n')
			*o++ = *p;
	*o = '\0';
	return s;
}

struct collect {
	struct mailfs_envelope *env;
	char *first;		/* the first address of a From: */
	size_t count;
	int rcpt;		/* 1: into env->rcpts; 0: into first/count */
	struct mailfs_error *err;
};

/* 1 when a and b are the same mailbox: the local part exact, the domain in any case. */
static int
same_address(const char *a, const char *b)
{
	const char *da = strrchr(a, '@'), *db = strrchr(b, '@');

	if (da == NULL || db == NULL || da - a != db - b)
		return strcmp(a, b) == 0;
	return strncmp(a, b, (size_t)(da - a)) == 0 && strcasecmp(da, db) == 0;
}

static int
collect_one(void *ctx, const char *addr)
{
	struct collect *c = ctx;
	struct mailfs_envelope *env = c->env;
	char **v;
	size_t i;

	if (!c->rcpt) {
		if (c->count++ == 0 && (c->first = strdup(addr)) == NULL)
			return -2;
		return 0;
	}
	if (addr[0] == '\0')
		return 0;	/* <> names nobody */
	for (i = 0; i < env->nrcpts; i++)
		if (same_address(env->rcpts[i], addr))
			return 0;
	if (env->nrcpts == MAILFS_ENVELOPE_RCPT_MAX) {
		error_set(c->err, MAILFS_ERR_USAGE, "the message names more than %d "
		    "recipients", MAILFS_ENVELOPE_RCPT_MAX);
		return -3;
	}
	if ((v = realloc(env->rcpts, (env->nrcpts + 1) * sizeof(*v))) == NULL)
		return -2;
	env->rcpts = v;
	if ((v[env->nrcpts] = strdup(addr)) == NULL)
		return -2;
	env->nrcpts++;
	return 0;
}

/* Reads the addresses of field f with c: 0, or -1 with err set. */
static int
read_addresses(const char *msg, const struct field *f, struct collect *c)
{
	const char *why = NULL;
	char *value;
	int r;

	if ((value = unfold(msg, f)) == NULL) {
		error_set(c->err, MAILFS_ERR_NOMEM, "out of memory");
		return -1;
	}
	r = address_list_parse(value, strlen(value), collect_one, c, &c->env->utf8, &why);
	free(value);
	if (r == -2)
		error_set(c->err, MAILFS_ERR_NOMEM, "out of memory");
	else if (r == -1)
		error_set(c->err, MAILFS_ERR_USAGE, "%.*s: %s", (int)(f->colon - f->start),
		    msg + f->start, why);
	return r != 0 ? -1 : 0;
}

/*
 * The addresses of the first field called name (of the Resent- block or
 * not): the first into c->first, their count into *count_r (0: no field).
 */
static int
read_sender(const char *msg, const struct header *h, const char *name, int resent,
    struct collect *c, size_t *count_r)
{
	size_t i;

	c->rcpt = 0;
	c->count = 0;
	for (i = 0; i < h->n; i++)
		if (h->v[i].resent_block == resent && name_is(msg, &h->v[i], name))
			break;
	if (i == h->n) {
		*count_r = 0;
		return 0;
	}
	if (read_addresses(msg, &h->v[i], c) != 0)
		return -1;
	*count_r = c->count;
	return 0;
}

int
mailfs_envelope_read(const char *msg, size_t len, struct mailfs_envelope **env_r,
    struct mailfs_error *err)
{
	static const char *const rcpt_fields[] = { "To", "Cc", "Bcc" };
	const char *pre;
	struct mailfs_envelope *env;
	struct collect c;
	struct header h;
	size_t i, k, nfrom = 0, nsender = 0;
	char *from = NULL;
	int r = -1;

	if (split_header(msg, len, &h, err) != 0) {
		free(h.v);
		return -1;
	}
	if ((env = calloc(1, sizeof(*env))) == NULL) {
		free(h.v);
		error_set(err, MAILFS_ERR_NOMEM, "out of memory");
		return -1;
	}
	env->resent = h.resent;
	env->header_len = h.len;
	pre = h.resent ? "Resent-" : "";
	memset(&c, 0, sizeof(c));
	c.env = env;
	c.err = err;

	/* The sender: From:, or Sender: when From: names several. */
	{
		char name[32];

		snprintf(name, sizeof(name), "%sFrom", pre);
		if (read_sender(msg, &h, name, h.resent, &c, &nfrom) != 0)
			goto out;
		from = c.first;
		c.first = NULL;
		if (nfrom == 0) {
			error_set(err, MAILFS_ERR_USAGE, "the message has no %s: field", name);
			goto out;
		}
		if (nfrom > 1) {
			snprintf(name, sizeof(name), "%sSender", pre);
			if (read_sender(msg, &h, name, h.resent, &c, &nsender) != 0)
				goto out;
			if (nsender != 1) {
				error_set(err, MAILFS_ERR_USAGE, "%sFrom: names several "
				    "addresses and there is no single %s:", pre, name);
				goto out;
			}
			free(from);
			from = c.first;
			c.first = NULL;
		}
		env->sender = from;
		from = NULL;
	}

	/* The recipients, and what is to be added or removed. */
	c.rcpt = 1;
	for (i = 0; i < h.n; i++) {
		const struct field *f = &h.v[i];
		char name[32];

		if (f->resent_block != h.resent)
			continue;
		for (k = 0; k < 3; k++) {
			snprintf(name, sizeof(name), "%s%s", pre, rcpt_fields[k]);
			if (name_is(msg, f, name) && read_addresses(msg, f, &c) != 0)
				goto out;
		}
		snprintf(name, sizeof(name), "%sDate", pre);
		env->has_date |= name_is(msg, f, name);
		snprintf(name, sizeof(name), "%sMessage-ID", pre);
		env->has_msgid |= name_is(msg, f, name);
	}
	for (i = 0; i < h.n; i++)
		env->has_bcc |= name_is(msg, &h.v[i], "Bcc") || name_is(msg, &h.v[i], "Resent-Bcc");
	if (env->nrcpts == 0) {
		error_set(err, MAILFS_ERR_USAGE, "the message names no recipient "
		    "(%sTo:, %sCc: or %sBcc:)", pre, pre, pre);
		goto out;
	}
	*env_r = env;
	env = NULL;
	r = 0;
out:
	free(c.first);
	free(from);
	free(h.v);
	mailfs_envelope_free(&env);
	return r;
}

void
mailfs_envelope_free(struct mailfs_envelope **envp)
{
	struct mailfs_envelope *env = *envp;
	size_t i;

	if (env == NULL)
		return;
	for (i = 0; i < env->nrcpts; i++)
		free(env->rcpts[i]);
	free(env->rcpts);
	free(env->sender);
	free(env);
	*envp = NULL;
}

/* Writes the Date: and Message-ID: env lacks at out + *o (room was counted). */
static void
add_missing(const struct mailfs_envelope *env, const char *date, const char *msgid,
    const char *nl, char *out, size_t cap, size_t *o)
{
	const char *pre = env->resent ? "Resent-" : "";

	if (!env->has_date && date != NULL)
		*o += (size_t)snprintf(out + *o, cap - *o, "%sDate: %s%s", pre, date, nl);
	if (!env->has_msgid && msgid != NULL)
		*o += (size_t)snprintf(out + *o, cap - *o, "%sMessage-ID: %s%s", pre, msgid, nl);
}

int
mailfs_envelope_rewrite(const struct mailfs_envelope *env, const char *msg, size_t len,
    const char *date, const char *msgid, int keep_bcc, char **out_r, size_t *outlen_r,
    struct mailfs_error *err)
{
	const struct field *f;
	struct header h;
	size_t i, o = 0, cap, insert;
	const char *nl;
	char *out;

	if (split_header(msg, len, &h, err) != 0) {
		free(h.v);
		return -1;
	}
	/* Added lines end as the first line does; a resent block keeps them in it. */
	nl = (h.n > 0 && h.v[0].end >= 2 && msg[h.v[0].end - 2] == '\r') ? "\r\n" : "\n";
	insert = env->resent ? h.block_end : h.body_at;
	cap = len + 2 * (7 + 14 + 2) + (date != NULL ? strlen(date) : 0) +
	    (msgid != NULL ? strlen(msgid) : 0) + 3 + 1;
	if ((out = malloc(cap)) == NULL) {
		free(h.v);
		error_set(err, MAILFS_ERR_NOMEM, "out of memory");
		return -1;
	}
	if (h.n == 0)
		add_missing(env, date, msgid, nl, out, cap, &o);
	for (i = 0; i < h.n; i++) {
		f = &h.v[i];
		if (keep_bcc || !(name_is(msg, f, "Bcc") || name_is(msg, f, "Resent-Bcc"))) {
			memcpy(out + o, msg + f->start, f->end - f->start);
			o += f->end - f->start;
		}
		if (f->end == insert && ((!env->has_date && date != NULL) ||
		    (!env->has_msgid && msgid != NULL))) {
			/* A last field without its line end (a message of header only). */
			if (msg[f->end - 1] != '\n')
				o += (size_t)snprintf(out + o, cap - o, "%s", nl);
			add_missing(env, date, msgid, nl, out, cap, &o);
		}
	}
	memcpy(out + o, msg + h.body_at, len - h.body_at);
	o += len - h.body_at;
	out[o] = '\0';
	free(h.v);
	*out_r = out;
	*outlen_r = o;
	return 0;
}

void
mailfs_envelope_date(time_t t, char *buf, size_t size)
{
	static const char days[7][4] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char months[12][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
	    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	char zone[8];
	struct tm tm;

	/* Names written out: strftime's %a and %b follow the caller's locale. */
	localtime_r(&t, &tm);
	if (strftime(zone, sizeof(zone), "%z", &tm) == 0)
		snprintf(zone, sizeof(zone), "+0000");
	snprintf(buf, size, "%s, %d %s %d %02d:%02d:%02d %s", days[tm.tm_wday % 7],
	    tm.tm_mday, months[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
	    tm.tm_sec, zone);
}

int
mailfs_envelope_msgid(const char *domain, char *buf, size_t size, struct mailfs_error *err)
{
	unsigned char r[16];
	char hex[33];
	int i;

	if (RAND_bytes(r, sizeof(r)) != 1) {
		error_set(err, MAILFS_ERR_SYSTEM, "no random bytes for a Message-ID");
		return -1;
	}
	for (i = 0; i < 16; i++)
		snprintf(hex + 2 * i, 3, "%02x", r[i]);
	if (domain == NULL || domain[0] == '\0' || strlen(domain) > 255)
		domain = "localhost";
	snprintf(buf, size, "<%.16s.%.16s@%s>", hex, hex + 16, domain);
	return 0;
}
