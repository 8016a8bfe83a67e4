/*
 * Understanding what the server says: status responses and their codes,
 * capabilities, and the data responses (FETCH, LIST, STATUS, SEARCH,
 * ESEARCH, VANISHED, QUOTA, NAMESPACE, ENABLED ...), each delivered to the
 * command that asked for it or to the unilateral handlers.  Internal to
 * libmailfs.
 *
 * RFC 3501 7, RFC 9051 7, RFC 4315 3, RFC 7162 3.2, RFC 4731, RFC 9208,
 * RFC 2342, RFC 5161, RFC 6154, RFC 5819.
 */
#ifndef MAILFS_RESPONSE_H
#define MAILFS_RESPONSE_H

#include <stddef.h>
#include <stdint.h>

#include "parser.h"

struct mailfs_client;

/*
 * Handles one complete response.  Returns 0, or -1 when the response
 * breaks the protocol (client->err says how; the caller drops the
 * connection).
 */
int response_handle(struct mailfs_client *client, const struct imap_response *resp);

/* The parser's literal hooks: FETCH bodies stream to the body handler of the command that asked. */
int response_stream_hook(void *ctx, const struct imap_response *resp,
    const struct imap_arg *list, size_t count, unsigned depth, uint64_t size);
void response_stream_data(void *ctx, uint64_t offset, uint64_t total,
    const char *data, size_t len);

/* Replaces the capability list with the space-separated atoms in text. */
int capabilities_set(struct mailfs_client *client, const char *text, size_t len);

#endif
