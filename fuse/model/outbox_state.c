/*
 * The Outbox's files (outbox_int.h): ID.eml, a message's bytes, and
 * ID.state, its state, in the store's outbox/ (cache.h).  A state file
 * is lines "KEY VALUE", the name last (it may hold any byte but '/'
 * and NUL, a newline included, so it runs to the end of the file).  It
 * is replaced whole: written to ID.state.tmp, fsync'ed, renamed over,
 * the directory fsync'ed, so that a crash leaves the old state or the
 * new one.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cache.h"
#include "log.h"
#include "outbox.h"
#include "outbox_int.h"

#define STATE_MAX	4096

static char dir[4096];

static const char *const state_names[] = {
	"draft", "sending", "sent", "deferred", "failed", "invalid", "partial",
	"unknown"
};

const char *
ob_state_name(enum ob_state s)
{
	return (unsigned)s < sizeof(state_names) / sizeof(state_names[0]) ?
	    state_names[s] : "?";
}

void
ob_status_locked(const struct ob_entry *e, char *buf, size_t size)
{
	char when[64];
	struct tm tm;

	switch (e->state) {
	case OB_DEFERRED:
		gmtime_r(&e->next_try, &tm);
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
		snprintf(buf, size, "deferred: attempt %u failed, next at %s", e->attempts,
		    when);
		break;
	case OB_UNKNOWN:
		snprintf(buf, size, "unknown: no answer after the message went out; it may "
		    "have been sent and is not sent again unless asked "
		    "(setfattr -n user.mailfs.retry)");
		break;
	case OB_PARTIAL:
		snprintf(buf, size, "partial: sent to some recipients only%s",
		    e->filed ? ", filed in Sent" : "");
		break;
	case OB_DRAFT:
		snprintf(buf, size, "%s", outbox_hidden(e->name) ?
		    "draft: a hidden name is not sent" : "draft: not sent yet");
		break;
	default:
		snprintf(buf, size, "%s", ob_state_name(e->state));
		break;
	}
}

static int
path_of(uint32_t id, const char *ext, char *out, size_t size)
{
	if ((size_t)snprintf(out, size, "%s/%" PRIu32 ".%s", dir, id, ext) >= size)
		return ENAMETOOLONG;
	return 0;
}

static int
sync_dir(void)
{
	int fd, r = 0;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY)) == -1)
		return errno;
	if (fsync(fd) == -1)
		r = errno;
	close(fd);
	return r;
}

/* A value on one line: newlines and other control bytes as '?'. */
static void
put_line(FILE *f, const char *key, const char *v)
{
	fprintf(f, "%s ", key);
	for (; *v != '\0'; v++)
		fputc((unsigned char)*v < ' ' ? '?' : *v, f);
	fputc('\n', f);
}

int
ob_save_locked(const struct ob_entry *e)
{
	char tmp[4200], path[4200];
	FILE *f;
	int fd, r = 0;

	if ((r = path_of(e->id, "state.tmp", tmp, sizeof(tmp))) != 0 ||
	    (r = path_of(e->id, "state", path, sizeof(path))) != 0)
		return r;
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600)) == -1 ||
	    (f = fdopen(fd, "w")) == NULL) {
		r = errno;
		if (fd != -1)
			close(fd);
		log_msg(LOG_ERR, "cannot write %s: %s", tmp, strerror(r));
		return r;
	}
	fprintf(f, "state %s\nattempts %u\nnext %lld\nfiled %d\nsent %lld\n",
	    ob_state_name(e->state), e->attempts, (long long)e->next_try, e->filed,
	    (long long)e->sent_at);
	put_line(f, "date", e->date);
	put_line(f, "msgid", e->msgid);
	put_line(f, "error", e->error);
	fprintf(f, "name %s", e->name);
	if (fflush(f) == EOF || fsync(fd) == -1)
		r = errno;
	if (fclose(f) == EOF && r == 0)
		r = errno;
	if (r == 0 && rename(tmp, path) == -1)
		r = errno;
	if (r == 0)
		r = sync_dir();
	if (r != 0) {
		log_msg(LOG_ERR, "cannot write %s: %s", path, strerror(r));
		(void)unlink(tmp);
	}
	return r;
}

int
ob_open_bytes(uint32_t id, int create, int *fd_r)
{
	char path[4200];
	int fd, r;

	if ((r = path_of(id, "eml", path, sizeof(path))) != 0)
		return r;
	if ((fd = open(path, O_RDWR | (create ? O_CREAT | O_TRUNC : 0) | O_CLOEXEC,
	    0600)) == -1) {
		r = errno;
		log_msg(LOG_ERR, "cannot open %s: %s", path, strerror(r));
		return r;
	}
	if (create && (fsync(fd) == -1 || (r = sync_dir()) != 0)) {
		r = r != 0 ? r : errno;
		close(fd);
		return r;
	}
	*fd_r = fd;
	return 0;
}

void
ob_remove_files(uint32_t id)
{
	char path[4200];

	/* The state last: a crash between leaves a state that names no bytes. */
	if (path_of(id, "eml", path, sizeof(path)) == 0)
		(void)unlink(path);
	if (path_of(id, "state", path, sizeof(path)) == 0)
		(void)unlink(path);
	(void)sync_dir();
}

/* Parses ID.state's text (NUL-terminated) into e; 0 or EINVAL. */
static int
parse_state(char *text, struct ob_entry *e)
{
	char *line = text, *eol, *v;
	size_t i;
	int got_state = 0;

	while (*line != '\0') {
		if ((v = strchr(line, ' ')) == NULL)
			return EINVAL;
		*v++ = '\0';
		if (strcmp(line, "name") == 0) {
			e->name = strdup(v);
			return e->name == NULL ? ENOMEM : got_state ? 0 : EINVAL;
		}
		if ((eol = strchr(v, '\n')) == NULL)
			return EINVAL;
		*eol = '\0';
		if (strcmp(line, "state") == 0) {
			for (i = 0; i < sizeof(state_names) / sizeof(state_names[0]); i++)
				if (strcmp(v, state_names[i]) == 0) {
					e->state = (enum ob_state)i;
					got_state = 1;
				}
		} else if (strcmp(line, "attempts") == 0)
			e->attempts = (unsigned)strtoul(v, NULL, 10);
		else if (strcmp(line, "next") == 0)
			e->next_try = (time_t)strtoll(v, NULL, 10);
		else if (strcmp(line, "filed") == 0)
			e->filed = strcmp(v, "1") == 0;
		else if (strcmp(line, "sent") == 0)
			e->sent_at = (time_t)strtoll(v, NULL, 10);
		else if (strcmp(line, "date") == 0)
			snprintf(e->date, sizeof(e->date), "%s", v);
		else if (strcmp(line, "msgid") == 0)
			snprintf(e->msgid, sizeof(e->msgid), "%s", v);
		else if (strcmp(line, "error") == 0)
			snprintf(e->error, sizeof(e->error), "%s", v);
		line = eol + 1;
	}
	return EINVAL;
}

/* Loads message id; a state that cannot be read keeps its bytes as a draft. */
static void
load_one(uint32_t id)
{
	struct ob_entry *e;
	char path[4200], text[STATE_MAX + 1];
	ssize_t n = -1;
	int fd;

	if ((e = calloc(1, sizeof(*e))) == NULL)
		return;
	e->id = id;
	e->fd = -1;
	if (path_of(id, "state", path, sizeof(path)) == 0 &&
	    (fd = open(path, O_RDONLY | O_CLOEXEC)) != -1) {
		n = read(fd, text, STATE_MAX);
		close(fd);
	}
	if (n >= 0)
		text[n] = '\0';
	if (n < 0 || parse_state(text, e) != 0) {
		/* Never lost: its bytes come back under a name of their own. */
		free(e->name);
		memset(e, 0, sizeof(*e));
		e->id = id;
		e->state = OB_DRAFT;
		if (asprintf(&e->name, "recovered-%" PRIu32 ".eml", id) == -1) {
			free(e);
			return;
		}
		log_msg(LOG_WARNING, "Outbox: the state of message %" PRIu32
		    " was lost: kept as Outbox/%s, not sent", id, e->name);
	}
	if (ob_open_bytes(id, 0, &e->fd) != 0) {
		if (e->state == OB_SENT && e->filed == 0)
			log_msg(LOG_WARNING, "Outbox/%s: sent, but its bytes are gone: "
			    "no copy in Sent", e->name);
		ob_remove_files(id);
		ob_entry_free(e);
		return;
	}
	if (e->state == OB_SENDING) {
		/* It may have gone out: the user decides (outbox.h). */
		e->state = OB_UNKNOWN;
		snprintf(e->error, sizeof(e->error), "the daemon stopped while sending it: "
		    "it may have been sent");
		log_msg(LOG_WARNING, "Outbox/%s was being sent when the daemon stopped: "
		    "not sent again unless asked", e->name);
	}
	if (e->state == OB_SENT || e->state == OB_DEFERRED || e->state == OB_PARTIAL)
		e->next_try = 0;	/* at once */
	/* Killed between an append to Sent and its note: look before filing. */
	e->recovered = (e->state == OB_SENT || e->state == OB_PARTIAL) && !e->filed;
	pthread_mutex_lock(&outbox_lock);
	(void)ob_save_locked(e);
	ob_insert_locked(e);
	pthread_mutex_unlock(&outbox_lock);
}

/* "12.eml" for "12.state" (a static buffer: ob_load()'s alone). */
static const char *
dot_eml(const char *name)
{
	static char buf[32];

	snprintf(buf, sizeof(buf), "%.*s.eml", (int)strcspn(name, "."), name);
	return buf;
}

int
ob_load(void)
{
	struct dirent *de;
	DIR *d;
	char *end;
	unsigned long id;
	int r;

	if ((r = cache_subdir("outbox", dir, sizeof(dir))) != 0) {
		log_msg(LOG_ERR, "cannot make the Outbox directory %s: %s", dir, strerror(r));
		return r;
	}
	if ((d = opendir(dir)) == NULL) {
		r = errno;
		log_msg(LOG_ERR, "cannot read %s: %s", dir, strerror(r));
		return r;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		id = strtoul(de->d_name, &end, 10);
		if (id == 0 || id > UINT32_MAX - 1)
			continue;
		/* Each message once, by its bytes. */
		if (strcmp(end, ".eml") == 0)
			load_one((uint32_t)id);
		else if (strcmp(end, ".state.tmp") == 0 || (strcmp(end, ".state") == 0 &&
		    faccessat(dirfd(d), dot_eml(de->d_name), F_OK, 0) == -1))
			/* A crash's leftover: a state never renamed, or without bytes. */
			(void)unlinkat(dirfd(d), de->d_name, 0);
	}
	closedir(d);
	return 0;
}
