# pop3.sh: what the POP3 filesystem tests share (sourced after lib.sh and
# mount.sh, after start_dovecot --pop3).
#
#	mount_pop3 DIR [URL] [MAILFS OPTIONS...]
#	                    mounts the test maildrop on DIR (pop3s://, the test
#	                    CA, refresh=1) with mount_mailfs; sets mailfs_pid
#	pop3_py 'PYTHON'    runs Python with a POP3 session p (poplib, over
#	                    TLS) to the test maildrop, quit at the end (so that
#	                    what it marked deleted is deleted)

POP3S_URL="pop3s://$TEST_USER@$IMAP_HOST:$POP3S_PORT"

mount_pop3()
{
	local dir=$1 url=${2:-$POP3S_URL}
	shift 2 2>/dev/null || shift
	MOUNT_URL=$url mount_mailfs "$dir" "$@"
}

pop3_py()
{
	timeout -k 5 60 python3 -c "
import os, poplib, ssl, sys
ctx = ssl.create_default_context(cafile=os.environ['TEST_CA'])
p = poplib.POP3_SSL(os.environ['IMAP_HOST'], int(os.environ['POP3S_PORT']), context=ctx)
p.user(os.environ['TEST_USER'])
p.pass_(os.environ['TEST_PASSWORD'])
def uidls():
    return [l.decode().split()[1] for l in p.uidl()[1]]
def retr(n):
    return b''.join(l + b'\r\n' for l in p.retr(n)[1])
$1
p.quit()
"
}
