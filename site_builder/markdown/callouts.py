"""Obsidian's callouts: ``> [!tip] Title``, folded with ``[!tip]-`` or open with ``[!tip]+``.

A blockquote whose first line is ``[!type]`` becomes a ``div.callout`` (a ``details`` when
foldable), before inline parsing, while the title is still raw text.  Aliases keep their own
``data-callout`` and are styled as their kind.  The title starts with the kind's icon, the
Lucide icon Obsidian shows, inlined from the copies in ``callout_icons/`` (pinned in
package.json, copied by ``make vendor``: a page never loads an icon from a CDN).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as etree
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

from markdown.treeprocessors import Treeprocessor

ICON_DIR = Path(__file__).parent / "callout_icons"
# kind -> the Lucide icon Obsidian gives it
CALLOUT_ICONS = {
    "note": "pencil", "abstract": "clipboard-list", "info": "info", "todo": "circle-check",
    "tip": "flame", "success": "check", "question": "circle-help", "warning": "triangle-alert",
    "failure": "x", "danger": "zap", "bug": "bug", "example": "list", "quote": "quote",
}

_CALLOUT = re.compile(r"^\[!([A-Za-z-]+)\]([+-]?)[ \t]*(.*)$")


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


def _callout_head(quote: etree.Element) -> re.Match[str] | None:
    first = quote[0] if len(quote) else None
    if first is None or first.tag != "p" or not first.text:
        return None
    return _CALLOUT.match(first.text.partition("\n")[0].strip())


def _callouts(quote: etree.Element, icon: Callable[[str], str]) -> list[etree.Element]:
    """One box per ``[!type]`` paragraph: Python-Markdown merges two quotes separated by a
    blank line, which Obsidian shows as two callouts."""
    boxes: list[etree.Element] = []
    content = None
    for child in list(quote):
        match = _CALLOUT.match((child.text or "").partition("\n")[0].strip()) \
            if child.tag == "p" else None
        if match:
            box, content = _callout_box(match, icon(CALLOUT_KINDS.get(match.group(1).lower(),
                                                                      "note")))
            boxes.append(box)
            rest = child.text.partition("\n")[2]
            if rest.strip() or len(child):
                child.text = rest
                content.append(child)
        elif content is not None:
            content.append(child)
    boxes[-1].tail = quote.tail
    return boxes


@lru_cache(maxsize=32)
def callout_icon(kind: str) -> str:
    """The inline SVG icon of a callout kind, hidden from screen readers (the title says it)."""
    svg = (ICON_DIR / f"{CALLOUT_ICONS[kind]}.svg").read_text("utf-8")
    return " ".join(svg.replace('class="lucide ', 'aria-hidden="true" class="callout-icon lucide ')
                    .split())


def _callout_box(match: re.Match[str], icon: str) -> tuple[etree.Element, etree.Element]:
    name, fold, title = match.group(1).lower(), match.group(2), match.group(3).strip()
    kind = CALLOUT_KINDS.get(name, "note")
    box = etree.Element("details" if fold else "div",
                        {"class": f"callout callout-{kind}", "data-callout": name})
    if fold == "+":
        box.set("open", "open")
    head = etree.SubElement(box, "summary" if fold else "p", {"class": "callout-title"})
    head.text = icon + (title or name.replace("-", " ").capitalize())
    return box, etree.SubElement(box, "div", {"class": "callout-content"})


class CalloutTreeprocessor(Treeprocessor):
    """Every blockquote that starts with ``[!type]`` -> one callout box per such paragraph,
    at any depth: the boxes are searched again after they are made, so a callout inside a
    callout (``> > [!todo]``) is one too."""

    def run(self, root: etree.Element) -> None:
        self._convert(root)

    def _icon(self, kind: str) -> str:
        """The icon as a stash placeholder: raw HTML, put back after inline parsing."""
        return self.md.htmlStash.store(callout_icon(kind))

    def _convert(self, parent: etree.Element) -> None:
        for child in list(parent):
            if child.tag == "blockquote" and _callout_head(child):
                at = list(parent).index(child)
                parent.remove(child)
                boxes = _callouts(child, self._icon)
                for offset, box in enumerate(boxes):
                    parent.insert(at + offset, box)
                for box in boxes:
                    self._convert(box)
            else:
                self._convert(child)
