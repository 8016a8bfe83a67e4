#!/bin/bash
# -o names=readable: a second copy of a message (same Message-ID, Date:,
# From:, Subject:) that arrives while the first is listed takes the "-2"
# name; the first keeps its name (also when a flag change lists it
# alone), so rm of that name removes the first, not the copy.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/harness/lib.sh"
. "$top_srcdir/tests/fuse/mount.sh"
need_fuse
start_dovecot
T=$MAILFS_TEST_TMP
M=$T/mnt
msg()	# msg N: a copy of the one message, its body telling which
{
	printf 'Date: Sat, 15 Jun 2024 12:00:00 +0000\r\nFrom: Same <s@example.org>\r\n'
	printf 'Subject: same\r\nMessage-ID: <7@x>\r\n\r\ncopy %s\r\n' "$1"
}
msg 1 >"$T/1.eml"
msg 2 >"$T/2.eml"
imaptool append INBOX "$T/1.eml" >/dev/null || bail_out "append failed"
mount_mailfs "$M" -o names=readable || bail_out "mount failed"
first=$(ls "$M/INBOX")
like "$first" '~[0-9a-f]{6}\.eml$' "the message has its readable name"
imaptool append INBOX "$T/2.eml" >/dev/null || bail_out "append failed"
wait_for 15 sh -c "[ \$(ls '$M/INBOX' | wc -l) = 2 ]"
is "$(ls "$M/INBOX" | wc -l)" 2 "the copy shows after the refresh"
cmp -s "$M/INBOX/$first" "$T/1.eml"
ok $? "the first keeps its name" || diag "$(ls "$M/INBOX")"
cmp -s "$M/INBOX/${first%.eml}-2.eml" "$T/2.eml"
ok $? "the copy is named -2"
# Another client flags the copy: the next delta names it alone.
imaptool store INBOX 2 '\Flagged' || bail_out "store failed"
wait_for 15 sh -c "ls -l '$M/INBOX' >/dev/null; getfattr --only-values -n user.imap.flags \
    '$M/INBOX/${first%.eml}-2.eml' 2>/dev/null | grep -q Flagged"
cmp -s "$M/INBOX/$first" "$T/1.eml" && cmp -s "$M/INBOX/${first%.eml}-2.eml" "$T/2.eml"
ok $? "a flag change keeps both names" || diag "$(ls "$M/INBOX")"
rm "$M/INBOX/$first"
ok $? "rm of the first's name"
is "$(imaptool count INBOX)" 1 "one message is left on the server"
imaptool fetch INBOX 2 >"$T/left" 2>/dev/null
cmp -s "$T/left" "$T/2.eml"
ok $? "the one left is the copy: rm removed the message it named"
fusermount3 -u "$M"
wait_for 30 sh -c "! kill -0 $mailfs_pid 2>/dev/null"
done_testing
