"""FastBlockExtension: the block parser skips only searches that cannot match (same HTML)."""

from __future__ import annotations

import os
import re

import markdown
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from site_builder.markdown.fastblock import (
    _KNOWN,
    FastBlockExtension,
    FastHtmlBlockPreprocessor,
    FastNormalizeWhitespace,
    NeedsRegex,
    filter_searches,
)
from site_builder.markdown.render import EXTENSION_CONFIGS, Renderer, markdown_extensions
from site_builder.vault.content import Content, Note
from site_builder.vault.links import build_index

DEEP = bool(os.environ.get("NOTES_DEEP_TESTS"))
FAST = Renderer()
STOCK = Renderer(extensions=[e for e in markdown_extensions()
                             if not isinstance(e, FastBlockExtension)], configs=EXTENSION_CONFIGS)


def render(renderer: Renderer, body: str) -> str:
    n = Note(source="n.md", display_path="content/n.md", title="T", url="/n/", section="",
             body=body, body_line=1)
    return renderer.render(n, build_index(Content((n,), (), (), ()))).html


def test_every_known_processor_is_filtered() -> None:
    filtered = {type(p).__name__ for p in FAST.md.parser.blockprocessors
                if any(isinstance(getattr(p, a, None), NeedsRegex)
                       for a in ("RE", "START", "SEARCH_RE"))}
    assert filtered == {cls for cls, _, _, _ in _KNOWN}
    # The stock instance (same process, same classes) keeps its plain regexes.
    assert not any(isinstance(getattr(p, "RE", None), NeedsRegex)
                   for p in STOCK.md.parser.blockprocessors)


def test_a_processor_with_another_pattern_is_left_alone() -> None:
    md = markdown.Markdown()
    quote = md.parser.blockprocessors["quote"]
    quote.RE = re.compile(r"(^|\n)[ ]{0,3}%[ ]?(.*)")  # a later version's syntax, say
    assert filter_searches(md.parser) == ["HashHeaderProcessor", "SetextHeaderProcessor",
                                          "HRProcessor", "ReferenceProcessor"]
    assert isinstance(quote.RE, re.Pattern)


BLOCKS = [
    "# Title\n\nText # not a heading\n\n## Two ##\n",
    "Setext\n======\n\nAnother\n------\n\nText with - dash and = sign.\n",
    "> quote\n> more\n\nText > not a quote\n\n  > indented quote\n",
    "a\n\n---\n\n* * *\n\n___\n\n- - -\n\ntext\n***\n",
    "!!! note \"Title\"\n    Body.\n\n!!! warning\n    x\n\nText !!! not\n",
    "??? note \"Closed\"\n    Body.\n\n???+ tip\n    Open.\n\nText ??? not\n",
    "Note[^1] and[^x].\n\n[^1]: One.\n[^x]: Two\n    more.\n",
    "[ref]: http://x.y \"T\"\n\nA [ref] link and [t] too.\n\n[t]: /t/\n",
    "Para\nline two\n# heading after\n> and a quote\n",
    "1. one\n2. two\n\n- a\n- b\n\n    indented code\n",
    "| a | b |\n|---|---|\n| 1 | 2 |\n\nText | pipe\n",
    "```python\n# comment\n> x\n```\n\n    # indented\n",
    "# A\n\n[TOC]\n\n## B\n\n  [TOC]  \n\nText [TOC] text\n\n`[TOC]`\n\n# [TOC]\n",
    "a | b\n--|--\n1 | 2\n\n| one |\n| --- |\n| x |\n\nno pipe\n---\n",
    "\\*not em\\* [a\\]b](/x \"t\\\"q\") ![i\\_j](/p.png) `\\*` \\# \\> \\!\n",
    "# Head <b>bold</b> &amp; `code`\n\n<div>raw</div>\n\n## Plain\n\n- [ ] task <i>x</i>\n",
]


@pytest.mark.parametrize("body", BLOCKS)
def test_same_html_as_the_stock_block_parser(body: str) -> None:
    assert render(FAST, body) == render(STOCK, body)


LINE = st.text(st.sampled_from(list("#>!?-=_*[]^: |ab1.\\&;<\t\r()`\"")), max_size=12)
DOC = st.lists(st.one_of(LINE, st.sampled_from(["", "    ", "!!! note", "??? x", "# h",
                                                 "---", "[^1]: n", "[a]: /b", "> q", "&#32",
                                                 "&#x41;", "&amp;", "<div>", "</div>", "<b>",
                                                 "  ", "\t", "[TOC]", "a|b", "-|-"])),
               max_size=12).map("\n".join)


@settings(max_examples=1000 if DEEP else 150, deadline=None)
@given(DOC)
def test_random_blocks_render_identically(body: str) -> None:
    assert render(FAST, body) == render(STOCK, body)


@settings(max_examples=2000 if DEEP else 300, deadline=None)
@given(DOC, st.integers(0, 3))
def test_needs_regex_answers_as_the_regex(text: str, pos: int) -> None:
    for _, _, pattern, needs in _KNOWN:
        for flags in (0, re.MULTILINE):
            regex = re.compile(pattern, flags)
            fast = NeedsRegex(regex, needs)
            for method in ("search", "match"):
                got, want = getattr(fast, method)(text, pos), getattr(regex, method)(text, pos)
                assert (got and got.span()) == (want and want.span())
            assert fast.pattern == pattern and fast.flags == regex.flags


def test_preprocessors_are_the_fast_ones_in_place() -> None:
    names = [(type(p).__name__, type(s).__name__)
             for p, s in zip(FAST.md.preprocessors, STOCK.md.preprocessors)]
    assert ("FastNormalizeWhitespace", "NormalizeWhitespace") in names
    assert ("FastHtmlBlockPreprocessor", "HtmlBlockPreprocessor") in names
    assert type(FAST.md.treeprocessors["toc"]).__name__ == "FastTocTreeprocessor"
    assert type(FAST.md.parser.blockprocessors["table"]).__name__ == "FastTableProcessor"
    assert type(STOCK.md.parser.blockprocessors["table"]).__name__ == "TableProcessor"
    assert type(FAST.md.treeprocessors["unescape"]).__name__ == "FastUnescapeTreeprocessor"
    assert type(FAST.md.postprocessors["raw_html"]).__name__ == "FastRawHtmlPostprocessor"
    assert type(STOCK.md.postprocessors["raw_html"]).__name__ == "RawHtmlPostprocessor"
    assert type(FAST.md.treeprocessors["prettify"]).__name__ == "FastPrettifyTreeprocessor"


@settings(max_examples=2000 if DEEP else 300, deadline=None)
@given(DOC)
def test_fast_preprocessors_return_what_the_stock_ones_do(text: str) -> None:
    """Same lines and the same stashed HTML; the HTML extractor is skipped only for text
    without ``<`` or ``&#`` (it completes ``&#32`` to ``&#32;``, so that must still run)."""
    results = []
    for fast in (False, True):
        md = markdown.Markdown()
        md.reset()
        normalize, html_block = md.preprocessors["normalize_whitespace"], md.preprocessors[
            "html_block"]
        if fast:
            normalize.__class__, html_block.__class__ = (FastNormalizeWhitespace,
                                                         FastHtmlBlockPreprocessor)
        lines = html_block.run(normalize.run(text.split("\n")))
        results.append((lines, md.htmlStash.rawHtmlBlocks))
    assert results[0] == results[1]


def test_toc_marker_is_still_replaced_and_tables_still_found() -> None:
    html = render(FAST, "# A\n\n[TOC]\n\n## B\n\n| x | y |\n|---|---|\n| 1 | 2 |\n")
    assert '<div class="toc">' in html and "[TOC]" not in html
    assert "<table" in html and "<td>1</td>" in html


def test_prettify_follows_the_block_level_list_and_a_replaced_method() -> None:
    md = markdown.Markdown(extensions=[FastBlockExtension()])
    assert type(md.treeprocessors["prettify"]).__name__ == "FastPrettifyTreeprocessor"
    text = "<section>\n<aside>x</aside>\n</section>\n\n* a\n* b\n"
    plain = markdown.markdown(text)
    assert md.convert(text) == plain
    md.block_level_elements.append("aside")  # already there: no change
    md.block_level_elements.remove("ul")  # now list items are not broken onto lines
    stock = markdown.Markdown()
    stock.block_level_elements.remove("ul")
    assert md.reset().convert(text) == stock.convert(text) != plain
    md.is_block_level = lambda tag: False  # an extension's own rule is obeyed
    stock.is_block_level = lambda tag: False
    assert md.reset().convert("* a\n* b\n") == stock.reset().convert("* a\n* b\n")
