/*
 * Shared pieces of the integration tests: a recorded protocol trace,
 * clients logged in to the test Dovecot, and collectors for what command
 * handlers deliver.  Every test program links test_common.c.
 */
#ifndef MAILFS_TEST_COMMON_H
#define MAILFS_TEST_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include <mailfs/mailfs.h>

#include "../harness/testenv.h"

/* One line the trace callback saw, in order, with when it saw it. */
struct trace_line {
	enum mailfs_trace_dir dir;
	char *text;		/* NUL-terminated copy */
	uint64_t usec;		/* monotonic clock */
};

struct trace {
	struct trace_line *lines;
	size_t count;
	size_t cap;
};

/* The mailfs_trace_fn that appends to a struct trace (the ctx). */
void trace_record(void *ctx, enum mailfs_trace_dir dir, const char *line,
    size_t len);
void trace_clear(struct trace *t);
/* Index of the first line from index from on with dir whose text contains needle, or -1. */
long trace_find(const struct trace *t, size_t from, int dir, const char *needle);
/* 1 when any line in either direction contains needle. */
int trace_contains(const struct trace *t, const char *needle);
/* Prints the last n lines as TAP diagnostics. */
void trace_dump(const struct trace *t, size_t n);
#define TRACE_ANY	(-1)

uint64_t now_usec(void);

/*
 * Starts the test Dovecot with options, or skips the whole program when
 * Dovecot is not installed, or bails out when it does not start.
 */
void itest_start(struct testenv *env, const char *options);

/*
 * A client for env with the given security, tracing into tr (may be NULL)
 * and passing unilateral data to u (may be NULL).  itest_login() also
 * connects and logs in, and bails out when that fails.
 */
struct mailfs_client *itest_client(const struct testenv *env,
    enum mailfs_security sec, struct trace *tr,
    const struct mailfs_unilateral *u);
struct mailfs_client *itest_login(const struct testenv *env,
    enum mailfs_security sec, struct trace *tr,
    const struct mailfs_unilateral *u);

/*
 * mailfs_run() that, on failure, prints the client's error and the tail
 * of tr as diagnostics.  Returns what mailfs_run() returned.
 */
int itest_run(struct mailfs_client *c, struct mailfs_cmd *cmd,
    struct mailfs_cmd_result *res, const struct trace *tr);

/* Prints the client's last error as a diagnostic. */
void itest_diag_error(struct mailfs_client *c, const char *what);

/*
 * A well-formed message with CRLF line ends whose body is about body_size
 * bytes; *len_r is its exact length.  Never NULL (bails out).
 */
char *make_message(const char *subject, size_t body_size, size_t *len_r);

struct pending_stream;

/* A copy of a FETCH response. */
struct fetched {
	unsigned present;
	uint32_t seq;
	uint32_t uid;
	uint64_t size;
	time_t internaldate;
	uint64_t modseq;
	char *flags;
	char *body;		/* in-memory or reassembled streamed body */
	size_t body_len;
	uint64_t body_origin;
};

/*
 * Collects everything a command's handlers deliver.  Point
 * struct mailfs_handlers at collector_handlers(&col, stream) to fill it.
 */
struct collector {
	struct fetched *msgs;
	size_t nmsgs;
	/* streamed BODY[]: reassembled into the fetched entry of the same seq */
	struct pending_stream *streams;
	int stream_ok;		/* 0 once a chunk arrived out of order */
	unsigned body_calls;
	uint32_t vanished_earlier[256];
	size_t nvanished_earlier;
	uint32_t vanished_now[256];
	size_t nvanished_now;
	uint32_t *search_uids;	/* the union of every SEARCH answer, in order */
	size_t nsearch;
	int search_calls;
	char *names[256];	/* LIST names (UTF-8) */
	char *raw_names[256];
	unsigned attrs[256];
	char delimiter;
	size_t nlist;
	struct {
		char *name;
		struct mailfs_status st;
	} status[256];
	size_t nstatus;
	char *quota_root;
	char *quota_resource;
	uint64_t quota_usage;
	uint64_t quota_limit;
	int quota_calls;
	char *quotaroot_mailbox;
	char *quotaroot_root;
	int quotaroot_calls;
	char *ns_prefix;
	char ns_delimiter;
	int namespace_calls;
};

void collector_init(struct collector *col);
void collector_free(struct collector *col);
/* Handlers that fill col; with stream set, BODY[] goes through ->body. */
struct mailfs_handlers collector_handlers(struct collector *col, int stream);
/* The collected message with that UID, or NULL. */
const struct fetched *collector_uid(const struct collector *col, uint32_t uid);
/* Index of a collected LIST name, or -1. */
long collector_list_index(const struct collector *col, const char *name);
/* The collected STATUS for a mailbox, or NULL. */
const struct mailfs_status *collector_status(const struct collector *col,
    const char *name);

/* 1 when the space-separated flag list contains flag (case-insensitive). */
int has_flag(const char *flags, const char *flag);

#endif
