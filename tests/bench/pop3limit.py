#!/usr/bin/env python3
"""pop3limit.py: the pipelined protocol limit of reading a POP3 maildrop.

    pop3limit.py HOST PORT CA USER PASSWORD_FILE

One TLS session: USER and PASS, STAT, then every RETR in one write,
and every answer read to its terminating dot; the bytes are counted,
not kept.  Prints the messages and bytes read.  A benchmark's peer
(tests/bench/pop3.sh): nothing a real client could do faster on the
same server and machine, since it does nothing but the protocol.
"""
import socket
import ssl
import sys


def main():
    host, port, ca, user, pwfile = sys.argv[1:6]
    with open(pwfile) as f:
        password = f.readline().rstrip("\r\n")
    ctx = ssl.create_default_context(cafile=ca)
    sock = ctx.wrap_socket(socket.create_connection((host, int(port))),
                           server_hostname=host)
    rf = sock.makefile("rb", buffering=1 << 16)

    def status():
        line = rf.readline()
        if not line.startswith(b"+OK"):
            raise SystemExit("pop3limit.py: %r" % line)
        return line

    status()
    sock.sendall(b"USER %s\r\nPASS %s\r\nSTAT\r\n" % (user.encode(), password.encode()))
    status()
    status()
    count = int(status().split()[1])
    sock.sendall(b"".join(b"RETR %d\r\n" % i for i in range(1, count + 1)))
    total = 0
    for _ in range(count):
        status()
        while True:
            line = rf.readline()
            if line == b".\r\n" or not line:
                break
            total += len(line)
    sock.sendall(b"QUIT\r\n")
    status()
    print("pop3limit.py: %d messages, %d bytes" % (count, total))


if __name__ == "__main__":
    main()
