/*
 * Pipelining against a real Dovecot: a batch of commands queued before
 * any is run must all be on the wire before the first tagged answer is
 * read, each must get its own data and status, a failing one must not
 * disturb the others, the pipeline depth must be respected, and detached
 * commands must still deliver their data.
 *
 * RFC 3501 5.5.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../tap.h"
#include "test_common.h"

#define NFOLDERS	10
#define NMSGS		25
#define NBATCH		50

static struct testenv env;
static struct trace tr;

/* 1 when a traced line is a tagged status response (not "*" or "+"). */
static int
is_tagged(const struct trace_line *l)
{
	return l->dir == MAILFS_TRACE_RECV && l->text[0] != '*' &&
	    l->text[0] != '+' && l->text[0] != '\0';
}

/* The most commands ever in flight, judged from a trace. */
static int
max_in_flight(const struct trace *t)
{
	size_t i;
	int now = 0, most = 0;

	for (i = 0; i < t->count; i++) {
		if (t->lines[i].dir == MAILFS_TRACE_SEND &&
		    isalnum((unsigned char)t->lines[i].text[0]))
			now++;
		else if (is_tagged(&t->lines[i]))
			now--;
		if (now > most)
			most = now;
	}
	return most;
}

static void
setup(struct mailfs_client *c)
{
	char name[32], *m;
	size_t len;
	int i;

	for (i = 0; i < NFOLDERS; i++) {
		snprintf(name, sizeof(name), "P%02d", i);
		if (mailfs_run(c, mailfs_create(c, name), NULL) == -1)
			bail_out("CREATE failed");
	}
	for (i = 0; i < NMSGS; i++) {
		snprintf(name, sizeof(name), "P%02d", i % NFOLDERS);
		m = make_message(name, 50 + (size_t)i * 10, &len);
		if (mailfs_run(c, mailfs_append(c, "INBOX", NULL, -1, m, len),
		    NULL) == -1 ||
		    mailfs_run(c, mailfs_append(c, name, NULL, -1, m, len),
		    NULL) == -1)
			bail_out("APPEND failed");
		free(m);
	}
	if (mailfs_run(c, mailfs_select(c, "INBOX", 0, NULL, NULL), NULL) == -1)
		bail_out("SELECT failed");
}

static void
test_batch(struct mailfs_client *c)
{
	struct collector col[NBATCH];
	struct mailfs_handlers h[NBATCH];
	struct mailfs_cmd *cmd[NBATCH];
	struct mailfs_fetch_spec spec;
	char name[32], uid[16];
	size_t at, i, nsend, good_status, good_fetch, good_run;
	long last_send, first_tagged;
	int failed_right;

	memset(&spec, 0, sizeof(spec));
	spec.items = MAILFS_FETCH_SIZE | MAILFS_FETCH_FLAGS;
	at = tr.count;
	/* Even slots: STATUS of a folder (slot 20: one that does not exist); odd: UID FETCH. */
	for (i = 0; i < NBATCH; i++) {
		collector_init(&col[i]);
		h[i] = collector_handlers(&col[i], 0);
		if (i % 2 == 0) {
			if (i == 20)
				snprintf(name, sizeof(name), "Missing");
			else
				snprintf(name, sizeof(name), "P%02zu",
				    (i / 2) % NFOLDERS);
			cmd[i] = mailfs_status(c, name, MAILFS_STATUS_MESSAGES |
			    MAILFS_STATUS_UIDNEXT, &h[i]);
		} else {
			snprintf(uid, sizeof(uid), "%zu", i / 2 + 1);
			cmd[i] = mailfs_uid_fetch(c, uid, &spec, &h[i]);
		}
		if (cmd[i] == NULL)
			itest_diag_error(c, "queueing");
	}
	for (i = 0; i < NBATCH && cmd[i] != NULL; i++)
		;
	ok(i == NBATCH, "%d commands queued", NBATCH);

	good_status = good_fetch = good_run = 0;
	failed_right = 0;
	for (i = 0; i < NBATCH; i++) {
		int rv = mailfs_run(c, cmd[i], NULL);
		const struct mailfs_error *e = mailfs_client_error(c);

		if (i == 20) {
			/* Dovecot's STATUS NO carries no [NONEXISTENT]. */
			failed_right = rv == -1 && e->kind == MAILFS_ERR_NO &&
			    col[i].nstatus == 0;
			continue;
		}
		if (rv == 0)
			good_run++;
		else
			itest_diag_error(c, "batch command");
		if (i % 2 == 0) {
			snprintf(name, sizeof(name), "P%02zu", (i / 2) % NFOLDERS);
			/* NMSGS messages spread over NFOLDERS folders */
			if (col[i].nstatus == 1 && col[i].status[0].name != NULL &&
			    strcmp(col[i].status[0].name, name) == 0 &&
			    col[i].status[0].st.messages ==
			    (uint32_t)(NMSGS / NFOLDERS +
			    ((i / 2) % NFOLDERS < NMSGS % NFOLDERS)))
				good_status++;
		} else if (col[i].nmsgs == 1 && col[i].msgs[0].uid == i / 2 + 1 &&
		    (col[i].msgs[0].present & MAILFS_MSG_SIZE))
			good_fetch++;
		else
			diag("UID FETCH %zu got %zu answers, the first for UID %u",
			    i / 2 + 1, col[i].nmsgs,
			    col[i].nmsgs ? col[i].msgs[0].uid : 0);
	}
	ok(good_run == NBATCH - 1, "%d commands completed OK (%zu)", NBATCH - 1,
	    good_run);
	ok(good_status == NBATCH / 2 - 1,
	    "each STATUS answer reached its own command (%zu)", good_status);
	ok(good_fetch == NBATCH / 2, "each FETCH answer reached its own command (%zu)",
	    good_fetch);
	ok(failed_right, "the STATUS of a missing folder failed alone with NO");

	for (i = at, nsend = 0, last_send = -1; i < tr.count; i++)
		if (tr.lines[i].dir == MAILFS_TRACE_SEND) {
			nsend++;
			last_send = (long)i;
		}
	for (i = at, first_tagged = -1; i < tr.count; i++)
		if (is_tagged(&tr.lines[i])) {
			first_tagged = (long)i;
			break;
		}
	ok(nsend == NBATCH, "%d lines sent (%zu)", NBATCH, nsend);
	if (!ok(last_send != -1 && first_tagged != -1 && last_send < first_tagged,
	    "every command was sent before the first tagged answer was read "
	    "(last send at %ld, first answer at %ld)", last_send - (long)at,
	    first_tagged - (long)at))
		trace_dump(&tr, 10);
	ok(tr.lines[last_send].usec - tr.lines[at].usec < 200000,
	    "all sent within 200 ms (%llu us)", (unsigned long long)
	    (tr.lines[last_send].usec - tr.lines[at].usec));
	for (i = 0; i < NBATCH; i++)
		collector_free(&col[i]);
}

static void
test_depth(void)
{
	struct mailfs_params p;
	struct mailfs_client *c;
	struct mailfs_cmd *cmd[40];
	struct trace t2 = { 0 };
	size_t i;
	int good = 0, most;

	testenv_params(&env, MAILFS_SEC_IMPLICIT_TLS, &p);
	p.pipeline_depth = 4;
	p.trace = trace_record;
	p.trace_ctx = &t2;
	if ((c = mailfs_client_new(&p)) == NULL ||
	    mailfs_client_connect(c) == -1 ||
	    mailfs_client_login(c, env.user, env.password) == -1)
		bail_out("cannot log in with pipeline depth 4");
	for (i = 0; i < 40; i++)
		cmd[i] = mailfs_noop(c);
	for (i = 0; i < 40; i++)
		if (mailfs_run(c, cmd[i], NULL) == 0)
			good++;
	ok(good == 40, "depth 4: 40 NOOPs completed (%d)", good);
	most = max_in_flight(&t2);
	ok(most >= 2 && most <= 4, "depth 4: at most 4 commands in flight (%d)",
	    most);
	mailfs_client_free(&c);
	trace_clear(&t2);
}

static void
test_detach(struct mailfs_client *c)
{
	struct collector col;
	struct mailfs_handlers h;
	struct mailfs_cmd *cmd;
	int i;

	collector_init(&col);
	h = collector_handlers(&col, 0);
	for (i = 0; i < 3; i++) {
		cmd = mailfs_status(c, "P01", MAILFS_STATUS_MESSAGES, &h);
		ok(cmd != NULL, "detached STATUS %d queued", i);
		mailfs_cmd_detach(c, cmd);
	}
	mailfs_cmd_detach(c, NULL);
	ok(mailfs_client_drain(c) == 0, "drain");
	ok(col.nstatus == 3, "the detached commands' data arrived (%zu)",
	    col.nstatus);
	collector_free(&col);
}

static void
test_many_fetches(struct mailfs_client *c)
{
	struct collector col;
	struct mailfs_handlers h;
	struct mailfs_fetch_spec spec;
	struct mailfs_cmd *cmd[100];
	char uid[16];
	size_t i, good = 0;
	uint64_t t0;

	/* 100 commands: more than fit the default depth of 64 at once. */
	collector_init(&col);
	h = collector_handlers(&col, 0);
	memset(&spec, 0, sizeof(spec));
	spec.items = MAILFS_FETCH_BODY;
	t0 = now_usec();
	for (i = 0; i < 100; i++) {
		snprintf(uid, sizeof(uid), "%zu", i % NMSGS + 1);
		cmd[i] = mailfs_uid_fetch(c, uid, &spec, &h);
	}
	for (i = 0; i < 100; i++)
		if (mailfs_run(c, cmd[i], NULL) == 0)
			good++;
	ok(good == 100, "100 pipelined UID FETCH BODY.PEEK[] completed (%zu)", good);
	ok(col.nmsgs == 100, "100 bodies delivered (%zu)", col.nmsgs);
	for (i = 0, good = 0; i < col.nmsgs && i < 100; i++)
		if (col.msgs[i].uid == i % NMSGS + 1 && col.msgs[i].body_len > 50)
			good++;
	ok(good == 100, "in the order asked (%zu)", good);
	diag("100 fetches took %.3f s", (double)(now_usec() - t0) / 1e6);
	collector_free(&col);
}

int
main(void)
{
	struct mailfs_client *c;

	itest_start(&env, NULL);
	c = itest_login(&env, MAILFS_SEC_IMPLICIT_TLS, &tr, NULL);
	setup(c);
	test_batch(c);
	test_many_fetches(c);
	test_detach(c);
	test_depth();
	mailfs_client_logout(c);
	mailfs_client_free(&c);
	trace_clear(&tr);
	testenv_stop(&env);
	return done_testing();
}
