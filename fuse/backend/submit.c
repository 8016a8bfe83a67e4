/*
 * The calls of submit.h: each dispatches to the submitter's operations;
 * and a message made ready, with libmailfs's envelope (<mailfs/envelope.h>).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mailfs/envelope.h>

#include "submit.h"

void
submit_free(struct submitter *s)
{
	if (s != NULL)
		s->ops->free(s);
}

int
submit_send(struct submitter *s, const struct submit_msg *m, struct submit_result *res_r)
{
	return s->ops->send(s, m, res_r);
}

void
submit_idle(struct submitter *s)
{
	if (s != NULL && s->ops->idle != NULL)
		s->ops->idle(s);
}

void
submit_result_clear(struct submit_result *res)
{
	size_t i;

	for (i = 0; i < res->nrcpts; i++)
		free(res->rcpts[i].address);
	free(res->rcpts);
	memset(res, 0, sizeof(*res));
}

const char *
submit_outcome_name(enum submit_outcome o)
{
	static const char *const names[] = { "sent", "partial", "refused", "deferred",
	    "unknown" };

	return (unsigned)o < sizeof(names) / sizeof(names[0]) ? names[o] : "?";
}

void
submit_reply_text(const struct submit_reply *r, char *buf, size_t size)
{
	if (r->code == 0)
		snprintf(buf, size, "%s", r->text);
	else if (r->enhanced[0] != '\0')
		snprintf(buf, size, "%u %s %s", r->code, r->enhanced, r->text);
	else
		snprintf(buf, size, "%u %s", r->code, r->text);
}

/* 1 when a line of data is longer than RFC 5322's 998 octets (2.1.1). */
static int
line_too_long(const char *data, size_t len, size_t *lineno_r)
{
	const char *p = data, *end = data + len, *eol;
	size_t n = 1;

	for (; p < end; p = eol + 1, n++) {
		if ((eol = memchr(p, '\n', (size_t)(end - p))) == NULL)
			eol = end;
		if (eol - p - (eol > p && eol[-1] == '\r') > 998) {
			*lineno_r = n;
			return 1;
		}
	}
	return 0;
}

int
submit_prepare(const char *data, size_t len, char *date, size_t datesize, char *msgid,
    size_t msgidsize, struct submit_prepared *p, char *why, size_t whylen)
{
	struct mailfs_envelope *env = NULL;
	struct mailfs_error err;
	const char *at;
	size_t line;

	memset(p, 0, sizeof(*p));
	memset(&err, 0, sizeof(err));
	if (line_too_long(data, len, &line)) {
		snprintf(why, whylen, "line %zu is longer than 998 octets", line);
		return EINVAL;
	}
	if (mailfs_envelope_read(data, len, &env, &err) == -1) {
		snprintf(why, whylen, "%s", err.msg);
		return err.kind == MAILFS_ERR_NOMEM ? ENOMEM : EINVAL;
	}
	p->env = env;
	p->from = env->sender;
	p->rcpts = (const char *const *)env->rcpts;
	p->nrcpts = env->nrcpts;
	p->has_msgid = env->has_msgid;
	if (!env->has_date && date[0] == '\0')
		mailfs_envelope_date(time(NULL), date, datesize);
	if (!env->has_msgid && msgid[0] == '\0') {
		at = strrchr(env->sender, '@');
		if (mailfs_envelope_msgid(at != NULL ? at + 1 : "", msgid, msgidsize,
		    &err) == -1) {
			snprintf(why, whylen, "%s", err.msg);
			submit_prepared_clear(p);
			return EIO;
		}
	}
	if (mailfs_envelope_rewrite(env, data, len, date, msgid, 0, &p->wire, &p->wire_len,
	    &err) == -1 || mailfs_envelope_rewrite(env, data, len, date, msgid, 1,
	    &p->copy, &p->copy_len, &err) == -1) {
		snprintf(why, whylen, "%s", err.msg);
		submit_prepared_clear(p);
		return ENOMEM;
	}
	return 0;
}

void
submit_prepared_clear(struct submit_prepared *p)
{
	struct mailfs_envelope *env = p->env;

	mailfs_envelope_free(&env);
	free(p->wire);
	free(p->copy);
	memset(p, 0, sizeof(*p));
}
