/*
 * Commands on mailboxes against a real Dovecot: CAPABILITY, NOOP, ID,
 * ENABLE, NAMESPACE, LIST (SPECIAL-USE, LIST-STATUS), STATUS, CREATE,
 * DELETE, RENAME with non-ASCII names, SELECT/EXAMINE state, UNSELECT,
 * LOGOUT, and the NO responses with [NONEXISTENT] and [ALREADYEXISTS].
 *
 * RFC 3501, 5161, 2342, 6154, 5258, 5819, 7162, 2971, 4315.
 */
#include <sys/stat.h>

#include <stdio.h>
#include <string.h>

#include "../tap.h"
#include "test_common.h"

static struct testenv env;
static struct trace tr;

static void
check_no(struct mailfs_client *c, int rv, enum mailfs_code code,
    const char *code_name, const char *what)
{
	const struct mailfs_error *e = mailfs_client_error(c);

	if (!ok(rv == -1 && e->kind == MAILFS_ERR_NO && e->code == code,
	    "%s: NO [%s]", what, *code_name ? code_name : "no code")) {
		diag("rv %d, kind %s, code %d [%s]: %s", rv,
		    mailfs_errkind_name(e->kind), (int)e->code, e->code_name,
		    e->msg);
		trace_dump(&tr, 4);
	}
	ok(strcmp(e->code_name, code_name) == 0, "%s: code_name is %s (got %s)",
	    what, code_name, e->code_name);
}

/* 1 when the Maildir++ folder for the mUTF-7 name exists on the server's disk. */
static int
maildir_exists(const char *raw)
{
	char path[1024];
	struct stat sb;

	snprintf(path, sizeof(path), "%s/mail/.%s", env.dir, raw);
	return stat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
}

static void
test_any_state(struct mailfs_client *c)
{
	ok(itest_run(c, mailfs_capability(c), NULL, &tr) == 0, "CAPABILITY");
	ok(mailfs_client_capabilities(c) & MAILFS_CAP_QRESYNC,
	    "CAPABILITY: QRESYNC still known");
	ok(itest_run(c, mailfs_noop(c), NULL, &tr) == 0, "NOOP");
	ok(itest_run(c, mailfs_id(c), NULL, &tr) == 0, "ID");
	ok(trace_find(&tr, 0, MAILFS_TRACE_SEND, "ID (\"name\" \"libmailfs\"") != -1,
	    "ID names the library");
}

static void
test_enable_namespace(struct mailfs_client *c)
{
	struct collector col;
	struct mailfs_handlers h;

	ok(!mailfs_client_qresync_enabled(c), "QRESYNC not enabled yet");
	ok(itest_run(c, mailfs_enable(c, "CONDSTORE QRESYNC"), NULL, &tr) == 0,
	    "ENABLE CONDSTORE QRESYNC");
	ok(mailfs_client_condstore_enabled(c), "CONDSTORE enabled");
	ok(mailfs_client_qresync_enabled(c), "QRESYNC enabled");

	collector_init(&col);
	h = collector_handlers(&col, 0);
	ok(itest_run(c, mailfs_namespace(c, &h), NULL, &tr) == 0, "NAMESPACE");
	ok(col.namespace_calls == 1, "NAMESPACE: one personal namespace");
	ok(col.ns_prefix != NULL && strcmp(col.ns_prefix, "") == 0,
	    "NAMESPACE: prefix \"\"");
	ok(col.ns_delimiter == '.', "NAMESPACE: delimiter '.'");
	collector_free(&col);
}

static void
test_list(struct mailfs_client *c)
{
	struct collector col;
	struct mailfs_handlers h;
	const struct mailfs_status *st;
	long i;

	collector_init(&col);
	h = collector_handlers(&col, 0);
	ok(itest_run(c, mailfs_list(c, "", "*", MAILFS_LIST_SPECIAL_USE, 0, &h),
	    NULL, &tr) == 0, "LIST \"\" * RETURN (SPECIAL-USE)");
	ok(trace_find(&tr, 0, MAILFS_TRACE_SEND, "SPECIAL-USE") != -1,
	    "LIST: asked for SPECIAL-USE");
	ok(col.nlist >= 5, "LIST: at least INBOX, Drafts, Sent, Trash, Junk (%zu)",
	    col.nlist);
	i = collector_list_index(&col, "Trash");
	ok(i != -1 && (col.attrs[i] & MAILFS_MBX_TRASH), "LIST: Trash is \\Trash");
	i = collector_list_index(&col, "Sent");
	ok(i != -1 && (col.attrs[i] & MAILFS_MBX_SENT), "LIST: Sent is \\Sent");
	i = collector_list_index(&col, "Drafts");
	ok(i != -1 && (col.attrs[i] & MAILFS_MBX_DRAFTS), "LIST: Drafts is \\Drafts");
	i = collector_list_index(&col, "Junk");
	ok(i != -1 && (col.attrs[i] & MAILFS_MBX_JUNK), "LIST: Junk is \\Junk");
	i = collector_list_index(&col, "INBOX");
	ok(i != -1 && !(col.attrs[i] & (MAILFS_MBX_TRASH | MAILFS_MBX_SENT)),
	    "LIST: INBOX has no special use");
	ok(col.delimiter == '.', "LIST: delimiter '.'");
	ok(mailfs_client_delimiter(c) == '.', "the client learnt the delimiter");
	collector_free(&col);

	collector_init(&col);
	h = collector_handlers(&col, 0);
	ok(itest_run(c, mailfs_list(c, "", "*", MAILFS_LIST_STATUS,
	    MAILFS_STATUS_MESSAGES | MAILFS_STATUS_UIDNEXT |
	    MAILFS_STATUS_UIDVALIDITY, &h), NULL, &tr) == 0,
	    "LIST RETURN (STATUS (MESSAGES UIDNEXT UIDVALIDITY))");
	ok(col.nstatus == col.nlist && col.nstatus >= 5,
	    "LIST-STATUS: a STATUS for every mailbox (%zu of %zu)",
	    col.nstatus, col.nlist);
	st = collector_status(&col, "INBOX");
	ok(st != NULL && (st->present & MAILFS_STATUS_MESSAGES) &&
	    (st->present & MAILFS_STATUS_UIDNEXT) &&
	    (st->present & MAILFS_STATUS_UIDVALIDITY) && st->uidnext >= 1 &&
	    st->uidvalidity != 0, "LIST-STATUS: INBOX's items");
	collector_free(&col);

	collector_init(&col);
	h = collector_handlers(&col, 0);
	ok(itest_run(c, mailfs_list(c, "", "%", 0, 0, &h), NULL, &tr) == 0,
	    "plain LIST \"\" %%");
	ok(collector_list_index(&col, "INBOX") != -1, "plain LIST: INBOX");
	collector_free(&col);
}

static void
test_names(struct mailfs_client *c)
{
	static const char *parent = "Bücher & Zeitschriften";
	static const char *parent_raw = "B&APw-cher &- Zeitschriften";
	static const char *child = "Bücher & Zeitschriften.Übersicht";
	static const char *child_raw = "B&APw-cher &- Zeitschriften.&ANw-bersicht";
	static const char *renamed = "日本語.Grüße";
	static const char *renamed_raw = "&ZeVnLIqe-.Gr&APwA3w-e";
	struct collector col;
	struct mailfs_handlers h;
	const struct mailfs_status *st;
	long i;

	ok(itest_run(c, mailfs_create(c, child), NULL, &tr) == 0,
	    "CREATE %s", child);
	ok(trace_find(&tr, 0, MAILFS_TRACE_SEND, child_raw) != -1,
	    "CREATE sent the modified UTF-7 name");
	ok(maildir_exists(child_raw), "the server stored it as %s", child_raw);

	collector_init(&col);
	h = collector_handlers(&col, 0);
	ok(itest_run(c, mailfs_list(c, "", "*", 0, 0, &h), NULL, &tr) == 0,
	    "LIST after CREATE");
	i = collector_list_index(&col, child);
	ok(i != -1, "LIST: the UTF-8 name round-trips");
	ok(i != -1 && col.raw_names[i] != NULL &&
	    strcmp(col.raw_names[i], child_raw) == 0,
	    "LIST: raw name is %s (got %s)", child_raw,
	    i != -1 && col.raw_names[i] ? col.raw_names[i] : "(none)");
	i = collector_list_index(&col, parent);
	ok(i != -1 && col.raw_names[i] != NULL &&
	    strcmp(col.raw_names[i], parent_raw) == 0,
	    "LIST: the parent %s (raw %s)", parent, parent_raw);
	ok(i != -1 && (col.attrs[i] & MAILFS_MBX_HASCHILDREN),
	    "LIST: the parent \\HasChildren");
	collector_free(&col);

	collector_init(&col);
	h = collector_handlers(&col, 0);
	ok(itest_run(c, mailfs_status(c, child, MAILFS_STATUS_MESSAGES |
	    MAILFS_STATUS_UIDNEXT | MAILFS_STATUS_UIDVALIDITY |
	    MAILFS_STATUS_UNSEEN | MAILFS_STATUS_HIGHESTMODSEQ |
	    MAILFS_STATUS_RECENT, &h), NULL, &tr) == 0, "STATUS %s", child);
	st = col.nstatus == 1 ? &col.status[0].st : NULL;
	ok(st != NULL && st->name != NULL && strcmp(st->name, child) == 0,
	    "STATUS: the answer names the mailbox in UTF-8");
	ok(st != NULL && (st->present & MAILFS_STATUS_MESSAGES) &&
	    st->messages == 0 && st->uidnext == 1 && st->uidvalidity != 0 &&
	    (st->present & MAILFS_STATUS_UNSEEN) && st->unseen == 0 &&
	    (st->present & MAILFS_STATUS_RECENT) &&
	    (st->present & MAILFS_STATUS_HIGHESTMODSEQ),
	    "STATUS: every item asked for, with the values of an empty mailbox");
	collector_free(&col);

	ok(itest_run(c, mailfs_rename(c, child, renamed), NULL, &tr) == 0,
	    "RENAME to %s", renamed);
	ok(!maildir_exists(child_raw) && maildir_exists(renamed_raw),
	    "the server renamed it to %s", renamed_raw);
	collector_init(&col);
	h = collector_handlers(&col, 0);
	ok(itest_run(c, mailfs_list(c, "", "日本語*", 0, 0, &h), NULL, &tr) == 0,
	    "LIST with a non-ASCII pattern");
	i = collector_list_index(&col, renamed);
	ok(i != -1 && col.raw_names[i] != NULL &&
	    strcmp(col.raw_names[i], renamed_raw) == 0,
	    "LIST: the renamed mailbox, raw %s", renamed_raw);
	ok(collector_list_index(&col, child) == -1, "LIST: the old name is gone");
	collector_free(&col);

	check_no(c, mailfs_run(c, mailfs_create(c, renamed), NULL),
	    MAILFS_CODE_ALREADYEXISTS, "ALREADYEXISTS", "CREATE of an existing mailbox");
	ok(itest_run(c, mailfs_delete(c, renamed), NULL, &tr) == 0, "DELETE %s",
	    renamed);
	ok(!maildir_exists(renamed_raw), "the server deleted it");
	/* The parent existed only as the child's ancestor: gone with it. */
	check_no(c, mailfs_run(c, mailfs_delete(c, parent), NULL),
	    MAILFS_CODE_NONEXISTENT, "NONEXISTENT", "DELETE of a missing mailbox");
}

static void
test_select(struct mailfs_client *c)
{
	const struct mailfs_mailbox_state *mb;
	struct mailfs_cmd_result res;
	static const char msg[] = "Subject: s\r\n\r\nbody\r\n";
	uint32_t uidvalidity;
	int i;

	for (i = 0; i < 3; i++)
		ok(itest_run(c, mailfs_append(c, "INBOX", NULL, -1, msg,
		    sizeof(msg) - 1), NULL, &tr) == 0, "APPEND %d to INBOX", i);

	/*
	 * Dovecot 2.3 answers SELECT of a missing mailbox with a bare
	 * "NO Mailbox doesn't exist" (no [NONEXISTENT], unlike DELETE): the
	 * code must be what the server sent, none.
	 */
	check_no(c, mailfs_run(c, mailfs_select(c, "No such box", 0, NULL, NULL),
	    NULL), MAILFS_CODE_NONE, "", "SELECT of a missing mailbox");
	ok(mailfs_client_mailbox(c) == NULL, "no mailbox after the failed SELECT");
	ok(mailfs_client_state(c) == MAILFS_STATE_AUTHENTICATED,
	    "authenticated after the failed SELECT");

	memset(&res, 0, sizeof(res));
	ok(itest_run(c, mailfs_select(c, "INBOX", MAILFS_SELECT_CONDSTORE, NULL,
	    NULL), &res, &tr) == 0, "SELECT INBOX");
	ok(mailfs_client_state(c) == MAILFS_STATE_SELECTED, "state SELECTED");
	mb = mailfs_client_mailbox(c);
	ok(mb != NULL, "mailbox state present");
	if (mb == NULL)
		return;
	ok(mb->name != NULL && strcmp(mb->name, "INBOX") == 0, "name INBOX");
	ok(mb->exists == 3, "exists 3 (%u)", mb->exists);
	ok(mb->uidvalidity != 0, "uidvalidity %u", mb->uidvalidity);
	ok(mb->uidnext == 4, "uidnext 4 (%u)", mb->uidnext);
	ok(mb->highestmodseq > 0, "highestmodseq %llu",
	    (unsigned long long)mb->highestmodseq);
	ok(!mb->read_only, "SELECT is read-write");
	ok(mb->flags != NULL && has_flag(mb->flags, "\\Seen") &&
	    has_flag(mb->flags, "\\Deleted"), "FLAGS (%s)",
	    mb->flags ? mb->flags : "NULL");
	ok(mb->permanent_flags != NULL && has_flag(mb->permanent_flags, "\\*") &&
	    has_flag(mb->permanent_flags, "\\Flagged"), "PERMANENTFLAGS (%s)",
	    mb->permanent_flags ? mb->permanent_flags : "NULL");
	ok(strstr(res.text, "Select completed") != NULL,
	    "the tagged text (%s)", res.text);
	mailfs_cmd_result_clear(&res);
	uidvalidity = mb->uidvalidity;

	ok(itest_run(c, mailfs_select(c, "INBOX", MAILFS_SELECT_READ_ONLY, NULL,
	    NULL), NULL, &tr) == 0, "EXAMINE INBOX");
	ok(trace_find(&tr, 0, MAILFS_TRACE_SEND, "EXAMINE") != -1, "EXAMINE sent");
	mb = mailfs_client_mailbox(c);
	ok(mb != NULL && mb->read_only, "EXAMINE is read-only");
	ok(mb != NULL && mb->exists == 3 && mb->uidvalidity == uidvalidity,
	    "EXAMINE: same exists and uidvalidity");

	ok(itest_run(c, mailfs_unselect(c), NULL, &tr) == 0, "UNSELECT");
	ok(mailfs_client_mailbox(c) == NULL, "no mailbox after UNSELECT");
	ok(mailfs_client_state(c) == MAILFS_STATE_AUTHENTICATED,
	    "authenticated after UNSELECT");
	ok(mailfs_run(c, mailfs_uid_expunge(c, "1:*"), NULL) == -1,
	    "a selected-state command is refused when nothing is selected");
}

int
main(void)
{
	struct mailfs_client *c;

	itest_start(&env, NULL);
	c = itest_login(&env, MAILFS_SEC_IMPLICIT_TLS, &tr, NULL);
	test_any_state(c);
	test_enable_namespace(c);
	test_list(c);
	test_names(c);
	test_select(c);
	ok(mailfs_client_logout(c) == 0, "LOGOUT");
	ok(trace_find(&tr, 0, MAILFS_TRACE_RECV, "BYE") != -1, "the server said BYE");
	ok(mailfs_client_state(c) != MAILFS_STATE_SELECTED &&
	    mailfs_client_state(c) != MAILFS_STATE_AUTHENTICATED,
	    "not authenticated after LOGOUT");
	ok(mailfs_run(c, mailfs_noop(c), NULL) == -1, "no command after LOGOUT");
	mailfs_client_free(&c);
	trace_clear(&tr);
	testenv_stop(&env);
	return done_testing();
}
