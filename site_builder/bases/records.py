"""What a Base can ask of a note: its properties, tags, links and file facts (``Record``).

A Base selects notes by their properties (``categories``, ``rating``...), which the rest of
the build never needs, so they are read here, from the note files, only for a vault whose
pages embed a Base: front matter again, through the same parser as the read stage, with
Obsidian's meanings (``from_yaml``).  Records are kept per process by each file's digest, so
``notes serve`` reads a note again only when it changed.  Links are the render's own (resolved
exactly as on the page) plus the links the properties hold, as in Obsidian.
"""

from __future__ import annotations

import datetime as dt
import posixpath
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from site_builder.bases.values import FileRef, LinkVal, from_yaml
from site_builder.vault.content import Content, Note, decode
from site_builder.vault.frontmatter import split_front_matter
from site_builder.vault.links import LinkIndex, index_key, resolve_wiki

_CODE = re.compile(r"^(```|~~~).*?^\1[^\n]*$|`[^`\n]*`", re.DOTALL | re.MULTILINE)
_INLINE_TAG = re.compile(r"(?<![\w/&#\[\(])#([^\W\d][\w/-]*|\d+[^\W\d][\w/-]*)")


FILE_FIELDS = frozenset({"name", "basename", "path", "folder", "ext", "size", "ctime", "mtime",
                         "tags", "links", "backlinks", "embeds", "properties", "file"})


@dataclass(frozen=True)
class Record:
    """One published file as a Base sees it."""

    source: str  # content path, "Notes/A note.md"
    url: str
    title: str
    props: Mapping[str, Any] = field(default_factory=dict, compare=False)
    tags: tuple[str, ...] = ()  # front matter and inline, without "#"
    links: tuple[str, ...] = ()  # content paths it links to (body and properties)
    embeds: tuple[str, ...] = ()
    mtime: dt.datetime | None = None
    ctime: dt.datetime | None = None
    size: int = 0

    @property
    def name(self) -> str:
        return posixpath.basename(self.source)

    @property
    def basename(self) -> str:
        return posixpath.splitext(self.name)[0]

    @property
    def folder(self) -> str:
        return posixpath.dirname(self.source)

    @property
    def ext(self) -> str:
        return posixpath.splitext(self.source)[1].lstrip(".")


@dataclass(frozen=True)
class Vault:
    """Every record a Base may select, in path order, and who links to whom."""

    records: Mapping[str, Record]
    backlinks: Mapping[str, tuple[str, ...]]
    index: LinkIndex

    def resolve(self, name: str, source: str = "") -> str | None:
        """The content path a wiki link ``name`` leads to (None: nowhere published)."""
        target = resolve_wiki(self.index, source, name, None).target
        return target or None

    def file_field(self, record: Record, name: str) -> Any:
        """``file.name`` and the other ``FILE_FIELDS`` of one record."""
        if name == "path":
            return record.source
        if name in ("name", "basename", "folder", "ext", "size", "ctime", "mtime", "tags"):
            return getattr(record, name)
        if name in ("links", "embeds"):
            return tuple(LinkVal(t.rpartition("/")[2], t) for t in getattr(record, name))
        if name == "backlinks":
            return tuple(FileRef(s) for s in self.backlinks.get(record.source, ()))
        if name == "properties":
            return dict(record.props)
        return FileRef(record.source)  # "file"


def inline_tags(body: str) -> tuple[str, ...]:
    """``#tags`` written in the text (not in code), in first-seen order."""
    seen: dict[str, None] = {}
    for match in _INLINE_TAG.finditer(_CODE.sub(" ", body)):
        seen.setdefault(match.group(1).rstrip("/"), None)
    return tuple(seen)


def _link_targets(value: Any) -> Iterable[str]:
    if isinstance(value, LinkVal) and value.target:
        yield value.target
    elif isinstance(value, tuple):
        for item in value:
            yield from _link_targets(item)


def _file_times(path: Path) -> tuple[dt.datetime, dt.datetime, int]:
    st = path.stat()
    mtime = dt.datetime.fromtimestamp(st.st_mtime_ns // 1_000_000_000, dt.UTC)
    born = getattr(st, "st_birthtime", None)
    ctime = dt.datetime.fromtimestamp(int(born), dt.UTC) if born else mtime
    return mtime.replace(tzinfo=None), ctime.replace(tzinfo=None), st.st_size


def _read_props(note: Note, path: Path, index: LinkIndex) -> tuple[dict[str, Any], tuple]:
    """(properties, inline tags) of one note file."""
    data, body, _, _ = split_front_matter(decode(path.read_bytes(), note.display_path),
                                          note.display_path)
    resolve = lambda name: resolve_wiki(index, note.source, name, None).target or None
    props = {str(k): from_yaml(v, resolve) for k, v in data.items()}
    return props, inline_tags(body)


def read_vault(content: Content, content_dir: Path, index: LinkIndex,
               links_of: Mapping[str, Iterable[Any]],
               embeds_of: Mapping[str, Iterable[str]]) -> Vault:
    """The records of every published note (``links_of``: each note's rendered links)."""
    records: dict[str, Record] = {}
    resolves = index_key(index)
    for note in sorted(content.notes, key=lambda n: n.source):
        stamp = content.stamps.get(note.source)
        key = (note.source, stamp.digest if stamp else "", resolves)
        cached = _read.get(key)
        path = content_dir / note.source
        if cached is None:
            cached = _read[key] = _read_props(note, path, index)
        props, tags = cached
        links = dict.fromkeys(k.target for k in links_of.get(note.source, ()) if k.target)
        links.update(dict.fromkeys(t for v in props.values() for t in _link_targets(v)))
        mtime, ctime, size = _file_times(path)
        records[note.source] = Record(
            note.source, note.url, note.title, props,
            tuple(dict.fromkeys((*note.tags, *tags))), tuple(links),
            tuple(embeds_of.get(note.source, ())), mtime, ctime, size)
    backlinks: dict[str, list[str]] = {}
    for record in records.values():
        for target in record.links:
            if target != record.source:
                backlinks.setdefault(target, []).append(record.source)
    if len(_read) > 20_000:
        _read.clear()
    return Vault(records, {k: tuple(v) for k, v in backlinks.items()}, index)


# (source, file digest, index) -> (properties, inline tags): a `notes serve` process reads a
# note's properties again only when its file (or what links resolve against) changed.
_read: dict[tuple, tuple] = {}
