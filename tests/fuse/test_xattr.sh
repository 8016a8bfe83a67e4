#!/bin/bash
# Flags as the extended attribute user.imap.flags; the UID as user.imap.uid.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/harness/lib.sh"
. "$top_srcdir/tests/fuse/mount.sh"
need_fuse
command -v getfattr >/dev/null || skip_all "getfattr is missing (Debian package attr)"
start_dovecot
printf 'Subject: flags\r\n\r\nbody\r\n' >"$MAILFS_TEST_TMP/m.eml"
uid=$(imaptool append INBOX "$MAILFS_TEST_TMP/m.eml" --flags '\Seen $Label1')
M=$MAILFS_TEST_TMP/mnt
mount_mailfs "$M" || bail_out "mount failed"
F=$M/$(path_of INBOX "$uid")

getfattr --absolute-names -d "$F" >"$MAILFS_TEST_TMP/attrs" 2>&1
ok $? "getfattr --absolute-names -d"
like "$(cat "$MAILFS_TEST_TMP/attrs")" 'user\.imap\.flags="\\\\Seen \$Label1"' "getfattr --absolute-names shows the flags"
like "$(cat "$MAILFS_TEST_TMP/attrs")" "user\.imap\.uid=\"$uid\"" "getfattr --absolute-names shows the UID"
is "$(getfattr --absolute-names --only-values -n user.imap.uid "$F")" "$uid" "user.imap.uid is the UID"

setfattr -n user.imap.flags -v '\Flagged \Answered Work' "$F"
ok $? "setfattr user.imap.flags"
is "$(imaptool flags INBOX "$uid" | tr ' ' '\n' | LC_ALL=C sort | tr '\n' ' ')" 'Work \Answered \Flagged ' \
    "the server holds exactly the new flags"
is "$(getfattr --absolute-names --only-values -n user.imap.flags "$F")" '\Answered \Flagged Work' \
    "the mount shows them at once"

setfattr -x user.imap.flags "$F"
ok $? "setfattr -x user.imap.flags"
is "$(imaptool flags INBOX "$uid")" "" "removing the attribute clears the flags"

setfattr -n user.imap.flags -v '(bad' "$F" 2>/dev/null
isnt $? 0 "a malformed flag is refused"
setfattr -n user.imap.flags -v '\Recent' "$F" 2>"$MAILFS_TEST_TMP/err"
isnt $? 0 "\\Recent cannot be stored"
is "$(imaptool flags INBOX "$uid")" "" "a refused value changes nothing"

setfattr -n user.imap.uid -v "$uid" "$F"
ok $? "setting user.imap.uid to its value succeeds (rsync -X)"
setfattr -n user.imap.uid -v 12345 "$F" 2>/dev/null
isnt $? 0 "setting user.imap.uid to another value fails"
setfattr -n user.other -v x "$F" 2>/dev/null
isnt $? 0 "other attributes are not supported"
getfattr --absolute-names -n security.selinux "$F" >/dev/null 2>&1
isnt $? 0 "security.* has no value"
is "$(getfattr --absolute-names -d "$M/INBOX" 2>/dev/null)" "" "folders have no attributes"

# Flags changed by another client show within the refresh interval.
imaptool store INBOX "$uid" '\Seen \Draft'
sleep 2.5
is "$(getfattr --absolute-names --only-values -n user.imap.flags "$F")" '\Seen \Draft' \
    "a flag change by another client shows after the refresh interval"
done_testing
