#!/usr/bin/env python3
"""capproxy.py: an IMAPS proxy that makes the test Dovecot an older server.

    capproxy.py --target PORT --cert PEM --key KEY --withhold CAPS
                --port-file FILE [--log FILE] [--lifetime SECONDS]

Many servers offer little beyond IMAP4rev1 and IDLE (Exchange 2010 has no
UIDPLUS; MOVE is often disabled).  This proxy makes Dovecot look like one:
it accepts TLS on a free port of 127.0.0.1 with the given certificate,
connects with TLS to 127.0.0.1:PORT (the test Dovecot's IMAPS port) and
forwards both ways, withholding CAPS (comma- or space-separated, case
ignored: "MOVE,UIDPLUS,CONDSTORE") from what the server says of itself:

  - the greeting's and tagged answers' [CAPABILITY ...] codes and
    "* CAPABILITY" responses lose those words;
  - "* ENABLED" responses lose them, and so does the client's ENABLE
    command (an ENABLE left with nothing to enable becomes a NOOP), so
    that the server never enables a withheld extension;
  - UIDPLUS withheld: [APPENDUID ...] and [COPYUID ...] codes are dropped;
  - SPECIAL-USE withheld: LIST responses lose the special-use attributes
    (\\Sent, \\Trash, ...), as a server without it never sends them.

Any other command a client sends anyway (UID MOVE without MOVE) still
reaches Dovecot.  Literals pass untouched, in whole chunks: message
bodies are never looked at, so the proxy costs a TLS hop and nothing per
byte.  FILE receives the port once it listens.  The proxy exits after
--lifetime seconds (default 600), on SIGTERM, and when its parent goes
away.  Only 127.0.0.1 is ever contacted.
"""
import argparse
import os
import re
import signal
import socket
import ssl
import sys
import threading
import time

CHUNK = 65536
LITERAL_RE = re.compile(rb"\{(\d+)\+?\}\r?\n$")
CAPCODE_RE = re.compile(rb"\[CAPABILITY ([^\]]*)\]", re.I)
CAPLINE_RE = re.compile(rb"^(\* (?:CAPABILITY|ENABLED))( [^\r\n]*)?(\r?\n)$", re.I)
UIDPLUS_RE = re.compile(rb"\[(?:APPENDUID|COPYUID) [^\]]*\] ?", re.I)
LIST_RE = re.compile(rb"^(\* (?:LIST|LSUB) \()([^)]*)(\).*)$", re.I | re.S)
ENABLE_RE = re.compile(rb"^([^ ]+ )ENABLE( [^\r\n]*)?(\r?\n)$", re.I)
SPECIAL = {b"\\all", b"\\archive", b"\\drafts", b"\\flagged", b"\\junk",
           b"\\sent", b"\\trash", b"\\important"}


class Rewriter:
    def __init__(self, withheld):
        self.withheld = withheld
        self.uidplus = b"UIDPLUS" in withheld
        self.special = b"SPECIAL-USE" in withheld

    def words(self, text):
        return b" ".join(w for w in text.split() if w.upper() not in self.withheld)

    def s2c(self, line):
        mo = CAPLINE_RE.match(line)
        if mo:
            rest = self.words(mo.group(2) or b"")
            return mo.group(1) + (b" " + rest if rest else b"") + mo.group(3)
        if b"[" in line:
            line = CAPCODE_RE.sub(lambda m: b"[CAPABILITY " + self.words(m.group(1)) + b"]",
                                  line)
            if self.uidplus:
                line = UIDPLUS_RE.sub(b"", line)
        if self.special and line.startswith(b"* L"):
            mo = LIST_RE.match(line)
            if mo:
                attrs = b" ".join(a for a in mo.group(2).split()
                                  if a.lower() not in SPECIAL)
                line = mo.group(1) + attrs + mo.group(3)
        return line

    def c2s(self, line):
        mo = ENABLE_RE.match(line)
        if not mo:
            return line
        rest = self.words(mo.group(2) or b"")
        if not rest:
            return mo.group(1) + b"NOOP" + mo.group(3)
        return mo.group(1) + b"ENABLE " + rest + mo.group(3)


def forward(src, dst, rewrite):
    """Copies src to dst, lines through rewrite, literals untouched."""
    buf = b""
    literal = 0
    while True:
        data = src.recv(CHUNK)
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
                if len(buf) > 1 << 20:	# no line is that long: pass it on
                    out.append(buf)
                    buf = b""
                break
            line, buf = buf[:nl + 1], buf[nl + 1:]
            line = rewrite(line)
            mo = LITERAL_RE.search(line)
            if mo:
                literal = int(mo.group(1))
            out.append(line)
        if out:
            dst.sendall(b"".join(out))


def pipe(src, dst, rewrite):
    try:
        forward(src, dst, rewrite)
    except (OSError, ssl.SSLError):
        pass
    for s in (src, dst):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def serve(conn, sctx, target, rw, log):
    try:
        client = sctx.wrap_socket(conn, server_side=True)
        cctx = ssl.create_default_context()
        cctx.check_hostname = False
        cctx.verify_mode = ssl.CERT_NONE
        server = cctx.wrap_socket(socket.create_connection(("127.0.0.1", target), timeout=30))
        server.settimeout(None)
        for s in (client, server):
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    except (OSError, ssl.SSLError) as e:
        log("connection failed: %s" % e)
        conn.close()
        return
    t = threading.Thread(target=pipe, args=(client, server, rw.c2s), daemon=True)
    t.start()
    pipe(server, client, rw.s2c)
    t.join()
    client.close()
    server.close()


def main():
    ap = argparse.ArgumentParser(description="IMAPS proxy that withholds capabilities")
    ap.add_argument("--target", type=int, required=True)
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--withhold", required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log")
    ap.add_argument("--lifetime", type=float, default=600)
    a = ap.parse_args()

    logf = open(a.log, "a") if a.log else sys.stderr
    start = time.monotonic()

    def log(text):
        try:
            logf.write("%8.3f %s\n" % (time.monotonic() - start, text))
            logf.flush()
        except (OSError, ValueError):
            pass

    withheld = {w.upper().encode() for w in re.split(r"[,\s]+", a.withhold) if w}
    rw = Rewriter(withheld)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
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
    log("listening on 127.0.0.1:%d, forwarding to 127.0.0.1:%d, withholding %s" %
        (ls.getsockname()[1], a.target, b" ".join(sorted(withheld)).decode()))

    parent = os.getppid()
    deadline = time.monotonic() + a.lifetime
    ls.settimeout(0.5)
    while not stop.is_set() and time.monotonic() < deadline and os.getppid() == parent:
        try:
            conn, _ = ls.accept()
        except socket.timeout:
            continue
        except OSError:
            break
        conn.settimeout(None)
        # The handshake in the connection's own thread: a slow client
        # never holds up the next accept.
        threading.Thread(target=serve, args=(conn, sctx, a.target, rw, log),
                         daemon=True).start()
    log("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
