/*
 * mailfs: mounts an IMAP account or a POP3 maildrop.  Options and password first, then one
 * connection that logs in and lists the folders, and only then the mount
 * and the move to the background (as sshfs does), so that every failure
 * to reach the account is one sentence on stderr and exit status 1 with
 * nothing mounted.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mailfs/mailfs.h>

#include "backend.h"
#include "cache.h"
#include "config.h"
#include "deadline.h"
#include "folder.h"
#include "imap.h"
#include "inode.h"
#include "log.h"
#include "maildrop.h"
#include "maildrop_vfs.h"
#include "multi.h"
#include "mutate.h"
#include "online.h"
#include "ops.h"
#include "options.h"
#include "outbox.h"
#include "outbox_vfs.h"
#include "password.h"
#include "signin.h"
#include "fetchall.h"
#include "prefetch.h"
#include "queue.h"
#include "ready.h"
#include "refresh.h"
#include "stage.h"
#include "statuscmd.h"
#include "submit_smtp.h"
#include "treecache.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "unknown"
#endif

/*
 * Logs in and lists the folders into the tree and *lr (the caller's):
 * 0, or an errno with why; ONLINE_ERRNO when the server cannot be
 * reached (the mount may come up offline).
 */
static int
first_contact(const struct mailfs_url *url, struct list_result *lr, char *why,
    size_t size)
{
	struct inval_list inv = { 0 };
	int r;

	if ((r = url->pop3 ? pop3_backend_connect(fs.backend, url, lr, why, size) :
	    imap_backend_connect(fs.backend, url, lr, why, size)) != 0)
		return r;
	queue_overlay_list(lr);
	tree_apply_list(lr, &inv);
	log_msg(LOG_DEBUG, "%zu folders", lr->n);
	inval_clear(&inv);
	return 0;
}

/*
 * A maildrop's map of made-up UIDs (backend/pop3/maildrop.h), kept in the
 * store with the account: the backend sits below the store.
 */
static int
pop3map_get(void **data_r, size_t *len_r)
{
	return cache_meta_get("", 0, "pop3map", data_r, len_r);
}

static int
pop3map_put(const void *data, size_t len, int append)
{
	return cache_meta_put("", 0, "pop3map", data, len, append);
}

static const struct pop3_mapstore pop3map = { pop3map_get, pop3map_put };

/* The backend of url: IMAP's pool, or a POP3 maildrop's one session; NULL: no memory. */
static struct backend *
backend_of(const struct mailfs_url *url, const struct options *o, const struct secret *pw)
{
	struct mailfs_pop3_params pp;
	struct mailfs_params params;

	if (url->pop3) {
		memset(&pp, 0, sizeof(pp));
		pp.host = url->host;
		pp.port = url->port;
		pp.security = url->security;
		pp.ca_file = o->tls_ca_file;
		pp.connect_timeout_ms = (int)o->timeout * 1000;
		pp.io_timeout_ms = (int)o->timeout * 1000;
		return pop3_backend_new(&pp, url->user, pw, &pop3map);
	}
	memset(&params, 0, sizeof(params));
	params.host = url->host;
	params.port = url->port;
	params.security = url->security;
	params.ca_file = o->tls_ca_file;
	params.connect_timeout_ms = (int)o->timeout * 1000;
	params.io_timeout_ms = (int)o->timeout * 1000;
	if (o->debug)
		params.trace = imap_log_trace;
	return imap_backend_new(&params, url->user, pw, o->connections);
}

/*
 * The server could not be reached: the tree as it was saved, offline
 * (online.h).  0 with *at_r, when it was listed; ENOENT when nothing
 * was saved (then the mount fails as it would have without a store).
 */
static int
offline_tree(time_t *at_r)
{
	struct list_result lr = { 0 };
	struct inval_list inv = { 0 };
	int r;

	if ((r = treecache_load(&lr, at_r)) != 0)
		return r;
	queue_overlay_list(&lr);
	tree_apply_list(&lr, &inv);
	/* Nothing saved is a fresh status: no folder is taken as unchanged on it. */
	tree_status_stale();
	log_msg(LOG_DEBUG, "%zu folders from the saved state", lr.n);
	list_result_clear(&lr);
	inval_clear(&inv);
	return 0;
}

/* The one line that says the mount came up offline. */
static void
say_offline(const struct mailfs_url *url, time_t at)
{
	struct online_status st;
	const char *reason, *p;
	char date[32];

	online_get(&st);
	/* The library's sentence ends in the reason ("...: Connection refused"). */
	reason = st.error;
	for (p = st.error; (p = strstr(p, ": ")) != NULL; p += 2)
		reason = p + 2;
	online_iso8601(at, date, sizeof(date));
	fprintf(stderr, "mailfs: %s:%s unreachable (%s): mounted offline from the saved "
	    "state of %s\n", url->host, url->port, reason, date);
}

/*
 * Every folder list is saved for a mount without the server; the first
 * one after the mount came up offline is also its readiness (ready.h).
 */
static void
list_done(const struct list_result *lr)
{
	treecache_save(lr);
	ready_say(NULL);
}

/* libfuse options that make the mount behave as the man page says: 0 or ENOMEM. */
static int
add_mount_options(struct options *o, const struct mailfs_url *url)
{
	char buf[600];

	snprintf(buf, sizeof(buf), "-osubtype=mailfs,default_permissions");
	if (fuse_opt_add_arg(&o->args, buf) == -1)
		return ENOMEM;
	/* An account's name, as fstab has it, so that mount -a knows it mounted. */
	if (o->account != NULL && strpbrk(o->account, ",\\") == NULL) {
		snprintf(buf, sizeof(buf), "-ofsname=%s", o->account);
		if (fuse_opt_add_arg(&o->args, buf) == -1)
			return ENOMEM;
	/* fsname shows in mount(8) and df; commas would split the option. */
	} else if (strpbrk(url->user, ",\\") == NULL && strpbrk(url->host, ",\\") == NULL) {
		snprintf(buf, sizeof(buf), "-ofsname=%s@%s", url->user, url->host);
		if (fuse_opt_add_arg(&o->args, buf) == -1)
			return ENOMEM;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct mailfs_url url;
	struct options o;
	struct secret pw = { NULL, 0, 0 }, smtp_pw = { NULL, 0, 0 };
	struct fuse_lowlevel_ops ops = vfs_ops;
	struct submitter *smtp = NULL;
	struct fuse_session *se = NULL;
	struct fuse_loop_config loop = { 0, 10 };
	struct list_result lr = { 0 };
	const char *why_c;
	char why[512], prompt[300], account[600];
	time_t saved_at = 0;
	int status = 1, offline, r;

	/* mailfs status [--json] [MOUNT...]: a look at running mounts. */
	if (argc >= 2 && strcmp(argv[1], "status") == 0)
		return status_main(argc - 1, argv + 1);
	memset(&url, 0, sizeof(url));
	if (options_parse(argc, argv, &o, why, sizeof(why)) != 0) {
		fprintf(stderr, "mailfs: %s\n", why);
		options_free(&o);
		return 1;
	}
	if (o.version) {
		printf("mailfs %s (libfuse %s)\n", PACKAGE_VERSION, fuse_pkgversion());
		options_free(&o);
		return 0;
	}
	if (o.help) {
		/* Our name, not the path of libtool's .libs/lt-mailfs. */
		options_usage("mailfs");
		fflush(stdout);
		fuse_lowlevel_help();
		printf("\nSee mailfs(1).\n");
		options_free(&o);
		return 0;
	}
	if (config_apply(argc, argv, &o, why, sizeof(why)) != 0) {
		if (why[0] != '\0')
			fprintf(stderr, "mailfs: %s\n", why);
		options_free(&o);
		return 1;
	}
	/* Neither URL nor account: every account of the file (multi.h). */
	if (o.url == NULL && o.account == NULL) {
		status = multi_main(&o, argc, argv);
		options_free(&o);
		return status;
	}
	ready_init();
	log_init(o.foreground, o.debug);
	if (mailfs_url_parse(o.url, &url, &why_c) == -1) {
		fprintf(stderr, "mailfs: %s\n", errno == ENOMEM ? "out of memory" :
		    why_c != NULL ? why_c : "the URL is not imaps://USER@HOST or imap://USER@HOST");
		goto out;
	}
	if (url.user == NULL || url.user[0] == '\0') {
		fprintf(stderr, "mailfs: the URL names no user (%s://USER@HOST)\n",
		    url.pop3 ? (url.security == MAILFS_SEC_STARTTLS ? "pop3" : "pop3s") :
		    (url.security == MAILFS_SEC_STARTTLS ? "imap" : "imaps"));
		goto out;
	}
	if (url.security == MAILFS_SEC_PLAINTEXT_INSECURE) {
		fprintf(stderr, "mailfs: connections without TLS are refused\n");
		goto out;
	}
	if (url.pop3 && options_check_pop3(&o, why, sizeof(why)) != 0) {
		fprintf(stderr, "mailfs: %s\n", why);
		goto out;
	}
	if (o.smtp != NULL && smtp_url_check(o.smtp, why, sizeof(why)) != 0) {
		fprintf(stderr, "mailfs: %s\n", why);
		goto out;
	}
	if (access(o.mountpoint, F_OK) == -1) {
		fprintf(stderr, "mailfs: the mount point %s: %s\n", o.mountpoint,
		    strerror(errno));
		goto out;
	}
	snprintf(prompt, sizeof(prompt), "Password for %s@%s: ", url.user, url.host);
	/* With a token command there is no password (signin.h). */
	signin_configure((enum signin_auth)o.auth, o.oauth2_token_command, o.timeout);
	if ((o.oauth2_token_command != NULL ? secret_empty(&pw) : password_get(o.password_file,
	    o.password_command, prompt, (int)o.timeout, &pw, why, sizeof(why))) != 0) {
		fprintf(stderr, "mailfs: %s\n", why);
		goto out;
	}
	/* The SMTP password is the IMAP one unless given apart (mailfs(1)). */
	if (o.smtp != NULL && (o.smtp_password_file != NULL || o.smtp_password_command != NULL) &&
	    password_get(o.smtp_password_file, o.smtp_password_command, NULL, (int)o.timeout,
	    &smtp_pw, why, sizeof(why)) != 0) {
		fprintf(stderr, "mailfs: %s\n", why);
		goto out;
	}
	if (o.smtp != NULL && (smtp = smtp_submitter_new(o.smtp, smtp_pw.buf != NULL ?
	    &smtp_pw : &pw, o.tls_ca_file, o.timeout, o.debug)) == NULL) {
		fprintf(stderr, "mailfs: out of memory\n");
		goto out;
	}
	secret_wipe(&smtp_pw);

	fs.opts = &o;
	fs.uid = getuid();
	fs.gid = getgid();
	fs.mounted_at = time(NULL);
	online_init(fs.mounted_at);
	fs.dir_timeout = o.refresh;
	fs.msg_timeout = 86400;
	tree_init();
	deadline_init(o.timeout);
	if ((fs.backend = backend_of(&url, &o, &pw)) == NULL) {
		fprintf(stderr, "mailfs: out of memory\n");
		goto out_tree;
	}
	if ((r = first_contact(&url, &lr, why, sizeof(why))) != 0 && r != ONLINE_ERRNO) {
		fprintf(stderr, "mailfs: %s\n", why);
		goto out_pool;
	}
	offline = r == ONLINE_ERRNO;
	snprintf(account, sizeof(account), "%s@%s:%s", url.user, url.host, url.port);
	if (cache_init(account, o.cache_size, offline ? prompt : why,
	    offline ? sizeof(prompt) : sizeof(why)) != 0) {
		fprintf(stderr, "mailfs: %s\n", offline ? prompt : why);
		goto out_pool;
	}
	if (offline && offline_tree(&saved_at) != 0) {
		/* Nothing saved: the failure to reach the server, as without a store. */
		fprintf(stderr, "mailfs: %s\n", why);
		goto out_cache;
	}
	/* Every list from now on is saved for a mount without the server. */
	if (!offline)
		treecache_save(&lr);
	list_result_clear(&lr);
	tree_set_list_hook(list_done);
	/* A maildrop takes no new files: nothing is staged (maildrop_vfs.h). */
	if (url.pop3)
		maildrop_vfs_wrap(&ops);
	else if (stage_init() != 0)
		log_msg(LOG_WARNING, "new files cannot be written: no staging directory");
	/* MAILFS_OUTBOX_BACKOFF: seconds, for the tests (mailfs(1) ENVIRONMENT). */
	if (smtp != NULL && outbox_init(smtp, o.sent, getenv("MAILFS_OUTBOX_BACKOFF") != NULL ?
	    (unsigned)strtoul(getenv("MAILFS_OUTBOX_BACKOFF"), NULL, 10) : 0) != 0) {
		fprintf(stderr, "mailfs: the Outbox cannot be kept in the store (see the log)\n");
		goto out_cache;
	}
	if (outbox_enabled())
		outbox_vfs_wrap(&ops);
	if (add_mount_options(&o, &url) != 0) {
		fprintf(stderr, "mailfs: out of memory\n");
		goto out_cache;
	}
	if ((se = fuse_session_new(&o.args, &ops, sizeof(ops), NULL)) == NULL) {
		fprintf(stderr, "mailfs: invalid mount options (see mailfs --help)\n");
		goto out_cache;
	}
	if (fuse_set_signal_handlers(se) == -1) {
		fprintf(stderr, "mailfs: cannot install signal handlers\n");
		goto out_session;
	}
	if (fuse_session_mount(se, o.mountpoint) == -1) {
		fprintf(stderr, "mailfs: cannot mount on %s\n", o.mountpoint);
		goto out_signals;
	}
	fs.se = se;
	if (offline)
		say_offline(&url, saved_at);
	if (fuse_daemonize(o.foreground) == -1) {
		fprintf(stderr, "mailfs: cannot go to the background\n");
		goto out_unmount;
	}
	cache_daemonized();
	if (!o.foreground)
		log_background();
	log_msg(LOG_INFO, "mounted %s@%s on %s%s", url.user, url.host, o.mountpoint,
	    offline ? " (offline)" : "");
	if (!url.pop3 && imap_backend_start(fs.backend) != 0) {
		log_msg(LOG_ERR, "cannot start the reconnect thread");
		goto out_unmount;
	}
	if (refresh_start(o.refresh) != 0) {
		log_msg(LOG_ERR, "cannot start the refresh thread");
		goto out_unmount;
	}
	if (outbox_start() != 0) {
		log_msg(LOG_ERR, "cannot start the Outbox thread");
		goto out_unmount;
	}
	if (o.prefetch_all && fetchall_start() != 0)
		log_msg(LOG_WARNING, "prefetch=all: cannot start its thread");
	/* Logged in and listed: ready.  Offline, the first list says it. */
	if (!offline)
		ready_say(NULL);
	if (o.singlethread)
		r = fuse_session_loop(se);
	else
		r = fuse_session_loop_mt(se, &loop);
	/*
	 * The background threads may wait on a server that stopped
	 * answering: end their waits at once, join them, then let the
	 * staged files go out on fresh connections.
	 */
	backend_cancel(fs.backend, 1);
	refresh_stop();
	outbox_stop();
	prefetch_stop();
	backend_cancel(fs.backend, 0);
	/* New files still staged go to the server now (each logged). */
	stage_finish();
	/* What the next mount need not fetch again, or shows without the server. */
	folder_save_all();
	treecache_flush();
	if (r == 0 || r == SIGINT || r == SIGTERM || r == SIGHUP)
		status = 0;
	else
		log_msg(LOG_ERR, "the session ended with an error: %s", strerror(r < 0 ? -r : r));
out_unmount:
	/* Never leave a mount behind without a daemon. */
	fuse_session_unmount(se);
	fs.se = NULL;
out_signals:
	fuse_remove_signal_handlers(se);
out_session:
	fuse_session_destroy(se);
out_cache:
	/* The read-ahead writes into the cache: it stops first. */
	prefetch_stop();
	outbox_stop();
	outbox_free();
	mutate_destroy();
	cache_destroy();
out_pool:
	backend_free(fs.backend);
	fs.backend = NULL;
	submit_free(smtp);
out_tree:
	list_result_clear(&lr);
	tree_destroy();
out:
	secret_wipe(&pw);
	mailfs_url_clear(&url);
	options_free(&o);
	return status;
}
