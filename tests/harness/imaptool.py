#!/usr/bin/env python3
"""imaptool.py: an IMAP client for the tests that is independent of libmailfs.

It seeds the test server and checks what the server holds, so that a test
never judges libmailfs by libmailfs.  Python's imaplib over TLS, trusting
TEST_CA; the connection comes from the environment that dovecot.sh prints
(IMAP_HOST, IMAPS_PORT or IMAP_PORT, TEST_CA, TEST_USER, TEST_PASSWORD).

    append FOLDER FILE [--flags 'F ...'] [--date EPOCH]   prints the new UID
    create FOLDER | delete FOLDER
    list                          UTF-8 names, server's delimiter, one a line
    delimiter                     the hierarchy delimiter
    uids FOLDER                   UIDs, one a line
    fetch FOLDER UID              the raw message on stdout
    flags FOLDER UID              its flags, space-separated, without \Recent
    store FOLDER UID 'FLAGS'      replaces its flags
    count FOLDER                  STATUS MESSAGES
    uidvalidity FOLDER            STATUS UIDVALIDITY
    name FOLDER UID               the message's file name in a mount
    capability                    the capabilities after login, one a line
    seed-demo                     a small realistic mailbox

FOLDER is UTF-8 with the server's delimiter; the tool encodes modified
UTF-7 (RFC 3501 5.1.3) itself.  FILE may be "-" for stdin.  Exit status 1
and one line on stderr on any failure.
"""
import base64
import datetime
import email.utils
import hashlib
import imaplib
import os
import re
import socket
import ssl
import sys
import time

TIMEOUT = 20


class ToolError(Exception):
    pass


# ---- modified UTF-7 (RFC 3501 5.1.3) ----

def _b64enc(chars):
    raw = "".join(chars).encode("utf-16-be")
    return base64.b64encode(raw).decode("ascii").rstrip("=").replace("/", ",")


def utf7_encode(name):
    out = []
    pending = []
    for ch in name:
        if 0x20 <= ord(ch) <= 0x7e:
            if pending:
                out.append("&" + _b64enc(pending) + "-")
                pending = []
            out.append("&-" if ch == "&" else ch)
        else:
            pending.append(ch)
    if pending:
        out.append("&" + _b64enc(pending) + "-")
    return "".join(out)


def utf7_decode(text):
    out = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch != "&":
            out.append(ch)
            i += 1
            continue
        end = text.find("-", i)
        if end < 0:
            raise ToolError("bad modified UTF-7 name: %r" % text)
        chunk = text[i + 1:end]
        if chunk == "":
            out.append("&")
        else:
            b64 = chunk.replace(",", "/")
            b64 += "=" * (-len(b64) % 4)
            out.append(base64.b64decode(b64).decode("utf-16-be"))
        i = end + 1
    return "".join(out)


def quote(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def mailbox_arg(name):
    return quote(utf7_encode(name))


# ---- connection ----

def connect():
    host = os.environ.get("IMAP_HOST", "127.0.0.1")
    imaps = os.environ.get("IMAPS_PORT", "")
    imap = os.environ.get("IMAP_PORT", "")
    ca = os.environ.get("TEST_CA")
    user = os.environ.get("TEST_USER")
    password = os.environ.get("TEST_PASSWORD")
    if password is None and os.environ.get("TEST_PASSWORD_FILE"):
        with open(os.environ["TEST_PASSWORD_FILE"]) as f:
            password = f.readline().rstrip("\r\n")
    if not user or password is None:
        raise ToolError("TEST_USER and TEST_PASSWORD are not set (source dovecot.sh's output)")
    ctx = ssl.create_default_context(cafile=ca) if ca else ssl.create_default_context()
    try:
        if imaps:
            m = imaplib.IMAP4_SSL(host, int(imaps), ssl_context=ctx, timeout=TIMEOUT)
        elif imap:
            m = imaplib.IMAP4(host, int(imap), timeout=TIMEOUT)
            # Only the --no-starttls server lacks STARTTLS; it takes LOGIN in plaintext.
            if "STARTTLS" in m.capabilities:
                m.starttls(ctx)
        else:
            raise ToolError("neither IMAPS_PORT nor IMAP_PORT is set")
        m.login(user, password)
    except (OSError, imaplib.IMAP4.error) as e:
        raise ToolError("cannot log in to %s: %s" % (host, e))
    return m


def check(result, what):
    typ, data = result
    if typ != "OK":
        text = b" ".join(d for d in data if isinstance(d, bytes)).decode("utf-8", "replace")
        raise ToolError("%s: %s %s" % (what, typ, text))
    return data


def select(m, folder, readonly):
    typ, data = m.select(mailbox_arg(folder), readonly=readonly)
    if typ != "OK":
        raise ToolError("%s %s: %s" % ("EXAMINE" if readonly else "SELECT", folder, data))


# ---- LIST parsing ----

_LIST_RE = re.compile(rb'^\(([^)]*)\) (NIL|"(?:[^"\\]|\\.)") ?(.*)$', re.S)


def _unquote(b):
    if b.startswith(b'"') and b.endswith(b'"') and len(b) >= 2:
        return re.sub(rb'\\(.)', rb'\1', b[1:-1])
    return b


def parse_list(data):
    """Yields (attributes, delimiter, raw name) from imaplib's LIST data."""
    for item in data:
        if item is None:
            continue
        if isinstance(item, tuple):
            head, literal = item
            mo = _LIST_RE.match(head)
            if not mo:
                raise ToolError("cannot parse LIST line %r" % head)
            raw = literal
        else:
            mo = _LIST_RE.match(item)
            if not mo:
                raise ToolError("cannot parse LIST line %r" % item)
            raw = _unquote(mo.group(3))
        delim = None if mo.group(2) == b"NIL" else _unquote(mo.group(2)).decode()
        yield mo.group(1).decode().split(), delim, raw.decode("ascii")


def delimiter(m):
    data = check(m.list('""', '""'), "LIST")
    for _, delim, _ in parse_list(data):
        return delim or "."
    return "."


# ---- commands ----

def cmd_append(m, args):
    if len(args) < 2:
        raise ToolError("usage: append FOLDER FILE [--flags 'F ...'] [--date EPOCH]")
    folder, path = args[0], args[1]
    flags, date = None, None
    rest = args[2:]
    while rest:
        if rest[0] == "--flags" and len(rest) > 1:
            flags = "(" + rest[1] + ")"
        elif rest[0] == "--date" and len(rest) > 1:
            date = imaplib.Time2Internaldate(int(rest[1]))
        else:
            raise ToolError("append: unknown option %s" % rest[0])
        rest = rest[2:]
    if path == "-":
        body = sys.stdin.buffer.read()
    else:
        with open(path, "rb") as f:
            body = f.read()
    print(append(m, folder, body, flags, date))


def append(m, folder, body, flags=None, date=None):
    data = check(m.append(mailbox_arg(folder), flags, date, body), "APPEND to %s" % folder)
    text = b" ".join(d for d in data if isinstance(d, bytes))
    mo = re.search(rb"\[APPENDUID \d+ (\d+)\]", text)
    if not mo:
        raise ToolError("APPEND to %s: no APPENDUID in %r" % (folder, text))
    return int(mo.group(1))


def cmd_create(m, args):
    need(args, 1, "create FOLDER")
    check(m._simple_command("CREATE", mailbox_arg(args[0])), "CREATE %s" % args[0])


def cmd_delete(m, args):
    need(args, 1, "delete FOLDER")
    check(m._simple_command("DELETE", mailbox_arg(args[0])), "DELETE %s" % args[0])


def cmd_list(m, args):
    need(args, 0, "list")
    data = check(m.list('""', "*"), "LIST")
    for _, _, raw in parse_list(data):
        print(utf7_decode(raw))


def cmd_delimiter(m, args):
    need(args, 0, "delimiter")
    print(delimiter(m))


def uid_search(m):
    data = check(m.uid("SEARCH", "ALL"), "UID SEARCH")
    return [int(u) for u in b" ".join(d for d in data if d).split()]


def cmd_uids(m, args):
    need(args, 1, "uids FOLDER")
    select(m, args[0], True)
    for uid in uid_search(m):
        print(uid)


def fetch_item(m, uid, item):
    """The raw value of one FETCH item for uid (a literal, or the line's text)."""
    data = check(m.uid("FETCH", str(int(uid)), item), "UID FETCH %s" % uid)
    for d in data:
        if isinstance(d, tuple):
            return d[0], d[1]
        if isinstance(d, bytes):
            return d, None
    raise ToolError("no message with UID %s" % uid)


def cmd_fetch(m, args):
    need(args, 2, "fetch FOLDER UID")
    select(m, args[0], True)
    _, body = fetch_item(m, args[1], "BODY.PEEK[]")
    if body is None:
        raise ToolError("UID FETCH %s: no body" % args[1])
    sys.stdout.buffer.write(body)
    sys.stdout.buffer.flush()


def cmd_flags(m, args):
    need(args, 2, "flags FOLDER UID")
    select(m, args[0], True)
    head, _ = fetch_item(m, args[1], "FLAGS")
    mo = re.search(rb"FLAGS \(([^)]*)\)", head)
    if not mo:
        raise ToolError("no FLAGS for UID %s" % args[1])
    # \Recent is a session flag (RFC 3501 2.3.2): which session sees it
    # depends on timing, so it is left out.
    print(" ".join(f for f in mo.group(1).decode().split() if f.lower() != "\\recent"))


def cmd_store(m, args):
    need(args, 3, "store FOLDER UID 'FLAGS'")
    select(m, args[0], False)
    check(m.uid("STORE", str(int(args[1])), "FLAGS.SILENT", "(" + args[2] + ")"),
          "UID STORE %s" % args[1])


def cmd_count(m, args):
    need(args, 1, "count FOLDER")
    data = check(m.status(mailbox_arg(args[0]), "(MESSAGES)"), "STATUS %s" % args[0])
    mo = re.search(rb"MESSAGES (\d+)", b" ".join(d for d in data if isinstance(d, bytes)))
    if not mo:
        raise ToolError("STATUS %s: no MESSAGES" % args[0])
    print(int(mo.group(1)))


def status_item(m, folder, item):
    data = check(m.status(mailbox_arg(folder), "(%s)" % item), "STATUS %s" % folder)
    mo = re.search(item.encode() + rb" (\d+)", b" ".join(d for d in data if isinstance(d, bytes)))
    if not mo:
        raise ToolError("STATUS %s: no %s" % (folder, item))
    return int(mo.group(1))


def msg_name(uidvalidity, uid):
    """The file name mailfs gives a message (fuse/common/names.c names_msg())."""
    return "%010d-%010d.eml" % (int(uidvalidity), int(uid))


def cmd_uidvalidity(m, args):
    need(args, 1, "uidvalidity FOLDER")
    print(status_item(m, args[0], "UIDVALIDITY"))


def cmd_name(m, args):
    need(args, 2, "name FOLDER UID")
    print(msg_name(status_item(m, args[0], "UIDVALIDITY"), int(args[1])))


def cmd_capability(m, args):
    need(args, 0, "capability")
    data = check(m.capability(), "CAPABILITY")
    for cap in data[0].decode().split():
        print(cap)


def need(args, n, usage):
    if len(args) != n:
        raise ToolError("usage: " + usage)


# ---- seed-demo ----

PEOPLE = [
    ("Anna Berger", "anna.berger@example.org"),
    ("Jonas Weiß", "jonas.weiss@example.net"),
    ("Maria García", "maria.garcia@example.com"),
    ("Tom Okafor", "tom@okafor.example"),
    ("Büro Lindner", "buero@lindner.example"),
]
ME = ("Demo User", "demo@example.test")
BASE_DATE = 1718000000  # June 2024


def addr(person):
    return email.utils.formataddr(person, charset="utf-8")


def make_message(i, sender, subject, body, to=ME, attachment=None, reply_to_id=None):
    date = BASE_DATE + i * 86400 + (i * 3517) % 36000
    from email.message import EmailMessage
    msg = EmailMessage()
    msg["From"] = addr(sender)
    msg["To"] = addr(to)
    msg["Subject"] = subject
    zone = datetime.timezone(datetime.timedelta(hours=2))
    msg["Date"] = email.utils.format_datetime(datetime.datetime.fromtimestamp(date, zone))
    msg["Message-ID"] = "<demo-%03d@mailfs.example>" % i
    if reply_to_id:
        msg["In-Reply-To"] = reply_to_id
        msg["References"] = reply_to_id
    msg.set_content(body)
    if attachment:
        name, data, ctype = attachment
        maintype, subtype = ctype.split("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
        # A fixed boundary keeps every seeded server byte-identical.
        msg.set_boundary("=_mailfs_demo_%03d" % i)
    raw = msg.as_bytes(policy=msg.policy.clone(linesep="\r\n"))
    return raw, date


def demo_attachment():
    # Deterministic bytes, so every seeded server holds the same message.
    out = bytearray()
    h = b"mailfs demo attachment"
    while len(out) < 100 * 1024:
        h = hashlib.sha256(h).digest()
        out += h
    return bytes(out[:100 * 1024])


def demo_messages(d):
    """(folder, flags, message number, sender, subject, body, extras) tuples."""
    inbox = [
        (PEOPLE[0], "Treffen am Donnerstag", "Hallo,\n\npasst dir Donnerstag um 10 Uhr?\n\nViele Grüße\nAnna\n", r"\Seen"),
        (PEOPLE[1], "Re: Rechnung Juni", "Die Rechnung ist angekommen, danke.\n\nJonas\n", r"\Seen \Answered"),
        (PEOPLE[2], "Quarterly report draft", "Hi,\n\nthe draft of the quarterly report is ready for review.\nComments by Friday, please.\n\nMaria\n", r"\Seen \Flagged"),
        (PEOPLE[3], "Lunch?", "Free for lunch tomorrow?\n\n-- Tom\n", ""),
        (PEOPLE[4], "Ihre Bestellung 2024-0612", "Sehr geehrte Damen und Herren,\n\nIhre Bestellung wurde versandt.\n\nMit freundlichen Grüßen\nBüro Lindner\n", r"\Seen $Label1"),
        (PEOPLE[0], "Fotos vom Ausflug", "Anbei die Fotos.\n\nAnna\n", r"\Seen"),
        (PEOPLE[2], "Server maintenance window", "The mail server will be down on Saturday from 02:00 to 04:00 UTC.\n", r"\Seen"),
        (PEOPLE[3], "Re: Lunch?", "Great, see you at noon.\n", r"\Seen \Answered"),
        (PEOPLE[1], "Übergabe der Schlüssel", "Die Schlüssel liegen beim Hausmeister.\n", r"\Flagged"),
        (PEOPLE[2], "Conference travel", "Your travel request was approved.\n", r"\Seen $Label1"),
        (PEOPLE[4], "Newsletter Juli", "Neuigkeiten aus dem Büro: Wir ziehen um!\n", ""),
        (PEOPLE[0], "Kurze Frage", "Hast du die Unterlagen noch?\n", ""),
    ]
    msgs = []
    n = 0
    for sender, subject, body, flags in inbox:
        n += 1
        attach = None
        if subject == "Fotos vom Ausflug":
            attach = ("ausflug.jpg", demo_attachment(), "image/jpeg")
        msgs.append(("INBOX", flags, n, sender, subject, body, attach))
    others = [
        ("Archiv" + d + "2024", r"\Seen", PEOPLE[1], "Jahresabschluss 2023", "Der Jahresabschluss ist fertig.\n"),
        ("Archiv" + d + "2024", r"\Seen", PEOPLE[4], "Mietvertrag", "Anbei der unterschriebene Mietvertrag.\n"),
        ("Archiv" + d + "2024", r"\Seen \Flagged", PEOPLE[2], "Tax documents", "All tax documents for 2023.\n"),
        ("Schöne Grüße", r"\Seen", PEOPLE[0], "Schöne Grüße aus Wien", "Liebe Grüße aus Wien!\n"),
        ("Schöne Grüße", "", PEOPLE[1], "Grüße vom Bodensee", "Das Wetter ist herrlich.\n"),
        ("Projects", r"\Seen", PEOPLE[3], "Project kickoff", "Kickoff is on Monday.\n"),
        ("Projects" + d + "mailfs", r"\Seen $Label1", PEOPLE[2], "mailfs: design notes", "Folders are directories, messages are files.\n"),
        ("Projects" + d + "mailfs", r"\Flagged", PEOPLE[3], "mailfs: first mount works", "It mounted! Flags are in an xattr.\n"),
        ("Sent", r"\Seen", ME, "Re: Treffen am Donnerstag", "Donnerstag passt.\n"),
    ]
    for folder, flags, sender, subject, body in others:
        n += 1
        msgs.append((folder, flags, n, sender, subject, body, None))
    return msgs


def cmd_seed_demo(m, args):
    need(args, 0, "seed-demo")
    d = delimiter(m)
    for folder in ("Archiv", "Archiv" + d + "2024", "Schöne Grüße",
                   "Projects", "Projects" + d + "mailfs"):
        typ, data = m._simple_command("CREATE", mailbox_arg(folder))
        if typ != "OK" and b"ALREADYEXISTS" not in b" ".join(x for x in data if x):
            raise ToolError("CREATE %s: %s" % (folder, data))
        m._simple_command("SUBSCRIBE", mailbox_arg(folder))
    count = 0
    for folder, flags, n, sender, subject, body, attach in demo_messages(d):
        to = PEOPLE[0] if sender == ME else ME
        raw, date = make_message(n, sender, subject, body, to=to, attachment=attach)
        append(m, folder, raw, "(" + flags + ")" if flags else None,
               imaplib.Time2Internaldate(date))
        count += 1
    print("seeded %d messages" % count)


COMMANDS = {
    "append": cmd_append,
    "create": cmd_create,
    "delete": cmd_delete,
    "list": cmd_list,
    "delimiter": cmd_delimiter,
    "uids": cmd_uids,
    "fetch": cmd_fetch,
    "flags": cmd_flags,
    "store": cmd_store,
    "count": cmd_count,
    "uidvalidity": cmd_uidvalidity,
    "name": cmd_name,
    "capability": cmd_capability,
    "seed-demo": cmd_seed_demo,
}


def run(tool, what, work):
    """Connects, calls work(m), logs out; errors become one line on stderr.

    Returns the exit status: 0, or 1 after an error.  Shared with the other
    test tools (mailcheck.py) so that every one reports alike.
    """
    socket.setdefaulttimeout(TIMEOUT)
    m = None
    try:
        m = connect()
        work(m)
    except ToolError as e:
        sys.stderr.write("%s: %s\n" % (tool, e))
        return 1
    except (OSError, imaplib.IMAP4.error, ValueError) as e:
        sys.stderr.write("%s: %s: %s\n" % (tool, what, e))
        return 1
    finally:
        if m is not None:
            try:
                m.logout()
            except Exception:
                pass
    return 0


def main(argv):
    if len(argv) < 2 or argv[1] in ("-h", "--help") or argv[1] not in COMMANDS:
        sys.stderr.write(__doc__)
        return 2
    return run("imaptool", argv[1], lambda m: COMMANDS[argv[1]](m, argv[2:]))


if __name__ == "__main__":
    sys.exit(main(sys.argv))
