#!/bin/bash
# A UIDL the server gives again to another message, once the one it named
# is gone (RFC 1939 only says it SHOULD NOT): the map gives it the old
# message's UID, but its size differs, so the store's copy is not taken
# for it: its file shows its own bytes.  (Of the same size and date it
# would be: nothing POP3 says tells the two apart.)
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/harness/lib.sh"
. "$top_srcdir/tests/fuse/mount.sh"
need_fuse
start_dovecot --pop3
. "$top_srcdir/tests/fuse/pop3.sh"
T=$MAILFS_TEST_TMP
M=$T/mnt

printf 'Subject: first\r\n\r\nthe first message\r\n' >"$T/a.eml"
printf 'Subject: second\r\n\r\nanother message, longer than the first\r\n' >"$T/b.eml"
imaptool append INBOX "$T/a.eml" >/dev/null || bail_out "append failed"

mount_pop3 "$M" || bail_out "mount failed"
name=$(ls "$M/INBOX")
cmp -s "$M/INBOX/$name" "$T/a.eml"
ok $? "the message is read (and kept in the store)"
fusermount3 -u "$M"
wait_for 30 sh -c "! kill -0 $mailfs_pid 2>/dev/null"

# The server's side: the Maildir's one message replaced by another under
# the same UID and UIDVALIDITY, hence the same UIDL (Dovecot's %08Xu%08Xv).
python3 - "$DOVECOT_DIR/mail" "$T/b.eml" <<'PY' || bail_out "cannot rewrite the Maildir"
import glob, os, shutil, sys
md, b = sys.argv[1], sys.argv[2]
head = open(md + '/dovecot-uidlist').readline()
for f in glob.glob(md + '/cur/*') + glob.glob(md + '/new/*') + glob.glob(md + '/dovecot.index*'):
    os.unlink(f)
shutil.copy(b, md + '/cur/reused.1:2,S')
with open(md + '/dovecot-uidlist', 'w') as f:
    f.write(head + '1 :reused.1\n')
PY
is "$(pop3_py "print(uidls()[0])").eml" "$name" "(the server gives the UIDL to another message)"

mount_pop3 "$M" || bail_out "mount failed"
is "$(ls "$M/INBOX")" "$name" "the file has the UIDL's name"
cmp -s "$M/INBOX/$name" "$T/b.eml"
ok $? "its bytes are the new message's, not the old one's kept in the store" ||
    diag "$(cat "$M/INBOX/$name")"
fusermount3 -u "$M"
wait_for 30 sh -c "! kill -0 $mailfs_pid 2>/dev/null"
done_testing
