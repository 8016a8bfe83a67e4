#!/bin/bash
# Sending with OAuth2: the mount signs in to the test Postfix, whose SASL
# goes to the Dovecot with the oauth2 passdb (oauth2server.py checks the
# tokens), with the token from -o oauth2_token_command=, and a message
# written into Outbox/ is delivered; no token shows in the trace.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/harness/lib.sh"
. "$top_srcdir/tests/fuse/mount.sh"
. "$top_srcdir/tests/fuse/outbox.sh"
. "$top_srcdir/tests/fuse/oauth.sh"
start_oauth2
start_mail "--oauth2=$OAUTH2_URL"
URL="smtps://$TEST_USER@127.0.0.1:$SMTPS_PORT"

printf 'From: %s\nTo: %s\nSubject: token\nMessage-ID: <token@oauth.test>\n\nsent with a token\n' \
    "$TEST_ADDR" "$TEST_ADDR2" >"$T/msg"
: >"$K/asked"
MAILFS_OUTBOX_BACKOFF=1 mount_token "$M" "$T/smtp.log" "cat $K/valid" -o "smtp=$URL"
ok $? "mounted with a token command and smtp="
cp "$T/msg" "$O/token.eml"
ok $? "a message written into Outbox/"
wait_count2 1
ok $? "delivered through Postfix, signed in with the token"
like "$(grep -a 'C: AUTH ' "$T/smtp.log" | head -n 1)" "AUTH (OAUTHBEARER|XOAUTH2) \*\*\*" \
    "SMTP AUTH with a token mechanism, masked"
wait_for 10 sh -c "[ -z \"\$(ls -A '$O')\" ]"
ok $? "Outbox/ is empty again"
unmount_traced "$M"
no_token_in "$T/smtp.log"
ok $? "no token in the trace"
done_testing
