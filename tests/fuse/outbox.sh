# outbox.sh: what the Outbox tests share (sourced after mount.sh).
#
#	start_mail [OPTIONS...]    Dovecot --postfix (and OPTIONS) and Postfix
#	                           in front of it
#	mount_outbox DIR URL [OPTIONS...]
#	                           mounts with -o smtp=URL (1 s backoff)
#	imap2 CMD [ARGS...]        imaptool as the second user
#	wait_count2 N              waits until the second user's INBOX holds N
#	delivered2 UID             a message of the second user's INBOX without
#	                           the trace headers Postfix and LMTP add
#	crlf FILE                  FILE with its line ends made CRLF
#
# and sets T (the test's directory, made now), M (its mount point), O
# (M/Outbox).

mktemp_dir
T=$MAILFS_TEST_TMP
M=$T/mnt
O=$M/Outbox

start_mail()
{
	need_fuse
	command -v dovecot >/dev/null 2>&1 || [ -x /usr/sbin/dovecot ] ||
	    skip_all "dovecot is not installed"
	[ -x /usr/lib/dovecot/lmtp ] || skip_all "Dovecot's LMTP is not installed (dovecot-lmtpd)"
	[ -x /usr/sbin/postfix ] || skip_all "postfix is not installed (Debian package postfix)"
	[ "$(id -u)" = 0 ] || skip_all "Postfix starts as root only"
	command -v setfattr >/dev/null || skip_all "setfattr is missing (Debian package attr)"
	start_dovecot --postfix "$@"
	local out
	out=$("$HARNESS_DIR/postfix.sh" start "$MAILFS_TEST_TMP/postfix" "$DOVECOT_DIR") ||
	    bail_out "could not start Postfix"
	eval "$out"
	at_exit "'$HARNESS_DIR/postfix.sh' stop '$POSTFIX_DIR'"
}

mount_outbox()
{
	local dir=$1 url=$2
	shift 2
	MAILFS_OUTBOX_BACKOFF=1 mount_mailfs "$dir" -o "smtp=$url" "$@"
}

imap2()
{
	TEST_USER=$TEST_USER2 TEST_PASSWORD=$TEST_PASSWORD2 imaptool "$@"
}

_count2_is()
{
	[ "$(imap2 count INBOX 2>/dev/null)" = "$1" ]
}

wait_count2()
{
	wait_for 30 _count2_is "$1"
}

delivered2()
{
	imap2 fetch INBOX "$1" | "$PYTHON" -c '
import re, sys
b = sys.stdin.buffer.read()
# The trace fields come first, each perhaps folded on more lines.
while True:
    m = re.match(rb"(Return-Path|Delivered-To|Received):[^\n]*\n([ \t][^\n]*\n)*", b)
    if not m:
        break
    b = b[m.end():]
sys.stdout.buffer.write(b)'
}

crlf()
{
	sed 's/$/\r/' "$1"
}
