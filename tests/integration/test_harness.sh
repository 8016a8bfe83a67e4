#!/bin/bash
# A smoke test of the test harness itself: dovecot.sh starts a server that
# behaves like a careful provider (TLS required, LOGIN refused before
# STARTTLS, a certificate for 127.0.0.1 only, the capabilities the tests
# rely on), imaptool.py talks to it, and stop leaves nothing running.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/harness/lib.sh"

command -v dovecot >/dev/null 2>&1 || [ -x /usr/sbin/dovecot ] ||
    skip_all "dovecot is not installed (Debian packages dovecot-imapd dovecot-pop3d)"

# py_check SCRIPT: runs a Python snippet with a 30 s bound.
py_check()
{
	run_timeout 30 "$PYTHON" -c "$1"
}

start_dovecot
ok $? "dovecot.sh starts a server"
like "$IMAP_PORT" '^[0-9]+$' "IMAP_PORT is a port"
like "$IMAPS_PORT" '^[0-9]+$' "IMAPS_PORT is a port"
is "$IMAP_HOST" 127.0.0.1 "IMAP_HOST is 127.0.0.1"
[ -f "$TEST_CA" ] && [ -n "$TEST_USER" ] && [ -n "$TEST_PASSWORD" ]
ok $? "TEST_CA, TEST_USER and TEST_PASSWORD are set"
is "$(stat -c %a "$TEST_PASSWORD_FILE")" 600 "the password file is mode 0600"
is "$(head -n 1 "$TEST_PASSWORD_FILE")" "$TEST_PASSWORD" "the password file holds the password"

caps=$(imaptool capability)
ok $? "imaptool logs in over implicit TLS"
for cap in IMAP4rev1 UIDPLUS MOVE CONDSTORE QRESYNC SPECIAL-USE LIST-STATUS \
    QUOTA IDLE LITERAL+ ESEARCH NAMESPACE ID ENABLE UNSELECT LIST-EXTENDED; do
	grep -qx -- "$cap" <<<"$caps"
	ok $? "the server offers $cap"
done

folders=$(imaptool list)
grep -qx INBOX <<<"$folders"
ok $? "LIST shows INBOX"
for f in Drafts Sent Trash Junk; do
	grep -qx "$f" <<<"$folders"
	ok $? "LIST shows the special-use folder $f"
done
is "$(imaptool delimiter)" . "the hierarchy delimiter is '.'"

# The STARTTLS port, as a client that does not bother with TLS sees it.
py_check "
import socket, sys
s = socket.create_connection(('127.0.0.1', $IMAP_PORT), timeout=10)
f = s.makefile('rb')
greeting = f.readline()
if b'STARTTLS' not in greeting or b'LOGINDISABLED' not in greeting:
    sys.exit('greeting: %r' % greeting)
s.sendall(b'a1 LOGIN \"$TEST_USER\" \"$TEST_PASSWORD\"\r\n')
while True:
    line = f.readline()
    if not line:
        sys.exit('connection closed')
    if line.startswith(b'a1 '):
        break
if not line.startswith(b'a1 NO') and not line.startswith(b'a1 BAD'):
    sys.exit('LOGIN answered %r' % line)
"
ok $? "the STARTTLS port offers STARTTLS and LOGINDISABLED and refuses LOGIN before TLS"

IMAPS_PORT= imaptool count INBOX >/dev/null
ok $? "login after STARTTLS works"

py_check "
import socket, ssl, sys
ctx = ssl.create_default_context(cafile='$TEST_CA')
try:
    with socket.create_connection(('127.0.0.1', $IMAPS_PORT), timeout=10) as s:
        ctx.wrap_socket(s, server_hostname='localhost').close()
except ssl.SSLCertVerificationError:
    sys.exit(0)
sys.exit('the certificate verified for localhost')
"
ok $? "the certificate does not match the name localhost"

py_check "
import socket, ssl, sys
ctx = ssl.create_default_context(cafile=None, capath=None)
ctx.load_default_certs()
try:
    with socket.create_connection(('127.0.0.1', $IMAPS_PORT), timeout=10) as s:
        ctx.wrap_socket(s, server_hostname='127.0.0.1').close()
except ssl.SSLCertVerificationError:
    sys.exit(0)
sys.exit('the certificate verified without the test CA')
"
ok $? "without the test CA the certificate is untrusted"

out=$(imaptool seed-demo)
ok $? "seed-demo fills the mailbox ($out)"
is "$(imaptool count INBOX)" 12 "INBOX holds 12 messages"
folders=$(imaptool list)
for f in "Archiv.2024" "Schöne Grüße" "Projects" "Projects.mailfs"; do
	grep -qx -- "$f" <<<"$folders"
	ok $? "seed-demo made the folder '$f'"
done
is "$(imaptool count 'Schöne Grüße')" 2 "a folder with umlauts holds its messages"

msg=$MAILFS_TEST_TMP/msg.eml
printf 'From: a@example.org\r\nSubject: round trip\r\n\r\nbody\r\n' > "$msg"
uid=$(imaptool append "Projects.mailfs" "$msg" --flags '\Seen $Label1' --date 1700000000)
like "$uid" '^[0-9]+$' "append prints the new UID"
imaptool fetch "Projects.mailfs" "$uid" > "$MAILFS_TEST_TMP/back.eml"
cmp -s "$msg" "$MAILFS_TEST_TMP/back.eml"
ok $? "fetch returns the appended bytes"
is "$(imaptool flags Projects.mailfs "$uid")" '\Seen $Label1' "append stores flags"
imaptool store Projects.mailfs "$uid" '\Flagged'
is "$(imaptool flags Projects.mailfs "$uid")" '\Flagged' "store replaces flags"
grep -qx "$uid" <<<"$(imaptool uids Projects.mailfs)"
ok $? "uids lists the new UID"
imaptool create "Ünter.Öbjekt" && imaptool delete "Ünter.Öbjekt"
ok $? "create and delete a folder with umlauts"
imaptool count Nonexistent >/dev/null 2>&1
isnt $? 0 "imaptool fails on a missing folder"

master=$(cat "$DOVECOT_DIR/run/master.pid")
stop_dovecot
sleep 0.2
! kill -0 "$master" 2>/dev/null
ok $? "dovecot.sh stop ends the master"
"$HARNESS_DIR/dovecot.sh" stop "$DOVECOT_DIR"
ok $? "stop is idempotent"

# A server with a small quota.
rm -rf "$MAILFS_TEST_TMP/dovecot"
start_dovecot --quota=60000
ok $? "dovecot.sh starts a server with --quota"
head -c 40000 /dev/zero | tr '\0' x | fold -w 76 | sed 's/$/\r/' |
    { printf 'Subject: big\r\n\r\n'; cat; } > "$MAILFS_TEST_TMP/big.eml"
imaptool append INBOX "$MAILFS_TEST_TMP/big.eml" >/dev/null
ok $? "a message below the quota is stored"
err=$(imaptool append INBOX "$MAILFS_TEST_TMP/big.eml" 2>&1 >/dev/null)
like "$err" 'OVERQUOTA|[Qq]uota' "a message beyond the quota is refused ($err)"
stop_dovecot

# A server without TLS.
rm -rf "$MAILFS_TEST_TMP/dovecot"
start_dovecot --no-starttls
ok $? "dovecot.sh starts a server with --no-starttls"
is "$IMAPS_PORT" "" "IMAPS_PORT is empty without TLS"
py_check "
import socket, sys
s = socket.create_connection(('127.0.0.1', $IMAP_PORT), timeout=10)
greeting = s.makefile('rb').readline()
if b'STARTTLS' in greeting:
    sys.exit('greeting: %r' % greeting)
"
ok $? "the --no-starttls server offers no STARTTLS"
imaptool count INBOX >/dev/null
ok $? "the --no-starttls server takes LOGIN in plaintext"

done_testing
