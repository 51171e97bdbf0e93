"""Tags as Obsidian has them: in properties and inline (``#tag``), nested (``#area/topic``).

A note's tags are its ``tags`` property and every ``#tag`` in its text outside code, links and
comments, found when the note is read, so tag pages and the link index know them before any
note renders (``markdown/tags.py`` then links the inline ones, and only those found here).  A
tag is letters, digits, ``_``, ``-`` and ``/``, with at least one character that is not a digit
(``#1984`` is not a tag).  ``a/b`` is nested: it has a page of its own at ``/tags/a/b/`` and
its note is listed on ``/tags/a/`` too, as Obsidian's tag pane counts it under ``a``.
"""

from __future__ import annotations

import re

# What a tag is, written after "#" at the start of a line or after a space; also what
# markdown/tags.py matches in rendered text, so both agree on every tag.
TAG_BODY = r"[\w/-]*[^\W\d][\w/-]*"
INLINE_TAG = re.compile(r"(?<!\S)#(" + TAG_BODY + r")", re.UNICODE)
_FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
# Where a "#" is never a tag: code spans, wiki links (``[[#Heading]]``), Markdown links (their
# text is the link's, their target an address), autolinks and bare URLs (``https://x/#part``),
# HTML tags and comments, %%comments%%, math.
_NOT_TEXT = re.compile(
    r"(`+)[^`].*?\1|\[\[[^\]\n]*\]\]|\[[^\]\n]*\]\([^)\n]*\)|<[^>\n]*>|\S+://\S+|%%.*?%%"
    r"|\$[^$\n]+\$", re.DOTALL)
_COMMENT = re.compile(r"%%.*?%%", re.DOTALL)
# Symbols that tell tags apart ("c#", "c++", "c"): spelled out in URLs, not dropped.
_SPELLED = {"#": " sharp ", "+": " plus ", "&": " and ", "@": " at "}
_SYMBOL = re.compile("[" + re.escape("".join(_SPELLED)) + "]")


def clean_tag(text: str) -> str:
    """A tag as written in a property: no leading ``#``, no empty levels."""
    return "/".join(part.strip() for part in text.strip().lstrip("#").split("/") if part.strip())


def inline_tags(body: str) -> tuple[str, ...]:
    """Every ``#tag`` of a note's Markdown outside code, links and comments, in order, each
    once (``#Docker`` and ``#docker`` are one)."""
    if "#" not in body:
        return ()
    found: dict[str, str] = {}
    fence: str | None = None
    if "%%" in body:  # comments may span lines
        body = _COMMENT.sub(lambda m: "\n" * m.group().count("\n"), body)
    for line in body.split("\n"):
        marker = _FENCE.match(line)
        if marker:
            char = marker.group(1)[0]
            fence = None if fence == char else fence or char
            continue
        if fence or "#" not in line or line.startswith(("    ", "\t")):
            continue
        for match in INLINE_TAG.finditer(_NOT_TEXT.sub(" ", line)):
            tag = match.group(1).strip("/")
            if tag:
                found.setdefault(tag.casefold(), tag)
    return tuple(found.values())


def merge_tags(*groups: tuple[str, ...]) -> tuple[str, ...]:
    """Tags from several places, each once (case-insensitively), first spelling kept."""
    seen: dict[str, str] = {}
    for group in groups:
        for tag in group:
            seen.setdefault(tag.casefold(), tag)
    return tuple(seen.values())


def tag_levels(tag: str) -> tuple[str, ...]:
    """``a/b/c`` -> ``a``, ``a/b``, ``a/b/c``: the pages that list a note with that tag."""
    parts = tag.split("/")
    return tuple("/".join(parts[:i]) for i in range(1, len(parts) + 1))


def tag_slug(name: str) -> str:
    """The URL path of a tag's page below ``/tags/``: "Docker" and "docker" share one, "c#"
    (c-sharp), "c++" (c-plus-plus) and "c" do not, and ``a/b`` is ``a/b``."""
    return "/".join(_segment(part) for part in name.split("/"))


def _segment(part: str) -> str:
    spelled = _SYMBOL.sub(lambda m: _SPELLED[m.group()], part.lower())
    slug = re.sub(r"[^\w]+", "-", spelled, flags=re.UNICODE).strip("-")
    return slug or "tag"


def tag_url(name: str) -> str:
    return f"/tags/{tag_slug(name)}/"


def same_tag(a: str, b: str) -> bool:
    """Two spellings of one tag: they differ only in case, spaces, "-" and "_"."""
    fold = lambda name: re.sub(r"[\s_-]+", "", name.casefold())
    return fold(a) == fold(b)
