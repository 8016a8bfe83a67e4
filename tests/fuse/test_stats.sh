#!/bin/bash
# The daemon's request counts: user.mailfs.requests on the root, read-only
# and unlisted; warm ls -l costs few requests, cat costs open and read.
# Its stage profile likewise: user.mailfs.profile.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/harness/lib.sh"
. "$top_srcdir/tests/fuse/mount.sh"
need_fuse
command -v getfattr >/dev/null && command -v setfattr >/dev/null ||
    skip_all "getfattr or setfattr is missing (Debian package attr)"
start_dovecot
N=300
imaptool create Many >/dev/null || bail_out "create failed"
imap_py "
for i in range($N):
    imaptool.append(m, 'Many', b'Subject: %d\r\n\r\nbody %d\r\n' % (i, i))
" || bail_out "seeding failed"
uid=$(imaptool uids Many | sed -n 1p)
M=$MAILFS_TEST_TMP/mnt
mount_mailfs "$M" || bail_out "mount failed"

requests()
{
	getfattr --absolute-names --only-values -n user.mailfs.requests "$1"
}

# count OP LINE: OP's count in LINE, 0 when the line leaves it out.
count()
{
	local item
	for item in $2; do
		case $item in "$1="*) echo "${item#*=}"; return ;; esac
	done
	echo 0
}

# grew OP BEFORE AFTER: how much OP's count grew.
grew()
{
	echo $(($(count "$1" "$3") - $(count "$1" "$2")))
}

line=$(requests "$M")
ok $? "getfattr -n user.mailfs.requests of the root"
like "$line" '^total=[0-9]+( [a-z_]+=[1-9][0-9]*)*$' "the value is total=N, then op=N for each op served"
sum=0
for item in $line; do
	case $item in total=*) ;; *) sum=$((sum + ${item#*=})) ;; esac
done
is "$sum" "$(count total "$line")" "total is the sum of the counts"
[ "$(count getxattr "$line")" -ge 1 ]
ok $? "the getxattr that reads the value is counted in it"
again=$(requests "$M")
g=$(grew getxattr "$line" "$again")
[ "$g" -ge 1 ] && [ "$g" -le 2 ]
ok $? "reading it again counts getfattr's getxattr calls (1 or 2: $g)"
is "$(grew total "$line" "$again")" "$g" "and nothing else"

# ls -l warm: the kernel holds entries and attributes with long timeouts.
is "$(ls -l "$M/Many" | grep -c '\.eml$')" "$N" "ls -l lists the folder's $N messages (cold)"
before=$(requests "$M")
ls -l "$M/Many" >/dev/null
ok $? "ls -l again (warm)"
after=$(requests "$M")
lk=$(grew lookup "$before" "$after")
ga=$(grew getattr "$before" "$after")
[ $((lk + ga)) -lt $((N / 10)) ]
ok $? "warm ls -l of $N messages: lookup + getattr grew by far fewer than $N ($lk + $ga)"
diag "warm ls -l of $N messages: $(grew total "$before" "$after") requests" \
    "(before: $before; after: $after)"

# cat of a message: opened and read through the daemon.
before=$(requests "$M")
cmp -s "$M/$(path_of Many "$uid")" <(imaptool fetch Many "$uid")
ok $? "cat of a message gives the server's bytes"
after=$(requests "$M")
[ "$(grew open "$before" "$after")" -ge 1 ]
ok $? "its open is counted"
[ "$(grew read "$before" "$after")" -ge 1 ]
ok $? "its read is counted"

# Diagnosis only: no tool that copies attributes sees it.
is "$(getfattr --absolute-names -d "$M" 2>&1)" "" "getfattr -d of the root shows nothing"
is "$(getfattr --absolute-names -d -m - "$M" 2>&1)" "" "nor getfattr -d -m - (every namespace)"
is "$("$PYTHON" -c 'import os, sys; print(os.listxattr(sys.argv[1]))' "$M")" "[]" \
    "listxattr of the root is empty"
setfattr -n user.mailfs.requests -v total=0 "$M" 2>"$MAILFS_TEST_TMP/err"
isnt $? 0 "setfattr of user.mailfs.requests fails"
like "$(cat "$MAILFS_TEST_TMP/err")" "not permitted" "with EPERM"
setfattr -x user.mailfs.requests "$M" 2>"$MAILFS_TEST_TMP/err"
isnt $? 0 "setfattr -x of it fails"
like "$(cat "$MAILFS_TEST_TMP/err")" "not permitted" "with EPERM"
like "$(requests "$M")" '^total=' "and the value is still there"

# Where the time went (fuse/common/profile.h): user.mailfs.profile.
prof=$(getfattr --absolute-names --only-values -n user.mailfs.profile "$M")
ok $? "getfattr -n user.mailfs.profile of the root"
like "$prof" '^(fg|ra)_[a-z_]+=[1-9][0-9]*( (fg|ra)_[a-z_]+=[1-9][0-9]*)*$' \
    "the value is role_stage=N for each counter that moved"
[ "$(count fg_listing_n "$prof")" -ge 1 ] && [ "$(count fg_dir_n "$prof")" -ge 1 ]
ok $? "ls -l's listing and opendir are in it"
[ "$(count fg_fetch_n "$prof")" -ge 1 ] && [ "$(count fg_bytes "$prof")" -ge 10 ]
ok $? "and cat's fetch, with its bytes"
[ "$(count fg_rtt_n "$prof")" -ge 2 ] && [ "$(count fg_select_n "$prof")" -ge 1 ]
ok $? "and their round trips, SELECT among them"
setfattr -n user.mailfs.profile -v x "$M" 2>"$MAILFS_TEST_TMP/err"
isnt $? 0 "setfattr of user.mailfs.profile fails"
like "$(cat "$MAILFS_TEST_TMP/err")" "not permitted" "with EPERM"

requests "$M/Many" >/dev/null 2>"$MAILFS_TEST_TMP/err"
isnt $? 0 "a folder has no user.mailfs.requests"
like "$(cat "$MAILFS_TEST_TMP/err")" "No such attribute" "(ENODATA)"
requests "$M/$(path_of Many "$uid")" >/dev/null 2>"$MAILFS_TEST_TMP/err"
isnt $? 0 "a message has none"
like "$(cat "$MAILFS_TEST_TMP/err")" "No such attribute" "(ENODATA)"
done_testing
