"""The output folder's one writer: only the files whose bytes change, and only once all are made.

A failed build must leave the previous site untouched (the deploy engine and `notes serve` read
it), so every file is first made into a temporary folder beside the output; only when every page
has been made are the changed ones moved into place (one rename each) and the files the site no
longer has removed.  A file whose bytes would not change is not rewritten: its mtime stays, so
tools that watch the output (and the deploy engine's upload plan) see only real changes.

Each file carries a *key*, a digest of everything it is made from.  When the key and the file on
disk both match what the build cache recorded, the file is not even made again.  Assets get a
content hash in their name so they can be cached forever; every byte written is a function of
the content alone (no timestamps), so two builds of the same notes are byte-identical.
``site_builder.pipeline.write`` is the stage that calls this.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Callable, Collection, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from site_builder.core.errors import ContentError
from site_builder.core.processes import pid_alive
from site_builder.deploy.local import GROUP_HEAD, group_of
from site_builder.store.cache import OutputEntry, digest
from site_builder.store.outfolder import inside

PRIVATE_PREFIX = "_notes/"


@dataclass(frozen=True)
class OutputFile:
    """One file of the built site: bytes, a function making them, or a source file to copy."""

    path: str  # output-relative posix path
    owner: str  # what produced it, named in "same URL" errors
    data: bytes | None = None
    source: Path | None = None
    make: Callable[[], bytes] | None = None
    key: str = ""  # digest of the inputs; "" means "the data itself"

    def content(self) -> bytes:
        if self.data is not None:
            return self.data
        if self.make is not None:
            return self.make()
        assert self.source is not None, f"{self.path}: nothing to write"
        return self.source.read_bytes()

    @property
    def input_key(self) -> str:
        if self.key:
            return self.key
        if self.data is not None:
            return digest(self.data)
        return ""  # unknown inputs: always made again


@dataclass(frozen=True)
class Made:
    """What making one file did: its new cache entry, and whether it was written."""

    path: str
    entry: OutputEntry
    written: bool
    manifest: tuple | None = None  # the deploy manifest's entry, for a file written here


def source_key(path: Path) -> str:
    """Inputs key of a copied file: its size and mtime (a changed file is copied again)."""
    st = os.stat(path)
    return f"file:{st.st_size}:{st.st_mtime_ns}"


def check_unique(files: Iterable[OutputFile]) -> list[OutputFile]:
    """Two producers for one output path is a content error naming both."""
    seen: dict[str, OutputFile] = {}
    for item in files:
        if item.path.startswith(PRIVATE_PREFIX) or item.path == PRIVATE_PREFIX.rstrip("/"):
            raise ContentError("'_notes/' is the bucket's private area; rename this", item.owner)
        if item.path in seen:
            url = "/" + item.path.removesuffix("index.html")
            raise ContentError(f"maps to the same URL {url} as {seen[item.path].owner}",
                               item.owner)
        seen[item.path] = item
    return [seen[p] for p in sorted(seen)]


@contextmanager
def staging(out_dir: Path) -> Iterator[Path]:
    """A temporary folder in ``out_dir``'s parent (same filesystem, so moving a file in is a
    rename).  Removed when the build ends, whether it failed or not."""
    out_dir = out_dir.resolve()
    try:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        tmp = temp_folder(f".{out_dir.name}.building-", out_dir.parent)
    except OSError as exc:
        raise ContentError(f"cannot write the output folder {out_dir}: {exc.strerror} (pass "
                           "--out with a folder you can write)") from None
    try:
        yield tmp
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def temp_folder(prefix: str, parent: Path | str | None) -> Path:
    """A new temporary folder in ``parent`` (None: the system's), named with this process's
    id; the folders of that prefix left by processes that are gone are removed first (a
    build killed with ``kill -9``, or a power cut, cannot clean up after itself, and its
    folder may be in memory: the search step's pages go to ``/dev/shm``)."""
    folder = str(parent) if parent is not None else tempfile.gettempdir()
    try:
        names = os.listdir(folder)
    except OSError:
        names = []
    for name in names:
        pid = name[len(prefix):].split("-", 1)[0] if name.startswith(prefix) else ""
        if pid.isdigit() and not pid_alive(int(pid)):
            shutil.rmtree(os.path.join(folder, name), ignore_errors=True)
    return Path(tempfile.mkdtemp(prefix=f"{prefix}{os.getpid()}-", dir=parent))


def intact(path: Path | str, entry: OutputEntry) -> bool:
    """Is the file on disk the one the cache recorded (same size and mtime)?"""
    try:
        st = os.stat(path)
    except OSError:
        return False
    return st.st_size == entry.size and st.st_mtime_ns == entry.mtime_ns


def needs_making(item: OutputFile, entry: OutputEntry | None, out_dir: Path) -> bool:
    key = item.input_key
    # A string path: every build checks every output file, and pathlib's joins cost more
    # than the stat (5,000 of each in a one-note rebuild).
    return (not key or entry is None or entry.key != key
            or not intact(os.path.join(out_dir, item.path), entry))


def same_bytes(path: Path, data: bytes) -> bool:
    """Whether ``path`` already holds exactly ``data`` (size first: most differences are
    caught without reading the file)."""
    try:
        if os.stat(path).st_size != len(data):
            return False
        return path.read_bytes() == data
    except OSError:
        return False


def file_digest(data: bytes) -> str:
    """The digest the cache keeps of an output file's bytes: their MD5, which the deploy
    manifest needs for every file written anyway, so a new page is hashed once, not twice."""
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def make_file(item: OutputFile, entry: OutputEntry | None, out_dir: Path, stage: Path) -> Made:
    """Make one file; write it into ``stage`` only if the output does not already hold it."""
    data = item.content()
    found = file_digest(data)
    target = out_dir / item.path
    if entry is not None and entry.digest == found and intact(target, entry):
        return Made(item.path, entry._replace(key=item.input_key), False)
    if same_bytes(target, data):
        st = os.stat(target)
        return Made(item.path, OutputEntry(item.input_key, found, st.st_size, st.st_mtime_ns),
                    False)
    dest = stage / item.path
    _make_dir(dest.parent)
    dest.write_bytes(data)
    st = os.stat(dest)
    # MD5 and upload group while the bytes are at hand (in a worker): the manifest refresh
    # after the build would otherwise read every written file back (renames keep the stamp).
    manifest = (st.st_size, st.st_mtime_ns, st.st_ino, found,
                group_of(item.path, data[:GROUP_HEAD]))
    return Made(item.path, OutputEntry(item.input_key, found, st.st_size, st.st_mtime_ns), True,
                manifest)


_MADE_DIRS: set[str] = set()  # staging folders this process made (stage paths are unique)


def _make_dir(folder: Path) -> None:
    """``mkdir -p`` once per folder and process: most pages share their folder's parents,
    and a failing ``mkdir`` of an existing folder costs a system call and an exception."""
    key = str(folder)
    if key not in _MADE_DIRS:
        folder.mkdir(parents=True, exist_ok=True)
        if len(_MADE_DIRS) > 100_000:  # a long `notes serve` session: start afresh
            _MADE_DIRS.clear()
        _MADE_DIRS.add(key)


def commit(stage: Path, out_dir: Path, written: Iterable[str], keep: set[str],
           owned: Collection[str]) -> list[str]:
    """Move the written files into ``out_dir`` and remove the files the site no longer has,
    among ``owned`` (the files earlier builds wrote there: the cache's record and the folder's
    marker, ``store.outfolder``).  A file no build wrote is never replaced nor removed: one in
    the way of a new page is an error naming it, raised before anything moves.  Returns the
    removed paths.  Only renames and unlinks: nothing here can fail half-way for a content
    reason."""
    out_dir = out_dir.resolve()
    if not out_dir.exists():
        os.chmod(stage, 0o755)
        os.rename(stage, out_dir)
        return []
    written = list(written)
    outside = [p for p in written if p not in owned and os.path.lexists(out_dir / p)]
    outside += [f"{d}/" for d in _leaving(out_dir, {os.path.dirname(p) for p in written})]
    if outside:
        raise ContentError(f"{out_dir / outside[0]} was not written by notes build, and the "
                           "site needs that path: move it out of the output folder")
    made_dirs: set[str] = set()
    for path in written:
        parent = os.path.dirname(path)
        if parent not in made_dirs:
            (out_dir / parent).mkdir(parents=True, exist_ok=True)
            made_dirs.add(parent)
        os.replace(stage / path, out_dir / path)
    gone = [p for p in owned if p not in keep and os.path.lexists(out_dir / p)]
    away = _leaving(out_dir, {os.path.dirname(p) for p in gone})
    removed = sorted(p for p in gone if os.path.dirname(p) not in away)
    for path in removed:
        os.unlink(out_dir / path)
    _prune_empty_dirs(out_dir, {os.path.dirname(p) for p in removed})
    return removed


def _leaving(out_dir: Path, folders: set[str]) -> set[str]:
    """Those of ``folders`` (relative to ``out_dir``) that a symbolic link leads out of it:
    nothing is written or removed through them.  One ``realpath`` per folder."""
    return {d for d in folders if d and not inside(out_dir, out_dir / d / "x")}


def _prune_empty_dirs(out_dir: Path, candidates: set[str]) -> None:
    """Remove folders left empty by removed files (deepest first), never ``out_dir`` itself."""
    for rel in sorted(candidates, key=lambda d: d.count("/"), reverse=True):
        while rel:
            try:
                os.rmdir(out_dir / rel)
            except OSError:
                break
            rel = os.path.dirname(rel)
