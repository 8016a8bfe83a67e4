/*
 * mailfs status (status.h).
 */
#include <sys/types.h>
#ifdef __linux__
#include <sys/xattr.h>
#endif

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rootfs.h"
#include "status.h"

#define STATUS_XATTR	"user.mailfs.status"

/* One account's row: the status lines by key, each malloc'ed or NULL. */
enum {
	F_ACCOUNT, F_STATE, F_SINCE, F_SERVER, F_CONTACT, F_QUEUED, F_OUTBOX,
	F_CACHED, F_LISTED, F_STORE, F_ERROR, F_ERROR_AT, F_N
};

/* The status line's key of each field ("" for the ones parsed apart). */
static const char *const keys[F_N] = {
	"account", "state", "since", "server", "last-contact", "queued", "outbox",
	"", "", "", "last-error", "last-error-at"
};

struct row {
	char *mount;
	char *f[F_N];
};

static struct row *rows;
static size_t nrows;

/* The value of xattr name of path, NUL-terminated, into *value_r (malloc'ed): 0 or an errno. */
static int
xattr_get(const char *path, const char *name, char **value_r)
{
#ifdef __linux__
	ssize_t n, m;
	char *v;

	for (;;) {
		if ((n = getxattr(path, name, NULL, 0)) == -1)
			return errno;
		if ((v = malloc((size_t)n + 1)) == NULL)
			return ENOMEM;
		if ((m = getxattr(path, name, v, (size_t)n)) >= 0) {
			v[m] = '\0';
			*value_r = v;
			return 0;
		}
		free(v);
		if (errno != ERANGE)	/* it grew meanwhile: again */
			return errno;
	}
#else
	(void)path;
	(void)name;
	(void)value_r;
	return ENOTSUP;
#endif
}

static struct row *
row_new(const char *mount)
{
	struct row *v;

	if ((v = realloc(rows, (nrows + 1) * sizeof(*rows))) == NULL)
		return NULL;
	rows = v;
	memset(&rows[nrows], 0, sizeof(rows[nrows]));
	if ((rows[nrows].mount = strdup(mount)) == NULL)
		return NULL;
	return &rows[nrows++];
}

/* n as text, malloc'ed (NULL: no memory). */
static char *
number(unsigned long long n)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%llu", n);
	return strdup(buf);
}

/* Takes the lines "key: value" of text into r. */
static void
row_parse(struct row *r, char *text)
{
	unsigned long long cached, listed;
	char *line, *next, *value;
	size_t i;

	for (line = text; line != NULL && *line != '\0'; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if ((value = strstr(line, ": ")) == NULL)
			continue;
		*value = '\0';
		value += 2;
		if (strcmp(line, "cached") == 0 &&
		    sscanf(value, "%llu of %llu", &cached, &listed) == 2) {
			r->f[F_CACHED] = number(cached);
			r->f[F_LISTED] = number(listed);
		} else if (strcmp(line, "store") == 0)
			r->f[F_STORE] = strndup(value, strcspn(value, " "));
		for (i = 0; i < F_N; i++)
			if (keys[i][0] != '\0' && strcmp(line, keys[i]) == 0 &&
			    r->f[i] == NULL)
				r->f[i] = strdup(value);
	}
}

/* The row of the mount (or account directory) path: 0, or 1 when unreadable. */
static int
add_row(const char *path)
{
	struct row *r;
	char *text;
	int e;

	if ((r = row_new(path)) == NULL) {
		fprintf(stderr, "mailfs: out of memory\n");
		return 1;
	}
	if ((e = xattr_get(path, STATUS_XATTR, &text)) != 0) {
		r->f[F_STATE] = strdup("unreadable");
		r->f[F_ERROR] = strdup(strerror(e));
		return 1;
	}
	row_parse(r, text);
	free(text);
	return 0;
}

/*
 * The rows of the mount at path: each account's of a mount of every
 * account, else its own.  0, 1 when one was unreadable, -1 when it is no
 * mailfs mount (and explicit said so).
 */
static int
add_mount(const char *path, int explicit, int *parent_r)
{
	char *names, *name, *next, *sub;
	int bad = 0;

	*parent_r = 0;
	if (xattr_get(path, ROOTFS_ACCOUNTS_XATTR, &names) != 0) {
		if (explicit) {
			char *text;

			if (xattr_get(path, STATUS_XATTR, &text) != 0) {
				fprintf(stderr, "mailfs: %s is no mailfs mount\n", path);
				return -1;
			}
			free(text);
		}
		return add_row(path);
	}
	*parent_r = 1;
	for (name = names; *name != '\0'; name = next) {
		if ((next = strchr(name, '\n')) == NULL)
			next = name + strlen(name);
		else
			*next++ = '\0';
		if ((sub = malloc(strlen(path) + strlen(name) + 2)) == NULL) {
			bad = 1;
			break;
		}
		sprintf(sub, "%s/%s", path, name);
		bad |= add_row(sub);
		free(sub);
	}
	free(names);
	return bad;
}

/* /proc/self/mounts's octal escapes (\040) undone, in place. */
static void
unescape(char *s)
{
	char *d = s;

	for (; *s != '\0'; s++)
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*d++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 3;
		} else
			*d++ = *s;
	*d = '\0';
}

/*
 * Every mailfs mount of the mount table; an account mounted under a
 * mount of every account is that one's row, not a row again.
 */
static int
add_all(void)
{
	char line[4096], mnt[4096], type[256], **v = NULL, **nv;
	size_t n = 0, i, j, len;
	int bad = 0, parent;
	FILE *f;

	if ((f = fopen("/proc/self/mounts", "r")) == NULL) {
		fprintf(stderr, "mailfs: no mount table to read: name the mount "
		    "(mailfs status MOUNT)\n");
		return 1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "%*s %4095s %255s", mnt, type) != 2 ||
		    strcmp(type, "fuse.mailfs") != 0)
			continue;
		unescape(mnt);
		if ((nv = realloc(v, (n + 1) * sizeof(*v))) == NULL)
			break;
		v = nv;
		if ((v[n] = strdup(mnt)) != NULL)
			n++;
	}
	fclose(f);
	for (i = 0; i < n; i++) {
		if (v[i] == NULL)
			continue;
		if (add_mount(v[i], 0, &parent) > 0)
			bad = 1;
		if (!parent)
			continue;
		/* The accounts under it are its rows now. */
		len = strlen(v[i]);
		for (j = 0; j < n; j++)
			if (j != i && v[j] != NULL && strncmp(v[j], v[i], len) == 0 &&
			    v[j][len] == '/' && strchr(v[j] + len + 1, '/') == NULL) {
				/* Mounted after it, so listed after it: not yet a row. */
				free(v[j]);
				v[j] = NULL;
			}
	}
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
	return bad;
}

/* "1234567" bytes as "1.2M"; "-" when not known. */
static const char *
human(const char *bytes, char *buf, size_t size)
{
	static const char units[] = "KMGT";
	double v;
	int u = -1;

	if (bytes == NULL || bytes[0] < '0' || bytes[0] > '9')
		return "-";
	v = strtod(bytes, NULL);
	if (v < 1024) {
		snprintf(buf, size, "%s", bytes);
		return buf;
	}
	while (v >= 1024 && u < 3) {
		v /= 1024;
		u++;
	}
	snprintf(buf, size, v < 10 ? "%.1f%c" : "%.0f%c", v, units[u]);
	return buf;
}

/* The table's cell of row r, column c. */
static const char *
cell(const struct row *r, int c, char *buf, size_t size)
{
	static const int fields[] = { F_ACCOUNT, F_STATE, F_SERVER, F_CONTACT, F_QUEUED,
	    F_OUTBOX, F_CACHED, F_STORE, F_ERROR };
	const char *v;

	if (fields[c] == F_STORE)
		return human(r->f[F_STORE], buf, size);
	v = r->f[fields[c]];
	/* A mount of a URL has no account's name: its mount point instead. */
	if (fields[c] == F_ACCOUNT && (v == NULL || strcmp(v, "-") == 0))
		v = r->mount;
	return v != NULL ? v : "-";
}

#define NCOLS	9

static void
print_table(void)
{
	static const char *const head[NCOLS] = { "ACCOUNT", "STATE", "SERVER",
	    "LAST-CONTACT", "QUEUED", "OUTBOX", "CACHED", "STORE", "LAST-ERROR" };
	size_t w[NCOLS], i, len;
	char buf[32];
	int c;

	for (c = 0; c < NCOLS; c++)
		w[c] = strlen(head[c]);
	for (i = 0; i < nrows; i++)
		for (c = 0; c < NCOLS; c++)
			if ((len = strlen(cell(&rows[i], c, buf, sizeof(buf)))) > w[c])
				w[c] = len;
	for (c = 0; c < NCOLS; c++)
		printf(c < NCOLS - 1 ? "%-*s  " : "%-*s\n", c < NCOLS - 1 ? (int)w[c] : 0,
		    head[c]);
	for (i = 0; i < nrows; i++)
		for (c = 0; c < NCOLS; c++)
			printf(c < NCOLS - 1 ? "%-*s  " : "%-*s\n", c < NCOLS - 1 ?
			    (int)w[c] : 0, cell(&rows[i], c, buf, sizeof(buf)));
}

/* s as a JSON string (RFC 8259 7), or null. */
static void
json_string(const char *s)
{
	const unsigned char *p;

	if (s == NULL) {
		fputs("null", stdout);
		return;
	}
	putchar('"');
	for (p = (const unsigned char *)s; *p != '\0'; p++)
		if (*p == '"' || *p == '\\')
			printf("\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			printf("\\u%04x", *p);
		else
			putchar(*p);
	putchar('"');
}

/* A number as the daemon wrote it (digits only), else null. */
static void
json_number(const char *s)
{
	if (s == NULL || s[0] == '\0' || strspn(s, "0123456789") != strlen(s))
		fputs("null", stdout);
	else
		fputs(s, stdout);
}

static void
print_json(void)
{
	static const struct { const char *key; int f, number; } out[] = {
		{ "account", F_ACCOUNT, 0 }, { "state", F_STATE, 0 },
		{ "since", F_SINCE, 0 }, { "server", F_SERVER, 0 },
		{ "last_contact", F_CONTACT, 0 }, { "queued", F_QUEUED, 1 },
		{ "outbox", F_OUTBOX, 1 }, { "cached", F_CACHED, 1 },
		{ "listed", F_LISTED, 1 }, { "store_bytes", F_STORE, 1 },
		{ "last_error", F_ERROR, 0 }, { "last_error_at", F_ERROR_AT, 0 },
	};
	size_t i, k;
	const char *v;

	putchar('[');
	for (i = 0; i < nrows; i++) {
		printf("%s\n  {\"mount\": ", i > 0 ? "," : "");
		json_string(rows[i].mount);
		for (k = 0; k < sizeof(out) / sizeof(out[0]); k++) {
			printf(", \"%s\": ", out[k].key);
			v = rows[i].f[out[k].f];
			/* "none" and "-" say: not known. */
			if (v != NULL && (strcmp(v, "none") == 0 || strcmp(v, "-") == 0))
				v = NULL;
			if (out[k].number)
				json_number(v);
			else
				json_string(v);
		}
		putchar('}');
	}
	printf("%s]\n", nrows > 0 ? "\n" : "");
}

int
status_main(int argc, char **argv)
{
	const char *mount = NULL;
	size_t i;
	int json = 0, bad, parent, k;

	for (k = 1; k < argc; k++) {
		if (strcmp(argv[k], "--json") == 0)
			json = 1;
		else if (argv[k][0] != '-' && mount == NULL)
			mount = argv[k];
		else {
			fprintf(stderr, "usage: mailfs status [--json] [MOUNT]\n");
			return 1;
		}
	}
	if (mount != NULL)
		bad = add_mount(mount, 1, &parent);
	else
		bad = add_all();
	if (bad >= 0) {
		if (json)
			print_json();
		else
			print_table();
	}
	for (i = 0; i < nrows; i++) {
		free(rows[i].mount);
		for (k = 0; k < F_N; k++)
			free(rows[i].f[k]);
	}
	free(rows);
	rows = NULL;
	nrows = 0;
	return bad != 0;
}
