#!/bin/bash
# run.sh: the mailfs benchmark (issue 5): mailfs against mbsync and against
# the protocol's limit, on a private Dovecot, in one run.
#
#	tests/bench/run.sh [--quick|--large|--small] [--rtt MS] [--runs N]
#	    [--only LIST] [--refresh N] [--out DIR] [--keep]
#
#   --quick        about 4,000 messages (74 MB) in 12 folders (default)
#   --large        the same plus a folder of 100,000 messages
#   --small        20,500 messages of 1-8 KiB (80 MB) in 10 folders: lists,
#                  notifications, spam; "ls -l big" lists the largest
#   --rtt MS       put latency-proxy.py with MS ms round trip in front of
#                  Dovecot, for mailfs and its peers alike
#   --runs N       runs of each scenario (default 3), alternating which
#                  side goes first
#   --only LIST    scenarios to run, comma-separated, from
#                  backup,grep,ls,cat (default all; "ls" also measures RSS)
#   --refresh N    mailfs -o refresh=N (default: mailfs's own default)
#   --out DIR      where raw.csv, summary.csv and the logs go
#                  (default: bench-results/ in the current directory)
#   --keep         keep the work directory (Dovecot, mounts' copies)
#
# Run from a build directory (make bench does), or set top_builddir: it
# needs $top_builddir/fuse/mailfs and $top_builddir/tests/bench/fetchall.
# Every scenario starts cold: a fresh mount, an empty mailfs cache
# (XDG_CACHE_HOME in the work directory), and echo 3 >
# /proc/sys/vm/drop_caches when that is allowed.  Whatever happens, every
# mount is unmounted and every process it started is stopped.
set -u

here=$(cd "$(dirname "$0")" && pwd)
: "${top_srcdir:=$(cd "$here/../.." && pwd)}"
: "${top_builddir:=$PWD}"
harness=$top_srcdir/tests/harness
MAILFS=$top_builddir/fuse/mailfs
# In a build tree fuse/mailfs is libtool's wrapper script, whose start
# costs about 60 ms that an installed binary does not pay (and mbsync
# does not either): run the binary it wraps.
if [ -x "$top_builddir/fuse/.libs/mailfs" ] && [ -d "$top_builddir/lib/.libs" ]; then
	MAILFS=$top_builddir/fuse/.libs/mailfs
	export LD_LIBRARY_PATH=$top_builddir/lib/.libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
fi
FETCHALL=$top_builddir/tests/bench/fetchall

profile=quick
rtt=0
runs=3
only=backup,grep,ls,cat
refresh=
out=$PWD/bench-results
keep=

die()
{
	echo "run.sh: $*" >&2
	exit 1
}

while [ $# -gt 0 ]; do
	case $1 in
	--quick) profile=quick ;;
	--large) profile=large ;;
	--small) profile=small ;;
	--rtt) rtt=${2:?--rtt wants milliseconds}; shift ;;
	--runs) runs=${2:?--runs wants a number}; shift ;;
	--only) only=${2:?--only wants a list}; shift ;;
	--refresh) refresh=${2:?--refresh wants seconds}; shift ;;
	--out) out=${2:?--out wants a directory}; shift ;;
	--keep) keep=1 ;;
	*) sed -n '2,28p' "$0" >&2; exit 2 ;;
	esac
	shift
done
case $rtt in ''|*[!0-9.]*) die "--rtt wants milliseconds" ;; esac
case $runs in ''|*[!0-9]*|0) die "--runs wants a positive number" ;; esac
[ -x "$FETCHALL" ] || die "$FETCHALL is missing: run make first (or make bench)"
for t in mbsync rsync python3 timeout; do
	command -v $t >/dev/null 2>&1 || die "$t is missing (Debian: isync rsync python3 coreutils)"
done

mkdir -p "$out" || die "cannot make $out"
out=$(cd "$out" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/mailfs-bench.XXXXXX") || die "mktemp failed"
# Dovecot's mail processes run as another user and must reach the Maildir.
chmod 0755 "$work"
mnt=$work/mnt
dst=$work/rsync-copy
mb=$work/mbsync
raw=$out/raw.csv
log=$out/run.log
proxy_pid=
daemon=
notes=()

cleanup()
{
	local status=$?
	trap - EXIT INT TERM HUP
	if mountpoint -q "$mnt" 2>/dev/null; then
		fusermount3 -u "$mnt" 2>/dev/null || fusermount3 -uz "$mnt" 2>/dev/null
	fi
	if [ -n "$daemon" ] && kill -0 "$daemon" 2>/dev/null; then
		kill -TERM "$daemon" 2>/dev/null
	fi
	[ -n "$proxy_pid" ] && kill -TERM "$proxy_pid" 2>/dev/null
	"$harness/dovecot.sh" stop "$work/dovecot" >/dev/null 2>&1
	if [ -n "$keep" ]; then
		echo "run.sh: kept $work" >&2
	else
		rm -rf "$work"
	fi
	exit "$status"
}
trap cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

say()
{
	echo "run.sh: $*" | tee -a "$log" >&2
}

# The time now in seconds, with microseconds.
now()
{
	echo "$EPOCHREALTIME"
}

elapsed()
{
	awk -v a="$1" -v b="$2" 'BEGIN { printf "%.4f", b - a }'
}

# record SCENARIO SIDE RUN VALUE
record()
{
	echo "$1,$2,$3,$4" >> "$raw"
}

drop_caches_ok=
cold()
{
	sync
	if echo 3 2>/dev/null > /proc/sys/vm/drop_caches; then
		drop_caches_ok=1
	fi
}

# ---- Dovecot, seeded ----

: > "$log"
say "work directory $work, results in $out"
env_out=$("$harness/dovecot.sh" start "$work/dovecot") || die "Dovecot did not start"
eval "$env_out"
export IMAP_HOST IMAPS_PORT TEST_CA TEST_USER TEST_PASSWORD_FILE
direct_port=$IMAPS_PORT
manifest=$work/manifest.json
say "seeding the $profile profile"
python3 "$here/seed.py" fill "$DOVECOT_DIR/mail" --profile "$profile" \
    --manifest "$manifest" 2>>"$log" || die "seeding failed"
timeout 600 python3 "$here/seed.py" verify "$DOVECOT_DIR/mail" "$manifest" \
    2>>"$log" || die "Dovecot does not serve the seeded account (see $log)"
mget()
{
	python3 -c 'import json, sys
m = json.load(open(sys.argv[1]))
print(eval(sys.argv[2]))' "$manifest" "$1"
}
total_msgs=$(mget 'm["messages"]')
total_bytes=$(mget 'm["bytes"]')
big=$(mget 'm["big"]')
big_msgs=$(mget 'm["folders"][m["big"]]["messages"]')
nowhere=$(mget 'm["nowhere"]')
big_path=${big//./\/}
# mbsync 1.4 names Maildir folders in modified UTF-7, as IMAP sends them.
big_mb_path=$(python3 -c 'import sys
sys.path.insert(0, sys.argv[1])
import seed
print("/".join(seed.mutf7(c) for c in sys.argv[2].split(".")))' "$here" "$big")
# Dovecot builds its indexes on first access: do it now, so that no side
# pays for it.
timeout 1200 "$FETCHALL" bodies >> "$log" 2>&1 || die "fetchall bodies failed"
timeout 600 "$FETCHALL" meta "$big" >> "$log" 2>&1 || die "fetchall meta failed"
say "$total_msgs messages, $total_bytes bytes; big folder '$big' with $big_msgs"

if [ "$rtt" != 0 ]; then
	python3 "$here/latency-proxy.py" --target "$IMAPS_PORT" --rtt "$rtt" \
	    --port-file "$work/proxy.port" </dev/null >>"$log" 2>&1 &
	proxy_pid=$!
	for _ in $(seq 100); do
		[ -s "$work/proxy.port" ] && break
		sleep 0.1
	done
	[ -s "$work/proxy.port" ] || die "latency-proxy.py did not start"
	IMAPS_PORT=$(cat "$work/proxy.port")
	say "latency proxy: $rtt ms round trip on port $IMAPS_PORT"
fi

cat > "$work/mbsyncrc" <<EOF
# mbsync at its fastest: no fsync, unlimited pipeline (the default).
FSync no

IMAPAccount bench
Host 127.0.0.1
Port $IMAPS_PORT
User $TEST_USER
PassCmd "cat $TEST_PASSWORD_FILE"
SSLType IMAPS
CertificateFile $TEST_CA

IMAPStore remote
Account bench

MaildirStore local
Path $mb/
Inbox $mb/INBOX
SubFolders Verbatim

Channel all
Far :remote:
Near :local:
Patterns *
Create Near
Sync Pull
SyncState *
EOF

# ---- the server's side of each run, from Dovecot's log ----

# log_mark: the current length of Dovecot's log.
log_mark()
{
	wc -l < "$DOVECOT_DIR/dovecot.log"
}

# served MARK FIELD: the sum of FIELD (out, body_count, ...) over the
# sessions that ended since MARK.  Dovecot writes the line when the
# session's process has seen the disconnect: wait for it briefly.
served()
{
	sleep 0.3
	tail -n +"$(($1 + 1))" "$DOVECOT_DIR/dovecot.log" |
	    sed -n "s/.*Disconnected.* $2=\\([0-9]*\\).*/\\1/p" |
	    awk '{ s += $1 } END { print s + 0 }'
}

# ---- mailfs ----

mailfs_ok=
mailfs_why=
opts="password_file=$TEST_PASSWORD_FILE,tls_ca_file=$TEST_CA"
[ -n "$refresh" ] && opts="$opts,refresh=$refresh"
mkdir -p "$mnt"

# The daemon's pid: the process with the mount point among its arguments
# (one grep, so that finding it costs no time in what is measured).
find_daemon()
{
	local f
	f=$(grep -lzxF -- "$mnt" /proc/[0-9]*/cmdline 2>/dev/null | head -n 1)
	[ -n "$f" ] || return 1
	f=${f#/proc/}
	echo "${f%/cmdline}"
}

# empty_cache: no message body or listing kept from an earlier mount.
# Called before cold(), outside what is timed: removing a cache of the
# whole account takes most of a second.
empty_cache()
{
	rm -rf "$work/xdg"
	mkdir -p "$work/xdg"
}

# mount_fs: a fresh mount on the cache as it is.  Sets daemon.
mount_fs()
{
	XDG_CACHE_HOME=$work/xdg timeout 120 "$MAILFS" -o "$opts" \
	    "imaps://$TEST_USER@127.0.0.1:$IMAPS_PORT" "$mnt" 2>>"$log" || return 1
	mountpoint -q "$mnt" || return 1
	daemon=$(find_daemon) || daemon=
}

# umount_fs: unmounts and waits for the daemon to end (it logs out).
umount_fs()
{
	local i
	mountpoint -q "$mnt" || return 0
	fusermount3 -u "$mnt" 2>>"$log" || {
		sleep 1
		fusermount3 -u "$mnt" 2>>"$log" || fusermount3 -uz "$mnt" 2>>"$log"
	}
	if [ -n "$daemon" ]; then
		for i in $(seq 100); do
			kill -0 "$daemon" 2>/dev/null || break
			sleep 0.1
		done
		if kill -0 "$daemon" 2>/dev/null; then
			say "mailfs $daemon did not exit after unmount; stopping it"
			kill -TERM "$daemon" 2>/dev/null
		fi
	fi
	daemon=
}

# rss_kib: the daemon's VmRSS in KiB.
rss_kib()
{
	sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$daemon/status"
}

# requests: the daemon's own count of the FUSE requests it served,
# "total=N op=N ..." (user.mailfs.requests on the root), read with one
# getxattr(2) with room for the whole line, which that line counts.
requests()
{
	python3 -c 'import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
buf = ctypes.create_string_buffer(4096)
n = libc.getxattr(os.fsencode(sys.argv[1]), b"user.mailfs.requests", buf,
    ctypes.c_size_t(len(buf)))
if n < 0:
    sys.exit("user.mailfs.requests: " + os.strerror(ctypes.get_errno()))
print(buf.raw[:n].decode())' "$mnt" 2>>"$log"
}

# profile_line: the daemon's stage profile (user.mailfs.profile: where
# its time went, fuse/common/profile.h) and the CPU it used.
profile_line()
{
	python3 "$here/profile.py" get "$mnt" "$daemon" 2>>"$log"
}

# stage_profile RUN WHAT [BEFORE]: the profile now (less BEFORE, a
# profile_line of when WHAT began) to the log and, in words, to the notes.
stage_profile()
{
	local line
	line=$(profile_line) || return 0
	say "run $1: $2: profile: $line${3:+ (before: $3)}"
	notes+=("run $1: $(python3 "$here/profile.py" describe "$2" "$line" ${3:+"$3"})")
}

# record_requests SCENARIO RUN WHAT BEFORE AFTER FILES: the requests the
# command between the two readings made (less the getxattr of the second
# reading), per file: SCENARIO the total, SCENARIO.OP each operation's.
# The counts themselves go to the log.
record_requests()
{
	local key=$1 r=$2 what=$3 d item k
	[ -n "$4" ] && [ -n "$5" ] || return 0
	d=$(awk -v a="$4" -v b="$5" 'BEGIN {
		n = split(a, x, " ")
		for (i = 1; i <= n; i++) {
			split(x[i], kv, "=")
			was[kv[1]] = kv[2]
		}
		n = split(b, x, " ")
		for (i = 1; i <= n; i++) {
			split(x[i], kv, "=")
			d = kv[2] - was[kv[1]]
			if (kv[1] == "total" || kv[1] == "getxattr")
				d--
			if (d != 0 || kv[1] == "total")
				out = out (out == "" ? "" : " ") kv[1] "=" d
		}
		print out
	}')
	say "run $r: $what: requests over $6 files: $d"
	for item in $d; do
		case $item in total=*) k=$key ;; *) k=$key.${item%%=*} ;; esac
		record "$k" info "$r" "$(awk -v c="${item#*=}" -v n="$6" \
		    'BEGIN { printf "%.4f", c / n }')"
	done
}

if [ ! -x "$MAILFS" ]; then
	mailfs_why="$MAILFS is not built"
elif [ ! -c /dev/fuse ] || ! command -v fusermount3 >/dev/null 2>&1; then
	mailfs_why="/dev/fuse or fusermount3 is missing"
elif ! { empty_cache; mount_fs; }; then
	mailfs_why="fuse/mailfs did not mount (see $log)"
elif ! timeout 60 ls "$mnt/INBOX" >/dev/null 2>>"$log"; then
	mailfs_why="the mount does not list INBOX"
	umount_fs
else
	mailfs_ok=1
	umount_fs
fi
if [ -z "$mailfs_ok" ]; then
	say "mailfs: n/a: $mailfs_why; running the peers' side only"
	notes+=("mailfs n/a: $mailfs_why")
fi

# local copy of the account for the "local" peers: the mount's tree when
# mailfs works, else mbsync's Maildir (same bytes, other layout).
local_tree=
local_big=

echo "scenario,side,run,value" > "$raw"

# mailfs_run SCENARIO RUN CMD...: a fresh mount (timed with it), then CMD.
# ---- scenario 1 and 2: backup, and backup again ----

backup_mailfs()
{
	local r=$1 t0 t1 m
	rm -rf "$dst"
	empty_cache
	cold
	m=$(log_mark)
	t0=$(now)
	mount_fs || { say "mailfs: mount failed"; return 1; }
	t1=$(now)
	record mount info "$r" "$(elapsed "$t0" "$t1")"
	timeout 3600 rsync -a "$mnt/" "$dst/" 2>>"$log" ||
	    say "mailfs: rsync -a failed (status $?)"
	t1=$(now)
	stage_profile "$r" "full backup"
	umount_fs
	record backup mailfs "$r" "$(elapsed "$t0" "$t1")"
	record backup_bytes info "$r" "$(served "$m" out)"
	local n b
	n=$(find "$dst" -type f -name '*.eml' | wc -l)
	b=$(find "$dst" -type f -name '*.eml' -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }')
	if [ "$n" != "$total_msgs" ] || [ "$b" != "$total_bytes" ]; then
		say "mailfs: the copy holds $n messages, $b bytes, not $total_msgs, $total_bytes"
		notes+=("run $r: the rsync copy of the mount holds $n messages, $b bytes (server: $total_msgs, $total_bytes)")
	fi
}

again_mailfs()
{
	local r=$1 t0 t1 m
	# mbsync sleeps a second when a directory changed within the last
	# one; let both sides start from the same, settled state.  mailfs
	# keeps what the backup's mount left in its cache directory, as
	# mbsync keeps its Maildir and sync state.
	sleep 1.1
	cold
	m=$(log_mark)
	t0=$(now)
	mount_fs || { say "mailfs: mount failed"; return 1; }
	timeout 3600 rsync -a "$mnt/" "$dst/" 2>>"$log" ||
	    say "mailfs: rsync -a again failed (status $?)"
	t1=$(now)
	stage_profile "$r" "backup again"
	umount_fs
	record again mailfs "$r" "$(elapsed "$t0" "$t1")"
	record again_bytes info "$r" "$(served "$m" out)"
	record again_bodies info "$r" "$(served "$m" body_count)"
	# The floor under it: rsync -a between two unchanged local copies,
	# from the same cold start (rsync must stat every file on both sides).
	[ -d "$dst.2" ] || cp -a "$dst" "$dst.2"
	sleep 1.1
	cold
	t0=$(now)
	timeout 3600 rsync -a "$dst/" "$dst.2/" 2>>"$log"
	t1=$(now)
	record again_local info "$r" "$(elapsed "$t0" "$t1")"
}

backup_peer()
{
	local r=$1 t0 t1 m
	rm -rf "$mb"
	mkdir -p "$mb"
	cold
	m=$(log_mark)
	t0=$(now)
	timeout 3600 mbsync -q -c "$work/mbsyncrc" -a >>"$log" 2>&1 ||
	    say "mbsync failed (status $?)"
	t1=$(now)
	# Run 0 only makes the local copy.
	[ "$r" = 0 ] && return 0
	record backup peer "$r" "$(elapsed "$t0" "$t1")"
	record backup_peer_bytes info "$r" "$(served "$m" out)"
}

again_peer()
{
	local r=$1 t0 t1 m
	sleep 1.1
	cold
	m=$(log_mark)
	t0=$(now)
	timeout 3600 mbsync -q -c "$work/mbsyncrc" -a >>"$log" 2>&1 ||
	    say "mbsync again failed (status $?)"
	t1=$(now)
	record again peer "$r" "$(elapsed "$t0" "$t1")"
	record again_peer_bytes info "$r" "$(served "$m" out)"
}

# ---- scenario 3: grep -r cold and warm ----

grep_mailfs()
{
	local r=$1 t0 t1 m s0 s1 st p0
	empty_cache
	cold
	m=$(log_mark)
	mount_fs || { say "mailfs: mount failed"; return 1; }
	p0=$(profile_line)
	s0=$(requests)
	t0=$(now)
	timeout 3600 grep -r -- "$nowhere" "$mnt" >/dev/null 2>>"$log"
	st=$?
	t1=$(now)
	s1=$(requests)
	stage_profile "$r" "grep -r cold" "$p0"
	[ $st = 1 ] || say "mailfs: grep -r cold ended with status $st, not 1"
	record grep_cold mailfs "$r" "$(elapsed "$t0" "$t1")"
	record_requests grep_cold_req "$r" "grep -r cold" "$s0" "$s1" "$total_msgs"
	s0=$(requests)
	t0=$(now)
	timeout 3600 grep -r -- "$nowhere" "$mnt" >/dev/null 2>>"$log"
	t1=$(now)
	s1=$(requests)
	record grep_warm mailfs "$r" "$(elapsed "$t0" "$t1")"
	record_requests grep_warm_req "$r" "grep -r warm" "$s0" "$s1" "$total_msgs"
	umount_fs
	record grep_bytes info "$r" "$(served "$m" out)"
}

grep_peer()
{
	local r=$1 t0 t1 res
	cold
	res=$(timeout 3600 "$FETCHALL" bodies 2>>"$log") ||
	    { say "fetchall bodies failed"; return 1; }
	record grep_cold peer "$r" "$(echo "$res" | sed -n 's/^seconds=\([0-9.]*\) .*/\1/p')"
	# The local floor: the same grep on the local copy, its pages cached.
	timeout 3600 grep -r -- "$nowhere" "$local_tree" >/dev/null
	t0=$(now)
	timeout 3600 grep -r -- "$nowhere" "$local_tree" >/dev/null
	t1=$(now)
	record grep_warm peer "$r" "$(elapsed "$t0" "$t1")"
}

# ---- scenario 4: ls -l of the big folder; memory ----

ls_mailfs()
{
	local r=$1 t0 t1 rss0 rss1 s0 s1
	empty_cache
	cold
	mount_fs || { say "mailfs: mount failed"; return 1; }
	s0=$(requests)
	rss0=$(rss_kib)
	t0=$(now)
	timeout 3600 ls -l "$mnt/$big_path" >/dev/null 2>>"$log" ||
	    say "mailfs: ls -l cold failed"
	t1=$(now)
	rss1=$(rss_kib)
	s1=$(requests)
	record ls_cold mailfs "$r" "$(elapsed "$t0" "$t1")"
	record_requests ls_cold_req "$r" "ls -l cold" "$s0" "$s1" "$big_msgs"
	record rss mailfs "$r" "$(awk -v a="$rss0" -v b="$rss1" -v n="$big_msgs" \
	    'BEGIN { printf "%.1f", (b - a) * 1024 / n }')"
	s0=$(requests)
	t0=$(now)
	timeout 3600 ls -l "$mnt/$big_path" >/dev/null 2>>"$log"
	t1=$(now)
	s1=$(requests)
	record ls_warm mailfs "$r" "$(elapsed "$t0" "$t1")"
	record_requests ls_warm_req "$r" "ls -l warm" "$s0" "$s1" "$big_msgs"
	umount_fs
}

ls_peer()
{
	local r=$1 t0 t1 res meta loc
	cold
	res=$(timeout 3600 "$FETCHALL" meta "$big" 2>>"$log") ||
	    { say "fetchall meta failed"; return 1; }
	meta=$(echo "$res" | sed -n 's/^seconds=\([0-9.]*\) .*/\1/p')
	ls -l "$local_big" >/dev/null 2>>"$log" ||
	    { say "ls -l $local_big failed"; return 1; }
	t0=$(now)
	ls -l "$local_big" >/dev/null
	t1=$(now)
	loc=$(elapsed "$t0" "$t1")
	record ls_cold peer "$r" "$(awk -v a="$meta" -v b="$loc" 'BEGIN { printf "%.4f", a + b }')"
	record ls_warm peer "$r" "$loc"
}

# ---- scenario 5: cat of 200 random messages ----

make_picks()
{
	IMAPS_PORT=$direct_port python3 - "$manifest" "$work/picks.tsv" "$work/picks.paths" \
	    "$harness" <<'EOF'
import json, random, sys
sys.path.insert(0, sys.argv[4])
import imaptool
m = json.load(open(sys.argv[1]))
rng = random.Random(200)
# Dovecot numbers freshly seeded folders 1..n.
names = sorted(m["folders"])
weights = [m["folders"][n]["messages"] for n in names]
picks = set()
while len(picks) < min(200, m["messages"]):
    f = rng.choices(names, weights)[0]
    picks.add((f, rng.randint(1, m["folders"][f]["messages"])))
picks = list(picks)
rng.shuffle(picks)
# The mount names a message after its folder's UIDVALIDITY and its UID.
conn = imaptool.connect()
uidvalidity = {f: imaptool.status_item(conn, f, "UIDVALIDITY") for f in {f for f, _ in picks}}
conn.logout()
with open(sys.argv[2], "w") as t, open(sys.argv[3], "w") as p:
    for f, uid in picks:
        t.write("%s\t%d\n" % (f, uid))
        p.write("%s/%s\n" % (f.replace(".", "/"), imaptool.msg_name(uidvalidity[f], uid)))
EOF
}

cat_mailfs()
{
	local r=$1 t0 t1
	empty_cache
	cold
	mount_fs || { say "mailfs: mount failed"; return 1; }
	t0=$(now)
	(cd "$mnt" && tr '\n' '\0' < "$work/picks.paths" |
	    timeout 3600 xargs -0 cat) >/dev/null 2>>"$log" ||
	    say "mailfs: cat of the picks failed"
	t1=$(now)
	record cat_cold mailfs "$r" "$(elapsed "$t0" "$t1")"
	t0=$(now)
	(cd "$mnt" && tr '\n' '\0' < "$work/picks.paths" |
	    timeout 3600 xargs -0 cat) >/dev/null 2>>"$log"
	t1=$(now)
	record cat_warm mailfs "$r" "$(elapsed "$t0" "$t1")"
	umount_fs
}

cat_peer()
{
	local r=$1 t0 t1 res
	cold
	res=$(timeout 3600 "$FETCHALL" pick < "$work/picks.tsv" 2>>"$log") ||
	    { say "fetchall pick failed"; return 1; }
	record cat_cold peer "$r" "$(echo "$res" | sed -n 's/^seconds=\([0-9.]*\) .*/\1/p')"
	if [ "$local_tree" = "$dst" ]; then
		(cd "$local_tree" && tr '\n' '\0' < "$work/picks.paths" | xargs -0 cat) >/dev/null
		t0=$(now)
		(cd "$local_tree" && tr '\n' '\0' < "$work/picks.paths" | xargs -0 cat) >/dev/null
		t1=$(now)
		record cat_warm peer "$r" "$(elapsed "$t0" "$t1")"
	fi
}

# ---- the runs ----

# pair SCENARIO RUN: mailfs and peer, the first side alternating by run.
pair()
{
	local s=$1 r=$2
	if [ $((r % 2)) = 1 ]; then
		[ -n "$mailfs_ok" ] && "${s}_mailfs" "$r"
		"${s}_peer" "$r"
	else
		"${s}_peer" "$r"
		[ -n "$mailfs_ok" ] && "${s}_mailfs" "$r"
	fi
}

wants()
{
	case ",$only," in *",$1,"*) return 0 ;; esac
	return 1
}

make_picks
tstart=$(now)
for r in $(seq "$runs"); do
	if wants backup; then
		say "run $r: full backup"
		pair backup "$r"
		say "run $r: backup again"
		pair again "$r"
	elif [ $r = 1 ]; then
		# The local peers need a local copy: mbsync's is the quickest.
		say "making a local copy with mbsync"
		backup_peer 0
	fi
	if [ $r = 1 ]; then
		if [ -n "$mailfs_ok" ] && [ -d "$dst" ]; then
			local_tree=$dst
			local_big=$dst/$big_path
		else
			local_tree=$mb
			local_big=$mb/$big_mb_path/cur
		fi
	fi
	if wants grep; then
		say "run $r: grep -r"
		pair grep "$r"
	fi
	if wants ls; then
		say "run $r: ls -l $big_path"
		pair ls "$r"
	fi
	if wants cat; then
		say "run $r: cat of 200 random messages"
		pair cat "$r"
	fi
done
say "all runs took $(elapsed "$tstart" "$(now)") s"
[ -n "$drop_caches_ok" ] ||
    notes+=("echo 3 > /proc/sys/vm/drop_caches was not allowed: cold runs had the page cache warm")
notes+=("profile $profile: $total_msgs messages, $total_bytes bytes; big folder $big_msgs messages; $runs runs")
notes+=("grep -r cold and ls -l cold time the command on a finished mount; fetchall times from the end of its login")
notes+=("FUSE requests a file: the daemon's own count (user.mailfs.requests) before and after the command, less the getxattr that read it, over the files involved; by operation in parentheses")

args=()
for n in "${notes[@]}"; do
	args+=(--note "$n")
done
python3 "$here/report.py" "$raw" "$out/summary.csv" --rtt "$rtt" \
    --profile "$profile" "${args[@]}" |
    tee "$out/summary.txt"
