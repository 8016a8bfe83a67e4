/*
 * The command line: mailfs [-f] [-d] [-o OPTION[,OPTION...]] URL|ACCOUNT MOUNTPOINT
 * (an account of the accounts file: config.h).
 * Our -o options are taken out; libfuse's stay in args for fuse_session_new().
 */
#ifndef MAILFS_FUSE_OPTIONS_H
#define MAILFS_FUSE_OPTIONS_H

#include <stdint.h>

#define FUSE_USE_VERSION 34
#include <fuse_opt.h>

struct options {
	char *url;
	char *mountpoint;
	char *password_file;
	char *password_command;
	char *tls_ca_file;
	char *refresh_text;
	char *timeout_text;
	char *cache_size_text;
	char *connections_text;
	char *delete_text;
	char *smtp;			/* -o smtp=URL: the Outbox sends through it */
	char *smtp_password_file;
	char *smtp_password_command;
	char *sent;			/* -o sent=FOLDER|none */
	char *prefetch_text;
	char *account;			/* -o account=NAME (config.h) */
	char *config;			/* -o config=PATH: the accounts file */
	unsigned refresh;		/* seconds between refreshes, >= 1 */
	unsigned timeout;		/* seconds an operation may take, >= 1 */
	uint64_t cache_size;		/* bytes of the on-disk cache */
	unsigned connections;		/* IMAP connections in the pool */
	int delete_trash;		/* rm moves to \Trash instead of expunging */
	int nopush;			/* -o nopush: poll only, no IDLE or NOTIFY */
	int prefetch_all;		/* -o prefetch=all: every body into the store */
	int foreground;
	int debug;
	int singlethread;
	int help;
	int version;
	struct fuse_args args;		/* what is left for libfuse */
};

/*
 * Parses argv.  Returns 0, or EINVAL with one sentence for the user in
 * why.  Free with
 * options_free() either way.
 */
int options_parse(int argc, char **argv, struct options *o, char *why, size_t whylen);
void options_free(struct options *o);
void options_usage(const char *progname);

/* 1 when opt ("key=value" or "flag") is one of mailfs's own -o options. */
int options_known(const char *opt);

/* "512M", "2G", "1000000" to bytes; 0 or EINVAL. */
int options_size(const char *text, uint64_t *bytes_r);

#endif
