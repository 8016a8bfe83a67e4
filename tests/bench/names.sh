#!/bin/bash
# names.sh: what -o names=readable costs on the 100,000-message folder,
# against the default naming, in one run (issue 15).
#
#	tests/bench/names.sh [--runs N] [--out DIR]
#
# Seeds seed.py's large profile on a private Dovecot (its indexes built
# first, as run.sh does), then:
#   1. the listing's UID FETCH 1:* as the mount sends it, by itself
#      (FLAGS RFC822.SIZE INTERNALDATE), with BODY.PEEK[HEADER.FIELDS
#      (DATE FROM SUBJECT MESSAGE-ID)] (what names=readable adds) and with
#      ENVELOPE instead, each timed first (Dovecot reads every message
#      file and fills its cache) and five times again (from its cache,
#      the order turned each time);
#   2. N runs, alternating which goes first, of: an empty store, mount,
#      ls -l of the big folder (cold), ls -l again (warm), the daemon's
#      RSS; default naming against -o names=readable.
# Prints the medians.  Run from a build directory (top_builddir), as root
# or as a user who may mount FUSE filesystems.
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
FETCHALL=$top_builddir/tests/bench/fetchall
runs=3
out=$PWD/bench-names
while [ $# -gt 0 ]; do
	case $1 in
	--runs) runs=${2:?}; shift ;;
	--out) out=${2:?}; shift ;;
	*) sed -n '2,19p' "$0" >&2; exit 2 ;;
	esac
	shift
done
mkdir -p "$out"
work=$(mktemp -d "${TMPDIR:-/tmp}/mailfs-names-bench.XXXXXX") || exit 1
chmod 0755 "$work"
mnt=$work/mnt
log=$out/run.log
raw=$out/raw.csv
daemon=
mkdir -p "$mnt"
: >"$log"
echo "scenario,side,run,value" >"$raw"

cleanup()
{
	trap - EXIT INT TERM
	mountpoint -q "$mnt" 2>/dev/null && fusermount3 -uz "$mnt"
	[ -n "$daemon" ] && kill -TERM "$daemon" 2>/dev/null
	"$harness/dovecot.sh" stop "$work/dovecot" >/dev/null 2>&1
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say() { echo "names.sh: $*" | tee -a "$log" >&2; }
now() { echo "$EPOCHREALTIME"; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.4f", b - a }'; }
record() { echo "$1,$2,$3,$4" >>"$raw"; }

eval "$("$harness/dovecot.sh" start "$work/dovecot")" || { say "Dovecot did not start"; exit 1; }
export IMAP_HOST IMAPS_PORT TEST_CA TEST_USER TEST_PASSWORD_FILE
say "seeding the large profile"
python3 "$here/seed.py" fill "$DOVECOT_DIR/mail" --profile large \
    --manifest "$work/manifest.json" 2>>"$log" || { say "seeding failed"; exit 1; }
big=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["big"])' \
    "$work/manifest.json")
big_path=${big//./\/}
timeout 900 "$FETCHALL" meta "$big" >>"$log" 2>&1 || { say "fetchall meta failed"; exit 1; }

# 1. The listing's FETCH by itself, cold then warm for each added item.
say "the listing's UID FETCH on '$big'"
python3 - "$harness" "$big" "$raw" <<'EOF' 2>>"$log"
import sys, time
sys.path.insert(0, sys.argv[1])
import imaptool
m = imaptool.connect()
imaptool.select(m, sys.argv[2], True)
base = "UID FLAGS RFC822.SIZE INTERNALDATE"
items = [("plain", base),
         ("header_fields", base + " BODY.PEEK[HEADER.FIELDS (DATE FROM SUBJECT MESSAGE-ID)]"),
         ("envelope", base + " ENVELOPE")]
def fetch(what):
    t0 = time.monotonic()
    typ, data = m.uid("FETCH", "1:*", "(%s)" % what)
    t = time.monotonic() - t0
    size = sum(len(d[0]) + len(d[1]) if isinstance(d, tuple) else len(d or b"")
               for d in data)
    return typ, t, size
with open(sys.argv[3], "a") as out:
    # First: Dovecot reads every file for what its cache lacks; ENVELOPE
    # comes second and finds the files in the page cache.
    for name, what in items:
        typ, t, size = fetch(what)
        out.write("fetch_first,%s,0,%.4f\n" % (name, t))
        out.write("fetch_bytes,%s,0,%d\n" % (name, size))
        print("first %s: %s %.3f s, %d bytes" % (name, typ, t, size), file=sys.stderr)
    # Again, five times, the order turned each time.
    for r in range(1, 6):
        for name, what in (items if r % 2 else items[::-1]):
            typ, t, size = fetch(what)
            out.write("fetch_again,%s,%d,%.4f\n" % (name, r, t))
m.logout()
EOF

# 2. Mounts, default and readable, alternating.
mount_run()	# mount_run SIDE RUN
{
	local side=$1 r=$2 t0 t1 t2 opts="password_file=$TEST_PASSWORD_FILE,tls_ca_file=$TEST_CA"
	[ "$side" = readable ] && opts=$opts,names=readable
	rm -rf "$work/xdg"
	mkdir -p "$work/xdg"
	sync
	t0=$(now)
	XDG_CACHE_HOME=$work/xdg timeout 120 "$MAILFS" -o "$opts" \
	    "imaps://$TEST_USER@127.0.0.1:$IMAPS_PORT" "$mnt" 2>>"$log" || return 1
	daemon=$(grep -lzxF -- "$mnt" /proc/[0-9]*/cmdline 2>/dev/null | head -n 1)
	daemon=${daemon#/proc/}
	daemon=${daemon%/cmdline}
	timeout 600 ls -l "$mnt/$big_path" >/dev/null 2>>"$log" || say "$side: ls -l failed"
	t1=$(now)
	timeout 600 ls -l "$mnt/$big_path" >/dev/null 2>>"$log"
	t2=$(now)
	record ls_cold "$side" "$r" "$(elapsed "$t0" "$t1")"
	record ls_warm "$side" "$r" "$(elapsed "$t1" "$t2")"
	record rss_kib "$side" "$r" \
	    "$(sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$daemon/status")"
	fusermount3 -u "$mnt" 2>>"$log"
	for _ in $(seq 100); do
		kill -0 "$daemon" 2>/dev/null || break
		sleep 0.1
	done
	daemon=
}
for r in $(seq 1 "$runs"); do
	if [ $((r % 2)) = 1 ]; then
		mount_run default "$r" && mount_run readable "$r"
	else
		mount_run readable "$r" && mount_run default "$r"
	fi
	say "run $r done"
done

python3 - "$raw" <<'EOF'
import csv, statistics, sys
v = {}
for row in csv.DictReader(open(sys.argv[1])):
    v.setdefault((row["scenario"], row["side"]), []).append(float(row["value"]))
print("%-22s %-14s %12s" % ("scenario", "side", "median"))
for (s, side), xs in sorted(v.items()):
    print("%-22s %-14s %12.4f   (%d runs)" % (s, side, statistics.median(xs), len(xs)))
for s in ("ls_cold", "ls_warm", "rss_kib"):
    a, b = v.get((s, "default")), v.get((s, "readable"))
    if a and b:
        print("%s: readable / default = %.2f" % (s, statistics.median(b) / statistics.median(a)))
EOF
