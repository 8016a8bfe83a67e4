/*
 * What the Outbox's files share (outbox.c: the table and the FUSE
 * layer's calls; outbox_send.c: sending and filing; outbox_state.c: the
 * files on disk).  Internal to fuse/model/outbox*.c.
 */
#ifndef MAILFS_FUSE_OUTBOX_INT_H
#define MAILFS_FUSE_OUTBOX_INT_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct submitter;

enum ob_state {
	OB_DRAFT = 0,	/* written, not (yet) to be sent */
	OB_SENDING,	/* handed to the server; at start: unknown */
	OB_SENT,	/* accepted; leaves once filed */
	OB_DEFERRED,	/* to be sent again at next_try */
	OB_FAILED,	/* refused: kept with the reply */
	OB_INVALID,	/* malformed: kept with the reason */
	OB_PARTIAL,	/* sent to some: kept as a record */
	OB_UNKNOWN	/* no answer after the data: never sent again by itself */
};

/* A message of the Outbox.  Fields [outbox_lock]. */
struct ob_entry {
	uint32_t id;
	char *name;		/* the user's file name */
	enum ob_state state;
	unsigned attempts;	/* sends tried */
	time_t next_try;	/* deferred: when; sent: filing's next try */
	int filed;		/* sent, partial: the copy is in Sent */
	time_t sent_at;		/* sent, partial: when (the copy's INTERNALDATE) */
	int recovered;		/* sent, not filed, found at start: filing may have happened */
	char date[64];		/* the Date: made for it once, "" none yet */
	char msgid[300];	/* the Message-ID: made for it once */
	char error[600];	/* the last reply or reason, "" none */
	int fd;			/* its bytes (ID.eml), O_RDWR */
	int busy;		/* a send or filing is in progress */
	int dirty;		/* written since the last send */
	unsigned writers;	/* open handles that may write */
	struct ob_entry *next;
};

extern pthread_mutex_t outbox_lock;
extern struct ob_entry *ob_head;

struct ob_entry *ob_find_locked(uint32_t id);
void ob_insert_locked(struct ob_entry *e);
void ob_entry_free(struct ob_entry *e);
/* 1 when the user sees e in Outbox/ (a sent message on its way out is not). */
static inline int
ob_visible(const struct ob_entry *e)
{
	return e->state != OB_SENT;
}
const char *ob_state_name(enum ob_state s);
/* user.mailfs.status of e into buf. */
void ob_status_locked(const struct ob_entry *e, char *buf, size_t size);
/* Seconds before the attempts'th retry. */
unsigned ob_backoff(unsigned attempts);
struct submitter *ob_submitter(void);
const char *ob_sent_folder(void);

/* outbox_state.c: the files. */
/* Writes e's state durably (ID.state); 0 or an errno (logged). */
int ob_save_locked(const struct ob_entry *e);
/* Opens ID.eml (create: made, empty); 0 or an errno (logged). */
int ob_open_bytes(uint32_t id, int create, int *fd_r);
/* Removes ID.eml and ID.state, durably. */
void ob_remove_files(uint32_t id);
/* Loads the directory at start (sending -> unknown). */
int ob_load(void);

/* outbox_send.c */
/* Sends message id (force: whatever its state); the errno close() gets. */
int ob_send(uint32_t id, int force);
/* Files a sent message's copy again (the thread); 0 or an errno. */
int ob_file_again(uint32_t id);

#endif
