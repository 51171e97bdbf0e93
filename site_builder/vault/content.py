"""Stage 1: read the content folder into plain values (notes, sections, attachments).

Nothing here knows about Markdown or HTML.  Every problem a user can make in a file (bad
UTF-8, malformed front matter, a date that does not parse, a slug that escapes the site, two
notes on one URL) is a one-line ``ContentError`` naming the file and, where there is one, the
line, raised before anything is rendered or written.  The front matter block itself is
split, parsed and checked by ``frontmatter``.
"""

from __future__ import annotations

import datetime as dt
import os
import posixpath
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from site_builder.core.errors import ContentError
from site_builder.store.cache import Stamp, digest
from site_builder.vault.frontmatter import (
    check_keys,
    draft_value,
    key_line,
    parse_date,
    parse_tags,
    parse_weight,
    split_front_matter,
)
from site_builder.vault.walk import walk

INDEX_NAME = "_index.md"
# Output folders written by other tools (Pagefind) or never written (_notes/ is the bucket's
# private area), so content may not claim them.
RESERVED_PREFIXES = ("_notes", "pagefind")
_FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
_H1 = re.compile(r"^#\s+(.+?)(?:\s+#+)?\s*$")


@dataclass(frozen=True)
class Note:
    """One Markdown file (a note, or a folder's ``_index.md`` intro) ready to render."""

    source: str  # content-relative posix path, e.g. "docker/networking.md"
    display_path: str  # what error messages name, e.g. "content/docker/networking.md"
    title: str
    url: str  # root-relative pretty URL, e.g. "/docker/networking/"
    section: str  # content-relative folder, "" for the root
    body: str
    body_line: int  # file line number of the first body line
    date: dt.date | None = None
    updated: dt.date | None = None
    tags: tuple[str, ...] = ()
    draft: bool = False
    summary: str | None = None
    is_index: bool = False
    warnings: tuple[str, ...] = ()  # one line each, "file:line: message" (kept in the cache)
    weight: float | None = None  # ``order``/``weight``: its place in lists before the title

    @property
    def output_path(self) -> str:
        return url_to_output(self.url)


def _ordinal(day: dt.date | None) -> int | None:
    return day.toordinal() if day else None


def _day(ordinal: int | None) -> dt.date | None:
    return dt.date.fromordinal(ordinal) if ordinal else None


def pack_note(note: Note) -> tuple:
    """A note without its body as plain values, for the build cache."""
    n = note
    return (n.source, n.display_path, n.title, n.url, n.section, n.body_line, _ordinal(n.date),
            _ordinal(n.updated), n.tags, n.draft, n.summary, n.is_index, n.warnings, n.weight)


def unpack_note(data: tuple) -> Note:
    """The inverse of ``pack_note`` (the body stays empty: it is read again if needed)."""
    source, shown, title, url, section, body_line, date, updated, tags, draft, summary, \
        is_index, warnings, weight = data
    return Note(source, shown, title, url, section, "", body_line, _day(date), _day(updated),
                tuple(tags), draft, summary, is_index, tuple(warnings), weight)


@dataclass(frozen=True)
class Asset:
    """A non-Markdown file copied beside the notes that use it."""

    source: str  # content-relative posix path, also its output path
    path: Path  # absolute file on disk

    @property
    def url(self) -> str:
        return "/" + self.source


@dataclass(frozen=True)
class Content:
    """Everything read from the content folder.  ``hidden_drafts`` are drafts left out of
    this build: kept only so a link to one can be reported with the reason."""

    notes: tuple[Note, ...]
    intros: tuple[Note, ...]  # _index.md files, keyed by their ``section``
    assets: tuple[Asset, ...]
    hidden_drafts: tuple[Note, ...]
    stamps: Mapping[str, Stamp] = field(default_factory=dict)  # source -> how it was read
    reused: frozenset[str] = frozenset()  # notes taken from the build cache (body not loaded)
    warnings: tuple[str, ...] = ()  # every note's warnings, in file order (drafts' too)


def url_to_output(url: str) -> str:
    """``/a/b/`` -> ``a/b/index.html``; ``/`` -> ``index.html``."""
    return url.strip("/") + "/index.html" if url.strip("/") else "index.html"


def display_path(path: Path, project_dir: Path) -> str:
    """Paths in messages are relative to the project when possible: clickable in a terminal."""
    try:
        return path.resolve().relative_to(project_dir.resolve()).as_posix()
    except ValueError:
        return str(path)


@lru_cache(maxsize=16)
def _display_prefix(content_dir: Path, project_dir: Path) -> str:
    """How the content folder is shown in messages ("content/"), computed once per build
    instead of resolving every note's path."""
    shown = display_path(content_dir, project_dir)
    return "" if shown == "." else shown.rstrip("/") + "/"


@lru_cache(maxsize=1 << 14)  # a site's few folder names, once each
def url_segment(name: str) -> str:
    """File and folder names become URL segments; whitespace becomes '-' (S3-friendly keys)."""
    return re.sub(r"\s+", "-", name.strip())


def decode(data: bytes, shown: str) -> str:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        bad = data[exc.start : exc.start + 1].hex()
        raise ContentError(f"not valid UTF-8 (byte 0x{bad})", shown, line) from None
    text = text.removeprefix("\ufeff")
    # The test first: a replace that finds nothing still costs 7 us a note (0.035 s at 5,000).
    return text.replace("\r\n", "\n") if "\r" in text else text


def first_heading(body: str) -> tuple[str | None, str]:
    """The first ``# heading`` outside code, and the body with that line blanked if it opens
    the note (it becomes the page title; blanking keeps line numbers right)."""
    fence: str | None = None
    seen_text = False
    start = 0
    while start >= 0:  # line by line, without splitting the whole body (it is usually line 1)
        line_start, end = start, body.find("\n", start)
        line = body[start:] if end < 0 else body[start:end]
        start = -1 if end < 0 else end + 1
        match = _FENCE.match(line)
        if match:
            marker = match.group(1)[0] * 3
            fence = None if fence and marker == fence else (fence or marker)
            seen_text = True
            continue
        if fence:
            continue
        heading = _H1.match(line)
        if heading:
            if not seen_text:  # blank the line, keep its newline
                rest = body[end:] if end >= 0 else ""
                return heading.group(1).strip(), body[:line_start] + rest
            return heading.group(1).strip(), body
        if line.strip():
            seen_text = True
    return None, body


def note_url(source: str, slug: Any, shown: str, fm_lines: list[str]) -> str:
    """Pretty URL of a note: its folder plus its file name (or ``slug``), as a directory."""
    folder = posixpath.dirname(source)
    name = posixpath.splitext(posixpath.basename(source))[0]
    if slug is not None:
        text = str(slug).strip()
        line = key_line(fm_lines, "slug")
        parts = text.strip("/").split("/")
        if not text or text.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", text) or any(
            p in ("..", ".", "") for p in parts
        ) or "\\" in text:
            raise ContentError(f"slug '{text}' would escape the output folder", shown, line)
        name = text.strip("/")
    segments = [url_segment(s) for s in (folder.split("/") if folder else [])]
    segments += [url_segment(s) for s in name.split("/")]
    return "/" + "/".join(segments) + "/"


def load_note(path: Path, content_dir: Path, project_dir: Path) -> Note:
    """Read one ``.md`` file into a Note (a pure function of the file, for worker processes)."""
    source = path.relative_to(content_dir).as_posix()
    return parse_note(path.read_bytes(), source, content_dir, project_dir)


def parse_note(raw: bytes, source: str, content_dir: Path, project_dir: Path) -> Note:
    """The Note in ``raw``, the bytes of the file ``content_dir/source``."""
    shown = _display_prefix(content_dir, project_dir) + source
    data, body, body_line, fm_lines = split_front_matter(decode(raw, shown), shown)
    heading, stripped = first_heading(body)
    title = data.get("title")
    title = str(title).strip() if title not in (None, "") else None
    if title is None or title == heading:
        body = stripped if heading else body
    is_index = posixpath.basename(source) == INDEX_NAME
    section = posixpath.dirname(source)
    if is_index:
        url = "/" + "/".join(url_segment(s) for s in section.split("/")) + "/" if section else "/"
        fallback = posixpath.basename(section).replace("-", " ").replace("_", " ").capitalize()
    else:
        url = note_url(source, data.get("slug"), shown, fm_lines)
        fallback = posixpath.splitext(posixpath.basename(source))[0]
    summary = data.get("summary")
    return Note(
        source=source,
        display_path=shown,
        title=title or heading or fallback or "Home",
        url=url,
        section=section,
        body=body,
        body_line=body_line,
        date=parse_date(data.get("date"), "date", shown, fm_lines),
        updated=parse_date(data.get("updated"), "updated", shown, fm_lines),
        tags=parse_tags(data.get("tags"), shown, fm_lines),
        draft=draft_value(data.get("draft"), shown, fm_lines),
        summary=str(summary).strip() if summary not in (None, "") else None,
        is_index=is_index,
        warnings=check_keys(data, shown, fm_lines),
        weight=parse_weight(data, shown, fm_lines),
    )


def _check_reserved(url: str, shown: str) -> None:
    first = url.strip("/").split("/", 1)[0]
    if first in RESERVED_PREFIXES:
        raise ContentError(f"'{first}/' is reserved for the builder; rename or move this file",
                           shown)


def _trusted(source: str, path: Path, known: Mapping[str, tuple],
             trust_before_ns: int) -> tuple[Note, Stamp, bool] | None:
    """The cached note, if the file's size and mtime say it is unchanged (and its mtime is
    old enough not to share a tick with the cached read); None means "read it"."""
    cached = known.get(source)
    if not cached:
        return None
    st = os.stat(path)
    if cached[0] == st.st_size and cached[1] == st.st_mtime_ns and st.st_mtime_ns < trust_before_ns:
        seen = _unpacked.get(source)
        if seen is None or seen[0] is not cached[3]:  # the very object, not merely equal
            seen = _unpacked[source] = (cached[3], unpack_note(cached[3]))
        return seen[1], Stamp(*cached[:3]), True
    return None


# source -> (packed note, its Note): a long-lived process (`notes serve`) keeps the same packed
# tuples in its cache state build after build, so their notes need no unpacking again.
_unpacked: dict[str, tuple] = {}


def _read_file(path: Path) -> tuple[os.stat_result, bytes]:
    """A file's stat and bytes through one descriptor (half the time of ``os.stat`` and
    ``Path.read_bytes``: a cold build reads every note, in one process)."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
    try:
        st = os.fstat(fd)
        chunks = [os.read(fd, st.st_size + 1)]
        while chunks[-1]:  # to the end, should the file have grown since
            chunks.append(os.read(fd, 1 << 16))
        return st, chunks[0] if len(chunks) == 2 else b"".join(chunks)
    finally:
        os.close(fd)


def _read_note(source: str, path: Path, content_dir: Path, project_dir: Path,
               known: Mapping[str, tuple]) -> tuple[Note, Stamp, bool]:
    """(note, stamp, reused): a file whose bytes are the cached ones comes back from the cache
    without its body (``reused``); anything else is parsed."""
    st, data = _read_file(path)
    stamp = Stamp(st.st_size, st.st_mtime_ns, digest(data))
    cached = known.get(source)
    if cached and cached[2] == stamp.digest:
        return unpack_note(cached[3]), stamp, True
    return parse_note(data, source, content_dir, project_dir), stamp, False


def _read_all(md_files: list[tuple[str, Path]], content_dir: Path, project_dir: Path,
              known: Mapping[str, tuple], trust_before_ns: int) -> list[tuple[Note, Stamp, bool]]:
    """Every note file, in order: unchanged ones from the cache, the rest read and parsed.
    In this process: parsing 5,000 notes takes about 0.65 s here, and handing the parsed notes
    back from two worker processes cost more than it saved (0.8 s)."""
    return [_trusted(s, p, known, trust_before_ns)
            or _read_note(s, p, content_dir, project_dir, known) for s, p in md_files]


def load_content(content_dir: Path, project_dir: Path, *, drafts: bool = False,
                 known: Mapping[str, tuple] | None = None,
                 trust_before_ns: int = 0) -> Content:
    """Read every file under ``content_dir``; raises ContentError on the first bad file.

    ``known`` is the build cache's notes (source -> (size, mtime_ns, digest, packed note)); a
    file whose size and mtime match, and whose mtime is older than ``trust_before_ns``, is not
    even read.
    """
    if not content_dir.is_dir():
        raise ContentError("content folder not found", display_path(content_dir, project_dir))
    md_files, other = walk(content_dir, _display_prefix(content_dir, project_dir))
    notes, intros, hidden = [], [], []
    stamps: dict[str, Stamp] = {}
    reused: set[str] = set()
    claimed: dict[str, str] = {}
    warnings: list[str] = []
    for note, stamp, was_cached in _read_all(md_files, content_dir, project_dir, known or {},
                                             trust_before_ns):
        stamps[note.source] = stamp
        warnings += note.warnings
        if was_cached:
            reused.add(note.source)
        if note.is_index:
            intros.append(note)
            continue
        if note.draft and not drafts:
            hidden.append(note)
            continue
        _check_reserved(note.url, note.display_path)
        if note.url in claimed:
            raise ContentError(f"maps to the same URL {note.url} as {claimed[note.url]}",
                               note.display_path)
        claimed[note.url] = note.display_path
        notes.append(note)
    assets = []
    for source, path in other:
        asset = Asset(source, path)
        _check_reserved(asset.url, display_path(path, project_dir))
        assets.append(asset)
    return Content(tuple(notes), tuple(intros), tuple(assets), tuple(hidden), stamps,
                   frozenset(reused), tuple(warnings))


STATIC_DIRNAME = "static"


def load_static(project_dir: Path) -> tuple[Asset, ...]:
    """Every file under the project's ``static/`` folder (favicon, robots-style files,
    downloads), published as it is at the same path under the site root.  Hidden files are
    skipped except ``.well-known/``; symlinks follow the content folder's rules."""
    folder = Path(project_dir) / STATIC_DIRNAME
    if not folder.is_dir():
        return ()
    md_files, other = walk(folder, STATIC_DIRNAME + "/", keep_hidden=(".well-known",))
    files = sorted(md_files + other, key=lambda item: item[0].split("/"))
    for source, _ in files:
        _check_reserved("/" + source, f"{STATIC_DIRNAME}/{source}")
    return tuple(Asset(source, path) for source, path in files)
