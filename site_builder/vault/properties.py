"""Obsidian's own properties, read as Obsidian reads them, and the writer's other properties.

A vault's notes carry properties Obsidian itself gives meaning to: ``aliases`` (other names
links may use), ``cssclasses`` (classes on the note's view), ``publish: false`` (Obsidian
Publish leaves the note out), ``permalink`` (its published URL), ``description`` (its summary
for link previews) and ``created``.  The rest (``categories``, ``rating``, ``author``...) is
the writer's own data: shown on the page as it is, with the wiki links it holds
(``categories: ["[[Trips]]"]``) made links like any other.

Obsidian's singular forms from before version 1.4 (``alias``, ``cssclass``, ``tag``) are read
as the plural ones.  A value Obsidian itself would not understand is ignored rather than an
error: these properties were written for Obsidian, not for this builder.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from site_builder.vault.frontmatter import FRONT_MATTER_KEYS, OBSIDIAN_KEYS, key_line

_WIKI = re.compile(r"\[\[[^\[\]\n]+?\]\]")


@dataclass(frozen=True)
class Properties:
    """What a note's Obsidian properties change about its page."""

    aliases: tuple[str, ...] = ()
    cssclasses: tuple[str, ...] = ()
    publish: bool = True
    permalink: str | None = None
    description: str | None = None
    created: dt.date | None = None
    # (key, file line, values as text) of the writer's own properties, in file order
    shown: tuple[tuple[str, int, tuple[str, ...]], ...] = ()


def _texts(value: Any) -> tuple[str, ...]:
    """A property that may be one value or a list of them, as non-empty texts."""
    if value is None:
        return ()
    items = value if isinstance(value, list) else [value]
    return tuple(str(v).strip() for v in items
                 if isinstance(v, (str, int, float)) and not isinstance(v, bool)
                 and str(v).strip())


def _words(value: Any) -> tuple[str, ...]:
    """``cssclasses: [a, b]`` or ``cssclasses: a b``: class names, one word each."""
    return tuple(w for text in _texts(value) for w in re.split(r"[\s,]+", text) if w)


def _lenient_date(value: Any) -> dt.date | None:
    """``created``: a date Obsidian shows as one, else nothing (never an error)."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip() if isinstance(value, str) else ""
    for parse in (dt.date.fromisoformat, lambda t: dt.datetime.fromisoformat(t).date()):
        try:
            return parse(text[:10] if parse is dt.date.fromisoformat else text)
        except ValueError:
            continue
    return None


def merged(data: Mapping[str, Any], key: str, legacy: str) -> list[Any]:
    """The values of ``key`` and of its pre-1.4 singular form, as one list."""
    values: list[Any] = []
    for name in (key, legacy):
        value = data.get(name)
        if value is not None:
            values += value if isinstance(value, list) else [value]
    return values


def shown_properties(data: Mapping[str, Any], fm_lines: list[str]
                     ) -> tuple[tuple[str, int, tuple[str, ...]], ...]:
    """The writer's own properties (not the builder's, not Obsidian's), each as texts."""
    known = {*FRONT_MATTER_KEYS, *OBSIDIAN_KEYS}
    found = []
    for key, value in data.items():
        if str(key) in known:
            continue
        texts = _texts(value)
        if texts:
            found.append((str(key), key_line(fm_lines, str(key)) or 1, texts))
    return tuple(found)


def read_properties(data: Mapping[str, Any], fm_lines: list[str]) -> Properties:
    """The Obsidian properties of one note's front matter."""
    publish = data.get("publish")
    permalink = data.get("permalink")
    description = data.get("description")
    return Properties(
        aliases=_texts(merged(data, "aliases", "alias")),
        cssclasses=_words(merged(data, "cssclasses", "cssclass")),
        publish=publish is not False,
        permalink=str(permalink).strip() or None if isinstance(permalink, str) else None,
        description=str(description).strip() or None if description not in (None, "") else None,
        created=_lenient_date(data.get("created")),
        shown=shown_properties(data, fm_lines),
    )


def wiki_links_in(text: str) -> list[str]:
    """The ``[[...]]`` links a property value holds, as written."""
    return _WIKI.findall(text)
