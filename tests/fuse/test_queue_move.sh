#!/bin/bash
# A message moved to another folder offline shows in the destination at
# once (issue 12: "shown in the mount at once"), as a read-only copy of
# the body the store holds (fuse/model/pending.h), until the replay has
# moved it on the server; one whose body the store lacks shows there with
# its size, reads failing with EHOSTDOWN.  After the replay each keeps the
# name it was given, although nothing looked into the destination before.
# Checked on the server by Message-ID: each moved once, nothing uploaded,
# a kill -9 in between included.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/harness/lib.sh"
. "$top_srcdir/tests/fuse/mount.sh"
. "$top_srcdir/tests/fuse/queue.sh"

for i in 1 2 3 4; do
	mail "$T/m$i" "pm$i"
	u=$(imaptool append INBOX "$T/m$i") || bail_out "append failed"
	eval "u$i=$u"
	eval "n$i=\$(imaptool name INBOX $u)"
done
# (the test Dovecot gives the folder Trash the special use \Trash)
for f in Dst Far Trash; do
	imaptool create "$f" >/dev/null || bail_out "create failed"
done
mail "$T/f1" pf1
u=$(imaptool append Far "$T/f1") || bail_out "append failed"
nf=$(imaptool name Far "$u")

# Online: every listing saved, and INBOX's bodies (not Far's) in the store.
queue_mount || bail_out "mount failed"
ls -R "$M" >/dev/null && cat "$M"/INBOX/* >/dev/null || bail_out "cannot read the mount"
queue_unmount
gate_close
queue_mount || bail_out "offline mount failed"
is "$(state)" offline "mounted offline"

# 1. Moved, and shown in the destination at once.
ms mv "$M/INBOX/$n1" "$M/Dst/"
ok $STATUS "mv to another folder is accepted offline ($MS ms) $ERR"
[ ! -e "$M/INBOX/$n1" ]; ok $? "the message is gone from its folder"
cmp -s "$M/Dst/$n1" "$T/m1"; ok $? "and reads in the destination at once, as it was"
ms mv "$M/INBOX/$n2" "$M/Dst/moved.eml"
ok $STATUS "mv under a new name is accepted $ERR"
cmp -s "$M/Dst/moved.eml" "$T/m2"; ok $? "and reads under that name"
is "$(ls "$M/Dst" | sort | tr '\n' ' ')" "$(printf '%s\n' "$n1" moved.eml | sort | tr '\n' ' ')" \
    "the destination lists both, once each"
is "$(stat -c %s "$M/Dst/$n1")" "$(stat -c %s "$T/m1")" "its size is the message's"

# 2. Read-only until the move is made: EBUSY, nothing changed.
ms rm "$M/Dst/$n1"
like "$STATUS $ERR" '^1 .*busy' "rm of it: EBUSY"
ms mv "$M/Dst/$n1" "$M/Dst/other.eml"
like "$STATUS $ERR" '^1 .*busy' "mv of it within the folder: EBUSY"
ms mv "$M/Dst/$n1" "$M/INBOX/"
like "$STATUS $ERR" '^1 .*busy' "mv of it to another folder: EBUSY"
ms mv "$M/INBOX/$n3" "$M/Dst/$n1"
like "$STATUS $ERR" '^1 .*busy' "mv of another message over it: EBUSY"
[ -e "$M/INBOX/$n3" ]; ok $? "and that message stays where it was"
ms setfattr -n user.imap.flags -v '\Flagged' "$M/Dst/$n1"
like "$STATUS $ERR" '^1 .*busy' "setfattr of its flags: EBUSY"
ms sh -c "echo more >>'$M/Dst/$n1'"
like "$STATUS $ERR" '^1 .*busy' "a write: EBUSY"
ms truncate -s 0 "$M/Dst/$n1"
like "$STATUS $ERR" '^1 .*busy' "a truncate: EBUSY"
cmp -s "$M/Dst/$n1" "$T/m1"; ok $? "it still reads as the message"
[ ! -e "$M/Dst/other.eml" ]; ok $? "and has no other name"
is "$(queued)" 2 "only the 2 moves are queued"

# 3. A body the store lacks: shown, with its size, and reads fail as offline.
ms mv "$M/Far/$nf" "$M/Dst/"
ok $STATUS "mv of a message never read is accepted $ERR"
[ ! -e "$M/Far/$nf" ] && [ -e "$M/Dst/$nf" ]
ok $? "it is gone from its folder and shows in the destination at once"
is "$(stat -c %s "$M/Dst/$nf")" "$(stat -c %s "$T/f1")" "with the message's size"
ms cat "$M/Dst/$nf"
like "$STATUS $ERR" '^1 .*Host is down' "reading it fails with EHOSTDOWN, as an uncached body offline"
is "$(queued)" 3 "3 moves queued"

# 4. A move the replay will drop: another device moves the message first.
mv "$M/INBOX/$n4" "$M/Dst/dropped.eml"
ok $? "a move another device will overtake is accepted"
cmp -s "$M/Dst/dropped.eml" "$T/m4"; ok $? "and shows in the destination"
other_move INBOX "$u4" Far || bail_out "move failed"
expect_log '^mailfs: warning: dropped mv of message .*: another device moved or deleted the message'

# 5. kill -9: the next mount, offline, shows the moves again.
kill -9 "$mailfs_pid"
wait "$mailfs_pid" 2>/dev/null
fusermount3 -uz "$M"
queue_mount || bail_out "offline mount after the kill failed"
is "$(state)" offline "mounted again, offline"
is "$(queued)" 4 "the 4 moves are still queued"
cmp -s "$M/Dst/$n1" "$T/m1" && cmp -s "$M/Dst/moved.eml" "$T/m2" &&
    cmp -s "$M/Dst/dropped.eml" "$T/m4"
ok $? "the moved messages show in the destination again"
[ -e "$M/Dst/$nf" ]; ok $? "the one never read too"
ms rm "$M/Dst/moved.eml"
like "$STATUS $ERR" '^1 .*busy' "and they are still read-only"
is "$(find "$T/cache" -path '*/staging/pending*' | wc -l)" 0 \
    "the copies leave no file in staging/"

# 6. The server back: each moved once, nothing uploaded, the copies gone.
gate_open
wait_for 40 sh -c "getfattr --only-values -n user.mailfs.status '$M' 2>/dev/null | grep -qx 'queued: 0'"
ok $? "replayed once the server is back"
diag "$(grep -o 'replayed [0-9]* changes.*' "$LOG")"
server_has INBOX '<pm1@queue.test>' 0 "mv: gone from its folder on the server"
server_has Dst '<pm1@queue.test>' 1 "mv: once in the destination"
server_has Dst '<pm2@queue.test>' 1 "mv under a new name: once in the destination"
server_has INBOX '<pm3@queue.test>' 1 "the message refused over a placeholder stays"
server_has Far '<pf1@queue.test>' 0 "the move never read: gone from its folder"
server_has Dst '<pf1@queue.test>' 1 "and once in the destination"
server_has Far '<pm4@queue.test>' 1 "the move overtaken: the message stays where the other device put it"
server_has Dst '<pm4@queue.test>' 0 "and is not in the destination"
is "$(imaptool count Dst)" 3 "Dst holds 3 messages: nothing uploaded"
wait_for 15 sh -c "[ -e '$M/Dst/$nf' ]"
ok $? "the move never read shows in the destination after the replay"
is "$(ls "$M/Dst" | sort | uniq -d)" "" "no name shows twice"
is "$(ls "$M/Dst" | wc -l)" 3 "the destination lists the 3 messages"
[ ! -e "$M/Dst/dropped.eml" ]; ok $? "the dropped move's copy is gone"
cmp -s "$M/Dst/$n1" "$T/m1" && cmp -s "$M/Dst/moved.eml" "$T/m2" && cmp -s "$M/Dst/$nf" "$T/f1"
ok $? "each reads as the message, under its name"
like "$(getfattr --only-values -n user.imap.uid "$M/Dst/$n1" 2>/dev/null)" '^[0-9]+$' \
    "the name is the message's now (it has a UID)"
queue_unmount
queue_mount || bail_out "mount failed"
is "$(queued)" 0 "nothing queued at the next mount"
is "$(imaptool count Dst)" 3 "nothing moved or uploaded twice"
is "$(ls "$M/Dst" | wc -l)" 3 "and the destination shows the 3"
queue_unmount

# 7. rm with -o delete=trash is a move into the Trash: shown there at once too.
gate_close
queue_mount -o delete=trash || bail_out "offline mount failed"
ms rm "$M/INBOX/$n3"
ok $STATUS "rm with delete=trash is accepted offline $ERR"
cmp -s "$M/Trash/$n3" "$T/m3"; ok $? "and the message shows in the Trash at once"
gate_open
wait_for 40 sh -c "getfattr --only-values -n user.mailfs.status '$M' 2>/dev/null | grep -qx 'queued: 0'"
ok $? "replayed once the server is back"
server_has INBOX '<pm3@queue.test>' 0 "delete=trash: gone from its folder on the server"
server_has Trash '<pm3@queue.test>' 1 "and once in the Trash"
wait_for 15 sh -c "[ \"\$(ls '$M/Trash')\" = '$n3' ] && getfattr -n user.imap.uid '$M/Trash/$n3' >/dev/null 2>&1"
ok $? "the Trash shows the message once, under its name"
queue_unmount
gate_stop
done_testing
