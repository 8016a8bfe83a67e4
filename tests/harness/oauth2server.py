#!/usr/bin/env python3
"""oauth2server.py DIR USER: a token introspection endpoint for Dovecot.

Dovecot's oauth2 passdb (introspection_mode = post) asks this server
whether an access token is good: POST / with the form field token=TOKEN.
It listens on 127.0.0.1, on a port of its own choosing, and writes into
DIR, once it listens: port (the port), pid (its pid), and the tokens it
knows, one file each, made at random:

    valid    good for USER: {"active": true, "username": USER}
    long     the same, 4000 characters long (tokens of kilobytes are common)
    expired  {"active": false} (RFC 7662 2.2: expired or revoked)

Any other token (garbage) gets {"active": false} too.  Each question is counted in DIR/asked, a
line per token kind ("valid", "expired", "garbage"), so that a test can
tell which tokens the client sent.  Test code: it trusts its caller.
"""
import json
import os
import secrets
import sys
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def main():
    d, user = sys.argv[1], sys.argv[2]
    tokens = {
        "valid": "mailfs-valid-" + secrets.token_hex(16),
        "long": "mailfs-long-" + secrets.token_urlsafe(3000)[:3988],
        "expired": "mailfs-expired-" + secrets.token_hex(16),
    }
    kind_of = {v: k for k, v in tokens.items()}

    class Handler(BaseHTTPRequestHandler):
        def answer(self, token):
            kind = kind_of.get(token, "garbage")
            with open(os.path.join(d, "asked"), "a") as f:
                f.write(("valid" if kind == "long" else kind) + "\n")
            if kind in ("valid", "long"):
                code, doc = 200, {"active": True, "username": user}
            else:
                code, doc = 200, {"active": False}
            body = json.dumps(doc).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self):
            n = int(self.headers.get("Content-Length") or 0)
            form = urllib.parse.parse_qs(self.rfile.read(n).decode())
            token = (form.get("token") or [""])[0]
            auth = self.headers.get("Authorization") or ""
            if not token and auth.startswith("Bearer "):
                token = auth[7:]
            self.answer(token)

        def do_GET(self):
            auth = self.headers.get("Authorization") or ""
            q = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
            token = auth[7:] if auth.startswith("Bearer ") else \
                (q.get("token") or q.get("access_token") or [""])[0]
            self.answer(token)

        def log_message(self, fmt, *args):
            sys.stderr.write("oauth2server: " + (fmt % args) + "\n")

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    for kind, token in tokens.items():
        with open(os.path.join(d, kind), "w") as f:
            f.write(token + "\n")
    with open(os.path.join(d, "pid"), "w") as f:
        f.write("%d\n" % os.getpid())
    # The port last: its presence says everything else is written.
    with open(os.path.join(d, "port.tmp"), "w") as f:
        f.write("%d\n" % server.server_address[1])
    os.rename(os.path.join(d, "port.tmp"), os.path.join(d, "port"))
    server.serve_forever()


if __name__ == "__main__":
    main()
