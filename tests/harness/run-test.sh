#!/bin/sh
# run-test.sh PROGRAM [ARGS...]: automake's LOG_COMPILER for the C tests.
#
# With MAILFS_VALGRIND=1 in the environment the program runs under
# valgrind, which fails the test (exit 1, so tap-driver reports an ERROR)
# on any memory error or definite/indirect leak; its report goes to the
# test's .log file.  libtool --mode=execute looks past libtool's wrapper
# script, so valgrind watches the test and not the shell.  Child processes
# (Dovecot, sh) are not traced.
if [ "${MAILFS_VALGRIND:-0}" = 1 ]; then
	set -- valgrind --quiet --leak-check=full --show-leak-kinds=definite,indirect \
	    --errors-for-leak-kinds=definite,indirect --error-exitcode=1 \
	    --track-fds=no --num-callers=30 "$@"
	if [ -n "${LIBTOOL:-}" ]; then
		exec $LIBTOOL --mode=execute "$@"
	fi
fi
exec "$@"
