"""The built site on this side: a folder or a .zip of one, scanned into ``LocalFile`` values.

A folder built by ``notes build`` comes with a manifest of its files' MD5s and groups (see
``manifest``), so an unchanged deploy of a large site reads only the files that changed.
A zip is what the CDK Lambda receives (the site asset).  Its members are hashed one by one as
streams and read again only when uploaded, so a 10,000-note site never sits in memory at once.
Each file also gets a *group* (asset, note page, list page, or the error page and feeds; a page
says which kind it is with ``<meta name="notes:page" content="...">``), kept in deploy records.
The upload order no longer comes from it but from each page's links (``plan.order_waves``).
"""

from __future__ import annotations

import hashlib
import re
import threading
import zipfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from site_builder.core.errors import DeployError
from site_builder.deploy.headers import cache_control, content_type
from site_builder.deploy.manifest import OUTPUT_MARKER, load_manifest, trusted, walk

GROUP_ASSETS, GROUP_NOTES, GROUP_LISTS, GROUP_LAST = "assets", "notes", "lists", "last"
GROUP_ORDER: tuple[str, ...] = (GROUP_ASSETS, GROUP_NOTES, GROUP_LISTS, GROUP_LAST)
LAST_KEYS = frozenset({"404.html", "feed.xml", "sitemap.xml", "robots.txt"})
PRIVATE_PREFIX = "_notes/"
_CHUNK = 1 << 20
_PAGE_META = re.compile(
    rb"""<meta\s+name=["']notes:page["']\s+content=["'](note|list)["']""", re.IGNORECASE
)


@dataclass(frozen=True)
class LocalFile:
    """One file of the built site, as it must look in the bucket."""

    key: str
    size: int
    md5: str  # hex digest of the bytes
    content_type: str
    cache_control: str
    group: str


class SiteSource(Protocol):
    """Where file bytes come from at upload time (folder or zip)."""

    def scan(self) -> list[LocalFile]: ...

    def read(self, key: str) -> bytes: ...

    def close(self) -> None: ...


GROUP_HEAD = 65536  # how much of a page ``group_of`` is shown (its <meta> is near the top)


def group_of(key: str, head: bytes | None) -> str:
    """The upload group of ``key``; ``head`` is the page's bytes for HTML files."""
    if key in LAST_KEYS:
        return GROUP_LAST
    if not key.endswith((".html", ".htm")):
        return GROUP_ASSETS
    match = _PAGE_META.search(head or b"")
    if match and match.group(1).lower() == b"note":
        return GROUP_NOTES
    # List pages and any unmarked page link to notes, so they go after them.
    return GROUP_LISTS


def _describe(key: str, chunks: Iterator[bytes]) -> LocalFile:
    digest, size = hashlib.md5(usedforsecurity=False), 0
    head = bytearray()
    is_html = key.endswith((".html", ".htm"))
    for chunk in chunks:
        digest.update(chunk)
        size += len(chunk)
        if is_html and len(head) < GROUP_HEAD:
            head.extend(chunk[: GROUP_HEAD - len(head)])
    return LocalFile(key, size, digest.hexdigest(), content_type(key), cache_control(key),
                     group_of(key, bytes(head) if is_html else None))


def _check_key(key: str, where: str) -> None:
    if key.startswith(PRIVATE_PREFIX):
        raise DeployError(f"{where}: the site contains {key!r}",
                          f"{PRIVATE_PREFIX} is the bucket's private area; remove it from the site")


class FolderSource:
    """A built site folder; keys are POSIX paths relative to it.  Files whose stamp matches
    the build's manifest (``site_builder.deploy.manifest``) are not read to be planned."""

    def __init__(self, root: Path):
        self.root = root

    def scan(self) -> list[LocalFile]:
        known = load_manifest(self.root)
        files = []
        for key, st in walk(self.root).items():
            _check_key(key, str(self.root))
            entry = trusted(known, key, st)
            if entry is not None:
                files.append(LocalFile(key, st.st_size, entry[3], content_type(key),
                                       cache_control(key), entry[4]))
            else:
                files.append(self.describe(key))
        return sorted(files, key=lambda f: f.key)

    def describe(self, key: str) -> LocalFile:
        """Hash one file and find its upload group (reading it once, in chunks)."""
        with (self.root / key).open("rb") as fh:
            return _describe(key, iter(lambda: fh.read(_CHUNK), b""))

    def read(self, key: str) -> bytes:
        return (self.root / key).read_bytes()

    def close(self) -> None:
        pass


def refresh_site_manifest(site: Path, changed: Iterable[str] | None = None,
                          rescan: Iterable[str] = (),
                          fresh: Mapping[str, tuple] | None = None) -> int:
    """Called by the builder after each build: record every file's MD5 and upload group beside
    the site so that planning a deploy reads only what changed (``changed``: the keys the
    build wrote or removed, None for all; ``rescan``: folders another tool rewrote;
    ``fresh``: manifest entries the build made as it wrote files: each one's MD5, and
    ``group_of`` its first ``GROUP_HEAD`` bytes).  Returns the files hashed again."""
    from site_builder.deploy.manifest import refresh_manifest

    source = FolderSource(Path(site))

    def describe(key: str) -> tuple[str, str]:
        found = source.describe(key)
        return found.md5, found.group

    return refresh_manifest(Path(site), describe, changed, rescan, fresh)


class ZipSource:
    """A zip of a built site; members are streamed, never all extracted."""

    def __init__(self, path: Path):
        self.path = path
        try:
            self._zip = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError) as exc:
            raise DeployError(f"{path}: not a readable zip file ({exc})",
                              "pass a built site folder or a zip of one") from exc
        self._lock = threading.Lock()  # one shared file handle: serialise member reads
        self._names: dict[str, str] = {}  # key -> member name

    def _members(self) -> Iterator[zipfile.ZipInfo]:
        for info in self._zip.infolist():
            if not info.is_dir() and info.filename.lstrip("/") != OUTPUT_MARKER:
                yield info

    def scan(self) -> list[LocalFile]:
        files = []
        for info in sorted(self._members(), key=lambda i: i.filename):
            key = info.filename.lstrip("/")
            _check_key(key, str(self.path))
            self._names[key] = info.filename
            with self._zip.open(info) as fh:
                files.append(_describe(key, iter(lambda fh=fh: fh.read(_CHUNK), b"")))
        return files

    def read(self, key: str) -> bytes:
        with self._lock:
            return self._zip.read(self._names.get(key, key))

    def close(self) -> None:
        self._zip.close()


class Scanned:
    """A site source whose ``scan`` was done elsewhere: ``notes deploy --site`` scans the
    folder in a forked child (``core.background``) on the other core while it makes its S3
    client; a 5,000-note site's walk and stats take ~0.3 s.  Bytes still come from ``source``."""

    def __init__(self, source: SiteSource, files: list[LocalFile], where: Path):
        self.source, self.files, self.where = source, files, where  # where: as the user said

    def scan(self) -> list[LocalFile]:
        return list(self.files)

    def read(self, key: str) -> bytes:
        return self.source.read(key)

    def close(self) -> None:
        self.source.close()


def scan_site(site: Path) -> list[LocalFile]:
    """``open_site(site).scan()``, closing what it opened."""
    source = open_site(site)
    try:
        return source.scan()
    finally:
        source.close()


def open_site(site: Path) -> SiteSource:
    """A folder or a ``.zip``; anything else is a one-line error naming the path."""
    if site.is_dir():
        return FolderSource(site)
    if site.is_file() and zipfile.is_zipfile(site):
        return ZipSource(site)
    if not site.exists():
        raise DeployError(f"{site}: no such site folder", "run `notes build` first or fix --site")
    raise DeployError(f"{site}: not a folder or a zip file", "pass the built site folder")
