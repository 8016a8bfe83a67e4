#!/bin/bash
# The mount read with the real tools: ls -l, find, cat, grep -r, stat, df;
# folders with umlauts, nested, \Noselect; reading never sets \Seen.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/harness/lib.sh"
. "$top_srcdir/tests/fuse/mount.sh"
need_fuse
start_dovecot
imaptool seed-demo >/dev/null || bail_out "seed-demo failed"
# a.b without a: a level of the hierarchy that is no mailbox
imaptool create "Ebene.Unten" >/dev/null
printf 'From: a@example.org\r\nSubject: deep\r\n\r\nneedle-7e1f in a nested folder\r\n' >"$MAILFS_TEST_TMP/deep.eml"
deep_uid=$(imaptool append "Ebene.Unten" "$MAILFS_TEST_TMP/deep.eml")
M=$MAILFS_TEST_TMP/mnt

mount_mailfs "$M"
ok $? "mailfs mounts and returns"
mountpoint -q "$M"
ok $? "the mount is there when mailfs returns"

ls -l "$M" >"$MAILFS_TEST_TMP/ls" 2>&1
ok $? "ls -l of the root"
for f in INBOX "Schöne Grüße" Projects Archiv Ebene; do
	[ -d "$M/$f" ]
	ok $? "folder '$f' is a directory"
done
[ -d "$M/Projects/mailfs" ]
ok $? "the nested folder Projects.mailfs is Projects/mailfs"
[ -d "$M/Ebene/Unten" ] && [ -z "$(find "$M/Ebene" -maxdepth 1 -type f)" ]
ok $? "Ebene (no mailbox of its own) holds only its subfolder"

is "$(ls "$M/INBOX" | wc -l)" "$(imaptool count INBOX)" "ls INBOX shows one file per message"
like "$(ls "$M/INBOX" | head -1)" '^[0-9]{10}-[0-9]{10}\.eml$' \
    "message files are named UIDVALIDITY-UID.eml"
is "$(ls "$M/INBOX" | head -1)" "$(msg_name INBOX "$(imaptool uids INBOX | head -1)")" \
    "the first is the first UID's"
dump_server "$MAILFS_TEST_TMP/server" || bail_out "cannot read the server"
is "$(find "$M" -type f | wc -l)" "$(find "$MAILFS_TEST_TMP/server" -type f | wc -l)" \
    "find sees every message"
diff -r "$MAILFS_TEST_TMP/server" "$M" >"$MAILFS_TEST_TMP/diff" 2>&1
ok $? "every message read through the mount equals the server's bytes" ||
    diag "$(head -5 "$MAILFS_TEST_TMP/diff")"
bad=0
while IFS= read -r p; do
	[ "$(stat -c %s "$M/${p#./}")" = "$(stat -c %s "$MAILFS_TEST_TMP/server/${p#./}")" ] ||
	    { diag "st_size differs: $p"; bad=1; }
done < <(cd "$MAILFS_TEST_TMP/server" && find . -type f)
ok $bad "st_size is the length of every message"

p=$M/$(path_of Ebene.Unten "$deep_uid")
grep -rl needle-7e1f "$M" >"$MAILFS_TEST_TMP/grep"
is "$(cat "$MAILFS_TEST_TMP/grep")" "$p" "grep -r finds the message in the nested folder"

is "$(stat -c %a "$p")" 600 "messages are mode 0600"
is "$(stat -c %a "$M/INBOX")" 700 "folders are mode 0700"
is "$(stat -c %u "$p")" "$(id -u)" "owned by the mounting user"
is "$(stat -c %h "$p")" 1 "a message has one link"
date_file=$MAILFS_TEST_TMP/dated.eml
printf 'Subject: dated\r\n\r\nold\r\n' >"$date_file"
uid=$(imaptool append INBOX "$date_file" --date 1000000000)
sleep 2.5
is "$(stat -c %Y "$M/$(path_of INBOX "$uid")")" 1000000000 "st_mtime is the INTERNALDATE"

# Reading never sets \Seen.
uid=$(imaptool append INBOX "$date_file")
sleep 2.5
cat "$M/$(path_of INBOX "$uid")" >/dev/null
is "$(imaptool flags INBOX "$uid")" "" "reading a message does not set \\Seen"

df "$M" >/dev/null 2>&1
ok $? "df works on the mount"
ls "$M/$(path_of INBOX 99)" >/dev/null 2>&1
isnt $? 0 "a message that does not exist is ENOENT"
done_testing
