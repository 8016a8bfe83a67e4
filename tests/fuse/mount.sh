# mount.sh: what the filesystem tests share (sourced after tests/harness/lib.sh).
#
#	mount_mailfs DIR [MAILFS OPTIONS...]   mounts the test account on DIR
#	                                       (imaps, or $MOUNT_URL; the test
#	                                       CA, refresh=1),
#	                                       the daemon in the foreground in
#	                                       the background; sets mailfs_pid
#	mount_traced DIR LOG [-o OPTIONS]      the same in the foreground with
#	                                       -d, the protocol trace in LOG;
#	                                       sets mailfs_pid (MOUNT_FLAG=-f:
#	                                       only the log, no trace)
#	unmount_traced DIR                     unmounts it and waits for the
#	                                       daemon to end
#	imap_py 'PYTHON'                       runs Python with imaptool's
#	                                       functions and a connection m
#	store CMD [ARGS...]                    looks into or damages the store
#	                                       of the mounts (tests/fuse/store.py)

MAILFS=${top_builddir}/fuse/mailfs

store()
{
	local cmd=$1
	shift
	python3 "$top_srcdir/tests/fuse/store.py" "$cmd" "$MAILFS_TEST_TMP/cache" "$@"
}

mount_mailfs()
{
	local dir=$1 log
	shift
	mkdir -p "$dir"
	register_mount "$dir"
	# In the foreground, so that its stderr is kept (and read at the
	# end of the test, lib.sh daemon_log) and its end waited for.
	_mailfs_logs=$((${_mailfs_logs:-0} + 1))
	log=$MAILFS_TEST_TMP/mailfs.$_mailfs_logs.log
	XDG_CACHE_HOME=$MAILFS_TEST_TMP/cache "$MAILFS" -f \
	    -o "password_file=$TEST_PASSWORD_FILE,tls_ca_file=$TEST_CA,refresh=1,timeout=10" \
	    "$@" "${MOUNT_URL:-imaps://$TEST_USER@$IMAP_HOST:$IMAPS_PORT}" "$dir" \
	    >"$log" 2>&1 </dev/null &
	mailfs_pid=$!
	daemon_log "$log" "$mailfs_pid"
	wait_for 30 sh -c "mountpoint -q '$dir' || ! kill -0 $mailfs_pid 2>/dev/null"
	if ! mountpoint -q "$dir"; then
		# Said why as the daemon did when it mounted in the background.
		cat "$log" >&2
		return 1
	fi
}

mount_traced()
{
	local dir=$1 log=$2
	shift 2
	mkdir -p "$dir"
	register_mount "$dir"
	XDG_CACHE_HOME=$MAILFS_TEST_TMP/cache "$MAILFS" "${MOUNT_FLAG:--d}" \
	    -o "password_file=$TEST_PASSWORD_FILE,tls_ca_file=$TEST_CA,refresh=60,timeout=10" \
	    "$@" "${MOUNT_URL:-imaps://$TEST_USER@$IMAP_HOST:$IMAPS_PORT}" "$dir" 2>"$log" &
	mailfs_pid=$!
	at_exit "kill $mailfs_pid 2>/dev/null"
	daemon_log "$log" "$mailfs_pid"
	wait_for 30 mountpoint -q "$dir"
}

unmount_traced()
{
	fusermount3 -u "$1" || return 1
	wait_for 30 sh -c "! kill -0 $mailfs_pid 2>/dev/null"
}

imap_py()
{
	timeout -k 5 60 python3 -c "
import sys
sys.path.insert(0, '$HARNESS_DIR')
import imaptool
m = imaptool.connect()
$1
"
}

# every_message: prints 'FOLDER<TAB>UID' for every message on the server.
every_message()
{
	local f u
	imaptool list | while IFS= read -r f; do
		for u in $(imaptool uids "$f" 2>/dev/null); do
			printf '%s\t%s\n' "$f" "$u"
		done
	done
}

# msg_name FOLDER UID: the message's file name in a mount (asks the
# server for the folder's UIDVALIDITY).  Tests name message files only
# through this, path_of or imaptool.msg_name.
msg_name()
{
	imaptool name "$1" "$2"
}

# msg_name_uv UIDVALIDITY UID: the same for a folder whose UIDVALIDITY the
# test already knows (no round trip to the server).
msg_name_uv()
{
	"$PYTHON" -c 'import sys
sys.path.insert(0, sys.argv[1])
import imaptool
print(imaptool.msg_name(sys.argv[2], sys.argv[3]))' "$HARNESS_DIR" "$1" "$2"
}

# path_of FOLDER UID: the message's path below the mount (delimiter ".").
path_of()
{
	printf '%s/%s' "${1//./\/}" "$(msg_name "$1" "$2")"
}

# dump_server DIR: writes every message the server holds, through one
# independent connection, as DIR/FOLDER/PATH/UID.eml (the mount's layout),
# and each message's flags as a line "PATH<TAB>FLAGS" in DIR.flags.
dump_server()
{
	imap_py "
import os, re
out = '$1'
os.makedirs(out, exist_ok=True)
delim = imaptool.delimiter(m)
data = imaptool.check(m.list('\"\"', '*'), 'LIST')
names = [(attrs, imaptool.utf7_decode(raw)) for attrs, _, raw in imaptool.parse_list(data)]
with open(out + '.flags', 'w') as fl:
    for attrs, name in sorted(names, key=lambda x: x[1]):
        path = name.replace(delim, '/')
        os.makedirs(os.path.join(out, path), exist_ok=True)
        if any(a.lower() in ('\\\\noselect', '\\\\nonexistent') for a in attrs):
            continue
        imaptool.select(m, name, True)
        uidvalidity = imaptool.status_item(m, name, 'UIDVALIDITY')
        for uid in imaptool.uid_search(m):
            typ, d = m.uid('FETCH', str(uid), '(FLAGS BODY.PEEK[])')
            head, body = d[0]
            flags = re.search(rb'FLAGS \(([^)]*)\)', head).group(1).decode().split()
            flags = ' '.join(f for f in flags if f.lower() != '\\\\recent')
            rel = '%s/%s' % (path, imaptool.msg_name(uidvalidity, uid))
            with open(os.path.join(out, rel), 'wb') as f:
                f.write(body)
            fl.write('%s\t%s\n' % (rel, flags))
"
}
