/*
 * The IMAP backend: backend.h over libmailfs's IMAP client, on a pool of
 * connections (pool.h), its answers mapped to errno by one table
 * (errmap.h), and its recovery after lost answers in recover.h.  Only
 * the files of this folder include this header, and main.c, which
 * makes the backend (imap_backend_new(), imap_backend_connect()).
 *
 * Files, one operation family each:
 *	imap.c		creating and freeing the backend, its capabilities
 *	login.c		the first contact: log in and list, or say why not
 *	list.c		list, status
 *	select.c	open, close, refresh, listing
 *	folderops.c	create, remove, rename (with their LIST probes and NAMESPACE)
 *	change.c	expunge, move
 *	fetch.c		fetch
 *	append.c	append
 *	flags.c		set_flags, quota
 *	watch.c		wait_changes: push (NOTIFY or IDLE) on a connection of its own
 */
#ifndef MAILFS_FUSE_IMAP_H
#define MAILFS_FUSE_IMAP_H

#include <mailfs/client.h>
#include <mailfs/types.h>
#include <mailfs/url.h>

#include "backend.h"

struct pool_conn;
struct secret;

/*
 * The IMAP backend of one account.  params is copied (its strings must
 * outlive the backend), user and password must outlive it.  NULL when
 * out of memory.
 */
struct backend *imap_backend_new(const struct mailfs_params *params, const char *user,
    const struct secret *password, unsigned nconn);

/*
 * A folder opened (backend.h open()): a pool connection with it selected,
 * held until close().  pc is NULL once a call gave it back early (move:
 * so that asking where the message went, on a connection of its own,
 * cannot wait for this one); later calls but close() then fail with EIO.
 */
struct be_folder {
	struct pool_conn *pc;
	char *mailbox;		/* malloc'ed */
	/*
	 * Opened by open_lazy(): the connection may have another mailbox
	 * selected, and the first fetch() selects this one (fetch.c).
	 */
	int lazy;
};

/* imap.c */
/* A mailfs_trace_fn for the library's protocol trace (-d; secrets already masked). */
void imap_log_trace(void *ctx, enum mailfs_trace_dir dir, const char *line, size_t len);
/* Adds what a STATUS response carries to *to; as a handler, ctx is the struct be_status. */
void imap_status_copy(struct be_status *to, const struct mailfs_status *s);
void imap_status_handler(void *ctx, const struct mailfs_status *s);
/* BE_FOLDER_* of a LIST entry's MAILFS_MBX_* attributes. */
unsigned imap_folder_attrs(unsigned mbx);
void imap_free(struct backend *be);
void imap_cancel(struct backend *be, int on);
unsigned imap_caps(struct backend *be);

/*
 * Logs in and lists every folder into *lr (the caller's, emptied first),
 * before the mount: 0, or an errno and why (size bytes): one sentence
 * that says, in the user's words, why url cannot be used.  ONLINE_ERRNO
 * (online.h) when the server cannot be reached for a network reason:
 * then the backend is offline, and the mount may come up from the saved
 * state (why is for when it cannot).  main.c's, the composition root's,
 * to call.
 */
int imap_backend_connect(struct backend *be, const struct mailfs_url *url,
    struct list_result *lr, char *why, size_t size);

/*
 * After the mount (its threads survive no fork): starts the reconnect
 * in the background that brings an offline backend online.  0 or an errno.
 */
int imap_backend_start(struct backend *be);

/* list.c */
/* LIST "" "*" (with STATUS where offered) into lr; 0 or -1 (the client's error). */
int imap_list_run(struct mailfs_client *c, struct list_result *lr);
int imap_list(struct backend *be, struct list_result *lr);
int imap_status(struct backend *be, const char *mailbox, struct be_status *st_r);

/* select.c */
int imap_open(struct backend *be, const char *mailbox, struct be_folder **f_r,
    struct be_status *st_r);
int imap_open_lazy(struct backend *be, const char *mailbox, struct be_folder **f_r);
void imap_close(struct be_folder *f, int failed);
int imap_refresh(struct be_folder *f, struct be_status *st_r);
int imap_listing(struct be_folder *f, uint64_t since, const struct be_listing_cb *cb,
    struct be_status *st_r);
/*
 * 1 when listings leave out messages marked \Deleted: the server lacks
 * UIDPLUS, so rm may leave them marked (recover.c).
 */
int imap_hides_deleted(void);

/* folderops.c */
int imap_create(struct backend *be, const char *mailbox, char delim);
int imap_remove(struct backend *be, const char *mailbox, char delim, int selectable);
int imap_rename(struct backend *be, const char *from, const char *to, char delim);

/* change.c */
int imap_expunge(struct be_folder *f, uint32_t uidvalidity, uint32_t uid);
int imap_move(struct be_folder *f, uint32_t uidvalidity, const struct be_msg *m,
    const char *dst, uint32_t *uid_r, uint32_t *uidvalidity_r);

/* fetch.c */
int imap_fetch(struct be_folder *f, uint32_t uidvalidity, const char *uids,
    const struct be_body_cb *cb);

/* append.c */
/* Forgets the appends whose outcome was lost (imap_free()). */
void imap_append_forget(void);
int imap_append(struct backend *be, const char *mailbox, const struct be_new_msg *m,
    uint32_t *uid_r, uint32_t *uidvalidity_r);

/* flags.c */
int imap_set_flags(struct be_folder *f, uint32_t uidvalidity, uint32_t uid,
    enum be_flags_mode mode, const char *flags, struct be_msg *m_r, char *buf,
    size_t size);
int imap_quota(struct backend *be, struct be_quota *q_r, char *why,
    size_t size);

/* watch.c */
/* One caller at a time (the refresh thread). */
int imap_wait_changes(struct backend *be, unsigned timeout_ms);
/* on: push may be used (connections > 1); else wait_changes() is EPERM. */
void imap_watch_init(int on);
/* Closes the push connection (imap_free(), before the pool goes). */
void imap_watch_free(void);

#endif
