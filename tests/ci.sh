#!/bin/bash
# ci.sh: the whole test suite, as CI runs it (bash .ci/run, as root, in a
# fresh clone, CI=true, no stdin).
#
#  1. installs the Debian packages (tests/install-deps.sh; skipped with
#     MAILFS_CI_NO_DEPS=1);
#  2. builds with --enable-sanitizers (ASan + UBSan) and runs make check;
#  3. builds with --enable-tsan (ThreadSanitizer) and runs the filesystem
#     tests, whose daemon logs lib.sh reads for its reports;
#  4. builds without and runs every C test program under valgrind
#     (MAILFS_VALGRIND=1, honoured by tests/harness/run-test.sh);
#  5. runs make distcheck (the tarball builds and passes make check);
#  6. builds the libFuzzer targets (make fuzz, clang) and runs each for
#     MAILFS_CI_FUZZ_SECONDS (45) on its seed corpus, two at a time; each
#     counts as one test point, failed when it finds a crash or a broken
#     invariant.
#
# Builds, logs and every test's temporary directory live in one temporary
# directory (TMPDIR points into it), so that at the end stale FUSE mounts
# and Dovecot servers can be found and removed, whatever happened.  Set
# MAILFS_CI_KEEP=1 to keep it.
#
# The last line of output is always "N passed, N failed": the TAP test
# points of all runs (PASS and XFAIL count as passed; FAIL, XPASS and
# ERROR as failed; SKIP as neither), read from the tap-driver's lines
# in each run's output.  A step that fails outside any test point (a
# build, configure, distcheck's own checks) adds one failure.  Exit
# status 0 only when nothing failed.
set -u

# The tests' Postfix starts as root only: a user with sudo becomes root.
if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then
	exec sudo "$0" "$@"
fi

top=$(cd "$(dirname "$0")/.." && pwd)
jobs=${MAILFS_CI_JOBS:-2}
start=$SECONDS
passed=0
failed=0
status=0

ci_tmp=$(mktemp -d "${TMPDIR:-/tmp}/mailfs-ci.XXXXXX") || exit 1
# Dovecot's mail processes (another user) must reach test directories in it.
chmod 0755 "$ci_tmp"
export TMPDIR=$ci_tmp
export AM_COLOR_TESTS=no
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export TSAN_OPTIONS=${TSAN_OPTIONS:-second_deadlock_stack=1}
fuzz_seconds=${MAILFS_CI_FUZZ_SECONDS:-45}

say()
{
	printf '== %s [%ds]\n' "$*" $((SECONDS - start))
}

# Unmounts FUSE file systems under ci_tmp and stops Postfix and Dovecot
# servers that tests left there (by the pids in their folders).
cleanup()
{
	local mnt conf
	if [ -r /proc/mounts ]; then
		# /proc/mounts escapes blanks in octal; mount points under
		# ci_tmp are ours.
		awk -v p="$ci_tmp/" '$3 ~ /^fuse/ && index($2, p) == 1 { print $2 }' /proc/mounts |
		    sort -r | while read -r mnt; do
			mnt=$(printf '%b' "$mnt")
			echo "ci.sh: unmounting stale $mnt" >&2
			fusermount3 -uz "$mnt" 2>/dev/null || umount -l "$mnt" 2>/dev/null || true
		done
	fi
	# Postfix first: it delivers into a Dovecot.  postfix.sh stop kills
	# only the master whose queue directory is the one of its pid file.
	find "$ci_tmp" -name master.pid -path '*/spool/pid/*' 2>/dev/null |
	    while read -r conf; do
		conf=${conf%/spool/pid/master.pid}
		[ -f "$conf/etc/main.cf" ] || continue
		echo "ci.sh: stopping stale Postfix in $conf" >&2
		sh "$top/tests/harness/postfix.sh" stop "$conf" || true
	done
	find "$ci_tmp" -name dovecot.conf -path '*/dovecot/*' 2>/dev/null |
	    while read -r conf; do
		if [ -f "$(dirname "$conf")/run/master.pid" ]; then
			echo "ci.sh: stopping stale Dovecot in $(dirname "$conf")" >&2
			sh "$top/tests/harness/dovecot.sh" stop "$(dirname "$conf")" || true
		fi
	done
}

finish()
{
	local rc=$?
	trap - EXIT INT TERM HUP
	cleanup
	if [ -n "${MAILFS_CI_KEEP:-}" ]; then
		echo "ci.sh: kept $ci_tmp" >&2
	else
		chmod -R u+w "$ci_tmp" 2>/dev/null
		rm -rf "$ci_tmp"
	fi
	[ $failed -gt 0 ] && status=1
	[ $rc -ne 0 ] && status=1
	say "done"
	echo "$passed passed, $failed failed"
	exit $status
}
trap finish EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# count LOG: adds the test points in LOG to the totals.
count()
{
	local p f
	p=$(grep -cE '^(PASS|XFAIL): ' "$1")
	f=$(grep -cE '^(FAIL|XPASS|ERROR): ' "$1")
	passed=$((passed + p))
	failed=$((failed + f))
	echo "   $p passed, $f failed"
}

# step NAME LOG CMD...: runs CMD with its output in LOG; on failure
# prints the end of LOG, or with quiet_step set only says so.
quiet_step=
step()
{
	local name=$1 log=$2
	shift 2
	say "$name"
	if "$@" >"$log" 2>&1 </dev/null; then
		return 0
	fi
	if [ -n "$quiet_step" ]; then
		echo "ci.sh: $name failed"
	else
		echo "ci.sh: $name failed; the end of its output:"
		tail -n 40 "$log" | sed 's/^/   | /'
	fi
	return 1
}

# show_failures LOG: the failed test points in a make check output, and
# for each failing test the diagnostics in its log.
show_failures()
{
	local log=$1 dir=$2 t
	grep -E '^(FAIL|XPASS|ERROR): ' "$log" | head -n 100 | sed 's/^/   /'
	for t in $(grep -E '^(FAIL|XPASS|ERROR): ' "$log" | awk '{ print $2 }' | sort -u); do
		[ -f "$dir/$t.log" ] || continue
		echo "   ---- $t.log (failures and diagnostics)"
		grep -E '^(not ok|Bail out|# )|ERROR|AddressSanitizer|ThreadSanitizer|LeakSanitizer|runtime error|definitely lost|Invalid (read|write)' \
		    "$dir/$t.log" | head -n 30 | sed 's/^/   | /'
	done
}

fail_step()
{
	failed=$((failed + 1))
	status=1
}

if [ -z "${MAILFS_CI_NO_DEPS:-}" ]; then
	step "installing Debian packages" "$ci_tmp/deps.log" \
	    "$top/tests/install-deps.sh" || { fail_step; exit 1; }
fi

if [ ! -x "$top/configure" ] || [ "$top/configure.ac" -nt "$top/configure" ] ||
    [ "$top/Makefile.am" -nt "$top/Makefile.in" ]; then
	step "autogen.sh" "$ci_tmp/autogen.log" "$top/autogen.sh" ||
	    { fail_step; exit 1; }
fi

# build NAME DIR CONFIGURE-ARGS...: configures and builds in DIR.
build()
{
	local name=$1 dir=$2
	shift 2
	mkdir -p "$dir"
	step "$name: configure $*" "$dir/configure.out" \
	    sh -c 'cd "$1" && shift && "$@"' sh "$dir" "$top/configure" -q "$@" &&
	step "$name: make" "$dir/make.out" make -C "$dir" -j"$jobs"
}

# check NAME DIR MAKE-ARGS...: make check in DIR, counted.
check()
{
	local name=$1 dir=$2 rc=0
	shift 2
	quiet_step=yes
	step "$name: make check" "$dir/check.out" \
	    make -C "$dir" -j"$jobs" check "$@" || rc=1
	quiet_step=
	count "$dir/check.out"
	if [ $rc -ne 0 ]; then
		show_failures "$dir/check.out" "$dir"
		grep -qE '^(FAIL|XPASS|ERROR): ' "$dir/check.out" ||
		    tail -n 40 "$dir/check.out" | sed 's/^/   | /'
		# make failed without a failing test point: a build error.
		if ! grep -qE '^(FAIL|XPASS|ERROR): ' "$dir/check.out"; then
			fail_step
		fi
	fi
}

asan=$ci_tmp/build-sanitizers
if build sanitizers "$asan" --enable-sanitizers; then
	check sanitizers "$asan"
else
	fail_step
fi

tsan=$ci_tmp/build-tsan
if build tsan "$tsan" --enable-tsan; then
	fusetests=$(make -s -C "$tsan" print-fuse-tests 2>/dev/null)
	check tsan "$tsan" TESTS="$fusetests"
else
	fail_step
fi

plain=$ci_tmp/build-plain
if build plain "$plain"; then
	ctests=$(make -s -C "$plain" print-c-tests 2>/dev/null)
	if [ -n "$ctests" ]; then
		check valgrind "$plain" MAILFS_VALGRIND=1 TESTS="$ctests"
	else
		say "valgrind: no C tests"
	fi
	quiet_step=yes
	if step "distcheck" "$plain/distcheck.out" make -C "$plain" -j"$jobs" distcheck; then
		count "$plain/distcheck.out"
	else
		count "$plain/distcheck.out"
		if grep -qE '^(FAIL|XPASS|ERROR): ' "$plain/distcheck.out"; then
			grep -E '^(FAIL|XPASS|ERROR): ' "$plain/distcheck.out" |
			    head -n 100 | sed 's/^/   /'
		else
			# Not a test: the tarball, install or clean checks.
			tail -n 40 "$plain/distcheck.out" | sed 's/^/   | /'
			fail_step
		fi
	fi
	quiet_step=
else
	fail_step
fi

# fuzz NAME: runs tests/fuzz/fuzz_NAME of the plain build; its output in
# fuzz-NAME.out.
fuzz()
{
	sh "$top/tests/fuzz/run.sh" "$plain/tests/fuzz/fuzz_$1" "$fuzz_seconds" \
	    >"$plain/fuzz-$1.out" 2>&1 </dev/null
}

# fuzz_count NAME STATUS: one test point for the target.
fuzz_count()
{
	if [ "$2" -eq 0 ]; then
		passed=$((passed + 1))
		sed 's/^/   /' "$plain/fuzz-$1.out"
	else
		failed=$((failed + 1))
		head -n 40 "$plain/fuzz-$1.out" | sed 's/^/   | /'
	fi
}

# Without the plain build (counted above) there is nothing to fuzz.
if [ ! -f "$plain/Makefile" ]; then
	:
elif step "fuzz: make fuzz" "$plain/fuzz-make.out" make -C "$plain" -j"$jobs" fuzz; then
	set -- $(make -s -C "$plain" print-fuzz-targets)
	say "fuzz: $# targets, $fuzz_seconds s each, two at a time"
	while [ $# -gt 0 ]; do
		fuzz "$1" &
		a=$!
		if [ $# -gt 1 ]; then
			fuzz "$2" &
			b=$!
		fi
		wait $a
		fuzz_count "$1" $?
		if [ $# -gt 1 ]; then
			wait $b
			fuzz_count "$2" $?
			shift
		fi
		shift
	done
else
	fail_step
fi
