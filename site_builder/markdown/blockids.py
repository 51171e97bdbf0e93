"""Obsidian's block ids: a paragraph or list item ending in ``^id`` gets ``id="^id"``.

So ``[[note#^id]]`` links to it and ``![[note#^id]]`` embeds it.  Runs before inline parsing,
on the raw text, after the callouts were made (a callout's paragraphs can carry ids too).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as etree

from markdown.treeprocessors import Treeprocessor

_BLOCK_ID = re.compile(r"\s\^([A-Za-z0-9-]+)\s*$")


class BlockIdTreeprocessor(Treeprocessor):
    """``text ^id`` -> the element's id is ``^id`` and the marker leaves the text."""

    def run(self, root: etree.Element) -> None:
        for el in root.iter():
            # "^" first: the regex starts with \s, so it is tried at every position of the text
            if el.tag in ("p", "li") and el.text and "^" in el.text and len(el) == 0:
                match = _BLOCK_ID.search(el.text)
                if match:
                    el.text = el.text[:match.start()]
                    el.set("id", "^" + match.group(1))
