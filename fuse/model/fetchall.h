/*
 * -o prefetch=all: every body of every folder fetched into the store in
 * the background, for a mount that is to be used without the server.
 *
 * Order: newest first by INTERNALDATE across folders, a batch at a time
 * from one folder: each batch is the newest bodies not yet stored of the
 * folder that holds the newest one not yet stored, at most BATCH_BYTES
 * (one message at least) or BATCH_MSGS of them, fetched with
 * prefetch_batch() (one UID FETCH, on one pool connection taken for the
 * batch alone: a reader waits at most for one batch, and for a message
 * of it only until that message is in place).  Every folder is loaded
 * (folder_ensure()) before its bodies are planned; the refresh keeps
 * them current, and what it adds (new mail, new folders) is fetched in
 * the next round.  Offline (online.h) it pauses, and goes on once
 * online.  Within -o cache_size: before a batch would take the store
 * past seven eighths of it (the rest for the reader's own fetches and
 * the saved listings), it stops for the rest of the mount, so that the
 * store never evicts what it fetched, nor fetches again what it evicted.
 *
 * Owns one thread and fetchall_lock (a leaf of fs.h's order), which
 * guards the state and the stop flag; it is not held across a round
 * trip or while any other lock is taken.
 */
#ifndef MAILFS_FUSE_FETCHALL_H
#define MAILFS_FUSE_FETCHALL_H

/* Starts the thread: 0 or an errno. */
int fetchall_start(void);

/* Stops it (after the batch it is fetching) and waits for it; again is harmless. */
void fetchall_stop(void);

/*
 * What it is doing, for the status (user.mailfs.status): "off",
 * "running", "done", "paused (offline)" or "stopped (cache full)"; a
 * static string.
 */
const char *fetchall_state(void);

#endif
