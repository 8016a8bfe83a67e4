#!/bin/bash
# Folders: mkdir (CREATE, nested, umlauts), rmdir (DELETE only of a folder
# without messages or children, else ENOTEMPTY and nothing changes), and
# mv of a folder with messages (RENAME).
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/harness/lib.sh"
. "$top_srcdir/tests/fuse/mount.sh"
need_fuse
start_dovecot
T=$MAILFS_TEST_TMP
printf 'Subject: kept\r\n\r\nkept\r\n' >"$T/k"
imaptool create Voll >/dev/null
uk=$(imaptool append Voll "$T/k")
M=$T/mnt
mount_mailfs "$M" || bail_out "mount failed"

mkdir "$M/Bücher" && mkdir -p "$M/Bücher/Übersee/Südsee"
ok $? "mkdir and mkdir -p of nested folders with umlauts"
[ -d "$M/Bücher/Übersee/Südsee" ]
ok $? "they are directories at once"
mkdir "$M/Bücher" 2>/dev/null
isnt $? 0 "mkdir of an existing folder fails"
mkdir "$M/a.b" 2>/dev/null
isnt $? 0 "mkdir of a name holding the hierarchy delimiter fails"

rmdir "$M/Voll" 2>"$T/err"
isnt $? 0 "rmdir of a folder with a message fails"
like "$(cat "$T/err")" "not empty" "with ENOTEMPTY"
rmdir "$M/Bücher" 2>"$T/err"
like "$(cat "$T/err")" "not empty" "rmdir of a folder with children: ENOTEMPTY"
imaptool create "Bücher.Übersee.Südsee.Tief" >/dev/null
rmdir "$M/Bücher/Übersee/Südsee" 2>"$T/err"
like "$(cat "$T/err")" "not empty" "rmdir of a folder whose child only the server knows yet: ENOTEMPTY"
wait_for 5 test -d "$M/Bücher/Übersee/Südsee/Tief" && rmdir "$M/Bücher/Übersee/Südsee/Tief"
ok $? "rmdir of an empty folder"

mv "$M/Voll" "$M/Bücher/Voll2"
ok $? "mv of a folder with messages"
cmp -s "$T/k" "$M/$(path_of Bücher.Voll2 "$uk")"
ok $? "its message reads at the new place"
[ ! -e "$M/Voll" ]
ok $? "the old name is gone"

is "$(imaptool list | grep -v '^INBOX$\|^Drafts$\|^Sent$\|^Trash$\|^Junk$' | LC_ALL=C sort | tr '\n' ' ')" \
    "Bücher Bücher.Voll2 Bücher.Übersee Bücher.Übersee.Südsee " \
    "the server holds exactly these folders"
is "$(imaptool uids "Bücher.Voll2")" "$uk" "and the message went with its folder"
done_testing
