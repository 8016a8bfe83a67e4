# ports.sh: the test servers' port helpers, sourced by dovecot.sh and
# postfix.sh (POSIX sh; PYTHON set by the caller).
#
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
