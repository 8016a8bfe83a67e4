#!/bin/bash
# Changes made offline are kept and replayed (issue 12): with the server
# out of reach every kind of change is accepted, shown at once and counted
# in user.mailfs.status; once the server is back they are made in order,
# each once, checked on the server by Message-ID.  The mount reaches the
# server through a gate (tests/harness/gate.py) that cuts it off while
# this test's own client still changes the server.  The conflict rules
# are in test_queue_conflict.sh, a kill -9 with changes queued in
# test_queue_crash.sh.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/harness/lib.sh"
. "$top_srcdir/tests/fuse/mount.sh"
. "$top_srcdir/tests/fuse/queue.sh"

for i in 1 2 3 4 5; do
	mail "$T/m$i" "q$i"
	u=$(imaptool append INBOX "$T/m$i") || bail_out "append failed"
	eval "u$i=$u"
done
for f in Cold Old Ren; do
	imaptool create "$f" >/dev/null || bail_out "create failed"
done
mail "$T/c1" qc1
imaptool append Cold "$T/c1" >/dev/null || bail_out "append failed"
mail "$T/r1" qr1
imaptool append Ren "$T/r1" >/dev/null || bail_out "append failed"
for i in 1 2 3 4 5; do
	eval "n$i=\$(imaptool name INBOX \$u$i)"
done

# 1. Online, through the gate: everything looked at once (listings and
# INBOX's bodies saved), then the gate closed and the mount made again.
queue_mount || bail_out "mount failed"
ls -R "$M" >/dev/null && cat "$M"/INBOX/* >/dev/null || bail_out "cannot read the mount"
queue_unmount
gate_close
queue_mount || bail_out "offline mount failed"
is "$(state)" offline "mounted offline"
is "$(queued)" 0 "nothing queued"

# 2. Every kind of change, accepted and shown at once.
ms rm "$M/INBOX/$n1"
ok $STATUS "rm is accepted offline ($MS ms) $ERR"
[ ! -e "$M/INBOX/$n1" ]; ok $? "and the message is gone from the folder"
ms mv "$M/INBOX/$n2" "$M/Cold/"
ok $STATUS "mv to another folder is accepted ($MS ms) $ERR"
[ ! -e "$M/INBOX/$n2" ]; ok $? "and the message is gone from its folder"
ms mv "$M/INBOX/$n3" "$M/INBOX/renamed.eml"
ok $STATUS "mv within a folder is accepted $ERR"
cmp -s "$M/INBOX/renamed.eml" "$T/m3"; ok $? "and reads under its new name"
ms setfattr -n user.imap.flags -v '\Flagged \Seen' "$M/INBOX/$n4"
ok $STATUS "setfattr user.imap.flags is accepted $ERR"
like "$(getfattr --only-values -n user.imap.flags "$M/INBOX/$n4" 2>/dev/null)" 'Flagged' \
    "and the flags show"
ms mkdir "$M/New"
ok $STATUS "mkdir is accepted $ERR"
[ -d "$M/New" ] && [ -z "$(ls "$M/New")" ]; ok $? "and shows an empty folder"
ms rmdir "$M/Old"
ok $STATUS "rmdir of an empty folder is accepted $ERR"
[ ! -e "$M/Old" ]; ok $? "and the folder is gone"
ms rmdir "$M/Cold"
like "$ERR" 'not empty' "rmdir of a folder with mail: ENOTEMPTY, offline too"
ms mv "$M/Ren" "$M/Renamed"
ok $STATUS "a folder's rename is accepted $ERR"
[ -d "$M/Renamed" ] && [ ! -e "$M/Ren" ]; ok $? "and the folder has its new name"
mail "$T/n1" qn1
ms cp "$T/n1" "$M/INBOX/new.eml"
ok $STATUS "cp of a new file is accepted ($MS ms) $ERR"
cmp -s "$M/INBOX/new.eml" "$T/n1"; ok $? "and the new file reads"
mail "$T/n2" qn2
ms cp "$T/n2" "$M/New/x.eml"
ok $STATUS "cp into the folder made offline is accepted $ERR"
mail "$T/n3" qn3
cp "$T/n3" "$M/INBOX/gone.eml" && rm "$M/INBOX/gone.eml"
ok $? "a new file made and removed offline"
[ ! -e "$M/INBOX/gone.eml" ]; ok $? "is gone, and its upload with it"
# An editor's save: a hidden temporary file, renamed over the message.
mail "$T/m5b" q5b
cp "$T/m5b" "$M/INBOX/.$n5.swp" && mv "$M/INBOX/.$n5.swp" "$M/INBOX/$n5"
ok $? "an editor's save over a message is accepted"
cmp -s "$M/INBOX/$n5" "$T/m5b"; ok $? "and the message reads as saved"
is "$(queued)" 9 "queued: counts the 9 changes (a rename within a folder is none)"
ls -R "$M" >"$T/ls.offline"

# 3. A new mount, still offline, shows the changes queued.
queue_unmount
queue_mount || bail_out "offline mount failed"
is "$(ls -R "$M")" "$(cat "$T/ls.offline")" "a new offline mount shows what was queued"
is "$(queued)" 9 "and counts it"
cmp -s "$M/INBOX/new.eml" "$T/n1"; ok $? "the queued new file reads in the new mount"

# 4. The server back: replayed in order, each once.
t0=$SECONDS
gate_open
wait_for 40 sh -c "getfattr --only-values -n user.mailfs.status '$M' 2>/dev/null | grep -qx 'queued: 0'"
ok $? "replayed once the server is back ($((SECONDS - t0)) s)"
like "$(grep -o 'replayed 9 changes (0 dropped) in [0-9.]* s' "$LOG")" 'replayed 9' \
    "the log sums the replay up"
diag "$(grep -o 'replayed [0-9]* changes.*' "$LOG")"
server_has INBOX '<q1@queue.test>' 0 "rm: gone from the server"
server_has INBOX '<q2@queue.test>' 0 "mv: gone from its folder"
server_has Cold '<q2@queue.test>' 1 "mv: once in the other folder"
server_has INBOX '<q3@queue.test>' 1 "mv within a folder: the message stays, once"
like "$(server_flags INBOX '<q4@queue.test>')" 'Flagged' "the flags are on the server"
server_has INBOX '<qn1@queue.test>' 1 "cp: the new file is on the server, once"
server_has New '<qn2@queue.test>' 1 "cp into a folder made offline: there, once"
server_has INBOX '<qn3@queue.test>' 0 "a new file removed before the replay is never uploaded"
server_has INBOX '<q5@queue.test>' 0 "a save: the old message is gone"
server_has INBOX '<q5b@queue.test>' 1 "and the saved one is there, once"
server_has Renamed '<qr1@queue.test>' 1 "the renamed folder holds its mail"
folders=$(imaptool list | cut -f1)
like "$folders" 'New' "mkdir: the folder is on the server"
ok $(echo "$folders" | grep -qx 'Old'; echo $((! $?))) "rmdir: the folder is gone from the server"
ok $(echo "$folders" | grep -qx 'Ren'; echo $((! $?))) "the rename: the old name is gone"
is "$(imaptool count INBOX)" 4 "INBOX holds 4 messages: nothing lost, nothing doubled"
wait_for 15 sh -c "cmp -s '$M/INBOX/new.eml' '$T/n1'"
ok $? "the new file reads as the message it became"
wait_for 15 sh -c "[ -d '$M/Renamed' ] && [ ! -e '$M/Old' ]"
ok $? "the mount shows the server's state"
queue_unmount
gate_stop
done_testing
