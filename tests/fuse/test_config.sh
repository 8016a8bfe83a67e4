#!/bin/bash
# The accounts file (fuse/common/config.h): accounts chosen by name or
# account=, the file's options under the command line's, every error as
# one line FILE:LINE before anything is mounted, the refusal of a file
# that others may read, and --help under the program's own name.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/harness/lib.sh"
. "$top_srcdir/tests/fuse/mount.sh"
need_fuse
start_dovecot
imaptool seed-demo >/dev/null || bail_out "seed-demo failed"
M=$MAILFS_TEST_TMP/mnt
mkdir -p "$M"
register_mount "$M"
URL=imaps://$TEST_USER@$IMAP_HOST:$IMAPS_PORT
printf 'wrong\n' >"$MAILFS_TEST_TMP/wrong"
chmod 600 "$MAILFS_TEST_TMP/wrong"
CONF=$MAILFS_TEST_TMP/xdg/mailfs/accounts
mkdir -p "${CONF%/*}"
cat >"$CONF" <<EOT
# two accounts on the test server
[work]
url = $URL
password_command = cat $TEST_PASSWORD_FILE
tls_ca_file = $TEST_CA
refresh = 1
timeout = 10

[wrongpw]
url: $URL
password_file = $MAILFS_TEST_TMP/wrong
nopush = yes
EOT
chmod 600 "$CONF"

# mounted ARGS...: mounts in the foreground, in the background; 0 once mounted.
mounted()
{
	XDG_CACHE_HOME=$MAILFS_TEST_TMP/cache "$MAILFS" -f "$@" \
	    >"$MAILFS_TEST_TMP/log" 2>&1 </dev/null &
	pid=$!
	daemon_log "$MAILFS_TEST_TMP/log" "$pid"
	wait_for 30 sh -c "mountpoint -q '$M' || ! kill -0 $pid 2>/dev/null"
	mountpoint -q "$M"
}

unmounted()
{
	fusermount3 -u "$M" && wait "$pid"
}

# refused NAME EXPECTED-OUTPUT MAILFS-ARGS...: exit status 1, exactly the
# expected stderr, nothing mounted.
refused()
{
	local name=$1 want=$2 status
	shift 2
	XDG_CACHE_HOME=$MAILFS_TEST_TMP/cache run_timeout 30 "$MAILFS" "$@" \
	    >"$MAILFS_TEST_TMP/out" 2>"$MAILFS_TEST_TMP/err" </dev/null
	status=$?
	is "$status" 1 "$name: exit status 1"
	is "$(cat "$MAILFS_TEST_TMP/err")" "$want" "$name: says why"
	! mountpoint -q "$M"
	ok $? "$name: nothing is mounted"
}

# The account by its name, from $XDG_CONFIG_HOME/mailfs/accounts; the
# options of an fstab line that are mount(8)'s alone are dropped.
XDG_CONFIG_HOME=$MAILFS_TEST_TMP/xdg mounted work "$M" \
    -o noauto,user,_netdev,nofail,x-systemd.automount,comment=x
ok $? "mailfs NAME MOUNT -o noauto,user,... mounts the account from \$XDG_CONFIG_HOME"
ls "$M/INBOX" | grep -q '\.eml$'
ok $? "its INBOX lists messages"
like "$(grep " $M " /proc/mounts)" "^work $M fuse.mailfs " "the mount's source is the account's name"
# mailfs status MOUNT: a table, and --json for scripts.
cat "$M"/INBOX/* >/dev/null
"$MAILFS" status "$M" >"$MAILFS_TEST_TMP/status"
is "$?:$(sed -n 's/  */ /g;1p' "$MAILFS_TEST_TMP/status")" \
    "0:ACCOUNT MOUNT STATE SINCE SERVER LAST CONTACT QUEUED OUTBOX CACHED STORE LAST ERROR" \
    "mailfs status: the table's head"
like "$(sed -n 2p "$MAILFS_TEST_TMP/status")" "^work +$M +online +[0-9T:-]+Z +$URL +[0-9T:-]+Z +0 +- +[1-9][0-9]*/[1-9][0-9]* +[0-9.]+M +-$" \
    "mailfs status: the account's line"
"$MAILFS" status --json "$M" | "$PYTHON" -c '
import json, sys
s, = json.load(sys.stdin)
assert s["mount"] == sys.argv[1] and s["state"] == "online" and s["server"] == sys.argv[2], s
assert s["queued"] == 0 and s["outbox"] is None and s["last_error"] is None, s
assert 0 < s["cached"] <= s["listed"] and s["store_bytes"] > 0, s
' "$M" "$URL"
ok $? "mailfs status --json"
"$MAILFS" status "$MAILFS_TEST_TMP" 2>"$MAILFS_TEST_TMP/err" >/dev/null
is "$?:$(cat "$MAILFS_TEST_TMP/err")" "1:mailfs: $MAILFS_TEST_TMP: not a mailfs mount" \
    "mailfs status on another directory"
unmounted
ok $? "unmounted, the daemon ends with status 0"

# Type=notify (fuse/mailfs@.service.in): READY=1 to $NOTIFY_SOCKET once
# mounted, logged in and listed; the password command does not inherit it.
# listen NAME: the first datagram to the socket NAME into NAME.out.
listen()
{
	rm -f "$MAILFS_TEST_TMP/$1" "$MAILFS_TEST_TMP/$1.out"
	"$PYTHON" -c '
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(60)
msg = s.recv(4096).decode()
with open(sys.argv[1] + ".out", "w") as f:
    f.write(msg + (" mounted" if os.path.ismount(sys.argv[2]) else " not mounted"))
' "$MAILFS_TEST_TMP/$1" "$M" &
	listener=$!
	wait_for 10 test -S "$MAILFS_TEST_TMP/$1"
}
listen notify
NOTIFY_SOCKET=$MAILFS_TEST_TMP/notify XDG_CONFIG_HOME=$MAILFS_TEST_TMP/xdg mounted work "$M" \
    -o "password_command=test -z \"\$NOTIFY_SOCKET\" && cat $TEST_PASSWORD_FILE"
ok $? "mounted with \$NOTIFY_SOCKET set, which the password command does not see"
wait "$listener"
is "$(cat "$MAILFS_TEST_TMP/notify.out")" "READY=1 mounted" "READY=1 to \$NOTIFY_SOCKET, once mounted"
unmounted
# Mounted offline from the store: ready only when the server has answered.
"$HARNESS_DIR/dovecot.sh" pause "$DOVECOT_DIR" || bail_out "cannot stop Dovecot"
listen offline
NOTIFY_SOCKET=$MAILFS_TEST_TMP/offline XDG_CONFIG_HOME=$MAILFS_TEST_TMP/xdg mounted work "$M"
ok $? "mounted offline"
# The daemon answered, so its main thread is past where READY=1 goes online.
ls "$M/INBOX" >/dev/null
is "$(cat "$MAILFS_TEST_TMP/offline.out" 2>/dev/null)" "" "offline: no READY=1 yet"
"$HARNESS_DIR/dovecot.sh" resume "$DOVECOT_DIR" || bail_out "cannot start Dovecot"
t0=$SECONDS
wait "$listener"
is "$(cat "$MAILFS_TEST_TMP/offline.out")" "READY=1 mounted" \
    "READY=1 once the server answered ($((SECONDS - t0)) s)"
unmounted

# account= with the file named by config=; the other account's password is wrong.
mounted -o "config=$CONF,account=work" "$M"
ok $? "-o config=PATH,account=NAME MOUNT mounts it"
unmounted
XDG_CACHE_HOME=$MAILFS_TEST_TMP/cache run_timeout 30 "$MAILFS" \
    -o "config=$CONF,tls_ca_file=$TEST_CA" wrongpw "$M" 2>"$MAILFS_TEST_TMP/err" </dev/null
is "$?:$(cat "$MAILFS_TEST_TMP/err")" "1:mailfs: login failed: the server rejected the user name or password" \
    "the other account is that account (its wrong password), with the command line's CA"
# The command line's options over the file's: a password given there
# replaces the file's password_file.
mounted -o "config=$CONF,account=wrongpw,tls_ca_file=$TEST_CA" \
    -o "password_command=cat $TEST_PASSWORD_FILE" "$M"
ok $? "the command line's password and CA over the file's"
unmounted
refused "no such account" \
    "mailfs: nosuch is no URL (imaps://USER@HOST) nor an account of $CONF" \
    -o "config=$CONF" nosuch "$M"

# A command that prints its line and goes on has the timeout, not more.
refused "a password command that does not end" \
    "mailfs: the password command did not answer within 2 seconds" \
    -o "password_command=cat $TEST_PASSWORD_FILE; exec sleep 30" -o timeout=2 "$URL" "$M"

# Every error, one line each, in the file's order, before mounting.
BAD=$MAILFS_TEST_TMP/bad
cat >"$BAD" <<EOT
refresh = 3
[a]
url = $URL
refresh = often
frobnicate = 1
nopush
[b]
password_file = /x
password_command = cat /x
[a]
url = imaps://x@y
[c]
url = $URL
password_command = cat /x ; echo
  timeout = 5
[d
[$(printf 'n%.0s' $(seq 1 60))]
url = $URL
EOT
chmod 600 "$BAD"
refused "a file with errors" "$BAD:1: refresh: an option before the first [ACCOUNT]
$BAD:4: refresh= takes a number of seconds from 1 to 86400
$BAD:5: unknown option frobnicate
$BAD:6: a flag is written \"nopush = yes\"
$BAD:7: [b] has no url = (imaps://USER@HOST)
$BAD:9: password_file= and password_command= exclude each other
$BAD:10: duplicate section [a] (first on line 2)
$BAD:14: password_command: \" ;\" would start a comment in the value
$BAD:15: an indented line would continue the value above: unindent it
$BAD:16: [d: a section is [NAME]
$BAD:17: [$(printf 'n%.0s' $(seq 1 49))...]: an account's name is at most 49 bytes" \
    -o "config=$BAD" a "$M"

# A file that holds a command may hold a secret: 600, like the password file.
chmod 644 "$CONF"
refused "a file others may read" \
    "$CONF:4: holds a command (it may hold a secret) and is readable by group or others; run chmod 600 on it" \
    -o "config=$CONF" work "$M"
# Who may write it chooses the commands run and where passwords go.
chmod 620 "$CONF"
refused "a file others may write" \
    "$CONF:0: writable by group or others; run chmod 600 on it" \
    -o "config=$CONF" work "$M"

# The program's own name, not libtool's .libs/lt-mailfs.
head -n 1 < <("$MAILFS" --help) | grep -q '^usage: mailfs \['
ok $? "--help says mailfs"
! "$MAILFS" --help 2>&1 | grep -q 'lt-mailfs\|\.libs'
ok $? "--help names no .libs path"
done_testing
