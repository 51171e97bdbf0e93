"""Lists nest as CommonMark (and so Obsidian) nests them, whatever their indentation.

Python-Markdown nests a list only under a 4-space indent and knows only ``1.`` ordered
markers, so a vault's 2- or 3-space lists came out flat, ``1)`` lists as one paragraph, and a
list right under a line of text as that text.  CommonMark's rule is relative: a line belongs
to a list item when it is indented at least to the column where the item's text starts
(``- `` is 2 columns, ``10. `` is 4).  This preprocessor reads lists by that rule and writes
them again the way Python-Markdown reads them: every level 4 spaces deeper, ``)`` markers as
``.``, a blank line before a list that interrupts a paragraph.  Quotes and callouts are read
the same way inside their ``>`` markers.

mdx_truly_sane_lists was tried first: it nests by a fixed step (2 spaces), so a 4-space
child of a ``- `` item, the most common shape of all, stays text.  ``tests/test_lists.py``
checks random list shapes against markdown-it-py's CommonMark renderer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from markdown.preprocessors import Preprocessor

_MARKER = re.compile(r"^( *)([-+*]|\d{1,9}[.)])( +|$)(.*)$")
_QUOTE = re.compile(r"^( {0,3}>) ?")
_FENCE = re.compile(r"^\s*(`{3,}|~{3,})")
_INTERRUPTS = re.compile(r"^\s{0,3}(#{1,6}(\s|$)|>|`{3,}|~{3,}|([-*_])(\s*\3){2,}\s*$)")
STEP = 4  # Python-Markdown's indent per level


@dataclass
class _Item:
    content: int  # source column where the item's text starts
    depth: int  # 0 for a top-level item


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _marker(line: str, stack: list[_Item]) -> re.Match[str] | None:
    """A list marker that opens an item here (not indented code, not a thematic break)."""
    match = _MARKER.match(line)
    if match is None or _INTERRUPTS.match(line) and match.group(2) in "-*":
        return None
    limit = (stack[-1].content if stack else 0) + 3
    return match if len(match.group(1)) <= limit else None


class _Lists:
    """The rewriting of one run of lines (a whole note, or the inside of one quote)."""

    def __init__(self) -> None:
        self.stack: list[_Item] = []
        self.out: list[str] = []
        self.text_before = False  # the previous line was paragraph text
        self.paragraph = False  # ... and outside any list
        self.blank = False  # the previous line was blank
        self.loose = False  # the text line before is a later paragraph of an item
        self.block_indent = 0  # output indent of the first line since the last blank one
        self.fence: str | None = None
        self.fence_shift = 0
        self.kinds: list[bool] = []  # per depth: whether the last item there was ordered

    def line(self, line: str) -> None:
        if self.fence is not None:
            self._in_fence(line)
            self.blank = self.fence is None and bool(self.stack)  # a blank line was added
            return
        if not line.strip():
            self.out.append(line)
            self.text_before = self.paragraph = False
            self.blank = True
            return
        elif (marker := _marker(line, self._open_for(line))) is not None:
            self._item(marker)
        else:
            self._text(line)
        if self.blank:
            self.block_indent = _indent(self.out[-1])
        self.blank = False

    def holds(self, line: str) -> bool:
        """Is this line (a quote) inside the list item open here?"""
        return bool(self.stack) and (_indent(line) >= self.stack[-1].content
                                     or self.text_before)

    def _open_for(self, line: str) -> list[_Item]:
        """Close the items this line is not inside (by its indent), unless it is lazy text."""
        indent = _indent(line)
        lazy = self.text_before and not _INTERRUPTS.match(line) and not _MARKER.match(line)
        if not lazy:
            while self.stack and indent < self.stack[-1].content:
                self.stack.pop()
        return self.stack

    def _item(self, match: re.Match[str]) -> None:
        indent, marker, spaces, text = match.groups()
        start = len(indent)
        width = len(spaces) if 0 < len(spaces) <= 4 else 1
        depth = len(self.stack)
        # A list may interrupt a paragraph in CommonMark; Python-Markdown needs a blank line
        # there, and wherever an indented block (a child's) would swallow this item.
        # An ordered item right after a bullet one (or the reverse) starts a new list in
        # CommonMark; Python-Markdown (sane_lists) needs a blank line to see two lists.
        ordered = marker[0].isdigit()
        switched = depth < len(self.kinds) and self.kinds[depth] != ordered and \
            bool(self.out) and self.out[-1].strip() != ""
        if self.paragraph and (not ordered or marker[:-1] == "1") or switched or \
                self.loose and self.text_before or self.block_indent > STEP * depth:
            self.out.append("")
            self.block_indent = STEP * depth
        self.kinds[depth:] = [ordered]
        self.stack.append(_Item(start + len(marker) + width, depth))
        mark = marker[:-1] + "." if marker.endswith(")") else marker
        self.out.append(" " * (STEP * depth) + mark + " " + text)
        self.text_before, self.paragraph, self.loose = bool(text.strip()), False, False

    def _text(self, line: str) -> None:
        if not self.stack:
            self.out.append(line)
        else:
            top = self.stack[-1]
            indent = _indent(line)
            kept = line[min(indent, top.content):]
            self.out.append(" " * (STEP * (top.depth + 1)) + kept)
        fence = _FENCE.match(line)
        if fence and self.stack and self.text_before:
            self.out.insert(len(self.out) - 1, "")  # a fence interrupts a paragraph
        if fence:
            self.fence = fence.group(1)[0]
            self.fence_shift = (STEP * (self.stack[-1].depth + 1) - self.stack[-1].content
                                if self.stack else 0)
        self.text_before = not fence
        self.paragraph = self.text_before and not self.stack
        if not self.stack:
            self.kinds = []  # text outside any list: the next list is a new one anyway
        self.loose = bool(self.stack) and (self.blank or self.loose)

    def _in_fence(self, line: str) -> None:
        shift = self.fence_shift
        self.out.append(" " * shift + line if shift >= 0 else
                        line[min(-shift, _indent(line)):])
        fence = _FENCE.match(line)
        if fence and fence.group(1)[0] == self.fence:
            self.fence = None
            if self.stack:
                self.out.append("")  # Python-Markdown needs the code block closed off


def nest_lists(lines: list[str]) -> list[str]:
    """``lines`` with every list indented as Python-Markdown nests it, quotes included."""
    out: list[str] = []
    i = 0
    while i < len(lines):
        if _QUOTE.match(lines[i]) and not _FENCE.match(lines[i]):
            j = i
            while j < len(lines) and _QUOTE.match(lines[j]):
                j += 1
            inner = [_QUOTE.sub("", line, count=1) for line in lines[i:j]]
            prefix = _QUOTE.match(lines[i]).group(1)
            out += [f"{prefix} {line}" if line.strip() else prefix for line in nest_lists(inner)]
            i = j
            continue
        run = _Lists()
        while i < len(lines) and not (_QUOTE.match(lines[i]) and run.fence is None
                                      and not run.holds(lines[i])):
            run.line(lines[i])
            i += 1
        out += run.out
    return out


class ListPreprocessor(Preprocessor):
    """Re-indent lists before Python-Markdown's block parser reads them (see the module)."""

    def run(self, lines: list[str]) -> list[str]:
        for line in lines:  # most notes: a marker or a quote somewhere, or nothing to do
            stripped = line.lstrip()
            if stripped[:1] in ("-", "+", "*", ">") or stripped[:1].isdigit():
                return nest_lists(lines)
        return lines
