#!/bin/bash
# A server that keeps every folder under its personal namespace "INBOX."
# (Cyrus, Courier; here Dovecot with that prefix) refuses a folder outside
# it with a plain NO, no response code.  mkdir and mv there fail with
# "Permission denied" (not "Input/output error"), nothing changes on the
# server, and the log says where folders go (NAMESPACE, RFC 2342).
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/harness/lib.sh"
. "$top_srcdir/tests/fuse/mount.sh"
need_fuse
start_dovecot --prefix=INBOX.
T=$MAILFS_TEST_TMP
M=$T/mnt
log=$T/mailfs.err
# What the refusals this test provokes log.
expect_log '^mailfs: warning: cannot (create|rename) .*nonexistent namespace'
expect_log '^mailfs: warning: the server refused to (create|rename a folder to) .*personal namespace'
MOUNT_FLAG=-f mount_traced "$M" "$log" || bail_out "mount failed: $(cat "$log")"

folders()
{
	imaptool list | LC_ALL=C sort | tr '\n' ' '
}
before=$(folders)

mkdir "$M/Oben" 2>"$T/err"
isnt $? 0 "mkdir outside the namespace fails"
like "$(cat "$T/err")" "Permission denied" "with EACCES" || diag "$(cat "$T/err")"
[ ! -e "$M/Oben" ]
ok $? "no directory appears"
is "$(folders)" "$before" "the server holds the same folders"
like "$(grep 'refused to create' "$log")" \
    'refused to create "Oben": Permission denied; folders go under INBOX\.' \
    "the log says where folders go" || diag "$(cat "$log")"

mkdir "$M/INBOX/Unten"
ok $? "mkdir inside the namespace works"
like "$(folders)" "INBOX\.Unten " "the server made INBOX.Unten"

mv "$M/INBOX/Unten" "$M/Oben" 2>"$T/err"
isnt $? 0 "mv of a folder out of the namespace fails"
like "$(cat "$T/err")" "Permission denied" "with EACCES" || diag "$(cat "$T/err")"
[ -d "$M/INBOX/Unten" ] && [ ! -e "$M/Oben" ]
ok $? "the folder stays where it was"
like "$(grep 'refused to rename' "$log")" 'folders go under INBOX\.' \
    "the log says where folders go"
rmdir "$M/INBOX/Unten"
ok $? "rmdir inside the namespace works"
is "$(folders)" "$before" "the server holds the folders it held at first"

unmount_traced "$M"
ok $? "unmounts; the daemon ends"
wait "$mailfs_pid"
is $? 0 "with status 0"
grep -E 'AddressSanitizer|LeakSanitizer|runtime error' "$log" >"$T/bad"
isnt $? 0 "no sanitizer report" || diag "$(head -40 "$T/bad")"
done_testing
