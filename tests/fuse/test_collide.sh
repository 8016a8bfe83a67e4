#!/bin/bash
# Issue 9: message files of two folders whose UIDs overlap.  UIDs start at
# 1 in every folder, so a name made of the UID alone met the other
# folder's message of the same UID, and mv or cp between folders replaced
# (expunged) it.  For mv, mv of many, mv -t, cp, cp -a and rsync -a from A
# to B: every message of A arrives in B, no message of B goes or changes
# (checked on the server by Message-ID, over an independent connection),
# the moved message reads at once under the name mv gave it, there and
# back works, every name has the valid form, names survive a remount; mv
# onto an existing message is refused with EEXIST; rm removes only the
# message it names.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/harness/lib.sh"
. "$top_srcdir/tests/fuse/mount.sh"
need_fuse
command -v rsync >/dev/null || skip_all "rsync is missing"
start_dovecot
T=$MAILFS_TEST_TMP
M=$T/mnt
K=4	# messages in each folder: UIDs 1..K on both sides
VALID='^[0-9]{10}-[0-9]{10}\.eml$'

# Six pairs of folders A1/B1 .. A6/B6, one pair per way of copying, each
# folder holding K messages at UIDs 1..K with Message-IDs of its own.
imap_py "
import imaplib
for k in range(1, 7):
    for side in ('A', 'B'):
        f = '%s%d' % (side, k)
        imaptool.check(m._simple_command('CREATE', f), 'CREATE ' + f)
        for i in range(1, $K + 1):
            imaptool.append(m, f, b'Message-ID: <%s-%d@collide.test>\r\n'
                            b'Subject: %s message %d\r\n\r\n' % (f.encode(), i, f.encode(), i)
                            + b'body of %s %d\r\n' % (f.encode(), i) * (10 + i),
                            None, imaplib.Time2Internaldate(1600000000 + k * 1000 + i))
" || bail_out "seeding failed"
census() { "$PYTHON" "$HARNESS_DIR/mailcheck.py" census; }
census >"$T/before" || bail_out "census failed"
for k in 1 2 3 4 5 6; do
	[ "$(imaptool uidvalidity "A$k")" != "$(imaptool uidvalidity "B$k")" ] ||
	    bail_out "A$k and B$k share a UIDVALIDITY"
	[ "$(imaptool uids "A$k" | tr '\n' ' ')" = "$(imaptool uids "B$k" | tr '\n' ' ')" ] ||
	    bail_out "the UIDs of A$k and B$k do not overlap"
done
mount_mailfs "$M" || bail_out "mount failed"

# held ID FOLDER [CENSUS]: how many copies of <ID@collide.test> FOLDER holds.
held()
{
	awk -F '\t' -v id="<$1@collide.test>" -v f="$2" '$1 == id && $2 == f' "${3:-$T/now}" |
	    wc -l
}

# hash ID [CENSUS]: the SHA-256 of <ID@collide.test>'s first copy.
hash()
{
	awk -F '\t' -v id="<$1@collide.test>" '$1 == id { print $6; exit }' "${3:-$T/now}"
}

# server_check K MOVED COPIED: the server after pair K's operation.  MOVED
# and COPIED are the numbers of A's messages (space-separated) that were
# moved and copied to B; every other message of A stays in A alone, and
# every message of B stays, with its bytes, in B alone.
server_check()
{
	local k=$1 moved=" $2 " copied=" $3 " i a b bad=0 id
	census >"$T/now" || { ok 1 "pair $k: census failed"; return; }
	for i in $(seq "$K"); do
		id=A$k-$i
		a=$(held "$id" "A$k")
		b=$(held "$id" "B$k")
		if [[ $moved == *" $i "* ]]; then
			[ "$a$b" = 01 ] || { diag "$id: A$k holds $a, B$k $b (moved)"; bad=1; }
		elif [[ $copied == *" $i "* ]]; then
			[ "$a$b" = 11 ] || { diag "$id: A$k holds $a, B$k $b (copied)"; bad=1; }
		else
			[ "$a$b" = 10 ] || { diag "$id: A$k holds $a, B$k $b (untouched)"; bad=1; }
		fi
		[ "$(hash "$id")" = "$(hash "$id" "$T/before")" ] ||
		    { diag "$id: other bytes than before"; bad=1; }
		id=B$k-$i
		[ "$(held "$id" "B$k")" = 1 ] && [ "$(held "$id" "A$k")" = 0 ] ||
		    { diag "$id: B$k holds $(held "$id" "B$k"), A$k $(held "$id" "A$k")"; bad=1; }
		[ "$(hash "$id")" = "$(hash "$id" "$T/before")" ] ||
		    { diag "$id: other bytes than before"; bad=1; }
	done
	ok $bad "pair $k: on the server, A's messages arrived in B and none of B's went"
}

# names_valid DIR: every file name in DIR has the form names_msg() gives.
names_valid()
{
	local bad
	bad=$(ls "$1" | grep -Ecv "$VALID")
	is "$bad" 0 "every name in ${1#$M/} has the valid form" || ls "$1" | sed 's/^/# /' >&2
}

# Each pair's names in A, and the bytes behind them, before anything moves.
for k in 1 2 3 4 5 6; do
	for i in $(seq "$K"); do
		n=$(msg_name "A$k" "$i")
		echo "$n" >>"$T/names.A$k"
		cp "$M/A$k/$n" "$T/A$k.$i" || bail_out "cannot read A$k/$n"
	done
	mapfile -t a_names <"$T/names.A$k"
	is "$(ls "$M/A$k" | tr '\n' ' ')" "$(printf '%s ' "${a_names[@]}")" \
	    "A$k lists its messages under their UIDVALIDITY-UID names, in UID order"
	is "$(ls "$M/B$k" | grep -Fxc -f "$T/names.A$k")" 0 \
	    "no name of A$k is also in B$k"
done

# reads_as DIR NAME FILE: DIR/NAME has the bytes of FILE.
reads_as()
{
	cmp -s "$3" "$M/$1/$2"
}

# --- 1: mv A/x B/, and back ---
mapfile -t n <"$T/names.A1"
mv "$M/A1/${n[0]}" "$M/B1/"
ok $? "mv A1/x B1/ (UID 1 on both sides)"
reads_as B1 "${n[0]}" "$T/A1.1"
ok $? "the moved message reads at once under the name mv gave it"
[ ! -e "$M/A1/${n[0]}" ]
ok $? "and is gone from A1"
is "$(getfattr --absolute-names --only-values -n user.imap.uid "$M/B1/${n[0]}")" \
    $((K + 1)) "user.imap.uid is its UID in B1"
server_check 1 "1" ""
names_valid "$M/B1"
mv "$M/B1/${n[0]}" "$M/A1/" && reads_as A1 "${n[0]}" "$T/A1.1"
ok $? "mv B1/x A1/: there and back, under the same name"
server_check 1 "" ""

# mv onto an existing message: refused, both stay.
b2=$(msg_name B1 2)
mv "$M/A1/${n[1]}" "$M/B1/$b2" 2>"$T/err"
isnt $? 0 "mv A1/x B1/y onto an existing message fails"
like "$(cat "$T/err")" "File exists" "with File exists"
reads_as A1 "${n[1]}" "$T/A1.2"
ok $? "A1/x stays"
server_check 1 "" ""
mv "$M/A1/${n[1]}" "$M/A1/${n[2]}" 2>"$T/err"
like "$(cat "$T/err")" "File exists" "mv onto an existing message within a folder: File exists"
reads_as A1 "${n[1]}" "$T/A1.2" && reads_as A1 "${n[2]}" "$T/A1.3"
ok $? "both stay"
server_check 1 "" ""

# --- 2: mv A/* B/ ---
mapfile -t n <"$T/names.A2"
mv "$M"/A2/* "$M/B2/"
ok $? "mv A2/* B2/"
bad=0
for i in $(seq "$K"); do
	reads_as B2 "${n[i - 1]}" "$T/A2.$i" || { diag "B2/${n[i - 1]} does not read"; bad=1; }
done
ok $bad "every moved message reads at once under its name"
is "$(ls "$M/A2" | wc -l)" 0 "A2 is empty"
is "$(ls "$M/B2" | wc -l)" $((2 * K)) "B2 lists both folders' messages"
server_check 2 "$(seq -s ' ' "$K")" ""
names_valid "$M/B2"

# rm of one moved message removes only that one.
rm "$M/B2/${n[0]}"
ok $? "rm B2/x of a moved message"
census >"$T/now"
is "$(held A2-1 B2)$(held B2-1 B2)" 01 "only that message is gone from the server"
is "$(awk -F '\t' '$2 == "B2"' "$T/now" | wc -l)" $((2 * K - 1)) "B2 holds the rest"
b1=$(msg_name B2 1)
rm "$M/B2/$b1"
ok $? "rm B2/x of B2's own message"
census >"$T/now"
is "$(held A2-2 B2)$(held B2-1 B2)" 10 "rm of B2's own UID 1 removes only that message" ||
    awk -F '\t' '$2 == "B2" { print "# " $1, $3 }' "$T/now"
is "$(awk -F '\t' '$2 == "B2"' "$T/now" | wc -l)" $((2 * K - 2)) "B2 holds the rest"
[ ! -e "$M/B2/$b1" ] && reads_as B2 "${n[1]}" "$T/A2.2"
ok $? "and the mount agrees"

# --- 3: mv -t B/ A/x A/y ---
mapfile -t n <"$T/names.A3"
mv -t "$M/B3/" "$M/A3/${n[0]}" "$M/A3/${n[2]}"
ok $? "mv -t B3/ A3/x A3/y"
reads_as B3 "${n[0]}" "$T/A3.1" && reads_as B3 "${n[2]}" "$T/A3.3"
ok $? "both read at once under their names"
server_check 3 "1 3" ""
names_valid "$M/B3"

# --- 4: cp A/x B/ ---
mapfile -t n <"$T/names.A4"
cp "$M/A4/${n[0]}" "$M/B4/"
ok $? "cp A4/x B4/"
reads_as B4 "${n[0]}" "$T/A4.1" && reads_as A4 "${n[0]}" "$T/A4.1"
ok $? "the copy reads at once under the same name, the original stays"
server_check 4 "" "1"
names_valid "$M/B4"

# copies_read K: every message of AK reads in BK under the name it had in AK.
copies_read()
{
	local name i bad=0
	while read -r name; do
		i=${name##*-}
		i=$((10#${i%.eml}))
		reads_as "B$1" "$name" "$T/A$1.$i" || { diag "B$1/$name does not read"; bad=1; }
	done <"$T/names.A$1"
	ok $bad "every copy reads under its name"
}

# --- 5: cp -a A/. B/ ---
err=$(cp -a "$M/A5/." "$M/B5/" 2>&1)
ok $? "cp -a A5/. B5/" || diag "$err"
copies_read 5
server_check 5 "" "$(seq -s ' ' "$K")"
names_valid "$M/B5"

# --- 6: rsync -a A/ B/ ---
err=$(run_timeout 60 rsync -a "$M/A6/" "$M/B6/" 2>&1)
ok $? "rsync -a A6/ B6/" || diag "$err"
copies_read 6
server_check 6 "" "$(seq -s ' ' "$K")"
names_valid "$M/B6"
out=$(run_timeout 60 rsync -ai "$M/A6/" "$M/B6/" 2>&1)
is "$out" "" "a second rsync finds nothing to copy"
server_check 6 "" "$(seq -s ' ' "$K")"

# The same names after a remount.
for k in 1 2 3 4 5 6; do
	ls "$M/A$k" "$M/B$k"
done >"$T/ls.before"
fusermount3 -u "$M" || bail_out "unmount failed"
mount_mailfs "$M" || bail_out "remount failed"
for k in 1 2 3 4 5 6; do
	ls "$M/A$k" "$M/B$k"
done >"$T/ls.after"
diff "$T/ls.before" "$T/ls.after" >"$T/diff"
ok $? "every name is the same after a remount" || diag "$(head -5 "$T/diff")"
mapfile -t n <"$T/names.A3"
reads_as B3 "${n[0]}" "$T/A3.1" && reads_as B3 "${n[2]}" "$T/A3.3"
ok $? "moved messages read under their names after the remount"
mapfile -t n <"$T/names.A1"
mv "$M/A1/${n[0]}" "$M/B1/" && mv "$M/B1/${n[0]}" "$M/A1/" && reads_as A1 "${n[0]}" "$T/A1.1"
ok $? "there and back again after the remount"
server_check 1 "" ""
bad=0
for k in 1 2 3 4 5 6; do
	[ "$(ls "$M/A$k" "$M/B$k" | grep -v '^$' | grep -v ':$' | grep -Ecv "$VALID")" = 0 ] || bad=1
done
ok $bad "every name has the valid form after the remount"
done_testing
