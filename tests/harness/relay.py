#!/usr/bin/env python3
"""relay.py PORTFILE PIDFILE BACKEND_PORT: a byte relay in front of Dovecot.

Dovecot counts a connection whose client address equals its own address as
"secured" and then allows LOGIN in plaintext and hides LOGINDISABLED.  On
loopback that is every connection, so the STARTTLS port would not behave
like a real provider's.  This relay listens on 127.0.0.1 (a port of its own
choosing, written to PORTFILE once it listens) and connects to Dovecot from
127.0.0.2, which Dovecot then treats as a remote client.  It copies bytes
unchanged in both directions, so STARTTLS passes through.  When 127.0.0.2
cannot be bound (systems without the whole 127/8 on lo) it connects from
127.0.0.1 and says so on stderr.
"""
import os
import signal
import socket
import sys
import threading

SOURCE = "127.0.0.2"


def pump(src, dst):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    try:
        dst.shutdown(socket.SHUT_WR)
    except OSError:
        pass


def serve(client, backend_port, source):
    try:
        up = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if source:
            up.bind((source, 0))
        up.settimeout(10)
        up.connect(("127.0.0.1", backend_port))
        up.settimeout(None)
    except OSError as e:
        sys.stderr.write("relay: backend: %s\n" % e)
        client.close()
        return
    t = threading.Thread(target=pump, args=(up, client), daemon=True)
    t.start()
    pump(client, up)
    t.join()
    client.close()
    up.close()


def main():
    if len(sys.argv) != 4:
        sys.stderr.write("usage: relay.py PORTFILE PIDFILE BACKEND_PORT\n")
        return 2
    portfile, pidfile, backend_port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    source = SOURCE
    try:
        probe = socket.socket()
        probe.bind((SOURCE, 0))
        probe.close()
    except OSError:
        sys.stderr.write("relay: cannot bind %s; Dovecot will see a local client\n" % SOURCE)
        source = None
    lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(64)
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    with open(pidfile + ".tmp", "w") as f:
        f.write("%d\n" % os.getpid())
    os.rename(pidfile + ".tmp", pidfile)
    with open(portfile + ".tmp", "w") as f:
        f.write("%d\n" % lsock.getsockname()[1])
    os.rename(portfile + ".tmp", portfile)
    while True:
        client, _ = lsock.accept()
        threading.Thread(target=serve, args=(client, backend_port, source),
                         daemon=True).start()


if __name__ == "__main__":
    sys.exit(main())
