#!/bin/bash
# Reading a message while the connection is cut anywhere in its traffic:
# cat fails, or it returns exactly the server's bytes, never a part of
# them; the server holds what it held; the next read works.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/harness/lib.sh"
. "$top_srcdir/tests/fuse/mount.sh"
. "$top_srcdir/tests/fuse/cut.sh"
cut_start
CUT_MNT=$MAILFS_TEST_TMP/mnt
cut_seed_probe 80
# 40 messages of 20 kB: a FETCH answer spans several TLS records.
imap_py "
imaptool.check(m._simple_command('CREATE', 'A'), 'CREATE A')
for i in range(1, 41):
    body = b''.join(b'line %d of message %d\r\n' % (j, i) for j in range(1000))
    imaptool.append(m, 'A', b'Message-ID: <read-%d@cut.test>\r\nSubject: %d\r\n\r\n' % (i, i) + body)
" || bail_out "seeding failed"
census >"$MAILFS_TEST_TMP/before" || bail_out "census failed"
cut_mount "$CUT_MNT" || bail_out "mount failed"
ls "$CUT_MNT/A" >/dev/null
UV_A=$(imaptool uidvalidity A) || bail_out "no UIDVALIDITY"

cut_op()
{
	cat "$CUT_MNT/A/$(msg_name_uv "$UV_A" "$1")" >"$MAILFS_TEST_TMP/got"
}

cut_check_server()
{
	cmp -s "$MAILFS_TEST_TMP/before" "$CUT_CENSUS" ||
	    { diag "the server's messages changed"; return 1; }
}

cut_check_mount()
{
	local want
	want=$(awk -F '\t' -v u="$1" '$2 == "A" && $3 == u { print $6 }' "$CUT_CENSUS")
	if [ "$CUT_STATUS" = 0 ]; then
		[ "$(sha256sum <"$MAILFS_TEST_TMP/got" | cut -d' ' -f1)" = "$want" ] ||
		    { diag "cat succeeded with other bytes than the server's"; return 1; }
	fi
	# The next read, on a new connection, gives the message whole.
	[ "$(sha256sum <"$CUT_MNT/A/$(msg_name_uv "$UV_A" "$1")" | cut -d' ' -f1)" = "$want" ] ||
	    { diag "reading again does not give the server's bytes"; return 1; }
}

cut_sweep "cat" 8 1
cut_final
done_testing
