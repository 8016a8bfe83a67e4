#!/bin/bash
# Listings saved across mounts (fuse/model/listcache.c): a mount that finds the
# server unchanged sends no FETCH for a folder it lists; after changes it
# asks for a CHANGEDSINCE delta and shows the server's state; a damaged
# saved listing or a new UIDVALIDITY costs a full listing, never a wrong
# directory.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/harness/lib.sh"
. "$top_srcdir/tests/fuse/mount.sh"
need_fuse
start_dovecot
T=$MAILFS_TEST_TMP
M=$T/mnt
for i in 1 2 3; do
	printf 'Subject: inbox %s\r\nMessage-ID: <in%s@test>\r\n\r\nbody %s\r\n' \
	    "$i" "$i" "$i" >"$T/in$i.eml"
	imaptool append INBOX "$T/in$i.eml" >/dev/null || bail_out "append failed"
done
imaptool create Box >/dev/null || bail_out "create failed"
b1=$(imaptool append Box "$T/in1.eml" --flags '\Flagged Wichtig')
b2=$(imaptool append Box "$T/in2.eml" --flags '\Seen')
[ -n "$b1" ] && [ -n "$b2" ] || bail_out "append to Box failed"

# listing LOG: what the mount shows of INBOX and Box, names, sizes, flags
listing()
{
	(cd "$M" && ls -ln --time-style=+%s INBOX Box &&
	    for f in Box/*.eml; do
		    printf '%s %s\n' "$f" "$(getfattr --absolute-names --only-values -n user.imap.flags "$f")"
	    done)
}

# fetches LOG: the UID FETCH commands the daemon sent for listings
fetches()
{
	grep -E 'UID FETCH 1:\* \(UID FLAGS' "$1"
}

mount_traced "$M" "$T/log1" || bail_out "mount failed"
listing >"$T/first" || bail_out "cannot list"
is "$(fetches "$T/log1" | grep -vc CHANGEDSINCE)" 2 "a first mount lists both folders in full"
unmount_traced "$M"
ok $? "unmounts"
is "$(store meta-count listing)" 2 "the listings are saved"
is "$(find "$T/cache" -type f ! -perm 0600 | wc -l)" 0 "readable by the user only"

# Nothing changed: the mount's LIST-STATUS says so, and no FETCH is sent.
mount_traced "$M" "$T/log2" || bail_out "mount failed"
listing >"$T/second"
cmp -s "$T/first" "$T/second"
ok $? "a second mount shows the same names, sizes, dates and flags" ||
    diag "$(diff "$T/first" "$T/second")"
is "$(fetches "$T/log2" | wc -l)" 0 "and fetches no listing" ||
    diag "$(fetches "$T/log2")"
! grep -qE 'C: [^ ]+ (SELECT|EXAMINE) ' "$T/log2"
ok $? "nor selects a folder" || diag "$(grep -m3 -E 'C: [^ ]+ (SELECT|EXAMINE)' "$T/log2")"
unmount_traced "$M"

# Changes while nothing was mounted: new mail, an expunge, a flag.
u4=$(imaptool append INBOX "$T/in3.eml")
imap_py "
imaptool.select(m, 'Box', False)
m.uid('STORE', '$b2', '+FLAGS.SILENT', r'(\Deleted)')
m.expunge()
m.uid('STORE', '$b1', 'FLAGS.SILENT', r'(\Answered Neu)')
" >/dev/null || bail_out "cannot change Box"
mount_traced "$M" "$T/log3" || bail_out "mount failed"
is "$(ls "$M/INBOX" | wc -l)" 4 "new mail shows"
[ -f "$M/$(path_of INBOX "$u4")" ]
ok $? "under its UID's name"
is "$(ls "$M/Box")" "$(msg_name Box "$b1")" "the expunged message is gone"
is "$(getfattr --absolute-names --only-values -n user.imap.flags "$M/$(path_of Box "$b1")")" \
    '\Answered Neu' "the changed flags show"
is "$(fetches "$T/log3" | grep -c CHANGEDSINCE)" 2 "both folders were brought up to date with a delta" ||
    diag "$(fetches "$T/log3")"
cmp -s "$T/in3.eml" "$M/$(path_of INBOX "$u4")"
ok $? "the new message reads as delivered"
unmount_traced "$M"

# A damaged listing: cut short, or another file altogether.
store meta-cut listing 40
mount_traced "$M" "$T/log4" || bail_out "mount failed"
is "$(ls "$M/INBOX" | wc -l)" 4 "a damaged listing is refused: INBOX is whole"
is "$(ls "$M/Box" | wc -l)" 1 "and so is Box"
is "$(fetches "$T/log4" | grep -vc CHANGEDSINCE)" 2 "with a full listing of each folder"
unmount_traced "$M"
store meta-random listing
mount_traced "$M" "$T/log5" || bail_out "mount failed"
is "$(ls "$M/Box" | wc -l)" 1 "a listing of random bytes is refused too"
unmount_traced "$M"

# A new UIDVALIDITY: Box made again with other mail.
imaptool delete Box >/dev/null
imaptool create Box >/dev/null
n1=$(imaptool append Box "$T/in2.eml")
mount_traced "$M" "$T/log6" || bail_out "mount failed"
is "$(ls "$M/Box")" "$(msg_name Box "$n1")" "a new generation shows only its own mail"
cmp -s "$T/in2.eml" "$M/$(path_of Box "$n1")"
ok $? "and its bytes"
unmount_traced "$M"

# A folder this mount changes before it looks: the status from the
# mount's LIST is stale then, and the listing must not be trusted alone.
mount_traced "$M" "$T/log7" || bail_out "mount failed"
cat "$M/INBOX/"* >/dev/null
ls "$M/INBOX" >/dev/null
unmount_traced "$M"
mount_traced "$M" "$T/log8" || bail_out "mount failed"
cp "$T/in1.eml" "$M/Box/new.eml"
ok $? "a new file is written into a folder not listed yet"
ls "$M/Box" | grep -qx new.eml
ok $? "and shows in the listing" || diag "$(ls "$M/Box")"
is "$(ls "$M/Box" | wc -l)" 2 "beside the folder's message"
unmount_traced "$M"
done_testing
