#!/bin/sh
# install-deps.sh: installs every Debian package that building mailfs, its
# tests, tests/ci.sh and tests/demo.sh need.  Idempotent: when everything
# is installed already it touches nothing and needs no network.
# Non-interactive but for the password sudo may ask; quiet unless
# something fails.
set -eu

PACKAGES="
build-essential autoconf automake libtool pkg-config make git
libssl-dev openssl ca-certificates
libfuse3-dev fuse3
uthash-dev libinih-dev
dovecot-imapd dovecot-pop3d dovecot-lmtpd
postfix
python3
attr rsync isync
valgrind clang libclang-rt-14-dev
procps coreutils util-linux psmisc
"

missing=
for p in $PACKAGES; do
	if ! dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing="$missing $p"
	fi
done
if [ -z "$missing" ]; then
	exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
	# sudo may ask for the password: the quick start runs in a terminal.
	if command -v sudo >/dev/null 2>&1; then
		exec sudo "$0" "$@"
	fi
	echo "install-deps.sh: missing packages:$missing; run me as root" >&2
	exit 1
fi

export DEBIAN_FRONTEND=noninteractive
# Installing dovecot-core would start the system's Dovecot on ports 143
# and 993, and postfix the system's Postfix on port 25; the tests run
# their own (tests/harness/dovecot.sh, postfix.sh).  policy-rc.d stops
# maintainer scripts from starting any service, for this install only.
policy=/usr/sbin/policy-rc.d
made_policy=
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\nexit 101\n' > "$policy"
	chmod 755 "$policy"
	made_policy=yes
fi
trap '[ -n "$made_policy" ] && rm -f "$policy"' EXIT

# Postfix's "No configuration": the package writes no main.cf and sets up
# no mail system; the tests' Postfix has a configuration of its own (-c).
# Asked before apt-get, so that debconf never prompts.
if command -v debconf-set-selections >/dev/null 2>&1; then
	echo 'postfix postfix/main_mailer_type select No configuration' |
	    debconf-set-selections
fi

echo "install-deps.sh: installing$missing" >&2
log=$(mktemp)
if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends \
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
    $missing; } >"$log" 2>&1 </dev/null; then
	cat "$log" >&2
	rm -f "$log"
	echo "install-deps.sh: apt-get failed" >&2
	exit 1
fi
rm -f "$log"
