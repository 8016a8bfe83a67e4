/*
 * The envelope of a message to send (lib/mail/envelope.c, address.c):
 * the sender and recipients of headers as mailers write them (display
 * names, comments, groups, routes, folded lines, Resent- blocks), every
 * malformed form refused with the field named, and the message as sent
 * (Bcc: removed, Date: and Message-ID: added in the right place, the
 * body untouched).
 */
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mailfs/envelope.h>

#include "../tap.h"

static const struct {
	const char *header;	/* the message; "|" separates expected recipients */
	const char *sender;
	const char *rcpts;
	int utf8;
} good[] = {
	{ "From: a@example.org\nTo: b@example.org\n\nbody\n", "a@example.org",
	  "b@example.org", 0 },
	{ "From: Alice <a@example.org>\r\nTo: \"Bob, B.\" <b@example.org>, c@example.org\r\n"
	  "Cc: (team) d@example.org (Dee)\r\nBcc: <e@example.org>\r\n\r\nx\r\n",
	  "a@example.org", "b@example.org|c@example.org|d@example.org|e@example.org", 0 },
	{ "From: a@example.org\nTo: friends: b@example.org, C <c@example.org>;, d@example.org\n\n",
	  "a@example.org", "b@example.org|c@example.org|d@example.org", 0 },
	{ "From: a@example.org\nTo: undisclosed-recipients:;\nBcc: b@example.org\n\n",
	  "a@example.org", "b@example.org", 0 },
	{ "From: a@example.org\nTo: b@example.org,\n c@example.org,\n\tb@EXAMPLE.ORG\n\n",
	  "a@example.org", "b@example.org|c@example.org", 0 },
	{ "From: a@example.org\nTo: <@relay.example,@r2.example:b@example.org>\n\n",
	  "a@example.org", "b@example.org", 0 },
	{ "From: a@example.org\nTo: \"john doe\"@example.org, x@[192.0.2.1]\n\n",
	  "a@example.org", "\"john doe\"@example.org|x@[192.0.2.1]", 0 },
	{ "From: a@example.org, b@example.org\nSender: s@example.org\nTo: c@example.org\n\n",
	  "s@example.org", "c@example.org", 0 },
	{ "From: <>\nTo: c@example.org\n\n", "", "c@example.org", 0 },
	{ "From: j\xc3\xbcrgen@example.org\nTo: b@\xc3\xa9x.example\n\n",
	  "j\xc3\xbcrgen@example.org", "b@\xc3\xa9x.example", 1 },
	{ "From: a@example.org\nTo: john . doe @ example . org\n\n", "a@example.org",
	  "john.doe@example.org", 0 },
	/* A resent message goes to the newest block's recipients only. */
	{ "Resent-From: r@example.org\nResent-To: t@example.org\nResent-Bcc: u@example.org\n"
	  "Resent-From: old@example.org\nResent-To: old@example.org\n"
	  "From: a@example.org\nTo: b@example.org\n\nbody\n",
	  "r@example.org", "t@example.org|u@example.org", 0 },
	/* A header and no body, the last line without its end. */
	{ "From: a@example.org\nTo: b@example.org", "a@example.org", "b@example.org", 0 },
};

static const struct {
	const char *msg;
	const char *error;	/* a part of the message */
} bad[] = {
	{ "To: b@example.org\n\n", "no From: field" },
	{ "From: a@example.org\n\nbody", "no recipient" },
	{ "From: a@example.org\nSubject: x\n\n", "no recipient" },
	{ "From: a@example.org\nTo: b\n\n", "To: an address has no domain" },
	{ "From: a@example.org\nTo: b@\n\n", "To: an address has no domain" },
	{ "From: a@example.org\nCc: \"b@example.org\n\n", "Cc: a quoted string is not closed" },
	{ "From: a@example.org\nTo: (b@example.org\n\n", "comment is not closed" },
	{ "From: a@example.org\nTo: <b@example.org\n\n", "not closed by >" },
	{ "From: a@example.org\nTo: g: b@example.org\n\n", "group is not closed" },
	{ "From: a@example.org\nTo: Doe, John <j@example.org>\n\n", "no domain" },
	{ "From: a@example.org\nTo: a@b@example.org\n\n", "two @" },
	{ "From: a@example.org\nTo: <a@example.org> junk\n\n", "goes on after its >" },
	{ "From: a@example.org, b@example.org\nTo: c@example.org\n\n", "no single Sender:" },
	{ " From: a@example.org\nTo: c@example.org\n\n", "folded line" },
	{ "From a@example.org Sat Nov 28\nFrom: a@example.org\nTo: c@example.org\n\n",
	  "line 1 of the message's header is not a field" },
	{ "From: a@example.org\nTo: b\x01@example.org\n\n", "no place in an address" },
	{ "From: a@example.org\nTo: "
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa@example.org\n\n",
	  "local part is over 64" },
	{ "Resent-To: t@example.org\nFrom: a@example.org\nTo: b@example.org\n\n",
	  "no Resent-From: field" },
};

/* 1 when env's recipients are those of want ("a|b|c"). */
static int
rcpts_are(const struct mailfs_envelope *env, const char *want)
{
	char buf[1024], *p, *save = NULL;
	size_t i = 0;

	snprintf(buf, sizeof(buf), "%s", want);
	for (p = strtok_r(buf, "|", &save); p != NULL; p = strtok_r(NULL, "|", &save))
		if (i >= env->nrcpts || strcmp(env->rcpts[i++], p) != 0)
			return 0;
	return i == env->nrcpts;
}

static char *
rewrite(const char *msg, const char *date, const char *msgid, int keep_bcc)
{
	struct mailfs_envelope *env = NULL;
	struct mailfs_error err;
	char *out = NULL;
	size_t len;

	if (mailfs_envelope_read(msg, strlen(msg), &env, &err) != 0 ||
	    mailfs_envelope_rewrite(env, msg, strlen(msg), date, msgid, keep_bcc, &out,
	    &len, &err) != 0 || strlen(out) != len) {
		printf("# %s\n", err.msg);
		free(out);
		out = NULL;
	}
	mailfs_envelope_free(&env);
	return out;
}

static void
check_rewrite(const char *msg, const char *date, const char *msgid, int keep_bcc,
    const char *want, const char *name)
{
	char *out = rewrite(msg, date, msgid, keep_bcc);

	ok(out != NULL && strcmp(out, want) == 0, "%s", name);
	if (out != NULL && strcmp(out, want) != 0)
		printf("# got:\n%s# want:\n%s", out, want);
	free(out);
}

int
main(void)
{
	struct mailfs_envelope *env;
	struct mailfs_error err;
	char buf[400];
	regex_t re;
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		env = NULL;
		memset(&err, 0, sizeof(err));
		if (mailfs_envelope_read(good[i].header, strlen(good[i].header), &env,
		    &err) != 0) {
			ok(0, "good %zu: %s", i, err.msg);
			continue;
		}
		ok(strcmp(env->sender, good[i].sender) == 0 && rcpts_are(env, good[i].rcpts) &&
		    env->utf8 == good[i].utf8, "good %zu: from <%s> to %s", i, good[i].sender,
		    good[i].rcpts);
		mailfs_envelope_free(&env);
		ok(env == NULL, "good %zu: freed, the pointer cleared", i);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		env = NULL;
		memset(&err, 0, sizeof(err));
		ok(mailfs_envelope_read(bad[i].msg, strlen(bad[i].msg), &env, &err) == -1 &&
		    env == NULL && err.kind == MAILFS_ERR_USAGE &&
		    strstr(err.msg, bad[i].error) != NULL, "bad %zu: \"%s\" (%s)", i,
		    bad[i].error, err.msg);
		mailfs_envelope_free(&env);
	}

	/* What is sent, and what is filed. */
	check_rewrite("From: a@example.org\r\nTo: b@example.org\r\nBcc: c@example.org,\r\n"
	    " d@example.org\r\nSubject: hi\r\n\r\nBcc: not a field\r\n", "DATE", "<ID>", 0,
	    "From: a@example.org\r\nTo: b@example.org\r\nSubject: hi\r\nDate: DATE\r\n"
	    "Message-ID: <ID>\r\n\r\nBcc: not a field\r\n",
	    "Bcc: removed with its folded line, Date: and Message-ID: added in CRLF");
	check_rewrite("From: a@example.org\nBcc: c@example.org\nDate: x\n\nbody\n", "DATE",
	    "<ID>", 1, "From: a@example.org\nBcc: c@example.org\nDate: x\nMessage-ID: <ID>\n\nbody\n",
	    "kept for Sent: Bcc: stays, a Date: present is not added again");
	check_rewrite("From: a@example.org\nTo: b@example.org\nMessage-ID: <m@x>\nDate: d\n\nb\n",
	    "DATE", "<ID>", 0, "From: a@example.org\nTo: b@example.org\nMessage-ID: <m@x>\n"
	    "Date: d\n\nb\n", "nothing to add, nothing to remove: unchanged");
	check_rewrite("Resent-From: r@example.org\nResent-To: t@example.org\n"
	    "From: a@example.org\nTo: b@example.org\nDate: d\nMessage-ID: <m@x>\n\nb\n",
	    "DATE", "<ID>", 0, "Resent-From: r@example.org\nResent-To: t@example.org\n"
	    "Resent-Date: DATE\nResent-Message-ID: <ID>\nFrom: a@example.org\n"
	    "To: b@example.org\nDate: d\nMessage-ID: <m@x>\n\nb\n",
	    "resent: Resent-Date: and Resent-Message-ID: added to its block");
	check_rewrite("From: a@example.org\nTo: b@example.org", "DATE", "<ID>", 0,
	    "From: a@example.org\nTo: b@example.org\nDate: DATE\nMessage-ID: <ID>\n",
	    "a header without its last line end gets one before what is added");

	/* The made-up values. */
	mailfs_envelope_date(0, buf, sizeof(buf));
	regcomp(&re, "^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), [0-9]{1,2} (Jan|Dec) 19[67][09] "
	    "[0-9]{2}:[0-9]{2}:[0-9]{2} [-+][0-9]{4}$", REG_EXTENDED | REG_NOSUB);
	ok(regexec(&re, buf, 0, NULL, 0) == 0, "an RFC 5322 date: %s", buf);
	regfree(&re);
	ok(mailfs_envelope_msgid("example.org", buf, sizeof(buf), &err) == 0 &&
	    strlen(buf) == 1 + 16 + 1 + 16 + 1 + 11 + 1 && buf[0] == '<' &&
	    strcmp(buf + 35, "example.org>") == 0, "a Message-ID: %s", buf);
	ok(mailfs_envelope_msgid("", buf, sizeof(buf), &err) == 0 &&
	    strstr(buf, "@localhost>") != NULL, "without a domain: %s", buf);
	return done_testing();
}
