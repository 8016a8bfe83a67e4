/*
 * Notes on messages (see notes.h): a journal of lines "UID TEXT\n" in
 * the store's named value "notes" of the folder generation.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "notes.h"

#define NOTES_VALUE	"notes"

int
notes_set(const char *mailbox, uint32_t uidvalidity, uint32_t uid, const char *text)
{
	char line[NOTE_MAX + 16], *p;
	int n;

	n = snprintf(line, sizeof(line), "%u %.*s", (unsigned)uid, NOTE_MAX, text);
	if (n < 0)
		return EINVAL;
	if ((size_t)n >= sizeof(line) - 1)
		n = (int)sizeof(line) - 2;
	/* One line each: a line end inside would make a second note. */
	for (p = line; p < line + n; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	line[n++] = '\n';
	return cache_meta_put(mailbox, uidvalidity, NOTES_VALUE, line, (size_t)n, 1);
}

int
notes_get(const char *mailbox, uint32_t uidvalidity, uint32_t uid, char *buf, size_t size,
    size_t *len_r)
{
	const char *p, *end, *nl, *text = NULL;
	char *endp;
	void *data;
	size_t len, tlen = 0;
	unsigned long u;
	int r;

	if ((r = cache_meta_get(mailbox, uidvalidity, NOTES_VALUE, &data, &len)) != 0)
		return r == ENOENT ? ENODATA : r;
	for (p = data, end = p + len; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			break;	/* a torn last line */
		u = strtoul(p, &endp, 10);
		if (endp < nl && *endp == ' ' && endp > p && u == uid) {
			text = endp + 1;
			tlen = (size_t)(nl - text);
		}
	}
	if (text == NULL) {
		free(data);
		return ENODATA;
	}
	*len_r = tlen < size ? tlen : size;
	memcpy(buf, text, *len_r);
	free(data);
	return 0;
}
