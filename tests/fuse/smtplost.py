#!/usr/bin/env python3
"""smtplost.py: a submission server (implicit TLS) that loses its answer.

    smtplost.py --cert PEM --key KEY --port-file FILE --count-file FILE

Listens on a free port of 127.0.0.1 (written to FILE once it listens),
speaks just enough ESMTP for a client (EHLO, AUTH PLAIN or LOGIN, MAIL,
RCPT, DATA, RSET, NOOP, QUIT) and, after each message's final dot,
counts it in --count-file and closes the connection without a reply:
the client cannot know whether the message was accepted.  While a file
--count-file.delay exists, it waits the seconds it says before that.
"""
import argparse
import os
import socket
import ssl
import threading
import time


def serve(conn, args, lock):
    f = conn.makefile("rwb", buffering=0)

    def say(line):
        f.write(line.encode() + b"\r\n")

    say("220 lost.test ESMTP")
    while True:
        line = f.readline()
        if not line:
            return
        verb = line.split(b" ", 1)[0].strip().upper()
        if verb == b"EHLO":
            say("250-lost.test")
            say("250-AUTH PLAIN LOGIN")
            say("250-8BITMIME")
            say("250 ENHANCEDSTATUSCODES")
        elif verb == b"AUTH":
            if len(line.split()) < 3:
                say("334 ")
                f.readline()
                if b"LOGIN" in line.upper():
                    say("334 ")
                    f.readline()
            say("235 2.7.0 ok")
        elif verb in (b"MAIL", b"RCPT", b"RSET", b"NOOP"):
            say("250 2.0.0 ok")
        elif verb == b"DATA":
            say("354 go on")
            while True:
                data = f.readline()
                if not data or data == b".\r\n":
                    break
            if not data:
                return
            try:
                # --count-file.delay: seconds to wait before the silence.
                with open(args.count_file + ".delay") as d:
                    time.sleep(float(d.read()))
            except FileNotFoundError:
                pass
            with lock:
                try:
                    with open(args.count_file) as c:
                        n = int(c.read() or 0)
                except FileNotFoundError:
                    n = 0
                with open(args.count_file + ".tmp", "w") as c:
                    c.write("%d\n" % (n + 1))
                os.rename(args.count_file + ".tmp", args.count_file)
            return  # no answer to the final dot
        elif verb == b"QUIT":
            say("221 2.0.0 bye")
            return
        else:
            say("502 5.5.1 no")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--cert", required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--port-file", required=True)
    p.add_argument("--count-file", required=True)
    args = p.parse_args()
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(args.cert, args.key)
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 0))
    s.listen(8)
    with open(args.port_file + ".tmp", "w") as f:
        f.write("%d\n" % s.getsockname()[1])
    os.rename(args.port_file + ".tmp", args.port_file)
    lock = threading.Lock()
    while True:
        raw, _ = s.accept()

        def run(raw=raw):
            try:
                with ctx.wrap_socket(raw, server_side=True) as conn:
                    serve(conn, args, lock)
            except (OSError, ssl.SSLError):
                pass

        threading.Thread(target=run, daemon=True).start()


if __name__ == "__main__":
    main()
