/*
 * config: the accounts file, and mount(8)'s conventions for a mount
 * named by an account.
 *
 * The accounts file is $XDG_CONFIG_HOME/mailfs/accounts (by default
 * ~/.config/mailfs/accounts), or the one -o config=PATH names.  It is
 * INI, read by inih (Debian's libinih: a well-kept parser instead of one
 * of our own):
 *
 *	# comment lines begin with # or ;
 *	[work]
 *	url = imaps://me@imap.example.org
 *	password_command = pass show mail/work
 *	refresh = 10
 *	nopush = yes
 *
 * One [NAME] section an account (NAME at most 49 bytes: inih's limit);
 * in it url = (imaps, imap, pop3s or
 * pop3: the URL parser judges it, not this module) and mailfs's -o
 * options under their names, a flag as NAME = yes or no.  Every problem
 * is found before anything is mounted and reported as one line
 * "FILE:LINE: what is wrong" (a line without =, an unknown option, a
 * bad value, a duplicate section or option, a section without url =).
 * A file that holds a command (password_command=, anything *_command=,
 * which may well be "echo SECRET") must not be readable by group or
 * others, like the password file (password.h); no accounts file may be
 * writable by them.
 *
 * "mailfs NAME MOUNT" (a source that is no URL) and "mailfs -o
 * account=NAME MOUNT" mount the account NAME: its options come first,
 * the command line's after them and so over them.  mount(8) and
 * mount.fuse3 run "mailfs NAME MOUNT -o OPTIONS" for an fstab line
 * "NAME MOUNT fuse.mailfs OPTIONS": options meant for mount(8) alone
 * (noauto, user, _netdev, ...) are dropped (config_mount_only()).
 *
 * Owns nothing global: everything is the caller's, and used at startup,
 * by one thread.
 */
#ifndef MAILFS_FUSE_CONFIG_H
#define MAILFS_FUSE_CONFIG_H

#include <stddef.h>
#include <stdio.h>

#include "options.h"

struct config_option {
	char *text;		/* "key=value" or "flag": one -o option */
	int line;
};

struct config_account {
	char *name;		/* of its [section] */
	int line;		/* of its [section] */
	char *url;		/* NULL when it has none (an error) */
	struct config_option *opts;	/* in the file's order */
	size_t nopts;
};

struct config {
	char *path;
	struct config_account *accounts;	/* in the file's order */
	size_t n;
};

/*
 * The accounts file's path when no config= names it, into *path_r (the
 * caller's, to free): 0 or ENOMEM, ENOENT when neither
 * $XDG_CONFIG_HOME nor a home directory is known.
 */
int config_default_path(char **path_r);

/*
 * Reads the accounts file at path into c (free with config_free(),
 * whatever the result).  0; EINVAL when it has errors, each written to
 * err as one line "PATH:LINE: what"; EACCES when group or others may
 * write it, or it holds a command and they may read it (said the same
 * way); or the errno of
 * opening it (nothing written: the caller says what was looked for).
 */
int config_load(const char *path, struct config *c, FILE *err);

/* The account of that name, or NULL; points into c. */
const struct config_account *config_find(const struct config *c, const char *name);

void config_free(struct config *c);

/*
 * When the command line names an account (account= or a source that is
 * no URL), reads the accounts file and parses argv again with the
 * account's options before the command line's, into o (which
 * options_parse() filled from argv alone); then o->url is the account's
 * URL and o->account its name.  0 (also when no account is named), or
 * an errno: the file's errors are then on stderr, one line each, and
 * why is empty, or why holds one sentence.
 */
int config_apply(int argc, char **argv, struct options *o, char *why, size_t whylen);

/*
 * 1 for an -o option that only mount(8) or mount.fuse3 act on (noauto,
 * user, user=NAME, users, _netdev, nofail, x-*, comment=...): mailfs
 * drops it.
 */
int config_mount_only(const char *opt);

#endif
