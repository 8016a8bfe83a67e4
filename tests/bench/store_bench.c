/*
 * How long the byte store takes to keep a fetched message (issue 11):
 * 20,500 messages of 1-8 KiB in ten folders written as
 *   (a) a file per message, made under a temporary name and renamed
 *       into place (the store before the pack segments), and
 *   (b) records appended to 64 MiB pack segments, each with its CRC32
 *       (the store now, fuse/store/pack.c),
 *   (c) SQLite in WAL mode, synchronous=NORMAL, one transaction per
 *       message, when built with -DWITH_SQLITE -lsqlite3.
 * Prints microseconds a message, wall and CPU (user + system).  Not run
 * by make check:
 *   cc -O2 -o /tmp/store_bench tests/bench/store_bench.c && /tmp/store_bench DIR
 */
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#ifdef WITH_SQLITE
#include <sqlite3.h>
#endif

#define NMSG	20500
#define NFOLDER	10

static char body[8192];
static uint32_t crc_table[8][256];

static void
crc_init(void)
{
	uint32_t c, i, k;

	for (i = 0; i < 256; i++) {
		for (c = i, k = 0; k < 8; k++)
			c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
		crc_table[0][i] = c;
	}
	for (i = 0; i < 256; i++)
		for (k = 1; k < 8; k++)
			crc_table[k][i] = (crc_table[k - 1][i] >> 8) ^
			    crc_table[0][crc_table[k - 1][i] & 0xff];
}

static uint32_t
crc(const void *p, size_t len)
{
	const unsigned char *b = p;
	uint32_t c = 0xffffffffu;

	/* slicing by 8, as fuse/store/crc.c */
	for (; len >= 8; len -= 8, b += 8) {
		c ^= (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
		    (uint32_t)b[3] << 24;
		c = crc_table[7][c & 0xff] ^ crc_table[6][(c >> 8) & 0xff] ^
		    crc_table[5][(c >> 16) & 0xff] ^ crc_table[4][c >> 24] ^
		    crc_table[3][b[4]] ^ crc_table[2][b[5]] ^ crc_table[1][b[6]] ^
		    crc_table[0][b[7]];
	}
	while (len-- > 0)
		c = crc_table[0][(c ^ *b++) & 0xff] ^ (c >> 8);
	return c ^ 0xffffffffu;
}

static size_t
msg_len(int i)
{
	return 1024 + (size_t)((i * 2654435761u) % 7169u);
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double
cpu(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	    ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static void
report(const char *what, double w0, double c0)
{
	printf("%-28s %7.2f us/msg wall %7.2f us/msg cpu\n", what,
	    (now() - w0) * 1e6 / NMSG, (cpu() - c0) * 1e6 / NMSG);
}

static void
files(const char *dir)
{
	char path[4096], tmp[4096];
	double w0 = now(), c0 = cpu();
	int i, fd;

	for (i = 0; i < NFOLDER; i++) {
		snprintf(path, sizeof(path), "%s/files/%d", dir, i);
		mkdir(path, 0700);
	}
	for (i = 0; i < NMSG; i++) {
		snprintf(tmp, sizeof(tmp), "%s/files/%d/.tmp.%d", dir, i % NFOLDER, i);
		snprintf(path, sizeof(path), "%s/files/%d/%d", dir, i % NFOLDER, i);
		if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0600)) == -1 ||
		    write(fd, body, msg_len(i)) != (ssize_t)msg_len(i) ||
		    close(fd) == -1 || rename(tmp, path) == -1) {
			perror(tmp);
			exit(1);
		}
	}
	report("(a) a file per message", w0, c0);
}

static void
pack(const char *dir)
{
	char path[4096], hdr[64];
	double w0 = now(), c0 = cpu();
	uint64_t off = 0;
	uint32_t c;
	int i, fd;

	snprintf(path, sizeof(path), "%s/pack", dir);
	if ((fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600)) == -1) {
		perror(path);
		exit(1);
	}
	for (i = 0; i < NMSG; i++) {
		memset(hdr, 0, sizeof(hdr));
		c = crc(body, msg_len(i));
		memcpy(hdr, &c, sizeof(c));
		c = crc(hdr, sizeof(hdr));
		memcpy(hdr + 4, &c, sizeof(c));
		if (pwrite(fd, body, msg_len(i), (off_t)(off + sizeof(hdr))) !=
		    (ssize_t)msg_len(i) || pwrite(fd, hdr, sizeof(hdr), (off_t)off) !=
		    (ssize_t)sizeof(hdr)) {
			perror(path);
			exit(1);
		}
		off += sizeof(hdr) + msg_len(i);
	}
	close(fd);
	report("(b) pack append + crc32", w0, c0);
}

#ifdef WITH_SQLITE
static void
sqlite(const char *dir)
{
	char path[4096];
	double w0 = now(), c0 = cpu();
	sqlite3 *db;
	sqlite3_stmt *st;
	int i;

	snprintf(path, sizeof(path), "%s/db.sqlite", dir);
	if (sqlite3_open(path, &db) != SQLITE_OK ||
	    sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
	    "CREATE TABLE m (f INTEGER, uid INTEGER, body BLOB, PRIMARY KEY (f, uid))",
	    NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "INSERT INTO m VALUES (?, ?, ?)", -1, &st, NULL) !=
	    SQLITE_OK) {
		fprintf(stderr, "sqlite: %s\n", sqlite3_errmsg(db));
		exit(1);
	}
	for (i = 0; i < NMSG; i++) {
		sqlite3_bind_int(st, 1, i % NFOLDER);
		sqlite3_bind_int(st, 2, i);
		sqlite3_bind_blob(st, 3, body, (int)msg_len(i), SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE) {
			fprintf(stderr, "sqlite: %s\n", sqlite3_errmsg(db));
			exit(1);
		}
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	report("(c) sqlite WAL, a txn each", w0, c0);
}
#endif

int
main(int argc, char **argv)
{
	char path[4096];
	size_t i;

	if (argc != 2) {
		fprintf(stderr, "usage: store_bench EMPTY-DIR\n");
		return 2;
	}
	crc_init();
	for (i = 0; i < sizeof(body); i++)
		body[i] = (char)('a' + i % 26);
	snprintf(path, sizeof(path), "%s/files", argv[1]);
	if (mkdir(path, 0700) == -1 && errno != EEXIST) {
		perror(path);
		return 1;
	}
	files(argv[1]);
	pack(argv[1]);
#ifdef WITH_SQLITE
	sqlite(argv[1]);
#endif
	return 0;
}
