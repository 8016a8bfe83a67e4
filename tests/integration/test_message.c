/*
 * Commands on messages against a real Dovecot: APPEND (flags, date,
 * APPENDUID, a 5 MiB message), UID FETCH of metadata and of bodies (held,
 * streamed, partial), UID STORE (set, add, remove, silent, UNCHANGEDSINCE),
 * UID COPY and UID MOVE with COPYUID, UID EXPUNGE, EXPUNGE and UID SEARCH.
 *
 * RFC 3501, 4315 (UIDPLUS), 6851 (MOVE), 7162 (CONDSTORE), 4731 (ESEARCH),
 * 7888 (LITERAL+).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../tap.h"
#include "test_common.h"

#define NMANY		120
#define BIG_SIZE	(5 * 1024 * 1024)

static struct testenv env;
static struct trace tr;
static struct mailfs_client *c;

/* What we appended, to compare with what comes back. */
static char *work_msg[6];
static size_t work_len[6];

static int
set_equals(const struct collector *col, const uint32_t *want, size_t n)
{
	size_t i;

	if (col->nsearch != n)
		return 0;
	for (i = 0; i < n; i++)
		if (col->search_uids[i] != want[i])
			return 0;
	return 1;
}

static uint32_t
append_one(const char *mailbox, const char *flags, time_t date,
    const char *data, size_t len, const char *what)
{
	struct mailfs_cmd_result res;
	uint32_t uid = 0;

	memset(&res, 0, sizeof(res));
	if (itest_run(c, mailfs_append(c, mailbox, flags, date, data, len), &res,
	    &tr) == 0 && mailfs_uidset_size(&res.dst_uids) == 1)
		uid = mailfs_uidset_nth(&res.dst_uids, 0);
	else
		diag("%s: no APPENDUID", what);
	mailfs_cmd_result_clear(&res);
	return uid;
}

static void
test_append(void)
{
	struct mailfs_cmd_result res;
	struct mailfs_status st;
	struct collector col;
	struct mailfs_handlers h;
	char subject[64];
	size_t i, len;
	char *m;
	long at;

	ok(itest_run(c, mailfs_create(c, "Work"), NULL, &tr) == 0, "CREATE Work");
	ok(itest_run(c, mailfs_create(c, "Archive"), NULL, &tr) == 0,
	    "CREATE Archive");
	ok(itest_run(c, mailfs_create(c, "Many"), NULL, &tr) == 0, "CREATE Many");

	for (i = 0; i < 6; i++) {
		snprintf(subject, sizeof(subject), "Work message %zu", i + 1);
		work_msg[i] = make_message(subject, 300 + i * 1000, &work_len[i]);
	}
	memset(&res, 0, sizeof(res));
	at = (long)tr.count;
	ok(itest_run(c, mailfs_append(c, "Work", "\\Seen \\Flagged $Label1",
	    1672531200, work_msg[0], work_len[0]), &res, &tr) == 0,
	    "APPEND with flags and a date");
	ok(res.uidvalidity != 0, "APPEND: APPENDUID's uidvalidity %u",
	    res.uidvalidity);
	ok(mailfs_uidset_size(&res.dst_uids) == 1 &&
	    mailfs_uidset_nth(&res.dst_uids, 0) == 1,
	    "APPEND: APPENDUID gives UID 1");
	ok(mailfs_uidset_size(&res.src_uids) == 0, "APPEND: no source set");
	mailfs_cmd_result_clear(&res);
	ok(res.dst_uids.count == 0 && res.dst_uids.ranges == NULL,
	    "mailfs_cmd_result_clear empties the result");
	snprintf(subject, sizeof(subject), "{%zu+}", work_len[0]);
	ok(trace_find(&tr, (size_t)at, MAILFS_TRACE_SEND, subject) != -1,
	    "APPEND used a LITERAL+ literal %s", subject);
	ok(trace_find(&tr, (size_t)at, MAILFS_TRACE_SEND, "01-Jan-2023") != -1,
	    "APPEND sent the date");

	for (i = 1; i < 6; i++)
		ok(append_one("Work", NULL, -1, work_msg[i], work_len[i],
		    "APPEND") == i + 1, "APPEND %zu without flags: UID %zu",
		    i + 1, i + 1);

	for (i = 0; i < NMANY; i++) {
		char s[32];

		snprintf(s, sizeof(s), "many %zu", i + 1);
		m = make_message(s, 100, &len);
		if (append_one("Many", i % 2 ? "\\Seen" : NULL, -1, m, len,
		    "APPEND many") != i + 1) {
			ok(0, "APPEND many %zu", i + 1);
			free(m);
			break;
		}
		free(m);
	}
	ok(i == NMANY, "APPEND %d messages to Many", NMANY);

	collector_init(&col);
	h = collector_handlers(&col, 0);
	ok(itest_run(c, mailfs_status(c, "Work", MAILFS_STATUS_MESSAGES |
	    MAILFS_STATUS_UIDNEXT | MAILFS_STATUS_UNSEEN, &h), NULL, &tr) == 0,
	    "STATUS Work");
	memset(&st, 0, sizeof(st));
	if (col.nstatus == 1)
		st = col.status[0].st;
	ok(st.messages == 6 && st.uidnext == 7 && st.unseen == 5,
	    "STATUS Work: 6 messages, uidnext 7, 5 unseen (%u %u %u)",
	    st.messages, st.uidnext, st.unseen);
	collector_free(&col);
}

static void
test_fetch_metadata(void)
{
	struct mailfs_fetch_spec spec;
	struct collector col;
	struct mailfs_handlers h;
	const struct fetched *f;
	size_t i, nuid, nsize, nseen;
	long at, again;

	ok(itest_run(c, mailfs_select(c, "Many", MAILFS_SELECT_CONDSTORE, NULL,
	    NULL), NULL, &tr) == 0, "SELECT Many");
	collector_init(&col);
	h = collector_handlers(&col, 0);
	memset(&spec, 0, sizeof(spec));
	spec.items = MAILFS_FETCH_UID | MAILFS_FETCH_FLAGS | MAILFS_FETCH_SIZE |
	    MAILFS_FETCH_INTERNALDATE | MAILFS_FETCH_MODSEQ;
	at = (long)tr.count;
	ok(itest_run(c, mailfs_uid_fetch(c, "1:*", &spec, &h), NULL, &tr) == 0,
	    "UID FETCH 1:* (UID FLAGS RFC822.SIZE INTERNALDATE MODSEQ)");
	again = trace_find(&tr, (size_t)at, MAILFS_TRACE_SEND, "FETCH");
	ok(again != -1 &&
	    trace_find(&tr, (size_t)again + 1, MAILFS_TRACE_SEND, "FETCH") == -1,
	    "one command for all %d messages", NMANY);
	ok(col.nmsgs == NMANY, "%d FETCH responses (%zu)", NMANY, col.nmsgs);
	nuid = nsize = nseen = 0;
	for (i = 0; i < col.nmsgs; i++) {
		f = &col.msgs[i];
		if ((f->present & MAILFS_MSG_UID) && f->uid == i + 1 &&
		    f->seq == i + 1)
			nuid++;
		if ((f->present & MAILFS_MSG_SIZE) && f->size > 100 &&
		    (f->present & MAILFS_MSG_INTERNALDATE) &&
		    f->internaldate > 1600000000 &&
		    (f->present & MAILFS_MSG_MODSEQ) && f->modseq > 0 &&
		    (f->present & MAILFS_MSG_FLAGS))
			nsize++;
		if (has_flag(f->flags, "\\Seen") == (int)(i % 2))
			nseen++;
	}
	ok(nuid == NMANY, "every UID and sequence number in order (%zu)", nuid);
	ok(nsize == NMANY, "every size, date, modseq and flags (%zu)", nsize);
	ok(nseen == NMANY, "the flags set at APPEND (%zu)", nseen);
	collector_free(&col);
}

static void
test_fetch_body(void)
{
	struct mailfs_fetch_spec spec;
	struct collector col;
	struct mailfs_handlers h;
	const struct fetched *f;
	char *big;
	size_t big_len, i, longest;
	uint32_t big_uid;
	uint64_t t0;

	ok(itest_run(c, mailfs_select(c, "Work", MAILFS_SELECT_CONDSTORE, NULL,
	    NULL), NULL, &tr) == 0, "SELECT Work");

	/* The date and flags given at APPEND. */
	collector_init(&col);
	h = collector_handlers(&col, 0);
	memset(&spec, 0, sizeof(spec));
	spec.items = MAILFS_FETCH_FLAGS | MAILFS_FETCH_INTERNALDATE |
	    MAILFS_FETCH_SIZE;
	ok(itest_run(c, mailfs_uid_fetch(c, "1", &spec, &h), NULL, &tr) == 0,
	    "UID FETCH 1 (FLAGS INTERNALDATE RFC822.SIZE)");
	f = collector_uid(&col, 1);
	ok(f != NULL && f->internaldate == 1672531200,
	    "INTERNALDATE is the date given at APPEND (%lld)",
	    f ? (long long)f->internaldate : -1LL);
	ok(f != NULL && has_flag(f->flags, "\\Seen") &&
	    has_flag(f->flags, "\\Flagged") && has_flag(f->flags, "$Label1"),
	    "FLAGS are those given at APPEND (%s)", f ? f->flags : "none");
	ok(f != NULL && f->size == work_len[0], "RFC822.SIZE %zu", work_len[0]);
	collector_free(&col);

	/* BODY.PEEK[] held in memory. */
	collector_init(&col);
	h = collector_handlers(&col, 0);
	memset(&spec, 0, sizeof(spec));
	spec.items = MAILFS_FETCH_BODY;
	ok(itest_run(c, mailfs_uid_fetch(c, "2", &spec, &h), NULL, &tr) == 0,
	    "UID FETCH 2 (BODY.PEEK[])");
	ok(trace_find(&tr, 0, MAILFS_TRACE_SEND, "BODY.PEEK[]") != -1,
	    "BODY.PEEK[] on the wire");
	f = collector_uid(&col, 2);
	ok(f != NULL && (f->present & MAILFS_MSG_BODY) &&
	    !(f->present & MAILFS_MSG_BODY_STREAMED),
	    "the body is held in memory");
	ok(f != NULL && f->body_len == work_len[1] &&
	    memcmp(f->body, work_msg[1], work_len[1]) == 0,
	    "the body is byte for byte what was appended (%zu bytes)",
	    f ? f->body_len : 0);
	collector_free(&col);

	/* Partial BODY.PEEK[]<o.l>. */
	collector_init(&col);
	h = collector_handlers(&col, 0);
	spec.partial_offset = 10;
	spec.partial_len = 100;
	ok(itest_run(c, mailfs_uid_fetch(c, "3", &spec, &h), NULL, &tr) == 0,
	    "UID FETCH 3 (BODY.PEEK[]<10.100>)");
	ok(trace_find(&tr, 0, MAILFS_TRACE_SEND, "BODY.PEEK[]<10.100>") != -1,
	    "the partial range on the wire");
	f = collector_uid(&col, 3);
	ok(f != NULL && f->body_len == 100 && f->body_origin == 10 &&
	    memcmp(f->body, work_msg[2] + 10, 100) == 0,
	    "partial body: bytes 10..109, origin 10");
	collector_free(&col);

	/* A 5 MiB message, appended and streamed back. */
	big = make_message("Big one", BIG_SIZE, &big_len);
	t0 = now_usec();
	big_uid = append_one("Work", NULL, -1, big, big_len, "APPEND 5 MiB");
	ok(big_uid == 7, "APPEND of %zu bytes: UID 7 (%.2f s)", big_len,
	    (double)(now_usec() - t0) / 1e6);
	collector_init(&col);
	h = collector_handlers(&col, 1);
	memset(&spec, 0, sizeof(spec));
	spec.items = MAILFS_FETCH_BODY | MAILFS_FETCH_SIZE;
	t0 = now_usec();
	ok(itest_run(c, mailfs_uid_fetch(c, "7", &spec, &h), NULL, &tr) == 0,
	    "UID FETCH 7 (BODY.PEEK[]) streamed (%.2f s)",
	    (double)(now_usec() - t0) / 1e6);
	f = collector_uid(&col, 7);
	ok(f != NULL && (f->present & MAILFS_MSG_BODY_STREAMED) &&
	    !(f->present & MAILFS_MSG_BODY), "the body went to the body handler");
	ok(col.body_calls > 1, "in several chunks (%u)", col.body_calls);
	ok(col.stream_ok, "chunks in order, within the announced total");
	ok(f != NULL && f->body_len == big_len && f->body != NULL &&
	    memcmp(f->body, big, big_len) == 0,
	    "the streamed body is byte for byte what was appended");
	ok(f != NULL && f->size == big_len, "RFC822.SIZE %zu", big_len);
	for (i = 0, longest = 0; i < tr.count; i++)
		if (strlen(tr.lines[i].text) > longest)
			longest = strlen(tr.lines[i].text);
	ok(longest < 4096, "the trace summarises literals (longest line %zu)",
	    longest);
	collector_free(&col);

	/* The same in memory. */
	collector_init(&col);
	h = collector_handlers(&col, 0);
	spec.items = MAILFS_FETCH_BODY;
	ok(itest_run(c, mailfs_uid_fetch(c, "7", &spec, &h), NULL, &tr) == 0,
	    "UID FETCH 7 (BODY.PEEK[]) in memory");
	f = collector_uid(&col, 7);
	ok(f != NULL && f->body_len == big_len &&
	    memcmp(f->body, big, big_len) == 0, "5 MiB in memory, equal");
	collector_free(&col);
	free(big);

	/* PEEK left \Seen alone. */
	collector_init(&col);
	h = collector_handlers(&col, 0);
	spec.items = MAILFS_FETCH_FLAGS;
	ok(itest_run(c, mailfs_uid_fetch(c, "2:7", &spec, &h), NULL, &tr) == 0,
	    "UID FETCH 2:7 (FLAGS)");
	ok(col.nmsgs == 6, "six answers");
	ok(collector_uid(&col, 2) && collector_uid(&col, 3) &&
	    collector_uid(&col, 7) &&
	    !has_flag(collector_uid(&col, 2)->flags, "\\Seen") &&
	    !has_flag(collector_uid(&col, 3)->flags, "\\Seen") &&
	    !has_flag(collector_uid(&col, 7)->flags, "\\Seen"),
	    "BODY.PEEK[] did not set \\Seen");
	collector_free(&col);
}

static uint64_t
modseq_of(uint32_t uid, char **flags_r)
{
	struct mailfs_fetch_spec spec;
	struct collector col;
	struct mailfs_handlers h;
	const struct fetched *f;
	uint64_t m = 0;
	char buf[16];

	collector_init(&col);
	h = collector_handlers(&col, 0);
	memset(&spec, 0, sizeof(spec));
	spec.items = MAILFS_FETCH_FLAGS | MAILFS_FETCH_MODSEQ;
	snprintf(buf, sizeof(buf), "%u", uid);
	if (itest_run(c, mailfs_uid_fetch(c, buf, &spec, &h), NULL, &tr) == 0 &&
	    (f = collector_uid(&col, uid)) != NULL) {
		m = f->modseq;
		if (flags_r != NULL) {
			*flags_r = f->flags ? strdup(f->flags) : NULL;
		}
	} else if (flags_r != NULL)
		*flags_r = NULL;
	collector_free(&col);
	return m;
}

static void
test_store(void)
{
	struct collector col;
	struct mailfs_handlers h;
	struct mailfs_cmd_result res;
	const struct fetched *f;
	char *flags;
	uint64_t m;
	size_t i;
	int flagged;

	collector_init(&col);
	h = collector_handlers(&col, 0);
	ok(itest_run(c, mailfs_uid_store(c, "2", MAILFS_STORE_SET, "\\Answered",
	    0, 0, &h), NULL, &tr) == 0, "UID STORE 2 FLAGS (\\Answered)");
	f = collector_uid(&col, 2);
	/* This session appended it, so Dovecot adds \Recent. */
	ok(f != NULL && (f->present & MAILFS_MSG_FLAGS) &&
	    has_flag(f->flags, "\\Answered") && !has_flag(f->flags, "\\Seen") &&
	    !has_flag(f->flags, "\\Flagged"),
	    "the FETCH answer reached the handler (%s)", f ? f->flags : "none");
	collector_free(&col);

	collector_init(&col);
	h = collector_handlers(&col, 0);
	ok(itest_run(c, mailfs_uid_store(c, "2", MAILFS_STORE_ADD,
	    "\\Flagged $Work", 1, 0, &h), NULL, &tr) == 0,
	    "UID STORE 2 +FLAGS.SILENT (\\Flagged $Work)");
	ok(trace_find(&tr, 0, MAILFS_TRACE_SEND, "+FLAGS.SILENT") != -1,
	    "+FLAGS.SILENT on the wire");
	for (i = 0, flagged = 0; i < col.nmsgs; i++)
		if (col.msgs[i].present & MAILFS_MSG_FLAGS)
			flagged++;
	ok(flagged == 0, "silent: no FLAGS came back");
	collector_free(&col);
	modseq_of(2, &flags);
	ok(flags != NULL && has_flag(flags, "\\Answered") &&
	    has_flag(flags, "\\Flagged") && has_flag(flags, "$Work"),
	    "flags after add: %s", flags ? flags : "none");
	free(flags);

	ok(itest_run(c, mailfs_uid_store(c, "2", MAILFS_STORE_REMOVE,
	    "\\Answered", 1, 0, NULL), NULL, &tr) == 0,
	    "UID STORE 2 -FLAGS.SILENT (\\Answered)");
	m = modseq_of(2, &flags);
	ok(flags != NULL && !has_flag(flags, "\\Answered") &&
	    has_flag(flags, "\\Flagged"), "flags after remove: %s",
	    flags ? flags : "none");
	free(flags);

	/* A conditional STORE against an old modseq must change nothing. */
	memset(&res, 0, sizeof(res));
	ok(mailfs_run(c, mailfs_uid_store(c, "2", MAILFS_STORE_ADD, "\\Draft", 1,
	    m - 1, NULL), &res) == 0 || mailfs_client_error(c)->kind ==
	    MAILFS_ERR_NO, "UID STORE 2 (UNCHANGEDSINCE %llu) completes",
	    (unsigned long long)(m - 1));
	ok(trace_find(&tr, 0, MAILFS_TRACE_SEND, "UNCHANGEDSINCE") != -1,
	    "UNCHANGEDSINCE on the wire");
	ok(trace_find(&tr, 0, MAILFS_TRACE_RECV, "[MODIFIED 2]") != -1,
	    "the server reports the conflict");
	ok(mailfs_uidset_size(&res.modified) == 1 &&
	    mailfs_uidset_contains(&res.modified, 2),
	    "the result names UID 2 as modified");
	mailfs_cmd_result_clear(&res);
	modseq_of(2, &flags);
	ok(flags != NULL && !has_flag(flags, "\\Draft"),
	    "UNCHANGEDSINCE conflict: \\Draft not set (%s)", flags ? flags : "");
	free(flags);
	ok(itest_run(c, mailfs_uid_store(c, "2", MAILFS_STORE_ADD, "\\Draft", 1,
	    m, NULL), NULL, &tr) == 0, "UID STORE 2 (UNCHANGEDSINCE current)");
	ok(modseq_of(2, &flags) > m && flags != NULL && has_flag(flags, "\\Draft"),
	    "the up-to-date conditional STORE applies and raises the modseq");
	free(flags);
}

static void
test_copy_move(void)
{
	struct mailfs_cmd_result res;
	struct collector col;
	struct mailfs_handlers h;
	uint32_t archive_validity = 0;
	uint32_t exists;
	const struct mailfs_mailbox_state *mb;

	collector_init(&col);
	h = collector_handlers(&col, 0);
	ok(itest_run(c, mailfs_status(c, "Archive", MAILFS_STATUS_UIDVALIDITY,
	    &h), NULL, &tr) == 0, "STATUS Archive");
	if (col.nstatus == 1)
		archive_validity = col.status[0].st.uidvalidity;
	collector_free(&col);

	memset(&res, 0, sizeof(res));
	ok(itest_run(c, mailfs_uid_copy(c, "1:2", "Archive"), &res, &tr) == 0,
	    "UID COPY 1:2 Archive");
	ok(res.uidvalidity == archive_validity && archive_validity != 0,
	    "COPYUID: the destination's uidvalidity");
	ok(mailfs_uidset_size(&res.src_uids) == 2 &&
	    mailfs_uidset_contains(&res.src_uids, 1) &&
	    mailfs_uidset_contains(&res.src_uids, 2), "COPYUID: source 1:2");
	ok(mailfs_uidset_size(&res.dst_uids) == 2 &&
	    mailfs_uidset_nth(&res.dst_uids, 0) == 1 &&
	    mailfs_uidset_nth(&res.dst_uids, 1) == 2, "COPYUID: new UIDs 1:2");
	mailfs_cmd_result_clear(&res);

	mb = mailfs_client_mailbox(c);
	exists = mb ? mb->exists : 0;
	memset(&res, 0, sizeof(res));
	ok(itest_run(c, mailfs_uid_move(c, "3,5", "Archive"), &res, &tr) == 0,
	    "UID MOVE 3,5 Archive");
	ok(res.uidvalidity == archive_validity, "MOVE: COPYUID's uidvalidity");
	ok(mailfs_uidset_size(&res.src_uids) == 2 &&
	    mailfs_uidset_nth(&res.src_uids, 0) == 3 &&
	    mailfs_uidset_nth(&res.src_uids, 1) == 5, "MOVE: source 3,5");
	ok(mailfs_uidset_size(&res.dst_uids) == 2 &&
	    mailfs_uidset_nth(&res.dst_uids, 0) == 3 &&
	    mailfs_uidset_nth(&res.dst_uids, 1) == 4, "MOVE: new UIDs 3:4");
	mailfs_cmd_result_clear(&res);
	mb = mailfs_client_mailbox(c);
	ok(mb != NULL && mb->exists == exists - 2,
	    "MOVE: the source's exists dropped by 2 (%u -> %u)", exists,
	    mb ? mb->exists : 0);

	collector_init(&col);
	h = collector_handlers(&col, 0);
	ok(itest_run(c, mailfs_status(c, "Archive", MAILFS_STATUS_MESSAGES, &h),
	    NULL, &tr) == 0 && col.nstatus == 1 &&
	    col.status[0].st.messages == 4, "Archive holds 4 messages");
	collector_free(&col);

	memset(&res, 0, sizeof(res));
	ok(mailfs_run(c, mailfs_uid_copy(c, "1", "Nowhere"), &res) == -1 &&
	    mailfs_client_error(c)->code == MAILFS_CODE_TRYCREATE,
	    "UID COPY to a missing mailbox: NO [TRYCREATE]");
	mailfs_cmd_result_clear(&res);
}

static void
test_expunge_search(void)
{
	struct collector col;
	struct mailfs_handlers h;
	const struct mailfs_mailbox_state *mb;
	static const uint32_t after_uid[] = { 1, 2, 6, 7 };
	static const uint32_t after_all[] = { 1, 2, 7 };
	static const uint32_t deleted[] = { 6 };
	uint32_t flagged[11];
	size_t i;

	/* Work holds 1, 2, 4, 6, 7 now; mark 4 and 6 deleted. */
	ok(itest_run(c, mailfs_uid_store(c, "4,6", MAILFS_STORE_ADD, "\\Deleted",
	    1, 0, NULL), NULL, &tr) == 0, "UID STORE 4,6 +FLAGS (\\Deleted)");
	ok(itest_run(c, mailfs_uid_expunge(c, "4"), NULL, &tr) == 0,
	    "UID EXPUNGE 4");
	mb = mailfs_client_mailbox(c);
	ok(mb != NULL && mb->exists == 4, "exists 4 after UID EXPUNGE (%u)",
	    mb ? mb->exists : 0);

	collector_init(&col);
	h = collector_handlers(&col, 0);
	ok(itest_run(c, mailfs_uid_search(c, "ALL", &h), NULL, &tr) == 0,
	    "UID SEARCH ALL");
	ok(trace_find(&tr, 0, MAILFS_TRACE_SEND, "RETURN (ALL)") != -1,
	    "ESEARCH asked for with RETURN (ALL)");
	ok(trace_find(&tr, 0, MAILFS_TRACE_RECV, "ESEARCH") != -1,
	    "the server answered with ESEARCH");
	ok(set_equals(&col, after_uid, 4),
	    "only UID 4 was expunged: 1,2,6,7 remain");
	collector_free(&col);
	collector_init(&col);
	h = collector_handlers(&col, 0);
	ok(itest_run(c, mailfs_uid_search(c, "DELETED", &h), NULL, &tr) == 0 &&
	    set_equals(&col, deleted, 1), "UID 6 is still there, \\Deleted");
	collector_free(&col);

	ok(itest_run(c, mailfs_expunge(c), NULL, &tr) == 0, "EXPUNGE");
	mb = mailfs_client_mailbox(c);
	ok(mb != NULL && mb->exists == 3, "exists 3 after EXPUNGE (%u)",
	    mb ? mb->exists : 0);
	collector_init(&col);
	h = collector_handlers(&col, 0);
	ok(itest_run(c, mailfs_uid_search(c, "ALL", &h), NULL, &tr) == 0 &&
	    set_equals(&col, after_all, 3), "EXPUNGE removed UID 6");
	collector_free(&col);

	/* A search with many results, as a set. */
	ok(itest_run(c, mailfs_select(c, "Many", 0, NULL, NULL), NULL, &tr) == 0,
	    "SELECT Many");
	ok(itest_run(c, mailfs_uid_store(c, "10:19,50", MAILFS_STORE_ADD,
	    "\\Flagged", 1, 0, NULL), NULL, &tr) == 0,
	    "UID STORE 10:19,50 +FLAGS (\\Flagged)");
	for (i = 0; i < 10; i++)
		flagged[i] = 10 + i;
	flagged[10] = 50;
	collector_init(&col);
	h = collector_handlers(&col, 0);
	ok(itest_run(c, mailfs_uid_search(c, "FLAGGED", &h), NULL, &tr) == 0,
	    "UID SEARCH FLAGGED");
	ok(set_equals(&col, flagged, 11), "the set is 10:19,50 (%zu UIDs)",
	    col.nsearch);
	collector_free(&col);
	collector_init(&col);
	h = collector_handlers(&col, 0);
	ok(itest_run(c, mailfs_uid_search(c, "UNSEEN", &h), NULL, &tr) == 0,
	    "UID SEARCH UNSEEN");
	ok(col.nsearch == NMANY / 2, "half are unseen (%zu)", col.nsearch);
	collector_free(&col);
	collector_init(&col);
	h = collector_handlers(&col, 0);
	ok(itest_run(c, mailfs_uid_search(c, "KEYWORD $Nothing", &h), NULL,
	    &tr) == 0 && col.nsearch == 0, "a search that finds nothing");
	collector_free(&col);
}

int
main(void)
{
	size_t i;

	itest_start(&env, NULL);
	c = itest_login(&env, MAILFS_SEC_IMPLICIT_TLS, &tr, NULL);
	test_append();
	test_fetch_metadata();
	test_fetch_body();
	test_store();
	test_copy_move();
	test_expunge_search();
	ok(mailfs_client_logout(c) == 0, "LOGOUT");
	ok(!trace_contains(&tr, env.password), "the password is not in the trace");
	mailfs_client_free(&c);
	for (i = 0; i < 6; i++)
		free(work_msg[i]);
	trace_clear(&tr);
	testenv_stop(&env);
	return done_testing();
}
