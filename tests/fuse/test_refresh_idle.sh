#!/bin/bash
# An idle refresh costs one round trip: once the mount caught up with its
# own rm and mv, a refresh that finds nothing changed sends the LIST (and
# at most an UNSELECT pipelined with it, so that no session's view of its
# selected mailbox hides the folder's status) and nothing else; a change
# by another client is still found.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/harness/lib.sh"
. "$top_srcdir/tests/fuse/mount.sh"
need_fuse
command -v getfattr >/dev/null || skip_all "getfattr is missing (Debian package attr)"
start_dovecot
T=$MAILFS_TEST_TMP
M=$T/mnt
for i in 1 2 3 4; do
	printf 'Subject: %s\r\nMessage-ID: <idle%s@test>\r\n\r\nbody %s\r\n' \
	    "$i" "$i" "$i" >"$T/$i.eml"
	imaptool append INBOX "$T/$i.eml" >/dev/null || bail_out "append failed"
done
imaptool create Box >/dev/null || bail_out "create failed"
set -- $(imaptool uids INBOX)
u1=$1 u2=$2 u3=$3
# Without push: the refreshes come every second, and only they ask.
mount_traced "$M" "$T/log" -o refresh=1,nopush || bail_out "mount failed"

# lists: how many LISTs the daemon sent so far
lists()
{
	grep -cE 'C: [^ ]+ LIST ' "$T/log"
}

ls "$M/INBOX" "$M/Box" >/dev/null
cat "$M/$(path_of INBOX "$u3")" >/dev/null
rm "$M/$(path_of INBOX "$u1")"
ok $? "rm of a message"
mv "$M/$(path_of INBOX "$u2")" "$M/Box/"
ok $? "mv of a message to another folder"
# Two refreshes: the first may bring the folders up to date with a delta.
n=$(lists)
wait_for 10 sh -c "[ \$(grep -cE 'C: [^ ]+ LIST ' '$T/log') -ge $((n + 2)) ]"
ok $? "the mount refreshes"
from=$(wc -l <"$T/log")
n=$(lists)
wait_for 10 sh -c "[ \$(grep -cE 'C: [^ ]+ LIST ' '$T/log') -ge $((n + 3)) ]"
ok $? "three more refreshes"
tail -n +"$((from + 1))" "$T/log" | grep -E 'C: [^ ]+ ' | grep -vE 'C: [^ ]+ (LIST|UNSELECT)( |$)' >"$T/other"
is "$(wc -l <"$T/other")" 0 "a refresh with nothing changed sends only the LIST" ||
    diag "$(head -5 "$T/other")"
[ "$(tail -n +"$((from + 1))" "$T/log" | grep -cE 'C: [^ ]+ UNSELECT')" -le 1 ]
ok $? "and an UNSELECT at most once"

# Another client's flag change and expunge still show.
imaptool store INBOX "$u3" '\Flagged' >/dev/null || bail_out "store failed"
wait_for 10 sh -c "getfattr --absolute-names --only-values -n user.imap.flags \
    '$M/$(path_of INBOX "$u3")' | grep -q Flagged"
ok $? "another client's flag change shows"
imap_py "
imaptool.select(m, 'INBOX', False)
m.uid('STORE', '$u3', '+FLAGS.SILENT', '(\\\\Deleted)')
m.expunge()"
wait_for 10 test ! -e "$M/$(path_of INBOX "$u3")"
ok $? "another client's expunge shows"
unmount_traced "$M"
done_testing
