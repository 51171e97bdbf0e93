"""Obsidian's image sizes: ``![[a.png|300]]`` and ``![[a.png|300x200]]``.

The embed preprocessor marks a sized image's alt text (``SIZE_MARK``); once the link
treeprocessor has set its ``src``, this one turns the mark into ``width``/``height``.
"""

from __future__ import annotations

import posixpath
import re
import xml.etree.ElementTree as etree

from markdown.treeprocessors import Treeprocessor

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp", ".avif", ".bmp")


SIZE_MARK = "notes-size:"


SIZE = re.compile(r"^\s*(\d+)(?:x(\d+))?\s*$")


class SizedImageTreeprocessor(Treeprocessor):
    """``![[a.png|300]]`` / ``|300x200``: width (and height) on the <img>, alt = file name."""

    def run(self, root: etree.Element) -> None:
        for img in root.iter("img"):
            alt = img.get("alt", "")
            if not alt.startswith(SIZE_MARK):
                continue
            size = SIZE.match(alt[len(SIZE_MARK):])
            img.set("width", size.group(1))
            if size.group(2):
                img.set("height", size.group(2))
            src = img.get("src", "")
            img.set("alt", posixpath.splitext(posixpath.basename(src.rstrip("/")))[0])
