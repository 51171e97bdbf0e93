"""HTTP headers for every file the builder (and Pagefind) can emit.

S3 stores ``Content-Type`` and ``Cache-Control`` per object and serves them as given, so they
are decided here, once, from the key alone (the same key always gets the same headers, which is
what lets the planner treat a header change as a change).

Caching: files whose *name* changes when their bytes change (``assets/style.3f2a9c1b.css``,
Pagefind's hashed index chunks) can be cached forever; everything else is ``no-cache``, which
still lets browsers keep a copy and revalidate it cheaply (S3 answers 304 on a matching ETag).
"""

from __future__ import annotations

import re
from posixpath import basename, splitext

IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
UTF8 = "; charset=utf-8"

_TEXT_TYPES: dict[str, str] = {
    ".html": "text/html",
    ".htm": "text/html",
    ".css": "text/css",
    ".js": "text/javascript",
    ".mjs": "text/javascript",
    ".json": "application/json",
    ".map": "application/json",
    ".webmanifest": "application/manifest+json",
    ".xml": "application/xml",
    ".txt": "text/plain",
    ".md": "text/markdown",
    ".csv": "text/csv",
    ".svg": "image/svg+xml",
}
_BINARY_TYPES: dict[str, str] = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".avif": "image/avif",
    ".ico": "image/x-icon",
    ".bmp": "image/bmp",
    ".woff2": "font/woff2",
    ".woff": "font/woff",
    ".ttf": "font/ttf",
    ".otf": "font/otf",
    ".pdf": "application/pdf",
    ".wasm": "application/wasm",
    ".zip": "application/zip",
    ".mp4": "video/mp4",
    ".webm": "video/webm",
    ".ogv": "video/ogg",
    ".mov": "video/quicktime",
    ".mkv": "video/x-matroska",
    ".mp3": "audio/mpeg",
    ".ogg": "audio/ogg",
    ".oga": "audio/ogg",
    ".opus": "audio/ogg",
    ".wav": "audio/wav",
    ".m4a": "audio/mp4",
    ".flac": "audio/flac",
    ".3gp": "audio/3gpp",
    # Pagefind's index chunks are gzip-compressed binary that pagefind.js fetches and inflates
    # itself; they must NOT be labelled gzip (Content-Encoding) or the browser would inflate them.
    ".pf_meta": "application/octet-stream",
    ".pf_fragment": "application/octet-stream",
    ".pf_index": "application/octet-stream",
    ".pf_filter": "application/octet-stream",
    ".pagefind": "application/wasm",
}
_SPECIAL_NAMES: dict[str, str] = {
    "feed.xml": "application/atom+xml" + UTF8,
    "atom.xml": "application/atom+xml" + UTF8,
    "rss.xml": "application/rss+xml" + UTF8,
}
DEFAULT_TYPE = "application/octet-stream"

# assets/<name>.<8+ hex>.<ext>: the builder's content-hashed assets.
_HASHED_ASSET = re.compile(r"^assets/(?:.+/)?[^/]+\.[0-9a-f]{8,}\.[A-Za-z0-9]+$")
# Pagefind names its chunks after their content (pagefind/index/en_b2deec9.pf_index, ...).
_PAGEFIND_HASHED = re.compile(r"^pagefind/.*_[0-9a-f]{7,}\.pf_(?:meta|fragment|index|filter)$")


def content_type(key: str) -> str:
    """The ``Content-Type`` for ``key``; text types carry ``charset=utf-8``."""
    name = basename(key)
    if name in _SPECIAL_NAMES:
        return _SPECIAL_NAMES[name]
    ext = splitext(name)[1].lower()
    if ext in _TEXT_TYPES:
        return _TEXT_TYPES[ext] + UTF8
    return _BINARY_TYPES.get(ext, DEFAULT_TYPE)


def is_content_hashed(key: str) -> bool:
    """True when the key's name changes whenever its bytes do (safe to cache forever)."""
    return bool(_HASHED_ASSET.match(key) or _PAGEFIND_HASHED.match(key))


def cache_control(key: str) -> str:
    return IMMUTABLE if is_content_hashed(key) else REVALIDATE
