"""Lists nest as CommonMark nests them (issue 25): markdown-it-py's CommonMark renderer is the
oracle, over hand-picked shapes from real vaults and over random ones."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from test_render import Tags, render

from site_builder.markdown.lists import nest_lists

_COMMONMARK = MarkdownIt("commonmark")


def shape(html: str) -> str:
    """Only the list structure and the words: <ul>, <ol>, <li> and text, spaces dropped."""
    html = re.sub(r"<(?!/?(?:ul|ol|li)\b)[^>]*>", "", html)
    html = re.sub(r"<(ul|ol|li)\b[^>]*>", r"<\1>", html)
    return re.sub(r"\s+", "", html)


def ours(text: str) -> str:
    return shape(render(text).html)


def commonmark(text: str) -> str:
    return shape(_COMMONMARK.render(text))


@pytest.mark.parametrize("text", [
    "- a\n    - b\n- c\n",  # a 4-space child of a 2-column item
    "- a\n  - b\n    - c\n",  # 2 spaces a level
    "1. a\n   - b\n2. c\n",  # 3 spaces under "1. "
    "- a\n   - b\n  - c\n",  # 3 then 2: siblings
    "10. a\n    - b\n",  # under a 4-column marker
    "- a\n\t- b\n\t\t- c\n",  # tabs
    "1) one\n2) two\n   1) inner\n",  # ")" ordered lists
    "Some text\n- a\n- b\n",  # a list interrupting a paragraph
    "- a\n\n  second paragraph\n- b\n",
    "- a\n  ```\n  code\n  ```\n  after\n- b\n",  # a fence inside an item
    "> - a\n>   - b\n> - c\n",  # inside a quote
    "- a\n- b\n1) c\n2) d\n",  # an ordered list right after a bullet list: two lists
    "1. a\n- b\n",
    "- a\n  - b\n  1. c\n",  # the same, one level down
    "text\n- a\n1) b\n",
])
def test_lists_nest_as_commonmark_nests_them(text: str) -> None:
    assert ours(text) == commonmark(text)


def test_ordered_lists_with_a_parenthesis_are_lists() -> None:
    p = Tags(render("1) one\n2) two\n").html)
    assert len(p.find("ol")) == 1 and len(p.find("li")) == 2


def test_nothing_changes_without_lists() -> None:
    lines = ["# Title", "", "A paragraph -- with a dash.", "    code - x", "> quote"]
    assert nest_lists(lines) == lines


@st.composite
def list_shapes(draw) -> str:
    """A random list: items going at most one level deeper at a time, each level with its own
    marker kind and indent (within the parent's text column and 3 spaces past it), tight or
    loose, some items with a second line of text, and sometimes a switch between bullets and
    numbers at one level (a new list there in CommonMark)."""
    lines: list[str] = []
    levels: list[tuple[int, str, int]] = []  # (marker column, marker kind, counter)
    for i in range(draw(st.integers(1, 9))):
        depth = draw(st.integers(0, len(levels))) if levels else 0
        del levels[depth + 1:]
        if depth == len(levels):
            parent_text = 0 if depth == 0 else _text_column(levels[depth - 1])
            column = parent_text + draw(st.integers(0, 3 if depth else 0))
            levels.append((column, draw(st.sampled_from(["-", "*", "1.", "1)"])), 0))
        column, kind, count = levels[depth]
        if count and draw(st.integers(0, 5)) == 0:  # bullets <-> numbers: a new list
            kind, count = draw(st.sampled_from(["1.", "1)"] if kind in "-*" else ["-", "*"])), 0
        levels[depth] = (column, kind, count + 1)
        marker = kind if kind in "-*" else f"{count + 1}{kind[-1]}"
        if lines and draw(st.booleans()) and draw(st.booleans()):
            lines.append("")
        lines.append(" " * column + f"{marker} item{i}")
        if draw(st.integers(0, 4)) == 0:
            lines.append(" " * _text_column(levels[depth]) + f"more{i}")
    return "\n".join(lines) + "\n"


def _text_column(level: tuple[int, str, int]) -> int:
    column, kind, count = level
    width = 1 if kind in "-*" else len(str(max(count, 1))) + 1
    return column + width + 1


@settings(max_examples=150, deadline=None)
@given(list_shapes())
def test_random_list_shapes_nest_as_commonmark_nests_them(text: str) -> None:
    assert ours(text) == commonmark(text)
