#!/bin/bash
# Sending by writing into Outbox/ (-o smtp=smtps://..., a real Postfix in
# front of the test Dovecot): cp, cat >, rsync and an editor's save each send
# once, delivered byte for byte apart from the trace headers, Bcc: removed
# from what went and kept in the Sent copy, which is filed once with
# \Seen; Date: and Message-ID: added when missing; an unknown recipient,
# a partly refused message and a malformed one fail at close() with the
# reason in user.mailfs.error, the file kept.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/harness/lib.sh"
. "$top_srcdir/tests/fuse/mount.sh"
. "$top_srcdir/tests/fuse/outbox.sh"
start_mail
expect_log 'Outbox/(nobody|partial|nofrom|longline|later)\.eml'
mkmsg()
{
	# mkmsg FILE SUBJECT TO [EXTRA HEADER LINES]
	printf 'From: Tester <%s>\nTo: %s\n%sSubject: %s\nDate: Sat, 28 Nov 2026 10:00:00 +0000\nMessage-ID: <%s@outbox.test>\n\n%s body\n' \
	    "$TEST_ADDR" "$3" "${4:-}" "$2" "$2" "$2" >"$1"
}
last2() { imap2 uids INBOX | tail -n 1; }
sent_uids() { imaptool uids Sent; }

mount_outbox "$M" "smtps://$TEST_USER@127.0.0.1:$SMTPS_PORT" || bail_out "mount failed"
like "$(ls "$M")" "Outbox" "the root lists Outbox"
is "$(ls -A "$O")" "" "and it is empty"
is "$(imaptool count Sent)" 0 "Sent is empty"

# cp, with a Bcc: to the first user.
mkmsg "$T/cp" cp "$TEST_ADDR2" "Bcc: $TEST_ADDR
"
cp "$T/cp" "$O/cp.eml"
ok $? "cp into Outbox/ returns 0"
is "$(ls -A "$O")" "" "the message left Outbox/"
wait_count2 1
ok $? "the second user got it"
cmp -s <(grep -v '^Bcc:' "$T/cp" | sed 's/$/\r/') <(delivered2 "$(last2)")
ok $? "delivered byte for byte, Bcc: removed, apart from the trace headers"
wait_for 30 sh -c "[ \"\$('$PYTHON' '$HARNESS_DIR/imaptool.py' count INBOX)\" = 1 ]"
ok $? "the Bcc: recipient got it"
is "$(imaptool count Sent)" 1 "one copy in Sent"
u=$(sent_uids | tail -n 1)
cmp -s <(crlf "$T/cp") <(imaptool fetch Sent "$u")
ok $? "the Sent copy is the message with its Bcc:"
is "$(imaptool flags Sent "$u")" '\Seen' "the Sent copy is \\Seen"

# cat >
mkmsg "$T/cat" cat "$TEST_ADDR2"
cat "$T/cat" >"$O/cat.eml"
ok $? "cat > Outbox/F returns 0"
wait_count2 2
cmp -s <(crlf "$T/cat") <(delivered2 "$(last2)")
ok $? "cat >: delivered byte for byte"

# An editor's save: a hidden temporary name, then a rename.
mkmsg "$T/save" save "$TEST_ADDR2"
cp "$T/save" "$O/.save.eml.swp"
ok $? "a hidden name is written"
sleep 1
is "$(imap2 count INBOX)" 2 "and not sent"
is "$(getfattr --absolute-names --only-values -n user.mailfs.status "$O/.save.eml.swp")" \
    "draft: a hidden name is not sent" "its status says why"
mv "$O/.save.eml.swp" "$O/save.eml"
ok $? "the rename to a visible name returns 0"
wait_count2 3
cmp -s <(crlf "$T/save") <(delivered2 "$(last2)")
ok $? "the save: delivered byte for byte"
is "$(ls -A "$O")" "" "and it left Outbox/"

# rsync: a hidden temporary name, its times set, then the rename.
mkmsg "$T/rsync.eml" rsync "$TEST_ADDR2"
rsync -t "$T/rsync.eml" "$O/"
ok $? "rsync into Outbox/"
wait_count2 4
cmp -s <(crlf "$T/rsync.eml") <(delivered2 "$(last2)")
ok $? "rsync: delivered byte for byte"

# Date: and Message-ID: added.
printf 'From: %s\nTo: %s\nSubject: bare\n\nbare body\n' "$TEST_ADDR" "$TEST_ADDR2" >"$T/bare"
cp "$T/bare" "$O/bare.eml"
ok $? "a message without Date: and Message-ID:"
wait_count2 5
d=$(delivered2 "$(last2)")
like "$d" $'\nDate: [A-Z][a-z][a-z], [0-9]+ [A-Z][a-z][a-z] 20[0-9][0-9] ' "Date: added"
mid=$(printf '%s\n' "$d" | sed -n 's/^Message-ID: \(<[^>]*@example.test>\)\r$/\1/p')
like "$mid" '^<[0-9a-f.]+@example.test>$' "Message-ID: added, at the sender's domain"
like "$(imaptool fetch Sent "$(sent_uids | tail -n 1)")" "Message-ID: $mid" \
    "the Sent copy has the same Message-ID"
is "$(imaptool count Sent)" 5 "each sent message filed once"

# An unknown recipient: 550 5.1.1.
mkmsg "$T/nobody" nobody "nobody@$SMTP_DOMAIN"
cp "$T/nobody" "$O/nobody.eml" 2>"$T/err"
isnt $? 0 "an unknown recipient: cp fails"
like "$(cat "$T/err")" "Input/output error" "with EIO"
cmp -s "$T/nobody" "$O/nobody.eml"
ok $? "the file stays, unchanged"
like "$(getfattr --absolute-names --only-values -n user.mailfs.error "$O/nobody.eml")" \
    "^550 5\.1\.1 <nobody@$SMTP_DOMAIN>: Recipient address rejected" \
    "user.mailfs.error holds the server's reply"
is "$(getfattr --absolute-names --only-values -n user.mailfs.status "$O/nobody.eml")" \
    failed "user.mailfs.status says failed"
is "$(imaptool count Sent)" 5 "nothing filed"
rm "$O/nobody.eml"
ok $? "rm removes it"

# A temporary failure from a running server (450): queued, close() returns 0.
mkmsg "$T/later" later "$SMTP_TEMPFAIL_ADDR"
cp "$T/later" "$O/later.eml"
ok $? "a 450 from the server: cp returns 0, the message is queued"
like "$(getfattr --absolute-names --only-values -n user.mailfs.status "$O/later.eml")" \
    "^deferred: attempt 1 failed, next at " "user.mailfs.status says deferred"
like "$(getfattr --absolute-names --only-values -n user.mailfs.error "$O/later.eml")" \
    "^450 4\.2\.0 " "user.mailfs.error holds the 450 reply"
is "$(imaptool count Sent)" 5 "nothing filed"
rm "$O/later.eml"
ok $? "rm removes the queued message"

# Partly refused: sent to the others, filed, close() fails.
mkmsg "$T/partial" partial "$TEST_ADDR2, nobody@$SMTP_DOMAIN"
cp "$T/partial" "$O/partial.eml" 2>/dev/null
isnt $? 0 "one recipient refused of two: cp fails"
wait_count2 6
ok $? "the other got it"
is "$(imaptool count Sent)" 6 "it is filed in Sent"
is "$(ls "$O" | grep -c partial)" 0 "it leaves Outbox/: it was sent"
f=
for i in $(seq 50); do
	f=$(grep -l '^Subject: partial' "$M"/Sent/* 2>/dev/null | head -n 1)
	[ -n "$f" ] && break
	sleep 0.1
done
like "$(getfattr --absolute-names --only-values -n user.mailfs.error "$f")" \
    "^refused: 550 5\.1\.1 <nobody@$SMTP_DOMAIN>" \
    "the Sent copy's user.mailfs.error names the refused recipient"
like "$(getfattr --absolute-names -d "$f")" "user.mailfs.error=" "and getfattr -d lists it"
setfattr -n user.mailfs.error -v "$(getfattr --absolute-names --only-values \
    -n user.mailfs.error "$f")" "$f"
ok $? "setting it to its value succeeds (rsync -X writes back what it read)"
setfattr -n user.mailfs.error -v other "$f" 2>/dev/null
isnt $? 0 "any other value fails: it is read-only"

# Malformed: EINVAL, nothing sent.
printf 'To: %s\nSubject: no from\n\nbody\n' "$TEST_ADDR2" >"$T/nofrom"
cp "$T/nofrom" "$O/nofrom.eml" 2>"$T/err"
isnt $? 0 "no From:: cp fails"
like "$(cat "$T/err")" "Invalid argument" "with EINVAL"
like "$(getfattr --absolute-names --only-values -n user.mailfs.error "$O/nofrom.eml")" \
    "From" "the reason in user.mailfs.error"
{ printf 'From: %s\nTo: %s\nSubject: long\n\n' "$TEST_ADDR" "$TEST_ADDR2"
  head -c 1200 /dev/zero | tr '\0' x; echo; } >"$T/longline"
cp "$T/longline" "$O/longline.eml" 2>"$T/err"
like "$(cat "$T/err")" "Invalid argument" "a line over 998 octets: EINVAL"
like "$(getfattr --absolute-names --only-values -n user.mailfs.error "$O/longline.eml")" \
    "998" "said in user.mailfs.error"
sleep 1
is "$(imap2 count INBOX)" 6 "nothing more was delivered"
is "$(ls "$O" | sort | tr '\n' ' ')" "longline.eml nofrom.eml " \
    "ls Outbox/ shows what stays"

# A refused file, corrected and written again, is sent at its close.
mkmsg "$T/fixed" fixed "$TEST_ADDR2"
cat "$T/fixed" >"$O/nofrom.eml"
ok $? "the malformed file corrected: its close returns 0"
wait_count2 7
cmp -s <(crlf "$T/fixed") <(delivered2 "$(last2)")
ok $? "and the corrected message is delivered"
is "$(ls "$O" | sort | tr '\n' ' ')" "longline.eml " "and it left Outbox/"

# Opens without requests (fuse/vfs/file.c): once messages were read, the
# kernel opens files itself; a write into an Outbox file then comes with
# no open, and its close still sends it (and a reader's close does not).
imap_py "
for i in range(24):
    imaptool.append(m, 'INBOX', b'Subject: %d\r\n\r\nline\r\n' % i)
" || bail_out "seeding failed"
cat "$M"/INBOX/* >/dev/null && cat "$M"/INBOX/* >/dev/null
opens() { getfattr --absolute-names --only-values -n user.mailfs.requests "$M" |
    tr ' ' '\n' | sed -n 's/^open=//p'; }
before=$(opens)
like "$before" "^[0-9]+$" "opens are counted (user.mailfs.requests)"
cat "$O/longline.eml" >/dev/null
mkmsg "$T/noopen" noopen "$TEST_ADDR2"
cat "$T/noopen" >"$O/longline.eml"
ok $? "cat > over a refused file, opened by the kernel alone"
is "$(opens)" "$before" "no open reached the daemon"
wait_count2 8
cmp -s <(crlf "$T/noopen") <(delivered2 "$(last2)")
ok $? "and its close sent it"
is "$(ls -A "$O")" "" "Outbox/ is empty: a reader's close sent nothing"

mkdir "$O/d" 2>/dev/null
isnt $? 0 "mkdir in Outbox/ fails"
ln -s x "$O/l" 2>/dev/null
isnt $? 0 "symlink in Outbox/ fails"

fusermount3 -u "$M"
ok $? "unmount"
wait_for 30 sh -c "! kill -0 $mailfs_pid 2>/dev/null"
is "$(imap2 count INBOX)" 8 "the second user got each message once"
done_testing
