#!/bin/bash
# rm: UID STORE \Deleted + UID EXPUNGE of that UID alone; messages that
# another client marked \Deleted stay.  -o delete=trash moves to \Trash.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/harness/lib.sh"
. "$top_srcdir/tests/fuse/mount.sh"
need_fuse
start_dovecot
for i in 1 2 3 4 5 6; do
	printf 'Subject: m%s\r\nMessage-ID: <m%s@test>\r\n\r\nbody %s\r\n' $i $i $i >"$MAILFS_TEST_TMP/$i.eml"
	eval "u$i=\$(imaptool append INBOX \"\$MAILFS_TEST_TMP/$i.eml\")"
done
imaptool store INBOX "$u2" '\Deleted' >/dev/null
imaptool store INBOX "$u5" '\Deleted \Seen' >/dev/null
M=$MAILFS_TEST_TMP/mnt
mount_mailfs "$M" || bail_out "mount failed"
I=$M/INBOX

rm "$I/$(msg_name INBOX "$u1")"
ok $? "rm of one message"
rm "$I/$(msg_name INBOX "$u3")" "$I/$(msg_name INBOX "$u4")"
ok $? "rm of two messages"
is "$(imaptool uids INBOX | tr '\n' ' ')" "$u2 $u5 $u6 " \
    "the server holds exactly the others, \\Deleted ones included"
is "$(ls "$I" | wc -l)" 3 "ls shows the three left"
rm "$I/nonexistent.eml" 2>/dev/null
isnt $? 0 "rm of a name that is no message fails"
fusermount3 -u "$M"

# delete=trash: a \Trash folder (SPECIAL-USE) receives it.
# (the test Dovecot gives the folder Trash the special use \Trash)
imaptool create Trash >/dev/null 2>&1 || true
mount_mailfs "$M" -o delete=trash || bail_out "mount failed"
n6=$(msg_name INBOX "$u6")
rm "$I/$n6"
ok $? "rm with delete=trash"
is "$(imaptool uids INBOX | tr '\n' ' ')" "$u2 $u5 " "the message left INBOX"
is "$(imaptool count Trash)" 1 "and is in the \\Trash folder"
f=$(ls "$M/Trash")
is "$f" "$n6" "under the name it had"
rm "$M/Trash/$f"
ok $? "rm inside the Trash"
is "$(imaptool count Trash)" 0 "expunges"
done_testing
