# lib.sh: helpers for the bash tests, which print TAP (read by automake's
# tap-driver.sh).  Source it:
#
#	. "$top_srcdir/tests/harness/lib.sh"
#	start_dovecot			# or start_dovecot --quota=100000
#	imaptool seed-demo
#	imaptool count INBOX >/dev/null; ok $? "INBOX exists"
#	is "$(imaptool count INBOX)" 12 "INBOX holds 12 messages"
#	done_testing
#
# start_dovecot makes a temporary directory (MAILFS_TEST_TMP), starts a
# private Dovecot in it, exports IMAP_HOST, IMAP_PORT, IMAPS_PORT, TEST_CA,
# TEST_USER, TEST_PASSWORD, TEST_PASSWORD_FILE and DOVECOT_DIR, and
# installs an EXIT trap that unmounts every directory given to
# register_mount (fusermount3 -uz), stops Dovecot and removes the
# temporary directory, whatever way the test ends.

HARNESS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${top_srcdir:=$(cd "$HARNESS_DIR/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
export top_srcdir top_builddir
# The system's Python starts much faster than a version manager's shim.
if [ -z "${PYTHON:-}" ]; then
	if [ -x /usr/bin/python3 ]; then PYTHON=/usr/bin/python3; else PYTHON=python3; fi
fi
export PYTHON

_tap_count=0
_tap_failed=0
_tap_mounts=()
_tap_cleanups=()
MAILFS_TEST_TMP=

# ok STATUS NAME...: a test point that passes when STATUS is 0.
ok()
{
	local status=$1
	shift
	_tap_count=$((_tap_count + 1))
	if [ "$status" -eq 0 ] 2>/dev/null; then
		echo "ok $_tap_count - $*"
		return 0
	fi
	echo "not ok $_tap_count - $*"
	_tap_failed=$((_tap_failed + 1))
	return 1
}

# is GOT EXPECTED NAME...: passes when the two strings are equal.
is()
{
	local got=$1 expected=$2
	shift 2
	if [ "$got" = "$expected" ]; then
		ok 0 "$@"
		return 0
	fi
	ok 1 "$@"
	diag "     got: '$got'"
	diag "expected: '$expected'"
	return 1
}

# isnt GOT UNEXPECTED NAME...: passes when the two strings differ.
isnt()
{
	local got=$1 unexpected=$2
	shift 2
	[ "$got" != "$unexpected" ]
	ok $? "$@" || diag "got: '$got'"
}

# like GOT REGEX NAME...: passes when GOT matches the extended REGEX.
like()
{
	local got=$1 re=$2
	shift 2
	[[ $got =~ $re ]]
	ok $? "$@" || diag "'$got' does not match /$re/"
}

diag()
{
	local line
	while IFS= read -r line; do
		echo "# $line"
	done <<<"$*"
}

skip()
{
	_tap_count=$((_tap_count + 1))
	echo "ok $_tap_count # SKIP $*"
}

skip_all()
{
	echo "1..0 # SKIP $*"
	exit 0
}

bail_out()
{
	echo "Bail out! $*"
	exit 1
}

done_testing()
{
	echo "1..$_tap_count"
	if [ "$_tap_failed" -ne 0 ]; then
		_tap_show_log
		exit 1
	fi
	exit 0
}

# run_timeout SECONDS CMD...: runs CMD, killed after SECONDS (status 124).
run_timeout()
{
	local secs=$1
	shift
	timeout -k 5 "$secs" "$@"
}

# wait_for SECONDS CMD...: retries CMD every 0.1 s until it succeeds or
# SECONDS have passed; the status of its last run.
wait_for()
{
	local deadline=$((SECONDS + $1))
	shift
	while :; do
		"$@" && return 0
		[ $SECONDS -ge $deadline ] && return 1
		sleep 0.1
	done
}

# imaptool ARGS...: the independent IMAP client (see imaptool.py), bounded.
imaptool()
{
	timeout -k 5 120 "$PYTHON" "$HARNESS_DIR/imaptool.py" "$@"
}

# mktemp_dir: the test's temporary directory, made once, removed at exit.
mktemp_dir()
{
	if [ -z "$MAILFS_TEST_TMP" ]; then
		MAILFS_TEST_TMP=$(mktemp -d "${TMPDIR:-/tmp}/mailfs-test.XXXXXX") ||
		    bail_out "mktemp failed"
		# Dovecot's mail processes run as another user and must reach
		# the Maildir inside.
		chmod 0755 "$MAILFS_TEST_TMP"
		export MAILFS_TEST_TMP
		trap _tap_cleanup EXIT
		trap 'exit 129' HUP
		trap 'exit 130' INT
		trap 'exit 143' TERM
	fi
}

# start_dovecot [--no-starttls] [--quota=BYTES]
start_dovecot()
{
	local out
	mktemp_dir
	out=$("$HARNESS_DIR/dovecot.sh" start "$MAILFS_TEST_TMP/dovecot" "$@") ||
	    bail_out "could not start Dovecot"
	_tap_dovecot=$MAILFS_TEST_TMP/dovecot
	eval "$out"
	export IMAP_HOST IMAP_PORT IMAPS_PORT TEST_CA TEST_USER TEST_PASSWORD \
	    TEST_PASSWORD_FILE DOVECOT_DIR
}

stop_dovecot()
{
	if [ -n "${_tap_dovecot:-}" ]; then
		"$HARNESS_DIR/dovecot.sh" stop "$_tap_dovecot"
		_tap_dovecot=
	fi
}

# register_mount DIR: unmount DIR at exit.
register_mount()
{
	_tap_mounts+=("$1")
}

# at_exit CMD: run the shell command CMD at exit, before the unmounts
# (e.g. to kill a daemon the test started).
at_exit()
{
	_tap_cleanups+=("$1")
}

need_fuse()
{
	[ -c /dev/fuse ] || skip_all "/dev/fuse is missing"
	command -v fusermount3 >/dev/null 2>&1 || skip_all "fusermount3 is missing (Debian package fuse3)"
}

_tap_show_log()
{
	if [ -n "${_tap_dovecot:-}" ] && [ -f "$_tap_dovecot/dovecot.log" ]; then
		diag "last lines of the Dovecot log:"
		diag "$(tail -n 20 "$_tap_dovecot/dovecot.log")"
	fi
}

_tap_cleanup()
{
	local status=$? c m
	trap - EXIT HUP INT TERM
	for c in "${_tap_cleanups[@]}"; do
		eval "$c" >/dev/null 2>&1 || true
	done
	for m in "${_tap_mounts[@]}"; do
		if command -v fusermount3 >/dev/null 2>&1; then
			fusermount3 -uz "$m" >/dev/null 2>&1 || true
		else
			umount "$m" >/dev/null 2>&1 || true
		fi
	done
	stop_dovecot >/dev/null 2>&1 || true
	if [ -n "$MAILFS_TEST_TMP" ] && [ -z "${MAILFS_KEEP_TMP:-}" ]; then
		rm -rf "$MAILFS_TEST_TMP"
	fi
	exit "$status"
}
