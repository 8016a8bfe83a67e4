#!/bin/bash
# A server that reports a wrong RFC822.SIZE (hosted Exchange does;
# tests/harness/sizeproxy.py makes Dovecot do it): rsync -a copies every
# message byte for byte on the first run, a file's size is what read()
# returns once it was read, and a mount over the kept cache fetches no
# body again, even when it lists the folder afresh.  17 bytes too few,
# then 17 too many.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/harness/lib.sh"
. "$top_srcdir/tests/fuse/mount.sh"
need_fuse
command -v rsync >/dev/null || skip_all "rsync is missing"
start_dovecot
T=$MAILFS_TEST_TMP
M=$T/mnt

imaptool create Sz >/dev/null || bail_out "create failed"
python3 - "$T/msgs" <<'PY' || bail_out "cannot write the messages"
import os, sys
out = sys.argv[1]
os.makedirs(out)
for i, size in enumerate([300, 4000, 70000, 150000, 9]):
    body = ('wrongsize %d ' % i) * (size // 12 + 1)
    with open('%s/%d.eml' % (out, i), 'w', newline='') as f:
        f.write('Subject: size %d\r\nMessage-ID: <ws%d@test>\r\n\r\n%s\r\n'
                % (i, i, body[:size]))
PY
for f in "$T"/msgs/*.eml; do
	imaptool append Sz "$f" >/dev/null || bail_out "append failed"
done
dump_server "$T/server" || bail_out "cannot read the server"

# bodies LOG: the bodies the daemon asked for
bodies()
{
	grep -cE 'BODY\.PEEK\[\]' "$1"
}

# sizes_true: every file's size, after a read, is the length read returns.
sizes_true()
{
	local f bad=0
	for f in "$M"/Sz/*; do
		[ "$(cat "$f" | wc -c)" = "$(stat -c %s "$f")" ] ||
		    { diag "$f: stat says $(stat -c %s "$f"), read gives $(cat "$f" | wc -c)"; bad=1; }
	done
	return $bad
}

for delta in -17 17; do
	rm -rf "$T/cache" "$T/port"
	"$PYTHON" "$HARNESS_DIR/sizeproxy.py" --target "$IMAPS_PORT" \
	    --cert "$DOVECOT_DIR/server.pem" --key "$DOVECOT_DIR/server.key" \
	    --delta "$delta" --port-file "$T/port" 2>>"$T/proxy.log" &
	proxy=$!
	at_exit "kill $proxy 2>/dev/null"
	wait_for 15 test -s "$T/port" || bail_out "sizeproxy.py did not start"
	port=$(cat "$T/port")

	IMAPS_PORT=$port mount_traced "$M" "$T/log$delta.1" || bail_out "mount failed"
	f=$(ls "$M/Sz" | sed -n 1p)
	is "$(stat -c %s "$M/Sz/$f")" "$(($(stat -c %s "$T/server/Sz/$f") + delta))" \
	    "$delta: before a read, the size is the server's RFC822.SIZE"
	rm -rf "$T/copy"
	rsync -a "$M/Sz/" "$T/copy/"
	is $? 0 "$delta: rsync -a of the folder exits 0"
	diff -r "$T/server/Sz" "$T/copy" >/dev/null
	ok $? "$delta: and copies every message byte for byte" ||
	    diag "$(ls -l "$T/server/Sz" "$T/copy")"
	sizes_true
	ok $? "$delta: stat -c %s equals cat | wc -c"
	unmount_traced "$M"
	[ "$(bodies "$T/log$delta.1")" -ge 1 ]
	ok $? "$delta: the first mount fetched the bodies (the trace shows them)"

	# Over the kept cache: from the saved listing, then listed afresh.
	IMAPS_PORT=$port mount_traced "$M" "$T/log$delta.2" || bail_out "mount failed"
	rm -rf "$T/copy"
	rsync -a "$M/Sz/" "$T/copy/" && diff -r "$T/server/Sz" "$T/copy" >/dev/null
	ok $? "$delta: a mount over the kept cache copies every message byte for byte"
	sizes_true
	ok $? "$delta: with true sizes"
	unmount_traced "$M"
	is "$(bodies "$T/log$delta.2")" 0 "$delta: and fetches no body again"
	store meta-cut listing 40
	IMAPS_PORT=$port mount_traced "$M" "$T/log$delta.3" || bail_out "mount failed"
	rm -rf "$T/copy"
	rsync -a "$M/Sz/" "$T/copy/" && diff -r "$T/server/Sz" "$T/copy" >/dev/null
	ok $? "$delta: listed afresh (wrong sizes again), it still copies byte for byte"
	sizes_true
	ok $? "$delta: with true sizes"
	unmount_traced "$M"
	is "$(bodies "$T/log$delta.3")" 0 "$delta: and fetches no body again"
	kill "$proxy" 2>/dev/null
	wait "$proxy" 2>/dev/null
done
done_testing
