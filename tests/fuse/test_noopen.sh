#!/bin/bash
# Opens without requests (FUSE_CAP_NO_OPEN_SUPPORT, fuse/vfs/file.c): once
# some messages were read, the kernel opens files itself, so that a warm
# grep -r costs no open and no release; reads still give the server's
# bytes when a body left the daemon's table of open bodies; writing into
# a message still fails; new files reopened after their create still
# append, truncate, read and upload at close (the writer's, not a
# reader's).
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/harness/lib.sh"
. "$top_srcdir/tests/fuse/mount.sh"
need_fuse
command -v getfattr >/dev/null || skip_all "getfattr is missing (Debian package attr)"
start_dovecot
T=$MAILFS_TEST_TMP
M=$T/mnt
I=$M/INBOX
N=200		# more than the table holds (BODIES_MAX, fuse/vfs/bodies.h)
imaptool create Many >/dev/null || bail_out "create failed"
imap_py "
for i in range($N):
    imaptool.append(m, 'Many', b'Subject: %d\r\n\r\n' % i + b'line %d\r\n' % i * (i % 50 + 1))
" || bail_out "seeding failed"
dump_server "$T/server" || bail_out "cannot read the server"
mount_mailfs "$M" || bail_out "mount failed"

requests()
{
	getfattr --absolute-names --only-values -n user.mailfs.requests "$M"
}

# grew OP BEFORE AFTER: how much OP's count grew (0 when a line leaves it out).
grew()
{
	local item a=0 b=0
	for item in $2; do case $item in "$1="*) a=${item#*=} ;; esac; done
	for item in $3; do case $item in "$1="*) b=${item#*=} ;; esac; done
	echo $((b - a))
}

# uncache FILE: drops the kernel's pages of FILE, so that the next read asks the daemon.
uncache()
{
	"$PYTHON" -c 'import os, sys
fd = os.open(sys.argv[1], os.O_RDONLY)
os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
os.close(fd)' "$1"
}

crlf() { sed 's/$/\r/' "$1"; }

# ---- messages ----
grep -r no-such-word-5d1c "$M/Many"
is $? 1 "grep -r over $N messages (cold) finds nothing"
diff -r "$T/server/Many" "$M/Many" >/dev/null
ok $? "every message reads as the server holds it"
before=$(requests)
grep -r no-such-word-5d1c "$M/Many"
is $? 1 "grep -r again (warm)"
after=$(requests)
is "$(grew open "$before" "$after")" 0 "a warm grep -r sends no open"
is "$(grew release "$before" "$after")" 0 "and no release"
[ "$(grew flush "$before" "$after")" -ge "$N" ]
ok $? "but a flush for each close()"
diag "warm grep -r of $N messages: $(grew total "$before" "$after") requests" \
    "(before: $before; after: $after)"

first=$(ls "$M/Many" | sed -n 1p)
uncache "$M/Many/$first"
before=$(requests)
cmp -s "$T/server/Many/$first" "$M/Many/$first"
ok $? "a message whose body left the table and the page cache reads right"
after=$(requests)
[ "$(grew read "$before" "$after")" -ge 1 ] && [ "$(grew open "$before" "$after")" = 0 ]
ok $? "read again from the daemon, with no open"

m=$M/Many/$(ls "$M/Many" | sed -n 2p)
s=$T/server/Many/$(basename "$m")
(echo x >"$m") 2>"$T/err"
isnt $? 0 "echo x > message fails"
like "$(cat "$T/err")" "not permitted" "with EPERM"
(echo x >>"$m") 2>"$T/err"
isnt $? 0 "echo x >> message fails"
like "$(cat "$T/err")" "not permitted" "with EPERM"
truncate -s 0 "$m" 2>"$T/err"
isnt $? 0 "truncate of a message fails"
like "$(cat "$T/err")" "not permitted" "with EPERM"
"$PYTHON" -c 'import mmap, sys
with open(sys.argv[1], "r+b") as f:
    mm = mmap.mmap(f.fileno(), 0)
    mm[0:4] = b"XXXX"
    try:
        mm.flush()
    except OSError:
        pass
    mm.close()' "$m" 2>"$T/err"
sleep 1
cmp -s "$s" "$m"
ok $? "after them all, and a write through a shared mapping, the message is unchanged"
uncache "$m"
cmp -s "$s" "$m"
ok $? "also read afresh from the daemon"
is "$(stat -c %s "$m")" "$(stat -c %s "$s")" "and its size too"

# ---- new files, reopened after their create ----
printf 'Subject: cp\nMessage-ID: <cp@noopen>\n\ncp body\n' >"$T/cp"
cp "$T/cp" "$I/cp.eml"
ok $? "cp of a new file"
cmp -s <(crlf "$T/cp") "$I/cp.eml"
ok $? "cat reads it back as uploaded"
(printf 'more\n' >>"$I/cp.eml") 2>"$T/err"
isnt $? 0 "appending to it once uploaded fails (a message now)"

printf 'Subject: h\nMessage-ID: <h@noopen>\n\nfirst\n' >"$I/.h.eml"
printf 'second\n' >>"$I/.h.eml"
ok $? ">> to a staged dot-file"
is "$(cat "$I/.h.eml")" "$(printf 'Subject: h\nMessage-ID: <h@noopen>\n\nfirst\nsecond')" \
    "reads both writes"
printf 'Subject: h\nMessage-ID: <h@noopen>\n\nshort\n' >"$T/h"
cat "$T/h" >"$I/.h.eml"
ok $? "> over it (O_TRUNC)"
cmp -s "$T/h" "$I/.h.eml"
ok $? "truncates it to the new bytes"
count=$(imaptool count INBOX)
mv "$I/.h.eml" "$I/h.eml"
ok $? "mv to a visible name uploads it"
is "$(imaptool count INBOX)" $((count + 1)) "one message more"
uid=$(imaptool uids INBOX | tail -n 1)
cmp -s <(crlf "$T/h") <(imaptool fetch INBOX "$uid")
ok $? "with the bytes of the last write"

: >"$I/e.eml"
is "$(imaptool count INBOX)" $((count + 1)) "an empty new file is not uploaded"
printf 'Subject: e\nMessage-ID: <e@noopen>\n\nappended\n' >"$T/e"
cat "$T/e" >>"$I/e.eml"
ok $? "appending to it through a new open"
is "$(imaptool count INBOX)" $((count + 2)) "uploads it at close"
uid=$(imaptool uids INBOX | tail -n 1)
cmp -s <(crlf "$T/e") <(imaptool fetch INBOX "$uid")
ok $? "with the appended bytes"
cmp -s <(crlf "$T/e") "$I/e.eml"
ok $? "and it reads back so"
cat "$I/e.eml" >/dev/null
is "$(imaptool count INBOX)" $((count + 2)) "reading it uploads nothing again"

# A reader's close() while another process appends uploads nothing.
: >"$I/r.eml"
"$PYTHON" -c 'import os, sys, time
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_APPEND)
os.write(fd, b"Subject: r\nMessage-ID: <r@noopen>\n\nfirst\n")
open(sys.argv[2] + ".1", "w").close()
while not os.path.exists(sys.argv[2] + ".2"):
    time.sleep(0.05)
os.write(fd, b"second\n")
os.close(fd)
open(sys.argv[2] + ".3", "w").close()' "$I/r.eml" "$T/step" 2>"$T/writer.err" &
wait_for 10 test -e "$T/step.1"
cat "$I/r.eml" >/dev/null
is "$(imaptool count INBOX)" $((count + 2)) "a reader's close() during an append uploads nothing"
touch "$T/step.2"
wait_for 10 test -e "$T/step.3"
ok $? "and the writer goes on" || diag "$(cat "$T/writer.err")"
is "$(imaptool count INBOX)" $((count + 3)) "the writer's close() uploads"
uid=$(imaptool uids INBOX | tail -n 1)
cmp -s <(printf 'Subject: r\r\nMessage-ID: <r@noopen>\r\n\r\nfirst\r\nsecond\r\n') \
    <(imaptool fetch INBOX "$uid")
ok $? "both writes"
done_testing
