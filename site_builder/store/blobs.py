"""Rendered note bodies in the build cache: content-addressed blobs appended to pack files.

A cold build of 5,000 notes renders 5,000 bodies, and the page stage needs each one once more.
Keeping them all in memory would make memory grow with the site, so they go to disk; but one
file per body costs a file creation each (about half a millisecond of CPU on this machine's
ext4, more than the page template), while appending to an open file costs microseconds.  So
every process that renders (the main one, or each forked worker) appends the bodies it makes
to a pack file of its own, ``<pid>-<random>.pack``, and reports where each went; the cache's
state keeps the index: digest -> (pack, offset, length).

A pack is written with plain ``os.write`` calls on an ``O_APPEND`` descriptor, so nothing sits
in a user-space buffer when a pool's workers are torn down, and a body is never rewritten in
place: a crash leaves at most a pack that no saved index refers to, which the next build
deletes.  Reads check the body's digest, so a damaged pack is reported, never published.

Edits leave dead bodies behind: ``compact`` rewrites packs that are mostly dead or small (an
edit-and-rebuild loop makes one tiny pack per build) into one new pack, and ``remove_unused``
deletes what the saved index no longer names.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import NamedTuple

from site_builder.core.errors import NotesError
from site_builder.store.cache import digest

PACK_SUFFIX = ".pack"
SMALL_PACK = 1 << 20  # packs under 1 MiB are merged once there are more than MAX_SMALL_PACKS
MAX_SMALL_PACKS = 8


class CacheDamaged(NotesError):
    """A body the cache's index names is gone or its bytes do not match: the build is redone
    without the cache (nothing was written yet: bodies are read while files are made)."""


class BlobRef(NamedTuple):
    """Where one body is stored (a tuple: the cache state stores it as is)."""

    pack: str
    offset: int
    length: int


class BlobStore:
    """Pack files in ``folder`` plus the index of the bodies they hold (owned by the cache
    state, so it is saved with it).  Safe to use from forked workers: each process writes
    its own pack, and reads never share a file offset."""

    def __init__(self, folder: Path, index: dict[str, tuple]):
        self.folder = Path(folder)
        self.index = index  # digest -> BlobRef-shaped tuple
        self._fd: int | None = None
        self._owner = 0  # pid that opened _fd: a forked child must open its own pack
        self._pack = ""
        self._offset = 0
        # Read descriptors by pack, kept open: a page per note reads one body each, and an
        # open() per read cost more than the read on this ext4 (0.1 ms, 1,000 per 1,000 notes).
        # pread never moves a file offset, so forked workers may share inherited ones.
        self._readers: dict[str, int] = {}

    # -- writing ---------------------------------------------------------------------------

    def put(self, html: str) -> tuple[str, BlobRef]:
        """Store one body; returns its digest and where it went (the caller records both in
        the main process with ``record``, since a worker's index dies with it)."""
        data = html.encode("utf-8")
        name = digest(data)
        known = self.index.get(name)
        if known is not None:
            return name, BlobRef(*known)
        return name, self._append(data)

    def record(self, name: str, ref: BlobRef) -> None:
        self.index[name] = tuple(ref)

    def _append(self, data: bytes) -> BlobRef:
        if self._fd is None or self._owner != os.getpid():
            self.folder.mkdir(parents=True, exist_ok=True)
            self._owner, self._offset = os.getpid(), 0
            self._pack = f"{self._owner}-{os.urandom(6).hex()}{PACK_SUFFIX}"
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND
            self._fd = os.open(self.folder / self._pack, flags, 0o644)
        view = memoryview(data)
        while view:
            view = view[os.write(self._fd, view):]
        ref = BlobRef(self._pack, self._offset, len(data))
        self._offset += len(data)
        return ref

    def close(self) -> None:
        """Stop writing to this process's pack (the next ``put`` starts a new one) and close
        the packs opened for reading (a long-running ``notes serve`` keeps no descriptor)."""
        if self._fd is not None and self._owner == os.getpid():
            os.close(self._fd)
        self._fd = None
        readers, self._readers = self._readers, {}
        for fd in readers.values():
            os.close(fd)

    # -- reading ---------------------------------------------------------------------------

    def available(self) -> set[str]:
        """Digests whose bytes are on disk (their pack exists and is long enough); forgets the
        others, so a body that is needed again is written again.  (A cache folder deleted or
        cut short by hand only means those notes are rendered again.)"""
        sizes = {pack: self._size(pack) for pack in {ref[0] for ref in self.index.values()}}
        for name in [d for d, (pack, offset, length) in self.index.items()
                     if offset + length > sizes[pack]]:
            del self.index[name]
        return set(self.index)

    def get(self, name: str) -> str:
        """One body by digest; raises CacheDamaged if the cache no longer holds it intact
        (the build then starts again without the cache)."""
        data = self._read(name)
        if data is None:
            raise CacheDamaged(f"a rendered note in {self.folder.name}/ is missing or damaged")
        return data.decode("utf-8")

    def _read(self, name: str) -> bytes | None:
        """The stored bytes, or None if they are gone or damaged (checked by digest)."""
        try:
            pack, offset, length = self.index[name]
            fd = self._readers.get(pack)
            if fd is None:
                fd = self._readers[pack] = os.open(self.folder / pack, os.O_RDONLY)
            data = os.pread(fd, length, offset)
        except (KeyError, OSError):
            return None
        return data if digest(data) == name else None

    # -- housekeeping ----------------------------------------------------------------------

    def compact(self, keep: Iterable[str]) -> None:
        """Forget bodies outside ``keep``; rewrite packs that are mostly dead, and merge small
        packs once there are many, into one new pack.  Old packs stay until
        ``remove_unused`` (call it after the index naming the new pack is saved)."""
        self.close()
        keep = set(keep) & self.available()
        for name in [d for d in self.index if d not in keep]:
            del self.index[name]
        live: dict[str, int] = {}
        for pack, _, length in self.index.values():
            live[pack] = live.get(pack, 0) + length
        sizes = {p: self._size(p) for p in live}
        small = [p for p in live if sizes[p] < SMALL_PACK]
        rewrite = {p for p in live if live[p] * 2 < sizes[p]}
        if len(small) > MAX_SMALL_PACKS:
            rewrite.update(small)
        if not rewrite:
            return
        for name, ref in sorted(self.index.items(), key=lambda item: item[1]):
            if ref[0] in rewrite:
                data = self._read(name)
                if data is None:  # damaged: forget it, the note will be rendered again
                    del self.index[name]
                else:
                    self.index[name] = tuple(self._append(data))
        self.close()

    def remove_unused(self) -> None:
        """Delete every file of the folder that the index does not name (dead packs, packs
        of a crashed build, blobs of older cache formats)."""
        used = {ref[0] for ref in self.index.values()}
        try:
            names = os.listdir(self.folder)
        except FileNotFoundError:
            return
        for name in names:
            if name not in used:
                try:
                    os.unlink(self.folder / name)
                except (FileNotFoundError, IsADirectoryError, PermissionError):
                    pass

    def _size(self, pack: str) -> int:
        try:
            return os.stat(self.folder / pack).st_size
        except OSError:
            return -1
