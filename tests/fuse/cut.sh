# cut.sh: what the cut tests share (sourced after tests/harness/lib.sh and
# tests/fuse/mount.sh).
#
#	cut_start [DOVECOT OPTIONS]	Dovecot, the cut proxy in front of its
#					IMAPS port (tests/harness/cutproxy.py)
#					and the checker (mailcheck.py shell) as
#					a coprocess
#	cut_mount DIR [MAILFS OPTIONS]	mounts through the proxy, in the
#					foreground (its log in CUT_DAEMON_LOG):
#					one connection and no periodic refresh,
#					so that only the operation's own traffic
#					passes, and a short timeout
#	cut_unmount DIR			unmounts and waits for the daemon to end
#	cutctl COMMAND...		one control command; prints the reply
#	census				mailcheck.py census of the server, from
#					the checker's own connection
#	cut_measure CMD...		runs CMD after a mark: CUT_C2S and
#					CUT_S2C are the bytes it moved
#	cut_points TOTAL COUNT		COUNT cut points spread over 0..TOTAL-1,
#					the last byte included
#	cut_run DIR N CMD...		arms a cut after N bytes in DIR, runs
#					CMD (its status in CUT_STATUS, stderr in
#					CUT_ERR) and disarms; CUT_FIRED says
#					whether the cut happened
#
# A cut test sweeps N over the bytes that one uncut run of the operation
# moved, in both directions, and after each cut compares what the system
# call said with what the server holds.  Every point starts on a fresh
# connection (cut_fresh), so the same N falls on the same command each run.

CUT_TIMEOUT=${CUT_TIMEOUT:-2}

cut_start()
{
	local i
	need_fuse
	start_dovecot "$@"
	CUT_LOG=$MAILFS_TEST_TMP/cutproxy.log
	CUT_DAEMON_LOG=$MAILFS_TEST_TMP/mailfs.log
	"$PYTHON" "$HARNESS_DIR/cutproxy.py" --target "$IMAPS_PORT" \
	    --port-file "$MAILFS_TEST_TMP/cutproxy.port" --log "$CUT_LOG" \
	    --lifetime "${MAILFS_TEST_TIMEOUT:-300}" --hang-limit 10 &
	CUT_PROXY_PID=$!
	at_exit "kill $CUT_PROXY_PID"
	for i in $(seq 100); do
		[ -s "$MAILFS_TEST_TMP/cutproxy.port" ] && break
		sleep 0.1
	done
	read -r CUT_PORT CUT_CTL <"$MAILFS_TEST_TMP/cutproxy.port" ||
	    bail_out "the cut proxy did not start"
	coproc CHECK { exec "$PYTHON" "$HARNESS_DIR/mailcheck.py" shell; }
	CUT_CHECK_PID=$CHECK_PID
	# Copies, because bash closes a coprocess's own descriptors in
	# subshells, and census runs in pipelines and $(...).
	exec {CUT_CHECK_IN}>&"${CHECK[1]}" {CUT_CHECK_OUT}<&"${CHECK[0]}"
	at_exit "kill $CUT_CHECK_PID"
}

cut_mount()
{
	local dir=$1
	shift
	mkdir -p "$dir"
	register_mount "$dir"
	XDG_CACHE_HOME=$MAILFS_TEST_TMP/cache "$MAILFS" -f \
	    -o "password_file=$TEST_PASSWORD_FILE,tls_ca_file=$TEST_CA" \
	    -o "connections=1,refresh=86400,timeout=$CUT_TIMEOUT" \
	    "$@" "imaps://$TEST_USER@127.0.0.1:$CUT_PORT" "$dir" \
	    2>>"$CUT_DAEMON_LOG" &
	CUT_DAEMON_PID=$!
	at_exit "kill $CUT_DAEMON_PID"
	wait_for 30 mountpoint -q "$dir"
}

cut_unmount()
{
	local i
	fusermount3 -u "$1" || return 1
	for i in $(seq 300); do
		kill -0 "$CUT_DAEMON_PID" 2>/dev/null || return 0
		sleep 0.1
	done
	return 1
}

# cutctl COMMAND...: one line to the proxy's control port, its answer out.
cutctl()
{
	local fd reply
	exec {fd}<>"/dev/tcp/127.0.0.1/$CUT_CTL" || return 1
	printf '%s\n' "$*" >&"$fd"
	IFS= read -r -t 10 reply <&"$fd"
	exec {fd}>&-
	printf '%s\n' "$reply"
	[ "${reply%% *}" = ok ]
}

# cut_stat NAME: the number NAME=... of the proxy's stats.
cut_stat()
{
	local w
	for w in $(cutctl stats); do
		case $w in
		"$1"=*) echo "${w#*=}"; return 0 ;;
		esac
	done
	return 1
}

census()
{
	local line status=0
	printf 'census\n' >&"$CUT_CHECK_IN" || return 1
	while IFS= read -r -t 60 line <&"$CUT_CHECK_OUT"; do
		case $line in
		.) return $status ;;
		"error "*) echo "$line" >&2; status=1 ;;
		*) printf '%s\n' "$line" ;;
		esac
	done
	return 1
}

# copies ID CENSUS_FILE [FOLDER]: how many messages with Message-ID ID the
# census holds (in FOLDER only, when given).
copies()
{
	awk -F '\t' -v id="$1" -v f="${3-}" \
	    '$1 == id && (f == "" || $2 == f) { n++ } END { print n + 0 }' "$2"
}

# uid_of ID CENSUS_FILE FOLDER: the UID of that message in FOLDER.
uid_of()
{
	awk -F '\t' -v id="$1" -v f="$3" '$1 == id && $2 == f { print $3; exit }' "$2"
}

# duplicates CENSUS_FILE: Message-IDs held more than once across folders.
duplicates()
{
	cut -f1 "$1" | sort | uniq -d
}

cut_measure()
{
	cutctl mark >/dev/null
	"$@"
	CUT_STATUS=$?
	CUT_C2S=$(cut_stat c2s)
	CUT_S2C=$(cut_stat s2c)
	return $CUT_STATUS
}

cut_points()
{
	local total=$1 count=$2 i
	[ "$total" -gt 0 ] || return 0
	[ "$count" -gt "$total" ] && count=$total
	for ((i = 0; i < count - 1; i++)); do
		echo $((i * total / count))
	done
	echo $((total - 1))
}

# cut_fresh: makes the mount's one connection new, so every cut point
# counts from the same byte: the proxy closes it, and the mount, which
# finds out at its next command, reconnects for the one after.  PROBE is a
# command that sends something to the server without changing anything.
cut_fresh()
{
	local i
	cutctl drop >/dev/null
	for i in 1 2 3; do
		cutctl mark >/dev/null
		eval "$CUT_PROBE" >/dev/null 2>&1 && [ "$(cut_stat conns)" = 1 ] && return 0
	done
	return 1
}

cut_run()
{
	local dir=$1 n=$2
	shift 2
	cutctl arm "$dir" "$n" close >/dev/null
	CUT_ERR=$("$@" 2>&1 >/dev/null)
	CUT_STATUS=$?
	CUT_FIRED=$(cut_stat fired)
	cutctl disarm >/dev/null
}

# cut_diag: the daemon's and the proxy's last lines, for a failing point.
cut_diag()
{
	diag "$(tail -n 4 "$CUT_LOG")"
	diag "$(tail -n 6 "$CUT_DAEMON_LOG")"
}

# cut_seed_probe COUNT: COUNT small messages in the folder Probe, for
# cut_probe to read one by one (each read a FETCH from the server, since
# none of them is cached yet).
cut_seed_probe()
{
	imap_py "
imaptool.check(m._simple_command('CREATE', 'Probe'), 'CREATE Probe')
for i in range($1):
    imaptool.append(m, 'Probe', b'Message-ID: <probe-%d@cut.test>\r\nSubject: probe\r\n\r\nprobe\r\n' % i)
" >/dev/null
	CUT_PROBE_N=0
	CUT_PROBE_MAX=$1
}

# cut_probe: reads the next unread message of Probe through the mount.
cut_probe()
{
	[ "$CUT_PROBE_N" -lt "$CUT_PROBE_MAX" ] || return 1
	CUT_PROBE_N=$((CUT_PROBE_N + 1))
	cat "$CUT_MNT/Probe/$(printf '%010d' "$CUT_PROBE_N").eml" >/dev/null
}
CUT_PROBE=cut_probe
