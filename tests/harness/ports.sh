# ports.sh: what the test servers' scripts (dovecot.sh, postfix.sh) share:
# picking and waiting for ports, stopping a master and its children.
# Sourced (POSIX sh); the caller sets prog, its name for messages.

# The system's Python starts much faster than a version manager's shim.
if [ -z "${PYTHON:-}" ]; then
	if [ -x /usr/bin/python3 ]; then PYTHON=/usr/bin/python3; else PYTHON=python3; fi
fi

die()
{
	echo "$prog: $*" >&2
	exit 1
}

# free_ports N: N distinct TCP ports nobody listens on now.  Another
# process may take one before the server binds it: start retries with fresh
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

# start_failed TRIES LOG LOGSTART NAME: after the TRIESth start of the
# server NAME failed: returns, for another try with fresh ports, when
# LOG's lines after line LOGSTART say that a port was taken meanwhile and
# TRIES < 5; else prints LOG's end and exits.
start_failed()
{
	if [ "$1" -lt 5 ] && tail -n +"$(($3 + 1))" "$2" |
	    grep -q 'Address already in use'; then
		return 0
	fi
	echo "$prog: $4 did not start; its log:" >&2
	tail -n 40 "$2" >&2
	exit 1
}

# alive PID: PID is in the process table, a zombie included.
alive()
{
	kill -0 "$1" 2>/dev/null
}

# running PID: PID runs: neither gone nor a zombie.  A master that
# detached runs below init, which may reap it and its children only a
# second or more after they ended (as some containers' init does).
running()
{
	alive "$1" || return 1
	if [ -r "/proc/$1/stat" ]; then
		_st=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
		# After the command name: the state.
		set -- ${_st##*) }
		[ "$1" != Z ]
	fi
}

# stop_master_pid PID [running]: stops the master PID and its children,
# by pid only: SIGTERM to the master, which stops its children, then 10 s
# in all for every one to leave the process table (with "running": only
# to end, reaped or not), then SIGKILL for whatever is left.  The
# children are listed by parent: they need not name the instance's
# configuration on their command line.
stop_master_pid()
{
	_mp=$1
	_alive=${2:-alive}
	$_alive "$_mp" || return 0
	_pids=$(ps -e -o pid= -o ppid= 2>/dev/null | while read -r pid ppid; do
		if [ "$ppid" = "$_mp" ] || [ "$pid" = "$_mp" ]; then
			echo "$pid"
		fi
	done)
	kill -TERM "$_mp" 2>/dev/null || true
	_i=0
	while [ $_i -lt 100 ]; do
		_left=
		for _p in $_pids; do
			$_alive "$_p" && _left="$_left $_p"
		done
		[ -z "$_left" ] && break
		sleep 0.1
		_i=$((_i + 1))
	done
	for _p in $_pids; do
		$_alive "$_p" && kill -KILL "$_p" 2>/dev/null || true
	done
	return 0
}
