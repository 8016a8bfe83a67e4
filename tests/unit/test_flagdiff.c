/*
 * Flag changes as differences (fuse/model/flagdiff.c): what an offline
 * setfattr queues, how it shows over a listing, and how it replays.
 */
#include <errno.h>
#include <string.h>

#include "../tap.h"
#include "flagdiff.h"

static void
diff_is(const char *old, const char *new, const char *want)
{
	char out[256];
	int r = flags_diff(old, new, out, sizeof(out));

	ok(r == 0 && strcmp(out, want) == 0, "\"%s\" to \"%s\" is \"%s\" (got %d \"%s\")",
	    old, new, want, r, out);
}

static void
apply_is(const char *cur, const char *diff, const char *want)
{
	char out[256];
	int r = flags_apply(cur, diff, out, sizeof(out));

	ok(r == 0 && strcmp(out, want) == 0, "\"%s\" with \"%s\" is \"%s\" (got %d \"%s\")",
	    cur, diff, want, r, out);
}

int
main(void)
{
	char add[64], remove[64], small[8];

	diff_is("", "\\Flagged", "+\\Flagged");
	diff_is("\\Seen", "\\Flagged", "+\\Flagged -\\Seen");
	diff_is("\\Seen $Work", "\\SEEN  $work", "");
	diff_is("\\Recent \\Seen", "\\Seen", "");
	diff_is("\\Seen", "\\Seen \\Recent", "");
	diff_is(" a  b ", "b c", "+c -a");

	/* Another device read the message meanwhile: \Seen stays. */
	apply_is("\\Seen", "+\\Flagged", "\\Seen \\Flagged");
	apply_is("\\Seen \\Flagged", "-\\flagged", "\\Seen");
	apply_is("\\Flagged", "+\\Flagged", "\\Flagged");
	apply_is("", "-\\Seen +$Work", "$Work");
	apply_is("a b", "", "a b");

	ok(flags_split("+a -b +c junk - +", add, remove, sizeof(add)) == 0 &&
	    strcmp(add, "a c") == 0 && strcmp(remove, "b") == 0,
	    "split: \"%s\" added, \"%s\" removed, words without a sign ignored", add, remove);
	ok(flags_diff("", "\\Flagged \\Answered", small, sizeof(small)) == ENAMETOOLONG &&
	    small[0] == '\0', "a difference too long for its buffer is an error, and empty");
	return done_testing();
}
