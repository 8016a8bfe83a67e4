/*
 * The connection pool (see pool.h).
 *
 * RFC 3501 6.3.1 (SELECT), RFC 5161 (ENABLE), RFC 7162 3.2.3 (ENABLE
 * QRESYNC, which implies CONDSTORE).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <mailfs/commands.h>

#include "deadline.h"
#include "errmap.h"
#include "log.h"
#include "online.h"
#include "password.h"
#include "signin.h"
#include "pool.h"
#include "profile.h"

struct pool_conn {
	struct mailfs_client *client;	/* NULL until first used, and after a break */
	char *selected;			/* the mailbox selected, or NULL */
	int busy;
	unsigned long last_used;
};

static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t pool_cond;	/* on CLOCK_MONOTONIC, as deadlines are */
/* Readable once pool_cancel() ran: every client's waits end (client.h). */
static int cancel_pipe[2] = { -1, -1 };
static int cancelled;		/* pool_cancel(1) and not yet (0) */
static struct pool_conn *conns;
static unsigned nconns;
static struct mailfs_params pool_params;
static const char *pool_user;
static const struct secret *pool_password;
static unsigned pool_caps;
static unsigned long use_counter;
/* What made the pool go offline, as the library said it (pool_offline_cause()). */
static struct mailfs_error offline_cause;

/*
 * The reconnect while offline (probe_main()): its thread, started after
 * the mount (pool_probe_start()) and stopped by pool_cancel(1), tries one
 * connection after PROBE_FIRST_MS, then at doubling intervals up to
 * PROBE_MAX_MS; a caller that found the pool offline hurries it, but
 * never to more than an attempt every PROBE_KICK_MS.  probe_lock, a
 * leaf, guards these.
 */
#define PROBE_FIRST_MS	1000
#define PROBE_MAX_MS	30000
#define PROBE_KICK_MS	2000
/* A connect that timed out sooner had no fair chance (a deadline nearly spent). */
#define TIMEOUT_FAIR_MS	900

static pthread_mutex_t probe_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t probe_cond;	/* on CLOCK_MONOTONIC */
static pthread_t probe_thread;
static int probe_running, probe_stop, probe_kicked;

int
pool_run(struct mailfs_client *c, struct mailfs_cmd *cmd)
{
	struct prof_span sp;
	int r;

	prof_span_begin(&sp, profile_now());
	r = mailfs_run(c, cmd, NULL);
	(void)prof_span_end(&sp);
	return r;
}

void
pool_op_progress(struct mailfs_client *c)
{
	if (deadline_extend())
		mailfs_client_set_deadline(c, deadline_current());
}

int
pool_busy_error(const struct mailfs_error *err)
{
	return err->kind == MAILFS_ERR_SYSTEM && err->sys_errno == ETIMEDOUT;
}

int
pool_init(const struct mailfs_params *params, const char *user,
    const struct secret *password, unsigned nconn)
{
	pthread_condattr_t ca;

	if (pipe2(cancel_pipe, O_CLOEXEC | O_NONBLOCK) == -1)
		return -1;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&pool_cond, &ca);
	pthread_cond_init(&probe_cond, &ca);
	pthread_condattr_destroy(&ca);
	if ((conns = calloc(nconn, sizeof(*conns))) == NULL)
		return -1;
	nconns = nconn;
	pool_params = *params;
	pool_user = user;
	pool_password = password;
	return 0;
}

void
pool_cancel(int on)
{
	char byte = 0;

	pthread_mutex_lock(&pool_lock);
	cancelled = on;
	pthread_cond_broadcast(&pool_cond);
	pthread_mutex_unlock(&pool_lock);
	if (on) {
		/* For good: the exit follows. */
		pthread_mutex_lock(&probe_lock);
		probe_stop = 1;
		pthread_cond_broadcast(&probe_cond);
		pthread_mutex_unlock(&probe_lock);
	}
	if (on)
		(void)write(cancel_pipe[1], &byte, 1);
	else
		while (read(cancel_pipe[0], &byte, 1) == 1)
			;
}

int
pool_cancelled(void)
{
	int on;

	pthread_mutex_lock(&pool_lock);
	on = cancelled;
	pthread_mutex_unlock(&pool_lock);
	return on;
}

void
pool_destroy(void)
{
	unsigned i;

	pthread_mutex_lock(&probe_lock);
	probe_stop = 1;
	pthread_cond_broadcast(&probe_cond);
	pthread_mutex_unlock(&probe_lock);
	if (probe_running) {
		pthread_join(probe_thread, NULL);
		probe_running = 0;
	}
	/*
	 * No LOGOUT: its answer would be waited for, and a server that
	 * stopped answering would hold the exit.  Closing is enough for
	 * IMAP (RFC 3501 3: the server ends the session).
	 */
	for (i = 0; i < nconns; i++) {
		mailfs_client_free(&conns[i].client);
		free(conns[i].selected);
	}
	free(conns);
	conns = NULL;
	nconns = 0;
	if (cancel_pipe[0] != -1) {
		close(cancel_pipe[0]);
		close(cancel_pipe[1]);
		cancel_pipe[0] = cancel_pipe[1] = -1;
		pthread_cond_destroy(&pool_cond);
		pthread_cond_destroy(&probe_cond);
	}
}

unsigned
pool_capabilities(void)
{
	unsigned caps;

	pthread_mutex_lock(&pool_lock);
	caps = pool_caps;
	pthread_mutex_unlock(&pool_lock);
	return caps;
}

static void
set_error(struct mailfs_error *err, enum mailfs_errkind kind, const char *msg)
{
	memset(err, 0, sizeof(*err));
	err->kind = kind;
	strncpy(err->msg, msg, sizeof(err->msg) - 1);
}

/*
 * Not MAILFS_ERR_TIMEOUT: no connection failed, and none must be reopened
 * or asked what happened (pool_busy_error()).
 */
static void
set_busy_error(struct mailfs_error *err, const char *msg)
{
	set_error(err, MAILFS_ERR_SYSTEM, msg);
	err->sys_errno = ETIMEDOUT;
}

static void
drop_client(struct pool_conn *pc)
{
	mailfs_client_free(&pc->client);
	free(pc->selected);
	pc->selected = NULL;
}

/* Bounds c's waits by this thread's operation, if one runs. */
static void
set_deadline(struct mailfs_client *c)
{
	mailfs_client_set_deadline(c, deadline_current());
}

/* Milliseconds on CLOCK_MONOTONIC. */
static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * 1 when a connection failed to open for a network reason: refused,
 * unreachable, a name that does not resolve, or no answer in time after
 * a fair chance (elapsed_ms).  Not a refused login, a certificate, TLS,
 * a server that closed or said BYE (it answers), nor the exit.
 */
static int
network_failure(const struct mailfs_error *err, int64_t elapsed_ms)
{
	switch (err->kind) {
	case MAILFS_ERR_CONNECT:
	case MAILFS_ERR_RESOLVE:
		return 1;
	case MAILFS_ERR_TIMEOUT:
		return elapsed_ms >= TIMEOUT_FAIR_MS;
	case MAILFS_ERR_SYSTEM:
		switch (err->sys_errno) {
		case ECONNREFUSED:
		case ECONNRESET:
		case ECONNABORTED:
		case ENETDOWN:
		case ENETUNREACH:
		case EHOSTDOWN:
		case EHOSTUNREACH:
			return 1;
		case ETIMEDOUT:
			return elapsed_ms >= TIMEOUT_FAIR_MS;
		default:
			return 0;
		}
	default:
		return 0;
	}
}

/* Hurries the reconnect: someone needs the server. */
static void
probe_kick(void)
{
	pthread_mutex_lock(&probe_lock);
	probe_kicked = 1;
	pthread_cond_broadcast(&probe_cond);
	pthread_mutex_unlock(&probe_lock);
}

/* What a caller gets while offline: ONLINE_ERRNO, nothing sent. */
static void
set_offline_error(struct mailfs_error *err)
{
	set_error(err, MAILFS_ERR_SYSTEM, "the server cannot be reached (offline)");
	err->sys_errno = ONLINE_ERRNO;
}

int
pool_offline_error(const struct mailfs_error *err)
{
	return err->kind == MAILFS_ERR_SYSTEM && err->sys_errno == ONLINE_ERRNO;
}

int
pool_quiet_error(const struct mailfs_error *err)
{
	return pool_offline_error(err) || pool_cancelled();
}

void
pool_offline_cause(struct mailfs_error *err_r)
{
	pthread_mutex_lock(&pool_lock);
	*err_r = offline_cause;
	pthread_mutex_unlock(&pool_lock);
}

/*
 * A connection failed to open (err, after elapsed_ms): the last error,
 * and offline when it failed for a network reason; then *err becomes
 * the offline error (its message kept), as every later call's will be.
 */
static void
note_open_failure(struct mailfs_error *err, int64_t elapsed_ms)
{
	if (pool_cancelled())
		return;
	if (!network_failure(err, elapsed_ms)) {
		online_note_error(err->msg);
		return;
	}
	pthread_mutex_lock(&pool_lock);
	offline_cause = *err;
	pthread_mutex_unlock(&pool_lock);
	/* Before the mount (no probe yet) main.c says it, in one line. */
	if (online_go_offline(err->msg) && probe_running) {
		log_msg(LOG_NOTICE, "the server cannot be reached (%s): offline, serving "
		    "what the store holds and trying again in the background", err->msg);
		probe_kick();
	}
	err->kind = MAILFS_ERR_SYSTEM;
	err->sys_errno = ONLINE_ERRNO;
}

struct mailfs_client *
pool_connect(const struct mailfs_unilateral *u, struct mailfs_error *err_r)
{
	struct mailfs_params params = pool_params;
	struct mailfs_client *c;
	unsigned caps;

	params.unilateral = u;
	if ((c = mailfs_client_new(&params)) == NULL) {
		set_error(err_r, MAILFS_ERR_NOMEM, "out of memory");
		return NULL;
	}
	mailfs_client_set_cancel_fd(c, cancel_pipe[0]);
	set_deadline(c);
	if (mailfs_client_connect(c) == -1)
		goto fail;
	if (mailfs_client_state(c) == MAILFS_STATE_NOT_AUTHENTICATED &&
	    signin_imap(c, pool_user, pool_password, params.host, params.port,
	    err_r) == -1) {
		mailfs_client_free(&c);
		return NULL;
	}
	caps = mailfs_client_capabilities(c);
	/*
	 * Deltas instead of listings: QRESYNC where offered, else CONDSTORE.
	 * Nobody waits for the answer: ENABLE goes out with the connection's
	 * first command (a round trip less), the server answers it first, and
	 * what it enabled is known before that command completes.  A refusal
	 * leaves full listings, as before.
	 */
	if ((caps & MAILFS_CAP_QRESYNC) && (caps & MAILFS_CAP_ENABLE))
		mailfs_cmd_detach(c, mailfs_enable(c, "QRESYNC"));
	else if ((caps & MAILFS_CAP_CONDSTORE) && (caps & MAILFS_CAP_ENABLE))
		mailfs_cmd_detach(c, mailfs_enable(c, "CONDSTORE"));
	pthread_mutex_lock(&pool_lock);
	pool_caps = caps;
	pthread_mutex_unlock(&pool_lock);
	return c;
fail:
	*err_r = *mailfs_client_error(c);
	mailfs_client_free(&c);
	return NULL;
}

/* Connects and logs in; on failure *err_r says why and the client is gone. */
static int
open_client(struct pool_conn *pc, struct mailfs_error *err_r)
{
	uint64_t t0 = profile_now();
	int64_t started = now_ms();

	if ((pc->client = pool_connect(NULL, err_r)) == NULL) {
		drop_client(pc);
		note_open_failure(err_r, now_ms() - started);
		return -1;
	}
	profile_since(PROF_CONNECT_N, PROF_CONNECT_US, t0);
	return 0;
}

struct mailfs_cmd *
pool_select_send(struct pool_conn *pc, const char *mailbox)
{
	struct mailfs_client *c = pc->client;

	free(pc->selected);
	pc->selected = NULL;
	profile_add(PROF_SELECT_N, 1);
	/*
	 * SELECT, not EXAMINE: flags are stored through this connection too.
	 * Reading never sets \Seen all the same (BODY.PEEK[]).
	 */
	return mailfs_select(c, mailbox, MAILFS_SELECT_CONDSTORE, NULL, NULL);
}

int
pool_select_wait(struct pool_conn *pc, struct mailfs_cmd *cmd, const char *mailbox)
{
	if (pool_run(pc->client, cmd) == -1)
		return -1;
	/* Out of memory it is only selected afresh by its next user. */
	pc->selected = strdup(mailbox);
	return 0;
}

int
pool_has_selected(const struct pool_conn *pc, const char *mailbox)
{
	/* The server may have closed the mailbox (deleted: Dovecot says BYE). */
	return pc->selected != NULL && strcmp(pc->selected, mailbox) == 0 &&
	    mailfs_client_mailbox(pc->client) != NULL;
}

static int
select_mailbox(struct pool_conn *pc, const char *mailbox, struct mailfs_error *err_r)
{
	if (pool_select_wait(pc, pool_select_send(pc, mailbox), mailbox) == -1) {
		*err_r = *mailfs_client_error(pc->client);
		if (errmap_conn_broken(err_r))
			drop_client(pc);
		return -1;
	}
	return 0;
}

static struct pool_conn *
choose_locked(const char *mailbox)
{
	struct pool_conn *best = NULL, *pc;
	int score, best_score = -1;
	unsigned i;

	for (i = 0; i < nconns; i++) {
		pc = &conns[i];
		if (pc->busy)
			continue;
		/*
		 * Prefer the folder already selected (for no folder: a
		 * connection with none, whose STATUS shows no session's
		 * view), then a live connection (the least recently used, to
		 * spread the folders), then a new one.
		 */
		if (mailbox != NULL && pc->selected != NULL &&
		    strcmp(pc->selected, mailbox) == 0)
			score = 3;
		else if (pc->client != NULL && mailbox == NULL &&
		    mailfs_client_mailbox(pc->client) == NULL)
			score = 2;
		else if (pc->client != NULL)
			score = 1;
		else
			score = 0;
		if (score > best_score || (score == best_score &&
		    pc->last_used < best->last_used)) {
			best = pc;
			best_score = score;
		}
	}
	return best;
}

/* pool_get(), and pool_get_lazy() when select is 0. */
static struct pool_conn *
get(const char *mailbox, int select, struct mailfs_error *err_r)
{
	struct pool_conn *pc;
	struct timespec deadline;
	int attempt;

	if (deadline_left_ms() == 0) {
		/* Nothing sent: no connection is to be given up for it. */
		set_busy_error(err_r, "the operation ran out of time");
		return NULL;
	}
	if (online_offline()) {
		/* At once, not after a timeout; the reconnect is the probe's. */
		probe_kick();
		set_offline_error(err_r);
		return NULL;
	}
	deadline_on(CLOCK_MONOTONIC, &deadline);
	pthread_mutex_lock(&pool_lock);
	while ((pc = choose_locked(mailbox)) == NULL) {
		if (cancelled) {
			pthread_mutex_unlock(&pool_lock);
			set_error(err_r, MAILFS_ERR_CLOSED, "mailfs is stopping");
			return NULL;
		}
		if (pthread_cond_timedwait(&pool_cond, &pool_lock, &deadline) == ETIMEDOUT &&
		    (pc = choose_locked(mailbox)) == NULL) {
			pthread_mutex_unlock(&pool_lock);
			set_busy_error(err_r, "no IMAP connection became free in time");
			return NULL;
		}
	}
	pc->busy = 1;
	pc->last_used = ++use_counter;
	pthread_mutex_unlock(&pool_lock);

	/*
	 * An idle connection may have been closed by the server (a timeout,
	 * a restart, a cut): poll reads what came meanwhile, EOF included,
	 * so that a dead connection is reopened instead of failing its user.
	 * A connection that dies during SELECT is reopened once more: SELECT
	 * changes nothing on the server, so repeating it is safe.
	 */
	if (pc->client != NULL)
		set_deadline(pc->client);
	for (attempt = 0; attempt < 2; attempt++) {
		if (pc->client != NULL &&
		    (mailfs_client_state(pc->client) < MAILFS_STATE_AUTHENTICATED ||
		    mailfs_client_poll(pc->client) == -1)) {
			log_msg(LOG_INFO, "the connection to the server was lost; reconnecting");
			drop_client(pc);
		}
		if (pc->client == NULL && open_client(pc, err_r) == -1)
			goto fail;
		if (mailbox == NULL || !select || pool_has_selected(pc, mailbox))
			return pc;
		if (select_mailbox(pc, mailbox, err_r) == 0)
			return pc;
		if (pc->client != NULL)
			break;
	}
fail:
	pool_put(pc, 0);
	return NULL;
}

struct pool_conn *
pool_get(const char *mailbox, struct mailfs_error *err_r)
{
	return get(mailbox, 1, err_r);
}

struct pool_conn *
pool_get_lazy(const char *mailbox, struct mailfs_error *err_r)
{
	return get(mailbox, 0, err_r);
}

struct mailfs_client *
pool_client(struct pool_conn *pc)
{
	return pc->client;
}

const char *
pool_selected(const struct pool_conn *pc)
{
	return pc->selected;
}

void
pool_put(struct pool_conn *pc, int failed)
{
	if (!failed)
		online_note_contact();	/* mailfs status's last contact */
	if (failed && pc->client != NULL) {
		if (errmap_conn_broken(mailfs_client_error(pc->client)) ||
		    mailfs_client_state(pc->client) == MAILFS_STATE_DISCONNECTED)
			drop_client(pc);
		else {
			/* The folder may be gone: select it afresh next time. */
			free(pc->selected);
			pc->selected = NULL;
		}
	}
	pthread_mutex_lock(&pool_lock);
	pc->busy = 0;
	pthread_cond_signal(&pool_cond);
	pthread_mutex_unlock(&pool_lock);
}

int
pool_name_under(const char *name, const char *mailbox, char delim)
{
	size_t len = strlen(mailbox);

	return strncmp(name, mailbox, len) == 0 && (name[len] == '\0' ||
	    (delim != '\0' && name[len] == delim));
}

void
pool_unselect_name(const char *mailbox, char delim)
{
	unsigned i;

	pthread_mutex_lock(&pool_lock);
	for (i = 0; i < nconns; i++)
		if (!conns[i].busy && conns[i].selected != NULL &&
		    pool_name_under(conns[i].selected, mailbox, delim)) {
			free(conns[i].selected);
			conns[i].selected = NULL;
		}
	pthread_mutex_unlock(&pool_lock);
}

/*
 * One attempt to reconnect: a free connection opened and logged in
 * (kept for its next user).  0, or -1 (offline still, the error noted).
 */
static int
probe_once(void)
{
	struct mailfs_error err;
	struct pool_conn *pc;
	int r;

	pthread_mutex_lock(&pool_lock);
	if (cancelled || (pc = choose_locked(NULL)) == NULL) {
		pthread_mutex_unlock(&pool_lock);
		return -1;
	}
	pc->busy = 1;
	pc->last_used = ++use_counter;
	pthread_mutex_unlock(&pool_lock);
	/* Whatever it held died with the server. */
	drop_client(pc);
	r = open_client(pc, &err);
	if (r == -1)
		log_msg(LOG_DEBUG, "still offline: %s", err.msg);
	pool_put(pc, 0);
	return r;
}

/* The reconnect thread (see probe_lock above). */
static void *
probe_main(void *arg)
{
	struct timespec until;
	int64_t delay = PROBE_FIRST_MS, last = 0, at;

	(void)arg;
	pthread_mutex_lock(&probe_lock);
	while (!probe_stop) {
		if (!online_offline()) {
			delay = PROBE_FIRST_MS;
			last = now_ms();
			probe_kicked = 0;
			/* Woken by the next failure to connect (probe_kick()). */
			pthread_cond_wait(&probe_cond, &probe_lock);
			continue;
		}
		at = last + delay;
		if (probe_kicked && last + PROBE_KICK_MS < at)
			at = last + PROBE_KICK_MS;
		if (now_ms() < at) {
			until.tv_sec = (time_t)(at / 1000);
			until.tv_nsec = (long)(at % 1000) * 1000000;
			(void)pthread_cond_timedwait(&probe_cond, &probe_lock, &until);
			continue;
		}
		probe_kicked = 0;
		pthread_mutex_unlock(&probe_lock);
		if (probe_once() == 0 && online_go_online())
			log_msg(LOG_NOTICE, "the server answers again: online");
		pthread_mutex_lock(&probe_lock);
		last = now_ms();
		delay = delay * 2 > PROBE_MAX_MS ? PROBE_MAX_MS : delay * 2;
	}
	pthread_mutex_unlock(&probe_lock);
	return NULL;
}

int
pool_probe_start(void)
{
	int r;

	if ((r = pthread_create(&probe_thread, NULL, probe_main, NULL)) != 0)
		return r;
	probe_running = 1;
	return 0;
}
