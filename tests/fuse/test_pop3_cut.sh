#!/bin/bash
# rm on a POP3 maildrop with the connection cut anywhere (both ways, over
# the whole of one rm's traffic: login, UIDL, LIST, DELE, QUIT, and each
# of the last TLS records, where QUIT's answer is): rm succeeds exactly
# when the message is gone from the server, and no other message goes.
# A cut before QUIT deletes nothing and rm fails; a lost answer to QUIT
# is settled with UIDL before rm returns.  Without the server rm is EROFS.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/harness/lib.sh"
. "$top_srcdir/tests/fuse/mount.sh"
. "$top_srcdir/tests/fuse/cut.sh"
need_fuse
start_dovecot --pop3
. "$top_srcdir/tests/fuse/pop3.sh"
T=$MAILFS_TEST_TMP
M=$T/mnt
POINTS=${CUT_COUNT:-6}
N=30

"$PYTHON" "$HARNESS_DIR/cutproxy.py" --target "$POP3S_PORT" \
    --port-file "$T/cutproxy.port" --log "$T/cutproxy.log" \
    --lifetime "${MAILFS_TEST_TIMEOUT:-300}" --hang-limit 10 &
proxy=$!
at_exit "kill $proxy"
wait_for 10 test -s "$T/cutproxy.port"
read -r CUT_PORT CUT_CTL <"$T/cutproxy.port" || bail_out "the cut proxy did not start"

# Every message the same size, so that one rm's traffic stays the same.
add_msgs()
{
	imap_py "
for i in range($1):
    imaptool.append(m, 'INBOX', b'Subject: cut\r\n\r\n' + b'body\r\n' * 50)
"
}
add_msgs $N || bail_out "seeding failed"
# No refresh: only rm's own traffic passes the proxy.
mount_pop3 "$M" "pop3s://$TEST_USER@$IMAP_HOST:$CUT_PORT" -o refresh=86400,timeout=2 ||
    bail_out "mount failed"
expect_log 'POP3 .* failed|QUIT|nothing was deleted|not deleted'
is "$(ls "$M/INBOX" | wc -l)" "$N" "the mount lists every message"

# rm_one: removes the 11th message (DELE 11, every time); RM_NAME, RM_STATUS.
rm_one()
{
	RM_NAME=$(ls "$M/INBOX" | sed -n 11p)
	rm "$M/INBOX/$RM_NAME" 2>/dev/null
	RM_STATUS=$?
}
# refill: a deleted message is replaced on the server, and a session
# (a read) learns the new one, so the next rm moves the same bytes.
refill()
{
	add_msgs 1 && cat "$M/INBOX/$(ls "$M/INBOX" | sed -n "${refilled}p")" >/dev/null
	refilled=$((refilled + 1))
}
refilled=1

cutctl mark >/dev/null
rm_one
ok $RM_STATUS "an uncut rm"
c2s=$(cut_stat c2s) s2c=$(cut_stat s2c)
refill
diag "one rm moves $c2s bytes out, $s2c in"
gone=1 bad=0 failed=0
for dir in c2s s2c; do
	total=$c2s
	[ $dir = s2c ] && total=$s2c
	for n in $(cut_points "$total" "$POINTS") $(for k in 30 60 90 120; do
	    [ $dir = s2c ] && echo $((total - k)); done); do
		cutctl arm $dir "$n" close new >/dev/null
		rm_one
		fired=$(cut_stat fired)
		cutctl disarm >/dev/null
		present=$(pop3_py "print(sum(u + '.eml' == '$RM_NAME' for u in uidls()))")
		if [ "$RM_STATUS" = 0 ] && [ "$present" = 0 ]; then
			gone=$((gone + 1))
			refill
		elif [ "$RM_STATUS" != 0 ] && [ "$present" = 1 ]; then
			failed=$((failed + 1))
		else
			diag "$dir $n: rm status $RM_STATUS, on the server $present"
			bad=1
		fi
		[ "$fired" = 1 ] || diag "$dir $n: the cut did not fire"
	done
done
ok $bad "rm says 0 exactly when the message is gone ($gone gone, $failed kept)"
[ "$failed" -gt 0 ]
ok $? "cuts before QUIT deleted nothing and rm failed"
is "$(pop3_py "print(len(uidls()))")" "$N" "no other message went"
is "$(imaptool count INBOX)" "$N" "over IMAP too"
grep -q "QUIT's answer was lost" "$T"/mailfs.*.log
ok $? "a lost answer to QUIT was settled with UIDL"

# The server out of reach: rm is EROFS, nothing queued; what was read still reads.
kill $proxy
wait $proxy 2>/dev/null
read1=$(ls "$M/INBOX" | sed -n 1p)
listed=$(ls "$M/INBOX" | wc -l)
rm "$M/INBOX/$(ls "$M/INBOX" | sed -n 11p)" 2>"$T/err"
like "$(cat "$T/err")" "Read-only file system" "rm without the server is EROFS"
is "$(ls "$M/INBOX" | wc -l)" "$listed" "and the message is still listed"
cat "$M/INBOX/$read1" >/dev/null
ok $? "a message read before still reads"

done_testing
