"""The ids a note's page will have, read from its Markdown before anything is rendered.

A link to ``[[Note#Heading]]`` or ``[[Note#^block]]`` must come out as a real ``#fragment``
or, when the heading does not exist, as a link to the note without one: a published page
never holds a fragment that is not an id on its target.  Links resolve while notes render, in
parallel, before any other note's ids are known, so the ids are predicted here from the
headings' text (with the same slugify and the same ``_1`` suffixes as the table of contents),
the block ids (``text ^id``), footnotes and raw HTML ids.  The link stage still checks every
anchor against the rendered ids, so a wrong prediction is reported, never published silently.
"""

from __future__ import annotations

import re

from markdown.extensions.toc import slugify_unicode

_FENCE = re.compile(r"^(?:\s*>)*\s*(`{3,}|~{3,})")
# A raw HTML block of CommonMark's kind 1 runs to its closing tag, fences in it included
# (markdown/fences.py says the same to the renderer's preprocessors).
_RAW_BLOCK = re.compile(r"^ {0,3}<(pre|script|style|textarea)(?=[\s>]|$)", re.IGNORECASE)
_ATX = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.+?)(?:[ \t]+#+)?[ \t]*$")
_SETEXT = re.compile(r"^ {0,3}(?:=+|-+)[ \t]*$")
_BLOCK_ID = re.compile(r"(?:^|\s)\^([A-Za-z0-9-]+)\s*$")  # alone: the block above's
_FOOTNOTE = re.compile(r"^ {0,3}\[\^([^\]]+)\]:")
_HTML_ID = re.compile(r"<[A-Za-z][^>]*?\sid=\"([^\"]+)\"")
_WIKI = re.compile(r"\[\[([^\]|]*)(?:\\?\|([^\]]*))?\]\]")
_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_MARKUP = re.compile(r"[\[*`=~_^]")
_MARKS = re.compile(r"(\*\*|\*|`+|==|~~|(?<!\w)_+|_+(?!\w))")


def heading_slug(text: str) -> str:
    """The id the table of contents gives a heading whose Markdown text is ``text``: links
    and wiki links count by their label, emphasis and code marks not at all."""
    if not _MARKUP.search(text):  # most headings: plain words
        return slugify_unicode(text, "-")
    text = _WIKI.sub(lambda m: m.group(2) or m.group(1).split("#")[-1], text)
    text = _LINK.sub(r"\1", text)
    text = _BLOCK_ID.sub("", text)
    return slugify_unicode(_MARKS.sub("", text), "-")


def _unique(slug: str, used: set[str]) -> str:
    """toc's ``unique``: a repeated id gets ``_1``, ``_2``..."""
    found, n = slug, 0
    while found in used:
        n += 1
        found = f"{slug}_{n}"
    used.add(found)
    return found


# The lines that can give an id (or open or close a fence), found by regex passes in C that
# each start from a fixed character, so a note's other lines cost nothing here (reading
# 1,000 notes: 2.7 s line by line, 0.3 s so, under profile).
_LINE_START = re.compile(r"^(?: {0,3}#| {0,3}\[\^| {0,3}(?:=+|-+)[ \t]*$|"
                         r"(?:[ \t]*>)*[ \t]*(?:`{3,}|~{3,})|"
                         r"(?i: {0,3}<(?:pre|script|style|textarea)(?=[\s>]|$)))", re.MULTILINE)
_BLOCK_END = re.compile(r"\^[A-Za-z0-9-]+[ \t]*$", re.MULTILINE)


def _candidate_lines(body: str) -> list[int]:
    """The start of every line that may hold an id or a fence, in order."""
    starts = {m.start() for m in _LINE_START.finditer(body)}
    if "^" in body:
        starts.update(body.rfind("\n", 0, m.start()) + 1 for m in _BLOCK_END.finditer(body))
    if 'id="' in body:
        starts.update(body.rfind("\n", 0, m.start()) + 1 for m in re.finditer('id="', body))
    return sorted(starts)


def note_anchors(body: str) -> tuple[str, ...]:
    """Every id the rendered body is expected to hold, in document order."""
    used: set[str] = set()
    found: list[str] = []
    fence = None
    raw_until = 0  # a raw HTML block's lines hold no Markdown ids
    for start in _candidate_lines(body):
        if start < raw_until:
            continue
        end = body.find("\n", start)
        line = body[start:] if end < 0 else body[start:end]
        raw = None if fence else _RAW_BLOCK.match(line)
        if raw:
            raw_until = _raw_block_end(body, start, raw.group(1))
            continue
        opened = _FENCE.match(line)
        if opened:
            marker = opened.group(1)[0]
            fence = None if fence == marker else (fence or marker)
            continue
        if fence:
            continue
        previous = body[body.rfind("\n", 0, max(start - 1, 0)) + 1:max(start - 1, 0)]
        found += _line_ids(line, previous, used)
    return tuple(found)


def _raw_block_end(body: str, start: int, tag: str) -> int:
    """Where the raw HTML block opened at ``start`` ends: after the line closing its tag."""
    closing = re.compile(f"</{tag}>", re.IGNORECASE).search(body, start)
    if not closing:
        return len(body)
    end = body.find("\n", closing.end())
    return len(body) if end < 0 else end + 1


def _line_ids(line: str, previous: str, used: set[str]) -> list[str]:
    ids = []
    heading = _ATX.match(line)
    if heading:
        ids.append(_unique(heading_slug(heading.group(2)), used))
    elif _SETEXT.match(line) and previous.strip() and not previous.lstrip().startswith(
            ("-", "*", "+", ">", "|", "#")):
        ids.append(_unique(heading_slug(previous.strip()), used))
    block = _BLOCK_ID.search(line)
    if block:
        ids.append("^" + block.group(1))
    footnote = _FOOTNOTE.match(line)
    if footnote:
        ids.append("fn:" + footnote.group(1))
    ids += _HTML_ID.findall(line)
    return ids


def find_anchor(anchors: tuple[str, ...] | frozenset[str], wanted: str) -> str | None:
    """The id of ``anchors`` a link's ``#wanted`` names, or None.

    ``^id`` is a block id.  Anything else is a heading path, ``A#B#C`` as Obsidian writes a
    heading under others: the last heading names the id, by its text or as the id itself."""
    wanted = wanted.strip()
    if not wanted:
        return None
    if wanted.startswith("^"):
        return wanted if wanted in anchors else None
    last = wanted.split("#")[-1].strip()
    for candidate in (heading_slug(last), last, slugify_unicode(last, "-")):
        if candidate and candidate in anchors:
            return candidate
    return None
