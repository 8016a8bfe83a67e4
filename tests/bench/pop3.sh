#!/bin/bash
# pop3.sh: reading a whole POP3 maildrop through mailfs, against the
# pipelined protocol limit and against mpop, in one run (issue 14).
#
#	tests/bench/pop3.sh [--messages N] [--size BYTES] [--runs N] [--out DIR]
#
# Seeds N messages (default 2000) of about BYTES (default 3000: real
# mail is mostly small) into a private Dovecot's INBOX, then, each run,
# the order turned each time:
#   limit   one TLS session that sends every RETR at once and reads the
#           answers (pop3limit.py): what the protocol allows on this
#           machine, with nothing stored;
#   mpop    mpop --keep delivering the maildrop into a Maildir, when
#           mpop is installed (Debian package mpop);
#   mailfs  an empty store, mount pop3s://, cat of every file (which
#           fetches and stores every body), the time to the last byte;
#           then rsync -a of the mounted maildrop to a local folder,
#           from the store (warm).
# Prints the medians and the ratios against the limit.  Run from a build
# directory (top_builddir), as root or as a user who may mount FUSE.
set -u
here=$(cd "$(dirname "$0")" && pwd)
: "${top_srcdir:=$(cd "$here/../.." && pwd)}"
: "${top_builddir:=$PWD}"
harness=$top_srcdir/tests/harness
MAILFS=$top_builddir/fuse/mailfs
if [ -x "$top_builddir/fuse/.libs/mailfs" ]; then
	MAILFS=$top_builddir/fuse/.libs/mailfs
	export LD_LIBRARY_PATH=$top_builddir/lib/.libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
fi
messages=2000
size=3000
runs=3
out=$PWD/bench-pop3
while [ $# -gt 0 ]; do
	case $1 in
	--messages) messages=${2:?}; shift ;;
	--size) size=${2:?}; shift ;;
	--runs) runs=${2:?}; shift ;;
	--out) out=${2:?}; shift ;;
	*) sed -n '2,20p' "$0" >&2; exit 2 ;;
	esac
	shift
done
mkdir -p "$out"
work=$(mktemp -d "${TMPDIR:-/tmp}/mailfs-pop3-bench.XXXXXX") || exit 1
chmod 0755 "$work"
mnt=$work/mnt
log=$out/run.log
raw=$out/raw.csv
daemon=
mkdir -p "$mnt"
: >"$log"
echo "side,run,seconds" >"$raw"

cleanup()
{
	trap - EXIT INT TERM
	mountpoint -q "$mnt" 2>/dev/null && fusermount3 -uz "$mnt"
	[ -n "$daemon" ] && kill -TERM "$daemon" 2>/dev/null
	"$harness/dovecot.sh" stop "$work/dovecot" >/dev/null 2>&1
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
say() { echo "pop3.sh: $*" >&2; }
now() { date +%s.%N; }
record() { echo "$1,$2,$(echo "$4 - $3" | bc)" >>"$raw"; }

eval "$("$harness/dovecot.sh" start "$work/dovecot" --pop3)" || { say "Dovecot did not start"; exit 1; }
export IMAP_HOST IMAP_PORT IMAPS_PORT TEST_CA TEST_USER TEST_PASSWORD TEST_PASSWORD_FILE
python3 - "$harness" "$messages" "$size" <<'EOF' 2>>"$log" || { say "seeding failed"; exit 1; }
import sys
sys.path.insert(0, sys.argv[1])
import imaptool
n, size = int(sys.argv[2]), int(sys.argv[3])
m = imaptool.connect()
line = b"x" * 74 + b"\r\n"
for i in range(n):
    head = b"From: Bench <bench@example.test>\r\nSubject: message %d\r\nMessage-ID: <%d@pop3.bench>\r\n\r\n" % (i, i)
    imaptool.append(m, "INBOX", head + line * max(1, (size - len(head)) // len(line)))
m.logout()
EOF
say "seeded $messages messages of about $size bytes"

run_limit()
{
	local t0 t1
	t0=$(now)
	python3 "$here/pop3limit.py" 127.0.0.1 "$POP3S_PORT" "$TEST_CA" "$TEST_USER" \
	    "$TEST_PASSWORD_FILE" >>"$log" 2>&1 || say "pop3limit.py failed"
	t1=$(now)
	record limit "$1" "$t0" "$t1"
}

run_mpop()
{
	local t0 t1
	command -v mpop >/dev/null || return 0
	rm -rf "$work/maildir" && mkdir -p "$work/maildir/new" "$work/maildir/cur" "$work/maildir/tmp"
	cat >"$work/mpoprc" <<EOF
account bench
host 127.0.0.1
port $POP3S_PORT
tls on
tls_starttls off
tls_trust_file $TEST_CA
user $TEST_USER
passwordeval cat $TEST_PASSWORD_FILE
delivery maildir $work/maildir
keep on
only_new off
uidls_file $work/uidls
EOF
	chmod 600 "$work/mpoprc"
	rm -f "$work/uidls"
	t0=$(now)
	mpop -C "$work/mpoprc" bench >>"$log" 2>&1 || say "mpop failed"
	t1=$(now)
	record mpop "$1" "$t0" "$t1"
}

run_mailfs()
{
	local t0 t1 t2 t3
	rm -rf "$work/cache" "$work/copy"
	XDG_CACHE_HOME=$work/cache "$MAILFS" -f -o "password_file=$TEST_PASSWORD_FILE,tls_ca_file=$TEST_CA" \
	    "pop3s://$TEST_USER@127.0.0.1:$POP3S_PORT" "$mnt" 2>>"$log" &
	daemon=$!
	t0=$(now)
	while ! mountpoint -q "$mnt"; do
		kill -0 "$daemon" 2>/dev/null || { say "the mount failed"; daemon=; return; }
		sleep 0.02
	done
	cat "$mnt"/INBOX/* >/dev/null
	t1=$(now)
	record mailfs-cold "$1" "$t0" "$t1"
	t2=$(now)
	rsync -a "$mnt/INBOX/" "$work/copy/"
	t3=$(now)
	record mailfs-rsync-warm "$1" "$t2" "$t3"
	[ "$(ls "$work/copy" | wc -l)" -eq "$messages" ] || say "rsync copied $(ls "$work/copy" | wc -l) files"
	fusermount3 -u "$mnt"
	wait "$daemon"
	daemon=
}

for r in $(seq 1 "$runs"); do
	case $((r % 3)) in
	0) run_limit "$r"; run_mpop "$r"; run_mailfs "$r" ;;
	1) run_mailfs "$r"; run_limit "$r"; run_mpop "$r" ;;
	2) run_mpop "$r"; run_mailfs "$r"; run_limit "$r" ;;
	esac
done

python3 - "$raw" "$messages" <<'EOF'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1])))
n = int(sys.argv[2])
by = {}
for r in rows:
    by.setdefault(r["side"], []).append(float(r["seconds"]))
limit = statistics.median(by["limit"]) if "limit" in by else None
print("%-18s %10s %12s %10s" % ("side", "median s", "ms/message", "x limit"))
for side in ("limit", "mpop", "mailfs-cold", "mailfs-rsync-warm"):
    if side not in by:
        continue
    m = statistics.median(by[side])
    print("%-18s %10.3f %12.3f %10s   (%d runs)" % (side, m, 1000 * m / n,
        "%.2f" % (m / limit) if limit else "-", len(by[side])))
EOF
