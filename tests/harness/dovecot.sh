#!/bin/sh
# dovecot.sh: a private, unprivileged Dovecot for the tests.
#
#	dovecot.sh start DIR [--no-starttls] [--quota=BYTES] [--prefix=PREFIX]
#	dovecot.sh stop DIR
#	dovecot.sh pause DIR
#	dovecot.sh resume DIR
#
# start makes DIR (configuration, certificates from mkcert.sh, a
# passwd-file user, a Maildir), starts Dovecot listening on 127.0.0.1 only,
# waits until both ports accept and prints shell assignments on stdout:
# IMAP_HOST, IMAP_PORT (STARTTLS; LOGIN refused before TLS), IMAPS_PORT
# (implicit TLS), TEST_CA, TEST_USER, TEST_PASSWORD, TEST_PASSWORD_FILE,
# DOVECOT_DIR.  Everything else goes to stderr.
#
# Dovecot counts a client whose address equals its own as "secured" and
# would allow LOGIN before STARTTLS on loopback; so IMAP_PORT is a relay
# (relay.py) that reaches Dovecot from 127.0.0.2, a remote client to it.
#
# --no-starttls makes a server without TLS at all: IMAP_PORT offers no
# STARTTLS and takes LOGIN in plaintext; IMAPS_PORT is then empty, because
# Dovecot cannot switch TLS on for one port and off for another of the
# same address.
#
# --quota=BYTES limits the Maildir++ quota to BYTES.  The quota plugin is
# always loaded, so that QUOTA is always offered; without --quota the
# quota is unlimited.
#
# --prefix=PREFIX gives the personal namespace a prefix, as Cyrus and
# Courier do ("INBOX."): every folder is then below INBOX, and NAMESPACE
# says so.
#
# stop kills the master and waits until every process of the instance has
# gone; it is harmless when nothing runs.
#
# pause stops Dovecot as stop does but leaves the relay, the configuration
# and the ports; resume starts the same server again on the same ports
# (for a server restored from a backup while it was down).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
prog=dovecot.sh
# The system's Python starts much faster than a version manager's shim.
if [ -z "${PYTHON:-}" ]; then
	if [ -x /usr/bin/python3 ]; then PYTHON=/usr/bin/python3; else PYTHON=python3; fi
fi

die()
{
	echo "$prog: $*" >&2
	exit 1
}

usage()
{
	echo "usage: $prog start DIR [--no-starttls] [--quota=BYTES] [--prefix=PREFIX]" >&2
	echo "       $prog stop DIR" >&2
	echo "       $prog pause DIR | resume DIR" >&2
	exit 2
}

find_dovecot()
{
	for d in "${DOVECOT:-}" /usr/sbin/dovecot /usr/local/sbin/dovecot \
	    "$(command -v dovecot 2>/dev/null || true)"; do
		if [ -n "$d" ] && [ -x "$d" ]; then
			echo "$d"
			return 0
		fi
	done
	die "dovecot not found: install the Debian packages dovecot-imapd dovecot-pop3d"
}

# free_ports N: N distinct TCP ports nobody listens on now.  Another
# process may take one before Dovecot binds it: start retries with fresh
# ports when the bind fails.
free_ports()
{
	"$PYTHON" - "$1" <<'EOF'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
EOF
}

# wait_ports SECONDS PIDFILE PORT...: 0 once every PORT accepts on
# 127.0.0.1; 1 after SECONDS, or as soon as the pid in PIDFILE (when the
# file exists) has died.  One process polls, not one per poll.
wait_ports()
{
	"$PYTHON" - "$@" <<'EOF'
import os, socket, sys, time
deadline = time.monotonic() + float(sys.argv[1])
pidfile = sys.argv[2]
ports = [int(p) for p in sys.argv[3:] if p]
def accepts(port):
    s = socket.socket()
    s.settimeout(1)
    try:
        s.connect(("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        s.close()
def dead():
    try:
        with open(pidfile) as f:
            os.kill(int(f.read().strip()), 0)
    except FileNotFoundError:
        return False
    except (OSError, ValueError):
        return True
    return False
while time.monotonic() < deadline:
    ports = [p for p in ports if not accepts(p)]
    if not ports:
        sys.exit(0)
    if dead():
        sys.exit(1)
    time.sleep(0.05)
sys.exit(1)
EOF
}

# The master's pid, from the pid file in base_dir; empty when none.
master_pid()
{
	if [ -f "$1/run/master.pid" ]; then
		cat "$1/run/master.pid" 2>/dev/null || true
	fi
}

# The pids of every process whose command line names this instance's
# configuration or whose parent is the master: the master's children keep
# the config path only in their environment, so list children by parent.
instance_pids()
{
	_mp=$1
	[ -n "$_mp" ] || return 0
	ps -e -o pid= -o ppid= 2>/dev/null | while read -r pid ppid; do
		if [ "$ppid" = "$_mp" ] || [ "$pid" = "$_mp" ]; then
			echo "$pid"
		fi
	done
}

alive()
{
	kill -0 "$1" 2>/dev/null
}

do_stop()
{
	dir=$1
	[ -d "$dir" ] || return 0
	if [ -f "$dir/run/relay.pid" ]; then
		rp=$(cat "$dir/run/relay.pid" 2>/dev/null || true)
		[ -n "$rp" ] && kill -TERM "$rp" 2>/dev/null || true
		rm -f "$dir/run/relay.pid" "$dir/run/relay.port"
	fi
	stop_master "$dir"
}

# stop_master DIR: stops Dovecot's processes, not the relay.
stop_master()
{
	dir=$1
	mp=$(master_pid "$dir")
	[ -n "$mp" ] || return 0
	alive "$mp" || { rm -f "$dir/run/master.pid"; return 0; }
	children=$(instance_pids "$mp")
	kill -TERM "$mp" 2>/dev/null || true
	# The master stops its children on SIGTERM; give them 10 s in all,
	# then kill whatever is left.
	i=0
	while [ $i -lt 100 ]; do
		left=
		for p in $children; do
			alive "$p" && left="$left $p"
		done
		[ -z "$left" ] && break
		sleep 0.1
		i=$((i + 1))
	done
	for p in $children; do
		alive "$p" && kill -KILL "$p" 2>/dev/null || true
	done
	rm -f "$dir/run/master.pid"
	return 0
}

write_config()
{
	dir=$1 imap_port=$2 imaps_port=$3 starttls=$4 quota=$5 \
	    login_user=$6 internal_user=$7 prefix=$8
	internal_group_setting=
	# Unprivileged, Dovecot cannot give its sockets to group "dovecot".
	[ "$(id -u)" = 0 ] || internal_group_setting="default_internal_group = $(id -gn)"

	if [ "$starttls" = yes ]; then
		ssl_settings="ssl = required
ssl_cert = <$dir/server.pem
ssl_key = <$dir/server.key
ssl_min_protocol = TLSv1.2
disable_plaintext_auth = yes"
		imaps_listener="  inet_listener imaps {
    address = 127.0.0.1
    port = $imaps_port
    ssl = yes
  }"
	else
		ssl_settings="ssl = no
disable_plaintext_auth = no"
		imaps_listener=
	fi
	if [ -n "$quota" ]; then
		quota_rule="*:storage=${quota}B"
	else
		quota_rule="*:storage=0"
	fi

	cat > "$dir/dovecot.conf" <<EOF
# Generated by tests/harness/dovecot.sh; a throw-away test server.
instance_name = mailfs-test-$imap_port
base_dir = $dir/run
state_dir = $dir/state
log_path = $dir/dovecot.log
info_log_path = $dir/dovecot.log
debug_log_path = $dir/dovecot.log
listen = 127.0.0.1
protocols = imap
shutdown_clients = yes
default_login_user = $login_user
default_internal_user = $internal_user
$internal_group_setting
first_valid_uid = 1
first_valid_gid = 1
mail_location = maildir:$dir/mail
mail_plugins = \$mail_plugins quota
$ssl_settings
auth_mechanisms = plain login
auth_verbose = yes
login_trusted_networks =
# Tests open many connections from one address at once.
mail_max_userip_connections = 1000

passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $dir/users
}
userdb {
  driver = passwd-file
  args = username_format=%u $dir/users
}

namespace inbox {
  inbox = yes
  separator = .
  prefix = $prefix
  mailbox Drafts {
    special_use = \\Drafts
    auto = subscribe
  }
  mailbox Sent {
    special_use = \\Sent
    auto = subscribe
  }
  mailbox Trash {
    special_use = \\Trash
    auto = subscribe
  }
  mailbox Junk {
    special_use = \\Junk
    auto = subscribe
  }
}

protocol imap {
  mail_plugins = \$mail_plugins imap_quota
}

plugin {
  quota = maildir:User quota
  quota_rule = $quota_rule
}

service imap-login {
  chroot =
  inet_listener imap {
    address = 127.0.0.1
    port = $imap_port
  }
$imaps_listener
}
service pop3-login {
  chroot =
  inet_listener pop3 {
    port = 0
  }
  inet_listener pop3s {
    port = 0
  }
}
service submission-login {
  chroot =
}
service anvil {
  chroot =
}
service stats {
  unix_listener stats-reader {
    mode = 0666
  }
  unix_listener stats-writer {
    mode = 0666
  }
}
EOF
}

do_start()
{
	dir=$1
	shift
	starttls=yes
	quota=
	prefix=
	for a in "$@"; do
		case $a in
		--no-starttls) starttls=no ;;
		--prefix=*) prefix=${a#--prefix=} ;;
		--quota=*)
			quota=${a#--quota=}
			case $quota in
			''|*[!0-9]*) die "--quota wants a number of bytes, not '$quota'" ;;
			esac
			;;
		*) usage ;;
		esac
	done

	dovecot=$(find_dovecot)
	mkdir -p "$dir"
	dir=$(cd "$dir" && pwd)
	# The mail processes run as the mail user and must reach the Maildir.
	chmod 0755 "$dir"
	do_stop "$dir"

	if [ "$(id -u)" = 0 ]; then
		# Login processes refuse to run as root; the mail user needs
		# a uid >= 1.
		login_user=dovenull
		internal_user=dovecot
		mail_user=nobody
		getent passwd dovenull >/dev/null || die "user dovenull missing (install dovecot-core)"
		getent passwd dovecot >/dev/null || die "user dovecot missing (install dovecot-core)"
	else
		login_user=$(id -un)
		internal_user=$login_user
		mail_user=$login_user
	fi
	mail_uid=$(id -u "$mail_user")
	mail_gid=$(id -g "$mail_user")

	[ -f "$dir/ca.pem" ] && [ -f "$dir/server.pem" ] ||
	    "$here/mkcert.sh" "$dir" || die "mkcert.sh failed"

	user=mailfs
	if [ -f "$dir/password" ]; then
		password=$(head -n 1 "$dir/password")
	else
		password=$(openssl rand -hex 12)
		(umask 077 && printf '%s\n' "$password" > "$dir/password")
	fi
	chmod 0600 "$dir/password"
	printf '%s:{PLAIN}%s:%s:%s::%s::\n' "$user" "$password" \
	    "$mail_uid" "$mail_gid" "$dir/home" > "$dir/users"
	# The auth worker reads it as the internal user.
	chmod 0644 "$dir/users"
	mkdir -p "$dir/run" "$dir/state" "$dir/home" "$dir/mail"
	chown "$mail_uid:$mail_gid" "$dir/home" "$dir/mail"
	chmod 0700 "$dir/home" "$dir/mail"
	: > "$dir/dovecot.log"
	chmod 0644 "$dir/dovecot.log"

	tries=0
	while :; do
		tries=$((tries + 1))
		ports=$(free_ports 2)
		backend_port=${ports% *}
		imaps_port=
		[ "$starttls" = yes ] && imaps_port=${ports#* }
		write_config "$dir" "$backend_port" "$imaps_port" "$starttls" \
		    "$quota" "$login_user" "$internal_user" "$prefix"
		logstart=$(wc -l < "$dir/dovecot.log")
		if "$dovecot" -c "$dir/dovecot.conf" 2>>"$dir/dovecot.log"; then
			if wait_ports 15 "$dir/run/master.pid" "$backend_port" \
			    "$imaps_port" && start_relay "$dir" "$backend_port"; then
				break
			fi
		fi
		do_stop "$dir"
		if [ $tries -lt 5 ] && tail -n +"$((logstart + 1))" "$dir/dovecot.log" |
		    grep -q 'Address already in use'; then
			continue
		fi
		echo "$prog: Dovecot did not start; its log:" >&2
		tail -n 40 "$dir/dovecot.log" >&2
		exit 1
	done

	cat <<EOF
IMAP_HOST=127.0.0.1
IMAP_PORT=$(cat "$dir/run/relay.port")
IMAPS_PORT=$imaps_port
TEST_CA=$dir/ca.pem
TEST_USER=$user
TEST_PASSWORD=$password
TEST_PASSWORD_FILE=$dir/password
DOVECOT_DIR=$dir
EOF
}

# config_port DIR LISTENER: the port of inet_listener LISTENER in DIR's configuration.
config_port()
{
	awk -v l="$2" '$1 == "inet_listener" && $2 == l { f = 1 }
	    f && $1 == "port" { print $3; exit }' "$1/dovecot.conf"
}

do_resume()
{
	dir=$1
	[ -f "$dir/dovecot.conf" ] || die "no server was started in $dir"
	backend_port=$(config_port "$dir" imap)
	imaps_port=$(config_port "$dir" imaps)
	"$(find_dovecot)" -c "$dir/dovecot.conf" 2>>"$dir/dovecot.log" &&
	    wait_ports 15 "$dir/run/master.pid" "$backend_port" $imaps_port ||
	    die "Dovecot did not start again"
}

# Starts relay.py in front of Dovecot's plaintext port and waits for its port.
start_relay()
{
	rm -f "$1/run/relay.port" "$1/run/relay.pid"
	"$PYTHON" "$here/relay.py" "$1/run/relay.port" "$1/run/relay.pid" "$2" \
	    </dev/null >>"$1/dovecot.log" 2>&1 &
	i=0
	# relay.py writes its port once it listens.
	while [ $i -lt 150 ]; do
		[ -s "$1/run/relay.port" ] && return 0
		sleep 0.1
		i=$((i + 1))
	done
	echo "$prog: relay.py did not start" >&2
	return 1
}

[ $# -ge 2 ] || usage
cmd=$1
dir=$2
shift 2
case $cmd in
start) do_start "$dir" "$@" ;;
stop) [ $# -eq 0 ] || usage; do_stop "$dir" ;;
pause) [ $# -eq 0 ] || usage; stop_master "$dir" ;;
resume) [ $# -eq 0 ] || usage; do_resume "$dir" ;;
*) usage ;;
esac
