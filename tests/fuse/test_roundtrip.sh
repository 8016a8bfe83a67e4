#!/bin/bash
# The round trip of issue 4: rsync -aX MOUNT/ backup/, an empty account,
# rsync -aX backup/ MOUNT/.  rsync reports no error, and the account then
# holds the same folders, and in each the same messages byte for byte with
# the same flags and INTERNALDATE (compared by Message-ID through
# mailcheck.py, never through the mount).
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/harness/lib.sh"
. "$top_srcdir/tests/fuse/mount.sh"
need_fuse
command -v rsync >/dev/null || skip_all "rsync is missing"
start_dovecot
imaptool seed-demo >/dev/null || bail_out "seed-demo failed"
# More: nesting two deep with umlauts, keywords, \Draft, an empty folder,
# INTERNALDATEs across years and zones.
imap_py "
import imaplib
for f in ('Ärger', 'Ärger.Über', 'Ärger.Über.Größe', 'Leer'):
    imaptool.check(m._simple_command('CREATE', imaptool.mailbox_arg(f)), 'CREATE ' + f)
extra = [
    ('Ärger.Über', '(\\\\Draft \$Work Wichtig)', '\"01-Jan-2001 00:00:01 +0000\"'),
    ('Ärger.Über', '(\\\\Seen \\\\Answered \\\\Flagged)', '\"29-Feb-2024 23:59:59 -0800\"'),
    ('Ärger.Über.Größe', None, '\"15-Aug-1999 12:00:00 +0530\"'),
    ('Ärger', '(\$Label2)', '\"31-Dec-2030 10:00:00 +0100\"'),
    ('INBOX', '(\\\\Seen NonJunk)', '\"07-Mar-2012 08:30:00 +0000\"'),
]
for n, (f, flags, date) in enumerate(extra):
    body = ('Message-ID: <extra-%d@roundtrip.test>\r\nSubject: Grüße %d\r\n'
            'Content-Type: text/plain; charset=utf-8\r\n\r\nÄrger über Größe %d\r\n' % (n, n, n)).encode()
    imaptool.append(m, f, body, flags, date)
" || bail_out "seeding failed"
snap()
{
	timeout -k 5 60 "$PYTHON" "$HARNESS_DIR/mailcheck.py" snapshot
}
snap >"$MAILFS_TEST_TMP/before" || bail_out "snapshot failed"
M=$MAILFS_TEST_TMP/mnt
B=$MAILFS_TEST_TMP/backup
LOG=$MAILFS_TEST_TMP/mailfs.log

# The daemon in the foreground, so that its end (after the uploads at
# unmount) can be waited for and its log read.
mount_fg()
{
	mkdir -p "$M"
	register_mount "$M"
	XDG_CACHE_HOME=$MAILFS_TEST_TMP/cache "$MAILFS" -f \
	    -o "password_file=$TEST_PASSWORD_FILE,tls_ca_file=$TEST_CA,timeout=10" \
	    "imaps://$TEST_USER@$IMAP_HOST:$IMAPS_PORT" "$M" 2>>"$LOG" &
	DAEMON=$!
	at_exit "kill $DAEMON"
	daemon_log "$LOG" "$DAEMON"
	wait_for 30 mountpoint -q "$M"
}
unmount_fg()
{
	fusermount3 -u "$M" || return 1
	wait_for 60 eval '! kill -0 $DAEMON 2>/dev/null'
}

mount_fg || bail_out "mount failed"
err=$(run_timeout 120 rsync -aX "$M/" "$B/" 2>&1)
ok $? "rsync -aX mount/ backup/" || diag "$err"
is "$(find "$B" -name '*.eml' | wc -l)" "$(grep -c '^message ' "$MAILFS_TEST_TMP/before")" \
    "the backup holds every message"
unmount_fg
ok $? "unmount"

timeout -k 5 60 "$PYTHON" "$HARNESS_DIR/mailcheck.py" wipe
ok $? "the account is emptied (every folder deleted, INBOX expunged)"
is "$(snap | grep -c '^message ')" 0 "the account holds no message"

mount_fg || bail_out "second mount failed"
t0=$SECONDS
err=$(run_timeout 120 rsync -aX "$B/" "$M/" 2>&1)
ok $? "rsync -aX backup/ mount/" || diag "$err"
is "$err" "" "rsync reports nothing on stderr"
# New files are uploaded a moment after they are left alone, or at the
# latest at the unmount.
unmount_fg
ok $? "unmount (every staged message uploaded)"
diag "restore and unmount took $((SECONDS - t0)) s"

snap >"$MAILFS_TEST_TMP/after" || bail_out "snapshot failed"
diff "$MAILFS_TEST_TMP/before" "$MAILFS_TEST_TMP/after" >"$MAILFS_TEST_TMP/diff"
ok $? "the same folders, and in each the same messages, bytes, flags and INTERNALDATE" ||
    diag "$(head -n 20 "$MAILFS_TEST_TMP/diff")"
is "$(grep -c '^message ' "$MAILFS_TEST_TMP/after")" "$(grep -c '^message ' "$MAILFS_TEST_TMP/before")" \
    "as many messages as before"
is "$(grep '^message ' "$MAILFS_TEST_TMP/after" | cut -f2 | sort | uniq -d)" "" \
    "no Message-ID twice"
if grep -qiE 'error|warn|cannot' "$LOG"; then
	diag "the daemon logged:"
	diag "$(grep -iE 'error|warn|cannot' "$LOG" | head -n 10)"
fi
done_testing
