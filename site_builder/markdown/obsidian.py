"""Obsidian-flavoured Markdown that pymdown-extensions does not cover, as one extension.

Each feature is a module of its own: ``comments`` (``%%…%%``), ``embeds`` (``![[note]]``),
``media`` (audio, video, PDF, Bases, YouTube), ``lists`` (CommonMark nesting), ``tableends``
(GFM's table ends), ``callouts`` (``> [!tip]``), ``blockids`` (``text ^id``), ``images``
(``![[a.png|300]]``) and ``reader`` (accessible markup).  Wiki links are ``wikilinks`` and math is ``mathml``: the
renderer registers those itself.  This module only orders the processors, which is where
a new feature goes: its module, then one line here.
"""

from __future__ import annotations

from markdown import Extension, Markdown

from site_builder.markdown.blockids import BlockIdTreeprocessor
from site_builder.markdown.callouts import CalloutTreeprocessor
from site_builder.markdown.comments import CommentPreprocessor
from site_builder.markdown.embeds import EmbedPreprocessor, EmbedState
from site_builder.markdown.images import SizedImageTreeprocessor
from site_builder.markdown.lists import ListPreprocessor
from site_builder.markdown.media import YouTubeTreeprocessor
from site_builder.markdown.reader import ReaderPostprocessor
from site_builder.markdown.tableends import TableEndPreprocessor


class ObsidianExtension(Extension):
    def __init__(self, **kwargs):
        self.state = EmbedState()
        super().__init__(**kwargs)

    def extendMarkdown(self, md: Markdown) -> None:
        # Before the wiki-link preprocessor (27), so file lines are still the file's.
        md.preprocessors.register(CommentPreprocessor(md), "obsidian_comments", 29)
        md.preprocessors.register(EmbedPreprocessor(md, self.state), "obsidian_embeds", 28)
        # After links (27) and display math (26) took their file lines, before fenced code
        # (25): lists re-indented as CommonMark nests them (this may add blank lines).
        md.preprocessors.register(ListPreprocessor(md), "obsidian_lists", 25.5)
        # Then tables end where GFM ends them (a blank line before a heading or ``^id``).
        md.preprocessors.register(TableEndPreprocessor(md), "obsidian_table_ends", 25.4)
        # Before inline parsing (20): callout titles and ^ids are still raw text; callouts
        # first, so the paragraphs they hold get their ids too.
        md.treeprocessors.register(CalloutTreeprocessor(md), "obsidian_callouts", 21)
        md.treeprocessors.register(BlockIdTreeprocessor(md), "obsidian_block_ids", 20.5)
        # After the link treeprocessor (15) set the image's src.
        md.treeprocessors.register(SizedImageTreeprocessor(md), "obsidian_sizes", 14)
        md.treeprocessors.register(YouTubeTreeprocessor(md), "obsidian_youtube", 13)
        # After raw HTML (pymdownx's checkboxes) is back in the text (30).
        md.postprocessors.register(ReaderPostprocessor(md), "reader_markup", 25)
