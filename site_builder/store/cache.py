"""The incremental build cache in ``.notes-cache/``: what the last build read, rendered and wrote.

A warm build asks three questions, each answered from here instead of redoing the work:

* is this note file the one we parsed last time?  (``notes``: size, mtime and content digest)
* is its rendered HTML still right?  (``renders``: the source digest it came from, and every
  link it made with the URL that link resolved to; the HTML itself is a blob named by its
  digest, kept in pack files, see ``site_builder.store.blobs``; ``blobs`` is their index)
* is this output file already what we would write?  (``outputs``: the inputs key of each file
  and the digest, size and mtime of what is on disk)

The state holds plain values only (tuples, strings, numbers: each type packs itself, see
``vault.content.pack_note`` and ``markdown.render.RenderEntry.pack``) serialised with ``marshal``: loading
5,000 notes' worth takes milliseconds, and unlike pickle, loading can never run code.  It sits
behind a header (a format number, the versions of everything that shapes the output, the
project and content folders) and a SHA-256 of the payload.  Anything that does not match
(another version, another project, a truncated or edited file) is discarded with a warning and
the build starts from nothing: a wrong cache would publish a wrong site, a missing one only
costs time.  Writes go to a temporary file renamed into place.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import marshal
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from site_builder.core.errors import NotesError
from site_builder.core.versions import installed_version

CACHE_DIRNAME = ".notes-cache"
FORMAT = 6  # 2: note bodies in pack files; 3: search_pages; 4: search_bundles; 5: weight;
# 6: search_pending
STATE_FILE = "state.bin"  # the state file, whose stamp tells a reader another process saved
_LOCK = "lock"
BLOBS_DIRNAME = "html"
# Files modified this close to the last save may share its mtime tick: verify them by content.
RACY_NS = 2_000_000_000
_LIBRARIES = ("markdown", "pymdown-extensions", "latex2mathml", "pygments", "jinja2", "pyyaml",
              "markupsafe", "pagefind-bin")


def digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def page_key(*parts: Any) -> str:
    """Digest of everything a page shows: equal keys mean byte-identical pages.  ``repr`` of
    frozen dataclasses, tuples, strings and dates is deterministic, which is all keys hold."""
    return digest(repr(parts).encode("utf-8"))


class Stamp(NamedTuple):
    """How a source file looked when it was read (a tuple: the cache stores it as is)."""

    size: int
    mtime_ns: int
    digest: str


class OutputEntry(NamedTuple):
    """One file of the output folder: the inputs key it was made from and what is on disk."""

    key: str
    digest: str
    size: int
    mtime_ns: int


@dataclass
class CacheState:
    """Everything one build leaves for the next, as plain values (mutable while a build runs)."""

    notes: dict[str, tuple] = field(default_factory=dict)  # source -> (*Stamp, packed Note)
    renders: dict[str, tuple] = field(default_factory=dict)  # source -> packed RenderEntry
    outputs: dict[str, OutputEntry] = field(default_factory=dict)  # output path -> entry
    out_dir: str = ""
    search_key: str | None = None
    index_key: str | None = None  # links.index_key of the index the renders resolved against
    inputs_key: str | None = None  # every input of the last successful build, digested
    summary: tuple = ()  # (pages, files, warnings) that build reported
    saved_ns: int = 0
    blobs: dict[str, tuple] = field(default_factory=dict)  # html digest -> (pack, offset, length)
    # html output path -> (file digest, digest of the part Pagefind indexes, "" for none)
    search_pages: dict[str, tuple] = field(default_factory=dict)
    # search index bundle ("" primary, "shard-NN") -> key it was made from (search_shards)
    search_bundles: dict[str, str] = field(default_factory=dict)
    # html output path -> (digest its shard's bundle holds, its fragment id there) for each
    # page changed since its shard was made (site_builder.search.recent)
    search_pending: dict[str, tuple] = field(default_factory=dict)

    def pack(self) -> tuple:
        return (self.notes, self.renders, {k: tuple(v) for k, v in self.outputs.items()},
                self.out_dir, self.search_key, self.index_key, self.inputs_key, self.summary,
                self.saved_ns, self.blobs, self.search_pages, self.search_bundles,
                self.search_pending)

    @classmethod
    def unpack(cls, data: Any) -> CacheState:
        """The state in ``data``; raises ValueError unless every entry has the shape the
        build reads (a wrong type deep inside would otherwise surface as a traceback in the
        middle of a build instead of a discarded cache)."""
        if not _shaped(data, _STATE_SHAPE):
            raise ValueError("unexpected content")
        notes, renders, outputs, out_dir, search_key, index_key, inputs_key, summary, \
            saved_ns, blobs, search_pages, search_bundles, search_pending = data
        checks = ((notes, _NOTE_SHAPE), (renders, _RENDER_SHAPE), (outputs, _OUTPUT_SHAPE),
                  (blobs, _BLOB_SHAPE))
        for table, shape in checks:
            if not all(isinstance(k, str) and _shaped(v, shape) for k, v in table.items()):
                raise ValueError("unexpected entry")
        if summary != () and not _shaped(summary, (int, int, tuple)):
            raise ValueError("unexpected summary")
        return cls(notes, renders, {k: OutputEntry(*v) for k, v in outputs.items()}, out_dir,
                   search_key, index_key, inputs_key, summary, saved_ns, blobs, search_pages,
                   search_bundles, search_pending)


_OPT_STR = (str, type(None))
_OPT_INT = (int, type(None))
_STATE_SHAPE = (dict, dict, dict, str, _OPT_STR, _OPT_STR, _OPT_STR, tuple, int, dict, dict,
                dict, dict)
# content.pack_note: source, shown, title, url, section, body_line, date, updated, tags,
# draft, summary, is_index, warnings, aliases, anchors, cssclasses, properties, redirects,
# weight
_PACKED_NOTE = (str, str, str, str, str, int, _OPT_INT, _OPT_INT, tuple, bool, _OPT_STR, bool,
                tuple, tuple, tuple, tuple, tuple, tuple, (float, type(None)))
_NOTE_SHAPE = (int, int, str, ("nested", _PACKED_NOTE))
# render.RenderEntry.pack: digest, source, toc, ids, links, words, summary, html digest, urls;
# each link is a links.Link (line, raw, target, anchor, problem, kind)
_LINK = (_OPT_INT, str, _OPT_STR, _OPT_STR, _OPT_STR, str)
_RENDER_SHAPE = (str, str, str, tuple, tuple, int, str, str, tuple, tuple)  # RenderEntry.pack
_OUTPUT_SHAPE = (str, str, int, int)
_BLOB_SHAPE = (str, int, int)


def _shaped(value: Any, shape: tuple) -> bool:
    """Is ``value`` a tuple with one item per entry of ``shape``, each of that type (or, for
    ``("nested", inner)``, itself shaped like ``inner``)?"""
    if not isinstance(value, tuple) or len(value) != len(shape):
        return False
    for item, kind in zip(value, shape):
        if isinstance(kind, tuple) and kind[0] == "nested":
            if not _shaped(item, kind[1]):
                return False
        elif not isinstance(item, kind):
            return False
    if shape is _RENDER_SHAPE:
        return all(_shaped(link, _LINK) for link in value[4])
    return True


PACKAGE_DIR = Path(__file__).resolve().parents[1]  # site_builder/


def files_digest(*patterns: str) -> str:
    """Digest of the package's files matching ``patterns`` (names and bytes), e.g. its code
    or its shipped templates: what a cache or a build must have been made with.  Within one
    process the bytes are read again only when a file's size, mtime or inode changed (a
    `notes serve` rebuild read all of them twice, ~15 ms, to find the same digests)."""
    paths = sorted({p for pattern in patterns for p in PACKAGE_DIR.glob(pattern) if p.is_file()})
    stamps = []
    for path in paths:
        st = path.stat()
        stamps.append((path, st.st_size, st.st_mtime_ns, st.st_ino))
    key = (patterns, tuple(stamps))
    if key not in _FILES_DIGESTS:
        h = hashlib.blake2b(digest_size=16)
        for path in paths:
            h.update(path.relative_to(PACKAGE_DIR).as_posix().encode() + b"\0"
                     + path.read_bytes())
        _FILES_DIGESTS[key] = h.hexdigest()
    return _FILES_DIGESTS[key]


_FILES_DIGESTS: dict[tuple, str] = {}


def fingerprint(project_dir: Path, content_dir: Path) -> dict[str, Any]:
    """What a cache must have been made with to be trusted by this build."""
    from site_builder import __version__

    versions = {name: installed_version(name) for name in _LIBRARIES}
    return {
        "format": FORMAT,
        "notes-publisher": __version__,
        "code": files_digest("**/*.py"),  # a cache made by other code is not trusted
        "python": sys.version.split()[0],
        "libraries": versions,
        "project": str(Path(project_dir).resolve()),
        "content": str(Path(content_dir).resolve()),
    }


class BuildCache:
    """The cache folder: the state file (and, in ``html/``, the note bodies' pack files)."""

    def __init__(self, root: Path, expected: dict[str, Any]):
        self.root = Path(root)
        self.blob_dir = self.root / BLOBS_DIRNAME
        self.expected = expected

    def load(self) -> tuple[CacheState, str | None]:
        """The saved state, or an empty one and a warning saying why the saved one was not used.
        A missing cache is normal (no warning)."""
        path = self.root / STATE_FILE
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return CacheState(), None
        except OSError as exc:
            return CacheState(), self._discard(f"unreadable: {exc.strerror or exc}")
        header, _, rest = raw.partition(b"\n")
        checksum, _, payload = rest.partition(b"\n")
        try:
            found = json.loads(header)
        except ValueError:
            return CacheState(), self._discard("not a notes-publisher cache")
        if not isinstance(found, dict) or found.get("format") is None:
            return CacheState(), self._discard("not a notes-publisher cache")
        if found != self.expected:
            reason = next((k for k in self.expected if found.get(k) != self.expected[k]), "header")
            reason = {"libraries": "library version", "python": "Python"}.get(reason, reason)
            return CacheState(), self._discard(f"made with a different {reason}")
        if hashlib.sha256(payload).hexdigest().encode() != checksum:
            return CacheState(), self._discard("corrupted: checksum mismatch")
        try:
            state = CacheState.unpack(marshal.loads(payload))
        except Exception as exc:  # noqa: BLE001 - any decoding failure means "do not trust"
            return CacheState(), self._discard(f"corrupted: {type(exc).__name__}")
        return state, None

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the cache's lock file for one build; another build of the project waits."""
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            fh = open(self.root / _LOCK, "a+b")  # noqa: SIM115 - closed by the with below
        except OSError as exc:
            raise NotesError(f"cannot use the build cache folder {self.root}: "
                             f"{exc.strerror or exc} (remove it; it only holds the build "
                             "cache)") from None
        with fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def discard_warning(self, reason: str) -> str:
        return self._discard(reason)

    def _discard(self, reason: str) -> str:
        return f"discarded the build cache {self.root.name}/ ({reason}); building everything"

    def save(self, state: CacheState) -> str | None:
        """Write the state atomically; a cache that cannot be written only costs speed, so
        that is a warning (returned), not an error."""
        state.saved_ns = time.time_ns()
        payload = marshal.dumps(state.pack())
        header = json.dumps(self.expected, sort_keys=True).encode()
        checksum = hashlib.sha256(payload).hexdigest().encode()
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            _atomic_write(self.root / STATE_FILE, b"\n".join((header, checksum, payload)))
        except OSError as exc:
            return (f"could not save the build cache {self.root.name}/ "
                    f"({exc.strerror or exc}); the next build starts from nothing")
        return None


def _atomic_write(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
