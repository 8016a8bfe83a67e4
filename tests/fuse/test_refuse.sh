#!/bin/bash
# Failures before mounting: exit status 1, one line on stderr, no mount.
# The password never shows in ps or in the -d log.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/harness/lib.sh"
. "$top_srcdir/tests/fuse/mount.sh"
need_fuse
start_dovecot
M=$MAILFS_TEST_TMP/mnt
mkdir -p "$M"
register_mount "$M"
URL=imaps://$TEST_USER@$IMAP_HOST:$IMAPS_PORT

# refused NAME EXPECTED-REGEX MAILFS-ARGS...
refused()
{
	local name=$1 re=$2 status
	shift 2
	XDG_CACHE_HOME=$MAILFS_TEST_TMP/cache run_timeout 30 "$MAILFS" "$@" \
	    >"$MAILFS_TEST_TMP/out" 2>"$MAILFS_TEST_TMP/err" </dev/null
	status=$?
	is "$status" 1 "$name: exit status 1"
	is "$(wc -l <"$MAILFS_TEST_TMP/err")" 1 "$name: one line on stderr" ||
	    diag "$(cat "$MAILFS_TEST_TMP/err")"
	like "$(cat "$MAILFS_TEST_TMP/err")" "$re" "$name: says why"
	! mountpoint -q "$M"
	ok $? "$name: nothing is mounted"
}

printf 'wrong\n' >"$MAILFS_TEST_TMP/wrong"
chmod 600 "$MAILFS_TEST_TMP/wrong"
refused "wrong password" "login failed" \
    -o "password_file=$MAILFS_TEST_TMP/wrong,tls_ca_file=$TEST_CA" "$URL" "$M"
refused "untrusted certificate" "not trusted" \
    -o "password_file=$TEST_PASSWORD_FILE" "$URL" "$M"
refused "wrong host name" "not valid for the name localhost" \
    -o "password_file=$TEST_PASSWORD_FILE,tls_ca_file=$TEST_CA" \
    "imaps://$TEST_USER@localhost:$IMAPS_PORT" "$M"
cp "$TEST_PASSWORD_FILE" "$MAILFS_TEST_TMP/open"
chmod 644 "$MAILFS_TEST_TMP/open"
refused "readable password file" "readable by group or others" \
    -o "password_file=$MAILFS_TEST_TMP/open,tls_ca_file=$TEST_CA" "$URL" "$M"
refused "no terminal" "no terminal" -o "tls_ca_file=$TEST_CA" "$URL" "$M"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
refused "unreachable host" "." \
    -o "password_file=$TEST_PASSWORD_FILE,tls_ca_file=$TEST_CA" \
    "imaps://$TEST_USER@127.0.0.1:$port" "$M"

# imap:// to a server without STARTTLS
plain=$MAILFS_TEST_TMP/plain
out=$("$HARNESS_DIR/dovecot.sh" start "$plain" --no-starttls) || bail_out "no second Dovecot"
at_exit "'$HARNESS_DIR/dovecot.sh' stop '$plain'"
plain_port=$(sed -n 's/^IMAP_PORT=//p' <<<"$out")
refused "imap:// without STARTTLS" "STARTTLS" \
    -o "password_file=$TEST_PASSWORD_FILE,tls_ca_file=$TEST_CA" \
    "imap://$TEST_USER@127.0.0.1:$plain_port" "$M"

# The password stays out of ps and out of the debug log.
log=$MAILFS_TEST_TMP/debug.log
XDG_CACHE_HOME=$MAILFS_TEST_TMP/cache "$MAILFS" -d \
    -o "password_command=cat $TEST_PASSWORD_FILE,tls_ca_file=$TEST_CA" "$URL" "$M" \
    >"$log" 2>&1 &
pid=$!
at_exit "kill $pid"
daemon_log "$log" "$pid"
wait_for 10 mountpoint -q "$M"
ok $? "mounts with password_command, in the foreground with -d"
ls -lR "$M" >/dev/null 2>&1
cat "$M"/INBOX/* >/dev/null 2>&1
ps axww -o args >"$MAILFS_TEST_TMP/ps"
! grep -qF "$TEST_PASSWORD" "$MAILFS_TEST_TMP/ps"
ok $? "the password is not in ps output"
fusermount3 -u "$M"
wait $pid
is $? 0 "the daemon ends with status 0 when unmounted"
grep -q "LOGIN\|AUTHENTICATE" "$log"
ok $? "the debug log has the protocol trace"
! grep -qF "$TEST_PASSWORD" "$log"
ok $? "the password is not in the debug log"
"$MAILFS" --version | grep -q '^mailfs '
ok $? "--version"
"$MAILFS" --help | grep -q 'password_file'
ok $? "--help"
done_testing
