/*
 * The accounts' parent directory (rootfs.h).
 */
#include <sys/stat.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "xreply.h"
#include "rootfs.h"
#include "statuscmd.h"

#define STATUS_XATTR	"user.mailfs.status"
#define WHY_MAX		256
/* The tree never changes while mounted: a day, and the kernel asks again. */
#define TIMEOUT		86400.0

struct account {
	char *name;
	char why[WHY_MAX];	/* under rootfs_lock; "" none */
};

static pthread_mutex_t rootfs_lock = PTHREAD_MUTEX_INITIALIZER;
static struct account *accounts;
static size_t naccounts;
static uid_t owner_uid;
static gid_t owner_gid;
static time_t mounted_at;
static struct fuse_session *stop_session;	/* rootfs_arm_stop() */
static char *stop_name;

int
rootfs_init(char *const *names, size_t n, uid_t uid, gid_t gid)
{
	size_t i;

	if ((accounts = calloc(n, sizeof(*accounts))) == NULL)
		return ENOMEM;
	for (i = 0; i < n; i++)
		if ((accounts[i].name = strdup(names[i])) == NULL) {
			naccounts = i;
			rootfs_free();
			return ENOMEM;
		}
	naccounts = n;
	owner_uid = uid;
	owner_gid = gid;
	mounted_at = time(NULL);
	return 0;
}

int
rootfs_arm_stop(struct fuse_session *se, const char *name)
{
	if ((stop_name = strdup(name)) == NULL)
		return ENOMEM;
	stop_session = se;
	return 0;
}

void
rootfs_set_error(size_t i, const char *why)
{
	pthread_mutex_lock(&rootfs_lock);
	snprintf(accounts[i].why, sizeof(accounts[i].why), "%s", why != NULL ? why : "");
	pthread_mutex_unlock(&rootfs_lock);
}

void
rootfs_free(void)
{
	size_t i;

	for (i = 0; i < naccounts; i++)
		free(accounts[i].name);
	free(accounts);
	accounts = NULL;
	naccounts = 0;
	free(stop_name);
	stop_name = NULL;
	stop_session = NULL;
}

/* The account of inode ino, or NULL (the root, or no such inode). */
static struct account *
account_of(fuse_ino_t ino)
{
	return ino >= 2 && ino - 2 < naccounts ? &accounts[ino - 2] : NULL;
}

/* 0, or ENOENT for an inode that is not ours. */
static int
attr_of(fuse_ino_t ino, struct stat *st)
{
	if (ino != FUSE_ROOT_ID && account_of(ino) == NULL)
		return ENOENT;
	memset(st, 0, sizeof(*st));
	st->st_ino = ino;
	st->st_mode = S_IFDIR | 0700;
	st->st_nlink = ino == FUSE_ROOT_ID ? 2 + naccounts : 2;
	st->st_uid = owner_uid;
	st->st_gid = owner_gid;
	st->st_blksize = 4096;
	st->st_atime = st->st_mtime = st->st_ctime = mounted_at;
	return 0;
}

static void
rootfs_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct fuse_entry_param e;
	size_t i;

	memset(&e, 0, sizeof(e));
	if (parent == FUSE_ROOT_ID && stop_name != NULL && strcmp(name, stop_name) == 0) {
		fuse_reply_err(req, ENOENT);
		fuse_session_exit(stop_session);
		return;
	}
	if (parent == FUSE_ROOT_ID)
		for (i = 0; i < naccounts; i++)
			if (strcmp(accounts[i].name, name) == 0) {
				e.ino = i + 2;
				e.generation = 1;
				(void)attr_of(e.ino, &e.attr);
				e.attr_timeout = e.entry_timeout = TIMEOUT;
				fuse_reply_entry(req, &e);
				return;
			}
	fuse_reply_err(req, ENOENT);
}

static void
rootfs_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct stat st;
	int r;

	(void)fi;
	if ((r = attr_of(ino, &st)) != 0)
		fuse_reply_err(req, r);
	else
		fuse_reply_attr(req, &st, TIMEOUT);
}

/* Adds one entry to buf (of size) at *len: 0, or 1 when it did not fit. */
static int
add_entry(fuse_req_t req, char *buf, size_t size, size_t *len, const char *name,
    fuse_ino_t ino, off_t next)
{
	struct stat st;
	size_t need;

	memset(&st, 0, sizeof(st));
	st.st_ino = ino;
	st.st_mode = S_IFDIR;
	need = fuse_add_direntry(req, buf + *len, size - *len, name, &st, next);
	if (need > size - *len)
		return 1;
	*len += need;
	return 0;
}

static void
rootfs_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
    struct fuse_file_info *fi)
{
	char *buf;
	size_t len = 0;
	int full;

	(void)fi;
	if (ino != FUSE_ROOT_ID && account_of(ino) == NULL) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	if ((buf = malloc(size)) == NULL) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	/* Offsets: 0 ".", 1 "..", then account i at i + 2; each entry's next is its own + 1. */
	for (; off >= 0; off++) {
		if (off == 0)
			full = add_entry(req, buf, size, &len, ".", ino, 1);
		else if (off == 1)
			full = add_entry(req, buf, size, &len, "..", FUSE_ROOT_ID, 2);
		else if (ino == FUSE_ROOT_ID && (size_t)off - 2 < naccounts)
			full = add_entry(req, buf, size, &len, accounts[off - 2].name,
			    (fuse_ino_t)off, off + 1);
		else
			break;
		if (full)
			break;
	}
	fuse_reply_buf(req, buf, len);
	free(buf);
}

static void
rootfs_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name, size_t size)
{
	struct account *a;
	char *value;
	size_t len = 0, cap, i;

	a = account_of(ino);
	if (ino == FUSE_ROOT_ID && strcmp(name, STATUS_ACCOUNTS_ATTR) == 0) {
		for (cap = 1, i = 0; i < naccounts; i++)
			cap += strlen(accounts[i].name) + 1;
		if ((value = malloc(cap)) == NULL) {
			fuse_reply_err(req, ENOMEM);
			return;
		}
		for (i = 0; i < naccounts; i++)
			len += (size_t)snprintf(value + len, cap - len, "%s\n", accounts[i].name);
	} else if (a != NULL && strcmp(name, STATUS_XATTR) == 0) {
		cap = strlen(a->name) + WHY_MAX + 64;
		if ((value = malloc(cap)) == NULL) {
			fuse_reply_err(req, ENOMEM);
			return;
		}
		pthread_mutex_lock(&rootfs_lock);
		len = (size_t)snprintf(value, cap, "state: unmounted\naccount: %s\n"
		    "last-error: %s\n", a->name, a->why[0] != '\0' ? a->why : "none");
		pthread_mutex_unlock(&rootfs_lock);
	} else {
		/* As the accounts' mounts: nothing outside user.*, which ls remembers. */
		fuse_reply_err(req, strncmp(name, "user.", 5) == 0 ? ENODATA : ENOTSUP);
		return;
	}
	reply_xattr_value(req, value, len, size);
	free(value);
}

/* Nothing is listed: the attributes above are asked for by name. */
static void
rootfs_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size)
{
	if (ino != FUSE_ROOT_ID && account_of(ino) == NULL)
		fuse_reply_err(req, ENOENT);
	else if (size == 0)
		fuse_reply_xattr(req, 0);
	else
		fuse_reply_buf(req, NULL, 0);
}

const struct fuse_lowlevel_ops rootfs_ops = {
	.lookup = rootfs_lookup,
	.getattr = rootfs_getattr,
	.readdir = rootfs_readdir,
	.getxattr = rootfs_getxattr,
	.listxattr = rootfs_listxattr,
};
