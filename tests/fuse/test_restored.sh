#!/bin/bash
# A server restored from a backup: the same UIDVALIDITY, a lower UIDNEXT
# and HIGHESTMODSEQ, and a UID the cache knows given to another message.
# Over a kept cache, and under a running mount after the refresh, the
# mount shows the server's names, flags, sizes and bytes: none of the
# message the server no longer has, no name the mount gave it.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/harness/lib.sh"
. "$top_srcdir/tests/fuse/mount.sh"
need_fuse
command -v getfattr >/dev/null && command -v setfattr >/dev/null ||
    skip_all "getfattr or setfattr is missing (Debian package attr)"
start_dovecot
T=$MAILFS_TEST_TMP
M=$T/mnt
D=$HARNESS_DIR/dovecot.sh

# mail FILE WORD: a message whose body holds WORD.
mail()
{
	printf 'Subject: %s\r\nMessage-ID: <%s@test>\r\n\r\nthe word is %s\r\n' \
	    "$2" "$2" "$2" >"$1"
}

# snapshot NAME / restore NAME: the user's Maildir, Dovecot stopped.
snapshot()
{
	"$D" pause "$DOVECOT_DIR" && cp -a "$DOVECOT_DIR/mail" "$T/$1" &&
	    "$D" resume "$DOVECOT_DIR"
}
restore()
{
	"$D" pause "$DOVECOT_DIR" && rm -rf "$DOVECOT_DIR/mail" &&
	    cp -a "$T/$1" "$DOVECOT_DIR/mail" && "$D" resume "$DOVECOT_DIR"
}

# same_as_server WHAT: names, flags, sizes and bytes of INBOX and Other
# in the mount are the server's.
same_as_server()
{
	local f rel want got bad=0 dump=$T/dump.$RANDOM

	dump_server "$dump" || bail_out "cannot read the server"
	for d in INBOX Other; do
		is "$(ls "$M/$d")" "$(ls "$dump/$d")" "$1: the names in $d are the server's"
	done
	while IFS=$'\t' read -r rel want; do
		got=$(getfattr --absolute-names --only-values -n user.imap.flags "$M/$rel" 2>/dev/null)
		[ "$got" = "$want" ] || { diag "$rel: flags '$got', not '$want'"; bad=1; }
		[ "$(stat -c %s "$M/$rel")" = "$(stat -c %s "$dump/$rel")" ] ||
		    { diag "$rel: size $(stat -c %s "$M/$rel"), not $(stat -c %s "$dump/$rel")"; bad=1; }
		cmp -s "$M/$rel" "$dump/$rel" || { diag "$rel: other bytes"; bad=1; }
	done < <(grep -E '^(INBOX|Other)/' "$dump.flags")
	ok $bad "$1: flags, sizes and bytes are the server's"
}

for i in 1 2; do
	mail "$T/a$i" "alpha$i"
	imaptool append INBOX "$T/a$i" >/dev/null || bail_out "append failed"
done
imaptool create Other >/dev/null || bail_out "create failed"
mail "$T/o1" other1
o1=$(imaptool append Other "$T/o1") || bail_out "append failed"
a1=$(imaptool uids INBOX | sed -n 1p)

# 1. Restored while nothing was mounted, the cache kept.
snapshot snap1 || bail_out "cannot snapshot the Maildir"
mail "$T/x" XRAYSECRET
x=$(imaptool append INBOX "$T/x") || bail_out "append failed"
mount_traced "$M" "$T/log1" || bail_out "mount failed"
cmp -s "$T/x" "$M/$(path_of INBOX "$x")"
ok $? "X reads through the mount (and is cached)"
setfattr -n user.imap.flags -v '\Flagged' "$M/$(path_of INBOX "$a1")"
ok $? "a flag is set through the mount"
mv "$M/$(path_of Other "$o1")" "$M/INBOX/moved.eml"
ok $? "a message is moved in under a name of its own"
cat "$M/INBOX/"* >/dev/null
unmount_traced "$M"

restore snap1 || bail_out "cannot restore the Maildir"
mail "$T/y" YANKEESECRET
y=$(imaptool append INBOX "$T/y" --date 1000000000) || bail_out "append failed"
is "$y" "$x" "the restored server gives Y the UID X had"

mount_traced "$M" "$T/log2" || bail_out "mount failed"
same_as_server "a new mount over the kept cache"
grep -rqs YANKEESECRET "$M/INBOX"
ok $? "grep -r finds Y's text"
! grep -rqs XRAYSECRET "$M"
ok $? "and never X's"
[ ! -e "$M/INBOX/moved.eml" ]
ok $? "no name for a message the server lacks"
grep -q 'went back in time' "$T/log2"
ok $? "the mount says the folder went back in time" || diag "$(grep -i 'listing\|went' "$T/log2" | head)"
unmount_traced "$M"

# 2. Restored under a running mount: right after the next refresh.
mount_traced "$M" "$T/log3" -o refresh=1 || bail_out "mount failed"
cat "$M/INBOX/"* "$M/Other/"* >/dev/null
snapshot snap2 || bail_out "cannot snapshot the Maildir"
mail "$T/x2" XENONSECRET
wait_for 20 cp "$T/x2" "$M/INBOX/x2.eml"
ok $? "a new file is written into the folder"
cmp -s "$T/x2" "$M/INBOX/x2.eml"
ok $? "and reads back (cached)"
u=$(imaptool uids INBOX | sed -n 1p)
setfattr -n user.imap.flags -v '\Answered' "$M/$(path_of INBOX "$u")"
ok $? "a flag is set"
restore snap2 || bail_out "cannot restore the Maildir"
mail "$T/y2" YTTRIUMSECRET
imaptool append INBOX "$T/y2" --date 1000000000 >/dev/null || bail_out "append failed"
wait_for 20 grep -rqs YTTRIUMSECRET "$M/INBOX"
ok $? "after a refresh grep -r finds the new message's text"
! grep -rqs XENONSECRET "$M"
ok $? "and never the bytes of the message the server lost"
[ ! -e "$M/INBOX/x2.eml" ]
ok $? "nor its name"
same_as_server "a running mount"
grep -q 'went back in time' "$T/log3"
ok $? "the running mount says so too"
unmount_traced "$M"
done_testing
