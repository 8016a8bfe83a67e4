#!/bin/bash
# A server with IMAP4rev1 and IDLE only (tests/harness/capproxy.py withholds
# MOVE, UIDPLUS, CONDSTORE, QRESYNC, LIST-STATUS, ESEARCH, LITERAL+,
# SPECIAL-USE, NOTIFY, ENABLE, BINARY): rm marks \Deleted and expunges only
# when nothing else is marked; mv is COPY, then rm, and the moved message
# keeps its name at once; flags, new files, new mail (IDLE) and the Trash
# by name work; another client's \Deleted message survives every rm and mv.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/harness/lib.sh"
. "$top_srcdir/tests/fuse/mount.sh"
. "$top_srcdir/tests/fuse/cut.sh"
. "$top_srcdir/tests/fuse/rev1.sh"
command -v setfattr >/dev/null || skip_all "setfattr is missing (Debian package attr)"
need_fuse
start_dovecot
rev1_proxy
# R: nothing marked; A: a1..a6 and another client's \Deleted message; B:
# another client's \Deleted message.
imap_py "
for f in ('A', 'B', 'R'):
    imaptool.check(m._simple_command('CREATE', f), 'CREATE ' + f)
def msg(mid):
    return b'Message-ID: <%s@rev1.test>\r\nSubject: %s\r\n\r\nbody of %s\r\n' % (
        mid.encode(), mid.encode(), mid.encode())
for i in (1, 2):
    imaptool.append(m, 'R', msg('r%d' % i))
for i in range(1, 7):
    imaptool.append(m, 'A', msg('a%d' % i), '(\\\\Seen)' if i == 2 else None)
imaptool.append(m, 'A', msg('keep-A'), '(\\\\Deleted)')
imaptool.append(m, 'B', msg('keep-B'), '(\\\\Deleted \\\\Flagged)')
" || bail_out "seeding failed"
CENSUS=$MAILFS_TEST_TMP/census
snap() { "$PYTHON" "$HARNESS_DIR/mailcheck.py" census >"$CENSUS"; }
# where ID: "FOLDER FLAGS" of every copy of <ID@rev1.test>, one a line.
where() { awk -F '\t' -v id="<$1@rev1.test>" '$1 == id { print $2 " " $4 }' "$CENSUS"; }
others_kept()
{
	is "$(where keep-A) / $(where keep-B)" 'A \Deleted / B \Deleted \Flagged' \
	    "$1: another client's \\Deleted messages are still there"
}

M=$MAILFS_TEST_TMP/mnt
# refresh=60: what shows within seconds was pushed (IDLE).
rev1_mount "$M" -o refresh=60 || bail_out "mount failed"
UV_A=$(imaptool uidvalidity A) && UV_R=$(imaptool uidvalidity R) || bail_out "no UIDVALIDITY"
is "$(ls "$M/A" | wc -l) $(ls "$M/B" | wc -l)" "6 0" \
    "messages another client marked \\Deleted are not listed"

r1=$(msg_name_uv "$UV_R" 1)
rm "$M/R/$r1"
ok $? "rm where no other message is marked"
snap
is "$(where r1)" "" "expunges it"
is "$(where r2)" "R " "and nothing else"
is "$(ls "$M/R")" "$(msg_name_uv "$UV_R" 2)" "ls shows the other"

a1=$(msg_name_uv "$UV_A" 1)
rm "$M/A/$a1"
ok $? "rm where another client marked a message \\Deleted"
snap
is "$(where a1)" 'A \Deleted' "marks it \\Deleted and leaves it"
others_kept "rm"
[ ! -e "$M/A/$a1" ]
ok $? "it is gone from the mount"

a2=$(msg_name_uv "$UV_A" 2)
mv "$M/A/$a2" "$M/B/"
ok $? "mv A/x B/"
is "$(msgid "$M/B/$a2")" "<a2@rev1.test>" "the moved message is readable at once under its name"
snap
is "$(where a2 | sort)" "$(printf 'A \\Deleted \\Seen\nB \\Seen')" \
    "the server holds the copy, with its flags, and the original marked"
others_kept "mv"

mv "$M/A/"* "$M/B/"
ok $? "mv A/* B/"
is "$(ls "$M/A" | wc -l)" 0 "A is empty"
bad=0
for i in 3 4 5 6; do
	n=$(msg_name_uv "$UV_A" "$i")
	[ "$(msgid "$M/B/$n")" = "<a$i@rev1.test>" ] || { diag "B/$n is not a$i"; bad=1; }
done
ok $bad "each is in B under the name it had"
snap
is "$(awk -F '\t' '$2 == "B" && $4 !~ /Deleted/' "$CENSUS" | wc -l)" 5 \
    "B holds the five moved"
others_kept "mv A/* B/"
# Back again: the originals' marked copies are no candidates.
mv "$M/B/$a2" "$M/A/"
ok $? "mv B/x A/ (back where its marked original is)"
is "$(msgid "$M/A/$a2")" "<a2@rev1.test>" "readable under its name"

setfattr -n user.imap.flags -v '\Flagged $Work' "$M/A/$a2"
ok $? "setfattr user.imap.flags"
snap
is "$(where a2 | grep -v Deleted)" 'A $Work \Flagged' "the server has the flags"

printf 'Subject: new\r\nMessage-ID: <new@rev1.test>\r\n\r\nnew file\r\n' >"$M/A/new.eml"
ok $? "a new file (APPEND, no LITERAL+)"
snap
is "$(where new)" "A " "the server has it"

# New mail by another client: pushed by IDLE on INBOX, else by the next
# refresh in 60 s.
ls "$M/INBOX" >/dev/null
printf 'Subject: pushed\r\nMessage-ID: <pushed@rev1.test>\r\n\r\npushed\r\n' |
    imaptool append INBOX - >/dev/null
wait_for 10 sh -c "ls '$M/INBOX' | grep -q eml"
ok $? "new mail shows within seconds (IDLE)"
fusermount3 -u "$M"

# \Trash by name: the proxy strips the special-use attributes.
rev1_mount "$M" -o delete=trash || bail_out "mount failed"
r2=$(msg_name_uv "$UV_R" 2)
rm "$M/R/$r2"
ok $? "rm with delete=trash"
snap
is "$(where r2)" "Trash " "the folder named Trash receives it (no SPECIAL-USE)"
done_testing
