/*
 * RFC 5322 address lists (3.4, with the obsolete forms of 4.4 that
 * mailers still write: routes, CFWS between the parts of an address,
 * empty members).  Internal to libmailfs.
 *
 * mail/ (the message as a user writes it; depends on nothing of ours
 * but the error convention).
 */
#ifndef MAILFS_ADDRESS_H
#define MAILFS_ADDRESS_H

#include <stddef.h>

/* The longest addr-spec (RFC 5321 4.5.3.1: 64 + 1 + 255). */
#define ADDRESS_MAX	320

/*
 * Calls add(ctx, addr) for every mailbox of the address list text (len
 * bytes, a field's value unfolded or not), in order: addr is the
 * addr-spec, NUL-terminated, valid during the call; "" for "<>".  add
 * returns 0 to go on, else its value ends the parse and is returned.
 * Returns 0, the value of add, or -1 with *why_r a constant sentence
 * (unbalanced quotes or brackets, an address without its domain, one
 * too long).  *utf8_r (when not NULL) is set to 1 when an address is
 * not ASCII.
 */
int address_list_parse(const char *text, size_t len,
    int (*add)(void *ctx, const char *addr), void *ctx, int *utf8_r,
    const char **why_r);

#endif
