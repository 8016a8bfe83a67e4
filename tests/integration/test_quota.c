/*
 * Quotas against a real Dovecot with a storage limit (dovecot.sh
 * --quota=): GETQUOTAROOT's QUOTAROOT and QUOTA answers, and APPEND over
 * the limit failing with NO [OVERQUOTA].
 *
 * RFC 9208 (QUOTA), RFC 5530 (response codes).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../tap.h"
#include "test_common.h"

#define LIMIT	200000

static struct testenv env;
static struct trace tr;

static void
quotaroot(struct mailfs_client *c, struct collector *col, const char *what)
{
	struct mailfs_handlers h;

	collector_init(col);
	h = collector_handlers(col, 0);
	ok(itest_run(c, mailfs_getquotaroot(c, "INBOX", &h), NULL, &tr) == 0,
	    "GETQUOTAROOT INBOX (%s)", what);
}

int
main(void)
{
	struct mailfs_client *c;
	struct collector col;
	const struct mailfs_error *e;
	char opt[32], *m;
	size_t len;
	uint64_t usage;
	int rv;

	snprintf(opt, sizeof(opt), "--quota=%d", LIMIT);
	itest_start(&env, opt);
	c = itest_login(&env, MAILFS_SEC_IMPLICIT_TLS, &tr, NULL);
	ok(mailfs_client_capabilities(c) & MAILFS_CAP_QUOTA, "QUOTA offered");

	quotaroot(c, &col, "empty");
	ok(col.quotaroot_calls >= 1 && col.quotaroot_mailbox != NULL &&
	    strcmp(col.quotaroot_mailbox, "INBOX") == 0,
	    "QUOTAROOT names INBOX");
	ok(col.quotaroot_root != NULL && strcmp(col.quotaroot_root,
	    "User quota") == 0, "QUOTAROOT's root \"User quota\" (%s)",
	    col.quotaroot_root ? col.quotaroot_root : "none");
	ok(col.quota_root != NULL && strcmp(col.quota_root, "User quota") == 0,
	    "QUOTA for that root");
	/* Dovecot rounds the byte limit up to whole KiB. */
	ok(col.quota_limit == LIMIT / 1024 ||
	    col.quota_limit == (LIMIT + 1023) / 1024,
	    "STORAGE limit %d KiB (%llu)", (LIMIT + 1023) / 1024,
	    (unsigned long long)col.quota_limit);
	ok(col.quota_usage == 0, "STORAGE usage 0 (%llu)",
	    (unsigned long long)col.quota_usage);
	collector_free(&col);

	m = make_message("fits", 100000, &len);
	ok(itest_run(c, mailfs_append(c, "INBOX", NULL, -1, m, len), NULL,
	    &tr) == 0, "APPEND of 100 KB under the quota");
	free(m);
	quotaroot(c, &col, "after 100 KB");
	usage = col.quota_usage;
	ok(usage >= 97 && usage <= 100, "STORAGE usage about 98 KiB (%llu)",
	    (unsigned long long)usage);
	collector_free(&col);

	m = make_message("too big", 150000, &len);
	rv = mailfs_run(c, mailfs_append(c, "INBOX", NULL, -1, m, len), NULL);
	e = mailfs_client_error(c);
	if (!ok(rv == -1 && e->kind == MAILFS_ERR_NO &&
	    e->code == MAILFS_CODE_OVERQUOTA, "APPEND over the quota: NO [OVERQUOTA]"))
		diag("rv %d kind %s code %d [%s]: %s", rv,
		    mailfs_errkind_name(e->kind), (int)e->code, e->code_name, e->msg);
	ok(strcmp(e->code_name, "OVERQUOTA") == 0, "code_name OVERQUOTA");
	free(m);
	ok(itest_run(c, mailfs_noop(c), NULL, &tr) == 0,
	    "the connection is fine after the refused APPEND");
	quotaroot(c, &col, "after the refusal");
	ok(col.quota_usage == usage, "usage unchanged (%llu)",
	    (unsigned long long)col.quota_usage);
	collector_free(&col);

	mailfs_client_logout(c);
	mailfs_client_free(&c);
	trace_clear(&tr);
	testenv_stop(&env);
	return done_testing();
}
