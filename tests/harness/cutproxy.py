#!/usr/bin/env python3
"""cutproxy.py: a TCP proxy on 127.0.0.1 that cuts connections on command.

    cutproxy.py --target PORT --port-file FILE [--log FILE]
                [--lifetime SECONDS] [--hang-limit SECONDS]

Listens on a free port of 127.0.0.1 and forwards every connection to
127.0.0.1:PORT byte for byte (TLS passes through untouched, so the bytes
counted are the encrypted stream).  A second free port of 127.0.0.1 takes
control commands.  Once both listen, FILE holds one line
"LISTEN_PORT CONTROL_PORT" (written whole, then renamed into place).

Control: connect to the control port, send one command a line, read one
reply line for each ("ok ..." or "error ...").

    mark                    zero the byte counters that stats reports
    arm DIR N [MODE] [SCOPE]
                            cut once N more bytes have gone in direction
                            DIR (c2s: client to server, s2c: server to
                            client), counted from this moment.  Exactly N
                            bytes are forwarded, then:
                              MODE close  both sockets are shut down and
                                          closed (the default)
                              MODE hang   nothing more is forwarded either
                                          way; what arrives is read and
                                          dropped, so both peers wait until
                                          one gives up and closes (then the
                                          other is closed), or --hang-limit
                                          passes
                            SCOPE any   counts that direction's bytes on
                                        every connection, open or new (the
                                        default)
                            SCOPE new   counts only on the next connection
                                        accepted after arming, from its
                                        first byte
                            A cut fires once; later traffic and later
                            connections pass untouched.
    disarm                  forget an armed cut that has not fired
    hang                    black-hole the server: every open connection
                            and every connection accepted from now on
                            hangs as MODE hang does (new ones are
                            accepted, and hang from their first byte:
                            no greeting, no TLS handshake), until unhang
    unhang                  new connections pass again (those hung stay
                            hung until a peer closes or --hang-limit)
    drop                    close every open connection now (a client
                            then starts its next command from a fresh
                            connection, so cut points line up run after run)
    stats                   "ok c2s=N s2c=N conns=N open=N cuts=N fired=0|1
                            armed=0|1": bytes forwarded each way and
                            connections accepted since the last mark,
                            connections open now, cuts since start, whether
                            the last cut armed has fired, whether one is
                            armed now
    quit                    reply "ok bye" and exit

Every connection, command and cut is logged with a time stamp to --log
(default stderr).  The proxy exits after --lifetime seconds (default 600),
on quit, SIGTERM or SIGINT, and when its parent process goes away, so a
test that forgets it cannot leave it running.  Only 127.0.0.1 is ever
contacted.
"""
import argparse
import os
import signal
import socket
import sys
import threading
import time

CHUNK = 65536
DIRECTIONS = ("c2s", "s2c")
MODES = ("close", "hang")
SCOPES = ("any", "new")


class Conn:
    def __init__(self, num, client, server):
        self.num = num
        self.client = client
        self.server = server
        self.sent = {"c2s": 0, "s2c": 0}
        self.state = "open"		# open, hung, closed


class Armed:
    def __init__(self, direction, limit, mode, scope):
        self.direction = direction
        self.limit = limit
        self.mode = mode
        self.scope = scope
        self.count = 0
        self.conn = None		# the connection counted, for scope new


class Proxy:
    def __init__(self, target, log, hang_limit):
        self.target = target
        self.logf = log
        self.hang_limit = hang_limit
        self.lock = threading.Lock()
        self.start = time.monotonic()
        self.conns = {}
        self.nconns = 0
        self.totals = {"c2s": 0, "s2c": 0}
        self.marked_conns = 0
        self.cuts = 0
        self.armed = None
        self.fired = 0
        self.hang_all = False
        self.stop = threading.Event()

    def log(self, text):
        line = "%8.3f %s\n" % (time.monotonic() - self.start, text)
        try:
            self.logf.write(line)
            self.logf.flush()
        except (OSError, ValueError):
            pass

    # ---- forwarding ----

    def accept(self, client):
        try:
            server = socket.create_connection(("127.0.0.1", self.target), timeout=10)
        except OSError as e:
            self.log("connection refused by the target: %s" % e)
            client.close()
            return
        for s in (client, server):
            s.settimeout(None)
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self.lock:
            self.nconns += 1
            self.marked_conns += 1
            conn = Conn(self.nconns, client, server)
            self.conns[conn.num] = conn
            a = self.armed
            if a is not None and a.scope == "new" and a.conn is None:
                a.conn = conn
            hang = self.hang_all
        self.log("conn %d: accepted" % conn.num)
        if hang:
            self.hang(conn)
        for src, dst, d in ((client, server, "c2s"), (server, client, "s2c")):
            threading.Thread(target=self.pump, args=(conn, src, dst, d),
                             daemon=True).start()

    def account(self, conn, d, n):
        """How many of n bytes to forward, and whether a cut fires after them.

        Called with the lock held."""
        a = self.armed
        keep, fire = n, False
        if a is not None and a.direction == d and \
                (a.scope == "any" or a.conn is conn):
            if a.count + n >= a.limit:
                keep, fire = a.limit - a.count, True
                self.armed = None
                self.fired = 1
                self.cuts += 1
            else:
                a.count += n
        conn.sent[d] += keep
        self.totals[d] += keep
        return keep, (a if fire else None)

    def pump(self, conn, src, dst, d):
        why = "%s end closed" % ("client" if d == "c2s" else "server")
        try:
            while True:
                try:
                    data = src.recv(CHUNK)
                except OSError as e:
                    why = "%s: %s" % (d, e)
                    break
                if not data:
                    break
                with self.lock:
                    if conn.state == "closed":
                        return
                    if conn.state == "hung":
                        continue
                    keep, cut = self.account(conn, d, len(data))
                if keep:
                    try:
                        dst.sendall(data[:keep])
                    except OSError as e:
                        why = "%s: %s" % (d, e)
                        break
                if cut is None:
                    continue
                self.log("conn %d: cut %s after %d bytes since arming "
                         "(byte %d of the connection that way): %s" %
                         (conn.num, d, cut.limit, conn.sent[d], cut.mode))
                if cut.mode == "close":
                    why = "cut"
                    break
                self.hang(conn)
        finally:
            self.close(conn, why)

    def hang(self, conn):
        """Forwards nothing more on conn until a peer closes or the hang limit."""
        with self.lock:
            if conn.state != "open":
                return
            conn.state = "hung"
        self.log("conn %d: hung" % conn.num)
        t = threading.Timer(self.hang_limit, self.close,
                            args=(conn, "hang limit reached"))
        t.daemon = True
        t.start()

    def close(self, conn, why):
        with self.lock:
            if conn.state == "closed":
                return
            conn.state = "closed"
            self.conns.pop(conn.num, None)
        for s in (conn.client, conn.server):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()
        self.log("conn %d: closed (%s; c2s %d, s2c %d bytes)" %
                 (conn.num, why, conn.sent["c2s"], conn.sent["s2c"]))

    # ---- control ----

    def command(self, line):
        words = line.split()
        if not words:
            return "error empty command"
        cmd, args = words[0], words[1:]
        with self.lock:
            if cmd == "mark" and not args:
                self.totals = {"c2s": 0, "s2c": 0}
                self.marked_conns = 0
                return "ok"
            if cmd == "arm":
                if not 2 <= len(args) <= 4 or args[0] not in DIRECTIONS or \
                        not args[1].isdigit() or len(args[1]) > 12:
                    return "error usage: arm c2s|s2c N [close|hang] [any|new]"
                mode = args[2] if len(args) > 2 else "close"
                scope = args[3] if len(args) > 3 else "any"
                if mode not in MODES or scope not in SCOPES:
                    return "error usage: arm c2s|s2c N [close|hang] [any|new]"
                self.armed = Armed(args[0], int(args[1]), mode, scope)
                self.fired = 0
                return "ok"
            if cmd == "disarm" and not args:
                self.armed = None
                return "ok"
            if cmd in ("hang", "unhang") and not args:
                self.hang_all = cmd == "hang"
                conns = list(self.conns.values()) if self.hang_all else []
                self.lock.release()
                try:
                    for c in conns:
                        self.hang(c)
                finally:
                    self.lock.acquire()
                return "ok %d" % len(conns)
            if cmd == "drop" and not args:
                conns = list(self.conns.values())
                self.lock.release()
                try:
                    for c in conns:
                        self.close(c, "dropped on command")
                finally:
                    self.lock.acquire()
                return "ok %d" % len(conns)
            if cmd == "stats" and not args:
                return "ok c2s=%d s2c=%d conns=%d open=%d cuts=%d fired=%d armed=%d" % (
                    self.totals["c2s"], self.totals["s2c"], self.marked_conns,
                    len(self.conns), self.cuts, self.fired,
                    self.armed is not None)
            if cmd == "quit" and not args:
                self.stop.set()
                return "ok bye"
        return "error unknown command: %s" % line

    def control(self, sock):
        sock.settimeout(30)
        buf = b""
        try:
            while not self.stop.is_set():
                data = sock.recv(4096)
                if not data:
                    return
                buf += data
                if len(buf) > 4096:
                    return
                while b"\n" in buf:
                    line, buf = buf.split(b"\n", 1)
                    text = line.decode("ascii", "replace").strip()
                    reply = self.command(text)
                    if text != "stats":
                        self.log("control: %s -> %s" % (text, reply))
                    sock.sendall(reply.encode() + b"\n")
        except OSError:
            pass
        finally:
            sock.close()

    def shutdown(self):
        with self.lock:
            conns = list(self.conns.values())
        for c in conns:
            self.close(c, "proxy stopping")


def serve(listener, handler, stop):
    listener.settimeout(0.2)
    while not stop.is_set():
        try:
            s, _ = listener.accept()
        except socket.timeout:
            continue
        except OSError:
            return
        threading.Thread(target=handler, args=(s,), daemon=True).start()


def listen():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 0))
    s.listen(16)
    return s


def main():
    ap = argparse.ArgumentParser(description="TCP proxy that cuts connections on command")
    ap.add_argument("--target", type=int, required=True, help="port on 127.0.0.1")
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log")
    ap.add_argument("--lifetime", type=float, default=600)
    ap.add_argument("--hang-limit", type=float, default=30)
    opts = ap.parse_args()

    log = open(opts.log, "a") if opts.log else sys.stderr
    proxy = Proxy(opts.target, log, opts.hang_limit)
    signal.signal(signal.SIGTERM, lambda *_: proxy.stop.set())
    signal.signal(signal.SIGINT, lambda *_: proxy.stop.set())
    data, ctl = listen(), listen()
    tmp = opts.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d %d\n" % (data.getsockname()[1], ctl.getsockname()[1]))
    os.rename(tmp, opts.port_file)
    proxy.log("listening on 127.0.0.1:%d (control %d), forwarding to 127.0.0.1:%d" %
              (data.getsockname()[1], ctl.getsockname()[1], opts.target))
    for lsock, handler in ((data, proxy.accept), (ctl, proxy.control)):
        threading.Thread(target=serve, args=(lsock, handler, proxy.stop),
                         daemon=True).start()
    parent = os.getppid()
    deadline = time.monotonic() + opts.lifetime
    while not proxy.stop.wait(0.5):
        if time.monotonic() > deadline:
            proxy.log("lifetime of %g s reached" % opts.lifetime)
            break
        if os.getppid() != parent:
            proxy.log("parent went away")
            break
    proxy.stop.set()
    proxy.shutdown()
    data.close()
    ctl.close()
    proxy.log("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
