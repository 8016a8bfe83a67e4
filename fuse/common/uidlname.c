/*
 * File names of POP3 messages (see uidlname.h).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "uidlname.h"

#define SUFFIX	".eml"

void
uidl_name(const char *uidl, char out[NAMES_COMPONENT_MAX + 1])
{
	char enc[NAMES_COMPONENT_MAX + 1];
	const char *rest = uidl, *lead = "";
	uint64_t h = 14695981039346656037ULL;	/* FNV-1a */
	const unsigned char *p;

	if (uidl[0] == '.') {
		lead = "%2E";
		rest = uidl + 1;
	}
	if ((rest[0] == '\0' || names_encode(rest, strlen(rest), enc) == 0) &&
	    strlen(lead) + (rest[0] == '\0' ? 0 : strlen(enc)) + strlen(SUFFIX) <=
	    NAMES_COMPONENT_MAX) {
		snprintf(out, NAMES_COMPONENT_MAX + 1, "%s%s" SUFFIX, lead,
		    rest[0] == '\0' ? "" : enc);
		return;
	}
	for (p = (const unsigned char *)uidl; *p != '\0'; p++) {
		h ^= *p;
		h *= 1099511628211ULL;
	}
	snprintf(out, NAMES_COMPONENT_MAX + 1, "%%%%%016llx" SUFFIX, (unsigned long long)h);
}

int
uidl_of_name(const char *name, char *out, size_t size)
{
	char comp[NAMES_COMPONENT_MAX + 1], again[NAMES_COMPONENT_MAX + 1];
	size_t len = strlen(name), off = 0;
	int r;

	if (len <= strlen(SUFFIX) || len > NAMES_COMPONENT_MAX ||
	    strcmp(name + len - strlen(SUFFIX), SUFFIX) != 0)
		return EINVAL;
	len -= strlen(SUFFIX);
	memcpy(comp, name, len);
	comp[len] = '\0';
	if (strncmp(comp, "%2E", 3) == 0) {
		if (size < 2)
			return ENAMETOOLONG;
		out[0] = '.';
		off = 1;
		if (comp[3] == '\0')
			out[1] = '\0';
		else if ((r = names_decode(comp + 3, out + 1, size - 1)) != 0)
			return r;
	} else if ((r = names_decode(comp, out, size)) != 0)
		return r;
	/* Only what uidl_name() makes: one name for one UIDL. */
	if (off == 0 && out[0] == '.')
		return EINVAL;
	uidl_name(out, again);
	return strcmp(again, name) == 0 ? 0 : EINVAL;
}
