#!/bin/bash
# replay.sh: what offline changes cost (issue 12), against the same
# changes made online in the same run.  From a build directory (one
# without sanitizers for figures):
#
#	top_builddir=$PWD tests/bench/replay.sh [N]
#
# Seeds 2N small messages in INBOX and a folder Dst.  Online, through the
# mount: N changes on the first N messages, a third each rm, setfattr of
# user.imap.flags and mv to Dst, one command each; the time is the peer.
# Then the mount is cut off the server (tests/harness/gate.py) and the
# same N changes are made on the other N messages: the time to accept
# them (each on disk in the journal before it returns), then, the server
# back, the time the replay took (its own log line).  Last, N new files
# cp'ed offline, accepted and replayed likewise.  Prints each figure and
# the ratios replay/online and accept/online; exits 0 when every change
# reached the server once (counted by Message-ID).
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
export top_srcdir
. "$top_srcdir/tests/harness/lib.sh"
. "$top_srcdir/tests/fuse/mount.sh"
. "$top_srcdir/tests/fuse/queue.sh"
N=$(((${1:-300} + 2) / 3 * 3))	# a multiple of 3: a third of each kind

ms_now() { date +%s%N; }
imaptool create Dst >/dev/null || bail_out "create failed"
imap_py "
for i in range(2 * $N):
    imaptool.append(m, 'INBOX', b'Subject: r%d\r\nMessage-ID: <r%d@replay.test>\r\n\r\nbody %d\r\n' % (i, i, i))
" || bail_out "seeding failed"

# changes FILES...: a third each rm, setfattr, mv to Dst.
changes()
{
	local k=0 f
	for f in "$@"; do
		case $((k % 3)) in
		0) rm "$M/INBOX/$f" ;;
		1) setfattr -n user.imap.flags -v '\Seen' "$M/INBOX/$f" ;;
		2) mv "$M/INBOX/$f" "$M/Dst/" ;;
		esac || return 1
		k=$((k + 1))
	done
}

queue_mount || bail_out "mount failed"
ls "$M/Dst" >/dev/null
# Sorted by UID, as the names are: the first N, then the other N.
files=($(ls "$M/INBOX"))
t0=$(ms_now)
changes "${files[@]:0:$N}" || bail_out "an online change failed"
online=$((($(ms_now) - t0) / 1000000))
queue_unmount

gate_close
queue_mount || bail_out "offline mount failed"
t0=$(ms_now)
changes "${files[@]:$N:$N}" || bail_out "an offline change failed"
accept=$((($(ms_now) - t0) / 1000000))
is "$(queued)" "$N" "$N changes queued"
gate_open
wait_for 300 sh -c "getfattr --only-values -n user.mailfs.status '$M' 2>/dev/null | grep -qx 'queued: 0'"
ok $? "replayed"
replay=$(grep -o 'replayed [0-9]* changes.*' "$LOG" | tail -n 1)

gate_close
sleep 1
printf 'Subject: n\r\nMessage-ID: <n@x>\r\n\r\nbody\r\n' >"$T/new"
t0=$(ms_now)
for i in $(seq "$N"); do
	cp "$T/new" "$M/INBOX/new$i.eml" || bail_out "cp failed"
done
accept_cp=$((($(ms_now) - t0) / 1000000))
gate_open
wait_for 300 sh -c "getfattr --only-values -n user.mailfs.status '$M' 2>/dev/null | grep -qx 'queued: 0'"
ok $? "new files replayed"
replay_cp=$(grep -o 'replayed [0-9]* changes.*' "$LOG" | tail -n 1)
queue_unmount
gate_stop

# A third of the 2N rm'ed, a third flagged, a third moved; N new.
is "$(imaptool count Dst)" $((2 * N / 3)) "every mv made once"
is "$(imaptool count INBOX)" $((2 * N / 3 + N)) "every rm made once, every new file uploaded once"

secs() { awk -v m="$1" 'BEGIN { printf "%.2f", m / 1000 }'; }
rsecs() { echo "$1" | sed -n 's/.* in \([0-9.]*\) s.*/\1/p'; }
r=$(rsecs "$replay")
rc=$(rsecs "$replay_cp")
diag "$N changes (rm, setfattr, mv) online: $(secs "$online") s"
diag "the same offline: accepted in $(secs "$accept") s, $replay"
diag "ratio accept/online $(awk -v a="$accept" -v o="$online" 'BEGIN { printf "%.2f", a / o }'),\
 replay/online $(awk -v r="$r" -v o="$online" 'BEGIN { printf "%.2f", r * 1000 / o }')"
diag "$N new files offline: accepted in $(secs "$accept_cp") s, $replay_cp"
done_testing
