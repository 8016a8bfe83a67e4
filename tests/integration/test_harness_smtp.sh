#!/bin/bash
# A smoke test of the SMTP half of the harness: postfix.sh starts a real
# Postfix in front of a dovecot.sh --postfix server that behaves like a
# careful provider's submission service (STARTTLS required, AUTH only
# under TLS, implicit TLS on a port of its own, unknown users and relaying
# refused), a message sent through it arrives in the second user's INBOX
# byte for byte apart from the trace headers, and stop leaves nothing
# running.  The client is Python's smtplib, independent of libmailfs.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/harness/lib.sh"

command -v dovecot >/dev/null 2>&1 || [ -x /usr/sbin/dovecot ] ||
    skip_all "dovecot is not installed (Debian packages dovecot-imapd dovecot-pop3d)"
[ -x /usr/lib/dovecot/lmtp ] ||
    skip_all "Dovecot's LMTP is not installed (Debian package dovecot-lmtpd)"
[ -x /usr/sbin/postfix ] || skip_all "postfix is not installed (Debian package postfix)"
[ "$(id -u)" = 0 ] || skip_all "Postfix starts as root only"

# py_smtp SCRIPT: runs a Python snippet with a 30 s bound, with smtplib,
# ssl, sys imported, ctx a context that trusts TEST_CA, and connect(tls),
# a connection to the STARTTLS port (tls false) or the implicit TLS port.
py_smtp()
{
	run_timeout 30 "$PYTHON" -c "
import os, smtplib, ssl, sys
ctx = ssl.create_default_context(cafile=os.environ['TEST_CA'])
def connect(implicit):
    if implicit:
        return smtplib.SMTP_SSL('127.0.0.1', int(os.environ['SMTPS_PORT']),
                                context=ctx, timeout=10)
    return smtplib.SMTP('127.0.0.1', int(os.environ['SMTP_PORT']), timeout=10)
def expect(reply, code, what):
    if reply[0] != code:
        sys.exit('%s: %r, not %d' % (what, reply, code))
$1"
}

# now: the wall clock in milliseconds.
now()
{
	local t=${EPOCHREALTIME/[.,]/}
	echo $((t / 1000))
}

t0=$(now)
start_dovecot --postfix
ok $? "dovecot.sh --postfix starts a server"
out=$("$HARNESS_DIR/postfix.sh" start "$MAILFS_TEST_TMP/postfix" "$DOVECOT_DIR") ||
    bail_out "could not start Postfix"
eval "$out"
at_exit "'$HARNESS_DIR/postfix.sh' stop '$POSTFIX_DIR'"
t1=$(now)
export SMTP_HOST SMTP_PORT SMTPS_PORT SMTP_DOMAIN TEST_ADDR TEST_ADDR2 \
    TEST_USER2 TEST_PASSWORD2
diag "Dovecot and Postfix started in $((t1 - t0)) ms"

like "$SMTP_PORT" '^[0-9]+$' "SMTP_PORT is a port"
like "$SMTPS_PORT" '^[0-9]+$' "SMTPS_PORT is a port"
is "$SMTP_HOST" 127.0.0.1 "SMTP_HOST is 127.0.0.1"
is "$TEST_ADDR" "$TEST_USER@$SMTP_DOMAIN" "TEST_ADDR is the first user's address"
is "$TEST_ADDR2" "$TEST_USER2@$SMTP_DOMAIN" "TEST_ADDR2 is the second user's address"
isnt "$TEST_USER2" "$TEST_USER" "the second user is another user"
TEST_USER=$TEST_USER2 TEST_PASSWORD=$TEST_PASSWORD2 imaptool count INBOX >/dev/null
ok $? "the second user logs in to IMAP"
is "$(imaptool count INBOX)" 0 "the first user's INBOX is empty"
is "$(TEST_USER=$TEST_USER2 TEST_PASSWORD=$TEST_PASSWORD2 imaptool count INBOX)" 0 \
    "the second user's INBOX is empty"

py_smtp "
s = connect(False)
code, ehlo = s.ehlo()
expect((code, ehlo), 250, 'EHLO')
if not s.has_extn('starttls'):
    sys.exit('no STARTTLS before TLS: %r' % ehlo)
if s.has_extn('auth'):
    sys.exit('AUTH offered before TLS: %r' % ehlo)
expect(s.docmd('AUTH', 'PLAIN AGZvbwBiYXI='), 530, 'AUTH before STARTTLS')
expect(s.docmd('MAIL', 'FROM:<%s>' % os.environ['TEST_ADDR']), 530, 'MAIL before STARTTLS')
s.starttls(context=ctx)
s.ehlo()
if s.esmtp_features.get('auth', '').split() != ['PLAIN', 'LOGIN']:
    sys.exit('AUTH after STARTTLS: %r' % s.esmtp_features.get('auth'))
s.quit()
"
ok $? "the STARTTLS port offers STARTTLS, not AUTH, refuses AUTH and MAIL before TLS (530), offers AUTH PLAIN LOGIN after"

py_smtp "
s = connect(False)
s.starttls(context=ctx)
s.ehlo()
# One mechanism: Dovecot delays each failure by 2 s.
s.user, s.password = os.environ['TEST_USER'], 'wrong' + os.environ['TEST_PASSWORD']
try:
    s.auth('PLAIN', s.auth_plain)
except smtplib.SMTPAuthenticationError as e:
    expect((e.smtp_code, e.smtp_error), 535, 'AUTH with a wrong password')
    sys.exit(0)
sys.exit('a wrong password was taken')
"
ok $? "AUTH with a wrong password is refused (535)"

# Two messages for the second user, one through each port, with what a
# careless relay might change: a line that starts with a dot, 8-bit
# UTF-8, a long header folded, no Date: nor Message-ID: (Postfix must not
# add them).
msg()
{
	printf 'From: mailfs test <%s>\r\n' "$TEST_ADDR"
	printf 'To: %s\r\n' "$TEST_ADDR2"
	printf 'Subject: %s\r\n' "$1"
	printf 'X-Folded: a header long enough to be folded by its writer,\r\n'
	printf '\tcontinued here\r\n'
	printf 'MIME-Version: 1.0\r\n'
	printf 'Content-Type: text/plain; charset=utf-8\r\n'
	printf 'Content-Transfer-Encoding: 8bit\r\n'
	printf '\r\n'
	printf 'Schöne Grüße über %s.\r\n' "$2"
	printf '.a line that starts with a dot\r\n'
	printf '..and one with two\r\n'
	printf '.\r\n'
	printf 'the line above is a lone dot\r\n'
}
msg "through STARTTLS" "STARTTLS" > "$MAILFS_TEST_TMP/starttls.eml"
msg "through implicit TLS" "implicit TLS" > "$MAILFS_TEST_TMP/implicit.eml"

# send IMPLICIT FILE AUTH-MECHANISM: sends FILE from TEST_USER to TEST_ADDR2.
send()
{
	py_smtp "
s = connect($1)
if not $1:
    s.starttls(context=ctx)
s.ehlo()
s.user, s.password = os.environ['TEST_USER'], os.environ['TEST_PASSWORD']
expect(s.auth('$3', getattr(s, 'auth_' + '$3'.lower())), 235, 'AUTH $3')
with open('$2', 'rb') as f:
    body = f.read()
refused = s.sendmail(os.environ['TEST_ADDR'], [os.environ['TEST_ADDR2']], body,
                     mail_options=['BODY=8BITMIME'])
if refused:
    sys.exit('refused: %r' % refused)
s.quit()
"
}
send False "$MAILFS_TEST_TMP/starttls.eml" PLAIN
ok $? "a message is sent through the STARTTLS port with AUTH PLAIN"
send True "$MAILFS_TEST_TMP/implicit.eml" LOGIN
ok $? "a message is sent through the implicit TLS port with AUTH LOGIN"

user2()
{
	TEST_USER=$TEST_USER2 TEST_PASSWORD=$TEST_PASSWORD2 imaptool "$@"
}
inbox2_holds()
{
	[ "$(user2 count INBOX)" = "$1" ]
}
wait_for 20 inbox2_holds 2
ok $? "both arrive in the second user's INBOX"
is "$(imaptool count INBOX)" 0 "nothing arrives in the first user's INBOX"

# strip_trace FILE: FILE without the trace headers at its top
# (Return-Path:, Delivered-To:, Received:, with their continuation lines);
# the names of the stripped headers in FILE.trace, one a line.
strip_trace()
{
	"$PYTHON" - "$1" <<'EOF'
import re, sys
data = open(sys.argv[1], "rb").read()
names = []
while True:
    m = re.match(rb"(Return-Path|Delivered-To|Received):[^\n]*\n(?:[ \t][^\n]*\n)*", data, re.I)
    if not m:
        break
    names.append(m.group(1).decode())
    data = data[m.end():]
sys.stdout.buffer.write(data)
open(sys.argv[1] + ".trace", "w").write("\n".join(names) + "\n")
EOF
}

for uid in $(user2 uids INBOX); do
	user2 fetch INBOX "$uid" > "$MAILFS_TEST_TMP/got.$uid"
	subject=$(grep -a -m 1 '^Subject: ' "$MAILFS_TEST_TMP/got.$uid" | tr -d '\r')
	case $subject in
	*STARTTLS*) sent=$MAILFS_TEST_TMP/starttls.eml ;;
	*implicit*) sent=$MAILFS_TEST_TMP/implicit.eml ;;
	*) ok 1 "UID $uid is a message sent here ($subject)"; continue ;;
	esac
	strip_trace "$MAILFS_TEST_TMP/got.$uid" > "$MAILFS_TEST_TMP/body.$uid"
	cmp -s "$sent" "$MAILFS_TEST_TMP/body.$uid"
	ok $? "'${subject#Subject: }' arrives byte-exact below the trace headers" ||
	    diag "$(diff "$sent" "$MAILFS_TEST_TMP/body.$uid" | head -n 20)"
	# Dovecot's LMTP adds Return-Path:, Delivered-To: (for a single
	# recipient) and its Received:, Postfix its Received:, nothing else.
	is "$(tr '\n' ' ' < "$MAILFS_TEST_TMP/got.$uid.trace")" \
	    "Return-Path Delivered-To Received Received " \
	    "the trace headers are Return-Path, Delivered-To and two Received"
done

# refused ADDRESS CODE ENHANCED: after AUTH, RCPT TO:<ADDRESS> is refused
# with CODE ENHANCED; prints the reply.
refused()
{
	py_smtp "
s = connect(True)
s.login(os.environ['TEST_USER'], os.environ['TEST_PASSWORD'])
expect(s.mail(os.environ['TEST_ADDR']), 250, 'MAIL')
code, text = s.rcpt('$1')
if code != $2 or not text.startswith(b'$3 '):
    sys.exit('RCPT TO:<$1>: %d %r' % (code, text))
print('%d %s' % (code, text.decode()))
s.quit()
" > "$MAILFS_TEST_TMP/refused.out"
}
refused "nobody@$SMTP_DOMAIN" 550 5.1.1
ok $? "an unknown local user is refused with 550 5.1.1 ($(cat "$MAILFS_TEST_TMP/refused.out"))"
refused someone@example.org 554 5.7.1
ok $? "relaying to another domain is refused, even after AUTH ($(cat "$MAILFS_TEST_TMP/refused.out"))"

py_smtp "
s = connect(True)
s.ehlo()
expect(s.mail(os.environ['TEST_ADDR']), 250, 'MAIL')
code, text = s.rcpt(os.environ['TEST_ADDR2'])
if code // 100 != 5:
    sys.exit('RCPT without AUTH: %d %r' % (code, text))
s.quit()
"
ok $? "without AUTH even a local user is refused"

master=$(tr -cd 0-9 < "$POSTFIX_DIR/spool/pid/master.pid")
children=$(ps -o pid= --ppid "$master" 2>/dev/null)
like "$master" '^[0-9]+$' "Postfix's master has a pid file"
t2=$(now)
"$HARNESS_DIR/postfix.sh" stop "$POSTFIX_DIR"
ok $? "postfix.sh stop"
stop_dovecot
t3=$(now)
diag "Postfix and Dovecot stopped in $((t3 - t2)) ms"
left=
for p in $master $children; do
	st=$(cat "/proc/$p/stat" 2>/dev/null) || continue
	set -- ${st##*) }
	[ "$1" = Z ] || left="$left $p"
done
is "$left" "" "postfix.sh stop ends the master and every child"
"$HARNESS_DIR/postfix.sh" stop "$POSTFIX_DIR"
ok $? "stop is idempotent"
[ $((t1 - t0)) -lt 10000 ] && [ $((t3 - t2)) -lt 10000 ]
ok $? "the pair starts ($((t1 - t0)) ms) and stops ($((t3 - t2)) ms) within 10 s each"

done_testing
