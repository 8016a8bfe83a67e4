#!/bin/bash
# Sending with OAuth2: the mount signs in to the test Postfix, whose SASL
# goes to the Dovecot with the oauth2 passdb (oauth2server.py checks the
# tokens), with a 4 KB token from -o oauth2_token_command=, and a
# message written into Outbox/ is delivered; a token refused once is
# replaced by the command's next one; no token shows in the trace.
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
MAILFS_OUTBOX_BACKOFF=1 mount_token "$M" "$T/smtp.log" "cat $K/long" -o "smtp=$URL"
ok $? "mounted with a token command (a 4 KB token) and smtp="
cp "$T/msg" "$O/token.eml"
ok $? "a message written into Outbox/"
wait_count2 1
ok $? "delivered through Postfix, signed in with the token"
like "$(grep -a -A 2 'C: AUTH ' "$T/smtp.log" | head -n 3 | tr '\n' ' ')" \
    "C: AUTH OAUTHBEARER .*S: 334 .*C: \*\*\*" \
    "SMTP AUTH OAUTHBEARER, the 4 KB token after the 334 (Postfix cuts longer AUTH lines), masked"
wait_for 10 sh -c "[ -z \"\$(ls -A '$O')\" ]"
ok $? "Outbox/ is empty again"
unmount_traced "$M"
no_token_in "$T/smtp.log"
ok $? "no token in the trace"

# An expired token for the SMTP session: refused, the command runs
# again, and the fresh token sends the message.
cat >"$T/rotate.sh" <<SH
#!/bin/sh
# While the flag is there, one run prints the expired token (and takes it).
if rm "$T/expire" 2>/dev/null; then cat "$K/expired"; else cat "$K/valid"; fi
SH
chmod +x "$T/rotate.sh"
MAILFS_OUTBOX_BACKOFF=1 mount_token "$M" "$T/rotate.log" "$T/rotate.sh" -o "smtp=$URL"
ok $? "mounted with a token command that can hand out an expired token"
: >"$T/expire"
cp "$T/msg" "$O/again.eml"
wait_count2 2
ok $? "sent: the expired token refused, the next one accepted"
like "$(grep -a -E 'C: AUTH |S: (235|535)' "$T/rotate.log" | head -n 4 | sed 's/.*\(AUTH [A-Z]*\|S: [0-9]*\).*/\1/' | tr '\n' ' ')" \
    "AUTH OAUTHBEARER S: 535 AUTH OAUTHBEARER S: 235" \
    "the SMTP session: 535, then 235 with the fresh token"
unmount_traced "$M"
done_testing
