"""ATX headings as CommonMark (and so Obsidian) reads them: ``#`` marks need a space after.

Python-Markdown takes any line starting with ``#`` for a heading, so ``#tag`` alone on a line,
which Obsidian shows as a tag, came out as ``<h1>tag</h1>``.  This extension gives the heading
processor CommonMark's rule (one to six ``#``, then a space, a tab or the end of the line);
it is listed before ``FastBlockExtension``, which knows this pattern too.
"""

from __future__ import annotations

import re

from markdown import Extension, Markdown

# The stock pattern with "(?=[ \t]|\n|$)" after the marks (fastblock._KNOWN lists it too).
ATX_HEADING = (r'(?:^|\n)(?P<level>#{1,6})(?=[ \t]|\n|$)'
               r'(?P<header>(?:\\.|[^\\#]|#+(?=[^#\n]))*?)#*(?:\n|$)')


class AtxHeadingExtension(Extension):
    def extendMarkdown(self, md: Markdown) -> None:
        if "hashheader" in md.parser.blockprocessors:
            md.parser.blockprocessors["hashheader"].RE = re.compile(ATX_HEADING)
