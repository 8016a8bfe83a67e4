#!/bin/bash
# The answer to the final dot lost (tests/fuse/smtplost.py, a server that
# closes the connection after the data): close() fails with EIO, the
# message stays in Outbox/ as "unknown" and is never sent again by
# itself, not by the retries while mounted nor by the next mount; only
# setfattr -n user.mailfs.retry sends it again.  rm of a message being
# sent is EBUSY.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/harness/lib.sh"
. "$top_srcdir/tests/fuse/mount.sh"
. "$top_srcdir/tests/fuse/outbox.sh"
need_fuse
command -v setfattr >/dev/null || skip_all "setfattr is missing (Debian package attr)"
start_dovecot
expect_log 'Outbox/(lost|busy)\.eml: no answer after it went out'
"$PYTHON" "$top_srcdir/tests/fuse/smtplost.py" --cert "$DOVECOT_DIR/server.pem" \
    --key "$DOVECOT_DIR/server.key" --port-file "$T/lost.port" \
    --count-file "$T/lost.count" &
at_exit "kill $!"
wait_for 20 test -s "$T/lost.port" || bail_out "smtplost.py did not start"
URL="smtps://$TEST_USER@127.0.0.1:$(cat "$T/lost.port")"
sent() { cat "$T/lost.count" 2>/dev/null || echo 0; }

XDG_CACHE_HOME=$T/cache "$MAILFS" -f -o "password_file=$TEST_PASSWORD_FILE,smtp=ftp://x@y" \
    "imaps://$TEST_USER@$IMAP_HOST:$IMAPS_PORT" "$M" 2>"$T/err"
is "$?:$(cat "$T/err")" "1:mailfs: smtp= takes smtps://USER@HOST[:PORT] or smtp://USER@HOST[:PORT]" \
    "an smtp= URL of another scheme is refused at start"
mount_outbox "$M" "$URL" || bail_out "mount failed"
printf 'From: a@example.test\nTo: b@example.test\nSubject: lost\n\nbody\n' >"$T/lost"
cp "$T/lost" "$O/lost.eml" 2>"$T/err"
isnt $? 0 "the answer to the final dot lost: cp fails"
like "$(cat "$T/err")" "Input/output error" "with EIO"
is "$(sent)" 1 "the server got the message once"
like "$(getfattr --absolute-names --only-values -n user.mailfs.status "$O/lost.eml")" \
    "^unknown: " "it stays, its status unknown"
sleep 4
is "$(sent)" 1 "not sent again while mounted"
cat "$O/lost.eml" >/dev/null
touch "$O/lost.eml"
sleep 1
is "$(sent)" 1 "nor by reading or touching it"
fusermount3 -u "$M"
wait_for 30 sh -c "! kill -0 $mailfs_pid 2>/dev/null"
mount_outbox "$M" "$URL" || bail_out "second mount failed"
like "$(getfattr --absolute-names --only-values -n user.mailfs.status "$O/lost.eml")" \
    "^unknown: " "still unknown after a remount"
sleep 3
is "$(sent)" 1 "nor by the next mount"
setfattr -n user.mailfs.retry -v 1 "$O/lost.eml" 2>/dev/null
isnt $? 0 "setfattr -n user.mailfs.retry sends it again (and loses the answer again)"
is "$(sent)" 2 "the server got it a second time, as asked"

rm "$O/lost.eml"
ok $? "rm removes it"

# A message being sent (its close waits for the server) cannot be removed.
echo 3 >"$T/lost.count.delay"
cp "$T/lost" "$O/busy.eml" 2>/dev/null &
sender=$!
sleep 1
rm "$O/busy.eml" 2>"$T/err"
isnt $? 0 "rm of a message being sent fails"
like "$(cat "$T/err")" "Device or resource busy" "with EBUSY"
wait $sender
rm -f "$T/lost.count.delay"
rm "$O/busy.eml"
ok $? "rm once it is no longer being sent"
is "$(ls -A "$O")" "" "Outbox/ is empty"
fusermount3 -u "$M"
wait_for 30 sh -c "! kill -0 $mailfs_pid 2>/dev/null"
done_testing
