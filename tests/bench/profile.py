#!/usr/bin/env python3
"""profile.py: the daemon's stage profile (user.mailfs.profile on the
root, fuse/common/profile.h) as one sentence for the benchmark's notes.

    profile.py get MOUNTPOINT [PID] print the attribute's line (and the
                                    CPU the daemon PID used: cpu_ms=N)
    profile.py describe WHAT LINE [BEFORE]
                                    print WHAT's profile in words (less
                                    the line BEFORE, read when it began)

Counters come twice: fg_ for threads a user waits on (FUSE requests),
ra_ for the read-ahead's.  Times are in microseconds.
"""
import ctypes
import os
import sys


def get(mnt, pid=None):
    libc = ctypes.CDLL(None, use_errno=True)
    buf = ctypes.create_string_buffer(4096)
    n = libc.getxattr(os.fsencode(mnt), b"user.mailfs.profile", buf,
                      ctypes.c_size_t(len(buf)))
    if n < 0:
        sys.exit("user.mailfs.profile: " + os.strerror(ctypes.get_errno()))
    line = buf.raw[:n].decode()
    if pid:
        with open("/proc/%s/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        ticks = int(fields[11]) + int(fields[12])   # utime, stime
        line += " cpu_ms=%d" % (ticks * 1000 // os.sysconf("SC_CLK_TCK"))
    print(line)


def parse(line):
    v = {}
    for item in line.split():
        k, _, n = item.partition("=")
        v[k] = int(n) if n.isdigit() else 0
    return v


def describe(what, line, before=""):
    v = parse(line)
    for k, n in parse(before).items():
        v[k] = v.get(k, 0) - n

    def g(k):
        return v.get(k, 0)

    def s(us):
        return "%.2f s" % (us / 1e6)

    def side(p, name):
        parts = ["%d listings %s" % (g(p + "listing_n"), s(g(p + "listing_us"))),
                 "%d fetches %s (%d MB)" % (g(p + "fetch_n"), s(g(p + "fetch_us")),
                                            g(p + "bytes") // 1000000),
                 "%d opens %s" % (g(p + "open_n"), s(g(p + "open_us"))),
                 "%d connects %s" % (g(p + "connect_n"), s(g(p + "connect_us"))),
                 "%d SELECT, %d body FETCH" % (g(p + "select_n"),
                                                g(p + "fetchcmd_n")),
                 "%d round trips waited %s, answers streamed %s" % (
                     g(p + "rtt_n"), s(g(p + "rtt_us")), s(g(p + "stream_us")))]
        return name + ": " + ", ".join(parts)

    print("%s, stage profile: daemon CPU %s; readers waited %s for %d messages "
          "on their way, %s in %d opendir; %s; %s" % (
              what, s(g("cpu_ms") * 1000), s(g("fg_wait_us")), g("fg_wait_n"),
              s(g("fg_dir_us")), g("fg_dir_n"),
              side("fg_", "requests"), side("ra_", "read-ahead")))


def main():
    if len(sys.argv) in (3, 4) and sys.argv[1] == "get":
        get(*sys.argv[2:])
    elif len(sys.argv) in (4, 5) and sys.argv[1] == "describe":
        describe(*sys.argv[2:])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
