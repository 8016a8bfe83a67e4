#!/bin/bash
# Every account of the accounts file under one mount (fuse/multi/multi.h):
# two IMAP accounts on two Dovecots and a POP3 maildrop mounted at once
# by "mailfs MOUNT", read in each; one server stopped while the other account's directory keeps
# answering; mailfs status as a table and as JSON; an account that cannot
# be mounted said in one line while the others are; the stop by SIGTERM
# and by fusermount3 -uz, every daemon gone by its PID, no mount left.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/harness/lib.sh"
. "$top_srcdir/tests/fuse/mount.sh"
need_fuse
command -v getfattr >/dev/null || skip_all "getfattr is missing (Debian package attr)"
start_dovecot --pop3
T=$MAILFS_TEST_TMP
M=$T/mnt
D=$HARNESS_DIR/dovecot.sh
mkdir -p "$M"
register_mount "$M"

# The second server: its settings as S2_IMAPS_PORT, S2_TEST_CA, ...
out=$("$D" start "$T/dovecot2") || bail_out "could not start the second Dovecot"
at_exit "'$D' stop '$T/dovecot2'"
eval "$(printf '%s\n' "$out" | sed 's/^/S2_/')"
imaptool2() { IMAPS_PORT=$S2_IMAPS_PORT IMAP_PORT=$S2_IMAP_PORT TEST_CA=$S2_TEST_CA \
    TEST_USER=$S2_TEST_USER TEST_PASSWORD=$S2_TEST_PASSWORD \
    TEST_PASSWORD_FILE=$S2_TEST_PASSWORD_FILE imaptool "$@"; }

mail() { printf 'Subject: %s\r\nMessage-ID: <%s@multi.test>\r\n\r\nthe word is %s\r\n' \
    "$1" "$1" "$1"; }
mail work1 >"$T/w1"; imaptool append INBOX "$T/w1" >/dev/null || bail_out "append failed"
mail home1 >"$T/h1"; imaptool2 append INBOX "$T/h1" >/dev/null || bail_out "append failed"
mail home2 >"$T/h2"; imaptool2 append INBOX "$T/h2" >/dev/null || bail_out "append failed"
printf 'wrong\n' >"$T/wrong"
chmod 600 "$T/wrong"

CONF=$T/accounts
account() # NAME URL-PREFIX PORT CA PASSWORD-FILE
{
	printf '[%s]\nurl = imaps://%s:%s\npassword_file = %s\ntls_ca_file = %s\n' \
	    "$1" "$2" "$3" "$5" "$4"
	printf 'refresh = 1\ntimeout = 3\n\n'
}
{
	account work "$TEST_USER@$IMAP_HOST" "$IMAPS_PORT" "$TEST_CA" "$TEST_PASSWORD_FILE"
	account home "$S2_TEST_USER@$S2_IMAP_HOST" "$S2_IMAPS_PORT" "$S2_TEST_CA" \
	    "$S2_TEST_PASSWORD_FILE"
	# work's INBOX as a POP3 maildrop
	printf '[drop]\nurl = pop3s://%s@127.0.0.1:%s\npassword_file = %s\ntls_ca_file = %s\n' \
	    "$TEST_USER" "$POP3S_PORT" "$TEST_PASSWORD_FILE" "$TEST_CA"
	printf 'refresh = 1\ntimeout = 3\n\n'
} >"$CONF"
chmod 600 "$CONF"

# The daemon mounted at $M (the process whose command line ends in it),
# and the accounts' daemons, its children.
daemons() { ps -eo pid=,args= | awk -v m=" $M" 'substr($0, length($0) - length(m) + 1) == m { print $1 }'; }
children() { ps -o pid= --ppid "$1" | tr -d ' '; }
gone() { local p; for p in "$@"; do kill -0 "$p" 2>/dev/null && return 1; done; return 0; }
mounts_left() { grep -c " $M[ /]" /proc/mounts; }
json() { "$MAILFS" status --json "$M" | python3 -c "import json, sys; r = json.load(sys.stdin); $1"; }

# 1. Both accounts, the command back once they are mounted.
XDG_CACHE_HOME=$T/cache run_timeout 60 "$MAILFS" -o "config=$CONF" "$M" \
    >"$T/out" 2>"$T/err" </dev/null
is $? 0 "mailfs MOUNT mounts every account and returns 0"
is "$(cat "$T/err")" "" "and says nothing, as a single mount"
is "$(ls "$M" | sort | tr '\n' ' ')" "drop home work " "one directory an account"
is "$(stat -c %a "$M/work" 2>/dev/null)" 700 "the account's directory is the user's alone"
grep -q 'the word is work1' "$M/work/INBOX/"*.eml
ok $? "work's mail reads"
is "$(cat "$M/home/INBOX/"*.eml | grep -c 'the word is home')" 2 "home's mail reads"
grep -q 'the word is work1' "$M/drop/INBOX/"*.eml
ok $? "the POP3 maildrop's mail reads"
parent=$(daemons)
kids=$(children "$parent")
is "$(echo $kids | wc -w)" 3 "a daemon an account, children of the one at MOUNT"
at_exit "kill $parent $kids"
mkdir "$M/new" 2>/dev/null
ok $((! $?)) "MOUNT itself takes no new directory"

# 2. mailfs status: a table, and JSON.
"$MAILFS" status "$M" >"$T/status"
is $? 0 "mailfs status MOUNT succeeds"
like "$(grep '^work ' "$T/status")" "^work +$M/work +online +[0-9T:-]+Z +imaps://$TEST_USER@$IMAP_HOST:$IMAPS_PORT +[0-9T:-]+Z +0 +- +1/1 " \
    "work's row: online, its server, a last contact, nothing queued, no Outbox, one body cached"
json "
assert [a['account'] for a in r] == ['work', 'home', 'drop'], r
h = r[1]
assert h['state'] == 'online' and h['server'].endswith(':$S2_IMAPS_PORT'), h
assert h['queued'] == 0 and h['outbox'] is None and h['cached'] == 2 and h['listed'] >= 2, h
assert h['store_bytes'] > 0 and h['last_error'] is None and h['last_contact'], h
"
ok $? "mailfs status --json: both accounts, numbers as numbers"
"$MAILFS" status --json >"$T/all.json"
python3 -c "import json, sys; r = json.load(open(sys.argv[1]));
assert [a['account'] for a in r if a['mount'].startswith(sys.argv[2] + '/')] == ['work', 'home', 'drop'], r" \
    "$T/all.json" "$M"
ok $? "mailfs status without MOUNT lists each account once"

# 3. One server stopped: the other account answers at once.
"$D" pause "$T/dovecot2" || bail_out "cannot stop the second Dovecot"
t0=$(date +%s%N)
mail work2 >"$T/w2"; imaptool append INBOX "$T/w2" >/dev/null
wait_for 5 sh -c "grep -qs 'the word is work2' '$M/work/INBOX/'*.eml"
ok $? "work's new mail is listed and read with home's server down ($((($(date +%s%N) - t0) / 1000000)) ms)"
ls "$M/home/INBOX" >/dev/null && cat "$M/home/INBOX/"*.eml | grep -q 'the word is home1'
ok $? "home's cached mail still reads"
wait_for 15 sh -c "'$MAILFS' status --json '$M' | grep -q '\"account\": \"home\", \"state\": \"offline\"'"
ok $? "mailfs status says home is offline"
json "assert r[1]['last_error'] and r[1]['last_error_at'] and r[0]['state'] == 'online', r"
ok $? "with the last error, and work online"
"$D" resume "$T/dovecot2" || bail_out "cannot start the second Dovecot"

# 4. Lazily unmounted: every daemon ends.
fusermount3 -uz "$M"
wait_for 20 gone $parent $kids
ok $? "fusermount3 -uz MOUNT: every daemon ends (PIDs $(echo $parent $kids))"
is "$(mounts_left)" 0 "no mount is left"

# 5. In the foreground, an account that cannot be mounted, stopped by SIGTERM.
# bad's server is home's, stopped, and nothing of it was ever saved.
"$D" pause "$T/dovecot2" || bail_out "cannot stop the second Dovecot"
account bad "nobody@$S2_IMAP_HOST" "$S2_IMAPS_PORT" "$S2_TEST_CA" "$T/wrong" >>"$CONF"
XDG_CACHE_HOME=$T/cache "$MAILFS" -f -o "config=$CONF" "$M" >"$T/log" 2>&1 </dev/null &
pid=$!
daemon_log "$T/log" "$pid"
wait_for 30 sh -c "grep -q 'not mounted' '$T/log' && [ \$(grep -c ' $M/' /proc/mounts) -ge 2 ]"
ok $? "the other accounts mount beside one that cannot"
like "$(grep 'bad' "$T/log")" "^mailfs: bad: not mounted: .+" "the one is said in one line, with its name and why"
like "$(grep 'home' "$T/log" | head -1)" "unreachable .*mounted offline" "home mounts offline from its store"
is "$(cat "$M/home/INBOX/"*.eml | grep -c 'the word is home')" 2 "home reads offline"
json "
b = r[3]
assert b['account'] == 'bad' and b['state'] == 'unmounted' and 'refused' in b['last_error'], b
assert r[1]['state'] == 'offline' and r[0]['state'] == 'online', r
"
ok $? "mailfs status: the account not mounted, and why"
# An account's daemon killed: its directory empty, not a dead mount.
expect_log '^mailfs: warning: drop: its daemon ended \(killed by signal 9\)'
kill -KILL "$(ps -eo pid=,args= | awk -v m=" $M/drop" 'substr($0, length($0) - length(m) + 1) == m { print $1 }')"
wait_for 10 sh -c "! grep -q ' $M/drop ' /proc/mounts"
ok $? "an account's daemon killed: its mount goes"
is "$(ls -A "$M/drop" 2>&1)" "" "and its directory is empty"
kids=$(children "$pid")
kill -TERM "$pid"
wait_for 20 gone $pid $kids
ok $? "SIGTERM: every daemon ends (PIDs $(echo $pid $kids))"
wait "$pid"
is $? 0 "with status 0"
is "$(mounts_left)" 0 "no mount is left"

# 6. No account mounted: status 1, nothing left.
account bad "nobody@$S2_IMAP_HOST" "$S2_IMAPS_PORT" "$S2_TEST_CA" "$T/wrong" >"$CONF.bad"
chmod 600 "$CONF.bad"
XDG_CACHE_HOME=$T/cache run_timeout 30 "$MAILFS" -o "config=$CONF.bad" "$M" \
    >/dev/null 2>"$T/err" </dev/null
is $? 1 "no account mounted: exit status 1"
like "$(tail -1 "$T/err")" "^mailfs: no account was mounted$" "it says so"
is "$(mounts_left)" 0 "and leaves nothing mounted"

# 7. In the foreground on a terminal, an account without a password
# source says it cannot ask: the accounts would all ask on it at once.
if command -v script >/dev/null; then
	printf '[ask]\nurl = imaps://%s@%s:%s\ntimeout = 3\n' "$TEST_USER" \
	    "$IMAP_HOST" "$IMAPS_PORT" >"$CONF.ask"
	chmod 600 "$CONF.ask"
	XDG_CACHE_HOME=$T/cache run_timeout 20 script -qec \
	    "'$MAILFS' -f -o 'config=$CONF.ask' '$M'" /dev/null >"$T/err" 2>&1 </dev/null
	like "$(head -1 "$T/err")" "^mailfs: ask: not mounted: no terminal to ask for the password" \
	    "-f on a terminal: an account asks for no password on it"
	is "$(mounts_left)" 0 "and leaves nothing mounted"
else
	skip "script is missing (Debian package bsdutils)"
	skip "script is missing (Debian package bsdutils)"
fi
done_testing
