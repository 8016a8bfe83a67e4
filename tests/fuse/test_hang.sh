#!/bin/bash
# A server that stops answering (tests/harness/cutproxy.py "hang": every
# connection, open or new, forwards nothing more, and nothing is closed).
# What the mount holds is served at once; every call that needs the
# server fails with an errno within -o timeout + 1 s, however many
# connections it tries, and a change is queued within it (the mount is
# offline once the server did not answer in time: test_queue.sh); unmount
# and the daemon's exit take under 2 s; and once the server answers again
# it holds exactly what it held before (the changes queued are replayed
# by the next mount).
# Then, with one connection, an mv whose answer is lost ends within the
# bound and says truthfully whether the message moved.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/harness/lib.sh"
. "$top_srcdir/tests/fuse/mount.sh"
. "$top_srcdir/tests/fuse/cut.sh"
CUT_TIMEOUT=3
BOUND_MS=$(((CUT_TIMEOUT + 1) * 1000))
cut_start
M=$MAILFS_TEST_TMP/mnt
imap_py "
for f in ('A', 'B', 'C', 'E'):
    imaptool.check(m._simple_command('CREATE', f), 'CREATE ' + f)
def msg(mid):
    return b'Message-ID: <%s@hang.test>\r\nSubject: hang\r\n\r\n' % mid.encode() + b'body\r\n' * 5000
for i in range(1, 41):
    imaptool.append(m, 'A', msg('a-%d' % i))
for i in range(1, 4):
    imaptool.append(m, 'C', msg('c-%d' % i))
" || bail_out "seeding failed"
census >"$MAILFS_TEST_TMP/before" || bail_out "census failed"

# timed VAR CMD...: runs CMD, its status in TIMED_STATUS, its stderr's
# last line in TIMED_ERR, the milliseconds it took in VAR.
timed()
{
	local var=$1 t0 t1 err
	shift
	t0=$(date +%s%N)
	err=$("$@" 2>&1 >/dev/null)
	TIMED_STATUS=$?
	t1=$(date +%s%N)
	TIMED_ERR=${err##*$'\n'}
	printf -v "$var" '%d' $(((t1 - t0) / 1000000))
}

# fast NAME CMD...: CMD succeeds in under a second.
fast()
{
	local name=$1 ms
	shift
	timed ms "$@"
	ok $((TIMED_STATUS != 0 || ms >= 1000)) \
	    "$name: served from what is loaded in $ms ms (status $TIMED_STATUS $TIMED_ERR)"
}

# bounded NAME CMD...: CMD fails, with an errno, within the bound.
bounded()
{
	local name=$1 ms
	shift
	timed ms "$@"
	ok $((TIMED_STATUS == 0 || ms > BOUND_MS)) \
	    "$name: fails within ${BOUND_MS} ms: $ms ms (${TIMED_ERR##*: })"
}

# queued NAME CMD...: CMD succeeds within the bound (the mount is offline:
# the change is queued, mailfs(1) Offline changes).
queued()
{
	local name=$1 ms
	shift
	timed ms "$@"
	ok $((TIMED_STATUS != 0 || ms > BOUND_MS)) \
	    "$name: queued within ${BOUND_MS} ms: $ms ms (${TIMED_ERR##*: })"
}

A1=$(msg_name A 1)
A2=$(msg_name A 2)
A3=$(msg_name A 3)
cut_mount "$M" -o refresh=1 || bail_out "mount failed"
ls "$M/A" "$M/B" "$M/E" >/dev/null || bail_out "ls failed"
cat "$M/A/$A1" >/dev/null || bail_out "cat failed"
DF_BEFORE=$(stat -f -c '%b %f' "$M")
FLAGS_BEFORE=$(getfattr --only-values -n user.imap.flags "$M/A/$A1" 2>/dev/null)
sleep 1	# let read-ahead finish
# A message of A that read-ahead did not fetch (A's bodies are the only
# ones cached).
cached=" $(store uids | tr '\n' ' ') "
for UNCACHED in $(seq 40 -1 4) none; do
	case $cached in
	*" $UNCACHED "*) ;;
	*) break ;;
	esac
done

is "$(cutctl hang | cut -d' ' -f1)" ok "the server is black-holed"
# The refresh (every second) waits on the server holding a folder's
# sync_lock, and an rm in A holds A's: what is loaded and cached is
# served all the same.  (Not a listing of A itself during the rm: the
# kernel holds A's directory lock for the unlink.)
sleep 1.5
fast "ls of a loaded folder while the refresh waits" ls -l "$M/A"
(timed ms rm "$M/A/$A3"; echo "$ms $TIMED_STATUS $TIMED_ERR" >"$MAILFS_TEST_TMP/rm") &
RM_PID=$!
sleep 0.5
fast "ls of another loaded folder" ls -l "$M/B"
fast "stat of a loaded message" stat "$M/A/$A1"
fast "cat of a cached message" cat "$M/A/$A1"
fast "getfattr of a loaded message" getfattr -n user.imap.flags "$M/A/$A1"
fast "ls of the root" ls "$M"
wait "$RM_PID"
read -r ms TIMED_STATUS TIMED_ERR <"$MAILFS_TEST_TMP/rm"
# Queued when the mount found the server gone before sending it, else failed.
ok $((ms > BOUND_MS)) \
    "rm: ends within ${BOUND_MS} ms: $ms ms, status $TIMED_STATUS (${TIMED_ERR##*: })"
bounded "ls of an unvisited folder" ls "$M/C"
if [ "$UNCACHED" != none ]; then
	bounded "cat of an uncached message" cat "$M/A/$(msg_name A "$UNCACHED")"
else
	skip "every message of A was read ahead"
fi
# Gone from the mount when the first was queued, else queued now.
timed ms rm "$M/A/$A3"
ok $((ms > BOUND_MS)) "rm again: ends within ${BOUND_MS} ms: $ms ms (${TIMED_ERR##*: })"
queued "mv between folders" mv "$M/A/$A2" "$M/B/"
queued "mkdir" mkdir "$M/New"
queued "rmdir" rmdir "$M/E"
queued "setfattr user.imap.flags" setfattr -n user.imap.flags -v '\Flagged' "$M/A/$A1"
fast "getfattr while changes are queued" getfattr -n user.imap.flags "$M/A/$A1"
timed ms stat -f -c '%b %f' "$M"
ok $((ms > BOUND_MS)) "df answers within the bound: $ms ms"
DF_NOW=$(stat -f -c '%b %f' "$M")
is "$DF_NOW" "$DF_BEFORE" "df shows the last quota the server gave"

t0=$(date +%s%N)
fusermount3 -u "$M"
while kill -0 "$CUT_DAEMON_PID" 2>/dev/null && [ $((($(date +%s%N) - t0) / 1000000)) -lt 10000 ]; do
	sleep 0.05
done
ms=$((($(date +%s%N) - t0) / 1000000))
ok $((ms > 2000)) "unmount and the daemon's exit take $ms ms with every connection frozen"
kill -0 "$CUT_DAEMON_PID" 2>/dev/null && kill "$CUT_DAEMON_PID"
wait "$CUT_DAEMON_PID" 2>/dev/null
is "$(cutctl unhang | cut -d' ' -f1)" ok "the server answers again"
cutctl drop >/dev/null
census >"$MAILFS_TEST_TMP/after" || bail_out "census failed"
ok "$(cmp -s "$MAILFS_TEST_TMP/before" "$MAILFS_TEST_TMP/after"; echo $?)" \
    "the server holds exactly what it held before" ||
    diag "$(diff "$MAILFS_TEST_TMP/before" "$MAILFS_TEST_TMP/after" | head -5)"
is "$(folders | grep -c '^New')" 0 "no folder was made"

# One connection, an mv whose answer is lost: it ends within the bound.
: >"$CUT_DAEMON_LOG"
cut_mount "$M" || bail_out "second mount failed"
# The first mount's changes are replayed first: none of them is cut below.
wait_for 30 sh -c "getfattr --only-values -n user.mailfs.status '$M' 2>/dev/null | grep -qx 'queued: 0'"
ok $? "the changes the first mount queued are replayed"
ls "$M/A" "$M/B" >/dev/null || bail_out "ls failed"
# df when the server never gave a quota: zeros, said once in the log.
cutctl hang >/dev/null
timed ms stat -f -c '%b %f %a' "$M"
ok $((ms > BOUND_MS)) "df without an answer ever: within the bound ($ms ms)"
is "$(stat -f -c '%b %f %a' "$M")" "0 0 0" "df shows no invented figure"
is "$(grep -c 'df shows no sizes' "$CUT_DAEMON_LOG")" 1 "the log says so once"
cutctl unhang >/dev/null
fresh()
{
	cutctl drop >/dev/null
	setfattr -n user.imap.flags -v "probe$1" "$M/A/$A1" 2>/dev/null
	setfattr -n user.imap.flags -v "probe$1" "$M/A/$A1"
}
fresh 1 || bail_out "no fresh connection"
cutctl mark >/dev/null
mv "$M/A/$(msg_name A 4)" "$M/B/" || bail_out "uncut mv failed"
cut_settle 2
S2C=$(cut_stat s2c)
C2S=$(cut_stat c2s)
for item in 5:s2c:$((S2C - 1)) 6:c2s:$((C2S - 1)); do
	IFS=: read -r uid d n <<<"$item"
	fresh "$uid" || bail_out "no fresh connection"
	cutctl arm "$d" "$n" hang any >/dev/null
	timed ms mv "$M/A/$(msg_name A "$uid")" "$M/B/"
	fired=$(cut_stat fired)
	cutctl disarm >/dev/null
	cut_settle 2
	census >"$CUT_CENSUS" || bail_out "census failed"
	id="<a-$uid@hang.test>"
	a=$(copies "$id" "$CUT_CENSUS" A)
	b=$(copies "$id" "$CUT_CENSUS" B)
	ok $((ms > BOUND_MS)) "mv, $d cut after $n bytes (fired $fired), one connection: $ms ms, status $TIMED_STATUS"
	if [ "$TIMED_STATUS" = 0 ]; then
		is "$a $b" "0 1" "mv said it moved: the server agrees"
	else
		is "$a $b" "1 0" "mv said it failed (${TIMED_ERR##*: }): the server agrees"
	fi
done
cut_unmount "$M" || ok 1 "the second mount did not end"
done_testing
