#!/usr/bin/env python3
"""gate.py PORTFILE PIDFILE BACKEND_PORT: a relay in front of Dovecot that
can take the server away from one client while others still reach it.

It listens on 127.0.0.1 (a port of its own choosing, written to PORTFILE
once it listens) and copies bytes unchanged to 127.0.0.1:BACKEND_PORT.
SIGUSR1 closes the gate: every connection through it is cut and new ones
are refused (the port is closed), as when the server went away.  SIGUSR2
opens it again on the same port.  So a mount through the gate can be
offline while a test's own client (imaptool) changes the server.
"""
import os
import signal
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from relay import pump  # noqa: E402  (the same copy of bytes)

lock = threading.Lock()
conns = set()
state = {"lsock": None, "port": 0}


def listen(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port))
    s.listen(64)
    return s


def serve(client, backend_port):
    try:
        up = socket.create_connection(("127.0.0.1", backend_port), timeout=10)
        up.settimeout(None)
    except OSError:
        client.close()
        return
    with lock:
        conns.add(client)
        conns.add(up)
    t = threading.Thread(target=pump, args=(up, client), daemon=True)
    t.start()
    pump(client, up)
    t.join()
    with lock:
        conns.discard(client)
        conns.discard(up)
    client.close()
    up.close()


def close_gate(*_):
    with lock:
        ls, state["lsock"] = state["lsock"], None
        cut = list(conns)
    if ls is not None:
        ls.close()
    for s in cut:
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def open_gate(*_):
    with lock:
        if state["lsock"] is None:
            state["lsock"] = listen(state["port"])


def main():
    if len(sys.argv) != 4:
        sys.stderr.write("usage: gate.py PORTFILE PIDFILE BACKEND_PORT\n")
        return 2
    portfile, pidfile, backend_port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    state["lsock"] = listen(0)
    state["port"] = state["lsock"].getsockname()[1]
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    signal.signal(signal.SIGUSR1, close_gate)
    signal.signal(signal.SIGUSR2, open_gate)
    with open(pidfile + ".tmp", "w") as f:
        f.write("%d\n" % os.getpid())
    os.rename(pidfile + ".tmp", pidfile)
    with open(portfile + ".tmp", "w") as f:
        f.write("%d\n" % state["port"])
    os.rename(portfile + ".tmp", portfile)
    while True:
        with lock:
            ls = state["lsock"]
        if ls is None:
            time.sleep(0.05)
            continue
        try:
            client, _ = ls.accept()
        except OSError:
            continue
        threading.Thread(target=serve, args=(client, backend_port), daemon=True).start()


if __name__ == "__main__":
    sys.exit(main())
