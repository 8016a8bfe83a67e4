#!/bin/bash
# The Outbox over STARTTLS (-o smtp=smtp://...:587-like), when the server
# cannot be reached, and across a kill -9: a message written while
# Postfix is stopped is accepted by close() (0), waits in Outbox/ with
# its status, and goes once Postfix is back (MAILFS_OUTBOX_BACKOFF=1);
# one waiting when the daemon is killed goes at the next mount, once; one
# found "sending" (killed while it went) is never sent again by itself,
# only when asked (setfattr -n user.mailfs.retry); one found sent but not
# filed (killed after its Sent copy went) is not appended again.  A server
# folder named Outbox is shown as it is; the local one becomes Outbox.local.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/harness/lib.sh"
. "$top_srcdir/tests/fuse/mount.sh"
. "$top_srcdir/tests/fuse/outbox.sh"
start_mail
URL="smtp://$TEST_USER@127.0.0.1:$SMTP_PORT"
expect_log 'Outbox/(wait|killed|again|filed)\.eml (deferred|was being sent)|cannot send: 127\.0\.0\.1'
mkmsg()
{
	printf 'From: %s\nTo: %s\nSubject: %s\nMessage-ID: <%s@outbox.test>\n\n%s body\n' \
	    "$TEST_ADDR" "$TEST_ADDR2" "$2" "$2" "$2" >"$1"
}
postfix_up()
{
	/usr/sbin/postfix -c "$POSTFIX_DIR/etc" start >/dev/null 2>&1
	wait_for 30 "$PYTHON" -c "import socket; socket.create_connection(('127.0.0.1', $SMTP_PORT), 1)"
}
postfix_down()
{
	"$HARNESS_DIR/postfix.sh" stop "$POSTFIX_DIR"
}
status() { getfattr --absolute-names --only-values -n user.mailfs.status "$1"; }
outbox_dir() { echo "$T"/cache/mailfs/*/outbox; }

mount_outbox "$M" "$URL" || bail_out "mount failed"
mkmsg "$T/tls" starttls
cp "$T/tls" "$O/tls.eml"
ok $? "STARTTLS: cp returns 0"
wait_count2 1
ok $? "STARTTLS: delivered"

# The server unreachable: queued.
postfix_down
mkmsg "$T/wait" wait
cp "$T/wait" "$O/wait.eml"
ok $? "Postfix stopped: close() returns 0 (queued)"
is "$(ls "$O")" "wait.eml" "the message waits in Outbox/"
like "$(status "$O/wait.eml")" "^deferred: attempt 1 failed, next at " "its status says deferred"
like "$(getfattr --absolute-names --only-values -n user.mailfs.error "$O/wait.eml")" \
    "127\.0\.0\.1:$SMTP_PORT" "and user.mailfs.error why"
sleep 2
like "$(status "$O/wait.eml")" "^deferred: attempt [2-9] failed" "retried while mounted"
postfix_up
ok $? "Postfix started again"
wait_count2 2
ok $? "the waiting message is sent once Postfix is back"
wait_for 10 sh -c "[ -z \"\$(ls -A '$O')\" ]"
ok $? "and it left Outbox/"
is "$(imaptool count Sent)" 2 "both are filed in Sent"

# kill -9 with a message waiting: the next mount sends it, once.
postfix_down
mkmsg "$T/killed" killed
cp "$T/killed" "$O/killed.eml"
ok $? "queued again"
kill -9 "$mailfs_pid"
wait_for 10 sh -c "! kill -0 $mailfs_pid 2>/dev/null"
fusermount3 -uz "$M"
postfix_up
is "$(imap2 count INBOX)" 2 "not sent while no daemon runs"
mount_outbox "$M" "$URL" || bail_out "second mount failed"
wait_count2 3
ok $? "the next mount sends it"
wait_for 10 sh -c "[ -z \"\$(ls -A '$O')\" ]"
ok $? "and it left Outbox/"
is "$(imaptool count Sent)" 3 "filed in Sent"

# Killed while it went: "sending" on disk.  Unknown: never sent again by itself.
postfix_down
mkmsg "$T/again" again
cp "$T/again" "$O/again.eml"
kill -9 "$mailfs_pid"
wait_for 10 sh -c "! kill -0 $mailfs_pid 2>/dev/null"
fusermount3 -uz "$M"
st=$(grep -l '^name again.eml$' "$(outbox_dir)"/*.state)
sed -i 's/^state .*/state sending/' "$st"
postfix_up
mount_outbox "$M" "$URL" || bail_out "third mount failed"
like "$(status "$O/again.eml")" "^unknown: " "found \"sending\": its status says unknown"
sleep 3
is "$(imap2 count INBOX)" 3 "and it is not sent by itself"
setfattr -n user.mailfs.retry -v 1 "$O/again.eml"
ok $? "setfattr -n user.mailfs.retry sends it"
wait_count2 4
ok $? "delivered"
is "$(ls -A "$O")" "" "Outbox/ is empty"
fusermount3 -u "$M"
wait_for 30 sh -c "! kill -0 $mailfs_pid 2>/dev/null"

# Killed after the copy went to Sent, before that was noted: filed once.
postfix_down
mount_outbox "$M" "$URL" || bail_out "mount failed"
mkmsg "$T/filed" filed
cp "$T/filed" "$O/filed.eml"
kill -9 "$mailfs_pid"
wait_for 10 sh -c "! kill -0 $mailfs_pid 2>/dev/null"
fusermount3 -uz "$M"
st=$(grep -l '^name filed.eml$' "$(outbox_dir)"/*.state)
sed -i 's/^state .*/state sent/; s/^filed .*/filed 0/; s/^sent .*/sent 1764320000/' "$st"
date_line=$(sed -n 's/^date //p' "$st")
# The copy as the daemon would have filed it: Date: added at the header's end.
"$PYTHON" - "$T/filed" "$date_line" >"$T/filed.copy" <<'PY'
import sys
b = open(sys.argv[1], "rb").read().replace(b"\n", b"\r\n")
head, body = b.split(b"\r\n\r\n", 1)
sys.stdout.buffer.write(head + b"\r\nDate: " + sys.argv[2].encode() + b"\r\n\r\n" + body)
PY
imaptool append Sent "$T/filed.copy" --flags '\Seen' --date 1764320000 >/dev/null
n_sent=$(imaptool count Sent)
mount_outbox "$M" "$URL" || bail_out "mount failed"
wait_for 10 sh -c "[ -z \"\$(ls -A '$O')\" ]"
ok $? "a message found sent but not filed leaves Outbox/"
is "$(imaptool count Sent)" "$n_sent" "its copy, already in Sent, is not appended again"
is "$(imap2 count INBOX)" 4 "and it is not sent"
fusermount3 -u "$M"
wait_for 30 sh -c "! kill -0 $mailfs_pid 2>/dev/null"
postfix_up

# A server folder named Outbox: shown as it is; the local one is Outbox.local.
imaptool create Outbox >/dev/null
printf 'Subject: server\r\n\r\nthe server'"'"'s\r\n' >"$T/srv"
imaptool append Outbox "$T/srv" >/dev/null
mount_outbox "$M" "$URL" || bail_out "fourth mount failed"
is "$(ls "$M/Outbox" | wc -l)" 1 "the server's Outbox is shown, with its message"
[ -d "$M/Outbox.local" ]
ok $? "the local Outbox is Outbox.local"
mkmsg "$T/local" local
cp "$T/local" "$M/Outbox.local/local.eml"
ok $? "and sends"
wait_count2 5
ok $? "delivered"
is "$(imaptool count Outbox)" 1 "the server's Outbox is untouched"
fusermount3 -u "$M"
wait_for 30 sh -c "! kill -0 $mailfs_pid 2>/dev/null"
is "$(imap2 count INBOX)" 5 "each message delivered once"
done_testing
