/*
 * imap-folders: lists an IMAP account's folders with their message counts.
 * A small program of libmailfs's, and the first thing tests/demo.sh runs.
 *
 *	imap-folders [-c CAFILE] [-p PASSWORD_FILE] imaps://USER@HOST[:PORT]
 *
 * The password is the first line of PASSWORD_FILE, which must not be
 * readable by group or others, or is read from the terminal without echo.
 * Counts come from LIST-STATUS (RFC 5819) when the server offers it, else
 * from one STATUS per folder, all queued before the first answer is
 * awaited (pipelined).
 *
 * RFC 3501 (LIST, STATUS), RFC 5258 and RFC 5819 (LIST-EXTENDED,
 * LIST-STATUS), RFC 5092 (imap:// URLs).
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <mailfs/mailfs.h>

#define PASSWORD_MAX	1024
#define FOLDERS_MAX	100000	/* the most folders the server makes us keep */

struct folder {
	char *name;		/* UTF-8, or the raw name if not valid mUTF-7 */
	int decoded;		/* name is the UTF-8 name */
	int selectable;
	int has_count;
	uint32_t messages;
};

struct folders {
	struct folder *v;
	size_t n;
	size_t cap;
	int nomem;
};

static void __attribute__((noreturn))
usage(FILE *f, int status)
{
	fprintf(f, "usage: imap-folders [-c CAFILE] [-p PASSWORD_FILE] URL\n"
	    "\n"
	    "  URL  imaps://USER@HOST[:PORT]   TLS from the first byte (port 993)\n"
	    "       imap://USER@HOST[:PORT]    STARTTLS, required (port 143)\n"
	    "\n"
	    "  -c CAFILE         trust the certificates in CAFILE instead of the system's\n"
	    "  -p PASSWORD_FILE  the password is the file's first line (mode 0600);\n"
	    "                    without -p it is read from the terminal\n"
	    "  --help            this help\n"
	    "\n"
	    "Prints each folder with its number of messages.\n");
	exit(status);
}

static void __attribute__((noreturn, format(printf, 1, 2)))
fail(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "imap-folders: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	exit(1);
}

/* Overwrites a secret; volatile so that the stores are not optimised away. */
static void
wipe(char *s, size_t len)
{
	volatile char *p = s;

	while (len-- > 0)
		*p++ = '\0';
}

static void
chomp(char *s)
{
	s[strcspn(s, "\r\n")] = '\0';
}

/* The password file's first line; refuses a file others may read. */
static void
password_from_file(const char *path, char *buf, size_t size)
{
	struct stat st;
	FILE *f;
	int fd;

	if ((fd = open(path, O_RDONLY)) == -1)
		fail("%s: %s", path, strerror(errno));
	if (fstat(fd, &st) == -1)
		fail("%s: %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		fail("%s: not a regular file", path);
	if (st.st_mode & (S_IRGRP | S_IROTH))
		fail("%s is readable by group or others; chmod 600 it", path);
	if ((f = fdopen(fd, "r")) == NULL)
		fail("%s: %s", path, strerror(errno));
	if (fgets(buf, size, f) == NULL)
		fail("%s: no password in it", path);
	fclose(f);
	chomp(buf);
}

/* Asks on the terminal with echo off. */
static void
password_from_tty(const char *user, const char *host, char *buf, size_t size)
{
	struct termios old, noecho;
	FILE *tty;
	int ok;

	if ((tty = fopen("/dev/tty", "r+")) == NULL)
		fail("no terminal for the password; use -p PASSWORD_FILE");
	if (tcgetattr(fileno(tty), &old) == -1)
		fail("/dev/tty: %s", strerror(errno));
	noecho = old;
	noecho.c_lflag &= ~ECHO;
	noecho.c_lflag |= ECHONL;
	fprintf(tty, "Password for %s@%s: ", user, host);
	fflush(tty);
	if (tcsetattr(fileno(tty), TCSAFLUSH, &noecho) == -1)
		fail("/dev/tty: %s", strerror(errno));
	ok = fgets(buf, size, tty) != NULL;
	tcsetattr(fileno(tty), TCSAFLUSH, &old);
	fclose(tty);
	if (!ok)
		fail("no password given");
	chomp(buf);
}

static struct folder *
folder_find(struct folders *fs, const char *name)
{
	size_t i;

	if (name == NULL)
		return NULL;
	for (i = 0; i < fs->n; i++)
		if (fs->v[i].decoded && strcmp(fs->v[i].name, name) == 0)
			return &fs->v[i];
	return NULL;
}

static void
on_list(void *ctx, const struct mailfs_list_entry *e)
{
	struct folders *fs = ctx;
	struct folder *f, *nv;
	size_t ncap;

	if (fs->nomem || fs->n == FOLDERS_MAX)
		return;
	if (fs->n == fs->cap) {
		/* FOLDERS_MAX keeps ncap * sizeof(*nv) far from overflow. */
		ncap = fs->cap ? fs->cap * 2 : 32;
		if ((nv = realloc(fs->v, ncap * sizeof(*nv))) == NULL) {
			fs->nomem = 1;
			return;
		}
		fs->v = nv;
		fs->cap = ncap;
	}
	f = &fs->v[fs->n];
	memset(f, 0, sizeof(*f));
	f->decoded = e->name != NULL;
	if ((f->name = strdup(f->decoded ? e->name : e->raw_name)) == NULL) {
		fs->nomem = 1;
		return;
	}
	f->selectable = !(e->attrs &
	    (MAILFS_MBX_NOSELECT | MAILFS_MBX_NONEXISTENT));
	fs->n++;
}

static void
on_status(void *ctx, const struct mailfs_status *st)
{
	struct folder *f;

	if ((f = folder_find(ctx, st->name)) == NULL ||
	    !(st->present & MAILFS_STATUS_MESSAGES))
		return;
	f->messages = st->messages;
	f->has_count = 1;
}

/* INBOX first, then by name. */
static int
folder_cmp(const void *a, const void *b)
{
	const struct folder *fa = a, *fb = b;
	int ia, ib;

	ia = strcmp(fa->name, "INBOX") == 0;
	ib = strcmp(fb->name, "INBOX") == 0;

	if (ia != ib)
		return ib - ia;
	return strcmp(fa->name, fb->name);
}

static void
folders_free(struct folders *fs)
{
	size_t i;

	for (i = 0; i < fs->n; i++)
		free(fs->v[i].name);
	free(fs->v);
	memset(fs, 0, sizeof(*fs));
}

/*
 * One STATUS per selectable folder, all queued before any is awaited.
 * Every queued command goes to mailfs_run() once, even after a failure;
 * the first failure's message is kept in err.
 */
static int
status_each(struct mailfs_client *c, struct folders *fs,
    const struct mailfs_handlers *h, char *err, size_t errsize)
{
	struct mailfs_cmd **cmds;
	size_t i;
	int rc = 0;

	if (fs->n == 0)
		return 0;
	if ((cmds = calloc(fs->n, sizeof(*cmds))) == NULL) {
		snprintf(err, errsize, "out of memory");
		return -1;
	}
	for (i = 0; i < fs->n; i++)
		if (fs->v[i].selectable && fs->v[i].decoded)
			cmds[i] = mailfs_status(c, fs->v[i].name,
			    MAILFS_STATUS_MESSAGES, h);
	for (i = 0; i < fs->n; i++) {
		if (!fs->v[i].selectable || !fs->v[i].decoded)
			continue;
		if (mailfs_run(c, cmds[i], NULL) == -1 && rc == 0) {
			snprintf(err, errsize, "STATUS %s: %s", fs->v[i].name,
			    mailfs_client_error(c)->msg);
			rc = -1;
		}
	}
	free(cmds);
	return rc;
}

int
main(int argc, char *argv[])
{
	struct mailfs_url url;
	struct mailfs_params params;
	struct mailfs_handlers h;
	struct mailfs_client *c;
	struct folders fs;
	const char *ca_file = NULL, *password_file = NULL, *why = NULL;
	char password[PASSWORD_MAX], err[MAILFS_ERROR_MSG_MAX + 64];
	unsigned list_flags = 0;
	size_t i;
	int ch, rc;

	for (i = 1; i < (size_t)argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "--help") == 0)
			usage(stdout, 0);
	while ((ch = getopt(argc, argv, "c:hp:")) != -1) {
		switch (ch) {
		case 'c':
			ca_file = optarg;
			break;
		case 'p':
			password_file = optarg;
			break;
		case 'h':
			usage(stdout, 0);
		default:
			usage(stderr, 1);
		}
	}
	if (argc - optind != 1)
		usage(stderr, 1);

	if (mailfs_url_parse(argv[optind], &url, &why) == -1)
		fail("%s: %s", argv[optind],
		    errno == EINVAL && why != NULL ? why : strerror(errno));
	if (url.user == NULL)
		fail("%s: the URL names no user (imaps://USER@HOST)",
		    argv[optind]);

	if (password_file != NULL)
		password_from_file(password_file, password, sizeof(password));
	else
		password_from_tty(url.user, url.host, password,
		    sizeof(password));

	memset(&params, 0, sizeof(params));
	params.host = url.host;
	params.port = url.port;
	params.security = url.security;
	params.ca_file = ca_file;
	if ((c = mailfs_client_new(&params)) == NULL)
		fail("%s", strerror(errno));

	if (mailfs_client_connect(c) == -1 ||
	    mailfs_client_login(c, url.user, password) == -1) {
		wipe(password, sizeof(password));
		fail("%s", mailfs_client_error(c)->msg);
	}
	wipe(password, sizeof(password));

	memset(&fs, 0, sizeof(fs));
	memset(&h, 0, sizeof(h));
	h.list = on_list;
	h.status = on_status;
	h.ctx = &fs;
	if (mailfs_client_has_capability(c, "LIST-STATUS"))
		list_flags |= MAILFS_LIST_STATUS;
	if (mailfs_run(c, mailfs_list(c, "", "*", list_flags,
	    MAILFS_STATUS_MESSAGES, &h), NULL) == -1)
		fail("LIST: %s", mailfs_client_error(c)->msg);
	if (fs.nomem)
		fail("out of memory");

	rc = 0;
	if (!(list_flags & MAILFS_LIST_STATUS))
		rc = status_each(c, &fs, &h, err, sizeof(err));
	if (rc == -1)
		fail("%s", err);

	qsort(fs.v, fs.n, sizeof(*fs.v), folder_cmp);
	for (i = 0; i < fs.n; i++) {
		if (fs.v[i].has_count)
			printf("%8lu  %s\n", (unsigned long)fs.v[i].messages,
			    fs.v[i].name);
		else
			printf("%8s  %s%s\n", "-", fs.v[i].name,
			    fs.v[i].decoded ? "" : " (invalid mUTF-7)");
	}
	if (fflush(stdout) == EOF || ferror(stdout))
		fail("stdout: %s", strerror(errno));

	mailfs_client_logout(c);
	mailfs_client_free(&c);
	folders_free(&fs);
	mailfs_url_clear(&url);
	return 0;
}
