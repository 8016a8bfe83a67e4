#!/bin/bash
# OAuth2 sign-in against the real Dovecot, whose oauth2 passdb asks a
# local introspection endpoint (tests/harness/oauth2server.py) about
# each token: a mount with -o oauth2_token_command= (OAUTHBEARER, as
# offered, and XOAUTH2 with a 4 KB token) reads and organises mail; a
# token refused once is read again from the command and accepted; an
# expired token, garbage, a failing command and a silent one each fail
# the mount with one line that says which.  No token ever shows in the
# protocol trace.  -o auth=login and auth=plain choose the password's
# mechanism.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/harness/lib.sh"
. "$top_srcdir/tests/fuse/mount.sh"
. "$top_srcdir/tests/fuse/oauth.sh"
need_fuse
mktemp_dir
T=$MAILFS_TEST_TMP
M=$T/mnt
start_oauth2
start_dovecot "--oauth2=$OAUTH2_URL"

# refused CMD [OPTIONS]: the one line a mount that cannot sign in prints.
# Dovecot's login process waits longer after each refusal on a
# connection (some 7 s for two): a long timeout, so that the refusal,
# not the deadline, ends the sign-in.
refused()
{
	local cmd=$1
	shift
	XDG_CACHE_HOME=$T/cache run_timeout 60 "$MAILFS" -f \
	    -o "oauth2_token_command=$cmd,tls_ca_file=$TEST_CA,timeout=30" "$@" \
	    "imaps://$TEST_USER@$IMAP_HOST:$IMAPS_PORT" "$M" 2>&1 </dev/null
	echo "exit $?"
}

printf 'From: a@example.test\r\nSubject: oauth\r\n\r\nsigned in with a token\r\n' >"$T/m.eml"
imaptool append INBOX "$T/m.eml" >/dev/null || bail_out "append failed"
imaptool create Archive >/dev/null || bail_out "create failed"

# OAUTHBEARER (offered first), a token of the usual size: read, organise.
mount_token "$M" "$T/bearer.log" "cat $K/valid"
ok $? "mounted with oauth2_token_command="
like "$(grep -a 'C: m[0-9]* AUTHENTICATE' "$T/bearer.log" | head -n 1)" "AUTHENTICATE OAUTHBEARER \*\*\*" \
    "OAUTHBEARER, as the server offers it, its response masked"
f=$(ls "$M/INBOX")
like "$(cat "$M/INBOX/$f")" "signed in with a token" "a message is read"
mv "$M/INBOX/$f" "$M/Archive/"
ok $? "and moved to another folder"
wait_for 10 sh -c "[ \"\$(ls '$M/Archive')\" = '$f' ]"
ok $? "it shows there"
unmount_traced "$M"
is "$(imaptool count Archive)" 1 "the server has it in Archive"
no_token_in "$T/bearer.log"
ok $? "the token is nowhere in the trace"

# XOAUTH2 by -o auth=, with a 4 KB token.
mount_token "$M" "$T/xoauth2.log" "cat $K/long" -o auth=xoauth2
ok $? "mounted with auth=xoauth2 and a 4 KB token"
like "$(grep -a 'C: m[0-9]* AUTHENTICATE' "$T/xoauth2.log" | head -n 1)" "AUTHENTICATE XOAUTH2 \*\*\*" \
    "XOAUTH2, its response masked"
is "$(ls "$M/Archive" | wc -l)" 1 "the folder lists"
unmount_traced "$M"
no_token_in "$T/xoauth2.log"
ok $? "the long token is nowhere in the trace"

# A token refused (expired) once: the command runs again and its new
# token is accepted, on the same connection.
rotating_command
mount_token "$M" "$T/rotate.log" "$K/rotate.sh"
ok $? "an expired token, then a fresh one from the command: mounted"
is "$(head -n 2 "$K/asked" | tr '\n' ' ')" "expired valid " \
    "the server was asked about the expired token, then the fresh one"
like "$(grep -a -E 'C: m[0-9]+ AUTHENTICATE|S: m[0-9]+ (OK|NO)' "$T/rotate.log" |
    head -n 4 | sed 's/ \[.*//' | tr '\n' ' ')" \
    "C: m1 AUTHENTICATE OAUTHBEARER \*\*\* mailfs: S: m1 NO mailfs: C: m2 AUTHENTICATE OAUTHBEARER \*\*\* mailfs: S: m2 OK" \
    "refused, then accepted on the same connection"
unmount_traced "$M"
no_token_in "$T/rotate.log"
ok $? "no token in the trace"

# auth=login and auth=plain name the password's mechanism.
for mech in login plain; do
	MECH=${mech^^}
	mount_traced "$M" "$T/$mech.log" -o "auth=$mech"
	ok $? "mounted with a password and auth=$mech"
	like "$(grep -a 'C: m[0-9]* AUTHENTICATE' "$T/$mech.log" | head -n 1)" \
	    "AUTHENTICATE $MECH" "AUTHENTICATE $MECH, as asked"
	unmount_traced "$M"
	! grep -qF "$TEST_PASSWORD" "$T/$mech.log"
	ok $? "auth=$mech: no password in the trace"
done

# Failures: one line each, saying which.
like "$(refused "cat $K/expired")" \
    "login failed: the IMAP server refused the OAuth2 token \(status invalid_token, also after running the token command again\): AUTHENTICATE failed: \[AUTHENTICATIONFAILED\]" \
    "an expired token: refused twice, with the server's status and reason"
like "$(refused "echo garbage-token" -o auth=xoauth2)" \
    "login failed: the IMAP server refused the OAuth2 token \(status 401, also after" \
    "garbage by XOAUTH2: refused, with the status of its JSON"
like "$(refused "exit 3")" "^mailfs: login failed: the token command failed \(exit status 3\)" \
    "a failing command: said so, with its status"
like "$(refused "true")" "^mailfs: login failed: the token command printed nothing" \
    "a silent command: said so"
like "$(refused "cat $K/valid" -o password_file=/dev/null)" "excludes passwords" \
    "a token command and a password: refused"
like "$("$MAILFS" -o auth=cram-md5 "imaps://u@h" "$M" 2>&1)" "auth= takes oauthbearer, xoauth2, plain or login" \
    "an unknown mechanism: refused"
like "$("$MAILFS" -o auth=xoauth2 "imaps://u@h" "$M" 2>&1)" "auth=xoauth2 needs oauth2_token_command=" \
    "auth=xoauth2 without a token command: refused"
done_testing
