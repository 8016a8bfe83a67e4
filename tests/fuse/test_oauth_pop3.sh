#!/bin/bash
# OAuth2 sign-in to a POP3 maildrop: the test Dovecot's POP3 service with
# its oauth2 passdb (tests/harness/oauth2server.py behind it).  A mount
# with -o oauth2_token_command= signs in by SASL (OAUTHBEARER, as
# offered), reads and removes a message; a token refused once (expired)
# is read again from the command and accepted; the token never shows in
# the protocol trace.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/harness/lib.sh"
. "$top_srcdir/tests/fuse/mount.sh"
. "$top_srcdir/tests/fuse/oauth.sh"
need_fuse
mktemp_dir
T=$MAILFS_TEST_TMP
M=$T/mnt
start_oauth2
start_dovecot "--oauth2=$OAUTH2_URL" --pop3
[ -n "$POP3S_PORT" ] || bail_out "Dovecot has no POP3 over TLS"
TOKEN_URL=pop3s://$TEST_USER@127.0.0.1:$POP3S_PORT

for i in 1 2; do
	printf 'From: a@example.test\r\nSubject: pop %s\r\nMessage-ID: <p%s@oauth.test>\r\n\r\nsigned in with a token\r\n' \
	    "$i" "$i" >"$T/m$i.eml"
	imaptool append INBOX "$T/m$i.eml" >/dev/null || bail_out "append failed"
done

mount_token "$M" "$T/bearer.log" "cat $K/valid"
ok $? "a POP3 maildrop mounted with oauth2_token_command="
like "$(grep -a 'C: AUTH' "$T/bearer.log" | head -n 1)" 'AUTH OAUTHBEARER \*\*\*' \
    "OAUTHBEARER, as the server offers it, its response masked"
set -- "$M"/INBOX/*
is "$#" 2 "both messages are listed"
like "$(cat "$1")" "signed in with a token" "a message is read"
rm "$1"
ok $? "and removed"
is "$(imaptool count INBOX)" 1 "the server holds the other one only"
unmount_traced "$M"
no_token_in "$T/bearer.log"
ok $? "the token is nowhere in the trace"

# An expired token first: the command runs again, the fresh token signs in.
rotating_command
mount_token "$M" "$T/rotate.log" "$K/rotate.sh"
ok $? "an expired token, then a fresh one from the command: mounted"
is "$(head -n 2 "$K/asked" | tr '\n' ' ')" "expired valid " \
    "the server was asked about the expired token, then the fresh one"
is "$(ls "$M/INBOX" | wc -l)" 1 "the maildrop lists"
unmount_traced "$M"
no_token_in "$T/rotate.log"
ok $? "neither token is in the trace"
done_testing
