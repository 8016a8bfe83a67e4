/*
 * What every reply parser shares, and the forms of the parsers that
 * response.c's tables call: a command family's untagged data, numbered
 * data ("* 3 FETCH"), and response codes.  Above the engine (engine.h),
 * below the command families (mailbox.h, message.h) and the dispatch
 * (response.h).  Internal to libmailfs.
 */
#ifndef MAILFS_REPLY_H
#define MAILFS_REPLY_H

#include <stddef.h>
#include <stdint.h>

#include "engine.h"
#include "parser.h"

struct buf;

/* Flags, capability lists and similar joined strings stay below this. */
#define JOINED_MAX	(256 * 1024)

/* "* NAME args...": args are what follows NAME. */
typedef int reply_data_fn(struct mailfs_client *c, const struct imap_arg *args,
    size_t nargs);
/* "* n NAME ...": n is the number, resp the whole response. */
typedef int reply_numbered_fn(struct mailfs_client *c, uint32_t n,
    const struct imap_response *resp);
/* "[NAME args]" of a status response; cmd is the tagged command, or NULL. */
typedef int reply_code_fn(struct mailfs_client *c,
    const struct imap_response *resp, struct mailfs_cmd *cmd, const char *args);

/* Sets client->err to "the server sent a malformed WHAT response"; -1. */
int reply_malformed(struct mailfs_client *c, const char *what);

/* Copies server text for a message, control bytes replaced by '?'. */
void reply_printable(char *dst, size_t size, const char *src);

/* An atom as a number; -1 when it is not one. */
int reply_u32(const struct imap_arg *arg, uint32_t *n_r);
int reply_u64(const struct imap_arg *arg, uint64_t *n_r);

/* The oldest command in flight of one of the three kinds, or NULL. */
struct mailfs_cmd *reply_oldest(struct mailfs_client *c, enum cmd_kind k1,
    enum cmd_kind k2, enum cmd_kind k3);

/* The command in flight tagged tag, or NULL. */
struct mailfs_cmd *reply_by_tag(struct mailfs_client *c, const char *tag);

/* Joins a list of atoms with single spaces into a NUL-terminated buffer. */
int reply_join_atoms(const struct imap_arg *list, struct buf *out);

/* Replaces *dst with a copy of src ("" for NULL); -1 when out of memory. */
int reply_replace_string(char **dst, const char *src);

#endif
