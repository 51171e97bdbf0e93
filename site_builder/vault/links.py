"""How a link resolves: as Obsidian resolves it, then by alias or title, against the whole
content folder.

Resolution runs while a note renders (``site_builder.markdown.wikilinks`` rewrites
``../a/b.md#x`` and ``[[Title#x|alias]]`` to pretty URLs and records each link with its source
line), so it must be a pure function of the note and a ``LinkIndex`` built once from the whole
content folder.  Which file a name means is ``linkpath`` (Obsidian's order: never an error
when two files share a name).  Anchors resolve against the ids each note's page is predicted
to have (``anchors``): a heading that is not there leaves the link without its fragment, and
says why.  ``site_builder.pipeline.link`` checks every anchor again against the rendered ids
before anything is written.
"""

from __future__ import annotations

import difflib
import posixpath
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import NamedTuple
from urllib.parse import quote, unquote

from markdown.extensions.toc import slugify_unicode

from site_builder.store.cache import digest
from site_builder.vault.anchors import find_anchor, note_anchors
from site_builder.vault.content import INDEX_NAME, Content, Note, url_segment
from site_builder.vault.linkpath import first_linkpath_dest, link_key, name_table
from site_builder.vault.vaultconfig import VaultConfig

_EXTERNAL = re.compile(r"^(?:[a-zA-Z][a-zA-Z0-9+.-]*:|//)")
APP_PREFIX = "app://obsidian.md/"  # a note's address inside Obsidian, as its app copies it
DRAFT_REASON = "it is a draft; build with --drafts to include it"
TEMPLATE_REASON = "it is in the vault's templates folder, which is never published"
EMBED = "embed"  # Link.kind of an ![[embed]], which may show a template
WIKI = "wiki"  # Link.kind of a [[wiki link]] (and of a wiki link in a property)


@dataclass(frozen=True)
class Target:
    """What a link can point at: a note, a section intro, or an attachment."""

    url: str
    title: str
    hidden: str = ""  # why it is not published ("" when it is): a draft, a template
    anchors: frozenset[str] | None = None  # its page's ids; None when not known (a file)


@dataclass(frozen=True)
class LinkIndex:
    """Everything a link needs to resolve, built once per build from the content folder."""

    targets: Mapping[str, Target]  # content-relative source ("a/b.md", "a/img.png") -> target
    names: Mapping[str, tuple[str, ...]]  # linkpath.name_table of every file
    paths: Mapping[str, str]  # linkpath.link_key(source) -> source
    folders: Mapping[str, str]  # section folder -> its intro key ("a/_index.md" or folder)
    site_urls: frozenset[str] = frozenset()  # generated pages and static/ files links may name
    # lower-cased alias or title -> sources: names Obsidian does not resolve but writers use
    others: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    vault: VaultConfig = field(default_factory=VaultConfig)


class Link(NamedTuple):
    """One internal link as written in a note, and what it resolved to.  A named tuple rather
    than a dataclass: the build cache restores tens of thousands of these on every build."""

    line: int | None
    raw: str  # as written: "../a/b.md#x" or "Title#x"
    target: str | None = None  # source key of the target (None when broken)
    anchor: str | None = None  # the id on the target's page, None for none (or not found)
    problem: str | None = None  # why it is broken ("" = plain missing target)
    kind: str = ""  # WIKI, EMBED, or "" for a Markdown link


def build_index(content: Content, site_urls: Iterable[str] = ()) -> LinkIndex:
    targets: dict[str, Target] = {}
    others: dict[str, list[str]] = {}
    shown = len(content.notes)
    drafts = (*content.notes, *content.hidden_drafts)
    for i, note in enumerate((*drafts, *content.templates)):
        hidden = "" if i < shown else DRAFT_REASON if i < len(drafts) else TEMPLATE_REASON
        targets[note.source] = Target(note.url, note.title, hidden, _anchors(note))
        for name in {note.title.lower(), *(a.lower() for a in note.aliases)}:
            others.setdefault(name, []).append(note.source)
    folders: dict[str, str] = {}
    for note in content.intros:
        targets[note.source] = Target(note.url, note.title, anchors=_anchors(note))
        folders[note.section] = note.source
    for note in content.notes:
        folder = note.section
        while folder and folder not in folders:
            folders[folder] = folder
            targets.setdefault(folder, Target(section_url(folder), folder, anchors=frozenset()))
            folder = posixpath.dirname(folder)
    for asset in content.assets:
        targets[asset.source] = Target(asset.url, posixpath.basename(asset.source))
    for asset in content.template_files:
        targets[asset.source] = Target(asset.url, posixpath.basename(asset.source),
                                       TEMPLATE_REASON)
    bare_folders = {f for f, key in folders.items() if f == key}
    files = [s for s in targets if s not in bare_folders]
    return LinkIndex(targets, name_table(files), {link_key(s): s for s in files}, folders,
                     frozenset(site_urls), {k: tuple(sorted(v)) for k, v in others.items()},
                     content.vault)


def _anchors(note: Note) -> frozenset[str]:
    """The ids of a note's page (read now for a Note made without them, as tests do)."""
    return frozenset(note_anchors(note.body) if note.anchors is None else note.anchors)


def index_key(index: LinkIndex) -> str:
    """Digest of everything links resolve against (names, paths and folders all derive from
    the targets' sources, titles and aliases): equal keys mean every link resolves the same."""
    targets = [(k, t.url, t.title, t.hidden, sorted(t.anchors or ()))
               for k, t in sorted(index.targets.items())]
    others = sorted(index.others.items())
    return digest(repr((targets, others, sorted(index.site_urls), index.vault.attachments))
                  .encode("utf-8"))


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


def no_anchor(anchor: str, target: str, ids: Iterable[str]) -> str:
    """Why an anchor is broken, naming the id that works when one is close."""
    close = difflib.get_close_matches(anchor, sorted(ids), n=1, cutoff=0.6)
    hint = f"; did you mean '#{close[0]}'?" if close else ""
    return f"no heading '#{anchor}' in {target}{hint}"


def _found(index: LinkIndex, line: int | None, raw: str, key: str, anchor: str,
           kind: str = "") -> Link:
    """The link to ``key`` (a hidden target is a problem, unless a template is embedded),
    with its ``#anchor`` as the id on the target's page: when there is no such id the link
    goes to the page itself, and the problem says why."""
    target = index.targets[key]
    if target.hidden and not (kind == EMBED and target.hidden == TEMPLATE_REASON):
        return Link(line, raw, problem=target.hidden, kind=kind)
    anchor = anchor.strip()
    if not anchor:
        return Link(line, raw, key, None, kind=kind)
    if target.anchors is None:  # a file: its fragment means something to the browser only
        return Link(line, raw, key, anchor, kind=kind)
    found = find_anchor(target.anchors, anchor)
    if found is not None:
        return Link(line, raw, key, found, kind=kind)
    wanted = heading_anchor(anchor.split("#")[-1].strip())
    return Link(line, raw, key, None, no_anchor(wanted, key, target.anchors), kind)


def resolve_href(index: LinkIndex, source: str, href: str, line: int | None) -> Link | None:
    """Resolve a Markdown link or image address; None for external and mail links.  A path
    that is not there relative to the note resolves as Obsidian resolves it (by name), and
    an address Obsidian's app copies (``app://obsidian.md/Note%20name#Heading``) as the wiki
    link it stands for: a browser cannot follow it, Obsidian opens the note."""
    if href[:len(APP_PREFIX)].lower() == APP_PREFIX:
        path, _, anchor = href[len(APP_PREFIX):].partition("#")
        wiki = unquote(path.split("?", 1)[0]) + (f"#{unquote(anchor)}" if anchor else "")
        return resolve_wiki(index, source, wiki, line)._replace(raw=href, kind="") \
            if wiki.strip("#") else Link(line, href, problem="it names no note")
    if _EXTERNAL.match(href):
        return None
    path, _, anchor = href.partition("#")
    path = unquote(path.split("?", 1)[0])
    if not path:
        return _found(index, line, href, source, anchor)
    base = "" if path.startswith("/") else posixpath.dirname(source)
    joined = posixpath.normpath(posixpath.join(base, path.lstrip("/"))) if path.strip("/") else ""
    if joined.startswith("../") or joined == "..":
        return Link(line, href, problem="it points outside the content folder")
    joined = "" if joined == "." else joined
    for key in (joined, joined + ".md", posixpath.join(joined, INDEX_NAME)):
        if key in index.targets and key not in index.folders:
            return _found(index, line, href, key, anchor)
    if joined in index.folders:
        return _found(index, line, href, index.folders[joined], anchor)
    if path.startswith("/") and ("/" + path.strip("/") + "/" in index.site_urls or path == "/"
                                 or path in index.site_urls):
        return Link(line, href, "", anchor or None)  # a generated page (tags, search, home)
    if joined.endswith("/index.html") and "/" + joined[: -len("index.html")] in index.site_urls:
        return Link(line, href, "", anchor or None)
    if path.startswith("/"):
        return Link(line, href, problem=f"no note, file or generated page at {path}")
    key = _by_name(index, source, path)
    if key is not None:
        return _found(index, line, href, key, anchor)
    return Link(line, href, problem=f"no such file in the content folder: {joined or '.'}")


def resolve_wiki(index: LinkIndex, source: str, raw: str, line: int | None,
                 kind: str = WIKI) -> Link:
    """Resolve ``[[target#anchor]]`` as Obsidian does (``linkpath.first_linkpath_dest``),
    then by alias or title; ``kind`` is EMBED for ``![[target]]``."""
    name, _, anchor = raw.partition("#")
    name = name.strip()
    if not name:
        return _found(index, line, raw, source, anchor, kind)
    key = _by_name(index, source, name)
    if key is None:
        return Link(line, raw, problem=_no_such_note(index, name), kind=kind)
    return _found(index, line, raw, key, anchor, kind)


def re_resolve(index: LinkIndex, source: str, link: Link) -> Link | None:
    """Resolve a link recorded by an earlier render against today's index: the build cache
    reuses that render only if every link comes out the same."""
    if link.kind:
        return resolve_wiki(index, source, link.raw, link.line, link.kind)
    return resolve_href(index, source, link.raw, link.line)


def _by_name(index: LinkIndex, source: str, name: str) -> str | None:
    """The source a link path names: the vault's attachment folder first for a bare file
    name, then Obsidian's order, then an alias or a title (in the same folder first, else
    the shortest path)."""
    if "/" not in name and posixpath.splitext(name)[1].lower() not in ("", ".md"):
        folder = index.vault.attachment_folder(source)
        found = index.paths.get(link_key(posixpath.join(folder, name)))
        if found is not None:
            return found
    found = first_linkpath_dest(name, source, index.paths, index.names)
    if found is not None:
        return found
    candidates = index.others.get(name.lower().removesuffix(".md").strip("/"), ())
    here = posixpath.dirname(source)
    same = [c for c in candidates if posixpath.dirname(c) == here]
    return (same or sorted(candidates, key=lambda c: (len(c), c)) or [None])[0]


def _no_such_note(index: LinkIndex, name: str) -> str:
    """Why a wiki link found nothing, with the closest title or file name if one is close."""
    key = name.lower().removesuffix(".md").strip("/")
    known = sorted({*index.names, *index.others})
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.75)
    problem = f"no note titled or named '{name}'"
    if close:
        sources = index.names.get(close[0]) or index.others[close[0]]
        problem += f"; did you mean [[{index.targets[sources[0]].title}]]?"
    return problem
