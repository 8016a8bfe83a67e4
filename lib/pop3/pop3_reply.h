/*
 * POP3's lines, parsed: status lines ("+OK", "-ERR", and AUTH's "+ "
 * continuation) with their response codes, and the lines of the UIDL and
 * LIST listings; and a set of unique ids, to refuse a listing that names
 * one id twice.  Pure functions of their input; the server is untrusted:
 * every number has a maximum, every id a length and an alphabet, the set
 * a ceiling.  Internal to libmailfs.
 *
 *   status    = ("+OK" / "-ERR") [SP [resp-code SP] text]	RFC 1939 3
 *   resp-code = "[" resp-level *("/" resp-level) "]"		RFC 2449 8
 *   cont      = "+" [SP base64]					RFC 5034 4
 *   uidl-line = msg-number SP unique-id			RFC 1939 7
 *   list-line = msg-number SP size [SP anything]		RFC 1939 5
 *   unique-id = 1*70 %x21-7E (up to MAILFS_POP3_UIDL_MAX accepted)
 *
 * pop3/, the lowest POP3 layer: uses transport/ and <mailfs/pop3.h>.
 */
#ifndef MAILFS_POP3_REPLY_H
#define MAILFS_POP3_REPLY_H

#include <stddef.h>
#include <stdint.h>

#include <mailfs/pop3.h>

enum pop3_status_kind {
	POP3_OK,
	POP3_ERR,
	POP3_CONT		/* "+ challenge", during AUTH only */
};

struct pop3_status {
	enum pop3_status_kind kind;
	/* The response code without its brackets, "" when none. */
	char code[32];
	/* The rest of the line after the code; points into the line parsed. */
	const char *text;
	size_t text_len;
};

/*
 * Parses one status line (without its line end).  0, or -1 when it is
 * none of the three forms.
 */
int pop3_status_parse(const char *line, size_t len, struct pop3_status *st_r);

/*
 * Parses one line of a UIDL listing (uidl != 0) or LIST listing into
 * item_r: a number from 1 to max_number, then an id (copied to uid, which
 * holds MAILFS_POP3_UIDL_MAX + 1 bytes; item_r->uidl points to it) or a
 * size.  Spaces at the end are ignored.  0, or -1 with why (a constant
 * string) when the line is malformed.
 */
int pop3_listing_parse(const char *line, size_t len, int uidl,
    uint32_t max_number, struct mailfs_pop3_item *item_r, char *uid,
    const char **why_r);

/* The ids of one listing, to find one named twice. */
struct pop3_idset {
	uint32_t *slots;	/* 0: empty; else 1 + the id's index */
	size_t nslots;		/* a power of two, or 0 */
	size_t count;
	size_t max;		/* ids at most */
	char *bytes;		/* the ids, each NUL-terminated */
	size_t bytes_len, bytes_cap;
	uint32_t *offs;		/* offs[i]: where id i begins in bytes */
};

void pop3_idset_init(struct pop3_idset *s, size_t max);
/* 0 when id is new (it is added), 1 when it was there, -1 out of memory or over max. */
int pop3_idset_add(struct pop3_idset *s, const char *id, size_t len);
void pop3_idset_free(struct pop3_idset *s);

#endif
