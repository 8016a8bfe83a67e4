#!/usr/bin/env python3
"""seed.py: fill a private Dovecot with a generated, realistic account.

    seed.py fill MAILDIR --profile quick|large|small [--scale F] [--seed N]
        --manifest FILE
    seed.py verify MAILDIR MANIFEST

fill writes Maildir++ files straight into Dovecot's mail directory (the
"mail" directory that tests/harness/dovecot.sh makes), which is two orders
of magnitude faster than APPEND: Dovecot indexes the files on first access.
Flags travel in the file name suffix (":2,FS"), keywords as letters indexed
by each folder's dovecot-keywords file, INTERNALDATE as the file's mtime,
and the sizes in ",S=<bytes>,W=<bytes with CRLF>" so that Dovecot answers
RFC822.SIZE without opening the file.  Files and directories get the owner
of MAILDIR (Dovecot's mail user).

Sizes are spread like real mail: most text messages 2-20 KiB (log-normal),
about 5 % multipart messages with a 100-500 KiB base64 attachment.
Folder names have umlauts, an "&" and a \\Noselect parent.  The "large"
profile adds a folder of 100,000 messages (mailing-list sized, so that the
run stays within minutes); "quick" has the same folder with 1,000.

The "small" profile (issue 11) is what most real mailboxes hold: 20,500
messages of 1-8 KiB (as IMAP counts them, CRLF) in ten folders, mostly
mailing lists, notifications and spam, with their headers (List-*,
DKIM-Signature, Auto-Submitted, X-Spam-*) and multipart/alternative
HTML; sizes log-normal, most 2-6 KiB.  Its big folder is the largest of
the ten, a mailing list.  A file per message costs the most there.

The manifest (JSON) names the folders with the server's delimiter, their
message counts, the total bytes as IMAP counts them, the big folder, and a
string that no message contains.

verify asks the server through tests/harness/imaptool.py (environment from
dovecot.sh) for every folder's message count, and fetches a sample of
messages to compare them byte for byte (CRLF) and flag for flag with the
files written.
"""
import argparse
import base64
import contextlib
import io
import json
import math
import os
import random
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
IMAPTOOL = os.path.join(HERE, "..", "harness", "imaptool.py")

NOWHERE = "mailfs-bench-needle-7f3c9e1d-nowhere"

# (name with "." as delimiter, messages in quick, kind)
FOLDERS = [
    ("INBOX", 900, "inbox"),
    ("Sent", 400, "sent"),
    ("Drafts", 12, "drafts"),
    ("Trash", 60, "mail"),
    ("Junk", 90, "junk"),
    ("Archiv.2023", 500, "mail"),
    ("Archiv.2024", 600, "mail"),
    ("Geschäftlich", 200, "mail"),
    ("Geschäftlich.Übersicht", 120, "mail"),
    ("Reisen & Urlaub", 40, "mail"),
    ("Familie Müller", 80, "mail"),
]
BIG = "Listen.Große Liste"
BIG_COUNT = {"quick": 1000, "large": 100000}

# The small profile: (name, messages, kind).  The counts follow a mailbox
# subscribed to a few busy lists, about 20 messages a day over 3 years.
SMALL_FOLDERS = [
    ("INBOX", 2600, "inbox"),
    ("Sent", 900, "sent"),
    ("Trash", 700, "mail"),
    ("Junk", 2800, "junk"),
    ("Archiv.2024", 1300, "mail"),
    ("Benachrichtigungen", 3400, "notify"),
    ("Rechnungen & Bestätigungen", 400, "notify"),
    ("Listen.linux-kernel", 5200, "list"),
    ("Listen.dovecot", 1700, "list"),
    ("Listen.debian-devel", 1500, "list"),
]
# The largest folder stands in for the big one in "ls -l big".
SMALL_BIG = max(SMALL_FOLDERS, key=lambda f: f[1])[0]
# Median size as IMAP counts it, by kind: spam and notifications are
# short, list mail carries quotes and a footer.
SMALL_MEDIAN = {"inbox": 3800, "sent": 2700, "mail": 3800, "junk": 2900,
                "notify": 3400, "list": 4300}
SENDERS = ["Forge <notifications@forge.example>",
           "Paketdienst <versand@paket.example>",
           "=?UTF-8?B?QsO8cmdlcmFtdA==?= <noreply@stadt.example>",
           "Monitoring <alerts@monitor.example.org>",
           "Bank <service@bank.example>"]
LIST_FOOTER = ("_______________________________________________\n"
               "%s mailing list\n%s@lists.example.net\n"
               "https://lists.example.net/mailman/listinfo/%s\n")

KEYWORDS = ["$Forwarded", "$Label1", "$Label2", "Wichtig", "$NotJunk", "$Junk"]

WORDS = ("der die das und ist nicht ein eine zu den von mit sich des auf für "
         "Grüße Rückfrage Änderung Übersicht Größe Prüfung Straße schön "
         "heißt Bestätigung Termin Besprechung Angebot Rechnung Lieferung "
         "the of and to in is that for it as with was on be at by this "
         "meeting invoice report project release patch review schedule "
         "server backup kernel mailbox folder attachment quarterly budget "
         "Zürich München Köln Düsseldorf Wien Graz Malmö Århus naïve café").split()

FIRST = ["Anna", "Jürgen", "Björn", "Zoë", "Karl", "Renée", "Mats", "Özlem",
         "Paul", "Léa", "Søren", "Ines", "Günter", "Maria", "Tomás", "Eva"]
LAST = ["Müller", "Schäfer", "Weiß", "Öztürk", "Nowak", "Dubois", "Jensen",
        "Groß", "Becker", "Hoffmann", "García", "Lindqvist", "Kühn", "Brandt"]
DOMAINS = ["example.org", "example.com", "beispiel.de", "firma.example",
           "lists.example.net", "uni.example.edu"]


class Corpus:
    """Text and base64 blocks cut into messages without per-word work."""

    def __init__(self, rng):
        lines = []
        for _ in range(20000):
            n = rng.randint(4, 14)
            line = " ".join(rng.choice(WORDS) for _ in range(n))
            if rng.random() < 0.15:
                line = "> " + line
            lines.append(line)
            if rng.random() < 0.12:
                lines.append("")
        self.text = "\n".join(lines).encode("utf-8") + b"\n"
        raw = rng.randbytes(3 * 1024 * 1024)
        b = base64.b64encode(raw)
        self.b64 = b"\n".join(b[i:i + 76] for i in range(0, len(b), 76)) + b"\n"

    def cut(self, rng, blob, n):
        """About n bytes of whole lines from blob, starting at a line."""
        start = rng.randrange(0, len(blob) - n - 200)
        start = blob.index(b"\n", start) + 1
        end = blob.index(b"\n", start + n) + 1
        return blob[start:end]


def qp_header(text):
    """An RFC 2047 encoded word when text is not ASCII."""
    try:
        text.encode("ascii")
        return text
    except UnicodeEncodeError:
        return "=?UTF-8?B?" + base64.b64encode(text.encode()).decode() + "?="


def person(rng):
    f, l = rng.choice(FIRST), rng.choice(LAST)
    mail = "%s.%s@%s" % (f.lower(), l.lower(), rng.choice(DOMAINS))
    mail = mail.encode("ascii", "ignore").decode()
    return "%s <%s>" % (qp_header(f + " " + l), mail)


def rfc2822_date(t):
    return time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime(t))


def text_size(rng, big_folder):
    """Body size: log-normal around 5 KiB, most between 2 and 20 KiB."""
    mu = 7.6 if big_folder else 8.5
    return int(min(max(rng.lognormvariate(mu, 0.75), 600), 60000))


ME = "Bench Nutzer <mailfs@example.org>"


def address(mailbox):
    """The bare address of "Name <address>"."""
    return mailbox.split("<")[1].rstrip(">")


def words(rng, lo, hi):
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(lo, hi)))


def head(rng, uid_hint, t, frm, to, subject):
    """The header lines that every message starts with, and its Message-ID."""
    other = to if frm == ME else frm
    msgid = "<%d.%d.%x@bench.example>" % (t, uid_hint, rng.getrandbits(48))
    return [
        "Return-Path: <%s>" % address(other),
        "Received: from mx.%s (mx.%s [192.0.2.%d])\n\tby mail.example.org "
        "with ESMTPS id %x\n\tfor <mailfs@example.org>; %s"
        % (DOMAINS[uid_hint % 6], DOMAINS[uid_hint % 6], uid_hint % 250,
           rng.getrandbits(40), rfc2822_date(t)),
        "Date: " + rfc2822_date(t),
        "From: " + frm,
        "To: " + to,
        "Subject: " + qp_header(subject),
        "Message-ID: " + msgid,
        "MIME-Version: 1.0",
    ], msgid


def make_message(rng, corpus, uid_hint, t, kind, name):
    big_folder = name == BIG
    other = person(rng)
    frm, to = (ME, other) if kind in ("sent", "drafts") else (other, ME)
    subject = words(rng, 2, 7)
    if rng.random() < 0.3:
        subject = "Re: " + subject
    hdr = head(rng, uid_hint, t, frm, to, subject)[0]
    if big_folder:
        hdr.append("List-Id: <grosse-liste.lists.example.net>")
    attach = (not big_folder and rng.random() < 0.05) or \
        (big_folder and rng.random() < 0.005)
    body = corpus.cut(rng, corpus.text, text_size(rng, big_folder))
    if not attach:
        hdr.append("Content-Type: text/plain; charset=UTF-8")
        hdr.append("Content-Transfer-Encoding: 8bit")
        msg = ("\n".join(hdr) + "\n\n").encode() + body
    else:
        boundary = "=_bench_%x" % rng.getrandbits(64)
        asize = rng.randint(100 * 1024, 500 * 1024)
        name = rng.choice(["Rechnung", "Präsentation", "scan", "Fotos", "Bericht"])
        hdr.append('Content-Type: multipart/mixed; boundary="%s"' % boundary)
        parts = [
            ("\n".join(hdr) + "\n\nThis is a multi-part message in MIME format.\n"
             "\n--%s\nContent-Type: text/plain; charset=UTF-8\n"
             "Content-Transfer-Encoding: 8bit\n\n" % boundary).encode(),
            body,
            ("\n--%s\nContent-Type: application/octet-stream\n"
             "Content-Transfer-Encoding: base64\nContent-Disposition: attachment;"
             " filename*=UTF-8''%s.pdf\n\n" % (boundary, name)).encode(),
            corpus.cut(rng, corpus.b64, asize),
            ("\n--%s--\n" % boundary).encode(),
        ]
        msg = b"".join(parts)
    return msg


def vsize(text):
    """Bytes as IMAP counts them: every LF becomes CRLF."""
    return len(text) + text.count(b"\n")


def small_size(rng, kind):
    """A message's size as IMAP counts it: log-normal around the kind's
    median, most 2-6 KiB.  Drawn again outside 1,200-7,800 bytes rather
    than clamped (a clamp would pile sizes up at the edges); the margin
    keeps the cut of whole lines within 1-8 KiB."""
    while True:
        s = rng.lognormvariate(math.log(SMALL_MEDIAN[kind]), 0.38)
        if 1200 <= s <= 7800:
            return int(s)


def html(text):
    """text as the HTML part of a multipart/alternative, a paragraph a line."""
    lines = text.decode("utf-8").split("\n")
    body = "".join("<p>%s</p>\n" % l.replace("&", "&amp;").replace("<", "&lt;")
                   .replace(">", "&gt;") for l in lines if l)
    return ("<html><head><meta charset=\"utf-8\"></head><body>\n%s"
            "</body></html>\n" % body).encode("utf-8")


def dkim(rng, domain, t):
    """A DKIM-Signature of the usual size: its bytes are random."""
    b = base64.b64encode(rng.randbytes(256)).decode()
    return ("DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=%s;\n"
            "\ts=s%d; t=%d; h=From:To:Subject:Date:Message-ID;\n\tbh=%s;\n"
            "\tb=%s\n\t %s\n\t %s\n\t %s" %
            (domain, 2020 + t // (365 * 86400) % 5, t,
             base64.b64encode(rng.randbytes(32)).decode(),
             b[:70], b[70:150], b[150:230], b[230:]))


def make_small_message(rng, corpus, uid_hint, t, kind, name):
    """A message of the small profile, of the kind its folder holds."""
    size = small_size(rng, kind)
    extra = []
    footer = b""
    alternative = False
    if kind == "list":
        lst = name.split(".")[-1]
        frm, to = person(rng), "%s@lists.example.net" % lst
        subject = "[%s] %s%s" % (lst, "Re: " if rng.random() < 0.6 else "",
                                 words(rng, 3, 9))
        extra = [dkim(rng, "lists.example.net", t),
                 "List-Id: <%s.lists.example.net>" % lst,
                 "List-Unsubscribe: <mailto:%s-leave@lists.example.net>" % lst,
                 "List-Archive: <https://lists.example.net/archives/%s>" % lst,
                 "List-Post: <mailto:%s@lists.example.net>" % lst,
                 "Precedence: list",
                 "Sender: %s-bounces@lists.example.net" % lst]
        if subject.startswith("[%s] Re: " % lst):
            ref = "<%d.%x@bench.example>" % (t - rng.randrange(60, 86400 * 3),
                                              rng.getrandbits(48))
            extra += ["In-Reply-To: " + ref, "References: " + ref]
        footer = (LIST_FOOTER % (lst, lst, lst)).encode()
    elif kind == "notify":
        frm, to = rng.choice(SENDERS), ME
        subject = "%s #%d: %s" % (rng.choice(["Bestellung", "Pull request",
                                              "Alarm", "Rechnung", "Issue"]),
                                  rng.randrange(1, 99999), words(rng, 2, 6))
        extra = [dkim(rng, address(frm).split("@")[1], t),
                 "Auto-Submitted: auto-generated",
                 "List-Unsubscribe: <https://%s/unsubscribe/%x>" %
                 (address(frm).split("@")[1], rng.getrandbits(64)),
                 "X-Mailer: notifier 2.%d" % rng.randrange(10)]
        alternative = True
    elif kind == "junk":
        frm, to = person(rng), ME
        subject = words(rng, 2, 6).upper() + " !!!"
        score = rng.uniform(5, 30)
        extra = ["X-Spam-Flag: YES",
                 "X-Spam-Score: %.1f" % score,
                 "X-Spam-Status: Yes, score=%.1f required=5.0 tests=BAYES_99,"
                 "\n\tHTML_MESSAGE,RDNS_NONE,URIBL_BLOCKED autolearn=spam" %
                 score]
        alternative = rng.random() < 0.6
    else:
        other = person(rng)
        frm, to = (ME, other) if kind == "sent" else (other, ME)
        subject = words(rng, 2, 7)
        if rng.random() < 0.3:
            subject = "Re: " + subject
        if kind != "sent" and rng.random() < 0.5:
            extra = [dkim(rng, address(other).split("@")[1], t)]
    hdr, _ = head(rng, uid_hint, t, frm, to, subject)
    hdr += extra
    if alternative:
        boundary = "=_bench_%x" % rng.getrandbits(64)
        hdr.append('Content-Type: multipart/alternative; boundary="%s"'
                   % boundary)
        part = ("\n--%s\nContent-Type: text/%%s; charset=UTF-8\n"
                "Content-Transfer-Encoding: 8bit\n\n" % boundary)
        top = ("\n".join(hdr) + "\n" + part % "plain").encode()
        # The HTML part repeats the text with about 15 % of markup.
        room = (size - vsize(top) - 300) / 2.2
        text = corpus.cut(rng, corpus.text, max(int(room), 80))
        return b"".join([top, text, (part % "html").encode(), html(text),
                         ("\n--%s--\n" % boundary).encode()])
    if kind == "junk":
        hdr.append("Content-Type: text/html; charset=UTF-8")
    else:
        hdr.append("Content-Type: text/plain; charset=UTF-8")
    hdr.append("Content-Transfer-Encoding: 8bit")
    top = ("\n".join(hdr) + "\n\n").encode()
    room = (size - vsize(top) - vsize(footer)) / (1.15 if kind == "junk" else 1)
    body = corpus.cut(rng, corpus.text, max(int(room * 0.98), 80))
    if kind == "junk":
        body = html(body)
    return top + body + footer


def pick_flags(rng, kind, t, now):
    """Maildir info letters (sorted, as the Maildir spec asks) and keywords."""
    flags = set()
    if kind == "drafts":
        flags.add("D")
    elif kind != "junk":
        # Old mail is read; the newest is partly unread.
        if now - t > 14 * 86400 or rng.random() < 0.5:
            flags.add("S")
    if rng.random() < 0.04:
        flags.add("F")
    if kind in ("inbox", "mail") and rng.random() < 0.12:
        flags.add("R")
    kw = set()
    r = rng.random()
    if kind == "junk":
        kw.add("$Junk")
    elif r < 0.03:
        kw.add("$Forwarded")
    elif r < 0.07:
        kw.add(rng.choice(["$Label1", "$Label2", "Wichtig"]))
    elif r < 0.10:
        kw.add("$NotJunk")
    return "".join(sorted(flags)), sorted(kw)


def mutf7(name):
    """Modified UTF-7 (RFC 3501 5.1.3), as Dovecot names Maildir++ folders."""
    out, pending = [], []

    def flush():
        if pending:
            raw = "".join(pending).encode("utf-16-be")
            out.append("&" + base64.b64encode(raw).decode().rstrip("=")
                       .replace("/", ",") + "-")
            pending.clear()
    for ch in name:
        if 0x20 <= ord(ch) <= 0x7e:
            flush()
            out.append("&-" if ch == "&" else ch)
        else:
            pending.append(ch)
    flush()
    return "".join(out)


def folder_dir(maildir, name):
    return maildir if name == "INBOX" else os.path.join(maildir, "." + mutf7(name))


def makedirs_owned(path, uid, gid):
    if not os.path.isdir(path):
        os.makedirs(path, 0o700)
    os.chown(path, uid, gid)


def fill_folder(maildir, name, count, kind, rng, corpus, owner, now, serial,
                make):
    uid, gid = owner
    d = folder_dir(maildir, name)
    for sub in ("", "cur", "new", "tmp"):
        makedirs_owned(os.path.join(d, sub), uid, gid)
    if name != "INBOX":
        p = os.path.join(d, "maildirfolder")
        open(p, "w").close()
        os.chown(p, uid, gid)
    # Keyword letters a, b, ... follow dovecot-keywords' numbering.
    kwpath = os.path.join(d, "dovecot-keywords")
    with open(kwpath, "w") as f:
        for i, k in enumerate(KEYWORDS):
            f.write("%d %s\n" % (i, k))
    os.chown(kwpath, uid, gid)
    span = 6 * 365 * 86400 if kind != "drafts" else 30 * 86400
    times = sorted(now - rng.randrange(3600, span) for _ in range(count))
    total = 0
    cur = os.path.join(d, "cur")
    for i, t in enumerate(times):
        serial[0] += 1
        msg = make(rng, corpus, serial[0], t, kind, name)
        letters, kw = pick_flags(rng, kind, t, now)
        letters += "".join(chr(ord("a") + KEYWORDS.index(k)) for k in kw)
        vs = vsize(msg)
        base = "%d.M%dP%dQ%d.bench,S=%d,W=%d" % (t, i, os.getpid(), serial[0],
                                                  len(msg), vs)
        path = os.path.join(cur, base + ":2," + letters)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, msg)
            os.fchown(fd, uid, gid)
        finally:
            os.close(fd)
        os.utime(path, (t, t))
        total += vs
    return total


def cmd_fill(args):
    rng = random.Random(args.seed)
    st = os.stat(args.maildir)
    owner = (st.st_uid, st.st_gid)
    corpus = Corpus(rng)
    now = 1735689600  # 2025-01-01: reproducible dates and flags
    serial = [0]
    if args.profile == "small":
        big, make = SMALL_BIG, make_small_message
        folders = SMALL_FOLDERS
    else:
        big, make = BIG, make_message
        folders = FOLDERS + [(BIG, BIG_COUNT[args.profile], "mail")]
    folders = [(n, c if n == big else max(1, int(c * args.scale)), k)
               for n, c, k in folders]
    manifest = {"profile": args.profile, "delimiter": ".", "big": big,
                "nowhere": NOWHERE, "folders": {}, "messages": 0, "bytes": 0}
    t0 = time.time()
    for name, count, kind in folders:
        if os.path.exists(os.path.join(folder_dir(args.maildir, name), "cur")) and \
                os.listdir(os.path.join(folder_dir(args.maildir, name), "cur")):
            sys.exit("seed.py: %s already holds mail; seed an empty Dovecot" % name)
        b = fill_folder(args.maildir, name, count, kind, rng, corpus, owner,
                        now, serial, make)
        manifest["folders"][name] = {"messages": count, "bytes": b}
        manifest["messages"] += count
        manifest["bytes"] += b
    with open(args.manifest, "w") as f:
        json.dump(manifest, f, indent=1, ensure_ascii=False)
    print("seed.py: %d messages, %.1f MB in %d folders, %.1f s" %
          (manifest["messages"], manifest["bytes"] / 1e6, len(folders),
           time.time() - t0), file=sys.stderr)


class Imaptool:
    """tests/harness/imaptool.py's commands over one connection."""

    def __init__(self):
        sys.path.insert(0, os.path.dirname(IMAPTOOL))
        import imaptool
        self.tool = imaptool
        self.m = imaptool.connect()

    def run(self, cmd, *args):
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            getattr(self.tool, "cmd_" + cmd)(self.m, list(args))
        return out.getvalue()

    def fetch(self, folder, uid):
        self.tool.select(self.m, folder, True)
        return self.tool.fetch_item(self.m, uid, "BODY.PEEK[]")[1]


def read_uidlist(d):
    """uid -> Maildir base name, from Dovecot's dovecot-uidlist."""
    m = {}
    with open(os.path.join(d, "dovecot-uidlist"), encoding="utf-8") as f:
        f.readline()
        for line in f:
            # "<uid> [<ext> ...] :<file name>" (uidlist version 3)
            head, sep, fname = line.rstrip("\n").partition(" :")
            if not sep:
                continue
            m[int(head.split()[0])] = fname
    return m


def cmd_verify(args):
    with open(args.manifest) as f:
        manifest = json.load(f)
    bad = 0
    rng = random.Random(1)
    tool = Imaptool()
    for name, info in manifest["folders"].items():
        got = int(tool.run("count", name).strip())
        if got != info["messages"]:
            print("seed.py: %s holds %d messages, not %d" % (name, got,
                  info["messages"]), file=sys.stderr)
            bad += 1
            continue
        d = folder_dir(args.maildir, name)
        uids = read_uidlist(d)
        cur = os.listdir(os.path.join(d, "cur"))
        byname = {c.split(":2,")[0]: c for c in cur}
        for uid in rng.sample(sorted(uids), min(3, len(uids))):
            fname = byname[uids[uid].split(":2,")[0]]
            with open(os.path.join(d, "cur", fname), "rb") as f:
                want = f.read().replace(b"\n", b"\r\n")
            if tool.fetch(name, uid) != want:
                print("seed.py: %s UID %d differs from %s" % (name, uid, fname),
                      file=sys.stderr)
                bad += 1
            letters = fname.split(":2,")[1]
            want_flags = set()
            for ch in letters:
                if ch in "DFRST":
                    want_flags.add({"D": "\\Draft", "F": "\\Flagged",
                                    "R": "\\Answered", "S": "\\Seen",
                                    "T": "\\Deleted"}[ch])
                else:
                    want_flags.add(KEYWORDS[ord(ch) - ord("a")])
            got_flags = set(tool.run("flags", name, str(uid)).split())
            if got_flags != want_flags:
                print("seed.py: %s UID %d flags %s, not %s" % (name, uid,
                      sorted(got_flags), sorted(want_flags)), file=sys.stderr)
                bad += 1
    if bad:
        sys.exit(1)
    print("seed.py: the server serves the seeded account", file=sys.stderr)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    f = sub.add_parser("fill")
    f.add_argument("maildir")
    f.add_argument("--profile", choices=["quick", "large", "small"],
                   default="quick")
    f.add_argument("--scale", type=float, default=1.0,
                   help="multiplies every folder but the big one")
    f.add_argument("--seed", type=int, default=5)
    f.add_argument("--manifest", required=True)
    v = sub.add_parser("verify")
    v.add_argument("maildir")
    v.add_argument("manifest")
    args = p.parse_args()
    if args.cmd == "fill":
        cmd_fill(args)
    else:
        cmd_verify(args)


if __name__ == "__main__":
    main()
