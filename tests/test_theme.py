"""Code highlighting colours made readable (WCAG AA) in both themes (issue 15)."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from site_builder.markdown.highlight_theme import AA, contrast, highlight_css, readable

HEX = st.text("0123456789abcdef", min_size=6, max_size=6).map(lambda h: "#" + h)


def test_contrast_of_black_on_white_and_same_colours():
    assert round(contrast("#000000", "#ffffff"), 1) == 21.0
    assert contrast("#777", "#777777") == 1.0


@given(HEX, st.sampled_from(["#ffffff", "#f0f0f0", "#0d1117", "#15171a"]))
def test_readable_always_reaches_aa_and_keeps_good_colours(color: str, background: str):
    out = readable(color, background)
    assert contrast(out, background) >= AA
    if contrast(color, background) >= AA:
        assert out == color


def test_every_token_colour_of_both_styles_passes_aa():
    css = highlight_css("friendly", "github-dark")
    for line, background in zip(css.splitlines()[:2], ("#f0f0f0", "#0d1117")):
        colours = re.findall(r"--hl\d+:(#[0-9a-f]{6})", line)
        assert len(colours) > 20
        assert min(contrast(c, background) for c in colours) >= AA
    assert "#60a0b0" not in css  # friendly's comments, 2.6:1 on its background
    rules = css.splitlines()[3:]
    assert all(re.fullmatch(r"\.highlight :is\((\.\w+,?)+\)\{color:var\(--hl\d+\)"
                            r"(;font-weight:bold)?(;font-style:italic)?\}", r) for r in rules)
