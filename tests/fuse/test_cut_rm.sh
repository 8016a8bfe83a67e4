#!/bin/bash
# rm of one message and of three at once, cut anywhere in the traffic, in a
# folder where another client has marked messages \Deleted: a message is
# gone exactly when rm did not report it, never twice, and the other
# client's \Deleted messages stay (no EXPUNGE but UID EXPUNGE of the one
# UID).
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/harness/lib.sh"
. "$top_srcdir/tests/fuse/mount.sh"
. "$top_srcdir/tests/fuse/cut.sh"
COUNT=${CUT_COUNT:-10}
HANGS=${CUT_HANGS:-2}
N=$((1 + 2 * (COUNT + HANGS)))
cut_start
CUT_MNT=$MAILFS_TEST_TMP/mnt
cut_seed_probe $((N * 6 + 10))
# A: message i at UID i; R: the three messages of item i at UIDs 3i-2..3i
# (items count on from one sweep to the next, so R has room for both).
# Each holds three messages that another client marked \Deleted.
imap_py "
for f in ('A', 'R'):
    imaptool.check(m._simple_command('CREATE', f), 'CREATE ' + f)
def msg(mid):
    return b'Message-ID: <%s@cut.test>\r\nSubject: rm\r\n\r\n' % mid.encode() + b'body\r\n' * 100
for i in range(1, $N + 1):
    imaptool.append(m, 'A', msg('rm-%d' % i))
for i in range(1, 2 * $N + 1):
    for k in (1, 2, 3):
        imaptool.append(m, 'R', msg('rm3-%d-%d' % (i, k)))
for f in ('A', 'R'):
    for k in (1, 2, 3):
        imaptool.append(m, f, msg('deleted-%s-%d' % (f, k)), '(\\\\Deleted \\\\Seen)')
" || bail_out "seeding failed"
cut_mount "$CUT_MNT" || bail_out "mount failed"
M=$CUT_MNT
ls "$M/A" "$M/R" >/dev/null

name() { printf '%010d.eml' "$1"; }

cut_op()
{
	case $CUT_KIND in
	one) rm "$M/A/$(name "$1")" ;;
	many) rm "$M/R/$(name $((3 * $1 - 2)))" "$M/R/$(name $((3 * $1 - 1)))" \
	    "$M/R/$(name $((3 * $1)))" ;;
	esac
}

# others_kept: the other client's \Deleted messages are all still there.
others_kept()
{
	local f k bad=0
	for f in A R; do
		for k in 1 2 3; do
			[ "$(copies "<deleted-$f-$k@cut.test>" "$CUT_CENSUS" $f)" = 1 ] ||
			    { diag "another client's \\Deleted message $k in $f was expunged"; bad=1; }
		done
	done
	return $bad
}

# gone_iff_unreported ID FILE: ID is gone from the server exactly when rm
# did not complain about FILE.
gone_iff_unreported()
{
	local n
	n=$(copies "$1" "$CUT_CENSUS")
	if [[ $CUT_ERR == *"'$2'"* ]]; then
		want "$1: rm reported an error ($CUT_ERR) but the server holds $n copies" [ "$n" = 1 ]
	else
		want "$1: rm reported no error for it but the server holds $n copies" [ "$n" = 0 ]
	fi
}

cut_check_server()
{
	local i=$1 k bad=0
	others_kept || bad=1
	case $CUT_KIND in
	one) gone_iff_unreported "<rm-$i@cut.test>" "$M/A/$(name "$i")" || bad=1 ;;
	many)
		for k in 1 2 3; do
			gone_iff_unreported "<rm3-$i-$k@cut.test>" "$M/R/$(name $((3 * i - 3 + k)))" || bad=1
		done
		;;
	esac
	[ "$CUT_STATUS" = 0 ] && [ -n "$CUT_ERR" ] && { diag "rm returned 0 but said: $CUT_ERR"; bad=1; }
	return $bad
}

cut_check_mount()
{
	local i=$1 f u bad=0
	case $CUT_KIND in
	one) f=A; set -- "$i" ;;
	many) f=R; set -- $((3 * i - 2)) $((3 * i - 1)) $((3 * i)) ;;
	esac
	for u; do
		if [ "$(copies "$(msgid_of_uid "$f" "$u")" "$CUT_CENSUS")" = 0 ]; then
			want "$f/$(name "$u") is gone from the server but still listed" [ ! -e "$M/$f/$(name "$u")" ] || bad=1
		else
			want "$f/$(name "$u") is on the server but not listed" [ -e "$M/$f/$(name "$u")" ] || bad=1
		fi
	done
	want "the mount lists $(emls "$M/$f") messages in $f, the server holds $(awk -F '\t' -v f=$f '$2 == f' "$CUT_CENSUS" | wc -l)" \
	    [ "$(emls "$M/$f")" = "$(awk -F '\t' -v f=$f '$2 == f' "$CUT_CENSUS" | wc -l)" ] || bad=1
	return $bad
}

# msgid_of_uid FOLDER UID: the Message-ID seeded at that UID.
msgid_of_uid()
{
	if [ "$1" = A ]; then
		echo "<rm-$2@cut.test>"
	else
		echo "<rm3-$((($2 + 2) / 3))-$((($2 - 1) % 3 + 1))@cut.test>"
	fi
}

CUT_KIND=one; cut_sweep "rm A/x" "$COUNT" "$HANGS"
CUT_KIND=many; cut_sweep "rm R/x R/y R/z" "$COUNT" "$HANGS"
cut_final
done_testing
