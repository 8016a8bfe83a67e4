/*
 * AUTHENTICATE with any SASL mechanism (struct mailfs_sasl_mech): the
 * command, with the initial response on its line when the server offers
 * SASL-IR, else after the server's first "+", and the answers to the
 * server's challenges.  Internal to libmailfs; a command family below
 * response.c (see response.h).
 *
 * While the command runs, client->sasl points to the caller's mechanism
 * (borrowed for the call) and client->sasl_steps counts the challenges
 * answered.  Responses are never traced ("***") and are wiped from memory
 * once sent.
 *
 * RFC 3501 6.2.2, RFC 4959 (SASL-IR), RFC 4422 5.
 */
#ifndef MAILFS_AUTH_H
#define MAILFS_AUTH_H

#include <mailfs/sasl.h>

#include "engine.h"

/*
 * Queues "AUTHENTICATE NAME" for mech and sets client->sasl; NULL (with
 * client->err set) when the mechanism fails to make its initial response
 * or the command cannot be built.
 */
struct mailfs_cmd *auth_command(struct mailfs_client *client,
    const struct mailfs_sasl_mech *mech);

/*
 * Answers a continuation request that came while AUTHENTICATE waits for
 * its tagged response: text is the base64 challenge.  Cancels ("*") when
 * the challenge is not base64, the mechanism gives up, or more than 8
 * came.  0, or -1 when the answer could not be written (client->err).
 */
int auth_challenge(struct mailfs_client *client, const char *text);

#endif
