/*
 * The SMTP submitter: submit.h over <mailfs/smtp.h> (RFC 6409).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mailfs/smtp.h>

#include "deadline.h"
#include "log.h"
#include "signin.h"
#include "submit_smtp.h"

struct smtp_sub {
	struct submitter base;
	pthread_mutex_t lock;		/* smtp_lock: c, used */
	struct mailfs_smtp *c;		/* NULL: not connected */
	struct timespec used;		/* CLOCK_MONOTONIC of the last send */
	char *user, *host, *port, *ca_file;
	enum mailfs_security security;
	unsigned timeout_s;
	int trace;
	struct secret pw;
};

struct smtp_url {
	char buf[1024];
	char *user, *host, *port;
	enum mailfs_security security;
};

static int
url_parse(const char *url, struct smtp_url *u, char *why, size_t whylen)
{
	char *p, *at;

	memset(u, 0, sizeof(*u));
	if (strncmp(url, "smtps://", 8) == 0) {
		u->security = MAILFS_SEC_IMPLICIT_TLS;
		url += 8;
	} else if (strncmp(url, "smtp://", 7) == 0) {
		u->security = MAILFS_SEC_STARTTLS;
		url += 7;
	} else {
		snprintf(why, whylen, "smtp= takes smtps://USER@HOST[:PORT] or "
		    "smtp://USER@HOST[:PORT]");
		return EINVAL;
	}
	if ((size_t)snprintf(u->buf, sizeof(u->buf), "%s", url) >= sizeof(u->buf)) {
		snprintf(why, whylen, "the smtp= URL is too long");
		return EINVAL;
	}
	if ((p = strchr(u->buf, '/')) != NULL) {
		if (p[1] != '\0') {
			snprintf(why, whylen, "the smtp= URL has a path");
			return EINVAL;
		}
		*p = '\0';
	}
	/* The user may hold an '@' (user@example.org@host): the last one splits. */
	if ((at = strrchr(u->buf, '@')) == NULL || at == u->buf) {
		snprintf(why, whylen, "the smtp= URL names no user (smtps://USER@HOST)");
		return EINVAL;
	}
	*at = '\0';
	u->user = u->buf;
	u->host = at + 1;
	if (u->host[0] == '[') {
		if ((p = strchr(u->host, ']')) == NULL) {
			snprintf(why, whylen, "the smtp= URL's host is not valid");
			return EINVAL;
		}
		*p++ = '\0';
		u->host++;
	} else
		p = strchr(u->host, ':');
	if (p != NULL && *p == ':') {
		*p++ = '\0';
		u->port = p;
		if (*p == '\0' || strspn(p, "0123456789") != strlen(p) || strlen(p) > 5) {
			snprintf(why, whylen, "the smtp= URL's port is not a number");
			return EINVAL;
		}
	} else if (p != NULL && *p != '\0') {
		snprintf(why, whylen, "the smtp= URL's host is not valid");
		return EINVAL;
	}
	if (u->host[0] == '\0') {
		snprintf(why, whylen, "the smtp= URL names no host");
		return EINVAL;
	}
	if (u->port == NULL)
		u->port = u->security == MAILFS_SEC_IMPLICIT_TLS ? "465" : "587";
	return 0;
}

int
smtp_url_check(const char *url, char *why, size_t whylen)
{
	struct smtp_url u;

	return url_parse(url, &u, why, whylen);
}

static void
smtp_trace(void *ctx, enum mailfs_trace_dir dir, const char *line, size_t len)
{
	static const char *const arrows[] = { "smtp C:", "smtp S:", "smtp --" };
	int n = len > 900 ? 900 : (int)len;

	(void)ctx;
	log_msg(LOG_DEBUG, "%s %.*s%s", arrows[dir <= MAILFS_TRACE_INFO ? dir : 2],
	    n, line, n < (int)len ? " ..." : "");
}

static void
reply_copy(struct submit_reply *to, const struct mailfs_smtp_reply *from)
{
	memset(to, 0, sizeof(*to));
	to->code = from->code;
	snprintf(to->enhanced, sizeof(to->enhanced), "%s", from->enhanced);
	snprintf(to->text, sizeof(to->text), "%s", from->text != NULL ? from->text : "");
}

/* A failure of the submitter's own (connect, login): deferred, said in text. */
static void
result_failed(struct submit_result *res, enum submit_outcome o, const char *text)
{
	size_t n = strnlen(text, sizeof(res->reply.text) - 1);

	res->outcome = o;
	memset(&res->reply, 0, sizeof(res->reply));
	memcpy(res->reply.text, text, n);	/* cut to fit: it is for the user */
}

static void
disconnect_locked(struct smtp_sub *s)
{
	mailfs_smtp_free(&s->c);
}

/* Connects and logs in: 0, or -1 with res filled (deferred) and logged. */
static int
connect_locked(struct smtp_sub *s, struct submit_result *res)
{
	struct mailfs_smtp_params p;
	struct mailfs_error err;
	char text[600];

	memset(&p, 0, sizeof(p));
	memset(&err, 0, sizeof(err));
	p.host = s->host;
	p.port = s->port;
	p.security = s->security;
	p.ca_file = s->ca_file;
	p.connect_timeout_ms = (int)s->timeout_s * 1000;
	p.io_timeout_ms = (int)s->timeout_s * 1000;
	p.final_timeout_ms = (int)s->timeout_s * 1000;
	if (s->trace)
		p.trace = smtp_trace;
	if ((s->c = mailfs_smtp_new(&p)) == NULL) {
		result_failed(res, SUBMIT_DEFERRED, "out of memory");
		return -1;
	}
	mailfs_smtp_set_deadline(s->c, deadline_current());
	if (mailfs_smtp_connect(s->c) == -1)
		err = *mailfs_smtp_error(s->c);
	if (err.kind != MAILFS_ERR_NONE || signin_smtp(s->c, s->user, &s->pw,
	    s->host, s->port, &err) == -1) {
		snprintf(text, sizeof(text), "%s:%s: %s", s->host, s->port, err.msg);
		log_msg(LOG_WARNING, "cannot send: %s", text);
		result_failed(res, SUBMIT_DEFERRED, text);
		disconnect_locked(s);
		return -1;
	}
	return 0;
}

static void
result_copy(struct submit_result *res, const struct mailfs_smtp_result *lr)
{
	const struct mailfs_smtp_reply *decided = NULL;
	size_t i;

	switch (lr->outcome) {
	case MAILFS_SMTP_SENT: res->outcome = SUBMIT_SENT; break;
	case MAILFS_SMTP_PARTIAL: res->outcome = SUBMIT_PARTIAL; break;
	case MAILFS_SMTP_REFUSED: res->outcome = SUBMIT_REFUSED; break;
	case MAILFS_SMTP_DEFERRED: res->outcome = SUBMIT_DEFERRED; break;
	default: res->outcome = SUBMIT_UNKNOWN; break;
	}
	if ((res->rcpts = calloc(lr->nrcpts + 1, sizeof(*res->rcpts))) != NULL) {
		for (i = 0; i < lr->nrcpts; i++) {
			res->rcpts[i].address = strdup(lr->rcpts[i].address);
			res->rcpts[i].accepted = lr->rcpts[i].accepted;
			reply_copy(&res->rcpts[i].reply, &lr->rcpts[i].reply);
			if (res->rcpts[i].address == NULL)
				break;
		}
		res->nrcpts = i;
	}
	/* The reply that decided: the sender's refusal, a recipient's, DATA's, the dot's. */
	if (lr->mail.code >= 400)
		decided = &lr->mail;
	if (decided == NULL && (res->outcome == SUBMIT_PARTIAL ||
	    lr->naccepted == 0))
		for (i = 0; i < lr->nrcpts && decided == NULL; i++)
			if (!lr->rcpts[i].accepted && lr->rcpts[i].reply.code != 0)
				decided = &lr->rcpts[i].reply;
	if (decided == NULL && lr->final.code != 0)
		decided = &lr->final;
	if (decided == NULL && lr->data.code >= 400)
		decided = &lr->data;
	if (decided != NULL)
		reply_copy(&res->reply, decided);
}

static int
smtp_send(struct submitter *sb, const struct submit_msg *m, struct submit_result *res)
{
	struct smtp_sub *s = (struct smtp_sub *)sb;
	struct mailfs_smtp_envelope env;
	struct mailfs_smtp_result lr;
	const struct mailfs_error *e;
	struct timespec now;
	int reused, r, tries;

	memset(res, 0, sizeof(*res));
	memset(&env, 0, sizeof(env));
	env.from = m->from;
	env.rcpts = m->rcpts;
	env.nrcpts = m->nrcpts;
	if ((r = deadline_lock(&s->lock)) != 0) {
		result_failed(res, SUBMIT_DEFERRED, "another message is being sent");
		return EAGAIN;
	}
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (s->c != NULL && (now.tv_sec - s->used.tv_sec > SMTP_KEEP_S ||
	    !mailfs_smtp_is_ready(s->c)))
		disconnect_locked(s);
	for (tries = 0; tries < 2; tries++) {
		reused = s->c != NULL;
		if (s->c == NULL && connect_locked(s, res) == -1) {
			pthread_mutex_unlock(&s->lock);
			return EAGAIN;
		}
		mailfs_smtp_set_deadline(s->c, deadline_current());
		memset(&lr, 0, sizeof(lr));
		r = mailfs_smtp_send(s->c, &env, m->data, m->len, &lr);
		e = mailfs_smtp_error(s->c);
		if (r == 0 || lr.outcome != MAILFS_SMTP_DEFERRED || e->kind == MAILFS_ERR_NO ||
		    !reused)
			break;
		/* A kept connection the server closed meanwhile: once more, afresh. */
		mailfs_smtp_result_clear(&lr);
		disconnect_locked(s);
	}
	clock_gettime(CLOCK_MONOTONIC, &s->used);
	if (r == 0) {
		result_copy(res, &lr);
		mailfs_smtp_result_clear(&lr);
		pthread_mutex_unlock(&s->lock);
		return 0;
	}
	if (e->kind == MAILFS_ERR_USAGE || e->kind == MAILFS_ERR_LIMIT ||
	    e->kind == MAILFS_ERR_UNSUPPORTED) {
		/* Refused before anything was sent: the message, as it is, cannot go. */
		result_failed(res, SUBMIT_REFUSED, e->msg);
		mailfs_smtp_result_clear(&lr);
		pthread_mutex_unlock(&s->lock);
		return EINVAL;
	}
	result_copy(res, &lr);
	if (res->reply.code == 0 && res->reply.text[0] == '\0')
		snprintf(res->reply.text, sizeof(res->reply.text), "%s", e->msg);
	mailfs_smtp_result_clear(&lr);
	if (res->outcome == SUBMIT_UNKNOWN || e->kind != MAILFS_ERR_NO)
		disconnect_locked(s);
	pthread_mutex_unlock(&s->lock);
	/* The caller logs the outcome, with res's replies. */
	return res->outcome == SUBMIT_DEFERRED ? EAGAIN : EIO;
}

static void
smtp_idle(struct submitter *sb)
{
	struct smtp_sub *s = (struct smtp_sub *)sb;
	struct timespec now;

	if (pthread_mutex_trylock(&s->lock) != 0)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (s->c != NULL && now.tv_sec - s->used.tv_sec > SMTP_KEEP_S) {
		deadline_begin();
		mailfs_smtp_set_deadline(s->c, deadline_current());
		(void)mailfs_smtp_quit(s->c);
		deadline_end();
		disconnect_locked(s);
	}
	pthread_mutex_unlock(&s->lock);
}

static void
smtp_free(struct submitter *sb)
{
	struct smtp_sub *s = (struct smtp_sub *)sb;

	disconnect_locked(s);
	secret_wipe(&s->pw);
	free(s->user);
	free(s->host);
	free(s->port);
	free(s->ca_file);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

static const struct submitter_ops smtp_ops = {
	.free = smtp_free,
	.send = smtp_send,
	.idle = smtp_idle
};

struct submitter *
smtp_submitter_new(const char *url, const struct secret *password, const char *ca_file,
    unsigned timeout_s, int trace)
{
	struct smtp_sub *s;
	struct smtp_url u;
	char why[200];

	if (url_parse(url, &u, why, sizeof(why)) != 0 ||
	    (s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	s->base.ops = &smtp_ops;
	s->base.name = "smtp";
	pthread_mutex_init(&s->lock, NULL);
	s->security = u.security;
	s->timeout_s = timeout_s;
	s->trace = trace;
	s->user = strdup(u.user);
	s->host = strdup(u.host);
	s->port = strdup(u.port);
	s->ca_file = ca_file != NULL ? strdup(ca_file) : NULL;
	s->pw.buf = calloc(1, PASSWORD_MAX + 1);
	if (s->user == NULL || s->host == NULL || s->port == NULL || s->pw.buf == NULL ||
	    (ca_file != NULL && s->ca_file == NULL)) {
		smtp_free(&s->base);
		return NULL;
	}
	memcpy(s->pw.buf, password->buf, password->len);
	s->pw.len = password->len;
	return &s->base;
}
