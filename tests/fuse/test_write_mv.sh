#!/bin/bash
# mv of messages: across folders (UID MOVE; flags and INTERNALDATE travel;
# the name stays, so `cat B/x.eml` works right after), within a folder
# (only the name changes), onto an existing message (refused with EEXIST:
# both stay), and the names survive a remount.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/harness/lib.sh"
. "$top_srcdir/tests/fuse/mount.sh"
need_fuse
start_dovecot
T=$MAILFS_TEST_TMP
printf 'Subject: x\r\nMessage-ID: <x@test>\r\n\r\nthe x message\r\n' >"$T/x"
printf 'Subject: y\r\n\r\nthe y message, longer\r\n' >"$T/y"
printf 'Subject: z\r\n\r\nz\r\n' >"$T/z"
imaptool create A >/dev/null
imaptool create B >/dev/null
ux=$(imaptool append A "$T/x" --flags '\Seen $Work' --date 1600000000)
uy=$(imaptool append A "$T/y" --date 1500000000)
uz=$(imaptool append B "$T/z")
M=$T/mnt
mount_mailfs "$M" || bail_out "mount failed"
X=$(msg_name A "$ux")
Y=$(msg_name A "$uy")
Z=$(msg_name B "$uz")

mv "$M/A/$X" "$M/B/" && cmp -s "$T/x" "$M/B/$X"
ok $? "mv A/x B/ && cmp B/x: the moved message reads under its name"
[ ! -e "$M/A/$X" ]
ok $? "it is gone from A"
is "$(getfattr --absolute-names --only-values -n user.imap.flags "$M/B/$X")" '\Seen $Work' \
    "its flags came along"
is "$(stat -c %Y "$M/B/$X")" 1600000000 "its mtime (INTERNALDATE) came along"

mv "$M/B/$X" "$M/B/renamed.eml" && cmp -s "$T/x" "$M/B/renamed.eml"
ok $? "mv within a folder renames"
[ ! -e "$M/B/$X" ]
ok $? "the old name is gone"

mv "$M/A/$Y" "$M/B/$Z" 2>"$T/err"
isnt $? 0 "mv onto an existing message fails"
like "$(cat "$T/err")" "File exists" "with EEXIST"
cmp -s "$T/y" "$M/A/$Y" && cmp -s "$T/z" "$M/B/$Z"
ok $? "and both stay as they were"
mv "$M/B/renamed.eml" "$M/B/$Z" 2>"$T/err"
like "$(cat "$T/err")" "File exists" "within a folder too"
cmp -s "$T/x" "$M/B/renamed.eml" && cmp -s "$T/z" "$M/B/$Z"
ok $? "and both stay as they were"

# One connection checks everything on the server.
imap_py "
import re, time
def dump(f):
    imaptool.select(m, f, True)
    out = []
    for u in imaptool.uid_search(m):
        typ, d = m.uid('FETCH', str(u), '(FLAGS INTERNALDATE BODY.PEEK[])')
        head, body = d[0]
        fl = [x for x in re.search(rb'FLAGS \(([^)]*)\)', head).group(1).decode().split()
            if x != '\\\\Recent']
        date = int(time.mktime(imaptool.imaplib.Internaldate2tuple(head)))
        out.append('%s|%d|%s' % (' '.join(sorted(fl)), date, body.decode().split('\r\n')[0]))
    return sorted(out)
print('A', ' '.join(dump('A')))
print('B', ' '.join(dump('B')))
" >"$T/server" 2>&1
is "$(sed -n 1p "$T/server")" "A |1500000000|Subject: y" "A holds y on the server"
like "$(sed -n 2p "$T/server")" '[$]Work [\\]Seen[|]1600000000[|]Subject: x' "B holds x with its flags and INTERNALDATE"
like "$(sed -n 2p "$T/server")" "Subject: z" "and z"
unlike_y=$(sed -n 2p "$T/server" | grep -c "Subject: y")
is "$unlike_y" 0 "and not y"

fusermount3 -u "$M"
mount_mailfs "$M" || bail_out "remount failed"
is "$(ls "$M/B" | tr '\n' ' ')" "$Z renamed.eml " "the names survive a remount"
cmp -s "$T/x" "$M/B/renamed.eml"
ok $? "and read the same"
done_testing
