#!/bin/bash
# A mount without the server (issue 12): mounted from the saved state
# when the server cannot be reached, cached bodies read byte for byte, an
# uncached one fails at once with EHOSTDOWN ("Host is down"), a change is
# queued (every kind: test_queue.sh), user.mailfs.status says offline; the
# mount goes online by itself once the server is back.  Then the server
# going away under a mount, and no saved state.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/harness/lib.sh"
. "$top_srcdir/tests/fuse/mount.sh"
need_fuse
command -v getfattr >/dev/null && command -v setfattr >/dev/null ||
    skip_all "getfattr or setfattr is missing (Debian package attr)"
start_dovecot
T=$MAILFS_TEST_TMP
M=$T/mnt
D=$HARNESS_DIR/dovecot.sh

mail()
{
	printf 'Subject: %s\r\nMessage-ID: <%s@offline.test>\r\n\r\nthe word is %s\r\n' \
	    "$2" "$2" "$2" >"$1"
}
status() { getfattr --absolute-names --only-values -n user.mailfs.status "$M" 2>/dev/null; }
state() { status | sed -n 's/^state: //p'; }
# ms CMD...: runs CMD, its stderr's last line in ERR, the milliseconds in MS.
ms()
{
	local t0 t1
	t0=$(date +%s%N)
	ERR=$("$@" 2>&1 >/dev/null)
	STATUS=$?
	t1=$(date +%s%N)
	MS=$(((t1 - t0) / 1000000))
}

for i in 1 2 3; do
	mail "$T/a$i" "alpha$i"
	imaptool append INBOX "$T/a$i" >/dev/null || bail_out "append failed"
done
imaptool create Cold >/dev/null || bail_out "create failed"
mail "$T/c1" cold1
c1=$(imaptool append Cold "$T/c1") || bail_out "append failed"

# 1. Online: every folder listed, INBOX read (cached), Cold only listed.
mount_mailfs "$M" || bail_out "mount failed"
is "$(state)" online "the status says online"
like "$(status)" $'^state: online\nsince: [0-9T:-]+Z\nqueued: 0\ncached: [0-9]+ of [0-9]+ messages\nlast-error: none\nlast-error-at: none\nprefetch: off\nserver: imaps://[^\n]+\nstore: [0-9]+ bytes\n' \
    "the status has the documented lines"
ls -R "$M" >"$T/ls.online" || bail_out "ls -R failed"
cat "$M"/INBOX/* >/dev/null || bail_out "cat failed"
getfattr -d -m - "$M" 2>/dev/null | grep -q mailfs.status
ok $((! $?)) "user.mailfs.status is not listed"
fusermount3 -u "$M"
wait_for 30 sh -c "! kill -0 $mailfs_pid 2>/dev/null"

# 2. The server stopped: mounted offline from the saved state.
"$D" pause "$DOVECOT_DIR" || bail_out "cannot stop Dovecot"
mount_mailfs "$M" || bail_out "offline mount failed"
log=$T/mailfs.$_mailfs_logs.log
like "$(grep -c 'unreachable (.*): mounted offline from the saved state of ' "$log")" '^1$' \
    "the mount says in one line that it is offline"
is "$(state)" offline "the status says offline"
like "$(status | sed -n 's/^last-error: //p')" 'refused' "the status names the last error"
like "$(status | sed -n 's/^cached: //p')" '^[3-4] of 4 messages$' \
    "the status counts the cached bodies of the messages listed"
ls -R "$M" >"$T/ls.offline"
ok $? "ls -R works offline"
is "$(cat "$T/ls.offline")" "$(cat "$T/ls.online")" "ls -R shows what it showed online"
bad=0
for i in 1 2 3; do
	f=$(ls "$M/INBOX" | sed -n ${i}p)
	cmp -s "$M/INBOX/$f" "$T/a$i" || { bad=1; diag "INBOX/$f differs"; }
done
ok $bad "the cached messages read byte for byte"
ms cat "$M/Cold/$(ls "$M/Cold" | head -1)"
ok $((STATUS == 0 || MS >= 1000)) "an uncached message fails at once ($MS ms)"
like "$ERR" 'Host is down' "with EHOSTDOWN"
a1=$(ls "$M/INBOX" | head -1)
a2=$(ls "$M/INBOX" | sed -n 2p)
ms rm "$M/INBOX/$a2"
ok $STATUS "rm is accepted offline: $ERR"
[ ! -e "$M/INBOX/$a2" ]; ok $? "and the message is gone from the mount at once"
is "$(status | sed -n 's/^queued: //p')" 1 "the status counts the change queued"

# 3. The server back: online by itself, new mail shows.
mail "$T/a4" alpha4
"$D" resume "$DOVECOT_DIR" || bail_out "cannot start Dovecot"
imaptool append INBOX "$T/a4" >/dev/null || bail_out "append failed"
t0=$SECONDS
wait_for 40 sh -c "getfattr --only-values -n user.mailfs.status '$M' 2>/dev/null | grep -q '^state: online'"
ok $? "online again by itself ($((SECONDS - t0)) s)"
wait_for 15 sh -c "ls '$M/INBOX' | wc -l | grep -qx 3"
ok $? "the mail appended meanwhile appears"
wait_for 15 sh -c "getfattr --only-values -n user.mailfs.status '$M' 2>/dev/null | grep -qx 'queued: 0'"
ok $? "the rm queued is replayed"
is "$(imaptool count INBOX)" 3 "the server holds what it held but the message removed, and the new mail"

# 4. The server going away under the mount.  A refresh that was under
# way when it went may say so once: the server did close its connection.
expect_log '^mailfs: warning: cannot refresh the folder list: the server closed the connection'
"$D" pause "$DOVECOT_DIR" || bail_out "cannot stop Dovecot"
wait_for 15 sh -c "getfattr --only-values -n user.mailfs.status '$M' 2>/dev/null | grep -q '^state: offline'"
ok $? "offline when the server went away"
cmp -s "$M/INBOX/$a1" "$T/a1"
ok $? "a cached message still reads"
ms cat "$M/Cold/$(ls "$M/Cold" | head -1)"
ok $((STATUS == 0 || MS >= 1000)) "an uncached message fails at once ($MS ms): ${ERR##*: }"
"$D" resume "$DOVECOT_DIR" || bail_out "cannot start Dovecot"
wait_for 40 sh -c "getfattr --only-values -n user.mailfs.status '$M' 2>/dev/null | grep -q '^state: online'"
ok $? "online again by itself"
cmp -s "$M/Cold/$(ls "$M/Cold" | head -1)" "$T/c1"
ok $? "the uncached message reads once online"
fusermount3 -u "$M"
wait_for 30 sh -c "! kill -0 $mailfs_pid 2>/dev/null"

# 5. No saved state and no server: fails at once, as before.
"$D" pause "$DOVECOT_DIR" || bail_out "cannot stop Dovecot"
mkdir -p "$T/m2"
t0=$(date +%s%N)
XDG_CACHE_HOME=$T/empty "$MAILFS" -f -o "password_file=$TEST_PASSWORD_FILE,tls_ca_file=$TEST_CA" \
    "imaps://$TEST_USER@$IMAP_HOST:$IMAPS_PORT" "$T/m2" >"$T/nostate" 2>&1 </dev/null
st=$?
ok $((st == 0 || ($(date +%s%N) - t0) / 1000000 >= 3000)) "without a saved state the mount fails at once"
like "$(cat "$T/nostate")" 'cannot use .*Connection refused' "and says why as before"
# A saved tree that does not parse is no saved state.
store meta-random tree || bail_out "cannot damage the saved tree"
t0=$(date +%s%N)
XDG_CACHE_HOME=$T/cache "$MAILFS" -f -o "password_file=$TEST_PASSWORD_FILE,tls_ca_file=$TEST_CA" \
    "imaps://$TEST_USER@$IMAP_HOST:$IMAPS_PORT" "$T/m2" >"$T/damaged" 2>&1 </dev/null
st=$?
ok $((st == 0 || ($(date +%s%N) - t0) / 1000000 >= 3000)) "a damaged saved tree: the mount fails at once"
like "$(cat "$T/damaged")" 'cannot use .*Connection refused' "as without a saved state"
"$D" resume "$DOVECOT_DIR" || bail_out "cannot start Dovecot"
# 6. A wrong password with the server up fails at once.
(umask 077 && echo wrong >"$T/badpw")
XDG_CACHE_HOME=$T/cache "$MAILFS" -f -o "password_file=$T/badpw,tls_ca_file=$TEST_CA" \
    "imaps://$TEST_USER@$IMAP_HOST:$IMAPS_PORT" "$T/m2" >"$T/badpw.out" 2>&1 </dev/null
ok $((! $?)) "a wrong password fails"
like "$(cat "$T/badpw.out")" 'login failed' "as a failed login"
done_testing
