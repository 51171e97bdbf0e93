"""Math to MathML at build time (issue 15): no JavaScript, prices stay text, bad formulas
are errors with file and line."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_render import Tags, render

from site_builder.core.errors import ContentError


def test_inline_math_becomes_mathml():
    r = render("Area $\\pi r^2$ here.\n")
    p = Tags(r.html)
    math = p.find("math")
    assert math and math[0]["display"] == "inline"
    assert p.find("msup") and "π" in "".join(p.text)
    assert "$" not in r.html


def test_display_math_blocks_over_lines_and_on_one_line():
    r = render("Text.\n$$\n\\frac{a}{b}\n$$\nAfter.\n\n$$ x_1 + x_2 $$\n")
    p = Tags(r.html)
    assert [m["display"] for m in p.find("math")] == ["block", "block"]
    assert p.find("mfrac") and p.find("msub")
    assert len(p.find("div", **{"class": "math"})) == 2 and "After." in r.html


@pytest.mark.parametrize("text", [
    "It costs $5 and $6 later.", "Between $ 1 and 2 $ here.", "Pay $10, or $20.",
    "Escaped \\$x$ stays.", "`$x$` is code.",
])
def test_prices_spaces_escapes_and_code_are_not_math(text: str):
    assert "<math" not in render(text + "\n").html


def test_math_in_fenced_code_is_left_alone():
    r = render("```\n$$\nx\n$$\n$y$\n```\n")
    assert "<math" not in r.html and "$$" in r.html


def test_math_keeps_underscores_and_backslashes():
    r = render("$a_1 \\cdot b_2$ and *em*\n")
    assert "<em>em</em>" in r.html and r.html.count("<msub>") == 2 and "<em>1" not in r.html


@pytest.mark.parametrize(("body", "line", "why"), [
    ("Intro.\n\nBad $x^$ here.\n", 3, "cannot read formula 'x^': missing super script"),
    ("$$\n\\frac{a}{b\n$$\n", 1, "cannot read formula '\\frac{a}{b': a '{' is never closed"),
    ("One.\n\nTwo $\\nosuch{x}$.\n", 3,
     "cannot read formula '\\nosuch{x}': unknown command '\\nosuch'"),
])
def test_bad_formulas_are_errors_with_file_and_line(body: str, line: int, why: str):
    with pytest.raises(ContentError) as err:
        render(body)
    assert str(err.value).startswith(f"content/n.md:{line}: {why}")


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(["$", "$5", " ", "a", "x^2", "\\", "`", "\n", "price"]),
                max_size=12))
def test_any_mix_of_dollars_renders_or_fails_with_a_content_error(parts: list[str]):
    try:
        render("".join(parts) + "\n")
    except ContentError as exc:
        assert str(exc).startswith("content/n.md:")


def test_dollars_in_link_addresses_and_html_attributes_are_not_math():
    r = render('[pay](https://example.com/$5$) <abbr title="$x$">X</abbr> but $y$\n')
    assert 'href="https://example.com/$5$"' in r.html and 'title="$x$"' in r.html
    assert r.html.count("<math") == 1


def test_math_in_tables_lists_and_callouts():
    r = render("| a |\n|---|\n| $x_1$ |\n\n- item $z^2$\n\n> [!note]\n> $w$\n")
    assert r.html.count("<math") == 3
