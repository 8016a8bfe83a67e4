#!/usr/bin/env python3
"""sizeproxy.py: an IMAPS proxy that reports every RFC822.SIZE wrong.

    sizeproxy.py --target PORT --cert PEM --key KEY --delta N
                 --port-file FILE [--lifetime SECONDS]

Some servers (hosted Exchange among them) report an RFC822.SIZE that is
not the length of the message they send.  No real server does it on
purpose, so this proxy does: it accepts TLS on a free port of 127.0.0.1
with the given certificate, connects with TLS to 127.0.0.1:PORT (the
test Dovecot's IMAPS port) and forwards both ways, changing only every
"RFC822.SIZE n" outside a literal in the server's responses into n+N (N
may be negative; never below 0).  Literals (message bytes) pass
untouched.  FILE receives the port once it listens.  The proxy exits
after --lifetime seconds (default 600), on SIGTERM, and when its parent
goes away.
"""
import argparse
import os
import re
import socket
import ssl
import sys
import threading
import time

SIZE_RE = re.compile(rb"RFC822\.SIZE (\d+)", re.IGNORECASE)
LITERAL_RE = re.compile(rb"\{(\d+)\+?\}\r?\n$")


def rewrite_s2c(src, dst, delta):
    """Copies src to dst a line at a time, literals whole, sizes changed."""
    buf = b""
    literal = 0
    while True:
        data = src.recv(65536)
        if not data:
            break
        buf += data
        out = []
        while buf:
            if literal > 0:
                n = min(literal, len(buf))
                out.append(buf[:n])
                buf = buf[n:]
                literal -= n
                continue
            nl = buf.find(b"\n")
            if nl == -1:
                break
            line, buf = buf[:nl + 1], buf[nl + 1:]
            line = SIZE_RE.sub(lambda m: b"RFC822.SIZE %d" %
                               max(0, int(m.group(1)) + delta), line)
            mo = LITERAL_RE.search(line)
            if mo:
                literal = int(mo.group(1))
            out.append(line)
        if out:
            dst.sendall(b"".join(out))


def copy(src, dst):
    while True:
        data = src.recv(65536)
        if not data:
            break
        dst.sendall(data)


def pipe(fn, src, dst, *args):
    try:
        fn(src, dst, *args)
    except OSError:
        pass
    for s in (src, dst):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def serve(conn, sctx, target, delta):
    try:
        client = sctx.wrap_socket(conn, server_side=True)
        cctx = ssl.create_default_context()
        cctx.check_hostname = False
        cctx.verify_mode = ssl.CERT_NONE
        server = cctx.wrap_socket(socket.create_connection(("127.0.0.1", target), timeout=30))
        server.settimeout(None)
    except (OSError, ssl.SSLError):
        conn.close()
        return
    t = threading.Thread(target=pipe, args=(copy, client, server), daemon=True)
    t.start()
    pipe(rewrite_s2c, server, client, delta)
    t.join()
    client.close()
    server.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--target", type=int, required=True)
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--delta", type=int, required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--lifetime", type=float, default=600)
    a = ap.parse_args()

    sctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    sctx.load_cert_chain(a.cert, a.key)
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", 0))
    ls.listen(64)
    tmp = a.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % ls.getsockname()[1])
    os.rename(tmp, a.port_file)

    parent = os.getppid()
    deadline = time.monotonic() + a.lifetime
    ls.settimeout(0.5)
    while time.monotonic() < deadline and os.getppid() == parent:
        try:
            conn, _ = ls.accept()
        except socket.timeout:
            continue
        conn.settimeout(None)
        threading.Thread(target=serve, args=(conn, sctx, a.target, a.delta),
                         daemon=True).start()
    sys.exit(0)


if __name__ == "__main__":
    main()
