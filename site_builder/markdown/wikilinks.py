"""Wiki links and Markdown links: ``[[target#anchor|alias]]`` and ``[text](../a/b.md#x)``.

Resolution runs while a note renders: a preprocessor turns every wiki link into a Markdown link
to a placeholder address (while line numbers are still the file's), and a treeprocessor rewrites
every internal ``href``/``src`` to its pretty URL and records the link with its source line.
How a link resolves (by path, title or file name) is ``site_builder.vault.links``.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as etree
from dataclasses import dataclass, field

from markdown import Extension, Markdown, util
from markdown.preprocessors import Preprocessor
from markdown.treeprocessors import Treeprocessor

from site_builder.markdown.fences import fenced
from site_builder.vault.content import Note
from site_builder.vault.links import Link, LinkIndex, href_for, resolve_href, resolve_wiki

WIKI_SCHEME = "notes-wiki:"


_WIKI = re.compile(r"(`+)[^`].*?\1|(!?)\[\[([^\[\]\n]+?)\]\]")


_SKIP_CLASSES = {"headerlink", "footnote-ref", "footnote-backref"}


@dataclass
class LinkState:
    """Per-render scratch space shared by the preprocessor and treeprocessor below; reset
    before every note, so one Markdown instance can render many notes."""

    index: LinkIndex | None = None
    note: Note | None = None
    wiki: list[Link] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    cursor: dict[str, int] = field(default_factory=dict)
    nested: bool = False  # rendering an embedded note: its own anchors are on another page

    def start(self, index: LinkIndex, note: Note, nested: bool = False) -> None:
        self.index, self.note, self.nested = index, note, nested
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
        target = target.removesuffix("\\")  # [[Note\|alias]]: the pipe escaped in a table
        state = self.state
        state.wiki.append(resolve_wiki(state.index, state.note.source, target.strip(), line))
        label = alias.strip() or target.split("#")[0].strip() or target.strip("# ")
        # Markdown's own escapes, except "<": Python-Markdown cannot escape it ("\\<" stayed
        # a backslash and a "<"), and an entity is text wherever it lands.
        label = re.sub(r"([\\`*_\[\]>])", r"\\\1", label).replace("<", "&lt;")
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
            if util.AMP_SUBSTITUTE in value:  # <me@example.com>: an obfuscated mailto: link
                continue
            link = self._resolve(value)
            if link is None:
                continue
            self.state.links.append(link)
            if link.target is None:
                del el.attrib[attr]
                el.set("class", (el.get("class", "") + " broken-link").strip())
            elif link.target:
                el.set(attr, self._address(link))
                if value.startswith(WIKI_SCHEME):
                    el.set("class", (el.get("class", "") + " wikilink").strip())

    def _address(self, link: Link) -> str:
        """Where a resolved link goes: a heading of this very page is just ``#id`` (or the
        page itself), unless this note is being embedded in another page."""
        state = self.state
        if link.target == state.note.source and not state.nested:
            return f"#{link.anchor}" if link.anchor else href_for(state.note.url, None)
        return href_for(state.index.targets[link.target].url, link.anchor)

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
