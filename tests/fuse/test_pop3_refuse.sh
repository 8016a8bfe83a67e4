#!/bin/bash
# What keeps a POP3 maildrop from being mounted, each said in one line on
# stderr with nothing mounted: a wrong password, another session holding
# the maildrop ([IN-USE]), a server on pop3:// without STLS (no
# credentials sent), a server without UIDL, an option that is IMAP's
# alone.  pop3:// with STLS
# mounts.  (Dovecot waits 10 s for the maildrop's lock before [IN-USE].)
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/harness/lib.sh"
. "$top_srcdir/tests/fuse/mount.sh"
need_fuse
start_dovecot --pop3
. "$top_srcdir/tests/fuse/pop3.sh"
T=$MAILFS_TEST_TMP
M=$T/mnt
mkdir -p "$M"
printf 'Subject: one\r\n\r\nbody\r\n' >"$T/one.eml"
imaptool append INBOX "$T/one.eml" >/dev/null || bail_out "append failed"

# refused URL [OPTIONS...]: mounts in the foreground, which must fail; its stderr in $T/err.
refused()
{
	local url=$1
	shift
	XDG_CACHE_HOME=$T/cache timeout -k 5 30 "$MAILFS" -f \
	    -o "password_file=${PWFILE:-$TEST_PASSWORD_FILE},tls_ca_file=$TEST_CA,timeout=5" \
	    "$@" "$url" "$M" >"$T/err" 2>&1 </dev/null
	[ $? = 1 ] && ! mountpoint -q "$M" && [ "$(wc -l <"$T/err")" = 1 ]
}

echo wrong >"$T/wrongpw"
chmod 600 "$T/wrongpw"
PWFILE=$T/wrongpw refused "$POP3S_URL"
ok $? "a wrong password: one line" || diag "$(cat "$T/err")"
like "$(cat "$T/err")" "login failed: the server rejected the user name or password" \
    "it says so"

refused "$POP3S_URL" -o delete=trash
ok $? "-o delete=trash is refused in one line"
like "$(cat "$T/err")" "delete= is for IMAP accounts" "it names the option"

# Another session holds the maildrop.
pop3_py "
open('$T/held', 'w').close()
import time
while not os.path.exists('$T/release'):
    time.sleep(0.05)
" &
holder=$!
wait_for 10 test -e "$T/held"
refused "$POP3S_URL" -o timeout=25
ok $? "[IN-USE]: one line"
like "$(cat "$T/err")" "in use by another session" "it says the maildrop is in use"
touch "$T/release"
wait $holder

# A pop3:// server without STLS: refused before any credential goes out.
python3 - "$T/fake.port" "$T/fake.log" <<'PY' &
import socket, sys
s = socket.socket()
s.bind(('127.0.0.1', 0))
s.listen(1)
open(sys.argv[1], 'w').write(str(s.getsockname()[1]))
c, _ = s.accept()
s.settimeout(10)
f = c.makefile('rwb')
f.write(b'+OK fake POP3\r\n'); f.flush()
log = open(sys.argv[2], 'wb')
for line in f:
    log.write(line); log.flush()
    if line.upper().startswith(b'CAPA'):
        f.write(b'+OK\r\nUSER\r\nUIDL\r\nTOP\r\n.\r\n')
    elif line.upper().startswith(b'QUIT'):
        f.write(b'+OK bye\r\n'); f.flush()
        break
    else:
        f.write(b'-ERR no\r\n')
    f.flush()
PY
fake=$!
wait_for 10 test -s "$T/fake.port"
refused "pop3://$TEST_USER@127.0.0.1:$(cat "$T/fake.port")"
ok $? "pop3:// without STLS: one line"
like "$(cat "$T/err")" "does not offer STLS" "it says STLS is missing"
! grep -qiE '^(USER|PASS|AUTH)' "$T/fake.log"
ok $? "no credential was sent" || diag "$(cat "$T/fake.log")"
kill $fake 2>/dev/null
wait $fake 2>/dev/null

# A pop3s:// server without UIDL: refused (mailfs(1) says why).
python3 - "$T/fake2.port" "$DOVECOT_DIR" <<'PY' &
import socket, ssl, sys
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(sys.argv[2] + '/server.pem', sys.argv[2] + '/server.key')
s = socket.socket()
s.bind(('127.0.0.1', 0))
s.listen(1)
open(sys.argv[1], 'w').write(str(s.getsockname()[1]))
s.settimeout(10)
c = ctx.wrap_socket(s.accept()[0], server_side=True)
f = c.makefile('rwb')
f.write(b'+OK fake POP3\r\n'); f.flush()
for line in f:
    w = line.split()[0].upper() if line.split() else b''
    if w == b'CAPA':
        f.write(b'+OK\r\nUSER\r\nTOP\r\n.\r\n')
    elif w in (b'USER', b'PASS', b'QUIT'):
        f.write(b'+OK\r\n')
    else:
        f.write(b'-ERR unknown command\r\n')
    f.flush()
    if w == b'QUIT':
        break
PY
fake=$!
wait_for 10 test -s "$T/fake2.port"
refused "pop3s://$TEST_USER@127.0.0.1:$(cat "$T/fake2.port")"
ok $? "a server without UIDL: one line"
like "$(cat "$T/err")" "does not offer UIDL" "it says UIDL is missing"
kill $fake 2>/dev/null
wait $fake 2>/dev/null

# pop3:// with STLS mounts.
mount_pop3 "$M" "pop3://$TEST_USER@$IMAP_HOST:$POP3_PORT" -o refresh=86400
ok $? "pop3:// (STLS) mounts"
f=$(ls "$M/INBOX")
cmp -s "$M/INBOX/$f" "$T/one.eml"
ok $? "and reads"
done_testing
