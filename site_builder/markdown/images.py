"""Obsidian's image sizes: ``![[a.png|300]]``, ``![[a.png|300x200]]``, and in Markdown
images ``![300](a.png)`` or ``![a diagram|300x200](a.png)``.

The embed preprocessor marks a sized image's alt text (``SIZE_MARK``); once the link
treeprocessor has set its ``src``, this one turns the mark, or a Markdown image's size in its
alt text, into ``width``/``height``.
"""

from __future__ import annotations

import posixpath
import re
import xml.etree.ElementTree as etree

from markdown.treeprocessors import Treeprocessor

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp", ".avif", ".bmp")


SIZE_MARK = "notes-size:"


SIZE = re.compile(r"^\s*(\d+)(?:x(\d+))?\s*$")
_ALT_SIZE = re.compile(r"^(?:(.*)\|)?\s*(\d+)(?:x(\d+))?\s*$", re.DOTALL)


class SizedImageTreeprocessor(Treeprocessor):
    """``![[a.png|300]]`` / ``|300x200``: width (and height) on the <img>, alt = file name."""

    def run(self, root: etree.Element) -> None:
        for img in root.iter("img"):
            alt = img.get("alt", "")
            if not alt.startswith(SIZE_MARK):
                _markdown_size(img, alt)
                continue
            size = SIZE.match(alt[len(SIZE_MARK):])
            img.set("width", size.group(1))
            if size.group(2):
                img.set("height", size.group(2))
            src = img.get("src", "")
            img.set("alt", posixpath.splitext(posixpath.basename(src.rstrip("/")))[0])


def _markdown_size(img: etree.Element, alt: str) -> None:
    """``![250](a.png)`` / ``![text|250x100](a.png)``: Obsidian's size in the alt text."""
    size = _ALT_SIZE.match(alt)
    if size is None:
        return
    text, width, height = size.groups()
    img.set("width", width)
    if height:
        img.set("height", height)
    src = img.get("src", "")
    img.set("alt", text.strip() if text is not None else
            posixpath.splitext(posixpath.basename(src.rstrip("/")))[0])
