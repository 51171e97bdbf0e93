"""``[markdown] raw_html = "escape"``: notes whose HTML must not run in a reader's browser.

Markdown passes raw HTML through by design, and notes are usually the site owner's own
writing, so that stays the default (``"keep"``).  A site that publishes notes from other
people (a shared repository, pull requests built by CI) can instead have every raw HTML tag
shown as text and every ``javascript:``-style address dropped from links and images.

Escaping is done by Python-Markdown itself: without its raw-HTML block preprocessor and inline
pattern, ``<script>`` is ordinary text, which the serializer escapes.  HTML the extensions make
(code highlighting, footnotes, the table of contents) is unaffected.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as etree

from markdown import Extension, Markdown
from markdown.treeprocessors import Treeprocessor

# Schemes that run code when followed; data: is allowed only for images of a raster type.
_SCRIPT_SCHEMES = ("javascript:", "vbscript:", "data:")
_SAFE_DATA_IMAGE = re.compile(r"^data:image/(?:png|gif|jpe?g|webp);", re.IGNORECASE)
_IGNORED = re.compile(r"[\x00-\x20\x7f]+")  # browsers skip these inside a scheme


def is_script_url(url: str, image: bool = False) -> bool:
    """Would following (or loading) ``url`` run script?  Browsers ignore whitespace and
    control characters and letter case in the scheme (``Java\tScript:``), so this does too."""
    compact = _IGNORED.sub("", url).lower()
    if image and _SAFE_DATA_IMAGE.match(compact):
        return False
    return compact.startswith(_SCRIPT_SCHEMES)


class DropScriptUrls(Treeprocessor):
    """Remove ``href``/``src`` attributes whose address would run script."""

    def run(self, root: etree.Element) -> None:
        for el in root.iter():
            attr = {"a": "href", "img": "src"}.get(el.tag)
            value = el.get(attr) if attr else None
            if value is not None and is_script_url(value, image=el.tag == "img"):
                del el.attrib[attr]


class EscapeRawHtml(Extension):
    """Show raw HTML as text and drop script addresses (see the module docstring)."""

    def extendMarkdown(self, md: Markdown) -> None:
        md.preprocessors.deregister("html_block")
        md.inlinePatterns.deregister("html")
        # 14: after the links' own treeprocessor (15) rewrote internal addresses.
        md.treeprocessors.register(DropScriptUrls(md), "drop_script_urls", 14)
