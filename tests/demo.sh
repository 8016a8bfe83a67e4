#!/bin/bash
# demo.sh: mailfs on a local, throw-away mailbox.
#
#	tests/demo.sh [start]	build if needed, start a private Dovecot with a
#				small realistic mailbox, list its folders with
#				examples/imap-folders, and mount it at
#				./demo-mail when fuse/mailfs is built
#	tests/demo.sh stop	unmount, stop the server, remove its files
#
# Nothing leaves 127.0.0.1.  The server lives in /tmp/mailfs-demo-UID
# (outside the tree, because Dovecot's mail processes run as another user
# and must reach it).  MAILFS_BUILD names a build directory; by default
# the tree itself when it has been configured, else ./build.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
harness=$top/tests/harness
demo=${TMPDIR:-/tmp}/mailfs-demo-$(id -u)
mnt=$top/demo-mail

say()
{
	printf '%s\n' "$*"
}

die()
{
	printf 'demo.sh: %s\n' "$*" >&2
	# Leave nothing running behind a failed demo.
	[ -d "$demo" ] && step_stop quiet
	exit 1
}

builddir()
{
	if [ -n "${MAILFS_BUILD:-}" ]; then
		echo "$MAILFS_BUILD"
	elif [ -f "$top/config.status" ]; then
		echo "$top"
	else
		echo "$top/build"
	fi
}

step_build()
{
	local b
	b=$(builddir)
	if [ ! -f "$b/config.status" ]; then
		say "== building mailfs in $b"
		if [ ! -x "$top/configure" ]; then
			(cd "$top" && ./autogen.sh >/dev/null 2>&1) || die "autogen.sh failed"
		fi
		mkdir -p "$b"
		(cd "$b" && "$top/configure" -q) || die "configure failed"
	fi
	make -s -C "$b" -j2 >/dev/null || die "make failed (run make -C $b to see why)"
	BUILD=$b
}

step_server()
{
	local out
	step_stop quiet
	say "== starting a private Dovecot in $demo"
	out=$("$harness/dovecot.sh" start "$demo/dovecot") || die "Dovecot did not start"
	eval "$out"
	export IMAP_HOST IMAP_PORT IMAPS_PORT TEST_CA TEST_USER TEST_PASSWORD \
	    TEST_PASSWORD_FILE DOVECOT_DIR
	printf '%s\n' "$out" > "$demo/env"
	say "== filling it with a demo mailbox"
	"${PYTHON:-python3}" "$harness/imaptool.py" seed-demo >/dev/null || die "seed-demo failed"
	URL="imaps://$TEST_USER@$IMAP_HOST:$IMAPS_PORT"
}

step_list()
{
	say "== the folders, as examples/imap-folders sees them:"
	say "   $BUILD/examples/imap-folders -c $TEST_CA -p $TEST_PASSWORD_FILE $URL"
	"$BUILD/examples/imap-folders" -c "$TEST_CA" -p "$TEST_PASSWORD_FILE" "$URL" |
	    sed 's/^/   /' || die "imap-folders failed"
}

step_mount()
{
	local i
	if [ ! -x "$BUILD/fuse/mailfs" ]; then
		say "== fuse/mailfs is not built: no mount"
		return 0
	fi
	if [ ! -c /dev/fuse ] || ! command -v fusermount3 >/dev/null 2>&1; then
		say "== no /dev/fuse or fusermount3 here: no mount"
		return 0
	fi
	mkdir -p "$mnt"
	say "== mounting the mailbox at $mnt"
	"$BUILD/fuse/mailfs" -o "password_file=$TEST_PASSWORD_FILE,tls_ca_file=$TEST_CA" \
	    "$URL" "$mnt" || die "fuse/mailfs could not mount"
	echo "$mnt" > "$demo/mount"
	for i in $(seq 50); do
		mountpoint -q "$mnt" && break
		sleep 0.1
	done
	mountpoint -q "$mnt" || die "$mnt is not mounted"
	say "   $(ls "$mnt" | tr '\n' ' ')"
	say ""
	say "Look around:   ls $mnt/INBOX;  getfattr -n user.imap.flags $mnt/INBOX/*.eml"
	say "Unmount:       fusermount3 -u $mnt"
}

# step_stop [quiet]: unmounts and stops whatever an earlier run left.
step_stop()
{
	if [ -f "$demo/mount" ]; then
		fusermount3 -u "$(cat "$demo/mount")" 2>/dev/null ||
		    fusermount3 -uz "$(cat "$demo/mount")" 2>/dev/null || true
	fi
	if [ -d "$demo/dovecot" ]; then
		"$harness/dovecot.sh" stop "$demo/dovecot" || true
	fi
	rm -rf "$demo"
	[ -d "$mnt" ] && ! mountpoint -q "$mnt" && rmdir "$mnt" 2>/dev/null
	[ "${1:-}" = quiet ] || say "demo stopped"
	return 0
}

case ${1:-start} in
start)
	step_build
	mkdir -p "$demo"
	chmod 0755 "$demo"
	step_server
	step_list
	step_mount
	say "Stop the demo: $0 stop"
	;;
stop)
	step_stop
	;;
*)
	echo "usage: $0 [start|stop]" >&2
	exit 2
	;;
esac
