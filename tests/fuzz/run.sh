#!/bin/sh
# run.sh FUZZER SECONDS: runs a libFuzzer target (tests/fuzz/fuzz_NAME,
# built by make fuzz-NAME) for SECONDS on its seed corpus
# (tests/fuzz/corpus/NAME, only read: what it finds goes to a temporary
# directory).  Exit status 0 when nothing failed; else the fuzzer's
# report is in the output and the input that failed is kept, its path
# printed (run it again with: FUZZER FILE).
set -u
fuzzer=$1
secs=$2
name=$(basename "$fuzzer")
name=${name#fuzz_}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/fuzz-$name.XXXXXX") || exit 1
mkdir "$work/corpus" "$work/found"
"$fuzzer" -max_total_time="$secs" -timeout=20 -rss_limit_mb=2048 \
    -artifact_prefix="$work/found/" -print_final_stats=1 \
    "$work/corpus" "$here/corpus/$name" >"$work/log" 2>&1
rc=$?
if [ $rc -eq 0 ]; then
	grep -E '^stat::number_of_executed_units' "$work/log" |
	    sed "s/^stat::number_of_executed_units: */fuzz_$name: runs: /"
	rm -rf "$work"
	exit 0
fi
echo "fuzz_$name: failed (status $rc); the report:"
grep -E 'ERROR|SUMMARY|runtime error|^ *#[0-9]+ ' "$work/log" |
    grep -vE 'fuzzer::|__sanitizer_|libc\.so|libc[-_]start|abort\.c|raise\.c|pthread_kill|in _start|in main ' |
    head -n 25
for f in "$work"/found/*; do
	[ -f "$f" ] || continue
	# The temporary directory may go (tests/ci.sh): the bytes too.
	echo "fuzz_$name: the failing input: $f"
	od -An -c "$f" | head -n 8
done
exit 1
