#!/bin/bash
# -o prefetch=all (fuse/model/fetchall.c): every body of every folder is
# fetched into the store in the background; the root's user.mailfs.status
# says "prefetch: done"; then, Dovecot stopped, grep -r over the whole
# mount finds every Message-ID the server holds, and bodies read as the
# server's bytes.  With a small cache_size it stops before the store
# would evict what it fetched ("stopped (cache full)"), and stays so.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/harness/lib.sh"
. "$top_srcdir/tests/fuse/mount.sh"
need_fuse
command -v getfattr >/dev/null || skip_all "getfattr is missing (Debian package attr)"
start_dovecot
T=$MAILFS_TEST_TMP
M=$T/mnt
D=$HARNESS_DIR/dovecot.sh
# A few hundred small messages in four folders, and four of 100 KiB to
# 1 MiB; each has a Message-ID of its own.
imaptool create Archiv >/dev/null && imaptool create Listen.Technik >/dev/null &&
    imaptool create Gross >/dev/null || bail_out "create failed"
imap_py "
import time
n = 0
def put(folder, count, size):
    global n
    for i in range(count):
        n += 1
        pad = (b'x' * 75 + b'\r\n') * (size // 77)
        imaptool.append(m, folder, b'Message-ID: <all%d@test>\r\nSubject: %d\r\n\r\nbody %d\r\n' % (n, n, n) + pad,
            date=time.time() - 86400 * ((n * 7919) % 400))
put('INBOX', 120, 0)
put('Archiv', 100, 2000)
put('Listen.Technik', 80, 0)
for size in (100 << 10, 300 << 10, 600 << 10, 1000 << 10):
    put('Gross', 1, size)
" || bail_out "seeding failed"

status() { getfattr --absolute-names --only-values -n user.mailfs.status "$M" 2>/dev/null; }
prefetch_is() { status | grep -qx "prefetch: $1"; }

# every_id: every Message-ID the server holds, sorted.
every_id()
{
	imap_py "
for f in ['INBOX', 'Archiv', 'Listen.Technik', 'Gross']:
    imaptool.select(m, f, True)
    for uid in imaptool.uid_search(m):
        for line in imaptool.fetch_item(m, uid, 'BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]')[1].split(b'\n'):
            if line.lower().startswith(b'message-id:'):
                print(line.split(b':', 1)[1].strip().decode())
" | sort
}

mount_mailfs "$M" -o prefetch=all || bail_out "mount failed"
like "$(status | sed -n 's/^prefetch: //p')" '^(running|done)$' "the status has a prefetch line"
t0=$SECONDS
wait_for 120 prefetch_is done
ok $? "the status says done ($((SECONDS - t0)) s)" || diag "$(status)"
like "$(status | sed -n 's/^cached: //p')" '^([0-9]+) of \1 messages$' "every listed body is cached"

every_id >"$T/ids.server"
is "$(wc -l <"$T/ids.server")" 304 "the server holds 304 Message-IDs"
# Bodies to compare, fetched before the server goes.
cmps=()
for f in INBOX Gross Listen.Technik; do
	uv=$(imaptool uidvalidity "$f")
	for u in $(imaptool uids "$f" | sed -n '1p;$p'); do
		imaptool fetch "$f" "$u" >"$T/body.$f.$u" || bail_out "fetch failed"
		cmps+=("$T/body.$f.$u:${f//./\/}/$(msg_name_uv "$uv" "$u")")
	done
done

# Dovecot stopped: everything reads from the store.  A refresh that was
# under way when it went says so.
expect_log '^mailfs: warning: cannot refresh the folder list: the server closed the connection'
"$D" pause "$DOVECOT_DIR" || bail_out "cannot stop Dovecot"
grep -rhoi '^Message-ID: <[^>]*>' "$M" | sed 's/^[^:]*: *//' | sort -u >"$T/ids.mount"
ok $? "grep -r over the whole mount with the server stopped"
is "$(comm -23 "$T/ids.server" "$T/ids.mount" | wc -l)" 0 \
    "it finds every Message-ID the server holds" || diag "$(comm -23 "$T/ids.server" "$T/ids.mount" | head -3)"
bad=0
for c in "${cmps[@]}"; do
	cmp -s "${c%%:*}" "$M/${c#*:}" || { bad=$((bad + 1)); diag "differs: ${c#*:}"; }
done
is "$bad" 0 "${#cmps[@]} bodies read as the server's bytes"
wait_for 20 prefetch_is 'paused (offline)'
ok $? "offline, the status says paused" || diag "$(status)"
"$D" resume "$DOVECOT_DIR" || bail_out "cannot start Dovecot"
wait_for 40 sh -c "getfattr --only-values -n user.mailfs.status '$M' 2>/dev/null | grep -q '^state: online'"
ok $? "online again"
# New mail is fetched too.
printf 'Message-ID: <late@test>\r\nSubject: late\r\n\r\nlate body\r\n' >"$T/late.eml"
imaptool append Archiv "$T/late.eml" >/dev/null || bail_out "append failed"
wait_for 30 sh -c "getfattr --only-values -n user.mailfs.status '$M' 2>/dev/null |
    grep -qx 'cached: 305 of 305 messages'"
ok $? "new mail is fetched too" || diag "$(status)"
wait_for 20 prefetch_is done
ok $? "and the status says done again"
fusermount3 -u "$M"
wait_for 30 sh -c "! kill -0 $mailfs_pid 2>/dev/null"

# A small store: it stops before evicting, and stays stopped.
rm -rf "$T/cache"
LIMIT=$((1536 << 10))
mount_mailfs "$M" -o "prefetch=all,cache_size=$LIMIT" || bail_out "second mount failed"
wait_for 120 prefetch_is 'stopped (cache full)'
ok $? "with cache_size=$LIMIT the status says stopped (cache full)" || diag "$(status)"
c1=$(status | sed -n 's/^cached: //p')
s1=$(du -sb "$T/cache" | cut -f1)
sleep 3
c2=$(status | sed -n 's/^cached: //p')
s2=$(du -sb "$T/cache" | cut -f1)
is "$c2" "$c1" "nothing is fetched or evicted after: cached $c2"
ok $((s1 > LIMIT || s2 > LIMIT)) "the store stays under cache_size ($s1, $s2 bytes)"
like "$c2" '^[1-9][0-9]* of 305 messages$' "some of it is stored"
fusermount3 -u "$M"
wait_for 30 sh -c "! kill -0 $mailfs_pid 2>/dev/null"
done_testing
