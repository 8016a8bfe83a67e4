#!/bin/bash
# The Outbox's options and the envelope's rarer forms, through a mount
# against the test Postfix: -o sent=FOLDER files the copy there, -o
# sent=none files none; the SMTP password from smtp_password_file= and
# from smtp_password_command= (not the IMAP one); a wrong one leaves the
# message queued and never shows in the log; a message with a Resent-
# block goes to the Resent- recipients only (RFC 5322 3.6.6).
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/harness/lib.sh"
. "$top_srcdir/tests/fuse/mount.sh"
. "$top_srcdir/tests/fuse/outbox.sh"
start_mail
URL="smtps://$TEST_USER@127.0.0.1:$SMTPS_PORT"
expect_log 'Outbox/wrongpw\.eml deferred|cannot send|authentication|AUTH'
mkmsg()
{
	# mkmsg FILE SUBJECT [HEADER LINES BEFORE From:]
	printf '%sFrom: %s\nTo: %s\nSubject: %s\nMessage-ID: <%s@options.test>\n\n%s body\n' \
	    "${3:-}" "$TEST_ADDR" "$TEST_ADDR2" "$2" "$2" "$2" >"$1"
}
count() { imaptool count "$1"; }
imaptool create Archive >/dev/null || bail_out "create failed"
printf '%s\n' "$TEST_PASSWORD" >"$T/smtp.pw"
chmod 0600 "$T/smtp.pw"

# sent=Archive, the password from a file.
mount_outbox "$M" "$URL" -o "sent=Archive,smtp_password_file=$T/smtp.pw" ||
    bail_out "mount failed"
mkmsg "$T/a" archived
cp "$T/a" "$O/a.eml"
ok $? "sent with smtp_password_file="
wait_count2 1
ok $? "delivered"
is "$(count Archive)" 1 "sent=Archive: the copy is in Archive"
is "$(count Sent)" 0 "and not in Sent"

# A Resent- block decides: its recipients only, not the original To:.
printf 'Resent-From: %s\nResent-To: %s\nResent-Date: Sat, 28 Nov 2026 11:00:00 +0000\nFrom: someone@example.org\nTo: other@example.org\nSubject: forwarded\nMessage-ID: <fwd@options.test>\n\nforwarded body\n' \
    "$TEST_ADDR" "$TEST_ADDR2" >"$T/resent"
cp "$T/resent" "$O/resent.eml"
ok $? "a resent message: sent (other@example.org, the original To:, is not asked)"
wait_count2 2
ok $? "delivered to the Resent-To: recipient"
like "$(imap2 fetch INBOX "$(imap2 uids INBOX | tail -n 1)")" "Resent-Message-ID: <" \
    "a Resent-Message-ID: was added, in the Resent- block"
unmount_traced "$M"

# sent=none, the password from a command.
mount_outbox "$M" "$URL" -o "sent=none,smtp_password_command=cat $T/smtp.pw" ||
    bail_out "mount failed"
mkmsg "$T/b" nocopy
cp "$T/b" "$O/b.eml"
ok $? "sent with smtp_password_command="
wait_count2 3
ok $? "delivered"
is "$(count Archive)" 2 "sent=none: no copy in Archive (the two before)"
is "$(count Sent)" 0 "nor in Sent"
is "$(ls -A "$O")" "" "and Outbox/ is empty"
unmount_traced "$M"

# A wrong SMTP password: queued, and never in the log.
printf 'not-the-password-%s\n' "$$" >"$T/wrong.pw"
chmod 0600 "$T/wrong.pw"
mount_outbox "$M" "$URL" -o "smtp_password_file=$T/wrong.pw" || bail_out "mount failed"
mkmsg "$T/w" wrongpw
cp "$T/w" "$O/wrongpw.eml"
ok $? "a refused SMTP login: cp returns 0, the message is queued"
like "$(getfattr --absolute-names --only-values -n user.mailfs.status "$O/wrongpw.eml")" \
    "^deferred" "its status says deferred"
sleep 1
is "$(imap2 count INBOX)" 3 "nothing delivered"
# Retried every second here: rm is refused (EBUSY) while a try runs.
wait_for 20 sh -c "rm '$O/wrongpw.eml' 2>/dev/null"
ok $? "rm removes it between tries"
unmount_traced "$M"
! grep -q "not-the-password-$$" "$T"/mailfs.*.log
ok $? "the password is in no log"
done_testing
