/*
 * The command engine: the client's state, the queue of commands, sending
 * with pipelining, and handing what the server answers to the dispatch.  Internal to
 * libmailfs.
 *
 * Every command is a struct mailfs_cmd in one queue, oldest first.  It is
 * built from segments (text, and literal data that may have to wait for
 * the server's "+"), sent as soon as the pipeline allows, and completed
 * exactly once: by its tagged response, or by engine_fail_all() when the
 * connection is lost.  A completed command stays in the queue until
 * mailfs_run() collects it or, if detached, is freed at once.
 *
 * Untagged data goes to the oldest command in flight that asked for that
 * kind of data (kind is checked before anything is written into a command:
 * an APPENDUID can only complete an APPEND), and otherwise updates the
 * mailbox state and goes to the unilateral handlers.
 *
 * imap/, above parser.h and transport/, below everything else in imap/
 * (see response.h for the whole hierarchy): complete responses go up
 * only through client->dispatch, and the client's state changes only in
 * client_set_state().
 */
#ifndef MAILFS_ENGINE_H
#define MAILFS_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include <mailfs/client.h>
#include <mailfs/commands.h>

#include "buf.h"
#include "conn.h"
#include "parser.h"

struct conn;
struct mailfs_client;
struct mailfs_sasl_mech;

/*
 * What the engine hands each complete response and each streamed literal
 * to: the dispatch above it (response.h), never called by name, so that
 * the engine depends on nothing above it.
 */
struct engine_dispatch {
	int (*response)(struct mailfs_client *, const struct imap_response *);
	imap_literal_hook_fn *literal_hook;
	imap_literal_data_fn *literal_data;
};

enum cmd_kind {
	CMD_GENERIC,		/* no data of its own: NOOP, CREATE, EXPUNGE ... */
	CMD_CAPABILITY,
	CMD_STARTTLS,
	CMD_LOGIN,		/* LOGIN or AUTHENTICATE */
	CMD_LOGOUT,
	CMD_ENABLE,
	CMD_ID,
	CMD_NAMESPACE,
	CMD_LIST,
	CMD_STATUS,
	CMD_QUOTA,
	CMD_SELECT,
	CMD_UNSELECT,
	CMD_APPEND,
	CMD_FETCH,
	CMD_STORE,
	CMD_COPY,
	CMD_MOVE,
	CMD_SEARCH,
	CMD_IDLE
};

enum cmd_phase {
	CMD_PHASE_QUEUED,	/* not a byte sent yet */
	CMD_PHASE_SENDING,	/* partly sent; waits for a "+" or for the pipeline */
	CMD_PHASE_SENT,		/* all sent; waiting for the tagged response */
	CMD_PHASE_DONE		/* completed; status in err */
};

/* A piece of a command's bytes. */
struct cmd_segment {
	char *owned;		/* freed with the command; NULL for borrowed data */
	const char *data;
	size_t len;
	/* The server must say "+" before these bytes may go (a synchronising literal). */
	int wait_continuation;
	/* Shown as "***" in the trace: passwords, SASL responses. */
	int secret;
	/* Literal data: the trace shows only its size. */
	int literal;
};

struct mailfs_cmd {
	struct mailfs_cmd *next;
	enum cmd_kind kind;
	enum cmd_phase phase;
	char tag[16];
	char name[24];		/* "SELECT", "UID FETCH": for messages */
	struct buf text;	/* text being built, not yet a segment */
	struct cmd_segment *segs;
	size_t nsegs;
	size_t seg_sent;	/* segments fully sent */
	int continuation_granted; /* the "+" this command waited for arrived */
	int building_failed;	/* an error while building; err says which */
	int detached;
	size_t payload;		/* bytes of literal data: large ones are not pipelined */
	struct mailfs_handlers handlers;
	struct mailfs_error err;
	struct mailfs_cmd_result result;
	/* FETCH and STORE: the UIDs asked for, to route pipelined answers. */
	struct mailfs_uidset uids;
	int select_read_only;
};

struct mailbox_state {
	struct mailfs_mailbox_state pub;
	char *name;
	char *flags;
	char *permanent_flags;
};

struct mailfs_client {
	/* parameters, copied */
	char *host;
	char *port;
	char *ca_file;
	enum mailfs_security security;
	int connect_timeout_ms;
	int io_timeout_ms;
	struct imap_parser_limits limits;
	unsigned pipeline_depth;
	mailfs_trace_fn *trace;
	void *trace_ctx;
	struct mailfs_unilateral unilateral;
	const struct engine_dispatch *dispatch;

	/* The owner's deadline and cancel descriptor, for every wait of conn. */
	struct conn_bounds bounds;
	struct conn *conn;
	struct imap_parser *parser;
	enum mailfs_client_state state;	/* written only by client_set_state() */
	struct mailfs_error err;

	char *capabilities;	/* space-separated, as the server sent them */
	unsigned caps;
	int condstore_enabled;
	int qresync_enabled;
	char delimiter;
	int have_delimiter;

	struct mailbox_state mailbox;
	int selected;

	struct mailfs_cmd *queue;	/* oldest first */
	unsigned next_tag;
	int greeting_pending;
	int drop_buffered_input;	/* after STARTTLS's OK: plaintext after it is never parsed */
	int idling;			/* IDLE's "+" arrived */
	int bye;			/* the server said BYE */
	char bye_text[128];

	/* AUTHENTICATE's mechanism while it runs (auth.h), borrowed. */
	const struct mailfs_sasl_mech *sasl;
	unsigned sasl_steps;

	/* The literal being streamed to a handler, when any. */
	struct mailfs_cmd *stream_cmd;
	uint32_t stream_seq;

	char rbuf[65536];		/* read chunk; parsed at once, never kept */
};

/* ---- building and queuing commands ---- */

/*
 * Starts a command of kind, tagged, with the tag and the command name
 * already in it.  NULL (with client->err set) when the client is not
 * connected or out of memory.
 */
struct mailfs_cmd *cmd_new(struct mailfs_client *client, enum cmd_kind kind,
    const char *name, const struct mailfs_handlers *handlers);

/* Appends text (printf-style).  On failure the command is marked failed. */
void cmd_add(struct mailfs_cmd *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Appends SP and an astring: an atom when safe, else quoted, else a literal. */
void cmd_add_astring(struct mailfs_client *client, struct mailfs_cmd *cmd,
    const char *s, int secret);

/* Appends SP and a mailbox name: UTF-8 encoded as modified UTF-7, then an astring. */
void cmd_add_mailbox(struct mailfs_client *client, struct mailfs_cmd *cmd,
    const char *utf8_name);

/*
 * Appends SP, a literal header and len bytes (borrowed when copy is 0:
 * they must live until the command completes).  LITERAL+ when the server
 * offers it, else a synchronising literal.
 */
void cmd_add_literal(struct mailfs_client *client, struct mailfs_cmd *cmd,
    const char *data, size_t len, int copy, int secret);

/*
 * Appends CRLF and a segment that waits for the server's "+" before it is
 * sent (AUTHENTICATE without SASL-IR, IDLE's DONE is separate).
 */
void cmd_add_after_continuation(struct mailfs_cmd *cmd, const char *data,
    size_t len, int secret);

/* Checks flags ("\Seen $Label") and appends " (flags)". */
void cmd_add_flag_list(struct mailfs_client *client, struct mailfs_cmd *cmd,
    const char *flags);

/* Checks a UID set's syntax and appends SP and it. */
void cmd_add_uidset(struct mailfs_client *client, struct mailfs_cmd *cmd,
    const char *uids);

/*
 * Ends the command with CRLF and queues it; sends what the pipeline
 * allows.  Returns cmd, or NULL when the command failed to build (then it
 * is freed and client->err says why).
 */
struct mailfs_cmd *cmd_submit(struct mailfs_client *client, struct mailfs_cmd *cmd);

/* Frees a command that is not (or no longer) in the queue. */
void cmd_free(struct mailfs_cmd *cmd);

/* ---- running ---- */

/*
 * Sends what may be sent and reads one batch of input (waiting up to
 * timeout_ms for it), dispatching every complete response.  Returns 1
 * when something was read, 0 on timeout with timeout_ok, -1 on error
 * (the connection is then closed and every command failed).
 */
int engine_step(struct mailfs_client *client, int timeout_ms, int timeout_ok);

/* Runs until cmd is done; 0 when OK.  Does not free cmd. */
int engine_wait(struct mailfs_client *client, struct mailfs_cmd *cmd);

/* Removes cmd from the queue and frees it. */
void engine_release(struct mailfs_client *client, struct mailfs_cmd *cmd);

/*
 * Completes every command with err, closes the connection and forgets the
 * selected mailbox.  The client can connect again.
 */
void engine_fail_all(struct mailfs_client *client, const struct mailfs_error *err);

/* Resets the engine's per-connection state (parser, tags, flags). */
int engine_reset(struct mailfs_client *client);

void engine_trace(struct mailfs_client *client, enum mailfs_trace_dir dir,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Copies a command's status into client->err for the caller to see. */
void engine_report(struct mailfs_client *client, const struct mailfs_cmd *cmd);

/* Overwrites a secret so that it does not linger in freed memory. */
void wipe_secret(void *p, size_t len);

/* Forgets the selected mailbox (SELECTED becomes AUTHENTICATED). */
void mailbox_state_clear(struct mailfs_client *client);

/*
 * The one place the client's state changes: every change is traced as
 * "state OLD -> NEW" (MAILFS_TRACE_INFO).
 */
void client_set_state(struct mailfs_client *client,
    enum mailfs_client_state state);

#endif
