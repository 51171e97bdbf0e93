"""Stage 1: the content folder as plain values (notes, sections, attachments); one file at a
time here, the whole folder in ``load``.

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
from site_builder.store.cache import Stamp
from site_builder.vault.anchors import note_anchors
from site_builder.vault.frontmatter import (
    check_keys,
    draft_value,
    key_line,
    parse_date,
    parse_tags,
    split_front_matter,
)
from site_builder.vault.properties import Properties, merged, read_properties
from site_builder.vault.vaultconfig import VaultConfig

INDEX_NAME = "_index.md"
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
    aliases: tuple[str, ...] = ()  # other names wiki links may use (Obsidian's ``aliases``)
    anchors: tuple[str, ...] | None = None  # the ids its page will have (None: not read yet)
    cssclasses: tuple[str, ...] = ()  # classes on the note's article
    properties: tuple[tuple[str, int, tuple[str, ...]], ...] = ()  # the writer's own, shown
    redirects: tuple[str, ...] = ()  # URLs that lead here (its default URL under a permalink)

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
            _ordinal(n.updated), n.tags, n.draft, n.summary, n.is_index, n.warnings, n.aliases,
            n.anchors or (), n.cssclasses, n.properties, n.redirects)


def unpack_note(data: tuple) -> Note:
    """The inverse of ``pack_note`` (the body stays empty: it is read again if needed)."""
    source, shown, title, url, section, body_line, date, updated, tags, draft, summary, \
        is_index, warnings, aliases, anchors, cssclasses, properties, redirects = data
    return Note(source, shown, title, url, section, "", body_line, _day(date), _day(updated),
                tuple(tags), draft, summary, is_index, tuple(warnings), tuple(aliases),
                tuple(anchors), tuple(cssclasses),
                tuple((k, line, tuple(v)) for k, line, v in properties), tuple(redirects))


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
    vault: VaultConfig = field(default_factory=VaultConfig)  # the folder's .obsidian/ settings
    templates: tuple[Note, ...] = ()  # notes in the vault's templates folder: never pages
    template_files: tuple[Asset, ...] = ()  # its other files (Bases): embeds only


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
def display_prefix(content_dir: Path, project_dir: Path) -> str:
    """How the content folder is shown in messages ("content/"), computed once per build
    instead of resolving every note's path."""
    named, project = os.path.abspath(content_dir), os.path.abspath(project_dir)
    if named.startswith(project.rstrip("/") + "/"):  # as named: content/ may be a link
        shown = os.path.relpath(named, project)
    else:
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


def note_url(source: str, slug: Any, shown: str, fm_lines: list[str], key: str = "slug") -> str:
    """Pretty URL of a note: its folder plus its file name (or ``slug``), as a directory; a
    ``permalink`` (``key``) is a path from the site's root instead."""
    folder = "" if key == "permalink" else posixpath.dirname(source)
    name = posixpath.splitext(posixpath.basename(source))[0]
    if slug is not None:
        text = str(slug).strip()
        text = text.lstrip("/") if key == "permalink" else text
        line = key_line(fm_lines, key)
        parts = text.strip("/").split("/")
        if not text or text.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", text) or any(
            p in ("..", ".", "") for p in parts
        ) or "\\" in text:
            raise ContentError(f"{key} '{text}' would escape the output folder", shown, line)
        name = text.strip("/")
    segments = [url_segment(s) for s in (folder.split("/") if folder else [])]
    segments += [url_segment(s) for s in name.split("/")]
    return "/" + "/".join(segments) + "/"


def load_note(path: Path, content_dir: Path, project_dir: Path, template: bool = False) -> Note:
    """Read one ``.md`` file into a Note (a pure function of the file, for worker processes)."""
    source = path.relative_to(content_dir).as_posix()
    return parse_note(path.read_bytes(), source, content_dir, project_dir, template=template)


def _template_front_matter(text: str, shown: str) -> tuple[dict[str, Any], str, int, list[str]]:
    """A template's front matter holds placeholders (``created: {{date}}``) that are not YAML
    until Obsidian fills them in: a template that does not parse is read without it (it is
    never a page; only its body can be embedded)."""
    try:
        return split_front_matter(text, shown)
    except ContentError:
        lines = text.split("\n")
        end = next((i for i, line in enumerate(lines[1:], 1) if line.rstrip() == "---"), 0)
        return {}, "\n".join(lines[end + 1:]), end + 2, []


def _note_urls(source: str, data: Mapping[str, Any], props: Properties, shown: str,
               fm_lines: list[str]) -> tuple[str, tuple[str, ...]]:
    """(URL, redirects): a ``permalink`` is the URL, and the default one redirects to it;
    each alias's URL beside the note redirects too (dropped later if a note claims it)."""
    url = note_url(source, data.get("slug"), shown, fm_lines)
    redirects = []
    if props.permalink:
        redirects.append(url)
        url = note_url(source, props.permalink, shown, fm_lines, key="permalink")
    folder = posixpath.dirname(source)
    for alias in props.aliases:
        if "/" not in alias and alias.strip(". "):
            redirects.append(note_url(posixpath.join(folder, alias + ".md"), None, shown, []))
    return url, tuple(dict.fromkeys(r for r in redirects if r != url))


def parse_note(raw: bytes, source: str, content_dir: Path, project_dir: Path,
               template: bool = False) -> Note:
    """The Note in ``raw``, the bytes of the file ``content_dir/source``."""
    shown = display_prefix(content_dir, project_dir) + source
    text = decode(raw, shown)
    data, body, body_line, fm_lines = (_template_front_matter if template
                                       else split_front_matter)(text, shown)
    heading, stripped = first_heading(body)
    title = data.get("title")
    title = str(title).strip() if title not in (None, "") else None
    if title is None or title == heading:
        body = stripped if heading else body
    is_index = posixpath.basename(source) == INDEX_NAME
    section = posixpath.dirname(source)
    props = read_properties(data, fm_lines)
    redirects: tuple[str, ...] = ()
    if is_index:
        url = "/" + "/".join(url_segment(s) for s in section.split("/")) + "/" if section else "/"
        fallback = posixpath.basename(section).replace("-", " ").replace("_", " ").capitalize()
    else:
        url, redirects = _note_urls(source, data, props, shown, fm_lines)
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
        date=parse_date(data.get("date"), "date", shown, fm_lines) or props.created,
        updated=parse_date(data.get("updated"), "updated", shown, fm_lines),
        tags=parse_tags(merged(data, "tags", "tag") if "tag" in data else data.get("tags"),
                        shown, fm_lines),
        draft=draft_value(data.get("draft"), shown, fm_lines) or not props.publish,
        summary=str(summary).strip() if summary not in (None, "") else props.description,
        is_index=is_index,
        warnings=check_keys(data, shown, fm_lines),
        aliases=props.aliases,
        anchors=note_anchors(body),
        cssclasses=props.cssclasses,
        properties=props.shown,
        redirects=redirects,
    )
