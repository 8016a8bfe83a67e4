#!/bin/bash
# An upload over quota: NO [OVERQUOTA] reaches fsync() and close() as
# EDQUOT, the bytes stay staged, and nothing reaches the server.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/harness/lib.sh"
. "$top_srcdir/tests/fuse/mount.sh"
need_fuse
start_dovecot --quota=20000
T=$MAILFS_TEST_TMP
M=$T/mnt
# Uploads over the quota fail, reported, and stay staged.
expect_log '^mailfs: warning: cannot upload "[^"]*" to "INBOX": APPEND failed: \[OVERQUOTA\]'
mount_mailfs "$M" || bail_out "mount failed"
{ printf 'Subject: big\n\n'; head -c 60000 /dev/zero | tr '\0' 'x' | fold -w 70; } >"$T/big"

dd if="$T/big" of="$M/INBOX/big.eml" conv=fsync status=none 2>"$T/err"
isnt $? 0 "dd conv=fsync over quota fails"
like "$(cat "$T/err")" "[Qq]uota" "with EDQUOT"
is "$(imaptool count INBOX)" 0 "nothing reached the server"
cmp -s "$T/big" "$M/INBOX/big.eml"
ok $? "the bytes stay staged"

# close() itself reports it (a writer that checks close's result).
"$PYTHON" - "$M/INBOX/big2.eml" "$T/big" >"$T/out" 2>&1 <<'PY'
import errno, os, sys
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
os.write(fd, open(sys.argv[2], 'rb').read())
try:
    os.close(fd)
    print('closed')
except OSError as e:
    print(errno.errorcode[e.errno])
PY
is "$(cat "$T/out")" EDQUOT "close() fails with EDQUOT"
cmp -s "$T/big" "$M/INBOX/big2.eml"
ok $? "and those bytes stay staged too"
is "$(imaptool count INBOX)" 0 "still nothing on the server"
done_testing
