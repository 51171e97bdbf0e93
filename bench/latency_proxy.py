"""A TCP proxy that adds a fixed delay to every request (issue 28): a laptop's distance to S3.

    python bench/latency_proxy.py --port 4600 --to 127.0.0.1:4599 --delay-ms 30 [--count FILE]

Every chunk of bytes is passed on ``delay/2`` after it arrived, in each direction, in order
(reads are not throttled: a chunk that arrives while earlier ones wait is passed on as soon as
its own time comes).  A request and its answer therefore take ``delay`` longer, which is what
decides a deploy against real S3: round trips, not bytes.  Connecting to the proxy costs
nothing extra, as a client that keeps its connections open (botocore, Go's HTTP client) pays
no handshake per request; moto's server closes each connection after one answer.

``--count FILE``: the number of HTTP requests passed on so far (a chunk from the client that
starts with a method), rewritten in place after each one, so a benchmark can count the
requests of a process it does not control (``hugo deploy``).

Standard library only; run it in its own process, so that its work shares no interpreter lock
with what it measures.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

_METHODS = (b"GET ", b"PUT ", b"POST ", b"HEAD ", b"DELETE ")


class Counter:
    def __init__(self, path: str | None):
        self.n = 0
        self.fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC) if path else None

    def seen(self, chunk: bytes) -> None:
        if chunk.startswith(_METHODS):
            self.n += 1
            if self.fd is not None:
                os.pwrite(self.fd, f"{self.n:012d}\n".encode(), 0)


async def _pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, delay: float,
                counter: Counter | None) -> None:
    """Pass every chunk on ``delay`` seconds after it arrived, in order."""
    queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

    async def send() -> None:
        while True:
            due, chunk = await queue.get()
            wait = due - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            if not chunk:
                if writer.can_write_eof():
                    writer.write_eof()
                return
            writer.write(chunk)
            await writer.drain()

    sender = asyncio.create_task(send())
    try:
        while True:
            chunk = await reader.read(1 << 16)
            if counter is not None and chunk:
                counter.seen(chunk)
            queue.put_nowait((time.monotonic() + delay, chunk))
            if not chunk:
                break
        await sender
    except (ConnectionError, asyncio.CancelledError):
        sender.cancel()


async def _serve(port: int, host: str, upstream: int, delay: float, counter: Counter) -> None:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(host, upstream)
        except OSError:
            writer.close()
            return
        await asyncio.gather(_pump(reader, up_writer, delay / 2, counter),
                             _pump(up_reader, writer, delay / 2, None),
                             return_exceptions=True)
        for w in (writer, up_writer):
            w.close()

    server = await asyncio.start_server(handle, "127.0.0.1", port, backlog=256)
    async with server:
        await server.serve_forever()


def wait_for_port(port: int, seconds: float = 30.0) -> None:
    """Until something listens on 127.0.0.1:``port`` (a server process just started)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)


class Proxy:
    """This proxy in its own process, for a benchmark: ``endpoint`` to use instead of
    ``upstream``, ``requests()`` passed on so far."""

    def __init__(self, upstream: str, delay_ms: float, count_file: Path):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.endpoint, self.count_file = f"http://127.0.0.1:{self.port}", count_file
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "--port", str(self.port), "--to",
             upstream.removeprefix("http://"), "--delay-ms", str(delay_ms),
             "--count", str(count_file)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for_port(self.port)

    def requests(self) -> int:
        try:
            return int(self.count_file.read_text() or 0)
        except (OSError, ValueError):
            return 0

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--to", required=True, metavar="HOST:PORT")
    ap.add_argument("--delay-ms", type=float, default=30.0)
    ap.add_argument("--count", metavar="FILE")
    args = ap.parse_args()
    host, upstream = args.to.rsplit(":", 1)
    asyncio.run(_serve(args.port, host, int(upstream), args.delay_ms / 1000, Counter(args.count)))


if __name__ == "__main__":
    main()
