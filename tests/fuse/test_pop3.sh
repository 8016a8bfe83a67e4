#!/bin/bash
# A POP3 maildrop mounted (pop3s://): INBOX/ holds one file a message,
# named after its UIDL, byte for byte what RETR gives, st_size right
# (also where LIST's size is not RETR's length),
# user.pop3.uidl, mtime from Date:; grep -r and rsync -a; rm and mv out
# delete exactly those messages (seen over POP3 and IMAP); new mail shows
# after the refresh; names are the same after a remount; nothing can be
# added or renamed.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/harness/lib.sh"
. "$top_srcdir/tests/fuse/mount.sh"
need_fuse
command -v rsync >/dev/null || skip_all "rsync is missing"
start_dovecot --pop3
. "$top_srcdir/tests/fuse/pop3.sh"
T=$MAILFS_TEST_TMP
M=$T/mnt

python3 - "$T/msgs" <<'PY' || bail_out "cannot write the messages"
import os, sys
out = sys.argv[1]
os.makedirs(out)
bodies = [
    'Date: Tue, 1 Jul 2003 10:52:37 +0200\r\nSubject: one\r\n\r\nneedle-p0p3 here\r\n',
    'Subject: dots\r\n\r\n.leading dot\r\n..two dots\r\n.\r\nend\r\n',
    'Date: 2 Jan 2024 00:00:00 GMT\r\nSubject: big\r\n\r\n' + 'x' * 998 + '\r\n' * 1 +
        ('line of a big message\r\n' * 60000),
    'Subject: four\r\n\r\nfour\r\n',
    'Subject: five\r\n\r\nfive\r\n',
    # LIST says 2 bytes less than RETR gives: Dovecot adds the line end
    'Subject: no end\r\n\r\nno final line end',
]
for i, b in enumerate(bodies):
    with open('%s/%d.eml' % (out, i), 'w', newline='') as f:
        f.write(b)
PY
for f in "$T"/msgs/*.eml; do
	imaptool append INBOX "$f" >/dev/null || bail_out "append failed"
done

mount_pop3 "$M"
ok $? "mailfs mounts pop3s://"
is "$(ls "$M")" "INBOX" "the mount shows one folder, INBOX"

# The server's view: UIDL<TAB>number, and each message as RETR gives it.
mkdir -p "$T/server"
pop3_py "
for i, u in enumerate(uidls()):
    open('$T/server/' + u + '.eml', 'wb').write(retr(i + 1))
" || bail_out "cannot read the maildrop"
is "$(pop3_py "print(sum(int(l.split()[1]) != len(retr(int(l.split()[0])))
    for l in p.list()[1]))")" 1 "(LIST's size is not RETR's length for one message)"
is "$(ls "$M/INBOX")" "$(ls "$T/server")" "one file a message, named UIDL.eml"
# First, before anything was read: sizes are LIST's until then.
rsync -a "$M/" "$T/copy/" && diff -r "$T/server" "$T/copy/INBOX" >/dev/null
ok $? "rsync -a copies the maildrop whole"
diff -r "$T/server" "$M/INBOX" >"$T/diff" 2>&1
ok $? "every message is byte for byte what RETR gives" || diag "$(head -5 "$T/diff")"
bad=0
for f in "$T"/server/*.eml; do
	[ "$(stat -c %s "$M/INBOX/${f##*/}")" = "$(stat -c %s "$f")" ] ||
	    { diag "st_size differs: ${f##*/}"; bad=1; }
done
ok $bad "st_size is the length of every message (LIST's corrected where it lied)"
first=$(ls "$T/server" | head -1)
is "$(getfattr --only-values -n user.pop3.uidl "$M/INBOX/$first" 2>/dev/null)" "${first%.eml}" \
    "user.pop3.uidl is the UIDL"
bad=0
for f in "$M"/INBOX/*; do
	for a in $(getfattr -d -m - "$f" 2>/dev/null | sed -n 's/=.*//p'); do
		getfattr -n "$a" "$f" >/dev/null 2>&1 || { diag "$a unreadable"; bad=1; }
	done
done
ok $bad "every attribute listed can be read"
one=$(grep -l needle-p0p3 "$T"/server/*.eml)
is "$(stat -c %Y "$M/INBOX/${one##*/}")" 1057049557 "mtime is the Date: header's"
like "$(grep -rl needle-p0p3 "$M")" "INBOX/${one##*/}\$" "grep -r finds the message"

touch "$M/INBOX/new.eml" 2>"$T/err"
like "$(cat "$T/err")" "Read-only file system" "a new file is refused (EROFS)"
mkdir "$M/INBOX/d" 2>"$T/err"
like "$(cat "$T/err")" "Read-only file system" "mkdir is refused (EROFS)"
mv "$M/INBOX/$first" "$M/INBOX/renamed.eml" 2>"$T/err"
like "$(cat "$T/err")" "Read-only file system" "a rename inside is refused (EROFS)"
setfattr -n user.imap.flags -v '\Flagged' "$M/INBOX/$first" 2>"$T/err"
like "$(cat "$T/err")" "Operation not permitted" "setfattr of flags is refused (EPERM)"
rmdir "$M/INBOX" 2>"$T/err"
ok $((! $?)) "rmdir INBOX is refused: $(sed 's/.*: //' "$T/err")"
is "$(ls "$M/INBOX" | wc -l)" 6 "nothing changed"

# rm and mv out: exactly those go, on the server.
dots=$(grep -l 'leading dot' "$T"/server/*.eml)
rm "$M/INBOX/${dots##*/}"
ok $? "rm of a message"
mkdir -p "$T/saved"
mv "$M/INBOX/${one##*/}" "$T/saved/"
ok $? "mv of a message out of the mount"
cmp -s "$T/saved/${one##*/}" "$one"
ok $? "the message moved out is whole"
pop3_py "print('\n'.join(sorted(uidls())))" >"$T/left"
ls "$T/server" | sed 's/\.eml$//' | grep -vxF -e "$(basename "${dots%.eml}")" \
    -e "$(basename "${one%.eml}")" >"$T/want"
is "$(cat "$T/left")" "$(cat "$T/want")" "over POP3: exactly those two are gone"
is "$(imaptool count INBOX)" 4 "over IMAP: four messages are left"
is "$(ls "$M/INBOX")" "$(sed 's/$/.eml/' "$T/want")" "the mount shows the four"

# New mail shows after the refresh.
printf 'Subject: late\r\n\r\nlate mail\r\n' >"$T/late.eml"
imaptool append INBOX "$T/late.eml" >/dev/null
wait_for 15 sh -c "[ \$(ls '$M/INBOX' | wc -l) = 5 ]"
is "$(ls "$M/INBOX" | wc -l)" 5 "new mail appears after the refresh"
ls "$M/INBOX" >"$T/before"

fusermount3 -u "$M"
wait_for 30 sh -c "! kill -0 $mailfs_pid 2>/dev/null"
mount_pop3 "$M"
ok $? "mounts again"
is "$(ls "$M/INBOX")" "$(cat "$T/before")" "the names are the same after a remount"
late=$(grep -l 'late mail' "$M"/INBOX/*)
cmp -s "$late" "$T/late.eml"
ok $? "the new message reads whole"

done_testing
