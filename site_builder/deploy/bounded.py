"""Reading untrusted bytes with a ceiling: S3 bodies, and bz2/gzip data inflated in steps.

Anyone who can write to the bucket can put anything under ``_notes/``: a 426-byte bz2 "record"
that inflates to 512 MiB once made ``history``, ``verify`` and ``deploy`` peak at over 1 GB
(and would crash the publish Lambda).  So every read of such bytes stops at a limit: a body is
read at most ``limit + 1`` bytes, and compressed data is inflated a chunk at a time
(``max_length``), never past the limit.  Going over raises ``TooLarge``, which callers turn
into their own one-line error naming the key.

Standard library only (the deploy engine runs in the CDK Lambda).
"""

from __future__ import annotations

import bz2
import zlib
from typing import Any, BinaryIO

RECORD_LIMIT = 64 << 20  # bytes, inflated: a 5,000-note record is ~3 MB of JSON
LOCK_LIMIT = 64 << 10  # a lock body is a few hundred bytes
CHUNK = 1 << 20


class TooLarge(ValueError):
    """More bytes than the limit allows."""

    def __init__(self, limit: int):
        self.limit = limit
        super().__init__(f"more than {size_text(limit)}")


def size_text(limit: int) -> str:
    return f"{limit >> 20} MiB" if limit >= 1 << 20 else f"{limit >> 10} KiB"


def read_capped(body: BinaryIO | Any, limit: int) -> bytes:
    """At most ``limit`` bytes of a stream (an S3 ``Body``); TooLarge if it holds more.
    Read in chunks, so a body that lies about its size costs no more than the limit."""
    parts, size = [], 0
    while True:
        chunk = body.read(min(CHUNK, limit + 1 - size))
        if not chunk:
            return b"".join(parts)
        parts.append(chunk)
        size += len(chunk)
        if size > limit:
            close = getattr(body, "close", None)
            if close is not None:
                close()  # the rest is never read
            raise TooLarge(limit)


def inflate(data: bytes, packing: str, limit: int) -> bytes:
    """``data`` decompressed (``packing``: "bz2" or "gzip", several concatenated streams
    allowed, as ``bz2.decompress`` and ``gzip.decompress`` read them); TooLarge as soon as
    the output passes ``limit``.  Bad data raises OSError, cut-short data EOFError."""
    out = bytearray()
    rest = data
    while rest:
        engine = bz2.BZ2Decompressor() if packing == "bz2" else zlib.decompressobj(31)
        rest = _one_stream(engine, rest, out, limit)
        if packing == "gzip":
            rest = rest.lstrip(b"\0")  # gzip allows padding between members
    return bytes(out)


def _one_stream(engine: Any, data: bytes, out: bytearray, limit: int) -> bytes:
    """Inflate one stream of ``data`` into ``out``; returns what follows it."""
    pending = data
    while True:
        room = limit + 1 - len(out)
        try:
            if isinstance(engine, bz2.BZ2Decompressor):
                chunk = engine.decompress(pending, max_length=min(CHUNK, room))
                done, pending = engine.eof, b""
            else:
                chunk = engine.decompress(pending, min(CHUNK, room))
                pending, done = engine.unconsumed_tail, engine.eof
        except zlib.error as exc:
            raise OSError(str(exc)) from None
        out += chunk
        if len(out) > limit:
            raise TooLarge(limit)
        if done:
            return engine.unused_data
        if not chunk and not pending and _starved(engine):
            raise EOFError("compressed data ended before the end-of-stream marker")


def _starved(engine: Any) -> bool:
    """Whether the engine has consumed all its input and can give nothing more."""
    if isinstance(engine, bz2.BZ2Decompressor):
        return engine.needs_input
    return not engine.unconsumed_tail
