#!/bin/bash
# Read-ahead: reading a folder's files in order (as rsync, grep -r and tar
# do) fetches the following messages by range on a connection of its own;
# every file still reads as the server's bytes, and no message body is
# fetched twice.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/harness/lib.sh"
. "$top_srcdir/tests/fuse/mount.sh"
need_fuse
start_dovecot
M=$MAILFS_TEST_TMP/mnt
LOG=$MAILFS_TEST_TMP/mailfs.log
N=80

# Sizes like mail: mostly a few KiB, every 16th one about 200 KiB.
python3 - "$MAILFS_TEST_TMP/msgs" "$N" <<'PY' || bail_out "cannot write the messages"
import os, sys
out, n = sys.argv[1], int(sys.argv[2])
os.makedirs(out)
for i in range(n):
    size = 200000 if i % 16 == 5 else 1000 + 37 * i
    line = ('prefetch %04d ' % i) * 4 + '\r\n'
    body = (line * (size // len(line) + 1))[:size]
    with open('%s/%04d.eml' % (out, i), 'w', newline='') as f:
        f.write('From: a@example.org\r\nSubject: message %d\r\n'
                'Message-ID: <pf%d@example.org>\r\n\r\n%s\r\n' % (i, i, body))
PY
imaptool create Walk >/dev/null || bail_out "cannot create the folder"
for f in "$MAILFS_TEST_TMP"/msgs/*.eml; do
	imaptool append Walk "$f" >/dev/null || bail_out "append failed"
done
# A message gone from the middle: the ranges must not stumble on the gap.
gone=$(imaptool uids Walk | sed -n 10p)
imap_py "
imaptool.select(m, 'Walk', False)
m.uid('STORE', '$gone', '+FLAGS.SILENT', r'(\Deleted)')
m.expunge()
" >/dev/null || bail_out "cannot expunge"
dump_server "$MAILFS_TEST_TMP/server" || bail_out "cannot read the server"

# Dovecot logs each session's body_count when it ends: count the mount's.
dlog=$DOVECOT_DIR/dovecot.log
before=$(wc -l <"$dlog")
mkdir -p "$M"
register_mount "$M"
XDG_CACHE_HOME=$MAILFS_TEST_TMP/cache "$MAILFS" -d \
    -o "password_file=$TEST_PASSWORD_FILE,tls_ca_file=$TEST_CA,refresh=60,timeout=10" \
    "imaps://$TEST_USER@$IMAP_HOST:$IMAPS_PORT" "$M" 2>"$LOG" &
pid=$!
at_exit "kill $pid"
daemon_log "$LOG" "$pid"
wait_for 30 mountpoint -q "$M"
ok $? "mailfs mounts"

# One file after the other, in name order, as rsync reads them.
bad=0
for f in $(cd "$MAILFS_TEST_TMP/server/Walk" && ls); do
	run_timeout 30 cmp -s "$M/Walk/$f" "$MAILFS_TEST_TMP/server/Walk/$f" ||
	    { diag "differs: Walk/$f"; bad=1; }
done
ok $bad "every file read in order equals the server's bytes"
is "$(ls "$M/Walk" | wc -l)" "$((N - 1))" "the folder shows every message but the expunged one"

# The protocol trace: UID FETCH with a range (a:b) of BODY.PEEK[].
ranges=$(grep -cE 'UID FETCH [0-9]+:[0-9]+[0-9:,]* \(UID RFC822\.SIZE INTERNALDATE BODY\.PEEK\[\]\)' "$LOG")
[ "$ranges" -ge 1 ]
ok $? "the daemon fetched bodies by range ($ranges range fetches)" ||
    diag "$(grep -m5 'BODY.PEEK' "$LOG")"
# Read again, in reverse: all from the cache, still the server's bytes.
bad=0
for f in $(cd "$MAILFS_TEST_TMP/server/Walk" && ls -r); do
	cmp -s "$M/Walk/$f" "$MAILFS_TEST_TMP/server/Walk/$f" || bad=1
done
ok $bad "reading again equals the server's bytes"

fusermount3 -u "$M"
ok $? "unmounts"
wait_for 30 sh -c "! kill -0 $pid 2>/dev/null"
ok $? "the daemon exits promptly"
# Sessions end a moment after the daemon's logout.
sleep 0.5
bodies=$(tail -n +"$((before + 1))" "$dlog" | grep -oE 'body_count=[0-9]+' |
    awk -F= '{ n += $2 } END { print n + 0 }')
is "$bodies" "$((N - 1))" "the server sent every message's body exactly once"
! grep -qiE 'cannot (write|rename|fetch)' "$LOG"
ok $? "no cache or fetch errors logged" || diag "$(grep -m3 -iE 'cannot' "$LOG")"
done_testing
