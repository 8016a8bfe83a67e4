/*
 * The mailbox and session commands' reply parsers (their senders are
 * public: include/mailfs/commands.h): CAPABILITY, ENABLED, NAMESPACE,
 * LIST, STATUS, QUOTA and QUOTAROOT data, and what SELECT learns (FLAGS,
 * EXISTS, UIDVALIDITY and the other codes).  Called through response.c's
 * tables.  Internal to libmailfs.
 */
#ifndef MAILFS_MAILBOX_H
#define MAILFS_MAILBOX_H

#include "reply.h"

/* Replaces the capability list with the space-separated atoms in text. */
int capabilities_set(struct mailfs_client *client, const char *text, size_t len);

reply_data_fn mailbox_capability_data;
reply_data_fn mailbox_enabled_data;
reply_data_fn mailbox_namespace_data;
reply_data_fn mailbox_list_data;
reply_data_fn mailbox_status_data;
reply_data_fn mailbox_quota_data;
reply_data_fn mailbox_quotaroot_data;
reply_data_fn mailbox_flags_data;
reply_numbered_fn mailbox_exists;
reply_code_fn mailbox_code_capability;
/* UIDVALIDITY, UIDNEXT, HIGHESTMODSEQ, NOMODSEQ, PERMANENTFLAGS, READ-ONLY, READ-WRITE */
reply_code_fn mailbox_code_select;

#endif
