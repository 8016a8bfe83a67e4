#!/bin/bash
# Keeping in step: new mail, expunged messages, new and deleted folders
# show within the refresh interval (-o refresh=1).
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/harness/lib.sh"
. "$top_srcdir/tests/fuse/mount.sh"
need_fuse
start_dovecot
printf 'Subject: one\r\n\r\nfirst\r\n' >"$MAILFS_TEST_TMP/1.eml"
printf 'Subject: two\r\n\r\nsecond message\r\n' >"$MAILFS_TEST_TMP/2.eml"
u1=$(imaptool append INBOX "$MAILFS_TEST_TMP/1.eml")
M=$MAILFS_TEST_TMP/mnt
# The folder deleted by another client while a refresh reads it.
expect_log '^mailfs: warning: cannot fetch messages [0-9:,]+ of "Box": .*Mailbox was deleted under us'
mount_mailfs "$M" || bail_out "mount failed"

is "$(ls "$M/INBOX")" "$(msg_name INBOX "$u1")" "the mount shows the one message"
cat "$M/INBOX/"* >/dev/null

u2=$(imaptool append INBOX "$MAILFS_TEST_TMP/2.eml")
wait_for 5 test -f "$M/$(path_of INBOX "$u2")"
ok $? "new mail appears within the refresh interval"
cmp -s "$MAILFS_TEST_TMP/2.eml" "$M/$(path_of INBOX "$u2")"
ok $? "and reads as delivered"

imap_py "
imaptool.select(m, 'INBOX', False)
m.uid('STORE', '$u1', '+FLAGS.SILENT', '(\\\\Deleted)')
m.expunge()"
wait_for 5 test ! -e "$M/$(path_of INBOX "$u1")"
ok $? "an expunged message disappears"
is "$(ls "$M/INBOX" | wc -l)" 1 "ls shows what is left"

imaptool create "Neu.Ordner" >/dev/null
wait_for 5 test -d "$M/Neu/Ordner"
ok $? "a new folder appears"
imaptool delete "Neu.Ordner" >/dev/null
wait_for 5 test ! -e "$M/Neu/Ordner"
ok $? "a deleted folder disappears"

# A new UIDVALIDITY: the folder deleted and made again with other mail.
imaptool create Box >/dev/null
ub=$(imaptool append Box "$MAILFS_TEST_TMP/1.eml")
wait_for 5 test -f "$M/$(path_of Box "$ub")"
ok $? "a folder's message shows"
imaptool delete Box >/dev/null
imaptool create Box >/dev/null
ub2=$(imaptool append Box "$MAILFS_TEST_TMP/2.eml")
wait_for 5 cmp -s "$MAILFS_TEST_TMP/2.eml" "$M/$(path_of Box "$ub2")"
ok $? "after a new UIDVALIDITY the folder shows the new generation's bytes"
done_testing
