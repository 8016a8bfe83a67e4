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
#	cut_run DIR N MODE CMD...	arms a cut (MODE close or hang) after
#					N bytes in DIR, runs CMD (its status
#					in CUT_STATUS, stderr in CUT_ERR, its
#					last line in CUT_ERR1) and
#					disarms; CUT_FIRED says whether the
#					cut happened
#	cut_sweep LABEL COUNT HANGS	the sweep (below)
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
	eval "${CUT_HOOK:-}"	# a proxy between (tests/fuse/rev1.sh)
	CUT_LOG=$MAILFS_TEST_TMP/cutproxy.log
	CUT_DAEMON_LOG=$MAILFS_TEST_TMP/mailfs.log
	CUT_CENSUS=$MAILFS_TEST_TMP/census
	CUT_FOLDERS=$MAILFS_TEST_TMP/folders
	: >"$MAILFS_TEST_TMP/results"
	"$PYTHON" "$HARNESS_DIR/cutproxy.py" --target "${CUT_TARGET:-$IMAPS_PORT}" \
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
	# Probe's messages are only read: no need to fetch them every time.
	coproc CHECK { MAILCHECK_SKIP=Probe exec "$PYTHON" "$HARNESS_DIR/mailcheck.py" shell; }
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
	daemon_log "$CUT_DAEMON_LOG" "$CUT_DAEMON_PID"
	# What a cut breaks, the daemon reports (and tries again later).
	expect_log '^mailfs: warning: .*(the server closed the connection|the server did not answer|the server did not complete the TLS handshake|not connected to the server)'
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
	checker census
}

# folders: mailcheck.py folders, from the checker's connection.
folders()
{
	checker folders
}

checker()
{
	local line status=0
	printf '%s\n' "$1" >&"$CUT_CHECK_IN" || return 1
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
	CUT_ERR=$("$@" 2>&1 >/dev/null)
	CUT_STATUS=$?
	CUT_ERR1=${CUT_ERR##*$'\n'}
	CUT_FIRED=0
	cut_settle 4
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
	local dir=$1 n=$2 mode=$3
	shift 3
	cutctl arm "$dir" "$n" "$mode" any >/dev/null
	CUT_ERR=$("$@" 2>&1 >/dev/null)
	CUT_STATUS=$?
	CUT_ERR1=${CUT_ERR##*$'\n'}
	CUT_FIRED=$(cut_stat fired)
	cutctl disarm >/dev/null
}

# cut_settle [TICKS]: waits until no byte has passed the proxy for TICKS
# quarter seconds (default CUT_SETTLE, 1), at most 15 s: a write may send
# after its system call returned.
CUT_SETTLE=${CUT_SETTLE:-1}
cut_settle()
{
	local ticks=${1:-$CUT_SETTLE} last now t0=$SECONDS stable=0
	last=$(cutctl stats)
	while [ $((SECONDS - t0)) -lt 15 ]; do
		sleep 0.25
		now=$(cutctl stats)
		if [ "${now% cuts=*}" = "${last% cuts=*}" ]; then
			stable=$((stable + 1))
			[ "$stable" -ge "$ticks" ] && return 0
		else
			stable=0
		fi
		last=$now
	done
	return 1
}

# cut_sweep LABEL COUNT HANGS: one uncut run of the operation, then COUNT
# cuts that close the connection and HANGS that stop it, at points spread
# over the bytes of the uncut run, client to server and then back.  The
# test defines
#	cut_op ITEM		the operation on ITEM (a number, new for every
#				run); its status is the system call's
#	cut_check_server ITEM	what the server holds (census in the file
#				CUT_CENSUS, folders in CUT_FOLDERS) agrees
#				with CUT_STATUS (and CUT_ERR)
#	cut_check_mount ITEM	the mount shows what the server holds
# which print diag lines and return non-zero on a violation.  CUT_KIND is
# free for the test to tell its sweeps apart (cut_final sets it again for
# each point); CUT_EXPECT=1 says that the operation fails even without a
# cut (an rmdir refused).  Each point is one test line; cut_final checks
# every point again against the server's final state, with CUT_FINAL=1
# while it does.
CUT_ITEM=0
cut_sweep()
{
	local label=$1 count=$2 hangs=$3 d total n mode what
	cut_fresh || bail_out "$label: no fresh connection (probe failed)"
	CUT_ITEM=$((CUT_ITEM + 1))
	cut_measure cut_op "$CUT_ITEM"
	cut_point "$label: uncut run ($CUT_C2S bytes to the server, $CUT_S2C back)"
	if [ "$((CUT_STATUS != 0))" != "${CUT_EXPECT:-0}" ]; then
		ok 1 "$label: without a cut the operation returns $CUT_STATUS; nothing to sweep"
		return
	fi
	for d in c2s s2c; do
		total=$CUT_C2S
		[ $d = s2c ] && total=$CUT_S2C
		{
			cut_points "$total" "$count" | sed 's/$/ close/'
			# Hangs fall between the closes' points.
			cut_points "$total" $((hangs + 1)) | sed '1d; s/$/ hang/'
		} >"$MAILFS_TEST_TMP/points"
		while read -r n mode; do
			if ! cut_fresh; then
				ok 1 "$label: cut $d at $n: no fresh connection"
				cut_diag
				continue
			fi
			CUT_ITEM=$((CUT_ITEM + 1))
			cut_run "$d" "$n" "$mode" cut_op "$CUT_ITEM"
			cut_settle
			what="cut $d after $n of $total bytes ($mode)"
			[ "$CUT_FIRED" = 1 ] || what="$what, did not fire"
			cut_point "$label: $what"
		done <"$MAILFS_TEST_TMP/points"
	done
}

# cut_point NAME: checks the current item against the server and the mount.
cut_point()
{
	local bad=0 res
	census >"$CUT_CENSUS" && folders >"$CUT_FOLDERS" ||
	    { ok 1 "$*: census failed"; return; }
	cut_check_server "$CUT_ITEM" || bad=1
	cut_check_mount "$CUT_ITEM" || bad=1
	res="returned $CUT_STATUS"
	[ "$CUT_STATUS" != 0 ] && res="$res (${CUT_ERR1##*: })"
	ok $bad "$*: $res" || cut_diag
	printf '%s\t%s\t%s\t%s\n' "$CUT_KIND" "$CUT_ITEM" "$CUT_STATUS" "${CUT_ERR//$'\n'/ }" \
	    >>"$MAILFS_TEST_TMP/results"
}

# cut_final: every point's result against the server's final state (a cut
# command the server finished after the census would show only here).
cut_final()
{
	local bad=0 item
	census >"$CUT_CENSUS" && folders >"$CUT_FOLDERS" ||
	    { ok 1 "final census failed"; return; }
	CUT_FINAL=1
	while IFS=$'\t' read -r CUT_KIND item CUT_STATUS CUT_ERR; do
		CUT_ERR1=$CUT_ERR
		cut_check_server "$item" || { diag "(item $item, final state)"; bad=1; }
	done <"$MAILFS_TEST_TMP/results"
	CUT_FINAL=
	ok $bad "the server's final state agrees with every point"
	is "$(duplicates "$CUT_CENSUS")" "" "no Message-ID is held twice anywhere"
}

# cut_diag: the daemon's and the proxy's last lines, for a failing point.
cut_diag()
{
	diag "proxy: $(tail -n 3 "$CUT_LOG")"
	diag "mailfs: $(tail -n 4 "$CUT_DAEMON_LOG")"
}

# held ID FOLDER: the census line's flags, INTERNALDATE and SHA-256 of the
# message ID in FOLDER (of the first when there are several).
held()
{
	awk -F '\t' -v id="$1" -v f="$2" \
	    '$1 == id && $2 == f { print $4 "\t" $5 "\t" $6; exit }' "$CUT_CENSUS"
}

# emls DIR: how many message files the mount lists in DIR.
emls()
{
	ls -A "$1" | grep -c '\.eml$'
}

# msgid FILE: the Message-ID of a message file (through the mount).
msgid()
{
	sed -n '/^[Mm]essage-[Ii][Dd]:/{s/^[^:]*:[[:space:]]*//; s/\r$//; p; q}' "$1"
}

# want TEXT CMD...: runs the test CMD (eval '...' for a compound one, in
# which $1 is want's, not the caller's: use the caller's locals); a diag
# line "TEXT" and status 1 when it fails.
want()
{
	local text=$1
	shift
	"$@" && return 0
	diag "$text"
	return 1
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
	CUT_PROBE_FILE=$(path_of Probe 1) || bail_out "no name for Probe's first message"
}

# cut_probe: sets a new keyword on a message of Probe through the mount.
# A read would not do: read-ahead may already have cached the next
# message, and then nothing reaches the server.  A UID STORE always does.
cut_probe()
{
	[ "$CUT_PROBE_N" -lt "$CUT_PROBE_MAX" ] || return 1
	CUT_PROBE_N=$((CUT_PROBE_N + 1))
	setfattr -n user.imap.flags -v "probe$CUT_PROBE_N" \
	    "$CUT_MNT/$CUT_PROBE_FILE"
}
CUT_PROBE=cut_probe
