"""Obsidian's block ids: a paragraph or list item ending in ``^id`` gets ``id="^id"``.

So ``[[note#^id]]`` links to it and ``![[note#^id]]`` embeds it.  Runs before inline parsing,
on the raw text, after the callouts were made (a callout's paragraphs can carry ids too).
A ``^id`` alone after a block (a list, a table, a quote or callout), as Obsidian marks those,
gives its id to that block and is not shown.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as etree

from markdown.treeprocessors import Treeprocessor

_BLOCK_ID = re.compile(r"\s\^([A-Za-z0-9-]+)\s*$")
_ALONE = re.compile(r"\s*\^([A-Za-z0-9-]+)\s*")
_BLOCKS = ("table", "ul", "ol", "blockquote", "div", "p")


class BlockIdTreeprocessor(Treeprocessor):
    """``text ^id`` -> the element's id is ``^id`` and the marker leaves the text."""

    def run(self, root: etree.Element) -> None:
        _standalone_ids(root)
        for el in root.iter():
            # "^" first: the regex starts with \s, so it is tried at every position of the text
            if el.tag in ("p", "li") and el.text and "^" in el.text and len(el) == 0:
                match = _BLOCK_ID.search(el.text)
                if match:
                    el.text = el.text[:match.start()]
                    el.set("id", "^" + match.group(1))


def _standalone_ids(root: etree.Element) -> None:
    """A paragraph that is only ``^id``, right after a block without an id: the block's id."""
    for parent in list(root.iter()):
        previous = None
        for el in list(parent):
            match = _ALONE.fullmatch(el.text or "") if el.tag == "p" and len(el) == 0 else None
            if match and previous is not None and previous.tag in _BLOCKS \
                    and previous.get("id") is None:
                previous.set("id", "^" + match.group(1))
                parent.remove(el)
                continue
            previous = el
