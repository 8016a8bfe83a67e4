#!/bin/bash
# A walk through several folders (rsync -a of the mount): the folders
# after the one being read are listed ahead, and the read-ahead goes on
# from the end of one folder into the next, so that the first message of
# a folder is not fetched on its own when the reader gets there.  Every
# file reads as the server's bytes, each folder is listed once and each
# body fetched once.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/harness/lib.sh"
. "$top_srcdir/tests/fuse/mount.sh"
need_fuse
start_dovecot
T=$MAILFS_TEST_TMP
M=$T/mnt
N=25
FOLDERS="Alpha Beta Beta.Inner Gamma"

python3 - "$T/msgs" "$N" <<'PY' || bail_out "cannot write the messages"
import os, sys
out, n = sys.argv[1], int(sys.argv[2])
os.makedirs(out)
for i in range(n):
    line = ('walk %04d ' % i) * 6 + '\r\n'
    body = line * (40 + 13 * i)
    with open('%s/%04d.eml' % (out, i), 'w', newline='') as f:
        f.write('From: a@example.org\r\nSubject: walk %d\r\n'
                'Message-ID: <walk%d@example.org>\r\n\r\n%s' % (i, i, body))
PY
for d in $FOLDERS; do
	imaptool create "$d" >/dev/null || bail_out "cannot create $d"
	for f in "$T"/msgs/*.eml; do
		imaptool append "$d" "$f" >/dev/null || bail_out "append failed"
	done
done
dump_server "$T/server" || bail_out "cannot read the server"

dlog=$DOVECOT_DIR/dovecot.log
before=$(wc -l <"$dlog")
mount_traced "$M" "$T/log" || bail_out "mount failed"
run_timeout 120 rsync -a "$M/" "$T/copy/"
ok $? "rsync -a of the mount succeeds"
diff -r "$T/server" "$T/copy" >/dev/null
ok $? "the copy holds the server's bytes" || diag "$(diff -rq "$T/server" "$T/copy" | head -5)"

# The protocol trace: bodies fetched one UID at a time are what the
# reader had to wait for alone.  Every folder's first message is UID 1:
# without the walk ahead each folder's is fetched alone (four times);
# with it, the first folder's only, and a second under heavy load.  (A
# busy machine may also let the reader overtake the first folder's
# read-ahead for a few more messages: those are not counted.)
alone=$(grep -cE ' C: [^ ]+ UID FETCH 1 \(UID RFC822\.SIZE INTERNALDATE BODY' "$T/log")
[ "$alone" -le 2 ]
ok $? "the next folders' first messages came with the read-ahead ($alone fetched alone)" ||
    diag "$(grep -E ' C: [^ ]+ (SELECT|UID FETCH)' "$T/log" | head -30)"
nfolders=$(imaptool list | wc -l)
is "$(grep -cE ' C: [^ ]+ UID FETCH 1:\* \(UID FLAGS' "$T/log")" "$nfolders" \
    "each of the $nfolders folders is listed once"
unmount_traced "$M"
ok $? "unmounts"
sleep 0.5
bodies=$(tail -n +"$((before + 1))" "$dlog" | grep -oE 'body_count=[0-9]+' |
    awk -F= '{ n += $2 } END { print n + 0 }')
is "$bodies" "$((4 * N))" "the server sent every message's body exactly once"
done_testing
