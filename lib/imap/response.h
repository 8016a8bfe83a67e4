/*
 * The response dispatch: one complete response at a time, from the
 * engine (through struct engine_dispatch), to the status handling shared
 * by every command here and, through tables, to the command family that
 * understands the data or code (mailbox.h, message.h).  Internal to
 * libmailfs.
 *
 * The hierarchy, each layer calling only the ones below it:
 *   client.c   connecting, STARTTLS, LOGIN; the public state queries
 *   response.c this dispatch
 *   mailbox.c, message.c, idle.c, auth.c   each command family: senders and reply parsers
 *   reply.c    what the reply parsers share
 *   engine.c   the client's state, the command queue, sending and reading
 *   parser.c   the IMAP response parser
 *   ../transport/   conn, buf, strparse, errors
 * The engine reaches the dispatch only through the pointers of
 * response_dispatch, which client.c hands it.
 *
 * RFC 3501 7, RFC 9051 7.
 */
#ifndef MAILFS_RESPONSE_H
#define MAILFS_RESPONSE_H

#include "engine.h"
#include "parser.h"

/*
 * Handles one complete response.  Returns 0, or -1 when the response
 * breaks the protocol (client->err says how; the caller drops the
 * connection).
 */
int response_handle(struct mailfs_client *client, const struct imap_response *resp);

/* response_handle and message.c's literal hooks, for the engine. */
extern const struct engine_dispatch response_dispatch;

#endif
