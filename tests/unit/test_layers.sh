#!/bin/bash
# The layers of fuse/ hold (README "Layout"): a file includes only the
# headers of its own folder and of the layers below it, so that no two
# modules of different folders include each other; and only the IMAP
# backend (fuse/backend/imap/), the submitters (fuse/backend/submit.c,
# fuse/backend/smtp/) and main.c, the composition root, see the
# library: the model, the store and the FUSE handlers reach a mail source
# through fuse/backend/backend.h alone.
. "$top_srcdir/tests/harness/lib.sh"

cd "$top_srcdir/fuse" || exit 1

# The rank of a folder: lower layers first.
rank()
{
	case $1 in
	common) echo 0 ;;
	backend) echo 1 ;;
	backend/imap) echo 2 ;;
	backend/smtp) echo 2 ;;
	backend/pop3) echo 2 ;;
	store) echo 3 ;;
	model) echo 4 ;;
	vfs) echo 5 ;;
	multi) echo 5 ;;
	.) echo 6 ;;
	*) echo 99 ;;
	esac
}

# Where each header of fuse/ lives.
declare -A home
while IFS= read -r h; do
	home[$(basename "$h")]=$(dirname "$h")
done < <(find . -name '*.h' | sed 's|^\./||')

bad=
nfiles=0
while IFS= read -r f; do
	nfiles=$((nfiles + 1))
	dir=$(dirname "$f")
	r=$(rank "$dir")
	while IFS= read -r inc; do
		d=${home[$inc]:-}
		[ -n "$d" ] || continue		# a system or library header
		[ "$d" = "$dir" ] && continue
		if [ "$(rank "$d")" -ge "$r" ]; then
			bad+="$f includes $d/$inc"$'\n'
		fi
	done < <(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$f")
done < <(find . -name '*.[ch]' | sed 's|^\./||' | sort)
ok "$([ -z "$bad" ]; echo $?)" "each of $nfiles files includes only its own folder's and lower layers' headers"
[ -z "$bad" ] || diag "$bad"

# The library's names (the include guards MAILFS_FUSE_* are the daemon's own).
imap_pattern='mailfs_\|MAILFS_[A-EG-Z]\|MAILFS_F[A-TV-Z]\|<mailfs/\|"pool\.h"\|"errmap\.h"\|"imap\.h"\|"recover\.h"'
imap=$(grep -ln "$imap_pattern" store/* model/* vfs/* 2>/dev/null)
ok "$([ -z "$imap" ]; echo $?)" "the store, the model and the FUSE handlers name nothing of IMAP"
[ -z "$imap" ] || diag "$(grep -n "$imap_pattern" $imap | head -40)"

big=$(find . -name '*.c' -exec wc -l {} + | awk '$2 != "total" && $1 > 900 { print $2 ": " $1 }')
ok "$([ -z "$big" ]; echo $?)" "no module of fuse/ is over 900 lines"
[ -z "$big" ] || diag "$big"

done_testing
