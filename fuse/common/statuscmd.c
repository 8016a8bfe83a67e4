/*
 * mailfs status (statuscmd.h).  Each mount's status attribute is lines
 * "key: value"; the command keeps the keys it shows and ignores the
 * rest, so that the attribute may grow.
 */
#include <sys/types.h>
#if defined(__linux__)
#include <sys/xattr.h>
#endif

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "statuscmd.h"

#define STATUS_ATTR	"user.mailfs.status"
#define MAX_MOUNTS	64
#define NCELLS		11	/* the table's columns */

enum {
	K_STATE, K_SINCE, K_SERVER, K_QUEUED, K_CACHED, K_STORE, K_ERROR, K_ERROR_AT,
	K_ACCOUNT, K_CONTACT, K_N
};

static const char *const keys[K_N] = {
	"state", "since", "server", "queued", "cached", "store", "last-error", "last-error-at",
	"account", "last-contact"
};

struct row {
	char mount[1024];
	char value[K_N][512];
	char outbox[24];		/* "-" without Outbox/ */
};

/* The attribute name of path into buf: its length, or -1 with errno. */
static long
read_attr(const char *path, const char *name, char *buf, size_t size)
{
#if defined(__linux__)
	ssize_t n = getxattr(path, name, buf, size - 1);

	if (n < 0)
		return -1;
	buf[n] = '\0';
	return (long)n;
#else
	(void)path;
	(void)name;
	(void)buf;
	(void)size;
	errno = ENOTSUP;
	return -1;
#endif
}

static void
outbox_count(const char *mount, char *out, size_t size)
{
	char path[1100];
	struct dirent *e;
	DIR *d;
	long n = 0;

	snprintf(path, sizeof(path), "%s/Outbox", mount);
	if ((d = opendir(path)) == NULL) {
		snprintf(out, size, "-");
		return;
	}
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	snprintf(out, size, "%ld", n);
}

/*
 * Reads one mount into r: 0, or -1 said on stderr; 1 without a word
 * when it is another user's (found in /proc/mounts, not named).
 */
static int
read_row(const char *mount, int named, struct row *r)
{
	char buf[4096], *line, *next, *colon;
	int k;

	memset(r, 0, sizeof(*r));
	snprintf(r->mount, sizeof(r->mount), "%s", mount);
	if (read_attr(mount, STATUS_ATTR, buf, sizeof(buf)) < 0) {
		if (!named && (errno == EACCES || errno == EPERM))
			return 1;
		fprintf(stderr, "mailfs: %s: %s\n", mount, errno == ENODATA || errno == ENOTSUP ?
		    "not a mailfs mount" : strerror(errno));
		return -1;
	}
	for (line = buf; line != NULL && *line != '\0'; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if ((colon = strstr(line, ": ")) == NULL)
			continue;
		*colon = '\0';
		for (k = 0; k < K_N; k++)
			if (strcmp(line, keys[k]) == 0)
				snprintf(r->value[k], sizeof(r->value[k]), "%s", colon + 2);
	}
	outbox_count(mount, r->outbox, sizeof(r->outbox));
	return 0;
}

/*
 * Adds path to out[*n] (at most max), or, for a mount of every account,
 * the directory of each account under it; a path already there is not
 * added again (an account's own mount is in /proc/mounts too).
 */
static void
add_target(const char *path, char (*out)[1024], int *n, int max)
{
	char names[4096], sub[1024], *name, *next;
	int i;

	if (read_attr(path, STATUS_ACCOUNTS_ATTR, names, sizeof(names)) < 0) {
		for (i = 0; i < *n; i++)
			if (strcmp(out[i], path) == 0)
				return;
		if (*n < max)
			snprintf(out[(*n)++], 1024, "%s", path);
		return;
	}
	for (name = names; *name != '\0'; name = next) {
		if ((next = strchr(name, '\n')) == NULL)
			next = name + strlen(name);
		else
			*next++ = '\0';
		snprintf(sub, sizeof(sub), "%s/%s", path, name);
		add_target(sub, out, n, max);
	}
}

/* /proc/mounts escapes blanks and backslashes as \ooo. */
static void
unescape(char *s)
{
	char *d = s;

	for (; *s != '\0'; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*d++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 3;
		} else
			*d++ = *s;
	}
	*d = '\0';
}

/* The mount points of type fuse.mailfs, at most max: how many, or -1. */
static int
find_mounts(char (*out)[1024], int max)
{
	char line[4096], src[1024], dir[1024], type[64];
	FILE *f;
	int n = 0;

	if ((f = fopen("/proc/mounts", "r")) == NULL)
		return -1;
	while (n < max && fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "%1023s %1023s %63s", src, dir, type) != 3 ||
		    strcmp(type, "fuse.mailfs") != 0)
			continue;
		unescape(dir);
		snprintf(out[n++], 1024, "%s", dir);
	}
	fclose(f);
	return n;
}

static void
json_string(const char *s)
{
	putchar('"');
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			printf("\\u%04x", (unsigned char)*s);
		else
			putchar(*s);
	}
	putchar('"');
}

/* s as a string, or null when it says nothing is known ("", "-", "none"). */
static void
json_known(const char *s)
{
	if (s[0] == '\0' || strcmp(s, "-") == 0 || strcmp(s, "none") == 0)
		printf("null");
	else
		json_string(s);
}

/* A number at the start of s ("12", "3 of 40 messages", "2048 bytes"), or null. */
static void
json_number(const char *s)
{
	size_t n = strspn(s, "0123456789");

	if (n == 0)
		printf("null");
	else
		printf("%.*s", (int)n, s);
}

static void
print_json(const struct row *rows, int n)
{
	const char *of;
	int i;

	printf("[");
	for (i = 0; i < n; i++) {
		const struct row *r = &rows[i];

		printf("%s\n  {\"mount\": ", i > 0 ? "," : "");
		json_string(r->mount);
		printf(", \"account\": ");
		json_known(r->value[K_ACCOUNT]);
		printf(", \"state\": ");
		json_string(r->value[K_STATE]);
		printf(", \"since\": ");
		json_known(r->value[K_SINCE]);
		printf(", \"server\": ");
		json_known(r->value[K_SERVER]);
		printf(", \"last_contact\": ");
		json_known(r->value[K_CONTACT]);
		printf(", \"queued\": ");
		json_number(r->value[K_QUEUED]);
		printf(", \"outbox\": ");
		json_number(r->outbox);
		printf(", \"cached\": ");
		json_number(r->value[K_CACHED]);
		of = strstr(r->value[K_CACHED], " of ");
		printf(", \"listed\": ");
		json_number(of != NULL ? of + 4 : "");
		printf(", \"store_bytes\": ");
		json_number(r->value[K_STORE]);
		printf(", \"last_error\": ");
		if (strcmp(r->value[K_ERROR], "none") == 0 || r->value[K_ERROR][0] == '\0')
			printf("null, \"last_error_at\": null}");
		else {
			json_string(r->value[K_ERROR]);
			printf(", \"last_error_at\": ");
			json_string(r->value[K_ERROR_AT]);
			printf("}");
		}
	}
	printf("%s]\n", n > 0 ? "\n" : "");
}

/* s, or "-" when empty. */
static const char *
dash(const char *s)
{
	return s[0] != '\0' ? s : "-";
}

/* The cells of r's line: "12 of 40 messages" as "12/40", a store of bytes as MiB. */
static void
cells_of(const struct row *r, char *cached, char *store, char *error, size_t size,
    const char **cell)
{
	unsigned long c, l;

	if (sscanf(r->value[K_CACHED], "%lu of %lu", &c, &l) == 2)
		snprintf(cached, size, "%lu/%lu", c, l);
	else
		snprintf(cached, size, "%s", r->value[K_CACHED]);
	if (r->value[K_STORE][0] == '\0')
		snprintf(store, size, "-");
	else
		snprintf(store, size, "%.1fM", strtod(r->value[K_STORE], NULL) / 1048576.0);
	if (strcmp(r->value[K_ERROR], "none") == 0 || r->value[K_ERROR][0] == '\0')
		snprintf(error, size, "-");
	else if (r->value[K_ERROR_AT][0] == '\0')	/* an account not mounted */
		snprintf(error, size, "%.400s", r->value[K_ERROR]);
	else
		snprintf(error, size, "%.40s: %.400s", r->value[K_ERROR_AT], r->value[K_ERROR]);
	cell[0] = dash(r->value[K_ACCOUNT]);
	cell[1] = r->mount;
	cell[2] = r->value[K_STATE];
	cell[3] = dash(r->value[K_SINCE]);
	cell[4] = dash(r->value[K_SERVER]);
	cell[5] = strcmp(r->value[K_CONTACT], "none") == 0 ? "-" : dash(r->value[K_CONTACT]);
	cell[6] = dash(r->value[K_QUEUED]);
	cell[7] = r->outbox;
	cell[8] = dash(cached);
	cell[9] = store;
	cell[10] = error;
}

static void
print_table(const struct row *rows, int n)
{
	static const char *const head[NCELLS] = {
		"ACCOUNT", "MOUNT", "STATE", "SINCE", "SERVER", "LAST CONTACT", "QUEUED",
		"OUTBOX", "CACHED", "STORE", "LAST ERROR"
	};
	char cached[512], store[512], error[512];	/* one size: cells_of() */
	const char *cell[NCELLS];
	size_t w[NCELLS];
	int i, j;

	/* Two passes over the rows: the widths, then the lines. */
	for (j = 0; j < NCELLS; j++)
		w[j] = strlen(head[j]);
	for (i = 0; i < n; i++) {
		cells_of(&rows[i], cached, store, error, sizeof(error), cell);
		for (j = 0; j < NCELLS; j++)
			if (strlen(cell[j]) > w[j])
				w[j] = strlen(cell[j]);
	}
	for (i = -1; i < n; i++) {
		if (i >= 0)
			cells_of(&rows[i], cached, store, error, sizeof(error), cell);
		for (j = 0; j < NCELLS; j++) {
			if (j < NCELLS - 1)
				printf("%-*s  ", (int)w[j], i < 0 ? head[j] : cell[j]);
			else
				printf("%s\n", i < 0 ? head[j] : cell[j]);
		}
	}
}

int
status_main(int argc, char **argv)
{
	static struct row rows[MAX_MOUNTS];
	static char found[MAX_MOUNTS][1024], targets[MAX_MOUNTS][1024];
	int i, r, n = 0, json = 0, status = 0, nmounts = 0, ntargets = 0, named;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = 1;
		else if (argv[i][0] == '-') {
			fprintf(stderr, "usage: mailfs status [--json] [MOUNTPOINT...]\n");
			return 1;
		} else if (nmounts < MAX_MOUNTS)
			snprintf(found[nmounts++], sizeof(found[0]), "%s", argv[i]);
	}
	named = nmounts > 0;
	if (!named && (nmounts = find_mounts(found, MAX_MOUNTS)) <= 0) {
		fprintf(stderr, "mailfs: %s\n", nmounts < 0 ? "no /proc/mounts: name the "
		    "mount points" : "nothing of mailfs is mounted");
		return 1;
	}
	for (i = 0; i < nmounts; i++)
		add_target(found[i], targets, &ntargets, MAX_MOUNTS);
	for (i = 0; i < ntargets; i++) {
		if ((r = read_row(targets[i], named, &rows[n])) == 0)
			n++;
		else if (r < 0)
			status = 1;
	}
	if (json)
		print_json(rows, n);
	else if (n > 0)
		print_table(rows, n);
	return status;
}
