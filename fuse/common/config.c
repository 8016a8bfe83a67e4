/*
 * The accounts file (config.h).  inih splits lines into sections and
 * key = value pairs; its reader callback, which is ours, sees every raw
 * line first, so that it counts lines (inih tells the handler none),
 * finds each [section] (inih names none without a key), and catches
 * what inih would pass silently: a line cut at inih's length limit, a
 * value cut at an inline comment, an indented line taken as the
 * continuation of the value above.  The values are judged by
 * options_parse() itself, the code that judges the command line.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ini.h>

#include "config.h"

#define NAME_MAX_INIH	49	/* inih's MAX_SECTION less its NUL */

/* Options of libfuse that make sense for an account (mount(8)'s words). */
static const char *const fuse_flags[] = {
	"allow_other", "allow_root", "auto_unmount", "ro", "rw", "noatime",
	"noexec", "nosuid", "nodev", NULL
};

/* What mount(8) and mount.fuse3 act on and mailfs does not (mount(8) OPTIONS). */
static const char *const mount_only[] = {
	"auto", "noauto", "user", "nouser", "users", "owner", "group", "_netdev",
	"nofail", "defaults", NULL
};

struct complaint {
	int line;
	size_t seq;		/* qsort is not stable */
	char *text;
};

struct load {
	struct config *c;
	FILE *in;
	FILE *err;
	int line;		/* of the raw line read last */
	int indented;		/* it began with a blank */
	char raw[1024];		/* the last line read, without its newline */
	struct complaint *said;	/* printed sorted by line at the end */
	size_t nsaid;
	char prev[64];		/* the key the handler had last */
	int refused;		/* in a [section] refused (said already) */
	int errors;
	int last_error_line;
	int enomem;
};

static int
in_list(const char *const *list, const char *s)
{
	for (; *list != NULL; list++)
		if (strcmp(*list, s) == 0)
			return 1;
	return 0;
}

int
config_mount_only(const char *opt)
{
	return in_list(mount_only, opt) || strncmp(opt, "x-", 2) == 0 ||
	    strncmp(opt, "comment=", 8) == 0 || strncmp(opt, "user=", 5) == 0;
}

static void complain(struct load *l, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* One line "PATH:LINE: what", kept for say_all(). */
static void
complain(struct load *l, int line, const char *fmt, ...)
{
	struct complaint *c;
	char text[600];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if ((c = realloc(l->said, (l->nsaid + 1) * sizeof(*c))) == NULL ||
	    (c[l->nsaid].text = strdup(text)) == NULL) {
		if (c != NULL)
			l->said = c;
		l->enomem = 1;
		return;
	}
	l->said = c;
	c[l->nsaid].line = line;
	c[l->nsaid].seq = l->nsaid;
	l->nsaid++;
	l->errors++;
	l->last_error_line = line;
}

static char *
trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static struct config_account *
current(struct load *l)
{
	return l->c->n == 0 ? NULL : &l->c->accounts[l->c->n - 1];
}

/* A [section] line: a new account, unless its name is taken or empty. */
static void
section(struct load *l, char *p)
{
	struct config_account *a;
	char *end;
	size_t i;

	l->refused = 1;
	l->prev[0] = '\0';
	if ((end = strchr(p + 1, ']')) == NULL) {
		complain(l, l->line, "%s: a section is [NAME]", p);
		return;
	}
	*end = '\0';
	p++;
	if (*p == '\0' || strchr(p, '/') != NULL) {
		complain(l, l->line, "[%s]: an account's name is not empty and holds no /", p);
		return;
	}
	/* inih cuts a section's name there; its keys would then be nobody's. */
	if (strlen(p) > NAME_MAX_INIH) {
		complain(l, l->line, "[%.*s...]: an account's name is at most %d bytes",
		    NAME_MAX_INIH, p, NAME_MAX_INIH);
		return;
	}
	if (strcmp(p, "status") == 0) {
		complain(l, l->line, "[status]: the name is taken by mailfs status");
		return;
	}
	for (i = 0; i < l->c->n; i++)
		if (strcmp(l->c->accounts[i].name, p) == 0) {
			complain(l, l->line, "duplicate section [%s] (first on line %d)", p,
			    l->c->accounts[i].line);
			return;
		}
	a = realloc(l->c->accounts, (l->c->n + 1) * sizeof(*a));
	if (a == NULL) {
		l->enomem = 1;
		return;
	}
	l->c->accounts = a;
	a = &a[l->c->n];
	memset(a, 0, sizeof(*a));
	if ((a->name = strdup(p)) == NULL) {
		l->enomem = 1;
		return;
	}
	a->line = l->line;
	l->c->n++;
	l->refused = 0;
}

/*
 * inih's reader: one whole line into buf (at most num - 1 bytes with its
 * newline, as fgets()), looked at before inih parses it.
 */
static char *
reader(char *buf, int num, void *user)
{
	struct load *l = user;
	char *p;
	size_t n;
	int c, longer = 0;

	if (fgets(l->raw, sizeof(l->raw), l->in) == NULL)
		return NULL;
	l->line++;
	n = strlen(l->raw);
	if (n > 0 && l->raw[n - 1] == '\n')
		l->raw[--n] = '\0';
	else if (!feof(l->in)) {
		/* Longer than our buffer: the rest of it goes. */
		while ((c = fgetc(l->in)) != EOF && c != '\n')
			;
		longer = 1;
	}
	if (longer || n + 2 > (size_t)num) {
		complain(l, l->line, "a line longer than %d bytes", num - 2);
		buf[0] = '\0';
		return buf;
	}
	/* inih skips a UTF-8 byte order mark; so do we. */
	if (l->line == 1 && strncmp(l->raw, "\xef\xbb\xbf", 3) == 0)
		memmove(l->raw, l->raw + 3, (n -= 3) + 1);
	memcpy(buf, l->raw, n);
	buf[n] = '\n';
	buf[n + 1] = '\0';
	l->indented = l->raw[0] == ' ' || l->raw[0] == '\t';
	p = trim(l->raw);
	if (*p == '[')
		section(l, p);
	else if (*p != '\0' && *p != '#' && *p != ';' && strpbrk(p, "=:") == NULL) {
		if (options_known(p) || in_list(fuse_flags, p))
			complain(l, l->line, "a flag is written \"%s = yes\"", p);
		else
			complain(l, l->line, "%s: not [NAME] nor OPTION = VALUE", p);
		/* inih's own complaint about it is this one. */
		buf[0] = '\0';
	}
	return buf;
}

static int
by_line(const void *a, const void *b)
{
	const struct complaint *x = a, *y = b;

	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Prints what complain() kept, in the file's order, and forgets it. */
static void
say_all(struct load *l)
{
	size_t i;

	if (l->nsaid > 0)
		qsort(l->said, l->nsaid, sizeof(*l->said), by_line);
	for (i = 0; i < l->nsaid; i++) {
		fprintf(l->err, "%s:%d: %s\n", l->c->path, l->said[i].line, l->said[i].text);
		free(l->said[i].text);
	}
	free(l->said);
	l->said = NULL;
	l->nsaid = 0;
}

static int
is_yes(const char *v)
{
	return strcmp(v, "yes") == 0 || strcmp(v, "true") == 0 || strcmp(v, "1") == 0;
}

static int
is_no(const char *v)
{
	return strcmp(v, "no") == 0 || strcmp(v, "false") == 0 || strcmp(v, "0") == 0;
}

static int
add_option(struct config_account *a, const char *text, int line)
{
	struct config_option *o;

	if ((o = realloc(a->opts, (a->nopts + 1) * sizeof(*o))) == NULL)
		return ENOMEM;
	a->opts = o;
	if ((o[a->nopts].text = strdup(text)) == NULL)
		return ENOMEM;
	o[a->nopts].line = line;
	a->nopts++;
	return 0;
}

/* The key of an option's text ("refresh" of "refresh=5") equals name. */
static int
same_key(const char *text, const char *name)
{
	size_t n = strlen(name);

	return strncmp(text, name, n) == 0 && (text[n] == '\0' || text[n] == '=');
}

/* inih's handler: one key = value of the account whose [section] came last. */
static int
handler(void *user, const char *sect, const char *name, const char *value)
{
	struct load *l = user;
	struct config_account *a = current(l);
	char text[1100], *sep;
	size_t i;

	if (l->last_error_line == l->line || l->refused)
		return 1;
	if (a == NULL || strcmp(a->name, sect) != 0) {
		complain(l, l->line, "%s: an option before the first [ACCOUNT]", name);
		return 1;
	}
	/* inih takes an indented line for more of the value above. */
	if (l->indented && strcmp(l->prev, name) == 0) {
		complain(l, l->line, "an indented line would continue the value above: "
		    "unindent it");
		return 1;
	}
	snprintf(l->prev, sizeof(l->prev), "%s", name);
	/* An inline comment (" ;") would have cut the value: say so, never cut. */
	sep = strpbrk(l->raw, "=:");
	if (sep == NULL || strcmp(trim(sep + 1), value) != 0) {
		complain(l, l->line, "%s: \" ;\" would start a comment in the value", name);
		return 1;
	}
	if (strcmp(name, "url") == 0) {
		if (a->url != NULL)
			complain(l, l->line, "duplicate option url");
		else if (value[0] == '\0')
			complain(l, l->line, "url = is empty");
		else if ((a->url = strdup(value)) == NULL)
			l->enomem = 1;
		return 1;
	}
	if (strcmp(name, "account") == 0 || strcmp(name, "config") == 0) {
		complain(l, l->line, "%s= belongs on the command line", name);
		return 1;
	}
	for (i = 0; i < a->nopts; i++)
		if (same_key(a->opts[i].text, name)) {
			complain(l, l->line, "duplicate option %s", name);
			return 1;
		}
	snprintf(text, sizeof(text), "%s=%s", name, value);
	if (!options_known(text)) {
		if (!options_known(name) && !in_list(fuse_flags, name)) {
			complain(l, l->line, "unknown option %s", name);
			return 1;
		}
		/* A flag. */
		if (is_no(value))
			return 1;
		if (!is_yes(value)) {
			complain(l, l->line, "%s takes yes or no", name);
			return 1;
		}
		snprintf(text, sizeof(text), "%s", name);
	}
	if (add_option(a, text, l->line) != 0)
		l->enomem = 1;
	return 1;
}

/* text for one -o argument: fuse_opt splits at commas, unless escaped. */
static char *
config_escape(const char *text)
{
	char *e, *d;

	if ((e = malloc(2 * strlen(text) + 1)) == NULL)
		return NULL;
	for (d = e; *text != '\0'; text++) {
		if (*text == ',' || *text == '\\')
			*d++ = '\\';
		*d++ = *text;
	}
	*d = '\0';
	return e;
}

/*
 * A way to sign in given on the command line replaces the file's, either
 * way: a password file or command, or a token command (which signs in to
 * SMTP too, so it replaces the file's SMTP password as well).
 */
static int
overridden(const struct options *cl, const char *text)
{
	if (cl == NULL)
		return 0;
	if (same_key(text, "password_file") || same_key(text, "password_command") ||
	    same_key(text, "oauth2_token_command"))
		return cl->password_file != NULL || cl->password_command != NULL ||
		    cl->oauth2_token_command != NULL;
	if (same_key(text, "smtp_password_file") || same_key(text, "smtp_password_command"))
		return cl->smtp_password_file != NULL || cl->smtp_password_command != NULL ||
		    cl->oauth2_token_command != NULL;
	return 0;
}

static void
free_argv(char **argv)
{
	char **p;

	if (argv == NULL)
		return;
	for (p = argv; *p != NULL; p++)
		free(*p);
	free(argv);
}

/*
 * A command line: argv0, "-o OPTION" for each of a's options (less the
 * one at skip, and those cl's override), then tail: each string a copy,
 * NULL-terminated, freed with free_argv().  NULL when out of memory.
 */
static char **
build_argv(const struct config_account *a, size_t skip, const struct options *cl,
    const char *argv0, char *const *tail, int ntail, int *argc_r)
{
	char **argv;
	size_t i;
	int n = 0;

	if ((argv = calloc(2 * a->nopts + (size_t)ntail + 2, sizeof(*argv))) == NULL)
		return NULL;
	if ((argv[n++] = strdup(argv0)) == NULL)
		goto fail;
	for (i = 0; i < a->nopts; i++) {
		if (i == skip || overridden(cl, a->opts[i].text))
			continue;
		if ((argv[n++] = strdup("-o")) == NULL ||
		    (argv[n++] = config_escape(a->opts[i].text)) == NULL)
			goto fail;
	}
	for (i = 0; i < (size_t)ntail; i++)
		if ((argv[n++] = strdup(tail[i])) == NULL)
			goto fail;
	*argc_r = n;
	return argv;
fail:
	free_argv(argv);
	return NULL;
}

/*
 * Runs options_parse() on the account's options, less the one at skip
 * ((size_t)-1: none), with a dummy URL and mount point: 0, or EINVAL
 * with why.
 */
static int
try_options(const struct config_account *a, size_t skip, char *why, size_t whylen)
{
	static char *const tail[] = { "imaps://check@localhost", "/" };
	struct options o;
	char **argv;
	int argc, r;

	if ((argv = build_argv(a, skip, NULL, "mailfs", tail, 2, &argc)) == NULL) {
		snprintf(why, whylen, "out of memory");
		return ENOMEM;
	}
	r = options_parse(argc, argv, &o, why, whylen);
	options_free(&o);
	free_argv(argv);
	return r;
}

/*
 * An account's values and their combination, as the command line's are
 * judged.  The line blamed is the last one without which the options
 * pass (a bad value; the second of two options that exclude each other),
 * else the section's.
 */
static void
check_account(struct load *l, const struct config_account *a)
{
	char why[300], other[300];
	size_t i;

	if (a->url == NULL)
		complain(l, a->line, "[%s] has no url = (imaps://USER@HOST)", a->name);
	if (try_options(a, (size_t)-1, why, sizeof(why)) != EINVAL)
		return;
	for (i = a->nopts; i-- > 0;)
		if (try_options(a, i, other, sizeof(other)) == 0) {
			complain(l, a->opts[i].line, "%s", why);
			return;
		}
	complain(l, a->line, "%s", why);
}

/* The first option that may hold a secret ("echo PASSWORD"), or NULL. */
static const struct config_option *
secret_option(const struct config *c)
{
	const char *eq;
	size_t i, j;

	for (i = 0; i < c->n; i++)
		for (j = 0; j < c->accounts[i].nopts; j++) {
			eq = strchr(c->accounts[i].opts[j].text, '=');
			if (eq != NULL && eq - c->accounts[i].opts[j].text >= 8 &&
			    strncmp(eq - 8, "_command", 8) == 0)
				return &c->accounts[i].opts[j];
		}
	return NULL;
}

int
config_load(const char *path, struct config *c, FILE *err)
{
	const struct config_option *secret;
	struct load l;
	struct stat st;
	size_t i;
	int fd, r, denied = 0;

	memset(c, 0, sizeof(*c));
	memset(&l, 0, sizeof(l));
	if ((c->path = strdup(path)) == NULL)
		return ENOMEM;
	if ((fd = open(path, O_RDONLY | O_NOCTTY)) == -1) {
		/* The callers say nothing of EACCES, which is said here. */
		if ((r = errno) == EACCES)
			fprintf(err, "%s:0: %s\n", path, strerror(r));
		return r;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		fprintf(err, "%s:0: not a regular file\n", path);
		close(fd);
		return EINVAL;
	}
	/*
	 * Whoever may write it chooses the commands mailfs runs and the
	 * server the password files' passwords go to.
	 */
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		fprintf(err, "%s:0: writable by group or others; run chmod 600 on it\n",
		    path);
		close(fd);
		return EACCES;
	}
	if ((l.in = fdopen(fd, "r")) == NULL) {
		r = errno;
		close(fd);
		return r;
	}
	l.c = c;
	l.err = err;
	r = ini_parse_stream(reader, &l, handler, &l);
	fclose(l.in);
	if (r > 0 && r != l.last_error_line && l.errors == 0)
		complain(&l, r, "not [NAME] nor OPTION = VALUE");
	if ((st.st_mode & (S_IRGRP | S_IROTH)) && (secret = secret_option(c)) != NULL) {
		complain(&l, secret->line, "holds a command (it may hold a secret) and is "
		    "readable by group or others; run chmod 600 on it");
		denied = 1;
	} else {
		for (i = 0; i < c->n; i++)
			check_account(&l, &c->accounts[i]);
	}
	if (l.enomem || r == -2) {
		say_all(&l);
		return ENOMEM;
	}
	r = l.errors == 0 ? 0 : denied ? EACCES : EINVAL;
	say_all(&l);
	return r;
}

const struct config_account *
config_find(const struct config *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		if (strcmp(c->accounts[i].name, name) == 0)
			return &c->accounts[i];
	return NULL;
}

void
config_free(struct config *c)
{
	size_t i, j;

	for (i = 0; i < c->n; i++) {
		for (j = 0; j < c->accounts[i].nopts; j++)
			free(c->accounts[i].opts[j].text);
		free(c->accounts[i].opts);
		free(c->accounts[i].name);
		free(c->accounts[i].url);
	}
	free(c->accounts);
	free(c->path);
	memset(c, 0, sizeof(*c));
}

int
config_default_path(char **path_r)
{
	const char *base, *rel;
	struct passwd *pw;
	size_t n;

	*path_r = NULL;
	base = getenv("XDG_CONFIG_HOME");
	rel = "mailfs/accounts";
	/* The XDG spec: a relative path there is invalid and ignored. */
	if (base == NULL || base[0] != '/') {
		rel = ".config/mailfs/accounts";
		base = getenv("HOME");
		if ((base == NULL || base[0] == '\0') && (pw = getpwuid(getuid())) != NULL)
			base = pw->pw_dir;
		if (base == NULL || base[0] == '\0')
			return ENOENT;
	}
	n = strlen(base) + strlen(rel) + 2;
	if ((*path_r = malloc(n)) == NULL)
		return ENOMEM;
	snprintf(*path_r, n, "%s/%s", base, rel);
	return 0;
}

int
config_apply(int argc, char **argv, struct options *o, char *why, size_t whylen)
{
	const struct config_account *a;
	struct config c;
	char *path = NULL, *name, **av = NULL;
	int ac, r;

	why[0] = '\0';
	if (o->account == NULL && (o->url == NULL || strstr(o->url, "://") != NULL))
		return 0;
	if (o->account != NULL && o->url != NULL) {
		snprintf(why, whylen, "account=%s and %s: name one account", o->account, o->url);
		return EINVAL;
	}
	if (o->config != NULL)
		path = strdup(o->config);
	else if ((r = config_default_path(&path)) == ENOENT) {
		snprintf(why, whylen, "no home directory for the accounts file (-o config=PATH)");
		return r;
	}
	if (path == NULL) {
		snprintf(why, whylen, "out of memory");
		return ENOMEM;
	}
	memset(&c, 0, sizeof(c));
	name = o->account != NULL ? o->account : o->url;
	if ((r = config_load(path, &c, stderr)) != 0) {
		if (r == ENOMEM)
			snprintf(why, whylen, "out of memory");
		else if (r != EINVAL && r != EACCES)
			/* "mailfs imap.example.org ~/mail": no scheme, no file. */
			snprintf(why, whylen, "%s is no URL (imaps://USER@HOST) and the accounts "
			    "file %s cannot be read: %s", name, path, strerror(r));
		goto out;
	}
	if ((a = config_find(&c, name)) == NULL) {
		snprintf(why, whylen, "%s is no URL (imaps://USER@HOST) nor an account "
		    "of %s", name, path);
		r = ENOENT;
		goto out;
	}
	/* The file's options first, the command line's (argv[1...]) over them. */
	if ((av = build_argv(a, (size_t)-1, o, argv[0], argv + 1, argc - 1, &ac)) == NULL) {
		snprintf(why, whylen, "out of memory");
		r = ENOMEM;
		goto out;
	}
	options_free(o);
	if ((r = options_parse(ac, av, o, why, whylen)) != 0)
		goto out;
	free(o->url);
	if (o->account == NULL)
		o->account = strdup(a->name);
	if ((o->url = strdup(a->url)) == NULL || o->account == NULL) {
		snprintf(why, whylen, "out of memory");
		r = ENOMEM;
	}
out:
	free_argv(av);
	config_free(&c);
	free(path);
	return r;
}
