/*
 * testenv: starts and stops tests/harness/dovecot.sh for the C tests and
 * reads the shell assignments it prints.
 *
 * Cleanup at exit and on signals runs "dovecot.sh stop" and "rm -rf" in a
 * child with fork() and execv(), which are async-signal-safe; the command
 * lines are built at start so that the handler allocates nothing.  Only
 * the process that started a server stops it: a forked child (a scripted
 * server, say) that exits must not take Dovecot with it.
 */
#include <sys/types.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testenv.h"

#ifndef TESTENV_HARNESS_DIR
#define TESTENV_HARNESS_DIR "tests/harness"
#endif

#define TESTENV_MAX	8	/* servers one test may run at once */
#define TESTENV_MAXOPT	8	/* options passed to dovecot.sh */
#define TESTENV_OUTMAX	8192	/* dovecot.sh's output */

/* What cleanup needs, prepared while it is still safe to allocate. */
struct testenv_slot {
	int used;
	pid_t owner;
	char script[PATH_MAX];	/* dovecot.sh */
	char top[256];		/* the temp directory; DIR is top/dovecot */
};

static struct testenv_slot slots[TESTENV_MAX];
static int hooks_installed;

/* "sh" -c CMD dovecot.sh top: stop, then remove, both quiet. */
static const char cleanup_cmd[] =
    "sh \"$0\" stop \"$1/dovecot\" >/dev/null 2>&1; rm -rf \"$1\"";

static void
slot_cleanup(struct testenv_slot *s)
{
	pid_t pid;
	int status;

	if (!s->used || s->owner != getpid())
		return;
	s->used = 0;
	pid = fork();
	if (pid == 0) {
		execl("/bin/sh", "sh", "-c", cleanup_cmd, s->script, s->top,
		    (char *)NULL);
		_exit(127);
	}
	if (pid > 0)
		while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
			;
}

static void
cleanup_all(void)
{
	int i, saved = errno;

	for (i = 0; i < TESTENV_MAX; i++)
		slot_cleanup(&slots[i]);
	errno = saved;
}

static void
on_signal(int sig)
{
	cleanup_all();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void
install_hooks(void)
{
	struct sigaction sa;
	int sigs[] = { SIGINT, SIGTERM, SIGHUP };
	size_t i;

	if (hooks_installed)
		return;
	hooks_installed = 1;
	atexit(cleanup_all);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
}

/* Copies src into dst of size dstsize; -1 when it does not fit. */
static int
copy_str(char *dst, size_t dstsize, const char *src, size_t len)
{
	if (len >= dstsize)
		return -1;
	memcpy(dst, src, len);
	dst[len] = '\0';
	return 0;
}

/* Stores one KEY=VALUE line of dovecot.sh's output into env. */
static int
take_line(struct testenv *env, const char *line, size_t len)
{
	static const struct {
		const char *key;
		size_t off;
		size_t size;
	} keys[] = {
#define K(name, member) { name, offsetof(struct testenv, member), \
	sizeof(((struct testenv *)0)->member) }
		K("DOVECOT_DIR", dir),
		K("IMAP_HOST", host),
		K("IMAP_PORT", imap_port),
		K("IMAPS_PORT", imaps_port),
		K("POP3_PORT", pop3_port),
		K("POP3S_PORT", pop3s_port),
		K("TEST_CA", ca),
		K("TEST_USER", user),
		K("TEST_PASSWORD", password),
		K("TEST_PASSWORD_FILE", password_file),
#undef K
	};
	const char *eq;
	size_t i, klen;

	if ((eq = memchr(line, '=', len)) == NULL)
		return 0;
	klen = eq - line;
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (strlen(keys[i].key) != klen ||
		    memcmp(keys[i].key, line, klen) != 0)
			continue;
		if (copy_str((char *)env + keys[i].off, keys[i].size, eq + 1,
		    len - klen - 1) == -1) {
			fprintf(stderr, "testenv: %.*s is too long\n",
			    (int)klen, line);
			return -1;
		}
	}
	return 0;
}

/* Runs "sh dovecot.sh start DIR OPTIONS..." and reads what it prints. */
static int
run_start(struct testenv *env, const char *script, const char *dir,
    const char *options)
{
	char out[TESTENV_OUTMAX], opts[512], *argv[5 + TESTENV_MAXOPT];
	char *p, *line, *nl;
	size_t used = 0;
	ssize_t n;
	pid_t pid;
	int fds[2], status, argc = 0;

	argv[argc++] = "sh";
	argv[argc++] = (char *)script;
	argv[argc++] = "start";
	argv[argc++] = (char *)dir;
	if (options != NULL) {
		if (copy_str(opts, sizeof(opts), options,
		    strlen(options)) == -1) {
			fprintf(stderr, "testenv: options too long\n");
			return -1;
		}
		for (p = strtok(opts, " "); p != NULL; p = strtok(NULL, " ")) {
			if (argc == 4 + TESTENV_MAXOPT) {
				fprintf(stderr, "testenv: too many options\n");
				return -1;
			}
			argv[argc++] = p;
		}
	}
	argv[argc] = NULL;

	if (pipe(fds) == -1) {
		perror("testenv: pipe");
		return -1;
	}
	fflush(stdout);
	if ((pid = fork()) == -1) {
		perror("testenv: fork");
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (pid == 0) {
		close(fds[0]);
		if (dup2(fds[1], STDOUT_FILENO) == -1)
			_exit(127);
		close(fds[1]);
		execv("/bin/sh", argv);
		_exit(127);
	}
	close(fds[1]);
	for (;;) {
		n = read(fds[0], out + used, sizeof(out) - 1 - used);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		used += n;
		if (used == sizeof(out) - 1)
			break;
	}
	close(fds[0]);
	while (waitpid(pid, &status, 0) == -1) {
		if (errno != EINTR) {
			perror("testenv: waitpid");
			return -1;
		}
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "testenv: %s start failed\n", script);
		return -1;
	}
	out[used] = '\0';
	for (line = out; *line != '\0'; line = nl + 1) {
		if ((nl = strchr(line, '\n')) == NULL)
			nl = line + strlen(line) - 1;
		if (take_line(env, line, nl - line + (*nl != '\n')) == -1)
			return -1;
	}
	if (env->dir[0] == '\0' || env->host[0] == '\0' ||
	    env->imap_port[0] == '\0' || env->user[0] == '\0') {
		fprintf(stderr, "testenv: %s printed no server\n", script);
		return -1;
	}
	return 0;
}

int
testenv_start(struct testenv *env, const char *options)
{
	struct testenv_slot *s = NULL;
	const char *harness, *tmp;
	char dir[sizeof(env->dir)], real[PATH_MAX];
	int i;

	memset(env, 0, sizeof(*env));
	for (i = 0; i < TESTENV_MAX; i++)
		if (!slots[i].used) {
			s = &slots[i];
			break;
		}
	if (s == NULL) {
		fprintf(stderr, "testenv: more than %d servers\n", TESTENV_MAX);
		return -1;
	}
	if ((harness = getenv("MAILFS_HARNESS_DIR")) == NULL)
		harness = TESTENV_HARNESS_DIR;
	if ((tmp = getenv("TMPDIR")) == NULL || *tmp == '\0')
		tmp = "/tmp";
	if ((size_t)snprintf(s->script, sizeof(s->script), "%s/dovecot.sh",
	    harness) >= sizeof(s->script) ||
	    (size_t)snprintf(s->top, sizeof(s->top), "%s/mailfs-testenv.XXXXXX",
	    tmp) >= sizeof(s->top) - sizeof("/dovecot")) {
		fprintf(stderr, "testenv: path too long\n");
		return -1;
	}
	if (access(s->script, R_OK) == -1) {
		fprintf(stderr, "testenv: %s: %s\n", s->script,
		    strerror(errno));
		return -1;
	}
	if (mkdtemp(s->top) == NULL) {
		fprintf(stderr, "testenv: mkdtemp %s: %s\n", s->top,
		    strerror(errno));
		return -1;
	}
	/*
	 * dovecot.sh prints DIR with symbolic links resolved; so must top be
	 * for testenv_stop() to find it.
	 */
	if (realpath(s->top, real) == NULL ||
	    copy_str(s->top, sizeof(s->top) - sizeof("/dovecot"), real,
	    strlen(real)) == -1) {
		fprintf(stderr, "testenv: realpath %s failed\n", s->top);
		rmdir(s->top);
		return -1;
	}
	/* Dovecot's mail processes run as another user and must get in. */
	chmod(s->top, 0755);
	s->owner = getpid();
	s->used = 1;
	install_hooks();
	snprintf(dir, sizeof(dir), "%s/dovecot", s->top);
	if (run_start(env, s->script, dir, options) == -1) {
		slot_cleanup(s);
		memset(env, 0, sizeof(*env));
		return -1;
	}
	return 0;
}

void
testenv_stop(struct testenv *env)
{
	size_t len;
	int i;

	if (env->dir[0] == '\0')
		return;
	for (i = 0; i < TESTENV_MAX; i++) {
		len = strlen(slots[i].top);
		if (slots[i].used &&
		    strncmp(env->dir, slots[i].top, len) == 0 &&
		    env->dir[len] == '/')
			slot_cleanup(&slots[i]);
	}
	env->dir[0] = '\0';
}

void
testenv_params(const struct testenv *env, enum mailfs_security sec,
    struct mailfs_params *params_r)
{
	memset(params_r, 0, sizeof(*params_r));
	params_r->host = env->host;
	params_r->port = sec == MAILFS_SEC_IMPLICIT_TLS ? env->imaps_port :
	    env->imap_port;
	params_r->security = sec;
	params_r->ca_file = env->ca;
	params_r->connect_timeout_ms = 10000;
	params_r->io_timeout_ms = 10000;
}
