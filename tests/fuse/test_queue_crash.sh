#!/bin/bash
# A kill -9 of the daemon with changes queued offline: the changes were on
# disk before each call returned, so a new mount, offline, shows them, and
# once the server answers makes each exactly once (checked on the server
# by Message-ID), a new file whose APPEND had landed before the kill too.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/harness/lib.sh"
. "$top_srcdir/tests/fuse/mount.sh"
. "$top_srcdir/tests/fuse/queue.sh"

for i in 1 2 3; do
	mail "$T/m$i" "c$i"
	u=$(imaptool append INBOX "$T/m$i") || bail_out "append failed"
	eval "n$i=\$(imaptool name INBOX $u)"
done
imaptool create Dst >/dev/null || bail_out "create failed"

queue_mount || bail_out "mount failed"
ls -R "$M" >/dev/null && cat "$M"/INBOX/* >/dev/null || bail_out "cannot read the mount"
queue_unmount
gate_close
queue_mount || bail_out "offline mount failed"
rm "$M/INBOX/$n1";                         ok $? "offline: rm"
mv "$M/INBOX/$n2" "$M/Dst/";               ok $? "offline: mv"
setfattr -n user.imap.flags -v '\Answered' "$M/INBOX/$n3"; ok $? "offline: flags"
mkdir "$M/Made";                           ok $? "offline: mkdir"
mail "$T/new" cnew
cp "$T/new" "$M/Made/new.eml";             ok $? "offline: a new file"
# One whose APPEND lands on the server and whose done mark the kill
# prevents: the same bytes and date put there directly, and its attempt
# mark into the journal after the kill (stage.c: maybe_there).
mail "$T/landed" clanded
cp "$T/landed" "$M/INBOX/landed.eml";      ok $? "offline: a new file, landed before the kill"
is "$(queued)" 6 "6 changes queued"
imaptool append INBOX "$T/landed" --date "$(stat -c %Y "$M/INBOX/landed.eml")" >/dev/null ||
    bail_out "append failed"

# The daemon killed: nothing of its unmount runs.
kill -9 "$mailfs_pid"
wait "$mailfs_pid" 2>/dev/null
fusermount3 -uz "$M"
# landed.eml's replay had begun: its attempt mark was on disk before its
# APPEND (journal.h), as a replay killed after the server's OK leaves it.
"$PYTHON" - "$T"/cache/mailfs/*/journal <<'PY' || bail_out "cannot mark the journal"
import struct, sys, time, zlib
path = sys.argv[1]
data = open(path, "rb").read()
off, seq = 0, None
while off + 32 <= len(data):
    magic, crc, s, n, typ, kind = struct.unpack_from("<IIQIBB", data, off)
    if typ == 1 and kind == 4 and b"landed.eml" in data[off + 32:off + 32 + n]:
        seq = s
    off += 32 + n
assert seq is not None, "no pending new file landed.eml in the journal"
rest = struct.pack("<QIBBBBq", seq, 0, 3, 0, 0, 0, int(time.time()))
rec = struct.pack("<II", 0x314a464d, zlib.crc32(rest)) + rest
open(path, "ab").write(rec)
PY
queue_mount || bail_out "offline mount after the kill failed"
is "$(state)" offline "mounted again, offline"
is "$(queued)" 6 "the 6 changes are still queued"
[ ! -e "$M/INBOX/$n1" ] && [ ! -e "$M/INBOX/$n2" ]
ok $? "the message removed and the one moved are not shown"
like "$(getfattr --only-values -n user.imap.flags "$M/INBOX/$n3" 2>/dev/null)" 'Answered' \
    "the flags set show"
[ -d "$M/Made" ]; ok $? "the folder made shows"
cmp -s "$M/Made/new.eml" "$T/new"; ok $? "the new file shows and reads"

gate_open
wait_for 40 sh -c "getfattr --only-values -n user.mailfs.status '$M' 2>/dev/null | grep -qx 'queued: 0'"
ok $? "replayed once the server answers"
diag "$(grep -o 'replayed [0-9]* changes.*' "$LOG")"
server_has INBOX '<c1@queue.test>' 0 "rm: made"
server_has INBOX '<c2@queue.test>' 0 "mv: gone from its folder"
server_has Dst '<c2@queue.test>' 1 "mv: once in the other"
like "$(server_flags INBOX '<c3@queue.test>')" 'Answered' "flags: made"
server_has Made '<cnew@queue.test>' 1 "the new file: once, in the folder made"
server_has INBOX '<clanded@queue.test>' 1 "the new file that had landed: found, not sent again"
queue_unmount
# The mount after: nothing replayed twice.
queue_mount || bail_out "mount failed"
is "$(queued)" 0 "nothing queued at the next mount"
server_has Made '<cnew@queue.test>' 1 "the new file is still there once"
server_has Dst '<c2@queue.test>' 1 "the moved message too"
queue_unmount
gate_stop
done_testing
