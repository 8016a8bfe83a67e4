/*
 * The multi-line body decoder (see pop3_data.h).  RFC 1939 3.
 */
#include <stddef.h>

#include "pop3_data.h"

enum {
	S_BOL = 0,	/* at the beginning of a line */
	S_MID,		/* inside a line */
	S_DOT,		/* a line began with '.', held back */
	S_DOTCR		/* a line began with ".CR", both held back */
};

void
pop3_data_init(struct pop3_data *d)
{
	d->state = S_BOL;
}

enum pop3_data_result
pop3_data_decode(struct pop3_data *d, const char *in, size_t len,
    size_t *used_r, char *out, size_t *out_len_r)
{
	size_t i = 0, o = 0;
	char ch;

	while (i < len) {
		ch = in[i];
		switch (d->state) {
		case S_BOL:
			if (ch == '.') {
				d->state = S_DOT;
				i++;
				continue;
			}
			d->state = S_MID;
			continue;
		case S_DOT:
			if (ch == '\r') {
				d->state = S_DOTCR;
				i++;
				continue;
			}
			if (ch == '\n') {
				i++;
				goto end;
			}
			/* ".." is "."; "." and other text loses the dot. */
			d->state = S_MID;
			if (ch == '.') {
				out[o++] = '.';
				i++;
			}
			continue;
		case S_DOTCR:
			if (ch == '\n') {
				i++;
				goto end;
			}
			/* ".CR" and more: the dot goes, the CR stays. */
			out[o++] = '\r';
			d->state = S_MID;
			continue;
		default:
			/* A run of the line's bytes up to its end. */
			while (i < len) {
				ch = out[o++] = in[i++];
				if (ch == '\n') {
					d->state = S_BOL;
					break;
				}
			}
			continue;
		}
	}
	*used_r = i;
	*out_len_r = o;
	return POP3_DATA_MORE;
end:
	d->state = S_BOL;
	*used_r = i;
	*out_len_r = o;
	return POP3_DATA_END;
}
