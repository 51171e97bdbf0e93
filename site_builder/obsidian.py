"""Obsidian-flavoured Markdown that pymdown-extensions does not cover.

Callouts (``> [!tip]- Title``), ``%%comments%%``, embeds of notes, sections and blocks
(``![[note]]``, ``![[note#Heading]]``, ``![[note#^id]]``), image sizes (``![[a.png|300]]``)
and block ids (``text ^id``).  Math lives in ``site_builder.mathml``.

An embed inlines the *rendered* target (rendered by a nested renderer, so its own relative
links, math and code come out exactly as on its page) and records a wiki link to it: a missing
target is a broken link reported like any other, with the embedding file and line.  The
sources an embed pulled in are recorded on the render (``embeds``) so the build cache renders
the embedding note again whenever one of them changes.
"""

from __future__ import annotations

import html
import posixpath
import re
import xml.etree.ElementTree as etree
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from markdown import Extension, Markdown
from markdown.extensions.toc import slugify_unicode
from markdown.postprocessors import Postprocessor
from markdown.preprocessors import Preprocessor
from markdown.treeprocessors import Treeprocessor

from site_builder.content import Note
from site_builder.errors import ContentError
from site_builder.links import Link, LinkIndex, fenced, href_for, resolve_wiki

NoteLoader = Callable[[str], Note]  # content-relative source -> the note with its body
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp", ".avif", ".bmp")
SIZE_MARK = "notes-size:"
_CODE_SPAN = re.compile(r"(`+)[^`].*?\1")
_COMMENT = re.compile(r"%%.*?%%", re.DOTALL)
_EMBED = re.compile(r"(`+)[^`].*?\1|!\[\[([^\[\]\n]+?)\]\]")
_SIZE = re.compile(r"^\s*(\d+)(?:x(\d+))?\s*$")
_HEADING = re.compile(r"^(#{1,6})\s+(.+?)(?:\s+#+)?\s*$")
_BLOCK_ID = re.compile(r"\s\^([A-Za-z0-9-]+)\s*$")
_CALLOUT = re.compile(r"^\[!([A-Za-z-]+)\]([+-]?)[ \t]*(.*)$")
_TASK_BOX = re.compile(r'(<li class="task-list-item"><input type="checkbox" disabled)( checked)?/>')
_WHITESPACE_TOKEN = re.compile(r'<span class="w">(\s*)</span>')
_STRIP_IDS = re.compile(r'\sid="[^"]*"')
_HEADERLINK = re.compile(r'<a class="headerlink"[^>]*>.*?</a>')
# Obsidian's callout types and their aliases: the alias keeps its own class, styled as its kind.
CALLOUT_KINDS = {
    "note": "note", "abstract": "abstract", "summary": "abstract", "tldr": "abstract",
    "info": "info", "todo": "todo", "tip": "tip", "hint": "tip", "important": "tip",
    "success": "success", "check": "success", "done": "success", "question": "question",
    "help": "question", "faq": "question", "warning": "warning", "caution": "warning",
    "attention": "warning", "failure": "failure", "fail": "failure", "missing": "failure",
    "danger": "danger", "error": "danger", "bug": "bug", "example": "example",
    "quote": "quote", "cite": "quote",
}


@dataclass
class ObsidianState:
    """Per-render scratch space (reset before every note, like ``LinkState``)."""

    note: Note | None = None
    index: LinkIndex | None = None
    load: NoteLoader | None = None
    stack: tuple[str, ...] = ()  # sources being embedded, outermost first (loop detection)
    links: list[Link] = field(default_factory=list)  # one wiki link per note embed
    embeds: set[str] = field(default_factory=set)  # every source inlined, transitively
    raw_html: str = "keep"  # notes.toml [markdown] raw_html: embedded notes render the same way

    def start(self, note: Note, index: LinkIndex, load: NoteLoader | None,
              stack: tuple[str, ...]) -> None:
        self.note, self.index, self.load = note, index, load
        self.stack = (*stack, note.source)
        self.links, self.embeds = [], set()


def _code_aware(lines: list[str], change: Callable[[str, int], str]) -> list[str]:
    """Apply ``change(line, i)`` to every line outside fenced code blocks."""
    return [line if in_code else change(line, i) for i, line, in_code in fenced(lines)]


class CommentPreprocessor(Preprocessor):
    """Drop ``%%comments%%`` (also across lines), keeping the line count so every later
    line number still names the file's line."""

    def run(self, lines: list[str]) -> list[str]:
        if not any("%%" in line for line in lines):
            return lines
        text = _COMMENT.sub(lambda m: "\n" * m.group(0).count("\n"),
                            _outside_code("\n".join(lines)))
        return text.replace("%\u2060%", "%%").split("\n")


def _outside_code(text: str) -> str:
    """The text with ``%%`` inside fenced code protected from the comment pattern."""
    lines = text.split("\n")
    for i, line, in_code in fenced(lines):
        if in_code and "%%" in line:
            lines[i] = line.replace("%%", "%\u2060%")  # a word joiner between: not a comment
        elif "`" in line and "%%" in line:  # nor in a code span
            lines[i] = _CODE_SPAN.sub(lambda m: m.group(0).replace("%%", "%\u2060%"), line)
    return "\n".join(lines)


def split_sections(body: str, anchor: str) -> tuple[str, int, str] | None:
    """The part of ``body`` an embed ``#anchor`` names: (markdown, line offset, heading id).

    ``^id`` is the paragraph ending in ``^id``; anything else is a heading, matched by its text
    or its id, with everything up to the next heading of the same or a higher level."""
    lines = body.split("\n")
    if anchor.startswith("^"):
        for i, line in enumerate(lines):
            if line.rstrip().endswith(" " + anchor) or line.strip() == anchor:
                start = i
                while start > 0 and lines[start - 1].strip():
                    start -= 1
                return "\n".join(lines[start:i + 1]), start, anchor
        return None
    wanted = anchor.strip().lower()
    level, start, slug = 0, -1, ""
    for i, line in _outside_fences(lines):
        match = _HEADING.match(line)
        if not match:
            continue
        depth = len(match.group(1))
        if start >= 0 and depth <= level:
            return "\n".join(lines[start:i]), start, slug
        text = match.group(2).strip()
        if start < 0 and wanted in (text.lower(), slugify_unicode(text, "-")):
            start, level, slug = i, depth, slugify_unicode(text, "-")
    return ("\n".join(lines[start:]), start, slug) if start >= 0 else None


def _outside_fences(lines: list[str]) -> list[tuple[int, str]]:
    return [(i, line) for i, line, in_code in fenced(lines) if not in_code]


class EmbedPreprocessor(Preprocessor):
    """``![[note]]`` -> the rendered note (or section, or block) in a ``div.embed``;
    ``![[a.png|300]]`` -> a sized image (the wiki-link preprocessor then makes the <img>)."""

    def __init__(self, md: Markdown, state: ObsidianState):
        super().__init__(md)
        self.state = state

    def run(self, lines: list[str]) -> list[str]:
        if not any("![[" in line for line in lines):
            return lines
        at = self.state.note.body_line
        return _code_aware(lines, lambda line, i: _EMBED.sub(
            lambda m: self._replace(m, at + i), line) if "![[" in line else line)

    def _replace(self, match: re.Match[str], line: int) -> str:
        if match.group(2) is None:
            return match.group(0)  # a code span
        target, _, alias = match.group(2).partition("|")
        name = target.split("#")[0].strip()
        size = _SIZE.match(alias)
        if posixpath.splitext(name)[1].lower() in IMAGE_EXTENSIONS:
            alt = f"{SIZE_MARK}{alias.strip()}" if size else (alias or posixpath.basename(name))
            return f"![[{target}|{alt}]]"
        if not name.lower().endswith(".md") and posixpath.splitext(name)[1]:
            return f"[[{match.group(2)}]]"  # an attachment (pdf, ...): a plain link to it
        return self._embed(target.strip(), line)

    def _embed(self, target: str, line: int) -> str:
        state = self.state
        note, index = state.note, state.index
        link = resolve_wiki(index, note.source, target, line)
        anchor = link.anchor
        if link.target is None or not link.target.endswith(".md") or state.load is None:
            state.links.append(link)
            return ""
        if link.target in state.stack:
            chain = " -> ".join((*state.stack[state.stack.index(link.target):], link.target))
            raise ContentError(f"embed loop: {chain}", note.display_path, line)
        embedded = state.load(link.target)
        part = (embedded.body, 0, None) if not anchor else split_sections(embedded.body, anchor)
        if part is None:
            state.links.append(link)  # the link check reports the missing heading or block
            return ""
        state.links.append(link._replace(anchor=part[2]))
        sub = replace(embedded, body=part[0], body_line=embedded.body_line + part[1])
        from site_builder.render import render_nested

        inner = render_nested(sub, index, state.load, state.stack, state.raw_html)
        state.embeds.update((link.target, *inner.embeds))
        title = embedded.title if not anchor else f"{embedded.title} › {anchor.lstrip('^')}"
        href = href_for(index.targets[link.target].url, part[2])
        body = _HEADERLINK.sub("", _STRIP_IDS.sub("", inner.html))
        # Kept out of the search index: a search finds the embedded text in its own note.
        html_ = (f'<div class="embed" data-pagefind-ignore><p class="embed-title">'
                 f'<a href="{html.escape(href)}">{html.escape(title)}</a></p>\n{body}\n</div>')
        return "\n" + self.md.htmlStash.store(html_) + "\n"


class ObsidianTreeprocessor(Treeprocessor):
    """Callouts and block ids (before inline parsing, on the raw paragraph text)."""

    def run(self, root: etree.Element) -> None:
        for parent in list(root.iter()):
            for child in list(parent):
                if child.tag == "blockquote" and _callout_head(child):
                    at = list(parent).index(child)
                    parent.remove(child)
                    for offset, box in enumerate(_callouts(child)):
                        parent.insert(at + offset, box)
        for el in root.iter():
            # "^" first: the regex starts with \s, so it is tried at every position of the text
            if el.tag in ("p", "li") and el.text and "^" in el.text and len(el) == 0:
                match = _BLOCK_ID.search(el.text)
                if match:
                    el.text = el.text[:match.start()]
                    el.set("id", "^" + match.group(1))


def _callout_head(quote: etree.Element) -> re.Match[str] | None:
    first = quote[0] if len(quote) else None
    if first is None or first.tag != "p" or not first.text:
        return None
    return _CALLOUT.match(first.text.partition("\n")[0].strip())


def _callouts(quote: etree.Element) -> list[etree.Element]:
    """One box per ``[!type]`` paragraph: Python-Markdown merges two quotes separated by a
    blank line, which Obsidian shows as two callouts."""
    boxes: list[etree.Element] = []
    content = None
    for child in list(quote):
        match = _CALLOUT.match((child.text or "").partition("\n")[0].strip()) \
            if child.tag == "p" else None
        if match:
            box, content = _callout_box(match)
            boxes.append(box)
            rest = child.text.partition("\n")[2]
            if rest.strip() or len(child):
                child.text = rest
                content.append(child)
        elif content is not None:
            content.append(child)
    boxes[-1].tail = quote.tail
    return boxes


def _callout_box(match: re.Match[str]) -> tuple[etree.Element, etree.Element]:
    name, fold, title = match.group(1).lower(), match.group(2), match.group(3).strip()
    kind = CALLOUT_KINDS.get(name, "note")
    box = etree.Element("details" if fold else "div",
                        {"class": f"callout callout-{kind}", "data-callout": name})
    if fold == "+":
        box.set("open", "open")
    head = etree.SubElement(box, "summary" if fold else "p", {"class": "callout-title"})
    head.text = title or name.replace("-", " ").capitalize()
    return box, etree.SubElement(box, "div", {"class": "callout-content"})


class ReaderPostprocessor(Postprocessor):
    """What readers of every kind need from the final HTML: task-list checkboxes named
    (pymdownx leaves them unlabelled: axe's critical "label"), wide code blocks and tables
    reachable by keyboard to scroll, heading permalinks ("#") kept out of the search index,
    and no bytes spent on Pygments' whitespace tokens."""

    def run(self, text: str) -> str:
        if "<" not in text:  # every rewrite below is of a tag (the TOC runs this per heading)
            return text
        text = _TASK_BOX.sub(lambda m: f'{m.group(1)} aria-label="'
                             f'{"done" if m.group(2) else "to do"}"{m.group(2) or ""}/>', text)
        text = _WHITESPACE_TOKEN.sub(r"\1", text)  # unstyled, and a tenth of a code page
        return text.replace('<div class="highlight">', '<div class="highlight" tabindex="0">') \
            .replace("<table>", '<table tabindex="0">') \
            .replace('<a class="headerlink"', '<a class="headerlink" data-pagefind-ignore')


class SizedImageTreeprocessor(Treeprocessor):
    """``![[a.png|300]]`` / ``|300x200``: width (and height) on the <img>, alt = file name."""

    def run(self, root: etree.Element) -> None:
        for img in root.iter("img"):
            alt = img.get("alt", "")
            if not alt.startswith(SIZE_MARK):
                continue
            size = _SIZE.match(alt[len(SIZE_MARK):])
            img.set("width", size.group(1))
            if size.group(2):
                img.set("height", size.group(2))
            src = img.get("src", "")
            img.set("alt", posixpath.splitext(posixpath.basename(src.rstrip("/")))[0])


class ObsidianExtension(Extension):
    def __init__(self, **kwargs):
        self.state = ObsidianState()
        super().__init__(**kwargs)

    def extendMarkdown(self, md: Markdown) -> None:
        # Before the wiki-link preprocessor (27), so file lines are still the file's.
        md.preprocessors.register(CommentPreprocessor(md), "obsidian_comments", 29)
        md.preprocessors.register(EmbedPreprocessor(md, self.state), "obsidian_embeds", 28)
        # Before inline parsing (20): callout titles and ^ids are still raw text.
        md.treeprocessors.register(ObsidianTreeprocessor(md), "obsidian", 21)
        # After the link treeprocessor (15) set the image's src.
        md.treeprocessors.register(SizedImageTreeprocessor(md), "obsidian_sizes", 14)
        # After raw HTML (pymdownx's checkboxes) is back in the text (30).
        md.postprocessors.register(ReaderPostprocessor(md), "reader_markup", 25)
