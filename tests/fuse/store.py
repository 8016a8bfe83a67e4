#!/usr/bin/env python3
"""Looks into and damages mailfs's store (fuse/store/pack.h) for the tests.

    store.py uids CACHE            UIDs of the bodies stored, one a line
    store.py meta-count CACHE NAME generations with a value NAME
    store.py meta-cut CACHE NAME N the value NAME of each cut to N bytes
    store.py meta-random CACHE NAME  ... replaced by 4096 random bytes
    store.py flip CACHE            flips a byte in the first body stored
    store.py tear CACHE            cuts the newest segment in its last record

CACHE is the XDG_CACHE_HOME of the mount.  A replaced value is written as
the daemon would (a valid record), so that only the listing's own checks
can refuse it.  Run only while nothing is mounted."""
import glob
import os
import struct
import sys
import zlib

HDR = struct.Struct("<IIBBHI16sIIqII8s")
MAGIC = 0x3153464D
BODY, META, APPEND, DROP = 1, 2, 3, 4


def segments(cache):
    return sorted(glob.glob(os.path.join(cache, "mailfs", "*", "packs", "[0-9]" * 8)))


def records(cache):
    """(path, offset, fields) of every whole record, in write order."""
    for path in segments(cache):
        with open(path, "rb") as f:
            data = f.read()
        off = 0
        while off + HDR.size <= len(data):
            h = list(HDR.unpack_from(data, off))
            crc = h[1]
            h[1] = 0
            if h[0] != MAGIC or zlib.crc32(HDR.pack(*h)) != crc:
                break
            h[1] = crc
            if off + HDR.size + h[10] > len(data):
                break
            yield path, off, h
            off += HDR.size + h[10]


def values(cache, name):
    """{(folder, uidvalidity): (path, value)} of the live values name."""
    out = {}
    for path, off, h in records(cache):
        key = (h[6], h[5])
        if h[2] == DROP:
            out = {k: v for k, v in out.items() if k != key}
            continue
        if h[2] not in (META, APPEND) or h[12].rstrip(b"\0") != name.encode():
            continue
        with open(path, "rb") as f:
            f.seek(off + HDR.size)
            body = f.read(h[10])
        if h[2] == META:
            out[key] = (path, body)
        else:
            out[key] = (path, out.get(key, (path, b""))[1] + body)
    return {k: v for k, v in out.items() if v[1]}


def put_value(cache, folder, uidvalidity, name, body):
    path = segments(cache)[-1]
    h = [MAGIC, 0, META, 0, 0, uidvalidity, folder, 0, 0, 0, len(body),
         zlib.crc32(body), name.encode()]
    h[1] = zlib.crc32(HDR.pack(*h))
    with open(path, "ab") as f:
        f.write(HDR.pack(*h) + body)


def main():
    cmd, cache = sys.argv[1], sys.argv[2]
    if cmd == "uids":
        for _, _, h in records(cache):
            if h[2] == BODY and not h[3] & 1:
                print(h[7])
    elif cmd == "meta-count":
        print(len(values(cache, sys.argv[3])))
    elif cmd in ("meta-cut", "meta-random"):
        name = sys.argv[3]
        for (folder, uv), (_, body) in values(cache, name).items():
            new = body[:int(sys.argv[4])] if cmd == "meta-cut" else os.urandom(4096)
            put_value(cache, folder, uv, name, new)
    elif cmd == "flip":
        for path, off, h in records(cache):
            if h[2] == BODY and h[10] > 100:
                with open(path, "r+b") as f:
                    f.seek(off + HDR.size + 50)
                    b = f.read(1)
                    f.seek(off + HDR.size + 50)
                    f.write(bytes([b[0] ^ 0x20]))
                print(h[7])
                return
        sys.exit("no body to flip")
    elif cmd == "tear":
        last = segments(cache)[-1]
        mine = [(off, h) for path, off, h in records(cache) if path == last]
        off, h = mine[-1]
        os.truncate(last, off + HDR.size + h[10] // 2)
        print(h[7])
    else:
        sys.exit(__doc__)


main()
