/*
 * Segment header files (see segidx.h).
 *
 * Layout, the machine's byte order (a cache, never moved): a 24-byte
 * head (magic, the number of entries, the bytes covered, the CRC-32 of
 * the segment's first header, the CRC-32 of the entries), then per
 * record its offset (4 bytes) and its header.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crc.h"
#include "segidx.h"

#define IDX_MAGIC	0x5853464du	/* "MFSX" */
#define IDX_ENTRY	(4 + SEGIDX_HDR)

struct idx_head {
	uint32_t magic;
	uint32_t count;
	uint64_t covered;
	uint32_t first_crc;
	uint32_t crc;
};

int
pread_full(int fd, void *p, size_t len, off_t off)
{
	char *b = p;
	ssize_t n;

	while (len > 0) {
		if ((n = pread(fd, b, len, off)) == -1) {
			if (errno == EINTR)
				continue;
			return errno;
		}
		if (n == 0)
			return EIO;
		b += n;
		len -= (size_t)n;
		off += n;
	}
	return 0;
}

static void
idx_path(const char *path, char *out, size_t size)
{
	snprintf(out, size, "%s.idx", path);
}

/* The CRC-32 of the segment's first header: 0 with *crc_r, or an errno. */
static int
first_crc(int fd, uint64_t size, uint32_t *crc_r)
{
	unsigned char h[SEGIDX_HDR];
	int r;

	if (size < SEGIDX_HDR)
		return EINVAL;
	if ((r = pread_full(fd, h, sizeof(h), 0)) != 0)
		return r;
	*crc_r = crc32_update(0, h, sizeof(h));
	return 0;
}

/*
 * The segment's .idx, when it holds: 0 with *v_r (malloc'ed, the
 * caller's), *head_r; or an errno (none, or not to be trusted).
 */
static int
idx_load(const char *path, int fd, uint64_t size, struct idx_head *head_r,
    unsigned char **v_r)
{
	char ipath[PATH_MAX];
	struct stat st;
	unsigned char *v;
	uint32_t crc;
	int ifd, r;

	idx_path(path, ipath, sizeof(ipath));
	if ((ifd = open(ipath, O_RDONLY | O_CLOEXEC)) == -1)
		return errno;
	if (fstat(ifd, &st) == -1 || (r = pread_full(ifd, head_r, sizeof(*head_r), 0)) != 0 ||
	    head_r->magic != IDX_MAGIC || head_r->covered > size ||
	    (uint64_t)st.st_size != sizeof(*head_r) + (uint64_t)head_r->count * IDX_ENTRY) {
		close(ifd);
		return EINVAL;
	}
	if ((v = malloc((size_t)head_r->count * IDX_ENTRY + 1)) == NULL) {
		close(ifd);
		return ENOMEM;
	}
	r = pread_full(ifd, v, (size_t)head_r->count * IDX_ENTRY, sizeof(*head_r));
	close(ifd);
	if (r == 0 && crc32_update(0, v, (size_t)head_r->count * IDX_ENTRY) != head_r->crc)
		r = EINVAL;
	if (r == 0 && head_r->covered > 0 &&
	    ((r = first_crc(fd, size, &crc)) != 0 || crc != head_r->first_crc))
		r = EINVAL;
	if (r != 0) {
		free(v);
		return r;
	}
	*v_r = v;
	return 0;
}

int
segidx_read(const char *path, int fd, uint64_t size, segidx_len_fn len,
    segidx_each_fn each, void *ctx, uint64_t *end_r)
{
	struct idx_head head;
	unsigned char h[SEGIDX_HDR], *v = NULL, *e;
	uint64_t off = 0, n;
	uint32_t i, at;
	int r = 0;

	if (idx_load(path, fd, size, &head, &v) == 0) {
		/*
		 * Every entry is checked as a header read from the segment
		 * would be, all before the first goes to each(): an .idx that
		 * does not hold is dropped whole, never half replayed.
		 */
		for (i = 0; i < head.count; i++) {
			e = v + (size_t)i * IDX_ENTRY;
			memcpy(&at, e, 4);
			memcpy(h, e + 4, SEGIDX_HDR);
			if (at != off || (n = len(h)) == 0 || off + n > head.covered)
				break;
			off += n;
		}
		if (i < head.count) {
			segidx_remove(path);
			head.count = 0;
			off = 0;
		}
		for (i = 0; i < head.count && r == 0; i++) {
			e = v + (size_t)i * IDX_ENTRY;
			memcpy(&at, e, 4);
			memcpy(h, e + 4, SEGIDX_HDR);
			r = each(ctx, h, at);
		}
		free(v);
		if (r != 0)
			return r;
	}
	while (off + SEGIDX_HDR <= size) {
		if (pread_full(fd, h, SEGIDX_HDR, (off_t)off) != 0 || (n = len(h)) == 0 ||
		    off + n > size)
			break;
		if ((r = each(ctx, h, (uint32_t)off)) != 0)
			return r;
		off += n;
	}
	*end_r = off;
	return 0;
}

struct collect {
	unsigned char *v;
	uint32_t n, cap;
};

static int
collect_one(void *ctx, unsigned char hdr[SEGIDX_HDR], uint32_t off)
{
	struct collect *c = ctx;
	unsigned char *nv;

	if (c->n == c->cap) {
		c->cap = c->cap == 0 ? 1024 : c->cap * 2;
		if ((nv = realloc(c->v, (size_t)c->cap * IDX_ENTRY)) == NULL)
			return ENOMEM;
		c->v = nv;
	}
	memcpy(c->v + (size_t)c->n * IDX_ENTRY, &off, 4);
	memcpy(c->v + (size_t)c->n * IDX_ENTRY + 4, hdr, SEGIDX_HDR);
	c->n++;
	return 0;
}

int
segidx_write(const char *path, int fd, uint64_t size, segidx_len_fn len)
{
	char ipath[PATH_MAX], tmp[PATH_MAX + 8];
	struct idx_head head;
	struct collect c = { NULL, 0, 0 };
	unsigned char *old;
	uint64_t end;
	int ifd, r;

	if (size == 0)
		return 0;
	if (idx_load(path, fd, size, &head, &old) == 0) {
		free(old);
		if (head.covered == size)
			return 0;
	}
	r = segidx_read(path, fd, size, len, collect_one, &c, &end);
	if (r == 0)
		r = first_crc(fd, size, &head.first_crc);
	if (r != 0) {
		free(c.v);
		return r;
	}
	head.magic = IDX_MAGIC;
	head.count = c.n;
	head.covered = end;
	head.crc = crc32_update(0, c.v, (size_t)c.n * IDX_ENTRY);
	idx_path(path, ipath, sizeof(ipath));
	snprintf(tmp, sizeof(tmp), "%s.tmp", ipath);
	if ((ifd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) == -1) {
		free(c.v);
		return errno;
	}
	if (write(ifd, &head, sizeof(head)) != (ssize_t)sizeof(head) ||
	    (c.n > 0 && write(ifd, c.v, (size_t)c.n * IDX_ENTRY) !=
	    (ssize_t)((size_t)c.n * IDX_ENTRY)))
		r = errno != 0 ? errno : EIO;
	if (close(ifd) == -1 && r == 0)
		r = errno;
	free(c.v);
	if (r == 0 && rename(tmp, ipath) == -1)
		r = errno;
	if (r != 0)
		unlink(tmp);
	return r;
}

void
segidx_remove(const char *path)
{
	char ipath[PATH_MAX];

	idx_path(path, ipath, sizeof(ipath));
	(void)unlink(ipath);
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

int
segidx_list(const char *packs_dir, uint32_t **v_r, size_t *n_r)
{
	struct dirent *d;
	uint32_t *v = NULL, *nv;
	size_t n = 0, cap = 0;
	DIR *dir;
	char *end;
	unsigned long no;

	if ((dir = opendir(packs_dir)) == NULL)
		return errno;
	while ((d = readdir(dir)) != NULL) {
		if (strlen(d->d_name) != 8 || strspn(d->d_name, "0123456789") != 8)
			continue;
		no = strtoul(d->d_name, &end, 10);
		if (no == 0 || no > INT32_MAX)
			continue;
		if (n == cap) {
			cap = cap == 0 ? 64 : cap * 2;
			if ((nv = realloc(v, cap * sizeof(*v))) == NULL) {
				free(v);
				closedir(dir);
				return ENOMEM;
			}
			v = nv;
		}
		v[n++] = (uint32_t)no;
	}
	closedir(dir);
	if (n > 0)
		qsort(v, n, sizeof(*v), cmp_u32);
	*v_r = v;
	*n_r = n;
	return 0;
}
