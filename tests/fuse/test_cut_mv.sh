#!/bin/bash
# mv of a message, cut anywhere in its traffic: across folders (mv A/x B/),
# across onto an existing name (mv A/x C/y) and within a folder onto an
# existing name (mv A/x A/y).  After every cut the server holds the message
# at least once and nowhere twice, mv failed exactly when the message did
# not arrive, a replaced message is gone exactly when mv succeeded, the
# moved message keeps its bytes, flags and INTERNALDATE, and the mount
# shows what the server holds.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/harness/lib.sh"
. "$top_srcdir/tests/fuse/mount.sh"
. "$top_srcdir/tests/fuse/cut.sh"
COUNT=${CUT_COUNT:-6}
HANGS=${CUT_HANGS:-1}
N=$((3 * (1 + 2 * (COUNT + HANGS))))
cut_start
CUT_MNT=$MAILFS_TEST_TMP/mnt
cut_seed_probe $((N * 3 + 10))
# A: message i at UID i, then A's victim of item i at UID N+i; C: C's
# victim of item i at UID i; B empty.  Flags and dates differ by item.
imap_py "
import imaplib
for f in ('A', 'B', 'C'):
    imaptool.check(m._simple_command('CREATE', f), 'CREATE ' + f)
flags = ['(\\\\Flagged \$Label1)', '(\\\\Seen)', '(\\\\Answered \$Work)', None]
def msg(mid, i):
    return (b'Message-ID: <%s@cut.test>\r\nSubject: cut %d\r\n\r\n' % (mid.encode(), i)
            + b'body of %s\r\n' % mid.encode() * 40)
for i in range(1, $N + 1):
    imaptool.append(m, 'A', msg('mv-%d' % i, i), flags[i % 4],
                    imaplib.Time2Internaldate(1600000000 + i * 3600))
for i in range(1, $N + 1):
    imaptool.append(m, 'A', msg('victimA-%d' % i, i))
for i in range(1, $N + 1):
    imaptool.append(m, 'C', msg('victimC-%d' % i, i))
" || bail_out "seeding failed"
census >"$MAILFS_TEST_TMP/before" || bail_out "census failed"
cut_mount "$CUT_MNT" || bail_out "mount failed"
M=$CUT_MNT
ls "$M/A" "$M/B" "$M/C" >/dev/null

name() { printf '%010d.eml' "$1"; }

cut_op()
{
	case $CUT_KIND in
	across) mv "$M/A/$(name "$1")" "$M/B/" ;;
	onto) mv "$M/A/$(name "$1")" "$M/C/$(name "$1")" ;;
	within) mv "$M/A/$(name "$1")" "$M/A/$(name $((N + $1)))" ;;
	esac
}

# same_as_before ID FOLDER: the copy in FOLDER has the original's bytes,
# flags and INTERNALDATE.
same_as_before()
{
	local now was
	now=$(held "$1" "$2")
	was=$(CUT_CENSUS=$MAILFS_TEST_TMP/before held "$1" A)
	[ "$now" = "$was" ] && return 0
	diag "<$1> in $2 is not the original: '$now' vs '$was'"
	return 1
}

cut_check_server()
{
	local i=$1 id="<mv-$1@cut.test>" dst a d t v bad=0
	case $CUT_KIND in
	across) dst=B ;;
	onto) dst=C; v="<victimC-$i@cut.test>" ;;
	within) dst=A; v="<victimA-$i@cut.test>" ;;
	esac
	a=$(copies "$id" "$CUT_CENSUS" A)
	d=$(copies "$id" "$CUT_CENSUS" "$dst")
	t=$(copies "$id" "$CUT_CENSUS")
	if [ $dst = A ]; then
		want "$id: $t copies, in A $a (mv returned $CUT_STATUS)" \
		    eval '[ "$t" = 1 ] && [ "$a" = 1 ]' || bad=1
	else
		want "$id: lost or duplicated: A $a, $dst $d, everywhere $t" \
		    eval '[ "$t" -ge 1 ] && [ "$t" = $((a + d)) ] && [ "$a" -le 1 ] && [ "$d" -le 1 ]' ||
		    bad=1
		if [ "$CUT_STATUS" = 0 ]; then
			want "$id: mv succeeded but A holds $a, $dst $d" \
			    eval '[ "$a" = 0 ] && [ "$d" = 1 ]' || bad=1
		else
			want "$id: mv failed ($CUT_ERR1) but A holds $a, $dst $d" [ "$a" = 1 ] || bad=1
		fi
		[ "$d" = 1 ] && { same_as_before "$id" "$dst" || bad=1; }
	fi
	[ "$a" = 1 ] && { same_as_before "$id" A || bad=1; }
	if [ -n "$v" ]; then
		t=$(copies "$v" "$CUT_CENSUS")
		if [ "$CUT_STATUS" = 0 ]; then
			want "$v: mv onto it succeeded but it is still held $t times" [ "$t" = 0 ] || bad=1
		else
			want "$v: mv onto it failed ($CUT_ERR1) but it is held $t times" [ "$t" = 1 ] || bad=1
		fi
		[ "$t" = 0 ] && ! [ "$d" -ge 1 ] &&
		    { diag "$v: expunged before $id was in $dst"; bad=1; }
	fi
	return $bad
}

cut_check_mount()
{
	local i=$1 id="<mv-$1@cut.test>" f bad=0 x y got
	x=$M/A/$(name "$i")
	case $CUT_KIND in
	across) y=$M/B/$(name "$i") ;;
	onto) y=$M/C/$(name "$i") ;;
	within) y=$M/A/$(name $((N + i))) ;;
	esac
	if [ "$CUT_STATUS" = 0 ]; then
		want "mv succeeded but ${x#$M/} is still listed" [ ! -e "$x" ] || bad=1
		got=$(msgid "$y" 2>&1)
		want "mv succeeded but ${y#$M/} is not $id: '$got'" [ "$got" = "$id" ] || bad=1
	else
		got=$(msgid "$x" 2>&1)
		want "mv failed but ${x#$M/} is not $id: '$got'" [ "$got" = "$id" ] || bad=1
	fi
	for f in A B C; do
		want "the mount lists $(emls "$M/$f") messages in $f, the server holds $(awk -F '\t' -v f=$f '$2 == f' "$CUT_CENSUS" | wc -l)" \
		    [ "$(emls "$M/$f")" = "$(awk -F '\t' -v f=$f '$2 == f' "$CUT_CENSUS" | wc -l)" ] || bad=1
	done
	return $bad
}

CUT_KIND=across; cut_sweep "mv A/x B/" "$COUNT" "$HANGS"
CUT_KIND=onto; cut_sweep "mv A/x C/y" "$COUNT" "$HANGS"
CUT_KIND=within; cut_sweep "mv A/x A/y" "$COUNT" "$HANGS"
cut_final
done_testing
