# queue.sh: what the offline queue's tests share (sourced after
# tests/harness/lib.sh and tests/fuse/mount.sh).  Sourcing it starts
# Dovecot and the gate in front of its IMAPS port (tests/harness/gate.py),
# open.
#
#	gate_close, gate_open	cuts the mounts off the server, and back
#	gate_stop		ends the gate
#	queue_mount [OPTIONS]	mounts on $M through the gate; its log in $LOG
#	queue_unmount		unmounts $M, waits for the daemon to end
#	mail FILE ID		a message with Message-ID <ID@queue.test>
#	status, state, queued	user.mailfs.status, its state: and queued: lines
#	ms CMD...		runs CMD: exit status in STATUS (0/1), the last
#				line of its stderr in ERR, milliseconds in MS
#	server_has FOLDER MSGID N TEXT	a test point: the server holds N
#				messages of that Message-ID in FOLDER
#	server_flags FOLDER MSGID	the flags of that message on the server
#	other_expunge FOLDER UID, other_move FOLDER UID DEST
#				what another device does, on the server

need_fuse
command -v getfattr >/dev/null && command -v setfattr >/dev/null ||
    skip_all "getfattr or setfattr is missing (Debian package attr)"
start_dovecot
T=$MAILFS_TEST_TMP
M=$T/mnt

gate_start()
{
	python3 "$HARNESS_DIR/gate.py" "$T/gate.port" "$T/gate.pid" "$IMAPS_PORT" \
	    >/dev/null 2>"$T/gate.log" &
	wait_for 10 test -s "$T/gate.port" || bail_out "the gate did not start"
	GATE_PID=$(cat "$T/gate.pid")
	GATE_PORT=$(cat "$T/gate.port")
	at_exit "kill $GATE_PID 2>/dev/null"
}
gate_close() { kill -USR1 "$GATE_PID"; sleep 0.2; }
gate_open() { kill -USR2 "$GATE_PID"; sleep 0.2; }
gate_stop() { kill "$GATE_PID" 2>/dev/null; }

queue_mount()
{
	IMAPS_PORT=$GATE_PORT mount_mailfs "$M" "$@" || return 1
	LOG=$T/mailfs.$_mailfs_logs.log
}

# An unmount just after a look may cut the read-ahead that look started.
expect_log '^mailfs: warning: cannot fetch messages .*: the wait for the server was cancelled by the client'

queue_unmount()
{
	fusermount3 -u "$M"
	wait_for 30 sh -c "! kill -0 $mailfs_pid 2>/dev/null"
}

mail()
{
	printf 'Subject: %s\r\nMessage-ID: <%s@queue.test>\r\n\r\nthe word is %s\r\n' \
	    "$2" "$2" "$2" >"$1"
}

status() { getfattr --absolute-names --only-values -n user.mailfs.status "$M" 2>/dev/null; }
state() { status | sed -n 's/^state: //p'; }
queued() { status | sed -n 's/^queued: //p'; }

ms()
{
	local t0 t1
	t0=$(date +%s%N)
	ERR=$("$@" 2>&1 >/dev/null)
	STATUS=$(($? != 0))
	t1=$(date +%s%N)
	MS=$(((t1 - t0) / 1000000))
}

# The UIDs of the messages of FOLDER with Message-ID MSGID, one a line.
_server_uids()
{
	imap_py "
try:
    imaptool.select(m, '''$1''', True)
except imaptool.ToolError:
    sys.exit(0)
d = imaptool.check(m.uid('SEARCH', 'HEADER', 'Message-ID', '''$2'''), 'SEARCH')
for u in b' '.join(x for x in d if x).split():
    print(int(u))
"
}

server_has()
{
	local n
	n=$(_server_uids "$1" "$2" | grep -c .)
	is "$n" "$3" "$4"
}

server_flags()
{
	local uid
	uid=$(_server_uids "$1" "$2" | head -1)
	[ -n "$uid" ] && imaptool flags "$1" "$uid"
}

# What another device does meanwhile, on the server directly.
other_expunge()
{
	imap_py "
imaptool.select(m, '''$1''', False)
imaptool.check(m.uid('STORE', '$2', '+FLAGS.SILENT', r'(\Deleted)'), 'STORE')
imaptool.check(m.expunge(), 'EXPUNGE')
"
}
other_move()
{
	imap_py "
imaptool.select(m, '''$1''', False)
imaptool.check(m.uid('MOVE', '$2', imaptool.mailbox_arg('''$3''')), 'MOVE')
"
}

gate_start
