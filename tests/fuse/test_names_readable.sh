#!/bin/bash
# -o names=readable: message files named by date, sender and subject
# (fuse/common/readable.h) on hostile headers, listed chronologically,
# the same after a remount; the header fields as read-only xattrs
# user.mail.*; rsync -aX of the folder.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/harness/lib.sh"
. "$top_srcdir/tests/fuse/mount.sh"
need_fuse
command -v getfattr >/dev/null || skip_all "getfattr is missing (Debian package attr)"
command -v rsync >/dev/null || skip_all "rsync is missing"
start_dovecot
T=$MAILFS_TEST_TMP
long=$(printf 'Lang%.0s' $(seq 1 500))	# a 2 KB subject
i=0
add()	# add DATE FROM SUBJECT [MESSAGE-ID]: one message into INBOX
{
	i=$((i + 1))
	{
		printf 'Date: %s\r\nFrom: %s\r\nSubject: %s\r\n' "$1" "$2" "$3"
		[ -n "${4:-}" ] && printf 'Message-ID: %s\r\n' "$4"
		printf '\r\nbody %s\r\n' "$i"
	} >"$T/m$i.eml"
	imaptool append INBOX "$T/m$i.eml" >/dev/null || bail_out "append failed"
}
# Appended out of order: the names, not the UIDs, give the order.
add 'Wed, 12 Jun 2024 10:00:00 +0000' 'Bob <b@example.org>' 'later' '<3@x>'
add 'Tue, 11 Jun 2024 11:11:00 +0200' 'Anna Berger <a@example.org>' \
    '=?UTF-8?Q?Treffen_am_Donnerstag?=' '<1@x>'
add 'Mon, 10 Jun 2024 08:00:00 +0000' '=?utf-8?b?SsO8cmdlbg==?= <j@example.org>' \
    'a/b/../c' '<2@x>'
add 'Thu, 13 Jun 2024 12:00:00 +0000' 'x@example.org' "$long" '<4@x>'
add 'Fri, 14 Jun 2024 12:00:00 +0000' $'caf\xe9 <c@example.org>' $'bad \xff bytes' '<5@x>'
add 'Sat, 15 Jun 2024 12:00:00 +0000' 'Same <s@example.org>' 'same' '<6@x>'
add 'Sat, 15 Jun 2024 12:00:00 +0000' 'Same <s@example.org>' 'same' '<7@x>'
add 'Sat, 15 Jun 2024 12:00:00 +0000' 'Same <s@example.org>' 'same' '<7@x>'
printf 'Subject: no date\r\n\r\nx\r\n' >"$T/nodate.eml"
imaptool create Archive >/dev/null && imaptool append Archive "$T/nodate.eml" >/dev/null ||
    bail_out "append failed"

M=$T/mnt
mount_mailfs "$M" -o names=readable || bail_out "mount failed"
ls -1 "$M/INBOX" >"$T/ls1"
is "$(wc -l <"$T/ls1")" 8 "eight messages, eight names"
is "$(cut -c1-10 "$T/ls1" | tr '\n' ' ')" \
    "2024-06-10 2024-06-11 2024-06-12 2024-06-13 2024-06-14 2024-06-15 2024-06-15 2024-06-15 " \
    "ls lists them in the order they were written"
like "$(sed -n 2p "$T/ls1")" '^2024-06-11 09\.11 Anna Berger - Treffen am Donnerstag ~[0-9a-f]{6}\.eml$' \
    "the name: date in UTC, sender, decoded subject, tag"
like "$(sed -n 1p "$T/ls1")" '^2024-06-10 08\.00 Jürgen - a%2Fb%2F\.\.%2Fc ~' "slashes escaped"
is "$(awk '{ print length($0) }' "$T/ls1" | sort -n | tail -1 | awk '{ print ($1 <= 255) }')" 1 \
    "the 2 KB subject is cut to 255 bytes"
like "$(sed -n 5p "$T/ls1")" $'caf\xef\xbf\xbd - bad \xef\xbf\xbd bytes' "invalid bytes replaced"
is "$(grep -c -- '-2\.eml$' "$T/ls1")" 1 "two copies of one message: two names"
F=$M/INBOX/$(sed -n 2p "$T/ls1")
cmp -s "$T/m2.eml" "$F"
ok $? "a file so named holds its message"

# The header fields as read-only xattrs.
getfattr --absolute-names -d -m 'user\.mail\.' "$F" >"$T/attrs" 2>&1
ok $? "getfattr -d user.mail.*"
like "$(cat "$T/attrs")" 'user\.mail\.subject="Treffen am Donnerstag"' "user.mail.subject, decoded"
like "$(cat "$T/attrs")" 'user\.mail\.from="Anna Berger <a@example\.org>"' "user.mail.from"
like "$(cat "$T/attrs")" 'user\.mail\.date="2024-06-11T09:11:00Z"' "user.mail.date in UTC"
like "$(cat "$T/attrs")" 'user\.mail\.message-id="<1@x>"' "user.mail.message-id"
setfattr -n user.mail.subject -v 'Treffen am Donnerstag' "$F"
ok $? "setting user.mail.subject to its value succeeds (rsync -X)"
setfattr -n user.mail.subject -v other "$F" 2>/dev/null
isnt $? 0 "setting another value fails"
setfattr -x user.mail.subject "$F" 2>/dev/null
isnt $? 0 "removing it fails"
G=$(ls -d "$M"/Archive/*.eml | head -1)
is "$(getfattr --absolute-names --only-values -n user.mail.date "$G")" "" \
    "a field the message lacks is an empty value, not a missing one"

# A third message of the same minute, sender and subject renames nothing.
add 'Sat, 15 Jun 2024 12:00:30 +0000' 'Same <s@example.org>' 'same' '<8@x>'
wait_for 10 sh -c "[ \$(ls -1 '$M/INBOX' | wc -l) = 9 ]"
ls -1 "$M/INBOX" >"$T/ls1b"
is "$(comm -23 "$T/ls1" "$T/ls1b")" "" "a new message of the same minute, sender, subject renames none"
mv "$T/ls1b" "$T/ls1"

# rsync -aX of the folder: every listed attribute is read.
run_timeout 60 rsync -aX "$M/INBOX/" "$T/local/"
ok $? "rsync -aX of the folder"
is "$(ls -1 "$T/local" | wc -l)" 9 "every message copied"

# The same names after a remount, with the store and with an empty one
# (another machine).
for store in kept empty; do
	fusermount3 -u "$M" || bail_out "unmount failed"
	wait_for 30 sh -c "! kill -0 $mailfs_pid 2>/dev/null"
	[ $store = empty ] && rm -rf "$T/cache"
	mount_mailfs "$M" -o names=readable || bail_out "mount failed"
	ls -1 "$M/INBOX" >"$T/ls2"
	cmp -s "$T/ls1" "$T/ls2"
	ok $? "the same names after a remount, the store $store" || diag "$(diff "$T/ls1" "$T/ls2")"
done
done_testing
