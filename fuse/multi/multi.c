/*
 * Every account of the accounts file under one mount (multi.h).
 */
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "multi.h"
#include "ready.h"
#include "rootfs.h"

extern char **environ;

#define PENDING_MAX	4096	/* an account's output held while it starts */

struct child {
	const char *name;		/* the config's */
	char *path;			/* MOUNT/NAME */
	pid_t pid;			/* 0: not running */
	int fd;				/* its stdout and stderr; -1: closed */
	int mounted;
	char line[1024];		/* a line not yet ended */
	size_t linelen;
	char pending[PENDING_MAX];	/* its lines while it starts */
	size_t pendlen;
};

static int wake[2] = { -1, -1 };	/* signals and the session's end */
static struct child *kids;
static size_t nkids;
static dev_t root_dev;			/* MOUNT's, to tell an account's mount */
static int starting = 1;		/* lines are held, not logged */
static int root_gone;			/* atomic: the session's loop ended */

static void
on_signal(int sig)
{
	unsigned char b = (unsigned char)sig;
	int saved = errno;

	(void)write(wake[1], &b, 1);
	errno = saved;
}

/*
 * The name whose lookup stops the root filesystem's loop
 * (rootfs_arm_stop()): this process's, and not one a person would type.
 */
static void
stop_name(char *buf, size_t size)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(buf, size, ".mailfs-stop-%ld-%ld", (long)getpid(), (long)ts.tv_nsec);
}

/* Asks the root filesystem's loop to end after its next answer. */
static void
stop_loop(const char *mount, const char *name)
{
	char path[PATH_MAX];

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", mount, name) < sizeof(path))
		(void)access(path, F_OK);
}

/* Serves the root filesystem; its end (MOUNT unmounted) wakes the main thread. */
static void *
serve(void *arg)
{
	unsigned char b = 0;

	(void)fuse_session_loop(arg);
	__atomic_store_n(&root_gone, 1, __ATOMIC_RELEASE);
	(void)write(wake[1], &b, 1);
	return NULL;
}

static int
cloexec_nonblock(int fd)
{
	return fcntl(fd, F_SETFD, FD_CLOEXEC) == -1 ||
	    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) == -1 ? -1 : 0;
}

/* The path of this program, for its children: malloc'ed, or NULL. */
static char *
self_path(const char *argv0)
{
	char buf[PATH_MAX];
	ssize_t n;

	/* Linux names the binary itself (libtool's wrapper would be argv[0]). */
	if ((n = readlink("/proc/self/exe", buf, sizeof(buf) - 1)) > 0) {
		buf[n] = '\0';
		return strdup(buf);
	}
	return strchr(argv0, '/') != NULL ? realpath(argv0, NULL) : NULL;
}

/*
 * A child's command line: self -f -o account=NAME, the parent's options
 * (its one operand, MOUNT, and -f left out), MOUNT/NAME.  argv[] of
 * at most argc + 5 entries; the strings are borrowed but for
 * "account=NAME" at [3] (the caller's, to free).
 */
static char **
child_argv(const char *self, int argc, char **argv, const struct child *k)
{
	char **av;
	int i, n = 0;

	if ((av = calloc((size_t)argc + 6, sizeof(*av))) == NULL)
		return NULL;
	av[n++] = (char *)self;
	av[n++] = "-f";
	av[n++] = "-o";
	if ((av[n] = malloc(strlen(k->name) + 9)) == NULL) {
		free(av);
		return NULL;
	}
	sprintf(av[n++], "account=%s", k->name);
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-o") == 0 && i + 1 < argc) {
			av[n++] = argv[i++];
			av[n++] = argv[i];
		} else if (argv[i][0] == '-' && strcmp(argv[i], "-f") != 0 &&
		    strcmp(argv[i], "--") != 0)
			av[n++] = argv[i];
		/* else the mount point, the only operand */
	}
	av[n++] = k->path;
	av[n] = NULL;
	return av;
}

/* Starts k: 0, or an errno. */
static int
spawn(struct child *k, const char *self, int argc, char **argv)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	char **av;
	int p[2], r;

	if ((av = child_argv(self, argc, argv, k)) == NULL)
		return ENOMEM;
	if (pipe(p) == -1) {
		r = errno;
		free(av[3]);
		free(av);
		return r;
	}
	(void)cloexec_nonblock(p[0]);
	(void)fcntl(p[1], F_SETFD, FD_CLOEXEC);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, p[1], 1);
	posix_spawn_file_actions_adddup2(&fa, p[1], 2);
	posix_spawnattr_init(&at);
#ifdef POSIX_SPAWN_SETSID
	/*
	 * No terminal: an account without a password source would ask on
	 * it (password.h), all at once, and wait for ever for the answers
	 * the others took.  It says it cannot ask instead.
	 */
	(void)posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSID);
#endif
	r = posix_spawn(&k->pid, self, &fa, &at, av, environ);
	posix_spawnattr_destroy(&at);
	posix_spawn_file_actions_destroy(&fa);
	close(p[1]);
	free(av[3]);
	free(av);
	if (r != 0) {
		close(p[0]);
		k->pid = 0;
		return r;
	}
	k->fd = p[0];
	return 0;
}

/* The priority of a line a daemon wrote in the foreground (log.c). */
static int
line_prio(const char **text)
{
	if (strncmp(*text, "mailfs: ", 8) == 0)
		*text += 8;
	if (strncmp(*text, "error: ", 7) == 0)
		return LOG_ERR;
	if (strncmp(*text, "warning: ", 9) == 0)
		return LOG_WARNING;
	return LOG_INFO;
}

/* One line of k's: held while the accounts start, logged afterwards. */
static void
child_line(struct child *k, const char *line)
{
	const char *text = line;
	int prio = line_prio(&text);
	size_t len;

	if (!starting) {
		log_msg(prio, "%s: %s", k->name, text);
		return;
	}
	/*
	 * In the foreground an account says "mounted ..." where a mount in
	 * the background says nothing: the command is as quiet as one.
	 */
	if (strncmp(text, "mounted ", 8) == 0)
		return;
	/* Mounted while others start: on the terminal, as it comes. */
	if (k->mounted) {
		fprintf(stderr, "mailfs: %s: %s\n", k->name, text);
		return;
	}
	len = strlen(text);
	if (k->pendlen + len + 2 <= sizeof(k->pending)) {
		memcpy(k->pending + k->pendlen, text, len);
		k->pendlen += len;
		k->pending[k->pendlen++] = '\n';
		k->pending[k->pendlen] = '\0';
	}
}

/* Reads what k wrote; closes its pipe at the end. */
static void
child_read(struct child *k)
{
	char buf[512];
	ssize_t n;
	size_t i;

	while (k->fd != -1) {
		if ((n = read(k->fd, buf, sizeof(buf))) == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0 || errno != EAGAIN) {
				close(k->fd);
				k->fd = -1;
			}
			break;
		}
		for (i = 0; i < (size_t)n; i++) {
			if (buf[i] != '\n' && k->linelen < sizeof(k->line) - 1) {
				k->line[k->linelen++] = buf[i];
				continue;
			}
			/* A line too long is cut: a log line, not mail. */
			if (buf[i] != '\n')
				continue;
			k->line[k->linelen] = '\0';
			k->linelen = 0;
			child_line(k, k->line);
		}
	}
	if (k->fd == -1 && k->linelen > 0) {
		k->line[k->linelen] = '\0';
		k->linelen = 0;
		child_line(k, k->line);
	}
}

/* 1 when k has exited (reaped, with its status), else 0. */
static int
child_exited(struct child *k, int *status_r)
{
	if (k->pid == 0)
		return 1;
	if (waitpid(k->pid, status_r, WNOHANG) != k->pid)
		return 0;
	k->pid = 0;
	return 1;
}

/* What the account's lines say while it starts, each with its name. */
static void
say_pending(struct child *k, const char *last_prefix)
{
	char *line, *next;

	for (line = k->pending; *line != '\0'; line = next) {
		next = strchr(line, '\n');
		*next++ = '\0';
		fprintf(stderr, "mailfs: %s: %s%s\n", k->name,
		    *next == '\0' && last_prefix != NULL ? last_prefix : "", line);
	}
	k->pendlen = 0;
	k->pending[0] = '\0';
}

/* The last of k's lines held (each ends in a newline) into buf. */
static const char *
last_line(const struct child *k, char *buf, size_t size)
{
	size_t end = k->pendlen - 1, start = end;

	while (start > 0 && k->pending[start - 1] != '\n')
		start--;
	snprintf(buf, size, "%.*s", (int)(end - start), k->pending + start);
	return buf;
}

/* Waits on the wake pipe and the children's pipes, at most ms. */
static int
wait_events(int ms)
{
	struct pollfd *pfd;
	unsigned char b;
	size_t i, n = 0;
	int sig = -1;

	if ((pfd = calloc(nkids + 1, sizeof(*pfd))) == NULL) {
		(void)poll(NULL, 0, ms);
		return -1;
	}
	pfd[n].fd = wake[0];
	pfd[n++].events = POLLIN;
	for (i = 0; i < nkids; i++) {
		pfd[n].fd = kids[i].fd;
		pfd[n++].events = POLLIN;
	}
	if (poll(pfd, n, ms) > 0) {
		if (pfd[0].revents != 0 && read(wake[0], &b, 1) == 1)
			sig = b;
		for (i = 0; i < nkids; i++)
			if (pfd[i + 1].revents != 0)
				child_read(&kids[i]);
	}
	free(pfd);
	return sig;
}

/* Describes a wait() status into buf. */
static void
exit_text(int status, char *buf, size_t size)
{
	if (WIFSIGNALED(status))
		snprintf(buf, size, "killed by signal %d", WTERMSIG(status));
	else
		snprintf(buf, size, "exit status %d", WEXITSTATUS(status));
}

/* Lazily unmounts path (a daemon that would not end): fusermount3 -u -z. */
static void
unmount_lazy(const char *path)
{
	char *av[] = { "fusermount3", "-u", "-z", "-q", (char *)path, NULL };
	pid_t pid;

	if (posix_spawnp(&pid, "fusermount3", NULL, NULL, av, environ) == 0)
		(void)waitpid(pid, NULL, 0);
}

/*
 * After k's daemon ended: a daemon killed by a signal left its mount,
 * whose every access now fails (ENOTCONN), where its directory should
 * be empty.
 */
static void
unmount_left(const struct child *k)
{
	struct stat st;

	if (stat(k->path, &st) == -1 || st.st_dev != root_dev)
		unmount_lazy(k->path);
}

/*
 * Waits until each account is mounted or has failed, saying on stderr
 * what each said.  The number mounted; *sig_r a signal that came (-1
 * none; 0 MOUNT went away).
 */
static size_t
start_wait(int *sig_r)
{
	struct stat st;
	char why[64], last[256];
	size_t i, left = 0, mounted = 0;
	int status;

	for (i = 0; i < nkids; i++)
		if (kids[i].pid != 0)
			left++;
	*sig_r = -1;
	while (left > 0 && *sig_r == -1) {
		*sig_r = wait_events(100);
		for (i = 0; i < nkids; i++) {
			struct child *k = &kids[i];

			if (k->mounted || k->pid == 0)
				continue;
			if (stat(k->path, &st) == 0 && st.st_dev != root_dev) {
				k->mounted = 1;
				mounted++;
				left--;
				say_pending(k, NULL);
			} else if (child_exited(k, &status)) {
				unmount_left(k);
				child_read(k);
				left--;
				exit_text(status, why, sizeof(why));
				if (k->pendlen == 0)
					fprintf(stderr, "mailfs: %s: not mounted (%s)\n", k->name, why);
				rootfs_set_error(i, k->pendlen > 0 ? last_line(k, last, sizeof(last)) : why);
				say_pending(k, "not mounted: ");
			}
		}
	}
	return mounted;
}

/*
 * Stops every account's daemon by SIGTERM and waits for each by its PID,
 * at most grace seconds; one that outlives that is killed and its mount
 * detached.
 */
static void
stop_all(unsigned grace)
{
	struct timespec t0, now;
	size_t i, left;
	int status;

	for (i = 0; i < nkids; i++)
		if (kids[i].pid != 0)
			(void)kill(kids[i].pid, SIGTERM);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		for (left = 0, i = 0; i < nkids; i++)
			if (kids[i].pid != 0 && !child_exited(&kids[i], &status))
				left++;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (left == 0 || now.tv_sec - t0.tv_sec >= (time_t)grace)
			break;
		(void)wait_events(50);
	}
	for (i = 0; i < nkids; i++) {
		if (kids[i].pid == 0)
			continue;
		log_msg(LOG_ERR, "%s: its daemon did not end in %u s: killed", kids[i].name,
		    grace);
		(void)kill(kids[i].pid, SIGKILL);
		(void)waitpid(kids[i].pid, &status, 0);
		kids[i].pid = 0;
		unmount_lazy(kids[i].path);
	}
	for (i = 0; i < nkids; i++) {
		child_read(&kids[i]);
		if (kids[i].fd != -1)
			close(kids[i].fd);
		kids[i].fd = -1;
	}
}

/* After the start: logs each daemon that ends on its own. */
static int
run(void)
{
	char why[64];
	size_t i;
	int sig, status;

	for (;;) {
		if ((sig = wait_events(1000)) != -1)
			return sig;
		for (i = 0; i < nkids; i++)
			if (kids[i].pid != 0 && child_exited(&kids[i], &status)) {
				child_read(&kids[i]);
				exit_text(status, why, sizeof(why));
				log_msg(LOG_WARNING, "%s: its daemon ended (%s); %s stays empty",
				    kids[i].name, why, kids[i].path);
				unmount_left(&kids[i]);
				rootfs_set_error(i, "its daemon ended");
			}
	}
}

/* The accounts file's accounts, checked as directory names: 0 or 1 (said). */
static int
load_accounts(const struct options *o, struct config *c)
{
	char *path = NULL;
	size_t i;
	int r;

	if (o->config != NULL)
		path = strdup(o->config);
	else if (config_default_path(&path) == ENOENT) {
		fprintf(stderr, "mailfs: no URL, no account, and no home directory for the "
		    "accounts file (-o config=PATH)\n");
		return 1;
	}
	if (path == NULL) {
		fprintf(stderr, "mailfs: out of memory\n");
		return 1;
	}
	if ((r = config_load(path, c, stderr)) != 0) {
		if (r != EINVAL && r != EACCES)
			fprintf(stderr, "mailfs: no URL or account given, and the accounts file "
			    "%s: %s\n", path, strerror(r));
		free(path);
		return 1;
	}
	if (c->n == 0)
		fprintf(stderr, "mailfs: no URL or account given, and %s has no account\n",
		    path);
	free(path);
	if (c->n == 0)
		return 1;
	for (i = 0; i < c->n; i++) {
		const char *name = c->accounts[i].name;

		/* The name is MOUNT/NAME: one path component, not hidden. */
		if (name[0] == '\0' || name[0] == '.' || strchr(name, '/') != NULL ||
		    strlen(name) > 255) {
			fprintf(stderr, "mailfs: %s:%d: [%s] cannot name a directory\n",
			    c->path, c->accounts[i].line, name);
			return 1;
		}
	}
	return 0;
}

/* The root filesystem's session, mounted at mount: NULL when it failed (said). */
static struct fuse_session *
root_mount(struct options *o, const char *mount)
{
	struct fuse_session *se;

	/*
	 * fusermount3 mounts each account as root, yet as the user: the
	 * kernel lets it into a directory of this mount only with
	 * allow_other (which the modes 0700 and default_permissions keep
	 * from other users).  root mounts by itself and needs none.
	 */
	if (fuse_opt_add_arg(&o->args, "-osubtype=mailfs,fsname=mailfs,default_permissions,ro")
	    == -1 || (geteuid() != 0 && fuse_opt_add_arg(&o->args, "-oallow_other") == -1)) {
		fprintf(stderr, "mailfs: out of memory\n");
		return NULL;
	}
	if ((se = fuse_session_new(&o->args, &rootfs_ops, sizeof(rootfs_ops), NULL)) == NULL) {
		fprintf(stderr, "mailfs: invalid mount options (see mailfs --help)\n");
		return NULL;
	}
	if (fuse_session_mount(se, mount) == -1) {
		fprintf(stderr, "mailfs: cannot mount on %s%s\n", mount, geteuid() == 0 ? "" :
		    " (every account under one mount needs user_allow_other in "
		    "/etc/fuse.conf: mailfs(1))");
		fuse_session_destroy(se);
		return NULL;
	}
	/* The accounts' daemons must not hold it: it would outlive this process. */
	(void)fcntl(fuse_session_fd(se), F_SETFD, FD_CLOEXEC);
	return se;
}

/*
 * Leaves the terminal: the command's process waits for the daemon's
 * verdict on the pipe and exits with it.  Returns the pipe's end to
 * write that on, or -1 (said).
 */
static int
detach(void)
{
	unsigned char b = 1;
	int p[2];
	pid_t pid;

	if (pipe(p) == -1 || (pid = fork()) == -1) {
		fprintf(stderr, "mailfs: cannot go to the background: %s\n", strerror(errno));
		return -1;
	}
	if (pid != 0) {
		close(p[1]);
		while (read(p[0], &b, 1) == -1 && errno == EINTR)
			;
		_exit(b);
	}
	close(p[0]);
	(void)setsid();
	return p[1];
}

/* Says the verdict to the waiting command and leaves the terminal for good. */
static void
verdict(int fd, int status)
{
	unsigned char b = (unsigned char)status;
	int null;

	if (fd == -1)
		return;
	fflush(stderr);
	if ((null = open("/dev/null", O_RDWR)) != -1) {
		(void)dup2(null, 0);
		(void)dup2(null, 1);
		(void)dup2(null, 2);
		if (null > 2)
			close(null);
	}
	(void)write(fd, &b, 1);
	close(fd);
}

int
multi_main(struct options *o, int argc, char **argv)
{
	struct sigaction sa;
	struct config c;
	struct fuse_session *se = NULL;
	struct stat st;
	pthread_t thread;
	char **names = NULL, *mount = NULL, *self = NULL;
	char stop[64];
	size_t i, mounted;
	int status = 1, sig, tell = -1, serving = 0;

	ready_init();
	log_init(o->foreground, o->debug);
	memset(&c, 0, sizeof(c));
	if (load_accounts(o, &c) != 0)
		goto out;
	if ((mount = realpath(o->mountpoint, NULL)) == NULL) {
		fprintf(stderr, "mailfs: the mount point %s: %s\n", o->mountpoint,
		    strerror(errno));
		goto out;
	}
	if ((self = self_path(argv[0])) == NULL) {
		fprintf(stderr, "mailfs: cannot find its own program to run for each account\n");
		goto out;
	}
	nkids = c.n;
	if ((kids = calloc(nkids, sizeof(*kids))) == NULL ||
	    (names = calloc(nkids, sizeof(*names))) == NULL)
		goto nomem;
	for (i = 0; i < nkids; i++) {
		kids[i].name = names[i] = c.accounts[i].name;
		kids[i].fd = -1;
		if ((kids[i].path = malloc(strlen(mount) + strlen(names[i]) + 2)) == NULL)
			goto nomem;
		sprintf(kids[i].path, "%s/%s", mount, names[i]);
	}
	if (rootfs_init(names, nkids, getuid(), getgid()) != 0)
		goto nomem;
	if (pipe(wake) == -1 || cloexec_nonblock(wake[0]) != 0 ||
	    cloexec_nonblock(wake[1]) != 0) {
		fprintf(stderr, "mailfs: %s\n", strerror(errno));
		goto out_root;
	}
	if ((se = root_mount(o, mount)) == NULL)
		goto out_root;
	stop_name(stop, sizeof(stop));
	if (rootfs_arm_stop(se, stop) != 0)
		goto out_unmount;
	/* Before any thread: fork() keeps only the caller's. */
	if (!o->foreground && (tell = detach()) == -1)
		goto out_unmount;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	(void)sigaction(SIGTERM, &sa, NULL);
	(void)sigaction(SIGINT, &sa, NULL);
	(void)sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	(void)sigaction(SIGPIPE, &sa, NULL);
	if (pthread_create(&thread, NULL, serve, se) != 0) {
		fprintf(stderr, "mailfs: cannot start the root filesystem's thread\n");
		goto out_unmount;
	}
	serving = 1;
	if (stat(mount, &st) == -1) {
		fprintf(stderr, "mailfs: %s: %s\n", mount, strerror(errno));
		goto out_stop;
	}
	for (i = 0; i < nkids; i++) {
		int r;

		if ((r = spawn(&kids[i], self, argc, argv)) != 0) {
			fprintf(stderr, "mailfs: %s: not mounted: cannot run %s: %s\n",
			    kids[i].name, self, strerror(r));
			rootfs_set_error(i, strerror(r));
		}
	}
	root_dev = st.st_dev;
	mounted = start_wait(&sig);
	starting = 0;
	if (sig != -1) {
		fprintf(stderr, "mailfs: %s before every account was mounted\n",
		    sig == 0 ? "the mount went away" : "stopped by a signal");
		goto out_stop;
	}
	if (mounted == 0) {
		fprintf(stderr, "mailfs: no account was mounted\n");
		goto out_stop;
	}
	verdict(tell, 0);
	tell = -1;
	if (!o->foreground)
		log_background();
	(void)chdir("/");
	log_msg(LOG_INFO, "mounted %zu of %zu accounts on %s", mounted, nkids, mount);
	ready_say(NULL);
	sig = run();
	log_msg(LOG_INFO, "%s: stopping every account", sig == 0 ? "unmounted" : "signal");
	status = 0;
out_stop:
	stop_all(o->timeout * 2 + 5);
out_unmount:
	/*
	 * The loop must be out of read() before the unmount closes the
	 * descriptor it reads: a lookup of the stop name, answered, ends it
	 * (a loop told to exit while it waits would read a request and
	 * leave it unanswered).
	 */
	if (serving && !__atomic_load_n(&root_gone, __ATOMIC_ACQUIRE))
		stop_loop(mount, stop);
	for (i = 0; serving && i < 20 && !__atomic_load_n(&root_gone, __ATOMIC_ACQUIRE); i++)
		(void)wait_events(100);
	if (serving && __atomic_load_n(&root_gone, __ATOMIC_ACQUIRE)) {
		(void)pthread_join(thread, NULL);
		serving = 0;
	}
	fuse_session_exit(se);
	fuse_session_unmount(se);
	/* A loop still inside read() (the kernel did not answer) keeps se. */
	if (!serving)
		fuse_session_destroy(se);
out_root:
	rootfs_free();
	goto out;
nomem:
	fprintf(stderr, "mailfs: out of memory\n");
out:
	verdict(tell, status);
	if (kids != NULL)
		for (i = 0; i < nkids; i++)
			free(kids[i].path);
	free(kids);
	kids = NULL;
	free(names);
	free(mount);
	free(self);
	config_free(&c);
	return status;
}
