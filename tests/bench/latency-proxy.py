#!/usr/bin/env python3
"""latency-proxy.py: a TCP proxy on 127.0.0.1 that adds a round-trip time.

    latency-proxy.py --target PORT --rtt MS --port-file FILE [--pid-file FILE]

Listens on a free port of 127.0.0.1 (written to --port-file once it
accepts) and forwards every connection to 127.0.0.1:PORT.  Each chunk is
forwarded half the round-trip time after it arrived, in each direction, so
a request and its answer take RTT longer; chunks are not held back behind
each other, so throughput is not capped, only latency added (what
`tc netem delay` does, which needs privileges this machine does not give).
Up to 64 MiB a direction may be in flight, a generous bandwidth-delay
product.  TCP_NODELAY on both sides keeps Nagle from adding its own delays.

It runs until SIGTERM or SIGINT.  Only 127.0.0.1 is ever contacted.
"""
import argparse
import asyncio
import collections
import os
import signal
import socket

CHUNK = 256 * 1024
MAX_IN_FLIGHT = 64 * 1024 * 1024


async def pump(reader, writer, delay):
    """Copies reader to writer, each chunk delay seconds after it arrived."""
    loop = asyncio.get_running_loop()
    queue = collections.deque()
    ready = asyncio.Event()
    room = asyncio.Event()
    room.set()
    state = {"bytes": 0, "eof": False}

    async def receive():
        try:
            while True:
                await room.wait()
                data = await reader.read(CHUNK)
                queue.append((loop.time() + delay, data))
                state["bytes"] += len(data)
                if state["bytes"] > MAX_IN_FLIGHT:
                    room.clear()
                ready.set()
                if not data:
                    return
        except (ConnectionError, OSError):
            queue.append((loop.time() + delay, b""))
            ready.set()

    async def send():
        while True:
            while not queue:
                ready.clear()
                await ready.wait()
            due, data = queue.popleft()
            wait = due - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            if not data:
                try:
                    if writer.can_write_eof():
                        writer.write_eof()
                except (ConnectionError, OSError):
                    pass
                return
            writer.write(data)
            state["bytes"] -= len(data)
            if state["bytes"] <= MAX_IN_FLIGHT:
                room.set()
            await writer.drain()

    rx = asyncio.ensure_future(receive())
    try:
        await send()
    except (ConnectionError, OSError):
        pass
    finally:
        rx.cancel()


def nodelay(writer):
    sock = writer.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


async def handle(creader, cwriter, target, delay):
    try:
        sreader, swriter = await asyncio.open_connection("127.0.0.1", target)
    except OSError:
        cwriter.close()
        return
    nodelay(cwriter)
    nodelay(swriter)
    # The connection itself costs a round trip: SYN there, SYN-ACK back.
    await asyncio.sleep(2 * delay)
    try:
        await asyncio.gather(pump(creader, swriter, delay),
                             pump(sreader, cwriter, delay))
    finally:
        for w in (cwriter, swriter):
            try:
                w.close()
            except (ConnectionError, OSError):
                pass


async def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--target", type=int, required=True)
    p.add_argument("--rtt", type=float, required=True, help="milliseconds")
    p.add_argument("--port-file", required=True)
    p.add_argument("--pid-file")
    args = p.parse_args()
    delay = args.rtt / 2000.0
    server = await asyncio.start_server(
        lambda r, w: handle(r, w, args.target, delay), "127.0.0.1", 0,
        backlog=256)
    port = server.sockets[0].getsockname()[1]
    if args.pid_file:
        with open(args.pid_file, "w") as f:
            f.write("%d\n" % os.getpid())
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % port)
    os.rename(tmp, args.port_file)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for s in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(s, stop.set)
    async with server:
        await stop.wait()


if __name__ == "__main__":
    asyncio.run(main())
