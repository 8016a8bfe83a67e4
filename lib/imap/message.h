/*
 * The message commands' reply parsers (their senders are public:
 * include/mailfs/commands.h): FETCH data and streamed bodies, EXPUNGE,
 * VANISHED, SEARCH and ESEARCH, and the UIDPLUS and CONDSTORE codes
 * (APPENDUID, COPYUID, MODIFIED).  Called through response.c's tables
 * and, for bodies, the parser's literal hooks.  Internal to libmailfs.
 */
#ifndef MAILFS_MESSAGE_H
#define MAILFS_MESSAGE_H

#include "reply.h"

reply_data_fn message_search_data;
reply_data_fn message_esearch_data;
reply_data_fn message_vanished_data;
reply_numbered_fn message_fetch;
reply_numbered_fn message_expunge;
reply_code_fn message_code_appenduid;
reply_code_fn message_code_copyuid;
reply_code_fn message_code_modified;

/* The parser's literal hooks: FETCH bodies stream to the body handler of the command that asked. */
int message_stream_hook(void *ctx, const struct imap_response *resp,
    const struct imap_arg *list, size_t count, unsigned depth, uint64_t size);
void message_stream_data(void *ctx, uint64_t offset, uint64_t total,
    const char *data, size_t len);

#endif
