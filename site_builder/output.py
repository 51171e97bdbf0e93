"""Stage 5: write the site -- into a fresh temporary folder beside the output, then swap it in.

A failed build must leave the previous site untouched (the deploy engine and `notes serve` read
it), so nothing here writes into ``out_dir`` directly.  Assets get a content hash in their
name so they can be cached forever; every byte written is a function of the content alone
(no timestamps), so two builds of the same notes are byte-identical.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from site_builder.errors import ContentError

PRIVATE_PREFIX = "_notes/"
STATIC_DIR = Path(__file__).resolve().parent / "static"


@dataclass(frozen=True)
class OutputFile:
    """One file of the built site: bytes to write, or a source file to copy."""

    path: str  # output-relative posix path
    owner: str  # what produced it, named in "same URL" errors
    data: bytes | None = None
    source: Path | None = None


def hashed_name(name: str, data: bytes) -> str:
    """``style.css`` -> ``style.3f2a9c1b.css`` (first 8 hex digits of the SHA-256)."""
    stem, dot, ext = name.rpartition(".")
    digest = hashlib.sha256(data).hexdigest()[:8]
    return f"{stem}.{digest}.{ext}" if dot else f"{name}.{digest}"


def static_assets(extra_css: str = "") -> dict[str, OutputFile]:
    """The packaged CSS/JS, hashed: maps the plain name templates ask for to its file."""
    assets = {}
    for path in sorted(STATIC_DIR.iterdir()):
        if not path.is_file() or path.name.startswith("."):
            continue
        data = path.read_bytes()
        if path.suffix == ".css" and extra_css:
            data = data + b"\n" + extra_css.encode("utf-8")
        out = f"assets/{hashed_name(path.name, data)}"
        assets[path.name] = OutputFile(out, f"the asset {path.name}", data=data)
    return assets


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
    """A temporary folder in ``out_dir``'s parent (same filesystem, so the swap is a rename).
    Removed if the build fails; on success the caller calls ``swap``."""
    out_dir = out_dir.resolve()
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.building-", dir=out_dir.parent))
    try:
        yield tmp
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def write_files(root: Path, files: Iterable[OutputFile]) -> int:
    count = 0
    for item in files:
        target = root / item.path
        target.parent.mkdir(parents=True, exist_ok=True)
        if item.data is not None:
            target.write_bytes(item.data)
        elif item.source is not None:
            shutil.copyfile(item.source, target)
        count += 1
    return count


def swap(tmp: Path, out_dir: Path) -> None:
    """Replace ``out_dir`` with ``tmp``: two renames, so readers never see a half-built site."""
    out_dir = out_dir.resolve()
    os.chmod(tmp, 0o755)
    old = None
    if out_dir.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.old-", dir=out_dir.parent))
        os.rmdir(old)
        os.rename(out_dir, old)
    os.rename(tmp, out_dir)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
