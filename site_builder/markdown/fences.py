"""Fenced code blocks, seen from the preprocessors that rewrite Markdown text line by line.

Wiki links, embeds, comments and display math are rewritten before Python-Markdown stashes
fenced code, so each must skip code itself; this is the one place that knows where code is.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

# A fence may open inside a quote or a callout (``> `````) and inside a list item (indented).
_FENCE = re.compile(r"^(?:[ \t]*>)*[ \t]*(`{3,}|~{3,})")
# CommonMark's raw HTML block of kind 1 (``<pre>``, ``<script>``, ``<style>``,
# ``<textarea>``) runs to the line that closes it, whatever it holds: a ```` ``` ```` inside
# (``<pre><code>```query``) neither opens nor closes a fence, and nothing in it is Markdown.
RAW_BLOCK = re.compile(r"^ {0,3}<(pre|script|style|textarea)(?=[\s>]|$)", re.IGNORECASE)


def fenced(lines: list[str]) -> Iterator[tuple[int, str, bool]]:
    """``(i, line, in_code)`` for each line: ``in_code`` for the lines of fenced code blocks,
    fences included, and of raw ``<pre>``-like HTML blocks.  Preprocessors that rewrite Markdown text (wiki links, embeds,
    comments) run before fenced code is stashed, so each skips code with this."""
    fence: str | None = None
    raw_end: str | None = None  # the closing tag of the raw HTML block we are in
    for i, line in enumerate(lines):
        if raw_end is None and fence is None and (raw := RAW_BLOCK.match(line)):
            raw_end = f"</{raw.group(1).lower()}>"
        if raw_end is not None:
            if raw_end in line.lower():
                raw_end = None
            yield i, line, True
            continue
        match = _FENCE.match(line)
        if match:
            marker = match.group(1)[0] * 3
            fence = None if fence and marker == fence else (fence or marker)
        yield i, line, bool(fence or match)


def code_aware(lines: list[str], change: Callable[[str, int], str]) -> list[str]:
    """Apply ``change(line, i)`` to every line outside fenced code blocks."""
    return [line if in_code else change(line, i) for i, line, in_code in fenced(lines)]
