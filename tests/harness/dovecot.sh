#!/bin/sh
# dovecot.sh: a private, unprivileged Dovecot for the tests.
#
#	dovecot.sh start DIR [--no-starttls] [--quota=BYTES] [--prefix=PREFIX] [--postfix] [--pop3]
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
# --postfix adds what the test Postfix (postfix.sh) needs: LMTP on the
# socket DIR/run/lmtp-postfix, the authentication socket
# DIR/run/auth-postfix for its SASL, both open to every local user (the
# postfix user connects), and a second user, whose name and password
# start also prints as TEST_USER2 and TEST_PASSWORD2 (its own Maildir,
# DIR/mail2).  LMTP recipients are user@domain: LMTP looks up only the
# user part (auth_username_format = %Ln in protocol lmtp).  Without
# --postfix the server is exactly the one it always was.
#
# --pop3 adds POP3 for the same users and Maildirs, and start then prints
# POP3_PORT (STLS; USER, PASS and AUTH refused before TLS: a relay from
# 127.0.0.2, as IMAP_PORT is) and POP3S_PORT (implicit TLS; empty with
# --no-starttls, when POP3_PORT takes USER and PASS in plaintext).  The
# maildrop is locked for the whole of a POP3 session (pop3_lock_session =
# yes), as RFC 1939 wants: a second session gets -ERR [IN-USE], after
# Dovecot has waited 10 s for the lock (a constant of its source).  Without
# --pop3 both are printed empty and no POP3 listener runs.
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
# PYTHON, die, free_ports, wait_ports, start_failed, stop_master_pid
. "$here/ports.sh"

usage()
{
	echo "usage: $prog start DIR [--no-starttls] [--quota=BYTES] [--prefix=PREFIX] [--postfix] [--pop3]" >&2
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

# The master's pid, from the pid file in base_dir; empty when none.
master_pid()
{
	if [ -f "$1/run/master.pid" ]; then
		cat "$1/run/master.pid" 2>/dev/null || true
	fi
}

do_stop()
{
	dir=$1
	[ -d "$dir" ] || return 0
	for r in relay relay-pop3; do
		[ -f "$dir/run/$r.pid" ] || continue
		rp=$(cat "$dir/run/$r.pid" 2>/dev/null || true)
		[ -n "$rp" ] && kill -TERM "$rp" 2>/dev/null || true
		rm -f "$dir/run/$r.pid" "$dir/run/$r.port"
	done
	stop_master "$dir"
}

# stop_master DIR: stops Dovecot's processes, not the relay.
stop_master()
{
	dir=$1
	mp=$(master_pid "$dir")
	[ -n "$mp" ] || return 0
	stop_master_pid "$mp"
	rm -f "$dir/run/master.pid"
	return 0
}

write_config()
{
	dir=$1 imap_port=$2 imaps_port=$3 starttls=$4 quota=$5 \
	    login_user=$6 internal_user=$7 prefix=$8 postfix=$9 \
	    pop3_port=${10} pop3s_port=${11}
	protocols=imap
	[ "$postfix" = yes ] && protocols="$protocols lmtp"
	[ -n "$pop3_port" ] && protocols="$protocols pop3"
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
		pop3s_ssl="    ssl = yes"
	else
		ssl_settings="ssl = no
disable_plaintext_auth = no"
		imaps_listener=
		pop3s_ssl=
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
protocols = $protocols
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
    address = 127.0.0.1
    port = ${pop3_port:-0}
  }
  inet_listener pop3s {
    address = 127.0.0.1
    port = ${pop3s_port:-0}
$pop3s_ssl
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
	if [ -n "$pop3_port" ]; then
		cat >> "$dir/dovecot.conf" <<EOF

# --pop3: the maildrop is locked for a whole session, as RFC 1939 wants.
protocol pop3 {
  pop3_lock_session = yes
}
EOF
	fi
	[ "$postfix" = yes ] || return 0
	# The postfix user connects to both sockets; this is a throw-away
	# server on a test machine, so any local user may.
	cat >> "$dir/dovecot.conf" <<EOF

# --postfix: LMTP delivery and SASL for tests/harness/postfix.sh.
protocol lmtp {
  auth_username_format = %Ln
}
service lmtp {
  unix_listener lmtp-postfix {
    mode = 0666
  }
}
service auth {
  unix_listener auth-postfix {
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
	postfix=no
	pop3=no
	for a in "$@"; do
		case $a in
		--no-starttls) starttls=no ;;
		--postfix) postfix=yes ;;
		--pop3) pop3=yes ;;
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
	password=$(password_in "$dir/password")
	printf '%s:{PLAIN}%s:%s:%s::%s::\n' "$user" "$password" \
	    "$mail_uid" "$mail_gid" "$dir/home" > "$dir/users"
	user2=
	if [ "$postfix" = yes ]; then
		user2=friend
		password2=$(password_in "$dir/password2")
		printf '%s:{PLAIN}%s:%s:%s::%s::userdb_mail=maildir:%s\n' \
		    "$user2" "$password2" "$mail_uid" "$mail_gid" "$dir/home2" \
		    "$dir/mail2" >> "$dir/users"
		mkdir -p "$dir/home2" "$dir/mail2"
		chown "$mail_uid:$mail_gid" "$dir/home2" "$dir/mail2"
		chmod 0700 "$dir/home2" "$dir/mail2"
	fi
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
		# shellcheck disable=SC2046
		set -- $(free_ports 4)
		backend_port=$1
		imaps_port=
		[ "$starttls" = yes ] && imaps_port=$2
		pop3_port= pop3s_port=
		if [ "$pop3" = yes ]; then
			pop3_port=$3
			[ "$starttls" = yes ] && pop3s_port=$4
		fi
		write_config "$dir" "$backend_port" "$imaps_port" "$starttls" \
		    "$quota" "$login_user" "$internal_user" "$prefix" "$postfix" \
		    "$pop3_port" "$pop3s_port"
		logstart=$(wc -l < "$dir/dovecot.log")
		if "$dovecot" -c "$dir/dovecot.conf" 2>>"$dir/dovecot.log"; then
			# shellcheck disable=SC2086
			if wait_ports 15 "$dir/run/master.pid" "$backend_port" \
			    "$imaps_port" $pop3_port $pop3s_port &&
			    start_relay "$dir" relay "$backend_port" &&
			    { [ -z "$pop3_port" ] ||
			    start_relay "$dir" relay-pop3 "$pop3_port"; }; then
				break
			fi
		fi
		do_stop "$dir"
		start_failed $tries "$dir/dovecot.log" "$logstart" Dovecot
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
POP3_PORT=$([ -z "$pop3_port" ] || cat "$dir/run/relay-pop3.port")
POP3S_PORT=$pop3s_port
EOF
	[ -z "$user2" ] || printf 'TEST_USER2=%s\nTEST_PASSWORD2=%s\n' \
	    "$user2" "$password2"
}

# password_in FILE: the password in FILE, a random one written first
# when FILE is missing (a server started again keeps its passwords).
password_in()
{
	if [ ! -f "$1" ]; then
		(umask 077 && openssl rand -hex 12 > "$1")
	fi
	chmod 0600 "$1"
	head -n 1 "$1"
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
	# A listener that does not run has port 0.
	pop3_ports=
	for p in $(config_port "$dir" pop3) $(config_port "$dir" pop3s); do
		[ "$p" = 0 ] || pop3_ports="$pop3_ports $p"
	done
	# shellcheck disable=SC2086
	"$(find_dovecot)" -c "$dir/dovecot.conf" 2>>"$dir/dovecot.log" &&
	    wait_ports 15 "$dir/run/master.pid" "$backend_port" $imaps_port \
	    $pop3_ports ||
	    die "Dovecot did not start again"
}

# start_relay DIR NAME PORT: starts relay.py in front of Dovecot's
# plaintext port PORT and waits for its own port, in DIR/run/NAME.port.
start_relay()
{
	rm -f "$1/run/$2.port" "$1/run/$2.pid"
	"$PYTHON" "$here/relay.py" "$1/run/$2.port" "$1/run/$2.pid" "$3" \
	    </dev/null >>"$1/dovecot.log" 2>&1 &
	i=0
	# relay.py writes its port once it listens.
	while [ $i -lt 150 ]; do
		[ -s "$1/run/$2.port" ] && return 0
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
