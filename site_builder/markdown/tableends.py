"""A table ends where GitHub's tables (and so Obsidian's) end it, not at the next blank line.

Python-Markdown's ``tables`` reads every line of a block as a row, so a heading written right
under a table (``| a |`` / ``## Next``) became a row holding ``## Next``, and Obsidian's block
id under a table (``^table-id``, the way the Obsidian Help vault marks its tables) a row
holding ``^table-id``.  In GFM a table stops at the start of another block: a heading, a
fence, a quote.  This preprocessor puts a blank line there, and before a ``^id`` line, which
then is a paragraph of its own that ``blockids`` turns into the table's id.
"""

from __future__ import annotations

import re

from markdown.preprocessors import Preprocessor

from site_builder.markdown.fences import fenced

_DELIMITER = re.compile(r"^ {0,3}\|?[ \t]*:?-+:?[ \t]*(\|[ \t]*:?-+:?[ \t]*)*\|?[ \t]*$")
_BREAKS = re.compile(r"^ {0,3}(#{1,6}([ \t]|$)|>|`{3,}|~{3,})|^[ \t]*\^[A-Za-z0-9-]+[ \t]*$")


def end_tables(lines: list[str]) -> list[str]:
    """``lines`` with a blank line between each table and a block that starts under it."""
    out: list[str] = []
    in_table = False
    for i, line, in_code in fenced(lines):
        if in_table and _BREAKS.match(line):  # a fence under a table is code already
            out.append("")
            in_table = False
        elif in_code or not line.strip():
            in_table = False
        elif not in_table and i > 0 and _DELIMITER.match(line) and "-" in line \
                and "|" in line + lines[i - 1] and lines[i - 1].strip():
            in_table = True
        out.append(line)
    return out


class TableEndPreprocessor(Preprocessor):
    """End tables as GFM does, before Python-Markdown's ``tables`` reads them (see module)."""

    def run(self, lines: list[str]) -> list[str]:
        if not any("|" in line for line in lines):  # most notes: no table at all
            return lines
        return end_tables(lines)
