/*
 * fetchall: the protocol's limit, the peer that the benchmark holds the
 * filesystem against.  One connection, the fewest round trips IMAP allows:
 *
 *	fetchall bodies		every selectable folder: EXAMINE, then one
 *				UID FETCH 1:* BODY.PEEK[] whose bodies stream
 *				to a handler that throws them away
 *	fetchall meta FOLDER	EXAMINE FOLDER, then one
 *				UID FETCH 1:* (UID FLAGS RFC822.SIZE INTERNALDATE)
 *				kept in a flat array, as a listing would keep it
 *	fetchall pick		for each "FOLDER<TAB>UID" line on stdin, one
 *				UID FETCH UID BODY.PEEK[] after the other
 *				(EXAMINE when the folder changes): what a
 *				reader that waits for each message costs
 *
 * The server comes from the environment that tests/harness/dovecot.sh
 * prints: IMAP_HOST, IMAPS_PORT (implicit TLS), TEST_CA, TEST_USER,
 * TEST_PASSWORD_FILE.  It prints one line:
 *
 *	seconds=S login=L bytes=B messages=N folders=F
 *
 * seconds counts from the end of login to the last byte, as the
 * filesystem's figures count from a finished mount; login is the time
 * connect and login took.
 *
 * RFC 3501 6.3.2 (EXAMINE), 6.4.8 (UID FETCH), 6.3.8 (LIST).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mailfs/mailfs.h>

struct tally {
	uint64_t bytes;
	uint32_t messages;
};

/* What a listing keeps of a message: the filesystem's per-message record. */
struct meta {
	uint32_t uid;
	uint32_t flags_len;
	uint64_t size;
	int64_t internaldate;
};

struct meta_list {
	struct meta *v;
	size_t count;
	size_t cap;
	int nomem;
};

struct folders {
	char **names;
	size_t count;
	size_t cap;
	int nomem;
};

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
count_body(void *ctx, uint32_t seq, uint64_t offset, uint64_t total,
    const char *data, size_t len)
{
	struct tally *t = ctx;

	(void)seq;
	(void)offset;
	(void)total;
	(void)data;
	t->bytes += len;
}

static void
count_fetch(void *ctx, const struct mailfs_msg *msg)
{
	struct tally *t = ctx;

	/* A body that did not stream (none of ours) still counts. */
	if (msg->present & MAILFS_MSG_BODY)
		t->bytes += msg->body_len;
	t->messages++;
}

static void
keep_meta(void *ctx, const struct mailfs_msg *msg)
{
	struct meta_list *l = ctx;
	struct meta *v;
	size_t cap;

	if (l->nomem)
		return;
	if (l->count == l->cap) {
		cap = l->cap ? l->cap * 2 : 1024;
		if ((v = realloc(l->v, cap * sizeof(*v))) == NULL) {
			l->nomem = 1;
			return;
		}
		l->v = v;
		l->cap = cap;
	}
	v = &l->v[l->count++];
	v->uid = msg->uid;
	v->flags_len = msg->flags ? (uint32_t)strlen(msg->flags) : 0;
	v->size = msg->size;
	v->internaldate = msg->internaldate;
}

static void
keep_folder(void *ctx, const struct mailfs_list_entry *e)
{
	struct folders *f = ctx;
	char **v;
	size_t cap;

	if (f->nomem || e->name == NULL ||
	    (e->attrs & (MAILFS_MBX_NOSELECT | MAILFS_MBX_NONEXISTENT)))
		return;
	if (f->count == f->cap) {
		cap = f->cap ? f->cap * 2 : 16;
		if ((v = realloc(f->names, cap * sizeof(*v))) == NULL) {
			f->nomem = 1;
			return;
		}
		f->names = v;
		f->cap = cap;
	}
	if ((f->names[f->count] = strdup(e->name)) == NULL) {
		f->nomem = 1;
		return;
	}
	f->count++;
}

static void
folders_clear(struct folders *f)
{
	size_t i;

	for (i = 0; i < f->count; i++)
		free(f->names[i]);
	free(f->names);
	memset(f, 0, sizeof(*f));
}

static int
fail(struct mailfs_client *c, const char *what)
{
	fprintf(stderr, "fetchall: %s: %s\n", what, mailfs_client_error(c)->msg);
	return -1;
}

/* EXAMINE folder; *exists_r gets its message count. */
static int
examine(struct mailfs_client *c, const char *folder, uint32_t *exists_r)
{
	if (mailfs_run(c, mailfs_select(c, folder, MAILFS_SELECT_READ_ONLY,
	    NULL, NULL), NULL) == -1)
		return fail(c, folder);
	*exists_r = mailfs_client_mailbox(c)->exists;
	return 0;
}

static int
fetch_bodies(struct mailfs_client *c, const char *uids, struct tally *t)
{
	struct mailfs_fetch_spec spec = { .items = MAILFS_FETCH_BODY };
	struct mailfs_handlers h = {
		.fetch = count_fetch, .body = count_body, .ctx = t
	};

	if (mailfs_run(c, mailfs_uid_fetch(c, uids, &spec, &h), NULL) == -1)
		return fail(c, "UID FETCH");
	return 0;
}

static int
mode_bodies(struct mailfs_client *c, struct tally *t, uint32_t *folders_r)
{
	struct folders f = { 0 };
	struct mailfs_handlers h = { .list = keep_folder, .ctx = &f };
	uint32_t exists;
	size_t i;
	int ret = -1;

	if (mailfs_run(c, mailfs_list(c, "", "*", 0, 0, &h), NULL) == -1) {
		fail(c, "LIST");
		goto out;
	}
	if (f.nomem) {
		fprintf(stderr, "fetchall: out of memory\n");
		goto out;
	}
	for (i = 0; i < f.count; i++) {
		if (examine(c, f.names[i], &exists) == -1)
			goto out;
		if (exists > 0 && fetch_bodies(c, "1:*", t) == -1)
			goto out;
	}
	*folders_r = f.count;
	ret = 0;
out:
	folders_clear(&f);
	return ret;
}

static int
mode_meta(struct mailfs_client *c, const char *folder, struct tally *t)
{
	struct meta_list l = { 0 };
	struct mailfs_fetch_spec spec = {
		.items = MAILFS_FETCH_FLAGS | MAILFS_FETCH_SIZE |
		    MAILFS_FETCH_INTERNALDATE
	};
	struct mailfs_handlers h = { .fetch = keep_meta, .ctx = &l };
	uint32_t exists;
	size_t i;
	int ret = -1;

	if (examine(c, folder, &exists) == -1)
		return -1;
	if (exists > 0 &&
	    mailfs_run(c, mailfs_uid_fetch(c, "1:*", &spec, &h), NULL) == -1) {
		fail(c, "UID FETCH");
		goto out;
	}
	if (l.nomem) {
		fprintf(stderr, "fetchall: out of memory\n");
		goto out;
	}
	t->messages = l.count;
	for (i = 0; i < l.count; i++)
		t->bytes += l.v[i].size;
	ret = 0;
out:
	free(l.v);
	return ret;
}

static int
mode_pick(struct mailfs_client *c, struct tally *t, uint32_t *folders_r)
{
	char line[1024], current[1024] = "", *tab, *end;
	uint32_t exists;

	while (fgets(line, sizeof(line), stdin) != NULL) {
		line[strcspn(line, "\r\n")] = '\0';
		if ((tab = strrchr(line, '\t')) == NULL || tab[1] == '\0' ||
		    strtoul(tab + 1, &end, 10) == 0 || *end != '\0') {
			fprintf(stderr, "fetchall: pick wants FOLDER<TAB>UID lines\n");
			return -1;
		}
		*tab = '\0';
		if (strcmp(line, current) != 0) {
			if (examine(c, line, &exists) == -1)
				return -1;
			memcpy(current, line, strlen(line) + 1);
			(*folders_r)++;
		}
		if (fetch_bodies(c, tab + 1, t) == -1)
			return -1;
	}
	return 0;
}

static int
read_password(const char *path, char *buf, size_t size)
{
	FILE *fp;

	if ((fp = fopen(path, "r")) == NULL) {
		perror(path);
		return -1;
	}
	if (fgets(buf, (int)size, fp) == NULL) {
		fprintf(stderr, "fetchall: %s is empty\n", path);
		fclose(fp);
		return -1;
	}
	fclose(fp);
	buf[strcspn(buf, "\r\n")] = '\0';
	return 0;
}

static const char *
env(const char *name)
{
	const char *v = getenv(name);

	if (v == NULL || *v == '\0') {
		fprintf(stderr, "fetchall: %s is not set (source dovecot.sh's output)\n",
		    name);
		exit(2);
	}
	return v;
}

static void
usage(void)
{
	fprintf(stderr, "usage: fetchall bodies | meta FOLDER | pick < FOLDER<TAB>UID lines\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	struct mailfs_params p = { 0 };
	struct mailfs_client *c;
	struct tally t = { 0 };
	char password[512];
	uint32_t folders = 0;
	double t0, t1;
	int r;

	if (argc < 2 || (strcmp(argv[1], "meta") == 0) != (argc == 3) ||
	    argc > 3)
		usage();
	p.host = env("IMAP_HOST");
	p.port = env("IMAPS_PORT");
	p.security = MAILFS_SEC_IMPLICIT_TLS;
	p.ca_file = env("TEST_CA");
	p.io_timeout_ms = 120000;
	if (read_password(env("TEST_PASSWORD_FILE"), password,
	    sizeof(password)) == -1)
		return 1;
	if ((c = mailfs_client_new(&p)) == NULL) {
		perror("fetchall");
		return 1;
	}
	t0 = now();
	if (mailfs_client_connect(c) == -1 ||
	    mailfs_client_login(c, env("TEST_USER"), password) == -1) {
		fail(c, "login");
		mailfs_client_free(&c);
		return 1;
	}
	t1 = now();
	if (strcmp(argv[1], "bodies") == 0)
		r = mode_bodies(c, &t, &folders);
	else if (strcmp(argv[1], "meta") == 0) {
		r = mode_meta(c, argv[2], &t);
		folders = 1;
	} else if (strcmp(argv[1], "pick") == 0)
		r = mode_pick(c, &t, &folders);
	else
		usage();
	if (r == 0)
		printf("seconds=%.4f login=%.4f bytes=%llu messages=%u folders=%u\n",
		    now() - t1, t1 - t0, (unsigned long long)t.bytes, t.messages,
		    folders);
	mailfs_client_logout(c);
	mailfs_client_free(&c);
	return r == 0 ? 0 : 1;
}
