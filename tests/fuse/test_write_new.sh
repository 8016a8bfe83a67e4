#!/bin/bash
# New files: cp, cp -p (INTERNALDATE = mtime), cat >, an editor's save
# (a temporary file renamed over a message), a dot-file that is uploaded
# only once renamed, and user.imap.flags set before and after the upload.
# Each becomes exactly one message of exactly those bytes (LF -> CRLF).
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/harness/lib.sh"
. "$top_srcdir/tests/fuse/mount.sh"
need_fuse
command -v setfattr >/dev/null || skip_all "setfattr is missing (Debian package attr)"
start_dovecot
T=$MAILFS_TEST_TMP
M=$T/mnt
I=$M/INBOX
crlf() { sed 's/$/\r/' "$1"; }
mkmsg() { printf 'From: a@example.org\nSubject: %s\nMessage-ID: <%s@test>\n\n%s body\n' "$1" "$1" "$1" >"$T/$1"; }
for n in cp cpp cat save dot flags; do mkmsg $n; done
printf 'Subject: old\r\n\r\nold version\r\n' >"$T/old"
uold=$(imaptool append INBOX "$T/old")
OLD=$(msg_name INBOX "$uold")
mount_mailfs "$M" || bail_out "mount failed"

cp "$T/cp" "$I/cp.eml"
ok $? "cp into a folder"
cmp -s <(crlf "$T/cp") "$I/cp.eml"
ok $? "reads back right after, as the server holds it (CRLF)"
is "$(stat -c %s "$I/cp.eml")" "$(crlf "$T/cp" | wc -c)" "st_size is the uploaded size"

touch -d @1234567890 "$T/cpp"
cp -p "$T/cpp" "$I/cpp.eml"
ok $? "cp -p"
is "$(stat -c %Y "$I/cpp.eml")" 1234567890 "mtime kept"

cat "$T/cat" >"$I/cat.eml"
ok $? "cat > F"

printf 'Subject: new\r\n\r\nnew version\r\n' >"$I/.$OLD.swp" && mv "$I/.$OLD.swp" "$I/$OLD"
ok $? "an editor's save: a temporary file renamed over a message"
is "$(cat "$I/$OLD")" "$(printf 'Subject: new\r\n\r\nnew version\r')" "the name reads the new version"

cp "$T/dot" "$I/.dot.eml"
is "$(imaptool count INBOX)" 4 "a dot-file is not uploaded"
cmp -s "$T/dot" "$I/.dot.eml"
ok $? "but reads as written while staged"
like "$(ls -a "$I")" "\.dot\.eml" "and is listed"

cp "$T/flags" "$I/.flags.tmp"
setfattr -n user.imap.flags -v '\Flagged $Todo' "$I/.flags.tmp" &&
    setfattr -n user.imap.uid -v 4711 "$I/.flags.tmp" && touch -d @1300000000 "$I/.flags.tmp"
ok $? "setfattr (user.imap.uid accepted too) and touch on a staged file"
is "$(getfattr --absolute-names --only-values -n user.imap.flags "$I/.flags.tmp")" '\Flagged $Todo' \
    "a staged file keeps its flags"
mv "$I/.flags.tmp" "$I/flags.eml"
ok $? "rename of the dot-file to a visible name uploads it"
mv "$I/.dot.eml" "$I/dot.eml"
setfattr -n user.imap.flags -v '\Seen' "$I/dot.eml"
ok $? "setfattr after the upload"

imap_py "
import hashlib, re, time
imaptool.select(m, 'INBOX', True)
for u in imaptool.uid_search(m):
    typ, d = m.uid('FETCH', str(u), '(FLAGS INTERNALDATE BODY.PEEK[])')
    head, body = d[0]
    fl = [x for x in re.search(rb'FLAGS \(([^)]*)\)', head).group(1).decode().split()
        if x != '\\\\\\\\Recent']
    date = int(time.mktime(imaptool.imaplib.Internaldate2tuple(head)))
    print('%s|%d|%s' % (hashlib.md5(body).hexdigest(), date, ' '.join(sorted(fl))))
" >"$T/server" 2>&1
md5() { crlf "$T/$1" | md5sum | cut -d' ' -f1; }
is "$(wc -l <"$T/server")" 6 "the server holds six messages: one per file, the old version gone"
grep -q "^$(md5 cp)|" "$T/server"
ok $? "cp's bytes"
grep -q "^$(md5 cpp)|1234567890|" "$T/server"
ok $? "cp -p's bytes with INTERNALDATE from the mtime"
grep -q "^$(md5 cat)|" "$T/server"
ok $? "cat's bytes"
grep -q "^$(printf 'Subject: new\r\n\r\nnew version\r\n' | md5sum | cut -d' ' -f1)|" "$T/server" &&
    ! grep -q "^$(md5sum <"$T/old" | cut -d' ' -f1)|" "$T/server"
ok $? "the saved version replaced the old one"
grep -q "^$(md5 flags)|1300000000|\$Todo \\\\Flagged$" "$T/server"
ok $? "flags and INTERNALDATE set while staged"
grep -q "^$(md5 dot)|.*|\\\\Seen$" "$T/server"
ok $? "flags set after the upload reach the server"
done_testing
