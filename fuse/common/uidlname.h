/*
 * A POP3 message's file name from its UIDL, and back: the one place
 * where a UIDL becomes part of a path, shared by the POP3 backend (which
 * names its messages so) and the FUSE handlers (user.pop3.uidl reads
 * the UIDL back from the name).
 *
 * The name is the UIDL escaped as a folder level is (names.h: "%" as
 * "%25", "/" as "%2F"), a leading "." as "%2E" (a name that ls would
 * hide), and ".eml" after it: "000000015f3c2a01.eml".  The mapping is
 * exact both ways, so names stay the same across mounts without a
 * table.  A UIDL whose escaped name would be over NAMES_COMPONENT_MAX
 * bytes is named "%%" and a hash of it instead ("%%" is never part of
 * an escaped UIDL): that name cannot be read back.
 *
 * No state; no lock.
 */
#ifndef MAILFS_FUSE_UIDLNAME_H
#define MAILFS_FUSE_UIDLNAME_H

#include <stddef.h>

#include "names.h"

/* The name of the message with this UIDL (NUL-terminated, not empty) into out. */
void uidl_name(const char *uidl, char out[NAMES_COMPONENT_MAX + 1]);

/*
 * The UIDL a name of uidl_name() stands for, into out (size bytes): 0,
 * or EINVAL when name is no such name (or a hashed one), ENAMETOOLONG
 * when out is too small.
 */
int uidl_of_name(const char *name, char *out, size_t size);

#endif
