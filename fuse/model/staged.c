/*
 * The staged files' table (see staged.h).  An entry lives while the
 * kernel knows its inode number (nlookup), a handle is open (opens) or
 * an operation uses it (refs), and until it is uploaded or removed; the
 * one that takes it out of the tables destroys it, unlocked.
 */
#include <sys/stat.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uthash.h>

#include "inode.h"
#include "journal.h"
#include "pending.h"
#include "staged.h"

static pthread_mutex_t staged_mutex = PTHREAD_MUTEX_INITIALIZER;
static struct staged *by_ino;
static struct staged *by_key;		/* while neither uploaded nor unlinked */
static uint32_t next_id = 1;

void
staged_lock(void)
{
	pthread_mutex_lock(&staged_mutex);
}

void
staged_unlock(void)
{
	pthread_mutex_unlock(&staged_mutex);
}

int
staged_new(struct staged **s_r)
{
	struct staged *s;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return ENOMEM;
	s->fd = -1;
	s->failed_fd = -1;
	pthread_mutex_init(&s->upload_lock, NULL);
	*s_r = s;
	return 0;
}

void
staged_number_locked(struct staged *s)
{
	s->id = next_id++;
	if (next_id == 0)
		next_id = 1;
	s->ino = ((fuse_ino_t)STAGE_GEN << 32) | s->id;
}

void
staged_add_locked(struct staged *s)
{
	HASH_ADD(hh, by_ino, ino, sizeof(s->ino), s);
}

struct staged *
staged_find_locked(fuse_ino_t ino)
{
	struct staged *s;

	HASH_FIND(hh, by_ino, &ino, sizeof(ino), s);
	return s;
}

int
staged_take_all(struct staged ***v_r, size_t *n_r)
{
	struct staged *s, *tmp, **v;
	size_t n = 0;

	staged_lock();
	if ((v = calloc(HASH_CNT(hh, by_ino) + 1, sizeof(*v))) == NULL) {
		staged_unlock();
		return ENOMEM;
	}
	HASH_ITER(hh, by_ino, s, tmp) {
		HASH_DELETE(hh, by_ino, s);
		staged_unkey_locked(s);
		v[n++] = s;
	}
	staged_unlock();
	*v_r = v;
	*n_r = n;
	return 0;
}

/* "DIRINO/NAME" fits: the kernel's names are at most NAME_MAX (255) bytes. */
#define KEY_MAX		(24 + NAMES_COMPONENT_MAX + 1)

/* dir/name's key into buf (KEY_MAX bytes); 0 or ENAMETOOLONG. */
static int
make_key(fuse_ino_t dir, const char *name, char *buf)
{
	int n = snprintf(buf, KEY_MAX, "%llu/%s", (unsigned long long)dir, name);

	return n < 0 || n >= KEY_MAX ? ENAMETOOLONG : 0;
}

struct staged *
staged_find_key_locked(fuse_ino_t dir, const char *name)
{
	struct staged *s;
	char key[KEY_MAX];

	if (make_key(dir, name, key) != 0)
		return NULL;	/* no staged file has so long a name */
	HASH_FIND(hh_key, by_key, key, strlen(key), s);
	return s;
}

struct staged *
staged_find_path_locked(const char *path)
{
	struct staged *s, *tmp;

	/* Only the replay asks, once a change: the table is small. */
	HASH_ITER(hh, by_ino, s, tmp)
		if (s->path != NULL && strcmp(s->path, path) == 0)
			return s;
	return NULL;
}

struct staged *
staged_find_placeholder_locked(uint64_t seq)
{
	struct staged *s, *tmp;

	/* Only the replay asks, once a move: the table is small. */
	HASH_ITER(hh, by_ino, s, tmp)
		if (s->placeholder && s->seq == seq)
			return s;
	return NULL;
}

static struct staged *
staged_get_locked(fuse_ino_t ino)
{
	struct staged *s;

	if ((s = staged_find_locked(ino)) != NULL)
		s->refs++;
	return s;
}

struct staged *
staged_get(fuse_ino_t ino)
{
	struct staged *s;

	staged_lock();
	s = staged_get_locked(ino);
	staged_unlock();
	return s;
}

void
staged_unkey_locked(struct staged *s)
{
	if (s->key != NULL) {
		HASH_DELETE(hh_key, by_key, s);
		free(s->key);
		s->key = NULL;
	}
}

/* Takes s out of the tables when nobody needs it; the caller destroys it unlocked. */
struct staged *
staged_unhash_if_dead_locked(struct staged *s)
{
	if (s->refs > 0 || s->nlookup > 0 || s->opens > 0 || !(s->uploaded || s->unlinked))
		return NULL;
	staged_unkey_locked(s);
	HASH_DELETE(hh, by_ino, s);
	return s;
}

void
staged_destroy(struct staged *s)
{
	if (s == NULL)
		return;
	if (s->fd != -1)
		close(s->fd);
	if (!s->keep && s->path != NULL && !journal_holds_file(s->path))
		(void)unlink(s->path);
	node_put(s->dir);
	pthread_mutex_destroy(&s->upload_lock);
	free(s->name);
	free(s->key);
	free(s->path);
	free(s->flags);
	free(s);
}

void
staged_put(struct staged *s)
{
	struct staged *dead;

	if (s == NULL)
		return;
	staged_lock();
	s->refs--;
	dead = staged_unhash_if_dead_locked(s);
	staged_unlock();
	staged_destroy(dead);
}

/*
 * Gives s its place dir/name; needs staged_lock().  0 or ENOMEM.  *old_r is
 * a reference to the former folder for the caller to put, unlocked.
 */
int
staged_place_locked(struct staged *s, struct node *dir, const char *name, struct node **old_r)
{
	char buf[KEY_MAX], *key, *nm;
	int r;

	if ((r = make_key(dir->ino, name, buf)) != 0)
		return r;
	if ((key = strdup(buf)) == NULL || (nm = strdup(name)) == NULL) {
		free(key);
		return ENOMEM;
	}
	staged_unkey_locked(s);
	free(s->name);
	s->name = nm;
	s->key = key;
	*old_r = NULL;
	if (s->dir != dir) {
		node_ref(dir);
		*old_r = s->dir;
		s->dir = dir;
	}
	HASH_ADD_KEYPTR(hh_key, by_key, s->key, strlen(s->key), s);
	return 0;
}

void
staged_fill_stat(const struct staged *s, struct stat *st)
{
	struct stat fst;

	memset(st, 0, sizeof(*st));
	if (s->fd != -1 && fstat(s->fd, &fst) == 0) {
		st->st_size = fst.st_size;
		st->st_blocks = fst.st_blocks;
		st->st_atim = fst.st_atim;
		st->st_mtim = fst.st_mtim;
		st->st_ctim = fst.st_ctim;
	} else if (s->placeholder) {
		st->st_size = (off_t)s->absent_size;
		st->st_atim.tv_sec = st->st_mtim.tv_sec = st->st_ctim.tv_sec =
		    (time_t)s->absent_date;
	}
	st->st_ino = s->ino;
	st->st_mode = S_IFREG | 0600;
	st->st_nlink = 1;
	st->st_uid = fs.uid;
	st->st_gid = fs.gid;
	st->st_blksize = 4096;
}

fuse_ino_t
stage_lookup(fuse_ino_t dir, const char *name, struct stat *st, int count)
{
	struct staged *s;
	fuse_ino_t ino = 0;

	staged_lock();
	if ((s = staged_find_key_locked(dir, name)) != NULL) {
		staged_fill_stat(s, st);
		if (count)
			s->nlookup++;
		ino = s->ino;
	}
	staged_unlock();
	return ino;
}

int
stage_any(fuse_ino_t dir)
{
	struct staged *s, *tmp;
	int any = 0;

	staged_lock();
	HASH_ITER(hh_key, by_key, s, tmp)
		if (s->dir->ino == dir) {
			any = 1;
			break;
		}
	staged_unlock();
	return any;
}

static int
cmp_dirent(const void *a, const void *b)
{
	const struct stage_dirent *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

int
stage_list(fuse_ino_t dir, uint32_t after, struct stage_dirent **v_r, size_t *n_r)
{
	struct stage_dirent *v = NULL, *tmp;
	struct staged *s, *t;
	size_t n = 0, cap = 0;

	staged_lock();
	HASH_ITER(hh_key, by_key, s, t) {
		if (s->dir->ino != dir || s->id <= after)
			continue;
		if (n == cap) {
			cap = cap == 0 ? 8 : cap * 2;
			if ((tmp = realloc(v, cap * sizeof(*v))) == NULL) {
				/* A listing that leaves out a file would be a lie. */
				staged_unlock();
				free(v);
				return ENOMEM;
			}
			v = tmp;
		}
		v[n].id = s->id;
		strncpy(v[n].name, s->name, NAMES_COMPONENT_MAX);
		v[n].name[NAMES_COMPONENT_MAX] = '\0';
		staged_fill_stat(s, &v[n].st);
		n++;
	}
	staged_unlock();
	if (n > 1)
		qsort(v, n, sizeof(*v), cmp_dirent);
	*v_r = v;
	*n_r = n;
	return 0;
}

fuse_ino_t
stage_uploaded(fuse_ino_t ino)
{
	struct staged *s;
	fuse_ino_t msg = 0;

	staged_lock();
	if ((s = staged_find_locked(ino)) != NULL && s->uploaded)
		msg = s->msg;
	staged_unlock();
	return msg;
}

int
stage_getattr(fuse_ino_t ino, struct stat *st)
{
	struct staged *s;
	int r = ENOENT;

	staged_lock();
	if ((s = staged_find_locked(ino)) != NULL) {
		staged_fill_stat(s, st);
		r = 0;
	}
	staged_unlock();
	return r;
}

void
stage_release(fuse_ino_t ino, int fd)
{
	struct staged *s, *dead = NULL;

	close(fd);
	staged_lock();
	if ((s = staged_find_locked(ino)) != NULL) {
		if (s->opens > 0)
			s->opens--;
		if (s->failed_fd == fd)
			s->failed_fd = -1;
		dead = staged_unhash_if_dead_locked(s);
	}
	staged_unlock();
	staged_destroy(dead);
}

void
stage_forget(fuse_ino_t ino, uint64_t nlookup)
{
	struct staged *s, *dead = NULL;

	staged_lock();
	if ((s = staged_find_locked(ino)) != NULL) {
		s->nlookup = s->nlookup > nlookup ? s->nlookup - nlookup : 0;
		dead = staged_unhash_if_dead_locked(s);
	}
	staged_unlock();
	staged_destroy(dead);
}

int
stage_unlink(fuse_ino_t dir, const char *name)
{
	struct staged *s, *dead = NULL;
	uint64_t seq = 0;
	int queued, r;

	staged_lock();
	if ((s = staged_find_key_locked(dir, name)) == NULL || s->placeholder) {
		r = s == NULL ? ENOENT : pending_refuse(s, "rm");
		staged_unlock();
		return r;
	}
	if ((queued = s->queued)) {
		/*
		 * Queued offline: not while the replay uploads it (it holds
		 * the upload_lock across the append), so that it is either
		 * never uploaded, or a message the caller then finds.
		 */
		s->refs++;
		staged_unlock();
		pthread_mutex_lock(&s->upload_lock);
		staged_lock();
		s->refs--;
		if (s->key == NULL || s->uploaded) {
			dead = staged_unhash_if_dead_locked(s);
			staged_unlock();
			pthread_mutex_unlock(&s->upload_lock);
			staged_destroy(dead);
			return ENOENT;
		}
		seq = s->queued ? s->seq : 0;
	}
	s->unlinked = 1;
	s->keep = 0;
	staged_unkey_locked(s);
	dead = staged_unhash_if_dead_locked(s);
	staged_unlock();
	/* A new file queued and removed before its replay: its upload is dropped. */
	if (seq != 0)
		(void)journal_done(seq);
	if (queued)
		pthread_mutex_unlock(&s->upload_lock);
	staged_destroy(dead);
	return 0;
}
