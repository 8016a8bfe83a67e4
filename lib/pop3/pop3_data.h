/*
 * The decoder of a POP3 multi-line response's body (RFC 1939 3): removes
 * the dot that was added to every line beginning with one, finds the
 * terminating "." line, and keeps its place between calls, so that the
 * bytes may arrive cut anywhere (the dot of ".." and the terminating
 * ".CRLF" split across reads included).  Lines end in CRLF; a bare LF is
 * passed on unchanged and also begins a line; ".LF" ends the response as
 * ".CRLF" does (broken servers).  A line that begins with one dot and
 * more text loses the dot (RFC 1939 3).  Nothing is held but the state:
 * any length of body streams.  Internal to libmailfs.
 *
 * pop3/, beside pop3_reply.h: uses nothing else.
 */
#ifndef MAILFS_POP3_DATA_H
#define MAILFS_POP3_DATA_H

#include <stddef.h>

struct pop3_data {
	int state;
};

enum pop3_data_result {
	POP3_DATA_MORE,		/* all input used; the body goes on */
	POP3_DATA_END		/* the terminating line was taken */
};

/* Starts a body: at the beginning of a line. */
void pop3_data_init(struct pop3_data *d);

/*
 * Decodes in[0..len): writes the body's bytes to out, which holds
 * len + 1 bytes (a "." and a CR held back from the call before may come
 * out now), and their count to *out_len_r; *used_r is how much of in was
 * taken (all of it with POP3_DATA_MORE; with POP3_DATA_END, up to the end
 * of the terminating line, the rest being the next response's).
 */
enum pop3_data_result pop3_data_decode(struct pop3_data *d, const char *in,
    size_t len, size_t *used_r, char *out, size_t *out_len_r);

#endif
