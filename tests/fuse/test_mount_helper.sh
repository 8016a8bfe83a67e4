#!/bin/bash
# Mounted like any filesystem: an fstab line "NAME MOUNT fuse.mailfs
# OPTIONS" and mount -t fuse.mailfs NAME MOUNT, through mount(8),
# mount.fuse3 and the accounts file (fuse/common/config.h).
#
# mount.fuse3 runs "mailfs" from the default PATH only (mount(8) clears
# PATH), so the test runs in a mount namespace of its own (unshare -m)
# where /usr/local/sbin is a directory of the test's holding a mailfs
# that runs the one built: nothing outside the test sees it.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/harness/lib.sh"
. "$top_srcdir/tests/fuse/mount.sh"
need_fuse
if [ -z "${MAILFS_TEST_UNSHARED:-}" ]; then
	[ -x /sbin/mount.fuse3 ] || skip_all "mount.fuse3 is missing (Debian package fuse3)"
	[ -d /usr/local/sbin ] || skip_all "no /usr/local/sbin to stand in for"
	unshare -m --propagation private true 2>/dev/null ||
	    skip_all "no mount namespace (unshare -m) for a mailfs in the default PATH"
	MAILFS_TEST_UNSHARED=1 exec unshare -m --propagation private bash "$0" "$@"
fi
start_dovecot
imaptool seed-demo >/dev/null || bail_out "seed-demo failed"
M=$MAILFS_TEST_TMP/mnt
mkdir -p "$M" "$MAILFS_TEST_TMP/sbin"
register_mount "$M"
cat >"$MAILFS_TEST_TMP/sbin/mailfs" <<EOT
#!/bin/sh
exec '$MAILFS' \${MAILFS_TEST_FOREGROUND:+-f} "\$@"
EOT
chmod 755 "$MAILFS_TEST_TMP/sbin/mailfs"
mount --bind "$MAILFS_TEST_TMP/sbin" /usr/local/sbin || bail_out "cannot bind /usr/local/sbin"
export XDG_CONFIG_HOME=$MAILFS_TEST_TMP/xdg XDG_CACHE_HOME=$MAILFS_TEST_TMP/cache
CONF=$MAILFS_TEST_TMP/accounts
cat >"$CONF" <<EOT
[work]
url = imaps://$TEST_USER@$IMAP_HOST:$IMAPS_PORT
password_file = $TEST_PASSWORD_FILE
tls_ca_file = $TEST_CA
timeout = 10
EOT
chmod 600 "$CONF"
FSTAB=$MAILFS_TEST_TMP/fstab
printf 'work %s fuse.mailfs noauto,user,_netdev,nofail,x-systemd.automount,config=%s 0 0\n' \
    "$M" "$CONF" >"$FSTAB"

# The fstab line, in the background as mount(8) leaves it.
run_timeout 60 mount -T "$FSTAB" "$M" 2>"$MAILFS_TEST_TMP/err"
is "$?:$(cat "$MAILFS_TEST_TMP/err")" "0:" "mount -T FSTAB MOUNT: status 0, nothing said"
ls "$M/INBOX" | grep -q '\.eml$'
ok $? "the account's INBOX lists messages"
like "$(grep " $M " /proc/mounts)" "^work $M fuse.mailfs " "/proc/mounts: work on MOUNT, fuse.mailfs"
# The daemon: the process whose arguments mount.fuse3 made ("work MOUNT -o ...").
daemon=$(pgrep -f -- " work $M -o ")
isnt "$daemon" "" "the daemon runs in the background"
umount "$M"
ok $? "umount MOUNT"
wait_for 30 sh -c "! kill -0 $daemon 2>/dev/null"
ok $? "the daemon ends"

# mount -t fuse.mailfs NAME MOUNT, the accounts file found through
# $XDG_CONFIG_HOME, the daemon in the foreground to keep what it says.
mkdir -p "$XDG_CONFIG_HOME/mailfs"
cp -p "$CONF" "$XDG_CONFIG_HOME/mailfs/accounts"
MAILFS_TEST_FOREGROUND=1 mount -t fuse.mailfs -o noauto,_netdev work "$M" \
    >"$MAILFS_TEST_TMP/log" 2>&1 </dev/null &
pid=$!
daemon_log "$MAILFS_TEST_TMP/log" "$pid"
wait_for 30 sh -c "mountpoint -q '$M' || ! kill -0 $pid 2>/dev/null"
mountpoint -q "$M"
ok $? "mount -t fuse.mailfs NAME MOUNT"
ls "$M/INBOX" | grep -q '\.eml$'
ok $? "its INBOX lists messages"
umount "$M"
wait "$pid"
is $? 0 "umount ends it with status 0"
done_testing
