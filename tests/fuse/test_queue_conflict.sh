#!/bin/bash
# The conflict rules of changes made offline (mailfs(1), OFFLINE CHANGES):
# another device changes the server while the mount is cut off from it
# (tests/harness/gate.py); the replay then drops, merges or makes each
# change as the rules say, logs it, and no mail is lost or doubled.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/harness/lib.sh"
. "$top_srcdir/tests/fuse/mount.sh"
. "$top_srcdir/tests/fuse/queue.sh"

for i in 1 2 3 4; do
	mail "$T/k$i" "k$i"
	u=$(imaptool append INBOX "$T/k$i") || bail_out "append failed"
	eval "u$i=$u"
	eval "n$i=\$(imaptool name INBOX $u)"
done
for f in Dst Full RenA Gone Lost; do
	imaptool create "$f" >/dev/null || bail_out "create failed"
done

queue_mount || bail_out "mount failed"
ls -R "$M" >/dev/null || bail_out "cannot list the mount"
queue_unmount
gate_close
queue_mount || bail_out "offline mount failed"
is "$(state)" offline "mounted offline"

# Offline: one change for each rule ...
setfattr -n user.imap.flags -v '\Flagged' "$M/INBOX/$n1"; ok $? "offline: a flag change"
mv "$M/INBOX/$n2" "$M/Dst/";                   ok $? "offline: a move"
rm "$M/INBOX/$n3";                             ok $? "offline: an rm"
mkdir "$M/Mk";                                 ok $? "offline: mkdir"
rmdir "$M/Full";                               ok $? "offline: rmdir of an empty folder"
mv "$M/RenA" "$M/RenX";                        ok $? "offline: a rename"
mv "$M/Gone" "$M/GoneX";                       ok $? "offline: another rename"
mail "$T/new" knew
cp "$T/new" "$M/Lost/new.eml";                 ok $? "offline: a new file"
setfattr -n user.imap.flags -v '\Flagged' "$M/INBOX/$n4"; ok $? "offline: a flag change of a message another device reads"
is "$(queued)" 9 "9 changes queued"

# ... and what another device did meanwhile.
other_expunge INBOX "$u1" || bail_out "expunge failed"
other_move INBOX "$u2" Trash || bail_out "move failed"
other_expunge INBOX "$u3" || bail_out "expunge failed"
imaptool create Mk >/dev/null && mail "$T/mk" kmk && imaptool append Mk "$T/mk" >/dev/null ||
    bail_out "create failed"
mail "$T/full" kfull
imaptool append Full "$T/full" >/dev/null || bail_out "append failed"
imaptool create RenX >/dev/null || bail_out "create failed"
imaptool delete Gone >/dev/null || bail_out "delete failed"
imaptool delete Lost >/dev/null || bail_out "delete failed"
imaptool store INBOX "$u4" '\Seen $Other' || bail_out "store failed"

expect_log '^mailfs: warning: dropped the flags .*: the message was expunged meanwhile'
expect_log '^mailfs: warning: dropped mv of message .*: another device moved or deleted the message'
expect_log '^mailfs: warning: dropped rmdir "Full": the folder is no longer empty on the server'
expect_log '^mailfs: warning: dropped mv of the folder "RenA" to "RenX": its new name exists now'
expect_log '^mailfs: warning: dropped mv of the folder "Gone" to "GoneX": the folder is gone'
# What the backend says of the refusals, with the server's words.
expect_log '^mailfs: warning: cannot (create|rename|reach|append to) "(Mk|RenA|Gone|Lost)"'
gate_open
wait_for 40 sh -c "getfattr --only-values -n user.mailfs.status '$M' 2>/dev/null | grep -qx 'queued: 0'"
ok $? "replayed once the server is back"
diag "$(grep -o 'replayed [0-9]* changes.*' "$LOG")"
like "$(grep -c 'replayed 9 changes (5 dropped)' "$LOG")" '^1$' "5 of the 9 changes dropped"

grep -q 'dropped the flags (+\\Flagged) of message' "$LOG"
ok $? "a flag change for a message expunged meanwhile is dropped"
server_has Trash '<k2@queue.test>' 1 "a move of a message another device moved is dropped: it stays where that put it"
server_has Dst '<k2@queue.test>' 0 "and is not in the move's destination"
grep -q "replayed rm of message $u3 of \"INBOX\"" "$LOG"
ok $? "an rm of a message gone meanwhile is done (there is nothing to remove)"
server_has Mk '<kmk@queue.test>' 1 "a mkdir of a folder made meanwhile merges: its mail stays"
grep -q 'replayed mkdir "Mk": the folder exists now: merged with it' "$LOG"
ok $? "and says so"
server_has Full '<kfull@queue.test>' 1 "an rmdir of a folder no longer empty is dropped: its mail stays"
folders=$(imaptool list | cut -f1)
echo "$folders" | grep -qx RenA; ok $? "a rename onto a name made meanwhile is dropped"
echo "$folders" | grep -qx GoneX; ok $((! $?)) "a rename of a folder deleted meanwhile is dropped"
server_has Lost '<knew@queue.test>' 1 "a new file into a folder deleted meanwhile: the folder is made again, the file uploaded"
is "$(imaptool count INBOX)" 1 "INBOX holds what no rule touched"
is "$(server_flags INBOX '<k4@queue.test>' | tr ' ' '\n' | LC_ALL=C sort | paste -sd ' ')" '$Other \Flagged \Seen' \
    "a flag change replays as what it changed: the other device's flags stay"
queue_unmount
gate_stop
done_testing
