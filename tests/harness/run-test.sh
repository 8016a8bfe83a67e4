#!/bin/sh
# run-test.sh [--script] PROGRAM [ARGS...]: automake's LOG_COMPILER for
# every test (SH_LOG_COMPILER passes --script for the bash tests).
#
# Every test is killed after MAILFS_TEST_TIMEOUT seconds (default 300),
# and then says "Bail out!", so that tap-driver reports an error instead of
# make check hanging.  With MAILFS_VALGRIND=1 a C test runs under
# valgrind, which fails it (exit 1, so tap-driver reports an ERROR) on any
# memory error or definite or indirect leak; its report goes to the
# test's .log file.  libtool --mode=execute looks past libtool's wrapper
# script, so valgrind watches the test and not the shell.  Child processes
# (Dovecot, sh) are not traced.
script=
if [ "${1:-}" = --script ]; then
	script=yes
	shift
fi
limit=${MAILFS_TEST_TIMEOUT:-300}
if [ -z "$script" ] && [ "${MAILFS_VALGRIND:-0}" = 1 ]; then
	set -- valgrind --quiet --leak-check=full --show-leak-kinds=definite,indirect \
	    --errors-for-leak-kinds=definite,indirect --error-exitcode=1 \
	    --num-callers=30 "$@"
	if [ -n "${LIBTOOL:-}" ]; then
		set -- $LIBTOOL --mode=execute "$@"
	fi
	limit=$((limit * 3))
fi
if ! command -v timeout >/dev/null 2>&1; then
	exec "$@"
fi
timeout -k 10 "$limit" "$@"
status=$?
if [ $status -eq 124 ] || [ $status -eq 137 ]; then
	echo "Bail out! timed out after $limit seconds"
fi
exit $status
