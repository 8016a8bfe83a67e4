#!/bin/bash
# rmdir cut anywhere in its traffic: an empty folder is gone exactly when
# rmdir succeeded; a folder with messages, or with a child folder, is never
# deleted and loses nothing, cut or not; and a folder that only looks empty
# (another client has just put a message in it) is not deleted either.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/harness/lib.sh"
. "$top_srcdir/tests/fuse/mount.sh"
. "$top_srcdir/tests/fuse/cut.sh"
COUNT=${CUT_COUNT:-10}
HANGS=${CUT_HANGS:-2}
N=$((3 * (1 + 2 * (COUNT + HANGS))))
cut_start
CUT_MNT=$MAILFS_TEST_TMP/mnt
cut_seed_probe $((N * 3 + 10))
# Empty folders E1..EN (umlauts: modified UTF-7 on the wire); Full with two
# messages; Parent.Child with one.
imap_py "
for i in range(1, $N + 1):
    imaptool.check(m._simple_command('CREATE', imaptool.mailbox_arg('Leer-%d-Ä' % i)), 'CREATE')
for f in ('Full', 'Parent', 'Parent.Child', 'Late'):
    imaptool.check(m._simple_command('CREATE', f), 'CREATE ' + f)
for k in (1, 2):
    imaptool.append(m, 'Full', b'Message-ID: <full-%d@cut.test>\r\n\r\nfull\r\n' % k)
imaptool.append(m, 'Parent.Child', b'Message-ID: <child@cut.test>\r\n\r\nchild\r\n')
" || bail_out "seeding failed"
cut_mount "$CUT_MNT" || bail_out "mount failed"
M=$CUT_MNT
ls "$M" "$M/Full" "$M/Parent" "$M/Parent/Child" "$M/Late" >/dev/null

cut_op()
{
	case $CUT_KIND in
	empty) rmdir "$M/Leer-$1-Ä" ;;
	full) rmdir "$M/Full" ;;
	parent) rmdir "$M/Parent" ;;
	esac
}

has_folder()
{
	grep -q "^$1	" "$CUT_FOLDERS"
}

untouched()
{
	local bad=0
	want "Full or its messages are gone" eval 'has_folder Full &&
	    [ "$(copies "<full-1@cut.test>" "$CUT_CENSUS" Full)" = 1 ] &&
	    [ "$(copies "<full-2@cut.test>" "$CUT_CENSUS" Full)" = 1 ]' || bad=1
	want "Parent, Parent.Child or its message is gone" eval 'has_folder Parent &&
	    [ "$(copies "<child@cut.test>" "$CUT_CENSUS" Parent.Child)" = 1 ]' || bad=1
	return $bad
}

cut_check_server()
{
	local bad=0 leer="Leer-$1-Ä"
	untouched || bad=1
	case $CUT_KIND in
	empty)
		if [ "$CUT_STATUS" = 0 ]; then
			want "rmdir Leer-$1-Ä succeeded but the folder is still there" \
			    eval '! has_folder "$leer"' || bad=1
		else
			want "rmdir Leer-$1-Ä failed ($CUT_ERR1) but the folder is gone" has_folder "Leer-$1-Ä" || bad=1
		fi
		;;
	*)
		want "rmdir of a folder that is not empty succeeded" [ "$CUT_STATUS" != 0 ] || bad=1
		;;
	esac
	return $bad
}

cut_check_mount()
{
	local bad=0
	case $CUT_KIND in
	empty)
		if has_folder "Leer-$1-Ä"; then
			want "Leer-$1-Ä is on the server but not listed" [ -d "$M/Leer-$1-Ä" ] || bad=1
		else
			want "Leer-$1-Ä is gone from the server but still listed" [ ! -e "$M/Leer-$1-Ä" ] || bad=1
		fi
		;;
	esac
	want "the mount does not show Full's two messages" [ "$(emls "$M/Full")" = 2 ] || bad=1
	want "the mount does not show Parent/Child" [ "$(emls "$M/Parent/Child")" = 1 ] || bad=1
	return $bad
}

CUT_KIND=empty; cut_sweep "rmdir empty" "$COUNT" "$HANGS"
CUT_KIND=full CUT_EXPECT=1; cut_sweep "rmdir with messages" "$COUNT" "$HANGS"
CUT_KIND=parent CUT_EXPECT=1; cut_sweep "rmdir with a child" "$COUNT" "$HANGS"
CUT_EXPECT=0
cut_final
for f in Full Parent; do
	err=$(rmdir "$M/$f" 2>&1)
	like "$err" "not empty" "rmdir $f without a cut: ENOTEMPTY"
done

# Late looks empty to the mount, which refreshes only daily here; another
# client has just put a message in it.
imaptool append Late - <<<$'Message-ID: <late@cut.test>\r\n\r\nlate\r' >/dev/null
err=$(rmdir "$M/Late" 2>&1)
isnt "$?" 0 "rmdir of a folder another client has just filled fails" || diag "$err"
census >"$CUT_CENSUS"
is "$(copies "<late@cut.test>" "$CUT_CENSUS" Late)" 1 "and its message is still there"
done_testing
