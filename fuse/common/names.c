/*
 * Folder names and message UIDs to path components and back.  See names.h
 * for the escaping rules; every server name that reaches the kernel goes
 * through names_encode().
 *
 * RFC 3501 5.1 (mailbox naming, hierarchy delimiter, INBOX).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "names.h"

/* The number of decimal digits at s, at most max. */
static size_t
digits(const char *s, size_t len, size_t max)
{
	size_t i;

	for (i = 0; i < len && i < max && s[i] >= '0' && s[i] <= '9'; i++)
		continue;
	return i;
}

/*
 * Whether a level looks like a message file: ten digits, then optionally
 * "-" and ten digits (names_msg()), then optionally "-" and a number (a
 * second name, alias.c), then ".eml".  The old "0000000042.eml" counts
 * too, so that a folder shown under an escaped name keeps it.
 */
static int
is_msg_name(const char *s, size_t len)
{
	size_t i = 0, n;

	if (len < 4 || memcmp(s + len - 4, ".eml", 4) != 0)
		return 0;
	len -= 4;
	if (digits(s, len, 10) != 10)
		return 0;
	i = 10;
	if (i < len && s[i] == '-' && digits(s + i + 1, len - i - 1, 10) == 10)
		i += 11;
	if (i < len && s[i] == '-' && (n = digits(s + i + 1, len - i - 1, 10)) > 0)
		i += 1 + n;
	return i == len;
}

static int
put(char *out, size_t *o, const char *s, size_t n)
{
	if (*o + n > NAMES_COMPONENT_MAX)
		return ENAMETOOLONG;
	memcpy(out + *o, s, n);
	*o += n;
	return 0;
}

int
names_encode(const char *level, size_t len, char out[NAMES_COMPONENT_MAX + 1])
{
	size_t i, o = 0;
	int r = 0;

	if (len == 0 || memchr(level, '\0', len) != NULL)
		return EINVAL;
	if (len == 1 && level[0] == '.')
		r = put(out, &o, "%2E", 3);
	else if (len == 2 && level[0] == '.' && level[1] == '.')
		r = put(out, &o, "%2E%2E", 6);
	else if (is_msg_name(level, len)) {
		/* Keep it apart from the message files beside it. */
		if ((r = put(out, &o, level, len - 4)) == 0)
			r = put(out, &o, "%2Eeml", 6);
	} else {
		for (i = 0; i < len && r == 0; i++) {
			if (level[i] == '%')
				r = put(out, &o, "%25", 3);
			else if (level[i] == '/')
				r = put(out, &o, "%2F", 3);
			else
				r = put(out, &o, level + i, 1);
		}
	}
	if (r != 0)
		return r;
	out[o] = '\0';
	return 0;
}

int
names_decode(const char *comp, char *out, size_t outsize)
{
	char check[NAMES_COMPONENT_MAX + 1];
	size_t i, o = 0, len = strlen(comp);
	char c;

	for (i = 0; i < len; i++) {
		c = comp[i];
		if (c == '%') {
			if (i + 2 >= len || comp[i + 1] != '2')
				goto invalid;
			switch (comp[i + 2]) {
			case '5':
				c = '%';
				break;
			case 'F':
				c = '/';
				break;
			case 'E':
				c = '.';
				break;
			default:
				goto invalid;
			}
			i += 2;
		}
		if (o + 1 >= outsize)
			return ENAMETOOLONG;
		out[o++] = c;
	}
	out[o] = '\0';
	/* Only the canonical spelling of a name is accepted: one name, one path. */
	if (names_encode(out, o, check) != 0 || strcmp(check, comp) != 0)
		goto invalid;
	return 0;
invalid:
	return EINVAL;
}

void
names_free(char **comps, size_t n)
{
	size_t i;

	if (comps == NULL)
		return;
	for (i = 0; i < n; i++)
		free(comps[i]);
	free(comps);
}

int
names_split(const char *mailbox, char delim, char ***comps_r, size_t *n_r)
{
	char buf[NAMES_COMPONENT_MAX + 1], **comps = NULL, **tmp;
	const char *p = mailbox, *end;
	size_t n = 0, len;
	int r;

	for (;;) {
		end = delim != '\0' ? strchr(p, delim) : NULL;
		len = end != NULL ? (size_t)(end - p) : strlen(p);
		if (n == 0 && len == 5 && strncasecmp(p, "INBOX", 5) == 0)
			memcpy(buf, "INBOX", 6);
		else if ((r = names_encode(p, len, buf)) != 0)
			goto fail;
		r = ENOMEM;
		tmp = realloc(comps, (n + 1) * sizeof(*comps));
		if (tmp == NULL)
			goto fail;
		comps = tmp;
		if ((comps[n] = strdup(buf)) == NULL)
			goto fail;
		n++;
		if (end == NULL)
			break;
		p = end + 1;
	}
	*comps_r = comps;
	*n_r = n;
	return 0;
fail:
	names_free(comps, n);
	return r;
}

void
names_msg(uint32_t uidvalidity, uint32_t uid, char *out)
{
	snprintf(out, NAMES_MSG_LEN + 1, "%010u-%010u.eml", (unsigned)uidvalidity,
	    (unsigned)uid);
}

/* The ten digits at s as a nonzero 32-bit number, or 0. */
static uint32_t
number10(const char *s)
{
	uint64_t v = 0;
	size_t i;

	if (digits(s, 10, 10) != 10)
		return 0;
	for (i = 0; i < 10; i++)
		v = v * 10 + (uint64_t)(s[i] - '0');
	return v > UINT32_MAX ? 0 : (uint32_t)v;
}

int
names_msg_uid(const char *name, uint32_t *uidvalidity_r, uint32_t *uid_r)
{
	uint32_t v, u;

	if (strlen(name) != NAMES_MSG_LEN || name[10] != '-' ||
	    memcmp(name + 21, ".eml", 4) != 0 ||
	    (v = number10(name)) == 0 || (u = number10(name + 11)) == 0)
		return EINVAL;
	*uidvalidity_r = v;
	*uid_r = u;
	return 0;
}

int
name_hidden(const char *name)
{
	return name[0] == '.';
}
