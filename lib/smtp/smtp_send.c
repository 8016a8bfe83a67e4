/*
 * A mail transaction: MAIL, RCPT, DATA, the message, and its result per
 * recipient (see mailfs_smtp_send() in <mailfs/smtp.h>).
 *
 * Everything that can be refused locally is, before a byte is sent: the
 * message's lines and bytes (smtp_data.h), the addresses, SIZE,
 * 8BITMIME, SMTPUTF8.  With PIPELINING, MAIL, the RCPTs and DATA go in
 * groups of at most PIPELINE_MAX commands, one write a group, so that
 * neither side's window can fill while the other waits (msmtp does the
 * same); the message goes only after DATA's 354 (RFC 2920 3.1).  The
 * outcome is unknown, and said to be, only once the final dot has been
 * written whole: before that the server cannot have accepted anything.
 *
 * RFC 5321 3.3, 4.1.1.2-4.1.1.5, 4.5.3.2; RFC 2920; RFC 1870; RFC 6152;
 * RFC 6531 3.4; RFC 3461 4.3, 4.4.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "errors.h"
#include "smtp_data.h"
#include "smtp_reply.h"
#include "smtp_session.h"

/* Commands in one pipelined write. */
#define PIPELINE_MAX	64
/* Bytes of the encoded message in one write. */
#define CHUNK_SIZE	(64 * 1024)

struct txn {
	struct mailfs_smtp *s;
	const struct mailfs_smtp_envelope *env;
	struct mailfs_smtp_result *res;
	struct smtp_data_info info;
	struct buf mail;	/* the MAIL FROM line */
	size_t total;		/* commands: MAIL, the RCPTs, DATA */
	int mail_ok;		/* 2xx to MAIL */
	int data_ok;		/* 354 to DATA */
};

void
mailfs_smtp_result_clear(struct mailfs_smtp_result *res)
{
	size_t i;

	if (res == NULL)
		return;
	for (i = 0; i < res->nrcpts; i++) {
		free(res->rcpts[i].address);
		free(res->rcpts[i].reply.text);
	}
	free(res->rcpts);
	free(res->mail.text);
	free(res->data.text);
	free(res->final.text);
	memset(res, 0, sizeof(*res));
}

const char *
mailfs_smtp_outcome_name(enum mailfs_smtp_outcome o)
{
	static const char *const names[] = {
		[MAILFS_SMTP_SENT] = "sent",
		[MAILFS_SMTP_PARTIAL] = "partial",
		[MAILFS_SMTP_REFUSED] = "refused",
		[MAILFS_SMTP_DEFERRED] = "deferred",
		[MAILFS_SMTP_UNKNOWN] = "unknown",
	};

	if ((size_t)o >= sizeof(names) / sizeof(names[0]))
		return "invalid";
	return names[o];
}

/* ---- before anything is sent ---- */

static int
check_envid(struct mailfs_smtp *s, const char *envid)
{
	size_t i;

	if (envid == NULL)
		return 0;
	for (i = 0; envid[i] != '\0'; i++)
		if (envid[i] < 0x20 || envid[i] > 0x7e || i >= SMTP_ENVID_MAX) {
			error_set(&s->err, MAILFS_ERR_USAGE, "the ENVID must "
			    "be printable ASCII of at most %d bytes",
			    SMTP_ENVID_MAX);
			return -1;
		}
	return 0;
}

/* Checks every argument and what the server allows, builds MAIL FROM. */
static int
prepare(struct txn *t, const char *msg, size_t len)
{
	struct mailfs_smtp *s = t->s;
	const struct mailfs_smtp_envelope *env = t->env;
	size_t i;
	int utf8 = 0, u;

	if (s->conn == NULL || s->state != SMTP_ST_READY) {
		error_set(&s->err, MAILFS_ERR_USAGE, "send: %s", s->conn ==
		    NULL ? "not connected" : "the session is not ready");
		return -1;
	}
	if (env == NULL || env->rcpts == NULL || env->nrcpts == 0 ||
	    (msg == NULL && len > 0)) {
		error_set(&s->err, MAILFS_ERR_USAGE, "send: no recipient or "
		    "no message");
		return -1;
	}
	if (smtp_data_check(msg != NULL ? msg : "", len, &t->info,
	    &s->err) == -1 ||
	    smtp_address_check(env->from, 1, "sender", &utf8, &s->err) == -1 ||
	    check_envid(s, env->envid) == -1)
		return -1;
	for (i = 0; i < env->nrcpts; i++) {
		if (smtp_address_check(env->rcpts[i], 0, "recipient", &u,
		    &s->err) == -1)
			return -1;
		utf8 |= u;
	}
	if (utf8 && !(s->exts & MAILFS_SMTP_EXT_SMTPUTF8)) {
		error_set(&s->err, MAILFS_ERR_UNSUPPORTED, "an address is not "
		    "ASCII, and the SMTP server does not offer SMTPUTF8: "
		    "nothing was sent");
		return -1;
	}
	if (t->info.eight_bit && !(s->exts & MAILFS_SMTP_EXT_8BITMIME)) {
		error_set(&s->err, MAILFS_ERR_UNSUPPORTED, "the message has "
		    "8-bit bytes, and the SMTP server does not offer "
		    "8BITMIME: nothing was sent");
		return -1;
	}
	if (s->max_size > 0 && t->info.wire_size > s->max_size) {
		error_set(&s->err, MAILFS_ERR_LIMIT, "the message is %llu "
		    "bytes, more than the %llu the SMTP server accepts (SIZE): "
		    "nothing was sent", (unsigned long long)t->info.wire_size,
		    (unsigned long long)s->max_size);
		return -1;
	}

	if (buf_printf(&t->mail, "MAIL FROM:<%s>", env->from) == -1 ||
	    ((s->exts & MAILFS_SMTP_EXT_SIZE) && buf_printf(&t->mail,
	    " SIZE=%llu", (unsigned long long)t->info.wire_size) == -1) ||
	    (t->info.eight_bit && buf_append_str(&t->mail,
	    " BODY=8BITMIME") == -1) ||
	    (utf8 && buf_append_str(&t->mail, " SMTPUTF8") == -1))
		goto nomem;
	if (s->exts & MAILFS_SMTP_EXT_DSN) {
		if (env->ret != MAILFS_SMTP_RET_DEFAULT &&
		    buf_append_str(&t->mail, env->ret == MAILFS_SMTP_RET_FULL ?
		    " RET=FULL" : " RET=HDRS") == -1)
			goto nomem;
		if (env->envid != NULL && (buf_append_str(&t->mail,
		    " ENVID=") == -1 ||
		    smtp_xtext_append(&t->mail, env->envid) == -1))
			goto nomem;
	}

	if ((t->res->rcpts = calloc(env->nrcpts,
	    sizeof(*t->res->rcpts))) == NULL)
		goto nomem;
	t->res->nrcpts = env->nrcpts;
	for (i = 0; i < env->nrcpts; i++)
		if ((t->res->rcpts[i].address = strdup(env->rcpts[i])) == NULL)
			goto nomem;
	t->total = env->nrcpts + 2;
	return 0;
nomem:
	error_set_sys(&s->err, ENOMEM, "send");
	return -1;
}

/* ---- the envelope ---- */

/* Command i: 0 MAIL, 1 .. nrcpts the RCPTs, then DATA. */
static int
command_line(struct txn *t, size_t i, struct buf *out)
{
	if (i == 0)
		return buf_append(out, t->mail.data, t->mail.len);
	if (i == t->total - 1)
		return buf_append_str(out, "DATA");
	return buf_printf(out, "RCPT TO:<%s>", t->env->rcpts[i - 1]);
}

/* Takes the reply to command i.  0, or -1 when the connection is gone. */
static int
take_reply(struct txn *t, size_t i)
{
	struct mailfs_smtp *s = t->s;
	const struct smtp_reply *r = &s->parser.reply;
	struct mailfs_smtp_reply *out;
	unsigned cls = SMTP_CLASS(r->code);
	int want3 = i == t->total - 1;

	out = i == 0 ? &t->res->mail : want3 ? &t->res->data :
	    &t->res->rcpts[i - 1].reply;
	smtp_reply_export(r, out);
	if (smtp_closing(s))
		return -1;
	if ((want3 && cls == 2) || (want3 && cls == 3 && r->code != 354) ||
	    (!want3 && cls == 3)) {
		error_set(&s->err, MAILFS_ERR_PROTOCOL, "the SMTP server "
		    "answered %s with %u", i == 0 ? "MAIL" : want3 ? "DATA" :
		    "RCPT", r->code);
		smtp_drop(s);
		return -1;
	}
	if (i == 0)
		t->mail_ok = cls == 2;
	else if (want3)
		t->data_ok = r->code == 354;
	else if (cls == 2) {
		t->res->rcpts[i - 1].accepted = 1;
		t->res->naccepted++;
	}
	return 0;
}

/* Sends commands [from, to) in one write and takes their replies. */
static int
send_group(struct txn *t, size_t from, size_t to)
{
	struct mailfs_smtp *s = t->s;
	struct buf out;
	size_t i, start;
	int rc;

	buf_init(&out, (size_t)PIPELINE_MAX * 512);
	for (i = from; i < to; i++) {
		start = out.len;
		if (command_line(t, i, &out) == -1 ||
		    buf_append(&out, "\r\n", 2) == -1) {
			buf_free(&out);
			error_set_sys(&s->err, ENOMEM, "send");
			return -1;
		}
		smtp_trace(s, MAILFS_TRACE_SEND, "%.*s",
		    (int)(out.len - start - 2), out.data + start);
	}
	rc = smtp_quiet(s) == 0 ? smtp_write(s, out.data, out.len) : -1;
	buf_free(&out);
	for (i = from; rc == 0 && i < to; i++)
		if (smtp_read_reply(s, s->io_timeout_ms) == -1 ||
		    take_reply(t, i) == -1)
			rc = -1;
	return rc;
}

static int
envelope(struct txn *t)
{
	size_t i, n;

	if (t->s->exts & MAILFS_SMTP_EXT_PIPELINING) {
		for (i = 0; i < t->total && (i == 0 || t->mail_ok); i += n) {
			n = t->total - i < PIPELINE_MAX ? t->total - i :
			    PIPELINE_MAX;
			if (send_group(t, i, i + n) == -1)
				return -1;
		}
		return 0;
	}
	/* One by one, stopping at what makes the rest pointless. */
	for (i = 0; i < t->total; i++) {
		if ((i == 1 && !t->mail_ok) ||
		    (i == t->total - 1 && t->res->naccepted == 0))
			break;
		if (send_group(t, i, i + 1) == -1)
			return -1;
	}
	return 0;
}

/* ---- outcomes ---- */

/* Outcome and error for a refusal of the envelope; 4xx anywhere defers. */
static void
envelope_refused(struct txn *t)
{
	struct mailfs_smtp *s = t->s;
	struct mailfs_smtp_result *res = t->res;
	const struct mailfs_smtp_reply *r = NULL;
	char prefix[400];
	size_t i;
	int temp = 0;

	if (!t->mail_ok) {
		r = &res->mail;
		snprintf(prefix, sizeof(prefix), "the SMTP server refused the "
		    "sender <%s>", t->env->from);
		temp = SMTP_CLASS(r->code) == 4;
	} else if (res->naccepted == 0) {
		for (i = 0; i < res->nrcpts; i++) {
			if (r == NULL)
				r = &res->rcpts[i].reply;
			if (SMTP_CLASS(res->rcpts[i].reply.code) == 4)
				temp = 1;
		}
		snprintf(prefix, sizeof(prefix), "the SMTP server refused "
		    "every recipient: <%s>", res->rcpts[0].address);
	} else {
		r = &res->data;
		snprintf(prefix, sizeof(prefix),
		    "the SMTP server refused DATA");
		temp = SMTP_CLASS(r->code) == 4;
	}
	res->outcome = temp ? MAILFS_SMTP_DEFERRED : MAILFS_SMTP_REFUSED;
	smtp_refusal_of(s, prefix, r->code, r->enhanced, r->text);
}

/* After the final reply: sent to all, to some, or refused. */
static void
final_outcome(struct txn *t)
{
	struct mailfs_smtp_result *res = t->res;
	const struct mailfs_smtp_reply *r;
	char prefix[400];
	size_t i, refused = res->nrcpts - res->naccepted;

	if (SMTP_CLASS(res->final.code) != 2) {
		res->outcome = SMTP_CLASS(res->final.code) == 4 ?
		    MAILFS_SMTP_DEFERRED : MAILFS_SMTP_REFUSED;
		smtp_refusal_of(t->s, "the SMTP server refused the message",
		    res->final.code, res->final.enhanced, res->final.text);
		return;
	}
	if (refused == 0) {
		res->outcome = MAILFS_SMTP_SENT;
		return;
	}
	res->outcome = MAILFS_SMTP_PARTIAL;
	for (i = 0; res->rcpts[i].accepted; i++)
		continue;
	r = &res->rcpts[i].reply;
	snprintf(prefix, sizeof(prefix), "the SMTP server refused %zu of %zu "
	    "recipients: <%s>", refused, res->nrcpts, res->rcpts[i].address);
	smtp_refusal_of(t->s, prefix, r->code, r->enhanced, r->text);
}

/* Adds what became of the message to the error's sentence. */
static void
explain(struct mailfs_smtp *s, const char *what)
{
	size_t used = strlen(s->err.msg);

	snprintf(s->err.msg + used, sizeof(s->err.msg) - used, ": %s", what);
}

/* RSET after a refused transaction, keeping the refusal's error. */
static void
reset(struct mailfs_smtp *s)
{
	struct mailfs_error err = s->err;

	if (s->conn == NULL)
		return;
	smtp_set_state(s, SMTP_ST_RSET);
	if (smtp_send_line(s, "RSET", NULL) == 0 &&
	    smtp_read_reply(s, s->io_timeout_ms) == 0 && !smtp_closing(s))
		smtp_set_state(s, SMTP_ST_READY);
	s->err = err;
}

/* ---- the message ---- */

/*
 * Writes the encoded message and its end.  0 once the final dot is
 * written whole; -1 before (nothing can have been accepted).
 */
static int
send_message(struct txn *t, const char *msg, size_t len)
{
	struct mailfs_smtp *s = t->s;
	struct smtp_data_enc enc;
	char *chunk;
	size_t n;

	if ((chunk = malloc(CHUNK_SIZE)) == NULL) {
		error_set_sys(&s->err, ENOMEM, "send");
		smtp_drop(s);
		return -1;
	}
	smtp_set_state(s, SMTP_ST_DATA);
	smtp_trace(s, MAILFS_TRACE_SEND, "[the message: %llu bytes]",
	    (unsigned long long)t->info.wire_size);
	smtp_data_enc_init(&enc, msg, len);
	while ((n = smtp_data_encode(&enc, chunk, CHUNK_SIZE)) > 0)
		if (smtp_write(s, chunk, n) == -1) {
			free(chunk);
			return -1;
		}
	free(chunk);
	smtp_trace(s, MAILFS_TRACE_SEND, ".");
	smtp_set_state(s, SMTP_ST_FINAL);
	return 0;
}

int
mailfs_smtp_send(struct mailfs_smtp *s, const struct mailfs_smtp_envelope *env,
    const char *msg, size_t len, struct mailfs_smtp_result *res_r)
{
	struct mailfs_smtp_result local;
	struct txn t;
	int rc;

	memset(&t, 0, sizeof(t));
	t.s = s;
	t.env = env;
	t.res = res_r != NULL ? res_r : &local;
	memset(t.res, 0, sizeof(*t.res));
	t.res->outcome = MAILFS_SMTP_DEFERRED;
	buf_init(&t.mail, 4096);
	error_clear(&s->err);
	if (prepare(&t, msg, len) == -1)
		goto out;
	smtp_set_state(s, SMTP_ST_ENVELOPE);
	if (envelope(&t) == -1) {
		explain(s, "nothing was sent");
		goto out;
	}
	if (!t.mail_ok || t.res->naccepted == 0 || !t.data_ok) {
		/*
		 * A pipelined DATA the server took though no recipient was
		 * accepted: an empty message ends it (RFC 2920 3.1).
		 */
		if (t.data_ok && smtp_write(s, ".\r\n", 3) == 0)
			smtp_read_reply(s, s->io_timeout_ms);
		envelope_refused(&t);
		reset(s);
		goto out;
	}
	if (send_message(&t, msg, len) == -1) {
		explain(s, "the message was not sent whole, so not accepted");
		goto out;
	}
	if (smtp_read_reply(s, s->final_timeout_ms) == -1) {
		t.res->outcome = MAILFS_SMTP_UNKNOWN;
		explain(s, "no reply after the end of the message: the server "
		    "may or may not have accepted it (outcome unknown)");
		goto out;
	}
	smtp_reply_export(&s->parser.reply, &t.res->final);
	if (smtp_closing(s)) {
		explain(s, "the message was not accepted");
		goto out;
	}
	if (SMTP_CLASS(s->parser.reply.code) == 3) {
		t.res->outcome = MAILFS_SMTP_UNKNOWN;
		error_set(&s->err, MAILFS_ERR_PROTOCOL, "the SMTP server "
		    "answered the end of the message with %u: the outcome is "
		    "unknown", s->parser.reply.code);
		smtp_drop(s);
		goto out;
	}
	smtp_set_state(s, SMTP_ST_READY);
	final_outcome(&t);
out:
	buf_free(&t.mail);
	rc = t.res->outcome == MAILFS_SMTP_SENT &&
	    s->err.kind == MAILFS_ERR_NONE ? 0 : -1;
	if (t.res == &local)
		mailfs_smtp_result_clear(&local);
	return rc;
}
