#!/bin/bash
# The store (fuse/store/cache.h, pack.h): a torn tail or a damaged body
# is never served and is fetched again; a daemon killed in the middle of
# a cold copy leaves a store that serves every message byte for byte; a
# cache_size smaller than the folder keeps the store near it; a second
# mount of the account is refused and the first goes on; the store holds
# nothing but journal, lock, packs/ and staging/, files 0600, directories 0700;
# the headers saved beside the segments are a hint a damage cannot fool.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/harness/lib.sh"
. "$top_srcdir/tests/fuse/mount.sh"
need_fuse
start_dovecot
T=$MAILFS_TEST_TMP
M=$T/mnt
N=120
python3 - "$T/msgs" "$N" <<'PY' || bail_out "cannot write the messages"
import os, sys
out, n = sys.argv[1], int(sys.argv[2])
os.makedirs(out)
for i in range(n):
    size = 1000 + (i * 2654435761) % 7000
    line = ('store %04d ' % i) * 6 + '\r\n'
    body = (line * (size // len(line) + 1))[:size]
    with open('%s/%04d.eml' % (out, i), 'w', newline='') as f:
        f.write('From: a@example.org\r\nSubject: message %d\r\n'
                'Message-ID: <st%d@example.org>\r\n\r\n%s\r\n' % (i, i, body))
PY
imaptool create S >/dev/null || bail_out "cannot create the folder"
for f in "$T"/msgs/*.eml; do
	imaptool append S "$f" >/dev/null || bail_out "append failed"
done
dump_server "$T/server" || bail_out "cannot read the server"
expect_log 'the cached message [0-9]+ is damaged'

# bodies LOG: the bodies the daemon asked for
bodies()
{
	grep -cE 'BODY\.PEEK\[\]' "$1"
}

# same NAME: a copy through the mount equals the server's, byte for byte
same()
{
	rm -rf "$T/copy"
	cp -r "$M/S" "$T/copy" && diff -r "$T/server/S" "$T/copy" >/dev/null
	ok $? "$1"
}

# The layout and the modes.
mount_traced "$M" "$T/log1" || bail_out "mount failed"
same "a cold copy equals the server's"
unmount_traced "$M"
acct=$(ls "$T/cache/mailfs")
is "$(ls "$T/cache/mailfs/$acct" | tr '\n' ' ')" "journal lock packs staging " \
    "the store holds journal, lock, packs/ and staging/ only"
is "$(find "$T/cache/mailfs" -type f ! -perm 0600 | wc -l)" 0 "its files are 0600"
is "$(find "$T/cache/mailfs" -type d ! -perm 0700 | wc -l)" 0 "its directories are 0700"
is "$(store uids | sort -u | wc -l)" "$N" "every message is stored once"

# The headers saved beside each segment (segidx.h): damaged, they are
# ignored and the segments read instead, and nothing is fetched again.
packs=$T/cache/mailfs/$acct/packs
nseg=$(ls "$packs" | grep -cv '\.idx$')
is "$(ls "$packs" | grep -c '\.idx$')" "$nseg" "each segment's headers are saved beside it"
for f in "$packs"/*.idx; do
	printf '\377\377\377\377' | dd of="$f" bs=1 seek=100 conv=notrunc 2>/dev/null
done
mount_traced "$M" "$T/log1b" || bail_out "mount failed"
same "over damaged saved headers, a copy equals the server's"
unmount_traced "$M"
is "$(bodies "$T/log1b")" 0 "and no body is fetched again"

# A torn tail and a flipped byte: neither is served, both fetched again.
torn=$(store tear)
flipped=$(store flip)
[ -n "$torn" ] && [ -n "$flipped" ] || bail_out "cannot damage the store"
mount_traced "$M" "$T/log2" || bail_out "mount failed"
same "over a torn tail and a damaged body, a copy equals the server's"
unmount_traced "$M"
n=$(bodies "$T/log2")
ok $((n < 1 || n > 2)) "the two were fetched again (in $n fetches), nothing else" ||
    diag "$(grep -E 'BODY\.PEEK\[\]' "$T/log2")"
grep -q "cut short" "$T/log2"
ok $? "the torn tail was cut off"
grep -q "message $flipped is damaged" "$T/log2"
ok $? "the damaged body was found by its checksum"

# kill -9 during a cold copy; a mount over what it left serves it all right.
rm -rf "$T/cache"
mount_traced "$M" "$T/log3" || bail_out "mount failed"
pid=$mailfs_pid
(cp -r "$M/S" "$T/partial" 2>/dev/null) &
cp_pid=$!
sleep 0.3
kill -9 "$pid"
wait "$cp_pid" 2>/dev/null
wait "$pid" 2>/dev/null
fusermount3 -uz "$M" 2>/dev/null
mount_traced "$M" "$T/log4" || bail_out "mount failed after kill -9"
same "after kill -9 in a cold copy, every message equals the server's"
unmount_traced "$M"

# A cache_size far below the folder: all reads right, the store near it.
rm -rf "$T/cache"
mount_traced "$M" "$T/log5" -o cache_size=200k || bail_out "mount failed"
same "with cache_size=200k, a copy equals the server's"
same "and a second copy too"
bytes=$(du -sb "$T/cache/mailfs/$acct/packs" | cut -f1)
ok $((bytes > 300000)) "the store stays near 200k: $bytes bytes"
unmount_traced "$M"
bytes=$(du -sb "$T/cache/mailfs/$acct/packs" | cut -f1)
ok $((bytes > 300000)) "and after the unmount: $bytes bytes"

# Two mounts of one account: the second is refused, the first goes on.
mount_traced "$M" "$T/log6" || bail_out "mount failed"
mkdir -p "$T/mnt2"
XDG_CACHE_HOME=$T/cache run_timeout 30 "$MAILFS" -f \
    -o "password_file=$TEST_PASSWORD_FILE,tls_ca_file=$TEST_CA" \
    "imaps://$TEST_USER@$IMAP_HOST:$IMAPS_PORT" "$T/mnt2" >"$T/second" 2>&1 </dev/null
ok $(($? == 0)) "a second mount of the account exits nonzero"
grep -qE "^mailfs: the cache .* is in use by another mailfs mount \(pid $mailfs_pid\)$" \
    "$T/second"
ok $? "with one clear line" || diag "$(cat "$T/second")"
! mountpoint -q "$T/mnt2"
ok $? "and mounts nothing"
same "the first mount goes on serving"
unmount_traced "$M"
done_testing
