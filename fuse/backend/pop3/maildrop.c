/*
 * The POP3 backend: its operations table, the one session and its
 * errors, and the first contact (see maildrop.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "connwhy.h"
#include "deadline.h"
#include "log.h"
#include "pop3_int.h"
#include "online.h"
#include "password.h"
#include "signin.h"

static void pop3_free(struct backend *be);
static void pop3_cancel(struct backend *be, int on);
static unsigned pop3_caps(struct backend *be);
static int pop3_list(struct backend *be, struct list_result *lr);
static int pop3_status(struct backend *be, const char *mailbox, struct be_status *st_r);

static const struct backend_ops pop3_ops = {
	.free = pop3_free,
	.cancel = pop3_cancel,
	.caps = pop3_caps,
	.list = pop3_list,
	.status = pop3_status,
	.open = pop3_open,
	.close = pop3_close,
	.refresh = pop3_refresh,
	.listing = pop3_listing,
	.fetch = pop3_fetch,
	.expunge = pop3_expunge
	/* create, remove, rename, quota, move, append, set_flags, wait_changes: EPERM */
};

/* One maildrop per process: one account a mount. */
static struct backend pop3_backend = { &pop3_ops, "pop3" };

static struct mailfs_pop3_params params;
static const char *user;
static const struct secret *password;
static const struct pop3_mapstore *mapstore;
static int map_loaded;
/* The session lock: held from open() to close(), so one session at a time. */
static pthread_mutex_t session_lock = PTHREAD_MUTEX_INITIALIZER;
static struct be_folder folder;
/* Readable once pop3_cancel(1) ran: the session's waits end. */
static int cancel_pipe[2] = { -1, -1 };
static volatile int cancelled;
static time_t last_login;	/* CLOCK_MONOTONIC seconds, 0: never */
static long login_delay = -1;	/* LOGIN-DELAY's seconds, -1: none announced */

/* The protocol trace (-d); secrets are masked by the library already. */
static void
pop3_trace(void *ctx, enum mailfs_trace_dir dir, const char *line, size_t len)
{
	static const char *const arrows[] = { "C:", "S:", "--" };
	int n = len > 900 ? 900 : (int)len;

	(void)ctx;
	log_msg(LOG_DEBUG, "pop3 %s %.*s%s", arrows[dir <= MAILFS_TRACE_INFO ? dir : 2],
	    n, line, n < (int)len ? " ..." : "");
}

struct backend *
pop3_backend_new(const struct mailfs_pop3_params *p, const char *u,
    const struct secret *pw, const struct pop3_mapstore *ms)
{
	params = *p;
	if (log_debugging())
		params.trace = pop3_trace;
	user = u;
	password = pw;
	mapstore = ms;
	if (pipe(cancel_pipe) == -1)
		return NULL;
	(void)fcntl(cancel_pipe[0], F_SETFL, O_NONBLOCK);
	(void)fcntl(cancel_pipe[1], F_SETFL, O_NONBLOCK);
	(void)fcntl(cancel_pipe[0], F_SETFD, FD_CLOEXEC);
	(void)fcntl(cancel_pipe[1], F_SETFD, FD_CLOEXEC);
	return &pop3_backend;
}

static void
pop3_free(struct backend *be)
{
	(void)be;
	mailfs_pop3_free(&folder.c);
	free(folder.msgs);
	folder.msgs = NULL;
	folder.n = 0;
	uidmap_free();
	if (cancel_pipe[0] != -1) {
		close(cancel_pipe[0]);
		close(cancel_pipe[1]);
		cancel_pipe[0] = cancel_pipe[1] = -1;
	}
}

static void
pop3_cancel(struct backend *be, int on)
{
	char byte = 0;

	(void)be;
	cancelled = on;
	if (on)
		(void)write(cancel_pipe[1], &byte, 1);
	else
		while (read(cancel_pipe[0], &byte, 1) == 1)
			;
}

static unsigned
pop3_caps(struct backend *be)
{
	(void)be;
	return BE_CAN_EXPUNGE_ONE;
}

/* INBOX, the one folder, into lr: nothing is asked of the server. */
static int
pop3_list(struct backend *be, struct list_result *lr)
{
	(void)be;
	list_result_clear(lr);
	if ((lr->v = calloc(1, sizeof(*lr->v))) == NULL ||
	    (lr->v[0].name = strdup("INBOX")) == NULL) {
		free(lr->v);
		lr->v = NULL;
		return ENOMEM;
	}
	lr->n = lr->cap = 1;
	lr->v[0].attrs = BE_FOLDER_HASNOCHILDREN | BE_FOLDER_NOINFERIORS;
	return 0;
}

static int
pop3_status(struct backend *be, const char *mailbox, struct be_status *st_r)
{
	struct be_folder *f;
	int r;

	if ((r = pop3_open(be, mailbox, &f, st_r)) != 0)
		return r;
	if ((r = pop3_refresh(f, st_r)) != 0) {
		pop3_close(f, 1);
		return r;
	}
	pop3_close(f, 0);
	return 0;
}

int
pop3_errno(const struct mailfs_error *err)
{
	switch (err->kind) {
	case MAILFS_ERR_NONE:
		return 0;
	case MAILFS_ERR_NOMEM:
		return ENOMEM;
	case MAILFS_ERR_SYSTEM:
		return err->sys_errno != 0 ? err->sys_errno : EIO;
	case MAILFS_ERR_TIMEOUT:
		return ETIMEDOUT;
	case MAILFS_ERR_AUTH:
		return EACCES;
	case MAILFS_ERR_RESOLVE:
	case MAILFS_ERR_CONNECT:
		return ONLINE_ERRNO;
	case MAILFS_ERR_NO:
		if (err->code == MAILFS_CODE_INUSE || err->code == MAILFS_CODE_LOGIN_DELAY ||
		    err->code == MAILFS_CODE_SYS_TEMP)
			return EAGAIN;
		return EIO;
	case MAILFS_ERR_UNSUPPORTED:
		return EPERM;
	default:
		return EIO;
	}
}

int
pop3_lock(void)
{
	if (cancelled)
		return ECANCELED;
	if (deadline_lock(&session_lock) != 0)
		return ETIMEDOUT;
	if (cancelled) {
		pthread_mutex_unlock(&session_lock);
		return ECANCELED;
	}
	return 0;
}

void
pop3_unlock(void)
{
	pthread_mutex_unlock(&session_lock);
}

struct be_folder *
pop3_folder(void)
{
	return &folder;
}

static time_t
mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

/* Collects UIDL's answer into f->msgs; ctx is f. */
static void
on_uidl(void *ctx, const struct mailfs_pop3_item *it)
{
	struct be_folder *f = ctx;
	struct pop3_msg *tmp;

	if (f->broken)
		return;
	if ((tmp = realloc(f->msgs, (f->n + 1) * sizeof(*tmp))) == NULL) {
		f->broken = ENOMEM;
		return;
	}
	f->msgs = tmp;
	if ((tmp[f->n].e = uidmap_get(it->uidl)) == NULL) {
		f->broken = ENOMEM;
		return;
	}
	tmp[f->n].number = it->number;
	tmp[f->n].size = 0;
	f->n++;
}

/* Adds LIST's sizes; ctx is f.  Numbers come in order, as UIDL's. */
static void
on_list(void *ctx, const struct mailfs_pop3_item *it)
{
	struct be_folder *f = ctx;
	size_t lo = 0, hi = f->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (f->msgs[mid].number == it->number) {
			f->msgs[mid].size = it->size;
			return;
		}
		if (f->msgs[mid].number < it->number)
			lo = mid + 1;
		else
			hi = mid;
	}
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Forgets the map's entries of UIDLs the server no longer lists. */
static void
prune_map(const struct be_folder *f)
{
	uint32_t *keep;
	size_t i;

	if ((keep = malloc((f->n + 1) * sizeof(*keep))) == NULL)
		return;
	for (i = 0; i < f->n; i++)
		keep[i] = f->msgs[i].e->uid;
	qsort(keep, f->n, sizeof(*keep), cmp_u32);
	uidmap_keep(keep, f->n);
	free(keep);
}

/*
 * Logs a failure of the session once, with the server's words: err, or
 * the client's own error when NULL.
 */
static int
fail_with(struct be_folder *f, const char *what, int unreachable,
    const struct mailfs_error *err)
{
	int r;

	if (err == NULL)
		err = mailfs_pop3_error(f->c);
	r = pop3_errno(err);

	if (r == ONLINE_ERRNO)
		r = unreachable;
	if (err->kind == MAILFS_ERR_NO && err->code == MAILFS_CODE_INUSE)
		log_msg(LOG_ERR, "the maildrop is in use by another session (%s): %s",
		    err->msg, what);
	else if (r != ECANCELED)
		log_msg(r == EROFS ? LOG_ERR : LOG_WARNING, "POP3 %s failed: %s%s", what,
		    err->msg, r == EROFS ? " (nothing was deleted)" : "");
	mailfs_pop3_free(&f->c);
	/* Its numbers are this session's, and its entries may be gone from the map. */
	free(f->msgs);
	f->msgs = NULL;
	f->n = 0;
	f->broken = r;
	return r;
}

static int
fail(struct be_folder *f, const char *what, int unreachable)
{
	return fail_with(f, what, unreachable, NULL);
}

int
pop3_session(struct be_folder *f, int unreachable)
{
	const struct timespec *dl;
	struct mailfs_error err;
	int r;

	if (f->broken)
		return f->broken;
	if (f->c != NULL)
		return 0;
	if (cancelled)
		return ECANCELED;
	if ((r = pop3_map_ready()) != 0)
		return r;
	if (login_delay > 0 && last_login != 0 && mono_now() - last_login < login_delay) {
		log_msg(LOG_DEBUG, "LOGIN-DELAY %ld s: not logging in again yet", login_delay);
		return EAGAIN;
	}
	if ((f->c = mailfs_pop3_new(&params)) == NULL)
		return ENOMEM;
	mailfs_pop3_set_cancel_fd(f->c, cancel_pipe[0]);
	if ((dl = deadline_current()) != NULL)
		mailfs_pop3_set_deadline(f->c, dl);
	if (mailfs_pop3_connect(f->c) == -1)
		return fail(f, "connect", unreachable);
	if (signin_pop3(f->c, user, password, params.host, params.port, &err) == -1)
		return fail_with(f, "login", unreachable, &err);
	last_login = mono_now();
	login_delay = mailfs_pop3_login_delay(f->c);
	free(f->msgs);
	f->msgs = NULL;
	f->n = 0;
	r = mailfs_pop3_uidl(f->c, on_uidl, f);
	if (f->broken == 0 && r == 0) {
		prune_map(f);
		/* The new UIDs are saved before they are told. */
		f->broken = uidmap_commit();
	} else
		(void)uidmap_commit();	/* what the map learnt may stand */
	if (r == -1)
		return fail(f, "UIDL", unreachable);
	if (f->broken) {
		log_msg(LOG_ERR, "the map of POP3 UIDs cannot be kept: %s", strerror(f->broken));
		mailfs_pop3_free(&f->c);
		free(f->msgs);
		f->msgs = NULL;
		f->n = 0;
		return f->broken;
	}
	if (mailfs_pop3_list(f->c, on_list, f) == -1)
		return fail(f, "LIST", unreachable);
	r = pop3_learn_dates(f);
	(void)uidmap_commit();	/* dates: at worst asked again next time */
	if (r == -1)
		return fail(f, "TOP", unreachable);
	return 0;
}

int
pop3_map_ready(void)
{
	int r;

	if (map_loaded)
		return 0;
	if ((r = uidmap_load(mapstore)) != 0)
		return r;
	map_loaded = 1;
	return 0;
}

int
pop3_session_end(struct be_folder *f, int quit)
{
	int r = 0;

	if (f->c != NULL && quit && mailfs_pop3_is_ready(f->c)) {
		if (mailfs_pop3_quit(f->c) == -1)
			r = pop3_errno(mailfs_pop3_error(f->c));
	} else if (quit)
		r = EIO;
	mailfs_pop3_free(&f->c);
	return r;
}

const struct pop3_msg *
pop3_msg_of(const struct be_folder *f, uint32_t uid)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		if (f->msgs[i].e->uid == uid)
			return &f->msgs[i];
	return NULL;
}

void
pop3_progress(struct be_folder *f)
{
	if (f->c != NULL && deadline_extend())
		mailfs_pop3_set_deadline(f->c, deadline_current());
}

/* The sentence for a failure to use the maildrop. */
static void
connect_failure(const struct mailfs_url *url, const struct mailfs_error *err,
    char *why, size_t size)
{
	if (err->kind == MAILFS_ERR_NO_STARTTLS)
		snprintf(why, size, "%s:%s does not offer STLS, which pop3:// "
		    "requires (nothing was sent)", url->host, url->port);
	else if (err->kind == MAILFS_ERR_UNSUPPORTED)
		snprintf(why, size, "%s:%s does not offer UIDL, without which messages "
		    "have no stable names (see mailfs(1))", url->host, url->port);
	else if (err->kind == MAILFS_ERR_NO && err->code == MAILFS_CODE_INUSE)
		snprintf(why, size, "the maildrop is in use by another session "
		    "(another mail client is connected): %s", err->msg);
	else if (err->kind == MAILFS_ERR_NO && err->code == MAILFS_CODE_LOGIN_DELAY)
		snprintf(why, size, "the server allows no login yet (LOGIN-DELAY): %s",
		    err->msg);
	else
		connect_why(err, url->host, url->port, why, size);
}

/* The first contact's UIDL: only checks that it works. */
static void
on_uidl_count(void *ctx, const struct mailfs_pop3_item *it)
{
	(void)it;
	(*(size_t *)ctx)++;
}

int
pop3_backend_connect(struct backend *be, const struct mailfs_url *url,
    struct list_result *lr, char *why, size_t size)
{
	struct mailfs_error err;
	struct mailfs_pop3 *c;
	size_t n = 0;
	int r, ok;

	list_result_clear(lr);
	if ((c = mailfs_pop3_new(&params)) == NULL) {
		snprintf(why, size, "out of memory");
		return ENOMEM;
	}
	mailfs_pop3_set_cancel_fd(c, cancel_pipe[0]);
	ok = 0;
	if (mailfs_pop3_connect(c) == -1)
		err = *mailfs_pop3_error(c);
	else if (signin_pop3(c, user, password, params.host, params.port, &err) == -1)
		;	/* its sentence is in err */
	else if (mailfs_pop3_uidl(c, on_uidl_count, &n) == -1)
		err = *mailfs_pop3_error(c);
	else
		ok = 1;
	if (!ok) {
		mailfs_pop3_free(&c);
		connect_failure(url, &err, why, size);
		r = pop3_errno(&err);
		/* Mounted only with the server: nothing is saved to stand in. */
		return r == ONLINE_ERRNO ? EIO : r;
	}
	last_login = mono_now();
	login_delay = mailfs_pop3_login_delay(c);
	(void)mailfs_pop3_quit(c);
	mailfs_pop3_free(&c);
	log_msg(LOG_DEBUG, "the maildrop holds %zu messages", n);
	return pop3_list(be, lr);
}
