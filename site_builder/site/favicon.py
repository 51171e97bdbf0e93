"""``/favicon.ico`` for clients that ask for it without reading the page's ``<link rel=icon>``
(feed readers, bookmarks): the shipped icon's square and letter, drawn at 32 x 32 and stored
as a PNG inside an ICO.  Made here, not shipped as a binary, so it follows the SVG's colours.
A ``favicon.*`` in the content folder replaces both."""

from __future__ import annotations

import struct
import zlib
from functools import lru_cache

SIZE = 32
ACCENT = (0x2F, 0x6F, 0x5E, 255)
WHITE = (255, 255, 255, 255)
CLEAR = (0, 0, 0, 0)


def _pixel(x: int, y: int) -> tuple[int, int, int, int]:
    """The favicon.svg shapes: a rounded square with an "N" (stems and a diagonal)."""
    corner = 7
    cx = min(max(x + 0.5, corner), SIZE - corner)
    cy = min(max(y + 0.5, corner), SIZE - corner)
    if (x + 0.5 - cx) ** 2 + (y + 0.5 - cy) ** 2 > corner ** 2:
        return CLEAR
    if 9 <= y < 23 and (9 <= x < 12 or 20 <= x < 23):
        return WHITE
    diagonal = 12 + (y - 9) * 8 / 14
    return WHITE if 9 <= y < 23 and diagonal - 2 <= x < diagonal + 1.5 else ACCENT


def _png() -> bytes:
    rows = b"".join(b"\0" + b"".join(bytes(_pixel(x, y)) for x in range(SIZE))
                    for y in range(SIZE))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(
            ">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", SIZE, SIZE, 8, 6, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b""))


@lru_cache(maxsize=1)  # the same bytes every build (`notes serve` builds many in one process)
def favicon_ico() -> bytes:
    png = _png()
    directory = struct.pack("<HHH", 0, 1, 1)
    entry = struct.pack("<BBBBHHII", SIZE, SIZE, 0, 0, 1, 32, len(png), 6 + 16)
    return directory + entry + png
