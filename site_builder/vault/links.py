"""How a link resolves: by path, then by title or file name, against the whole content folder.

Resolution runs while a note renders (``site_builder.markdown.wikilinks`` rewrites
``../a/b.md#x`` and ``[[Title#x|alias]]`` to pretty URLs and records each link with its source
line), so it must be a pure function of the note and a ``LinkIndex`` built once from the whole
content folder.  Anchors can only be checked once every note is rendered (they are heading
ids): ``site_builder.pipeline.link`` does that before anything is written.
"""

from __future__ import annotations

import difflib
import posixpath
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import NamedTuple
from urllib.parse import quote, unquote

from markdown.extensions.toc import slugify_unicode

from site_builder.store.cache import digest
from site_builder.vault.content import INDEX_NAME, Content, url_segment

_EXTERNAL = re.compile(r"^(?:[a-zA-Z][a-zA-Z0-9+.-]*:|//)")
DRAFT_REASON = "it is a draft; build with --drafts to include it"


@dataclass(frozen=True)
class Target:
    """What a link can point at: a note, a section intro, or an attachment."""

    url: str
    title: str
    draft: bool = False  # a draft left out of this build: not a valid target


@dataclass(frozen=True)
class LinkIndex:
    """Everything a link needs to resolve, built once per build from the content folder."""

    targets: Mapping[str, Target]  # content-relative source ("a/b.md", "a/img.png") -> target
    names: Mapping[str, tuple[str, ...]]  # lower-cased title / file name -> sources
    paths: Mapping[str, str]  # lower-cased path without ".md" -> source
    folders: Mapping[str, str]  # section folder -> its intro key ("a/_index.md" or folder)
    site_urls: frozenset[str] = frozenset()  # generated pages and static/ files links may name


class Link(NamedTuple):
    """One internal link as written in a note, and what it resolved to.  A named tuple rather
    than a dataclass: the build cache restores tens of thousands of these on every build."""

    line: int | None
    raw: str  # as written: "../a/b.md#x" or "Title#x"
    target: str | None = None  # source key of the target (None when broken)
    anchor: str | None = None
    problem: str | None = None  # why it is broken ("" = plain missing target)
    ambiguous: tuple[str, ...] = ()
    wiki: bool = False  # written as [[raw]] rather than as a Markdown link to raw


def build_index(content: Content, site_urls: Iterable[str] = ()) -> LinkIndex:
    targets: dict[str, Target] = {}
    names: dict[str, list[str]] = {}
    paths: dict[str, str] = {}
    hidden = len(content.notes)
    for i, note in enumerate((*content.notes, *content.hidden_drafts)):
        targets[note.source] = Target(note.url, note.title, draft=i >= hidden)
        stem = posixpath.splitext(note.source)[0]
        paths[stem.lower()] = note.source
        for key in {note.title.lower(), posixpath.basename(stem).lower()}:
            names.setdefault(key, []).append(note.source)
    folders: dict[str, str] = {}
    for note in content.intros:
        targets[note.source] = Target(note.url, note.title)
        folders[note.section] = note.source
    for note in content.notes:
        folder = note.section
        while folder and folder not in folders:
            folders[folder] = folder
            targets.setdefault(folder, Target(section_url(folder), folder))
            folder = posixpath.dirname(folder)
    for asset in content.assets:
        targets[asset.source] = Target(asset.url, posixpath.basename(asset.source))
        paths[asset.source.lower()] = asset.source
        names.setdefault(posixpath.basename(asset.source).lower(), []).append(asset.source)
    return LinkIndex(targets, {k: tuple(v) for k, v in names.items()}, paths, folders,
                     frozenset(site_urls))


def index_key(index: LinkIndex) -> str:
    """Digest of everything links resolve against (names, paths and folders all derive from
    the targets' sources and titles): equal keys mean every link resolves the same way."""
    targets = [(k, t.url, t.title, t.draft) for k, t in sorted(index.targets.items())]
    return digest(repr((targets, sorted(index.site_urls))).encode("utf-8"))


def section_url(folder: str) -> str:
    return "/" + "/".join(url_segment(s) for s in folder.split("/")) + "/" if folder else "/"


def heading_anchor(text: str) -> str:
    """The id the table of contents gives a heading with this text (the same slugify as
    ``render.EXTENSION_CONFIGS``): ``[[Note#Heading Text]]`` names a heading by its text, as
    in Obsidian, and an id written as an id (``#heading-text``) comes out unchanged.  A block
    reference (``#^block-id``) names a block's own id and is kept as written."""
    if text.startswith("^"):
        return text
    return slugify_unicode(text, "-")


def href_for(url: str, anchor: str | None) -> str:
    return quote(url, safe="/") + (f"#{anchor}" if anchor else "")


def _found(index: LinkIndex, line: int | None, raw: str, key: str, anchor: str | None) -> Link:
    if index.targets[key].draft:
        return Link(line, raw, problem=DRAFT_REASON)
    return Link(line, raw, key, anchor)


def resolve_href(index: LinkIndex, source: str, href: str, line: int | None) -> Link | None:
    """Resolve a Markdown link or image address; None for external and mail links."""
    if _EXTERNAL.match(href):
        return None
    path, _, anchor = href.partition("#")
    path = unquote(path.split("?", 1)[0])
    if not path:
        return Link(line, href, source, anchor or None)
    base = "" if path.startswith("/") else posixpath.dirname(source)
    joined = posixpath.normpath(posixpath.join(base, path.lstrip("/"))) if path.strip("/") else ""
    if joined.startswith("../") or joined == "..":
        return Link(line, href, problem="it points outside the content folder")
    joined = "" if joined == "." else joined
    for key in (joined, joined + ".md", posixpath.join(joined, INDEX_NAME)):
        if key in index.targets:
            return _found(index, line, href, key, anchor or None)
    if joined in index.folders:
        return _found(index, line, href, index.folders[joined], anchor or None)
    if path.startswith("/") and ("/" + path.strip("/") + "/" in index.site_urls or path == "/"
                                 or path in index.site_urls):
        return Link(line, href, "", anchor or None)  # a generated page (tags, search, home)
    if joined.endswith("/index.html") and "/" + joined[: -len("index.html")] in index.site_urls:
        return Link(line, href, "", anchor or None)
    if path.startswith("/"):
        return Link(line, href, problem=f"no note, file or generated page at {path}")
    return Link(line, href, problem=f"no such file in the content folder: {joined or '.'}")


def resolve_wiki(index: LinkIndex, source: str, raw: str, line: int | None) -> Link:
    """Resolve ``[[target#anchor]]`` by path, then by title or file name, case-insensitively."""
    return _resolve_wiki(index, source, raw, line)._replace(wiki=True)


def re_resolve(index: LinkIndex, source: str, link: Link) -> Link | None:
    """Resolve a link recorded by an earlier render against today's index: the build cache
    reuses that render only if every link comes out the same."""
    if link.wiki:
        return resolve_wiki(index, source, link.raw, link.line)
    return resolve_href(index, source, link.raw, link.line)


def _resolve_wiki(index: LinkIndex, source: str, raw: str, line: int | None) -> Link:
    name, _, anchor = raw.partition("#")
    name = name.strip()
    anchor = heading_anchor(anchor.strip()) or None
    if not name:
        return Link(line, raw, source, anchor)
    key = name.lower().removesuffix(".md").strip("/")
    if key in index.paths:
        return _found(index, line, raw, index.paths[key], anchor)
    candidates = index.names.get(key, ())
    published = tuple(c for c in candidates if not index.targets[c].draft)
    if len(published) > 1:
        return Link(line, raw, ambiguous=tuple(sorted(published)))
    if published:
        return Link(line, raw, published[0], anchor)
    if candidates:
        return Link(line, raw, problem=DRAFT_REASON)
    return Link(line, raw, problem=_no_such_note(index, name))


def _no_such_note(index: LinkIndex, name: str) -> str:
    """Why a wiki link found nothing, with the closest title or file name if one is close."""
    key = name.lower().removesuffix(".md").strip("/")
    close = difflib.get_close_matches(key, sorted(index.names), n=1, cutoff=0.75)
    problem = f"no note titled or named '{name}'"
    if close:
        found = index.targets[index.names[close[0]][0]]
        problem += f"; did you mean [[{found.title}]]?"
    return problem

