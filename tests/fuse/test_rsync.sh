#!/bin/bash
# rsync -aX from the mount to local disk gives every message byte for byte,
# with its flags; a second rsync fetches nothing new.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/harness/lib.sh"
. "$top_srcdir/tests/fuse/mount.sh"
need_fuse
command -v rsync >/dev/null || skip_all "rsync is missing"
start_dovecot
imaptool seed-demo >/dev/null || bail_out "seed-demo failed"
M=$MAILFS_TEST_TMP/mnt
L=$MAILFS_TEST_TMP/local
mount_mailfs "$M" || bail_out "mount failed"

run_timeout 60 rsync -aX "$M/" "$L/"
ok $? "rsync -aX mount/ local/"
dump_server "$MAILFS_TEST_TMP/server" || bail_out "cannot read the server"
diff -r "$MAILFS_TEST_TMP/server" "$L" >"$MAILFS_TEST_TMP/diff" 2>&1
ok $? "the copy holds every folder and message, byte for byte" ||
    diag "$(head -5 "$MAILFS_TEST_TMP/diff")"
bad=0
while IFS=$'\t' read -r rel flags; do
	got=$(getfattr --absolute-names --only-values -n user.imap.flags "$L/$rel" 2>/dev/null)
	[ "$(tr ' ' '\n' <<<"$got" | sort)" = "$(tr ' ' '\n' <<<"$flags" | sort)" ] ||
	    { diag "$rel: '$got' vs '$flags'"; bad=1; }
done <"$MAILFS_TEST_TMP/server.flags"
ok $bad "the copy carries every message's flags in user.imap.flags"
is "$(find "$L" -name '*.eml' -newermt '2100-01-01' | wc -l)" 0 "mtimes are INTERNALDATEs"

out=$(run_timeout 60 rsync -aXi "$M/" "$L/")
ok $? "rsync again"
is "$out" "" "a second rsync finds nothing to copy"
done_testing
