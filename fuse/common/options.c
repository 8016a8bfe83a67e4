/*
 * Command line parsing with fuse_opt_parse(), so that our -o options and
 * libfuse's mix freely in one -o list.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "options.h"
#include "signin.h"

enum {
	KEY_FOREGROUND,
	KEY_DEBUG,
	KEY_SINGLE,
	KEY_HELP,
	KEY_VERSION
};

#define OPT(t, m) { t, offsetof(struct options, m), 1 }

static const struct fuse_opt opt_spec[] = {
	OPT("password_file=%s", password_file),
	OPT("password_command=%s", password_command),
	OPT("tls_ca_file=%s", tls_ca_file),
	OPT("refresh=%s", refresh_text),
	OPT("timeout=%s", timeout_text),
	OPT("cache_size=%s", cache_size_text),
	OPT("connections=%s", connections_text),
	OPT("delete=%s", delete_text),
	OPT("prefetch=%s", prefetch_text),
	OPT("names=%s", names_text),
	OPT("nopush", nopush),
	OPT("smtp=%s", smtp),
	OPT("smtp_password_file=%s", smtp_password_file),
	OPT("smtp_password_command=%s", smtp_password_command),
	OPT("sent=%s", sent),
	OPT("account=%s", account),
	OPT("config=%s", config),
	OPT("auth=%s", auth_text),
	OPT("oauth2_token_command=%s", oauth2_token_command),
	FUSE_OPT_KEY("-f", KEY_FOREGROUND),
	FUSE_OPT_KEY("-d", KEY_DEBUG),
	FUSE_OPT_KEY("-s", KEY_SINGLE),
	FUSE_OPT_KEY("-h", KEY_HELP),
	FUSE_OPT_KEY("--help", KEY_HELP),
	FUSE_OPT_KEY("-V", KEY_VERSION),
	FUSE_OPT_KEY("--version", KEY_VERSION),
	FUSE_OPT_END
};

/* opt_proc's way to say why; fuse_opt_parse()'s data is the options. */
struct parse_state {
	char *why;
	size_t whylen;
	int failed;
};

static struct parse_state parse_state;

static int
opt_proc(void *data, const char *arg, int key, struct fuse_args *outargs)
{
	struct parse_state *st = &parse_state;
	struct options *o = data;

	(void)outargs;
	switch (key) {
	case KEY_FOREGROUND:
		o->foreground = 1;
		return 0;
	case KEY_DEBUG:
		o->debug = o->foreground = 1;
		return 0;
	case KEY_SINGLE:
		o->singlethread = 1;
		return 0;
	case KEY_HELP:
		o->help = 1;
		return 0;
	case KEY_VERSION:
		o->version = 1;
		return 0;
	case FUSE_OPT_KEY_NONOPT:
		if (o->url == NULL)
			return (o->url = strdup(arg)) == NULL ? -1 : 0;
		if (o->mountpoint == NULL)
			return (o->mountpoint = strdup(arg)) == NULL ? -1 : 0;
		snprintf(st->why, st->whylen, "unexpected argument \"%s\"", arg);
		st->failed = 1;
		return -1;
	default:
		/* fstab's options for mount(8) alone are dropped; the rest is libfuse's. */
		return key == FUSE_OPT_KEY_OPT && config_mount_only(arg) ? 0 : 1;
	}
}

static int
parse_uint(const char *text, unsigned min, unsigned max, unsigned *n_r)
{
	unsigned long long v;
	char *end;

	if (text[0] < '0' || text[0] > '9')
		return EINVAL;
	errno = 0;
	v = strtoull(text, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return EINVAL;
	*n_r = (unsigned)v;
	return 0;
}

int
options_size(const char *text, uint64_t *bytes_r)
{
	unsigned long long v, mul = 1;
	char *end;

	if (text[0] < '0' || text[0] > '9')
		return EINVAL;
	errno = 0;
	v = strtoull(text, &end, 10);
	if (errno != 0)
		return EINVAL;
	switch (*end) {
	case '\0':
		break;
	case 'k': case 'K':
		mul = 1ULL << 10;
		break;
	case 'm': case 'M':
		mul = 1ULL << 20;
		break;
	case 'g': case 'G':
		mul = 1ULL << 30;
		break;
	case 't': case 'T':
		mul = 1ULL << 40;
		break;
	default:
		return EINVAL;
	}
	if (*end != '\0' && end[1] != '\0')
		return EINVAL;
	if (v > UINT64_MAX / mul)
		return EINVAL;
	*bytes_r = v * mul;
	return 0;
}

int
options_known(const char *opt)
{
	return opt[0] != '-' && fuse_opt_match(opt_spec, opt);
}

int
options_parse(int argc, char **argv, struct options *o, char *why, size_t whylen)
{
	memset(o, 0, sizeof(*o));
	parse_state.why = why;
	parse_state.whylen = whylen;
	parse_state.failed = 0;
	o->args = (struct fuse_args)FUSE_ARGS_INIT(argc, argv);
	o->refresh = 5;
	o->timeout = 30;
	o->cache_size = 1ULL << 30;
	o->connections = 4;
	snprintf(why, whylen, "invalid command line");
	if (fuse_opt_parse(&o->args, o, opt_spec, opt_proc) == -1) {
		if (!parse_state.failed)
			snprintf(why, whylen, "invalid options (see mailfs --help)");
		return EINVAL;
	}
	if (o->help || o->version)
		return 0;
	if (o->refresh_text != NULL &&
	    parse_uint(o->refresh_text, 1, 86400, &o->refresh) != 0) {
		snprintf(why, whylen, "refresh= takes a number of seconds from 1 to 86400");
		return EINVAL;
	}
	if (o->timeout_text != NULL &&
	    parse_uint(o->timeout_text, 1, 3600, &o->timeout) != 0) {
		snprintf(why, whylen, "timeout= takes a number of seconds from 1 to 3600");
		return EINVAL;
	}
	if (o->connections_text != NULL &&
	    parse_uint(o->connections_text, 1, 32, &o->connections) != 0) {
		snprintf(why, whylen, "connections= takes a number from 1 to 32");
		return EINVAL;
	}
	if (o->cache_size_text != NULL &&
	    options_size(o->cache_size_text, &o->cache_size) != 0) {
		snprintf(why, whylen, "cache_size= takes a size such as 500M or 2G");
		return EINVAL;
	}
	if (o->delete_text != NULL) {
		if (strcmp(o->delete_text, "trash") == 0)
			o->delete_trash = 1;
		else if (strcmp(o->delete_text, "expunge") != 0) {
			snprintf(why, whylen, "delete= takes expunge or trash");
			return EINVAL;
		}
	}
	if (o->prefetch_text != NULL) {
		if (strcmp(o->prefetch_text, "all") != 0) {
			snprintf(why, whylen, "prefetch= takes all");
			return EINVAL;
		}
		o->prefetch_all = 1;
	}
	if (o->names_text != NULL) {
		if (strcmp(o->names_text, "readable") == 0)
			o->names_readable = 1;
		else if (strcmp(o->names_text, "uid") != 0) {
			snprintf(why, whylen, "names= takes uid or readable");
			return EINVAL;
		}
	}
	if (o->password_file != NULL && o->password_command != NULL) {
		snprintf(why, whylen, "password_file= and password_command= exclude each other");
		return EINVAL;
	}
	if (o->smtp_password_file != NULL && o->smtp_password_command != NULL) {
		snprintf(why, whylen, "smtp_password_file= and smtp_password_command= "
		    "exclude each other");
		return EINVAL;
	}
	if (o->smtp == NULL && (o->sent != NULL || o->smtp_password_file != NULL ||
	    o->smtp_password_command != NULL)) {
		snprintf(why, whylen, "sent= and smtp_password_*= need smtp=");
		return EINVAL;
	}
	if (o->auth_text != NULL) {
		enum signin_auth a;

		if (signin_parse_auth(o->auth_text, &a) != 0) {
			snprintf(why, whylen, "auth= takes oauthbearer, xoauth2, plain "
			    "or login");
			return EINVAL;
		}
		o->auth = (int)a;
	}
	if (o->oauth2_token_command != NULL && (o->password_file != NULL ||
	    o->password_command != NULL || o->smtp_password_file != NULL ||
	    o->smtp_password_command != NULL || o->auth == SIGNIN_PLAIN ||
	    o->auth == SIGNIN_LOGIN)) {
		snprintf(why, whylen, "oauth2_token_command= excludes passwords "
		    "(password_*=, smtp_password_*=, auth=plain or login)");
		return EINVAL;
	}
	if (o->oauth2_token_command == NULL && (o->auth == SIGNIN_XOAUTH2 ||
	    o->auth == SIGNIN_OAUTHBEARER)) {
		snprintf(why, whylen, "auth=%s needs oauth2_token_command=",
		    o->auth_text);
		return EINVAL;
	}
	/*
	 * mailfs -o account=NAME MOUNTPOINT: the one argument is the mount
	 * point; so it is in mailfs MOUNTPOINT, every account (multi.h).
	 */
	if (o->mountpoint == NULL && (o->account != NULL ||
	    (o->url != NULL && strstr(o->url, "://") == NULL))) {
		o->mountpoint = o->url;
		o->url = NULL;
	}
	if (o->mountpoint == NULL) {
		snprintf(why, whylen, "usage: mailfs [-f] [-d] [-o OPTION[,OPTION...]] "
		    "[URL|ACCOUNT] MOUNTPOINT");
		return EINVAL;
	}
	return 0;
}

void
options_free(struct options *o)
{
	free(o->url);
	free(o->mountpoint);
	free(o->password_file);
	free(o->password_command);
	free(o->tls_ca_file);
	free(o->refresh_text);
	free(o->timeout_text);
	free(o->cache_size_text);
	free(o->connections_text);
	free(o->delete_text);
	free(o->smtp);
	free(o->smtp_password_file);
	free(o->smtp_password_command);
	free(o->auth_text);
	free(o->oauth2_token_command);
	free(o->sent);
	free(o->prefetch_text);
	free(o->account);
	free(o->config);
	free(o->names_text);
	fuse_opt_free_args(&o->args);
	memset(o, 0, sizeof(*o));
}

int
options_check_pop3(const struct options *o, char *why, size_t whylen)
{
	static const struct {
		const char *name;
		size_t off;
	} imap_only[] = {
		{ "connections=", offsetof(struct options, connections_text) },
		{ "delete=", offsetof(struct options, delete_text) },
		{ "smtp=", offsetof(struct options, smtp) },
		{ "smtp_password_file=", offsetof(struct options, smtp_password_file) },
		{ "smtp_password_command=", offsetof(struct options, smtp_password_command) },
		{ "sent=", offsetof(struct options, sent) },
	};
	size_t i;

	for (i = 0; i < sizeof(imap_only) / sizeof(imap_only[0]); i++)
		if (*(char *const *)(const void *)((const char *)o + imap_only[i].off) != NULL) {
			snprintf(why, whylen, "-o %s is for IMAP accounts: a POP3 maildrop "
			    "does not take it", imap_only[i].name);
			return EINVAL;
		}
	if (o->nopush) {
		snprintf(why, whylen, "-o nopush is for IMAP accounts: a POP3 maildrop "
		    "is always looked at every refresh= seconds");
		return EINVAL;
	}
	return 0;
}

void
options_usage(const char *progname)
{
	printf("usage: %s [-f] [-d] [-o OPTION[,OPTION...]] [URL|ACCOUNT] MOUNTPOINT\n"
	    "       mailfs status [--json] [MOUNTPOINT...]\n"
	    "\n"
	    "  URL  imaps://USER@HOST[:PORT]  TLS from the first byte (port 993)\n"
	    "       imap://USER@HOST[:PORT]   STARTTLS, required (port 143)\n"
	    "       pop3s://USER@HOST[:PORT]  a POP3 maildrop, TLS (port 995)\n"
	    "       pop3://USER@HOST[:PORT]   a POP3 maildrop, STLS, required (port 110)\n"
	    "  ACCOUNT  a [section] of ~/.config/mailfs/accounts (mailfs(1))\n"
	    "  neither: every account of that file, each at MOUNTPOINT/ACCOUNT\n"
	    "\n"
	    "mailfs options:\n"
	    "    -f                        stay in the foreground\n"
	    "    -d                        debug log with the protocol trace (implies -f)\n"
	    "    -o password_file=PATH     the password is the file's first line\n"
	    "    -o password_command=CMD   the password is the first line CMD prints\n"
	    "    -o oauth2_token_command=CMD\n"
	    "                              sign in with OAuth2: the access token is the\n"
	    "                              first line CMD prints (IMAP, POP3, SMTP)\n"
	    "    -o auth=MECH              oauthbearer, xoauth2, plain or login\n"
	    "                              (default: what the server offers)\n"
	    "    -o tls_ca_file=PATH       trust this CA bundle instead of the system's\n"
	    "    -o refresh=SECONDS        longest time between looks for changes (default 5)\n"
    "    -o nopush                 look every refresh= seconds, no IDLE or NOTIFY\n"
	    "    -o timeout=SECONDS        longest wait for the server (default 30)\n"
	    "    -o cache_size=SIZE        on-disk message cache limit (default 1G)\n"
	    "    -o connections=N          IMAP connections to use (default 4)\n"
	    "    -o delete=expunge|trash   what rm does (default expunge)\n"
	    "    -o smtp=URL               send what is written into Outbox/, through\n"
	    "                              smtps://USER@HOST[:465] or smtp://USER@HOST[:587]\n"
	    "    -o smtp_password_file=PATH, smtp_password_command=CMD\n"
	    "                              the SMTP password (default: the IMAP one)\n"
	    "    -o sent=FOLDER|none       where sent mail is filed (default: \\Sent)\n"
	    "    -o prefetch=all           every message into the store, newest first,\n"
	    "                              within cache_size (for use offline)\n"
	    "    -o account=NAME           the account NAME of the accounts file\n"
	    "    -o config=PATH            the accounts file (default\n"
	    "                              $XDG_CONFIG_HOME/mailfs/accounts)\n"
	    "    -o names=uid|readable     message files named by UID (default), or by\n"
	    "                              date, sender and subject\n"
	    "    -h, --help                this help\n"
	    "    -V, --version             the version\n"
	    "\n"
	    "libfuse options:\n", progname);
}
