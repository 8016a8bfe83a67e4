/* libmailfs: the whole public API.  Link with -lmailfs (pkg-config libmailfs). */
#ifndef MAILFS_MAILFS_H
#define MAILFS_MAILFS_H

#include <mailfs/error.h>
#include <mailfs/types.h>
#include <mailfs/client.h>
#include <mailfs/commands.h>
#include <mailfs/utf7.h>
#include <mailfs/url.h>
#include <mailfs/smtp.h>
#include <mailfs/pop3.h>
#include <mailfs/envelope.h>
#include <mailfs/header.h>

#endif
