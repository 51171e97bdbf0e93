"""Stage 3: the link graph -- resolve every internal link, find the broken ones, backlinks.

Resolution runs while a note renders (a Markdown extension rewrites ``../a/b.md#x`` and
``[[Title#x|alias]]`` to pretty URLs and records each link with its source line), so it must
be a pure function of the note and a ``LinkIndex`` built once from the whole content folder.
Anchors can only be checked once every note is rendered (they are heading ids), which is what
``check_links`` does before anything is written.
"""

from __future__ import annotations

import difflib
import posixpath
import re
import xml.etree.ElementTree as etree
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import NamedTuple
from urllib.parse import quote, unquote

from markdown import Extension, Markdown
from markdown.extensions.toc import slugify_unicode
from markdown.preprocessors import Preprocessor
from markdown.treeprocessors import Treeprocessor

from site_builder.cache import digest
from site_builder.content import INDEX_NAME, Content, Note

WIKI_SCHEME = "notes-wiki:"
_EXTERNAL = re.compile(r"^(?:[a-zA-Z][a-zA-Z0-9+.-]*:|//)")
_WIKI = re.compile(r"(`+)[^`].*?\1|(!?)\[\[([^\[\]\n]+?)\]\]")
_FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
_SKIP_CLASSES = {"headerlink", "footnote-ref", "footnote-backref"}
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


@dataclass(frozen=True)
class LinkProblem:
    path: str
    line: int | None
    text: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line is not None else self.path
        return f"{where}: {self.text}"


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
    from site_builder.content import url_segment

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


@dataclass
class LinkState:
    """Per-render scratch space shared by the preprocessor and treeprocessor below; reset
    before every note, so one Markdown instance can render many notes."""

    index: LinkIndex | None = None
    note: Note | None = None
    wiki: list[Link] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    cursor: dict[str, int] = field(default_factory=dict)

    def start(self, index: LinkIndex, note: Note) -> None:
        self.index, self.note = index, note
        self.wiki, self.links, self.cursor = [], [], {}

    def line_of(self, raw: str) -> int | None:
        """Line of the next occurrence of ``raw`` in the note body (links appear in the tree
        in document order, so a per-address cursor finds repeated addresses correctly)."""
        assert self.note is not None
        body = self.note.body
        pos = body.find(raw, self.cursor.get(raw, 0))
        if pos < 0:
            pos = body.find(raw)
        if pos < 0:
            return None
        self.cursor[raw] = pos + len(raw)
        return self.note.body_line + body.count("\n", 0, pos)


def fenced(lines: list[str]) -> Iterator[tuple[int, str, bool]]:
    """``(i, line, in_code)`` for each line: ``in_code`` for the lines of fenced code blocks,
    fences included.  Preprocessors that rewrite Markdown text (wiki links, embeds,
    comments) run before fenced code is stashed, so each skips code with this."""
    fence: str | None = None
    for i, line in enumerate(lines):
        match = _FENCE.match(line)
        if match:
            marker = match.group(1)[0] * 3
            fence = None if fence and marker == fence else (fence or marker)
        yield i, line, bool(fence or match)


class WikiLinkPreprocessor(Preprocessor):
    """Turn ``[[target#anchor|alias]]`` into ``[alias](notes-wiki:N)`` while line numbers are
    still the file's (it runs before fenced code blocks are stashed; it skips code itself)."""

    def __init__(self, md: Markdown, state: LinkState):
        super().__init__(md)
        self.state = state

    def run(self, lines: list[str]) -> list[str]:
        state = self.state
        assert state.note is not None and state.index is not None
        out = []
        for i, line, in_code in fenced(lines):
            if in_code or "[[" not in line:
                out.append(line)
                continue
            at = state.note.body_line + i
            out.append(_WIKI.sub(lambda m, at=at: self._replace(m, at), line))
        return out

    def _replace(self, match: re.Match[str], line: int) -> str:
        if match.group(3) is None:
            return match.group(0)  # a code span
        target, _, alias = match.group(3).partition("|")
        state = self.state
        state.wiki.append(resolve_wiki(state.index, state.note.source, target.strip(), line))
        label = alias.strip() or target.split("#")[0].strip() or target.strip("# ")
        label = re.sub(r"([\\`*_\[\]<>])", r"\\\1", label)
        return f"{match.group(2)}[{label}]({WIKI_SCHEME}{len(state.wiki) - 1})"


class LinkTreeprocessor(Treeprocessor):
    """Rewrite every internal ``href``/``src`` to its pretty URL and record the link."""

    def __init__(self, md: Markdown, state: LinkState):
        super().__init__(md)
        self.state = state

    def run(self, root: etree.Element) -> None:
        for el in root.iter():
            attr = {"a": "href", "img": "src"}.get(el.tag)
            value = el.get(attr) if attr else None
            if value is None or _SKIP_CLASSES & set(el.get("class", "").split()):
                continue
            link = self._resolve(value)
            if link is None:
                continue
            self.state.links.append(link)
            if link.target is None:
                del el.attrib[attr]
                el.set("class", (el.get("class", "") + " broken-link").strip())
            elif link.target and link.target != self.state.note.source:
                target = self.state.index.targets[link.target]
                el.set(attr, href_for(target.url, link.anchor))
                if value.startswith(WIKI_SCHEME):
                    el.set("class", (el.get("class", "") + " wikilink").strip())

    def _resolve(self, value: str) -> Link | None:
        state = self.state
        if value.startswith(WIKI_SCHEME):
            return state.wiki[int(value[len(WIKI_SCHEME):])]
        return resolve_href(state.index, state.note.source, value, state.line_of(value))


class LinkExtension(Extension):
    """Registers the two processors around one shared ``LinkState``."""

    def __init__(self, **kwargs):
        self.state = LinkState()
        super().__init__(**kwargs)

    def extendMarkdown(self, md: Markdown) -> None:
        # 27: after whitespace normalising (30), before fenced code (25) changes line counts.
        md.preprocessors.register(WikiLinkPreprocessor(md, self.state), "wikilinks", 27)
        # 15: after inline parsing (20) made the <a>/<img> elements, before toc (5).
        md.treeprocessors.register(LinkTreeprocessor(md, self.state), "notes_links", 15)


def check_links(
    rendered: Iterable[tuple[Note, tuple[Link, ...]]],
    ids: Mapping[str, frozenset[str]],
    index: LinkIndex,
) -> tuple[list[LinkProblem], list[LinkProblem]]:
    """Return (broken links, ambiguous wiki links), each in file then line order.  Anchors
    are checked against the heading and footnote ids of the rendered target."""
    broken: list[LinkProblem] = []
    ambiguous: list[LinkProblem] = []
    for note, links in rendered:
        for link in links:
            if link.ambiguous:
                names = ", ".join(link.ambiguous)
                ambiguous.append(LinkProblem(
                    note.display_path, link.line,
                    f"ambiguous wiki link '[[{link.raw}]]' matches {names}"))
                continue
            reason = link.problem
            if link.target in ids and link.anchor and link.anchor not in ids[link.target]:
                reason = _no_anchor(link.anchor, link.target, ids[link.target])
            if link.target is None or reason:
                text = f"broken link to '{link.raw}'" + (f" ({reason})" if reason else "")
                broken.append(LinkProblem(note.display_path, link.line, text))
    key = lambda p: (p.path, p.line or 0)
    return sorted(broken, key=key), sorted(ambiguous, key=key)


def _no_anchor(anchor: str, target: str, ids: frozenset[str]) -> str:
    """Why an anchor is broken, naming the id that works when one is close."""
    close = difflib.get_close_matches(anchor, sorted(ids), n=1, cutoff=0.6)
    hint = f"; did you mean '#{close[0]}'?" if close else ""
    return f"no heading '#{anchor}' in {target}{hint}"


def backlinks(
    rendered: Iterable[tuple[Note, tuple[Link, ...]]], index: LinkIndex
) -> dict[str, tuple[tuple[str, str], ...]]:
    """target source -> ((title, url) of each note linking to it), sorted by title."""
    found: dict[str, dict[str, str]] = {}
    for note, links in rendered:
        for link in links:
            if link.target and link.target != note.source and link.target in index.targets:
                found.setdefault(link.target, {})[note.url] = note.title
    return {
        target: tuple(sorted(((t, u) for u, t in by_url.items()), key=lambda x: (x[0].lower(), x[1])))
        for target, by_url in found.items()
    }
