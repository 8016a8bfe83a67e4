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
# TEST_USER, TEST_PASSWORD, TEST_PASSWORD_FILE, DOVECOT_DIR, POP3_PORT and
# POP3S_PORT (empty without --pop3), and
# installs an EXIT trap that unmounts every directory given to
# register_mount (fusermount3 -uz), stops Dovecot and removes the
# temporary directory, whatever way the test ends.
#
# The daemon's own stderr is kept (daemon_log FILE PID; mount_mailfs and
# mount_traced do it) and read when the test ends, after the unmounts
# and the daemon's exit (so that LeakSanitizer has spoken): every
# sanitizer report (AddressSanitizer, LeakSanitizer, ThreadSanitizer,
# UBSan's "runtime error:") and every warning or error the daemon logged
# ("mailfs: warning: ", "mailfs: error: ", see fuse/common/log.c) is a failing
# test point, except the lines a test declares expected with
# expect_log 'REGEX' (e.g. the reconnections of a test that cuts them).

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
_tap_logs=()
_tap_pids=()
_tap_expected=()
_tap_torn_down=
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
	# The daemons' logs are complete only once they have ended.
	_tap_teardown
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

# start_dovecot [dovecot.sh start's options: --no-starttls, --pop3, ...]
start_dovecot()
{
	local out
	mktemp_dir
	out=$("$HARNESS_DIR/dovecot.sh" start "$MAILFS_TEST_TMP/dovecot" "$@") ||
	    bail_out "could not start Dovecot"
	_tap_dovecot=$MAILFS_TEST_TMP/dovecot
	eval "$out"
	export IMAP_HOST IMAP_PORT IMAPS_PORT TEST_CA TEST_USER TEST_PASSWORD \
	    TEST_PASSWORD_FILE DOVECOT_DIR POP3_PORT POP3S_PORT
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

# daemon_log FILE [PID]: FILE is a daemon's stderr, to be read for
# sanitizer reports, warnings and errors at the end; PID is waited for
# after the unmounts.
daemon_log()
{
	[ -n "${2:-}" ] && _tap_pids+=("$2")
	_tap_add_once _tap_logs "$1"
}

# expect_log REGEX: daemon log lines matching the extended REGEX are
# expected in this test (not failures).
expect_log()
{
	_tap_add_once _tap_expected "$1"
}

# _tap_add_once ARRAY VALUE: appends VALUE to the array named ARRAY
# unless it holds it (a test mounts again and again).
_tap_add_once()
{
	local -n _tap_array=$1
	local v
	for v in "${_tap_array[@]}"; do
		[ "$v" = "$2" ] && return 0
	done
	_tap_array+=("$2")
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

# _tap_scan_log FILE: a test point for each unexpected sanitizer report,
# warning or error in FILE, with the report's first lines (its stack's
# first frames) as diagnostics; one passing point when there is none.
_tap_scan_log()
{
	local f=$1 name=${1#"$MAILFS_TEST_TMP"/} line n=0 bad=0 re
	local hit='(AddressSanitizer|LeakSanitizer|ThreadSanitizer|runtime error:|^mailfs: (warning|error): )'
	[ -f "$f" ] || return 0
	while IFS= read -r line; do
		n=$((n + 1))
		[[ $line =~ $hit ]] || continue
		# Each report's summary repeats its first line.
		[[ $line == SUMMARY:* || $line == 'ThreadSanitizer: reported '* ]] &&
		    continue
		for re in "${_tap_expected[@]}"; do
			[[ $line =~ $re ]] && continue 2
		done
		bad=$((bad + 1))
		if [ $bad -gt 20 ]; then
			continue
		fi
		ok 1 "daemon log $name:$n: ${line:0:200}"
		case $line in
		mailfs:*) ;;
		*) re=$(sed -n "$((n + 1)),$((n + 14))p" "$f")
		   [ -n "$re" ] && diag "$re" ;;
		esac
	done <"$f"
	if [ $bad -gt 20 ]; then
		diag "$((bad - 20)) more in $name"
	elif [ $bad -eq 0 ]; then
		ok 0 "daemon log $name: no sanitizer report, warning or error"
	fi
}

# _tap_alive PID: PID is still a process this shell started (not ended,
# nor a stranger that got its number since).
_tap_alive()
{
	local st
	if [ -r "/proc/$$/stat" ]; then
		st=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
		# After the command name: state, parent.
		set -- ${st##*) }
		[ "$1" != Z ] && [ "$2" = "$$" ]
	else
		kill -0 "$1" 2>/dev/null
	fi
}

# _tap_teardown: stops what the test started (at_exit commands, mounts),
# waits for the daemons to end and reads their logs.  Once only.
_tap_teardown()
{
	local c m p i
	[ -n "$_tap_torn_down" ] && return 0
	_tap_torn_down=yes
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
	for p in "${_tap_pids[@]}"; do
		# Uploads at unmount may take a while; a daemon that hangs
		# on is a failure, and then killed.
		for i in $(seq 600); do
			_tap_alive "$p" || break
			sleep 0.1
		done
		if _tap_alive "$p"; then
			ok 1 "the daemon $p ends within 60 s of its unmount"
			kill -TERM "$p" 2>/dev/null
			sleep 2
			kill -KILL "$p" 2>/dev/null
		fi
	done
	for m in "${_tap_logs[@]}"; do
		_tap_scan_log "$m"
	done
}

_tap_cleanup()
{
	local status=$?
	trap - EXIT HUP INT TERM
	_tap_teardown
	stop_dovecot >/dev/null 2>&1 || true
	if [ -n "$MAILFS_TEST_TMP" ] && [ -z "${MAILFS_KEEP_TMP:-}" ]; then
		rm -rf "$MAILFS_TEST_TMP"
	fi
	exit "$status"
}
