"""Obsidian's ``%%comments%%``: left out of the page, inline or across lines.

Dropped before anything else reads the text, keeping the line count, so every later line
number still names the file's line; ``%%`` inside code (blocks and spans) is text.
"""

from __future__ import annotations

import re

from markdown.preprocessors import Preprocessor

from site_builder.markdown.fences import fenced

_CODE_SPAN = re.compile(r"(`+)[^`].*?\1")


_COMMENT = re.compile(r"%%.*?%%", re.DOTALL)


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
