"""Obsidian's inline tags: ``#tag`` and ``#area/topic`` in a note's text link to their pages.

Only the tags the note was read with (``site_builder.vault.tags``, which found them in the
Markdown when the note was read) become links, so a link never points at a tag page the build
does not make; a ``#word`` the reader did not take for a tag stays text.  Code is never
touched (Python-Markdown runs no inline pattern there), nor is the text of a link.
"""

from __future__ import annotations

import xml.etree.ElementTree as etree

from markdown import Markdown
from markdown.inlinepatterns import InlineProcessor
from markdown.util import AtomicString

from site_builder.markdown.embeds import EmbedState
from site_builder.vault.tags import INLINE_TAG, tag_url

TAG_PATTERN = INLINE_TAG.pattern


class TagInlineProcessor(InlineProcessor):
    """``#tag`` -> ``<a class="tag" href="/tags/tag/">#tag</a>`` for the note's own tags."""

    ANCESTOR_EXCLUDES = ("a",)

    def __init__(self, md: Markdown, state: EmbedState):
        super().__init__(TAG_PATTERN, md)
        self.state = state

    def handleMatch(self, m, data):
        tag = m.group(1).strip("/")
        note = self.state.note
        known = {t.casefold() for t in note.tags} if note is not None else set()
        if not tag or tag.casefold() not in known:
            return None, None, None
        link = etree.Element("a", {"class": "tag", "href": tag_url(tag)})
        link.text = AtomicString(f"#{tag}")  # no emphasis inside #a_b_c
        return link, m.start(0), m.start(0) + 1 + len(tag)
