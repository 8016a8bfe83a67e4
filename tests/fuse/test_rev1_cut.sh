#!/bin/bash
# rm and mv on a server without UIDPLUS and MOVE (tests/fuse/rev1.sh: the
# cut proxy in front of capproxy), cut anywhere in their traffic.  rm in A,
# where another client marked messages \Deleted, leaves its message marked;
# rm in R, where nothing else is marked, expunges it; mv A/x B/ copies,
# then removes as rm does.  After every cut: a message rm did not report
# is expunged or marked and one it reported is still there; a moved message
# is visible (unmarked) at least once and nowhere twice, in B exactly when
# mv returned 0; the other client's marked messages and R's bystanders all
# stay; the mount lists exactly the unmarked messages.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/harness/lib.sh"
. "$top_srcdir/tests/fuse/mount.sh"
. "$top_srcdir/tests/fuse/cut.sh"
. "$top_srcdir/tests/fuse/rev1.sh"
COUNT=${CUT_COUNT:-3}
HANGS=${CUT_HANGS:-1}
N=$((1 + 2 * (COUNT + HANGS)))
rev1_cut_start
CUT_MNT=$MAILFS_TEST_TMP/mnt
cut_seed_probe $((N * 4 + 10))
# A: a-i at UID i (rm), then m-i at UID N+i (mv); R: r-i at UID i, then
# three bystanders; B: empty.  A and B hold another client's \Deleted.
imap_py "
for f in ('A', 'B', 'R'):
    imaptool.check(m._simple_command('CREATE', f), 'CREATE ' + f)
def msg(mid):
    return b'Message-ID: <%s@cut.test>\r\nSubject: rev1\r\n\r\n' % mid.encode() + b'body\r\n' * 60
for i in range(1, $N + 1):
    imaptool.append(m, 'A', msg('a-%d' % i))
for i in range(1, $N + 1):
    imaptool.append(m, 'A', msg('m-%d' % i), '(\\\\Seen)')
for i in range(1, $N + 1):
    imaptool.append(m, 'R', msg('r-%d' % i))
for k in (1, 2, 3):
    imaptool.append(m, 'R', msg('bystander-%d' % k))
for f in ('A', 'B'):
    for k in (1, 2):
        imaptool.append(m, f, msg('deleted-%s-%d' % (f, k)), '(\\\\Deleted)')
" || bail_out "seeding failed"
census >"$MAILFS_TEST_TMP/before" || bail_out "census failed"
cut_mount "$CUT_MNT" || bail_out "mount failed"
M=$CUT_MNT
ls "$M/A" "$M/B" "$M/R" >/dev/null
UV_A=$(imaptool uidvalidity A) && UV_R=$(imaptool uidvalidity R) || bail_out "no UIDVALIDITY"
VIS=$MAILFS_TEST_TMP/visible
# cut_final's check: a message is held twice when it is visible twice (a
# moved message's marked original stays beside its copy).
duplicates()
{
	visible "$1" | cut -f1 | sort | uniq -d
}

# item I of each kind: its Message-ID, folder and name
item()
{
	case $CUT_KIND in
	rmA) ID="<a-$1@cut.test>" F=A NAME=$(msg_name_uv "$UV_A" "$1") ;;
	rmR) ID="<r-$1@cut.test>" F=R NAME=$(msg_name_uv "$UV_R" "$1") ;;
	mv) ID="<m-$1@cut.test>" F=A NAME=$(msg_name_uv "$UV_A" $((N + $1))) ;;
	esac
}

cut_op()
{
	item "$1"
	case $CUT_KIND in
	rm*) rm "$M/$F/$NAME" ;;
	mv) mv "$M/A/$NAME" "$M/B/" ;;
	esac
}

kept()
{
	local id bad=0
	for id in deleted-A-1 deleted-A-2 deleted-B-1 deleted-B-2 bystander-1 bystander-2 \
	    bystander-3; do
		[ "$(copies "<$id@cut.test>" "$CUT_CENSUS")" = 1 ] ||
		    { diag "$id is gone"; bad=1; }
	done
	return $bad
}

cut_check_server()
{
	local all vis a d bad=0
	item "$1"
	visible "$CUT_CENSUS" >"$VIS"
	kept || bad=1
	all=$(copies "$ID" "$CUT_CENSUS")
	vis=$(copies "$ID" "$VIS")
	case $CUT_KIND in
	rm*)
		if [ "$CUT_STATUS" = 0 ]; then
			want "$ID: rm returned 0 but it is still visible" [ "$vis" = 0 ] || bad=1
		else
			want "$ID: rm failed ($CUT_ERR1) but it is gone" [ "$all" = 1 ] || bad=1
		fi
		;;
	mv)
		a=$(copies "$ID" "$VIS" A)
		d=$(copies "$ID" "$VIS" B)
		want "$ID: lost or duplicated: visible in A $a, in B $d" \
		    eval '[ "$vis" -ge 1 ] && [ "$a" -le 1 ] && [ "$d" -le 1 ]' || bad=1
		if [ "$CUT_STATUS" = 0 ]; then
			want "$ID: mv returned 0 but A shows $a, B $d" \
			    eval '[ "$a" = 0 ] && [ "$d" = 1 ]' || bad=1
		else
			want "$ID: mv failed ($CUT_ERR1) but A shows $a" [ "$a" = 1 ] || bad=1
		fi
		if [ "$d" = 1 ]; then
			a=$(CUT_CENSUS=$VIS held "$ID" B)
			d=$(CUT_CENSUS=$MAILFS_TEST_TMP/before held "$ID" A)
			want "$ID: the copy in B is not the original: '$a' vs '$d'" \
			    [ "$a" = "$d" ] || bad=1
		fi
		;;
	esac
	return $bad
}

cut_check_mount()
{
	local f got bad=0
	item "$1"
	if [ "$(copies "$ID" "$VIS" "$F")" = 0 ]; then
		want "$F/$NAME is not visible on the server but still listed" [ ! -e "$M/$F/$NAME" ] || bad=1
	else
		want "$F/$NAME is visible on the server but not listed" [ -e "$M/$F/$NAME" ] || bad=1
	fi
	if [ "$CUT_KIND" = mv ] && [ "$CUT_STATUS" = 0 ]; then
		got=$(msgid "$M/B/$NAME" 2>&1)
		want "mv returned 0 but B/$NAME is not $ID: '$got'" [ "$got" = "$ID" ] || bad=1
	fi
	for f in A B R; do
		want "the mount lists $(emls "$M/$f") messages in $f, the server shows $(awk -F '\t' -v f=$f '$2 == f' "$VIS" | wc -l)" \
		    [ "$(emls "$M/$f")" = "$(awk -F '\t' -v f=$f '$2 == f' "$VIS" | wc -l)" ] || bad=1
	done
	return $bad
}

CUT_KIND=rmA; cut_sweep "rm A/x (others marked)" "$COUNT" "$HANGS"
CUT_KIND=rmR; CUT_ITEM=0; cut_sweep "rm R/x (none marked)" "$COUNT" "$HANGS"
CUT_KIND=mv; CUT_ITEM=0; cut_sweep "mv A/x B/" "$COUNT" "$HANGS"
cut_final
done_testing
