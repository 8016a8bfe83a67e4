#!/usr/bin/env python3
"""mailcheck.py: what the server holds, seen by a client independent of libmailfs.

Uses imaptool.py's connection (the environment dovecot.sh prints) and its
modified UTF-7 codec; one connection per run.

    census            every message of every selectable folder, one a line:
                      MESSAGE-ID<TAB>FOLDER<TAB>UID<TAB>FLAGS<TAB>
                      INTERNALDATE<TAB>SHA256<TAB>SIZE
                      (FLAGS sorted, space-separated, without \\Recent;
                      INTERNALDATE in seconds since the epoch; a message
                      without a Message-ID shows "-")
    folders           every folder, one a line: NAME<TAB>selectable or
                      NAME<TAB>noselect
    snapshot          what must survive a backup and restore: the census
                      without UIDs, sorted, after one line "folder NAME"
                      for every folder (a \\Noselect level included)
    wipe              an empty account: every folder but INBOX deleted,
                      children first, and INBOX's messages expunged

    shell             reads these commands from stdin, one a line, and
                      answers each with its output and then a line "."
                      (after a line "error TEXT" if it failed), over one
                      connection kept open (and made again if it breaks):
                      what a test that checks the server often runs as a
                      coprocess

MAILCHECK_SKIP, a space-separated list of folder names, leaves those
folders out of census (a test's folder of untouched probe messages).

FOLDER is the UTF-8 name with the server's delimiter.  Exit status 1 and
one line on stderr on any failure.
"""
import datetime
import hashlib
import imaplib
import os
import re
import socket
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import imaptool  # noqa: E402

FETCH_ITEMS = "(UID FLAGS INTERNALDATE RFC822.SIZE BODY.PEEK[])"
_INTERNALDATE = re.compile(rb'INTERNALDATE "([^"]+)"')
_UID = re.compile(rb"UID (\d+)")
_FLAGS = re.compile(rb"FLAGS \(([^)]*)\)")
_MSGID = re.compile(rb"^message-id:[ \t]*((?:.*)(?:\r?\n[ \t].*)*)", re.I | re.M)


def folders(m):
    """(UTF-8 name, selectable) for every folder the server lists."""
    data = imaptool.check(m.list('""', "*"), "LIST")
    out = []
    for attrs, _, raw in imaptool.parse_list(data):
        low = [a.lower() for a in attrs]
        out.append((imaptool.utf7_decode(raw),
                    "\\noselect" not in low and "\\nonexistent" not in low))
    return out


def message_id(body):
    head = body.split(b"\r\n\r\n", 1)[0]
    mo = _MSGID.search(head)
    if not mo:
        return "-"
    return " ".join(mo.group(1).decode("utf-8", "replace").split()) or "-"


def messages(m, folder):
    """(Message-ID, UID, flags, INTERNALDATE, sha256, size) in folder."""
    imaptool.select(m, folder, True)
    typ, data = m.uid("FETCH", "1:*", FETCH_ITEMS)
    if typ != "OK":
        raise imaptool.ToolError("UID FETCH in %s: %s" % (folder, data))
    out = []
    for d in data:
        if not isinstance(d, tuple):
            continue
        head, body = d
        # The items after the literal land in the next element; imaplib
        # puts the whole head before the literal when the server sends the
        # body last, as Dovecot does for this order of items.
        mo_uid, mo_flags, mo_date = _UID.search(head), _FLAGS.search(head), \
            _INTERNALDATE.search(head)
        if not (mo_uid and mo_flags and mo_date):
            raise imaptool.ToolError("cannot parse FETCH %r in %s" % (head, folder))
        flags = sorted(f for f in mo_flags.group(1).decode().split()
                       if f.lower() != "\\recent")
        date = int(datetime.datetime.strptime(
            mo_date.group(1).decode().strip(), "%d-%b-%Y %H:%M:%S %z").timestamp())
        out.append((message_id(body), int(mo_uid.group(1)), " ".join(flags), date,
                    hashlib.sha256(body).hexdigest(), len(body)))
    return out


# Each command returns its lines, printed only once it has succeeded, so
# that a retry in the shell never prints half an answer twice.

def cmd_census(m):
    lines = []
    skip = os.environ.get("MAILCHECK_SKIP", "").split()
    for name, selectable in sorted(folders(m)):
        if not selectable or name in skip:
            continue
        for mid, uid, flags, date, digest, size in messages(m, name):
            lines.append("%s\t%s\t%d\t%s\t%d\t%s\t%d" %
                         (mid, name, uid, flags, date, digest, size))
    return lines


def cmd_folders(m):
    return ["%s\t%s" % (name, "selectable" if sel else "noselect")
            for name, sel in sorted(folders(m))]


def cmd_snapshot(m):
    lines = []
    for name, selectable in folders(m):
        lines.append("folder %s" % name)
        if not selectable:
            continue
        for mid, _, flags, date, digest, size in messages(m, name):
            lines.append("message %s\t%s\t%s\t%d\t%s\t%d" % (name, mid, flags, date, digest, size))
    return sorted(lines)


def cmd_wipe(m):
    delim = imaptool.delimiter(m)
    names = [n for n, _ in folders(m) if n.upper() != "INBOX"]
    # Children first: deleting a parent that has children leaves it \Noselect.
    for name in sorted(names, key=lambda n: n.count(delim), reverse=True):
        imaptool.check(m._simple_command("DELETE", imaptool.mailbox_arg(name)),
                       "DELETE %s" % name)
    imaptool.select(m, "INBOX", False)
    if imaptool.uid_search(m):
        imaptool.check(m.uid("STORE", "1:*", "+FLAGS.SILENT", "(\\Deleted)"), "STORE")
        imaptool.check(m.expunge(), "EXPUNGE")
    m.close()
    return []


COMMANDS = {"census": cmd_census, "folders": cmd_folders, "snapshot": cmd_snapshot,
            "wipe": cmd_wipe}


def shell():
    m = None
    for line in sys.stdin:
        cmd = line.strip()
        try:
            if cmd not in COMMANDS:
                raise imaptool.ToolError("unknown command %r" % cmd)
            for attempt in (1, 2):
                try:
                    if m is None:
                        m = imaptool.connect()
                    lines = COMMANDS[cmd](m)
                    break
                except (OSError, imaplib.IMAP4.abort):
                    # A broken connection is made again once.
                    m = None
                    if attempt == 2:
                        raise
            for out in lines:
                print(out)
        except imaptool.ToolError as e:
            print("error %s" % e)
        except (OSError, imaplib.IMAP4.error, ValueError) as e:
            print("error %s: %s" % (cmd, e))
        print(".", flush=True)
    if m is not None:
        try:
            m.logout()
        except Exception:
            pass
    return 0


def main(argv):
    if len(argv) != 2 or argv[1] not in COMMANDS and argv[1] != "shell":
        sys.stderr.write(__doc__)
        return 2
    if argv[1] == "shell":
        socket.setdefaulttimeout(imaptool.TIMEOUT)
        return shell()

    def report(m):
        for out in COMMANDS[argv[1]](m):
            print(out)

    return imaptool.run("mailcheck", argv[1], report)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
