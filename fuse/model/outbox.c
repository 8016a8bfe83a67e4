/*
 * The Outbox (outbox.h): the table of messages, their files and their
 * sending.  The state files are outbox_state.c's.
 *
 * RFC 5321 (SMTP), RFC 6409 (submission), RFC 6154 (\Sent).
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "deadline.h"
#include "fs.h"
#include "log.h"
#include "outbox.h"
#include "outbox_int.h"
#include "submit.h"

#define OUTBOX_MAX	(64ULL << 20)	/* the largest message sent */

pthread_mutex_t outbox_lock = PTHREAD_MUTEX_INITIALIZER;
struct ob_entry *ob_head;		/* [outbox_lock] by id */
static uint32_t next_id = 1;		/* [outbox_lock] */
static struct submitter *submitter;
static char *sent_folder;		/* -o sent=; NULL: \Sent */
static int enabled;
static pthread_t thread;
static int running, stopping;		/* [outbox_lock] */
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;
static unsigned backoff_base = 60, backoff_max = 3600;

int
outbox_hidden(const char *name)
{
	size_t n = strlen(name);

	return name_hidden(name) || (n > 0 && name[n - 1] == '~') ||
	    (n > 1 && name[0] == '#' && name[n - 1] == '#');
}

int
outbox_enabled(void)
{
	return enabled;
}

/* ---- the table ---- */

struct ob_entry *
ob_find_locked(uint32_t id)
{
	struct ob_entry *e;

	for (e = ob_head; e != NULL; e = e->next)
		if (e->id == id)
			return e;
	return NULL;
}

/* The entry the user sees by name (not a sent one leaving), or NULL. */
static struct ob_entry *
find_name_locked(const char *name)
{
	struct ob_entry *e;

	for (e = ob_head; e != NULL; e = e->next)
		if (ob_visible(e) && strcmp(e->name, name) == 0)
			return e;
	return NULL;
}

void
ob_insert_locked(struct ob_entry *e)
{
	struct ob_entry **pp;

	for (pp = &ob_head; *pp != NULL && (*pp)->id < e->id; pp = &(*pp)->next)
		;
	e->next = *pp;
	*pp = e;
	if (e->id >= next_id)
		next_id = e->id + 1;
}

static void
unlink_locked(struct ob_entry *e)
{
	struct ob_entry **pp;

	for (pp = &ob_head; *pp != NULL; pp = &(*pp)->next)
		if (*pp == e) {
			*pp = e->next;
			break;
		}
}

void
ob_entry_free(struct ob_entry *e)
{
	if (e == NULL)
		return;
	if (e->fd != -1)
		close(e->fd);
	free(e->name);
	free(e);
}

static void
stat_locked(const struct ob_entry *e, struct stat *st)
{
	struct stat fst;

	memset(st, 0, sizeof(*st));
	st->st_mode = S_IFREG | 0600;
	st->st_nlink = 1;
	st->st_uid = fs.uid;
	st->st_gid = fs.gid;
	st->st_blksize = 4096;
	if (fstat(e->fd, &fst) == 0) {
		st->st_size = fst.st_size;
		st->st_blocks = fst.st_blocks;
		st->st_atim = fst.st_atim;
		st->st_mtim = fst.st_mtim;
		st->st_ctim = fst.st_ctim;
	}
}

/* Removes e's files and frees it (not in the table any more). */
static void
discard(struct ob_entry *e)
{
	ob_remove_files(e->id);
	ob_entry_free(e);
}

/* ---- what the FUSE layer calls ---- */

int
outbox_list(uint32_t after, struct outbox_dirent **v_r, size_t *n_r)
{
	struct outbox_dirent *v;
	struct ob_entry *e;
	size_t n = 0, cap = 0;

	pthread_mutex_lock(&outbox_lock);
	for (e = ob_head; e != NULL; e = e->next)
		cap++;
	if ((v = calloc(cap + 1, sizeof(*v))) == NULL) {
		pthread_mutex_unlock(&outbox_lock);
		return ENOMEM;
	}
	for (e = ob_head; e != NULL; e = e->next)
		if (e->id > after && ob_visible(e)) {
			v[n].id = e->id;
			snprintf(v[n].name, sizeof(v[n].name), "%s", e->name);
			stat_locked(e, &v[n].st);
			n++;
		}
	pthread_mutex_unlock(&outbox_lock);
	*v_r = v;
	*n_r = n;
	return 0;
}

int
outbox_lookup(const char *name, uint32_t *id_r, struct stat *st)
{
	struct ob_entry *e;
	int r = ENOENT;

	pthread_mutex_lock(&outbox_lock);
	if ((e = find_name_locked(name)) != NULL) {
		*id_r = e->id;
		stat_locked(e, st);
		r = 0;
	}
	pthread_mutex_unlock(&outbox_lock);
	return r;
}

int
outbox_getattr(uint32_t id, struct stat *st)
{
	struct ob_entry *e;
	int r = ENOENT;

	pthread_mutex_lock(&outbox_lock);
	if ((e = ob_find_locked(id)) != NULL && ob_visible(e)) {
		stat_locked(e, st);
		r = 0;
	}
	pthread_mutex_unlock(&outbox_lock);
	return r;
}

int
outbox_create(const char *name, int excl, uint32_t *id_r, struct stat *st, int *fd_r)
{
	struct ob_entry *e, *old;
	int r;

	if (strlen(name) > NAMES_COMPONENT_MAX)
		return ENAMETOOLONG;
	if ((e = calloc(1, sizeof(*e))) == NULL || (e->name = strdup(name)) == NULL) {
		free(e);
		return ENOMEM;
	}
	e->fd = -1;
	e->state = OB_DRAFT;
	pthread_mutex_lock(&outbox_lock);
	if ((old = find_name_locked(name)) != NULL && (excl || old->busy)) {
		pthread_mutex_unlock(&outbox_lock);
		ob_entry_free(e);
		return excl ? EEXIST : EBUSY;
	}
	e->id = next_id++;
	/* The state first: a crash before the bytes leaves an empty draft. */
	if ((r = ob_save_locked(e)) != 0 || (r = ob_open_bytes(e->id, 1, &e->fd)) != 0) {
		pthread_mutex_unlock(&outbox_lock);
		ob_remove_files(e->id);
		ob_entry_free(e);
		return r;
	}
	if ((*fd_r = dup(e->fd)) == -1) {
		r = errno;
		pthread_mutex_unlock(&outbox_lock);
		discard(e);
		return r;
	}
	e->writers = 1;
	if (old != NULL)
		unlink_locked(old);
	ob_insert_locked(e);
	*id_r = e->id;
	stat_locked(e, st);
	pthread_mutex_unlock(&outbox_lock);
	if (old != NULL)
		discard(old);
	return 0;
}

int
outbox_open(uint32_t id, int write, int trunc, int *fd_r)
{
	struct ob_entry *e;
	int r = 0;

	pthread_mutex_lock(&outbox_lock);
	if ((e = ob_find_locked(id)) == NULL || !ob_visible(e))
		r = ENOENT;
	else if (write && e->busy)
		r = EBUSY;
	else if ((*fd_r = dup(e->fd)) == -1)
		r = errno;
	else if (write) {
		e->writers++;
		if (trunc && ftruncate(e->fd, 0) == 0)
			e->dirty = 1;
	}
	pthread_mutex_unlock(&outbox_lock);
	return r;
}

void
outbox_release(uint32_t id, int write)
{
	struct ob_entry *e;

	pthread_mutex_lock(&outbox_lock);
	if (write && (e = ob_find_locked(id)) != NULL && e->writers > 0)
		e->writers--;
	pthread_mutex_unlock(&outbox_lock);
}

/* The descriptor to use for message id: the handle's, or a dup of its own. */
static int
io_fd(uint32_t id, int fd, int write, int *own_r)
{
	struct ob_entry *e;
	int r = 0;

	*own_r = -1;
	pthread_mutex_lock(&outbox_lock);
	if ((e = ob_find_locked(id)) == NULL)
		r = ENOENT;
	else if (write && e->busy)
		r = EBUSY;
	else {
		if (write) {
			e->dirty = 1;
			if (e->state != OB_DRAFT && e->state != OB_DEFERRED) {
				/* Written again after a failure: a new draft. */
				e->state = OB_DRAFT;
				e->error[0] = '\0';
			}
		}
		if (fd == -1 && (*own_r = dup(e->fd)) == -1)
			r = errno;
	}
	pthread_mutex_unlock(&outbox_lock);
	return r;
}

/* A pread or pwrite of message id (fd: the handle's, -1: its own). */
static int
io(uint32_t id, int fd, int write, char *buf, size_t size, off_t off, size_t *len_r)
{
	ssize_t n;
	int own, r;

	if (write && (uint64_t)off + size > OUTBOX_MAX)
		return EFBIG;
	if ((r = io_fd(id, fd, write, &own)) != 0)
		return r;
	if (own != -1)
		fd = own;
	n = write ? pwrite(fd, buf, size, off) : pread(fd, buf, size, off);
	r = n == -1 ? errno : 0;
	if (own != -1)
		close(own);
	if (r == 0)
		*len_r = (size_t)n;
	return r;
}

int
outbox_write(uint32_t id, int fd, const char *data, size_t size, off_t off,
    size_t *written_r)
{
	/* io() only reads buf when it writes. */
	return io(id, fd, 1, (char *)(uintptr_t)data, size, off, written_r);
}

int
outbox_read(uint32_t id, int fd, char *buf, size_t size, off_t off, size_t *len_r)
{
	return io(id, fd, 0, buf, size, off, len_r);
}

int
outbox_setattr(uint32_t id, const struct stat *attr, int set_size, int set_mtime,
    struct stat *st)
{
	struct ob_entry *e;
	struct timespec ts[2];
	int r = 0;

	pthread_mutex_lock(&outbox_lock);
	if ((e = ob_find_locked(id)) == NULL || !ob_visible(e))
		r = ENOENT;
	else if (set_size && e->busy)
		r = EBUSY;
	else if (set_size && (uint64_t)attr->st_size > OUTBOX_MAX)
		r = EFBIG;
	else if (set_size && ftruncate(e->fd, attr->st_size) == -1)
		r = errno;
	else {
		if (set_size)
			e->dirty = 1;
		if (set_mtime) {
			ts[0].tv_sec = 0;
			ts[0].tv_nsec = UTIME_OMIT;
			ts[1] = attr->st_mtim;
			(void)futimens(e->fd, ts);
		}
		stat_locked(e, st);
	}
	pthread_mutex_unlock(&outbox_lock);
	return r;
}

int
outbox_fsync(uint32_t id)
{
	struct ob_entry *e;
	int r = 0;

	pthread_mutex_lock(&outbox_lock);
	if ((e = ob_find_locked(id)) != NULL && fsync(e->fd) == -1)
		r = errno;
	pthread_mutex_unlock(&outbox_lock);
	return r;
}

int
outbox_flush(uint32_t id, int writer)
{
	struct ob_entry *e;
	int r = 0, send = 0;

	pthread_mutex_lock(&outbox_lock);
	if ((e = ob_find_locked(id)) == NULL || e->busy) {
		pthread_mutex_unlock(&outbox_lock);
		return 0;
	}
	/* Durable before close() returns, sent or not. */
	if (e->dirty && fsync(e->fd) == -1) {
		r = errno;
		log_msg(LOG_ERR, "cannot write Outbox/%s: %s", e->name, strerror(r));
	}
	send = r == 0 && e->dirty && writer != 0 && (writer == -1 || e->writers <= 1) &&
	    !outbox_hidden(e->name) && (e->state == OB_DRAFT || e->state == OB_DEFERRED);
	pthread_mutex_unlock(&outbox_lock);
	return send ? ob_send(id, 0) : r;
}

int
outbox_unlink(const char *name)
{
	struct ob_entry *e;
	int r = 0;

	pthread_mutex_lock(&outbox_lock);
	if ((e = find_name_locked(name)) == NULL)
		r = ENOENT;
	else if (e->busy)
		r = EBUSY;
	else
		unlink_locked(e);
	pthread_mutex_unlock(&outbox_lock);
	if (r == 0) {
		log_msg(LOG_INFO, "Outbox/%s removed (%s)", e->name, ob_state_name(e->state));
		discard(e);
	}
	return r;
}

int
outbox_rename(const char *from, const char *to, int noreplace)
{
	struct ob_entry *e, *old = NULL;
	char *name;
	uint32_t id = 0;
	int r = 0, send = 0;

	if (strlen(to) > NAMES_COMPONENT_MAX)
		return ENAMETOOLONG;
	if ((name = strdup(to)) == NULL)
		return ENOMEM;
	pthread_mutex_lock(&outbox_lock);
	if ((e = find_name_locked(from)) == NULL)
		r = ENOENT;
	else if ((old = find_name_locked(to)) == e)
		old = NULL;
	if (r == 0 && old != NULL && noreplace)
		r = EEXIST;
	else if (r == 0 && (e->busy || (old != NULL && old->busy)))
		r = EBUSY;
	if (r == 0) {
		send = outbox_hidden(e->name) && !outbox_hidden(name) && e->state == OB_DRAFT;
		free(e->name);
		e->name = name;
		name = NULL;
		if ((r = ob_save_locked(e)) == 0 && old != NULL)
			unlink_locked(old);
		else
			old = NULL;
		id = e->id;
		if (send) {
			struct stat st;

			send = fstat(e->fd, &st) == 0 && st.st_size > 0 && fsync(e->fd) == 0;
		}
	}
	pthread_mutex_unlock(&outbox_lock);
	free(name);
	if (old != NULL)
		discard(old);
	if (r == 0 && send)
		r = ob_send(id, 0);
	return r;
}

int
outbox_xattr(uint32_t id, const char *name, char *buf, size_t size, size_t *len_r)
{
	struct ob_entry *e;
	char v[1024];
	size_t n;
	int r = 0;

	pthread_mutex_lock(&outbox_lock);
	if ((e = ob_find_locked(id)) == NULL)
		r = ENOENT;
	else if (strcmp(name, "user.mailfs.error") == 0) {
		if (e->error[0] == '\0')
			r = ENODATA;
		else
			snprintf(v, sizeof(v), "%s", e->error);
	} else if (strcmp(name, "user.mailfs.status") == 0)
		ob_status_locked(e, v, sizeof(v));
	else
		r = ENODATA;
	pthread_mutex_unlock(&outbox_lock);
	if (r != 0)
		return r;
	n = strlen(v);
	if (size != 0 && n > size)
		return ERANGE;
	if (size != 0)
		memcpy(buf, v, n);
	*len_r = n;
	return 0;
}

int
outbox_retry(uint32_t id)
{
	struct ob_entry *e;
	int r = 0;

	pthread_mutex_lock(&outbox_lock);
	if ((e = ob_find_locked(id)) == NULL || !ob_visible(e))
		r = ENOENT;
	else if (e->busy)
		r = EBUSY;
	else if (outbox_hidden(e->name))
		r = EINVAL;
	pthread_mutex_unlock(&outbox_lock);
	return r != 0 ? r : ob_send(id, 1);
}

/* ---- the thread: retries and filing ---- */

unsigned
ob_backoff(unsigned attempts)
{
	unsigned s = backoff_base;

	while (attempts-- > 1 && s < backoff_max)
		s *= 2;
	return s < backoff_max ? s : backoff_max;
}

static void *
outbox_thread(void *arg)
{
	struct ob_entry *e;
	struct timespec ts;
	uint32_t id;
	int file;

	(void)arg;
	pthread_mutex_lock(&outbox_lock);
	while (!stopping) {
		/* One job at a time, the lock let go around it. */
		id = 0;
		file = 0;
		/* Copies of what was sent are filed before anything else is sent. */
		for (e = ob_head; e != NULL && id == 0; e = e->next)
			if (!e->busy && (e->state == OB_SENT || e->state == OB_PARTIAL) &&
			    !e->filed && e->next_try <= time(NULL)) {
				id = e->id;
				file = 1;
			}
		for (e = ob_head; e != NULL && id == 0; e = e->next)
			if (!e->busy && e->state == OB_DEFERRED && e->next_try <= time(NULL))
				id = e->id;
		if (id != 0) {
			pthread_mutex_unlock(&outbox_lock);
			deadline_begin();
			if (file)
				(void)ob_file_again(id);
			else
				(void)ob_send(id, 0);
			deadline_end();
			pthread_mutex_lock(&outbox_lock);
			continue;
		}
		pthread_mutex_unlock(&outbox_lock);
		submit_idle(submitter);
		pthread_mutex_lock(&outbox_lock);
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += 1;
		if (!stopping)
			(void)pthread_cond_timedwait(&wake, &outbox_lock, &ts);
	}
	pthread_mutex_unlock(&outbox_lock);
	return NULL;
}

int
outbox_init(struct submitter *s, const char *sent, unsigned backoff_s)
{
	int r;

	submitter = s;
	if (sent != NULL && (sent_folder = strdup(sent)) == NULL)
		return ENOMEM;
	if (backoff_s > 0) {
		backoff_base = backoff_s;
		backoff_max = backoff_s * 8;
	}
	if ((r = ob_load()) != 0)
		return r;
	enabled = 1;
	return 0;
}

int
outbox_start(void)
{
	int r;

	if (!enabled)
		return 0;
	if ((r = pthread_create(&thread, NULL, outbox_thread, NULL)) != 0)
		return r;
	running = 1;
	return 0;
}

void
outbox_stop(void)
{
	if (!running)
		return;
	pthread_mutex_lock(&outbox_lock);
	stopping = 1;
	pthread_cond_broadcast(&wake);
	pthread_mutex_unlock(&outbox_lock);
	pthread_join(thread, NULL);
	running = 0;
}

void
outbox_free(void)
{
	struct ob_entry *e;

	while ((e = ob_head) != NULL) {
		ob_head = e->next;
		ob_entry_free(e);
	}
	free(sent_folder);
	sent_folder = NULL;
	enabled = 0;
}

/* ---- sending ---- */

struct submitter *
ob_submitter(void)
{
	return submitter;
}

const char *
ob_sent_folder(void)
{
	return sent_folder;
}
