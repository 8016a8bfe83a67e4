/*
 * Keeping up with a mailbox that another client changes: unilateral
 * EXISTS, EXPUNGE, VANISHED and FETCH FLAGS, IDLE, SELECT with QRESYNC
 * and UID FETCH with CHANGEDSINCE and VANISHED, against a real Dovecot.
 *
 * RFC 3501 7.3-7.4, RFC 2177 (IDLE), RFC 7162 (CONDSTORE, QRESYNC).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../tap.h"
#include "test_common.h"

static struct testenv env;
static struct trace tr;

/* What the unilateral handlers saw. */
struct uni {
	unsigned exists_calls;
	uint32_t last_exists;
	uint32_t expunged[32];
	size_t nexpunged;
	uint32_t vanished[32];
	int vanished_earlier;
	size_t nvanished;
	uint32_t fetch_uid[32];
	char *fetch_flags[32];
	size_t nfetch;
};

static void
u_exists(void *ctx, uint32_t n)
{
	struct uni *u = ctx;

	u->exists_calls++;
	u->last_exists = n;
}

static void
u_expunge(void *ctx, uint32_t seq)
{
	struct uni *u = ctx;

	if (u->nexpunged < 32)
		u->expunged[u->nexpunged++] = seq;
}

static void
u_vanished(void *ctx, const struct mailfs_uidset *uids, int earlier)
{
	struct uni *u = ctx;
	uint64_t i;

	u->vanished_earlier |= earlier;
	for (i = 0; i < mailfs_uidset_size(uids) && u->nvanished < 32; i++)
		u->vanished[u->nvanished++] = mailfs_uidset_nth(uids, i);
}

static void
u_fetch(void *ctx, const struct mailfs_msg *msg)
{
	struct uni *u = ctx;

	if (u->nfetch == 32)
		return;
	u->fetch_uid[u->nfetch] = (msg->present & MAILFS_MSG_UID) ? msg->uid : 0;
	u->fetch_flags[u->nfetch] = (msg->present & MAILFS_MSG_FLAGS) ?
	    strdup(msg->flags) : NULL;
	u->nfetch++;
}

static void
uni_reset(struct uni *u)
{
	size_t i;

	for (i = 0; i < u->nfetch; i++)
		free(u->fetch_flags[i]);
	memset(u, 0, sizeof(*u));
}

static struct mailfs_unilateral
uni_handlers(struct uni *u)
{
	struct mailfs_unilateral h;

	memset(&h, 0, sizeof(h));
	h.exists = u_exists;
	h.expunge = u_expunge;
	h.vanished = u_vanished;
	h.fetch = u_fetch;
	h.ctx = u;
	return h;
}

static void
append_n(struct mailfs_client *c, const char *mailbox, int n)
{
	char *m;
	size_t len;
	int i;

	for (i = 0; i < n; i++) {
		m = make_message("sync", 200, &len);
		if (mailfs_run(c, mailfs_append(c, mailbox, NULL, -1, m, len),
		    NULL) == -1) {
			itest_diag_error(c, "append");
			bail_out("cannot append the test messages");
		}
		free(m);
	}
}

int
main(void)
{
	struct uni ua = { 0 }, uc = { 0 };
	struct mailfs_unilateral ha = uni_handlers(&ua), hc = uni_handlers(&uc);
	struct mailfs_client *a, *b, *c;
	const struct mailfs_mailbox_state *mb;
	struct mailfs_qresync qr;
	struct mailfs_fetch_spec spec;
	struct collector col;
	struct mailfs_handlers h;
	const struct fetched *f;
	uint32_t validity;
	uint64_t modseq, t0, elapsed;
	int rv;
	size_t i;

	itest_start(&env, NULL);
	a = itest_login(&env, MAILFS_SEC_IMPLICIT_TLS, &tr, &ha);
	b = itest_login(&env, MAILFS_SEC_IMPLICIT_TLS, NULL, NULL);
	c = itest_login(&env, MAILFS_SEC_STARTTLS, NULL, &hc);
	ok(mailfs_run(b, mailfs_create(b, "Sync"), NULL) == 0, "CREATE Sync");
	append_n(b, "Sync", 5);

	ok(itest_run(a, mailfs_enable(a, "QRESYNC"), NULL, &tr) == 0,
	    "a: ENABLE QRESYNC");
	ok(itest_run(a, mailfs_select(a, "Sync", 0, NULL, NULL), NULL, &tr) == 0,
	    "a: SELECT Sync");
	ok(itest_run(c, mailfs_select(c, "Sync", 0, NULL, NULL), NULL, NULL) == 0,
	    "c (no QRESYNC): SELECT Sync");
	mb = mailfs_client_mailbox(a);
	if (mb == NULL)
		bail_out("no mailbox state after SELECT");
	validity = mb->uidvalidity;
	modseq = mb->highestmodseq;
	ok(mb->exists == 5 && modseq > 0, "a: 5 messages, highestmodseq %llu",
	    (unsigned long long)modseq);

	/* EXISTS */
	append_n(b, "Sync", 1);
	ok(itest_run(a, mailfs_noop(a), NULL, &tr) == 0, "a: NOOP");
	ok(ua.exists_calls >= 1 && ua.last_exists == 6,
	    "unilateral EXISTS 6 reached the handler (%u calls, last %u)",
	    ua.exists_calls, ua.last_exists);
	mb = mailfs_client_mailbox(a);
	ok(mb != NULL && mb->exists == 6, "mailbox state: exists 6");

	/* FETCH FLAGS */
	ok(mailfs_run(b, mailfs_select(b, "Sync", 0, NULL, NULL), NULL) == 0,
	    "b: SELECT Sync");
	ok(mailfs_run(b, mailfs_uid_store(b, "2", MAILFS_STORE_ADD, "\\Flagged",
	    1, 0, NULL), NULL) == 0, "b: UID STORE 2 +FLAGS (\\Flagged)");
	ok(itest_run(a, mailfs_noop(a), NULL, &tr) == 0, "a: NOOP");
	for (i = 0, rv = 0; i < ua.nfetch; i++)
		if (ua.fetch_uid[i] == 2 && has_flag(ua.fetch_flags[i], "\\Flagged"))
			rv = 1;
	ok(rv, "unilateral FETCH (UID 2 FLAGS (\\Flagged)) reached the handler");

	/* EXPUNGE to c, VANISHED to a (QRESYNC enabled) */
	ok(mailfs_run(b, mailfs_uid_store(b, "3", MAILFS_STORE_ADD, "\\Deleted",
	    1, 0, NULL), NULL) == 0 &&
	    mailfs_run(b, mailfs_uid_expunge(b, "3"), NULL) == 0,
	    "b: expunges UID 3");
	ok(itest_run(a, mailfs_noop(a), NULL, &tr) == 0, "a: NOOP");
	ok(ua.nvanished == 1 && ua.vanished[0] == 3 && !ua.vanished_earlier,
	    "a: unilateral VANISHED 3 reached the handler");
	mb = mailfs_client_mailbox(a);
	ok(mb != NULL && mb->exists == 5, "a: exists 5 after VANISHED (%u)",
	    mb ? mb->exists : 0);
	ok(mailfs_run(c, mailfs_noop(c), NULL) == 0, "c: NOOP");
	ok(uc.nexpunged == 1 && uc.expunged[0] == 3,
	    "c: unilateral EXPUNGE 3 (a sequence number) reached the handler");
	mb = mailfs_client_mailbox(c);
	ok(mb != NULL && mb->exists == 5, "c: exists 5 after EXPUNGE (%u)",
	    mb ? mb->exists : 0);
	/* Dovecot reports the expunge first, then EXISTS 5 for the new one. */
	ok(uc.exists_calls >= 1 && (uc.last_exists == 5 || uc.last_exists == 6),
	    "c: saw the new message's EXISTS too (%u)", uc.last_exists);

	/* IDLE */
	uni_reset(&ua);
	ok(mailfs_idle_start(a) == 0, "a: IDLE");
	ok(trace_find(&tr, 0, MAILFS_TRACE_SEND, "IDLE") != -1, "IDLE sent");
	t0 = now_usec();
	rv = mailfs_idle_wait(a, 300);
	ok(rv == 0, "idle_wait times out when nothing happens (%d)", rv);
	elapsed = now_usec() - t0;
	ok(elapsed >= 250000 && elapsed < 1500000, "after about 300 ms (%llu us)",
	    (unsigned long long)elapsed);
	append_n(b, "Sync", 1);
	t0 = now_usec();
	rv = 0;
	while (rv == 0 && ua.exists_calls == 0 && now_usec() - t0 < 3000000)
		rv = mailfs_idle_wait(a, 3000);
	elapsed = now_usec() - t0;
	ok(rv == 1 && ua.exists_calls >= 1 && ua.last_exists == 6,
	    "idle_wait reports EXISTS 6 through the handler (rv %d, %u calls)",
	    rv, ua.exists_calls);
	/* Dovecot itself takes about 0.8 s to notice a new Maildir file. */
	ok(elapsed < 1500000, "within 1.5 s (%llu us)",
	    (unsigned long long)elapsed);
	ok(mailfs_idle_done(a) == 0, "a: DONE");
	ok(trace_find(&tr, 0, MAILFS_TRACE_SEND, "DONE") != -1, "DONE sent");
	ok(itest_run(a, mailfs_noop(a), NULL, &tr) == 0, "a: commands work after IDLE");
	mb = mailfs_client_mailbox(a);
	ok(mb != NULL && mb->exists == 6, "a: exists 6 after IDLE");

	/* SELECT with QRESYNC: 3 vanished, 2 flagged, 6 and 7 new since modseq. */
	ok(itest_run(a, mailfs_unselect(a), NULL, &tr) == 0, "a: UNSELECT");
	collector_init(&col);
	h = collector_handlers(&col, 0);
	qr.uidvalidity = validity;
	qr.modseq = modseq;
	qr.known_uids = "1:5";
	ok(itest_run(a, mailfs_select(a, "Sync", 0, &qr, &h), NULL, &tr) == 0,
	    "a: SELECT Sync (QRESYNC (%u %llu 1:5))", validity,
	    (unsigned long long)modseq);
	ok(trace_find(&tr, 0, MAILFS_TRACE_SEND, "QRESYNC") != -1,
	    "QRESYNC parameters on the wire");
	ok(col.nvanished_earlier == 1 && col.vanished_earlier[0] == 3,
	    "VANISHED (EARLIER) 3 reached the command's handler (%zu)",
	    col.nvanished_earlier);
	f = collector_uid(&col, 2);
	ok(f != NULL && has_flag(f->flags, "\\Flagged"),
	    "the changed flags of UID 2 reached the command's handler");
	ok(collector_uid(&col, 1) == NULL, "unchanged UID 1 was not reported");
	mb = mailfs_client_mailbox(a);
	ok(mb != NULL && mb->exists == 6 && mb->uidvalidity == validity &&
	    mb->highestmodseq > modseq, "mailbox state after QRESYNC SELECT");
	modseq = mb ? mb->highestmodseq : 0;
	collector_free(&col);

	/* UID FETCH (CHANGEDSINCE m VANISHED) */
	ok(mailfs_run(b, mailfs_uid_store(b, "4", MAILFS_STORE_ADD, "\\Answered",
	    1, 0, NULL), NULL) == 0, "b: UID STORE 4 +FLAGS (\\Answered)");
	ok(mailfs_run(b, mailfs_uid_store(b, "5", MAILFS_STORE_ADD, "\\Deleted",
	    1, 0, NULL), NULL) == 0 &&
	    mailfs_run(b, mailfs_uid_expunge(b, "5"), NULL) == 0,
	    "b: expunges UID 5");
	/*
	 * a learns of it first (unilateral VANISHED 5), so that the FETCH
	 * below must report it as VANISHED (EARLIER).
	 */
	uni_reset(&ua);
	ok(itest_run(a, mailfs_noop(a), NULL, &tr) == 0, "a: NOOP");
	ok(ua.nvanished == 1 && ua.vanished[0] == 5 && !ua.vanished_earlier,
	    "a: unilateral VANISHED 5");
	mb = mailfs_client_mailbox(a);
	ok(mb != NULL && mb->exists == 5, "a: exists 5 once UID 5 is gone (%u)",
	    mb ? mb->exists : 0);
	collector_init(&col);
	h = collector_handlers(&col, 0);
	memset(&spec, 0, sizeof(spec));
	spec.items = MAILFS_FETCH_FLAGS | MAILFS_FETCH_MODSEQ;
	spec.changedsince = modseq;
	spec.vanished = 1;
	ok(itest_run(a, mailfs_uid_fetch(a, "1:*", &spec, &h), NULL, &tr) == 0,
	    "a: UID FETCH 1:* (FLAGS MODSEQ) (CHANGEDSINCE %llu VANISHED)",
	    (unsigned long long)modseq);
	ok(trace_find(&tr, 0, MAILFS_TRACE_SEND, "CHANGEDSINCE") != -1,
	    "CHANGEDSINCE on the wire");
	ok(col.nvanished_earlier == 1 && col.vanished_earlier[0] == 5,
	    "VANISHED (EARLIER) 5 reached the fetch handler");
	f = collector_uid(&col, 4);
	ok(f != NULL && has_flag(f->flags, "\\Answered") && f->modseq > modseq,
	    "UID 4's new flags and modseq reached the fetch handler");
	ok(collector_uid(&col, 1) == NULL && collector_uid(&col, 2) == NULL,
	    "unchanged messages were not reported");
	collector_free(&col);
	ok(itest_run(a, mailfs_noop(a), NULL, &tr) == 0, "a: NOOP");
	mb = mailfs_client_mailbox(a);
	ok(mb != NULL && mb->exists == 5,
	    "a: VANISHED (EARLIER) did not count UID 5 twice (exists %u)",
	    mb ? mb->exists : 0);
	ok(ua.nvanished == 1, "VANISHED (EARLIER) of a command did not reach "
	    "the unilateral handler");

	ok(!trace_contains(&tr, env.password), "the password is not in the trace");
	mailfs_client_logout(a);
	mailfs_client_logout(b);
	mailfs_client_logout(c);
	mailfs_client_free(&a);
	mailfs_client_free(&b);
	mailfs_client_free(&c);
	uni_reset(&ua);
	uni_reset(&uc);
	trace_clear(&tr);
	testenv_stop(&env);
	return done_testing();
}
