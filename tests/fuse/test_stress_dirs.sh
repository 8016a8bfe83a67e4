#!/bin/bash
# Folders coming and going while the kernel looks them up and forgets
# them: several processes mkdir, mv and rmdir folders through the mount,
# others walk it (ls -R, stat, find), and another client creates and
# deletes folders on the server, which the refresh thread removes from
# the tree while operations and the kernel still hold them.  The last
# node_put() and the last FORGET of a removed directory race here; the
# daemon must free each node once (run under --enable-sanitizers), end
# with status 0 on unmount and leave no sanitizer report.
#
# STRESS_SECONDS (default 15) sets how long the processes run.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/harness/lib.sh"
. "$top_srcdir/tests/fuse/mount.sh"
need_fuse
start_dovecot
T=$MAILFS_TEST_TMP
secs=${STRESS_SECONDS:-15}
imaptool create Fest >/dev/null
imaptool create Fest.Unter >/dev/null
printf 'Subject: stays\r\n\r\nstays\r\n' >"$T/m"
uid=$(imaptool append Fest "$T/m")

M=$T/mnt
log=$T/mailfs.err
# The churn makes operations meet folders that another process or the
# other client just made, moved or removed, and Dovecot fail on its own
# locks: every warning is expected here, never an error or a report.
expect_log '^mailfs: warning: '
MOUNT_FLAG=-f mount_traced "$M" "$log" -o refresh=1 ||
    bail_out "mount failed: $(cat "$log")"

end=$((SECONDS + secs))
pids=()

# Writers: a tree of folders made, renamed and taken apart again.
for w in 1 2 3; do
	(
		i=0
		while [ $SECONDS -lt $end ]; do
			i=$((i + 1))
			mkdir -p "$M/W$w/a/b" 2>/dev/null
			ls "$M/W$w/a" >/dev/null 2>&1
			mv "$M/W$w" "$M/V$w" 2>/dev/null
			stat "$M/V$w/a/b" >/dev/null 2>&1
			rmdir "$M/V$w/a/b" "$M/V$w/a" "$M/V$w" 2>/dev/null
			rmdir "$M/W$w/a/b" "$M/W$w/a" "$M/W$w" 2>/dev/null
		done
	) &
	pids+=($!)
done
# Readers: lookups and readdirplus of whatever is there right now.
for r in 1 2; do
	(
		while [ $SECONDS -lt $end ]; do
			ls -R "$M" >/dev/null 2>&1
			stat "$M"/* "$M"/*/* "$M"/*/*/* >/dev/null 2>&1
			find "$M" -maxdepth 4 -type d >/dev/null 2>&1
		done
	) &
	pids+=($!)
done
# Another client: folders that appear and vanish on the server.
imap_py "
import time
end = time.monotonic() + $secs
i = 0
while time.monotonic() < end:
    i += 1
    for n in ('Srv%d' % (i % 4), 'Srv%d.Kind' % (i % 4)):
        m.create(n)
    time.sleep(0.3)
    for n in ('Srv%d.Kind' % ((i + 2) % 4), 'Srv%d' % ((i + 2) % 4)):
        m.delete(n)
" >/dev/null 2>&1 &
pids+=($!)
for p in "${pids[@]}"; do
	wait "$p"
done

kill -0 "$mailfs_pid" 2>/dev/null
ok $? "the daemon survived $secs seconds of folder churn"
mountpoint -q "$M"
ok $? "the mount is still there"
# Its body was never read, so this goes to the server, whose list index
# may still be locked by the churn (Dovecot waits for such a lock up to a
# minute, and then recovers it): allow for that.
wait_for 70 sh -c "cmp '$T/m' '$M/$(path_of Fest "$uid")' >'$T/cmp.err' 2>&1"
ok $? "a message in a folder nobody touched still reads" ||
    diag "$(cat "$T/cmp.err"; tail -5 "$log")"
# The folders the churn touched may stay broken on the server for a
# while (Dovecot's Maildir loses its own locks and indexes when folders
# are renamed and deleted under its sessions, and waits up to a minute
# for them), so only what nobody churned must work: the root's listing
# (served from the tree) and a folder left alone.
ls "$M" >/dev/null 2>"$T/ls.err" && ls -R "$M/Fest" >/dev/null 2>>"$T/ls.err"
ok $? "the root and an untouched folder list afterwards" || diag "$(cat "$T/ls.err")"

fusermount3 -u "$M"
ok $? "unmounts"
wait "$mailfs_pid"
is $? 0 "the daemon exits with status 0"
grep -E 'AddressSanitizer|LeakSanitizer|runtime error|more often than' "$log" >"$T/bad"
isnt $? 0 "no sanitizer report and no count gone wrong" ||
    diag "$(head -40 "$T/bad")"
done_testing
