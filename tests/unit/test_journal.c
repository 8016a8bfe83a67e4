/*
 * fuse/store/journal.c: what a reopened journal holds after adds and
 * marks, a torn tail, a damaged record, its emptying once nothing is
 * pending, strings of every kind and none, a record too long, and adds
 * of several threads at once (every one kept, no sequence number twice).
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../tap.h"
#include "crc.h"
#include "journal.h"
#include "log.h"

static char dir[64], path[128], why[256];

static void
reopen(void)
{
	journal_close();
	if (journal_open(dir, why, sizeof(why)) != 0) {
		printf("Bail out! %s\n", why);
		exit(1);
	}
}

static off_t
file_size(void)
{
	struct stat st;

	return stat(path, &st) == 0 ? st.st_size : -1;
}

static uint64_t
add_expunge(const char *mailbox, uint32_t uid)
{
	struct journal_change c = { .kind = JOURNAL_EXPUNGE, .uidvalidity = 7, .uid = uid };

	c.mailbox = (char *)mailbox;
	return journal_add(&c) == 0 ? c.seq : 0;
}

#define THREADS	4
#define PER	250

static void *
adder(void *arg)
{
	int i;

	for (i = 0; i < PER; i++)
		if (add_expunge((const char *)arg, (uint32_t)i + 1) == 0)
			return (void *)1;
	return NULL;
}

int
main(void)
{
	struct journal_change c, *v;
	pthread_t t[THREADS];
	char big[JOURNAL_PAYLOAD_MAX + 1];
	uint64_t s1, s2, s3;
	size_t n, i;
	off_t sz;
	int fd, good;
	void *res;

	crc32_init();
	snprintf(dir, sizeof(dir), "%s/journal.XXXXXX", getenv("TMPDIR") != NULL ?
	    getenv("TMPDIR") : "/tmp");
	if (mkdtemp(dir) == NULL) {
		printf("Bail out! mkdtemp\n");
		return 1;
	}
	snprintf(path, sizeof(path), "%s/journal", dir);
	reopen();

	/* Every field of a change comes back as it was added. */
	memset(&c, 0, sizeof(c));
	c.kind = JOURNAL_MOVE;
	c.uidvalidity = 1234;
	c.uid = 42;
	c.size = 5000;
	c.date = -5;
	c.mode = 2;
	c.delim = '/';
	c.mailbox = "INBOX";
	c.mailbox2 = "Archive/2026 \xc3\xa9t\xc3\xa9";
	c.name = "a file";
	c.msgid = "<x@y>";
	ok(journal_add(&c) == 0 && c.seq != 0 && c.added != 0, "a move is added");
	s1 = c.seq;
	s2 = add_expunge("INBOX", 7);
	s3 = add_expunge("Sent", 8);
	ok(s2 > s1 && s3 > s2, "sequence numbers increase");
	reopen();
	ok(journal_pending_count() == 3, "three pending after a reopen");
	ok(journal_pending(&v, &n) == 0 && n == 3, "they are copied out");
	ok(v[0].seq == s1 && v[0].kind == JOURNAL_MOVE && v[0].uidvalidity == 1234 &&
	    v[0].uid == 42 && v[0].size == 5000 && v[0].date == -5 && v[0].mode == 2 &&
	    v[0].delim == '/' && strcmp(v[0].mailbox, "INBOX") == 0 &&
	    strcmp(v[0].mailbox2, c.mailbox2) == 0 && strcmp(v[0].name, "a file") == 0 &&
	    strcmp(v[0].msgid, "<x@y>") == 0 && v[0].flags == NULL && v[0].file == NULL,
	    "every field comes back, NULL strings as NULL");
	ok(v[1].seq == s2 && v[2].seq == s3 && strcmp(v[2].mailbox, "Sent") == 0,
	    "in the order they were added");
	journal_changes_free(v, n);

	/* A mark survives a reopen; an unknown one is harmless. */
	ok(journal_done(s2) == 0 && journal_done(s2) == 0 && journal_done(999) == 0,
	    "marks, again and unknown");
	reopen();
	ok(journal_pending(&v, &n) == 0 && n == 2 && v[0].seq == s1 && v[1].seq == s3,
	    "a marked change is no longer pending");
	journal_changes_free(v, n);
	ok(add_expunge("INBOX", 9) > s3, "a new number after a reopen passes the old ones");

	/* A torn tail is cut: its add never returned. */
	sz = file_size();
	fd = open(path, O_WRONLY | O_APPEND);
	ok(fd != -1 && write(fd, "MFJ1torn", 8) == 8, "a torn record is appended");
	close(fd);
	reopen();
	ok(journal_pending_count() == 3 && file_size() == sz, "the torn tail is cut off");

	/* A damaged last record goes; the ones before stay. */
	s1 = add_expunge("Trash", 10);
	sz = file_size();
	fd = open(path, O_RDWR);
	ok(fd != -1 && pwrite(fd, "Z", 1, sz - 3) == 1, "a byte of the last record flipped");
	close(fd);
	reopen();
	ok(journal_pending_count() == 3, "the damaged record is dropped, the others stay");

	/* An attempt is on disk: it survives a reopen; a change may be added attempted. */
	s2 = add_expunge("INBOX", 11);
	ok(journal_attempt(s2) == 0 && journal_attempt(s2) == 0, "an attempt marked, twice");
	memset(&c, 0, sizeof(c));
	c.kind = JOURNAL_EXPUNGE;
	c.mailbox = "INBOX";
	c.attempted = 1;
	ok(journal_add(&c) == 0, "a change added as attempted");
	s3 = c.seq;
	reopen();
	ok(journal_pending(&v, &n) == 0, "read back");
	for (i = 0, good = 0; i < n; i++)
		if (v[i].seq == s2 || v[i].seq == s3)
			good += v[i].attempted;
		else if (v[i].attempted)
			good = -100;
	ok(good == 2, "both are attempted after a reopen, no other is");
	journal_changes_free(v, n);
	ok(journal_is_pending(s2) && journal_is_pending(s3), "pending, each found by number");
	ok(journal_done(s2) == 0 && journal_done(s3) == 0 && !journal_is_pending(s2) &&
	    !journal_is_pending(s3), "marked done: no longer pending");

	/* Files named by pending changes are held. */
	memset(&c, 0, sizeof(c));
	c.kind = JOURNAL_APPEND;
	c.mailbox = "Drafts";
	c.file = "/store/staging/1.2";
	ok(journal_add(&c) == 0 && journal_holds_file("/store/staging/1.2") &&
	    !journal_holds_file("/store/staging/1.3"), "a pending append holds its file");
	ok(journal_done(c.seq) == 0 && !journal_holds_file("/store/staging/1.2"),
	    "and lets it go when done");

	/* Too long: refused, nothing added. */
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memset(&c, 0, sizeof(c));
	c.kind = JOURNAL_CREATE;
	c.mailbox = big;
	n = journal_pending_count();
	ok(journal_add(&c) == E2BIG && journal_pending_count() == n, "a record too long is refused");

	/* Nothing pending: emptied at the next open. */
	ok(journal_pending(&v, &n) == 0, "the pending ones");
	for (i = 0, good = 1; i < n; i++)
		good &= journal_done(v[i].seq) == 0;
	journal_changes_free(v, n);
	ok(good && journal_pending_count() == 0, "all marked");
	reopen();
	ok(file_size() == 0, "the file is emptied when nothing is pending");

	/* Threads adding at once: every change kept, each number once. */
	for (i = 0; i < THREADS; i++)
		pthread_create(&t[i], NULL, adder, i % 2 ? "A" : "B");
	for (i = 0, good = 1; i < THREADS; i++) {
		pthread_join(t[i], &res);
		good &= res == NULL;
	}
	ok(good, "%d threads added %d each", THREADS, PER);
	reopen();
	ok(journal_pending(&v, &n) == 0 && n == THREADS * PER, "all %d are pending after a reopen",
	    THREADS * PER);
	for (i = 1, good = 1; i < n; i++)
		good &= v[i].seq > v[i - 1].seq;
	ok(good, "in increasing order, none twice");
	/* Marking most of them compacts what is kept in memory, not what is pending. */
	for (i = 0; i + 1 < n; i++)
		(void)journal_done(v[i].seq);
	ok(journal_pending_count() == 1, "one left after marking the others");
	s1 = v[n - 1].seq;
	journal_changes_free(v, n);
	reopen();
	ok(journal_pending(&v, &n) == 0 && n == 1 && v[0].seq == s1, "the right one");
	journal_changes_free(v, n);

	journal_close();
	unlink(path);
	rmdir(dir);
	return done_testing();
}
