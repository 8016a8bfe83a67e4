#!/bin/bash
# A new message written into the mount, cut anywhere in its upload: cp
# (uploaded at close, or a moment after) and dd conv=fsync (uploaded at
# fsync, whose error dd reports).  The writer sees an error exactly when
# the server did not get the message, the server never holds it twice (a
# retried APPEND after a lost answer would), the mount still shows the
# file's bytes, and after the unmount every message is on the server
# exactly once, byte for byte (LF line ends become CRLF).
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/harness/lib.sh"
. "$top_srcdir/tests/fuse/mount.sh"
. "$top_srcdir/tests/fuse/cut.sh"
COUNT=${CUT_COUNT:-8}
HANGS=${CUT_HANGS:-1}
N=$((2 * (1 + 2 * (COUNT + HANGS))))
# An upload may start a moment after close: wait for 1.5 s of quiet.
CUT_SETTLE=6
cut_start
CUT_MNT=$MAILFS_TEST_TMP/mnt
cut_seed_probe $((N * 3 + 10))
imaptool create A || bail_out "seeding failed"
S=$MAILFS_TEST_TMP/src
mkdir -p "$S"
for i in $(seq 1 $N); do
	{
		printf 'Message-ID: <cp-%d@cut.test>\nSubject: new message %d\nDate: Mon, 1 Jul 2024 10:00:00 +0200\n\n' "$i" "$i"
		for j in $(seq 1 120); do printf 'line %d of new message %d\n' "$j" "$i"; done
	} >"$S/new-$i.eml"
	sed 's/$/\r/' "$S/new-$i.eml" >"$S/new-$i.crlf"
done
cut_mount "$CUT_MNT" || bail_out "mount failed"
M=$CUT_MNT
ls "$M/A" >/dev/null

cut_op()
{
	case $CUT_KIND in
	cp) cp "$S/new-$1.eml" "$M/A/" ;;
	fsync) dd if="$S/new-$1.eml" of="$M/A/new-$1.eml" conv=fsync status=none ;;
	esac
}

cut_check_server()
{
	local i=$1 id="<cp-$1@cut.test>" t a bad=0 want_sha
	t=$(copies "$id" "$CUT_CENSUS")
	a=$(copies "$id" "$CUT_CENSUS" A)
	want "$id: held $t times, $a of them in A" \
	    eval '[ "$t" -le 1 ] && [ "$t" = "$a" ]' || bad=1
	if [ "$CUT_STATUS" = 0 ] || [[ $CUT_KIND = fsync && $CUT_ERR != *"closing output file"* ]]; then
		# dd reports a failed fsync and goes on to close, which uploads
		# the staged bytes: only a failed close leaves them unsent.
		want "$id: $CUT_KIND returned $CUT_STATUS (${CUT_ERR1:-no error}) but the server holds $t copies" \
		    [ "$t" = 1 ] || bad=1
	elif [ -z "$CUT_FINAL" ]; then
		# Later, the staged bytes may be uploaded after all.
		want "$id: $CUT_KIND failed ($CUT_ERR1) but the server holds it" [ "$t" = 0 ] || bad=1
	fi
	if [ "$t" = 1 ]; then
		want_sha=$(sha256sum <"$S/new-$i.crlf" | cut -d' ' -f1)
		want "$id: the server's bytes are not the file's (with CRLF line ends)" \
		    [ "$(held "$id" A | cut -f3)" = "$want_sha" ] || bad=1
	fi
	return $bad
}

cut_check_mount()
{
	local f=$M/A/new-$1.eml src=$S/new-$1
	want "${f#$M/} is not listed after $CUT_KIND returned $CUT_STATUS" [ -e "$f" ] || return 1
	want "${f#$M/} does not read back as what was written: $(cmp "$f" "$src.crlf" 2>&1)" \
	    eval 'cmp -s "$f" "$src.eml" || cmp -s "$f" "$src.crlf"'
}

CUT_KIND=cp; cut_sweep "cp new.eml A/" "$COUNT" "$HANGS"
CUT_KIND=fsync; cut_sweep "dd conv=fsync of=A/new.eml" "$COUNT" "$HANGS"
cut_final

# What was staged and not uploaded goes at the unmount: then every
# message is on the server exactly once.
cut_unmount "$M"
ok $? "unmount"
census >"$CUT_CENSUS" || bail_out "census failed"
bad=
for i in $(seq 1 "$CUT_ITEM"); do
	[ "$(copies "<cp-$i@cut.test>" "$CUT_CENSUS")" = 1 ] || bad="$bad $i:$(copies "<cp-$i@cut.test>" "$CUT_CENSUS")"
done
is "$bad" "" "after the unmount every written message is on the server once (item:copies)"
done_testing
