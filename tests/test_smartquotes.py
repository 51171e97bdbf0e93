"""The fast pipeline (SmartQuotesExtension, FastInlineExtension, FastBlockExtension,
SharedHighlightExtension) renders exactly what the stock one (Python-Markdown's ``smarty``, the
stock inline pass and block parser, ``pymdownx.highlight`` with a formatter per code block)
rendered: over the sample content, a
generated corpus, hand-picked edge cases and random text."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from site_builder.core.errors import ContentError
from site_builder.markdown.fastblock import FastBlockExtension
from site_builder.markdown.fastinline import FastInlineExtension, FastInlineProcessor
from site_builder.markdown.highlight import SharedHighlightExtension
from site_builder.markdown.render import EXTENSION_CONFIGS, Renderer, markdown_extensions
from site_builder.markdown.smartquotes import SmartQuotesExtension, educate
from site_builder.vault.content import Content, Note
from site_builder.vault.links import build_index
from site_builder.vault.load import load_content

ROOT = Path(__file__).resolve().parents[1]
GEN = ROOT.parent / "shared" / "bench" / "gen_corpus.py"
DEEP = bool(os.environ.get("NOTES_DEEP_TESTS"))


def _stock(ext: object) -> object:
    if isinstance(ext, SmartQuotesExtension):
        return "smarty"
    return "pymdownx.highlight" if isinstance(ext, SharedHighlightExtension) else ext


def stock_renderer() -> Renderer:
    """The pipeline before issue 17: ``smarty``, the stock inline pass and highlighter."""
    exts = [_stock(e) for e in markdown_extensions()
            if not isinstance(e, (FastInlineExtension, FastBlockExtension))]
    assert "smarty" in exts and "pymdownx.highlight" in exts
    return Renderer(extensions=exts, configs=EXTENSION_CONFIGS)


FAST, STOCK = Renderer(), stock_renderer()


def note(body: str) -> Note:
    return Note(source="n.md", display_path="content/n.md", title="T", url="/n/", section="",
                body=body, body_line=1)


def render_both(project: Path) -> list[tuple[str, str, str, str, str]]:
    content = load_content(project / "content", project, drafts=True)
    index = build_index(content, set())
    out = []
    for note in (*content.notes, *content.intros):
        fast, stock = FAST.render(note, index), STOCK.render(note, index)
        out.append((note.source, fast.html, stock.html, fast.toc, stock.toc))
    return out


def assert_same(rendered: list[tuple[str, str, str, str, str]]) -> None:
    different = [src for src, fh, sh, ft, stoc in rendered if fh != sh or ft != stoc]
    assert not different, f"{len(different)} notes differ, first: {different[:3]}"


def test_sample_content_renders_identically() -> None:
    rendered = render_both(ROOT)
    assert len(rendered) >= 10
    assert any("&ldquo;" in h or "&rsquo;" in h for _, h, _, _, _ in rendered)  # quotes occur
    assert any('class="highlight"' in h for _, h, _, _, _ in rendered)  # and code blocks
    assert_same(rendered)


@pytest.mark.skipif(not GEN.is_file(), reason=f"{GEN} is not beside the checkout")
def test_generated_corpus_renders_identically(tmp_path: Path) -> None:
    notes = 1000 if DEEP else 200
    subprocess.run([sys.executable, str(GEN), str(tmp_path / "content"), str(notes)],
                   check=True, stdout=subprocess.DEVNULL)
    rendered = render_both(tmp_path)
    assert len(rendered) >= notes
    # The corpus's prose has no quotes (its code has: never educated); it checks code blocks,
    # tables, links and headings around the smart-quotes step.
    assert sum('class="highlight"' in h for _, h, _, _, _ in rendered) > notes // 4
    assert_same(rendered)


EDGE_CASES = [
    "\"Hello,\" she said -- 'really'... yes --- no.",
    "'Twas the '80s; rock 'n' roll. The 1990's. \"'Quoted' words in a larger quote.\"",
    "He said, \"'Quoted' words\" and 'a \"b\"' and \"a 'b'\"",
    "''double single'' and \"\"double double\"\" and '\"mix\"' '''",
    "\"*emphasis*\" and '**strong**' \"`code 'not' educated`\" 'x'",
    "a -- b --- c ---- d - e ... f .... g ..",
    "[\"link\"](http://x.y/ \"title\") and 'see [it](#a)'",
    "\\\"escaped\\\" and \\'also\\' <span title=\"x\">\"raw\"</span>",
    "- [ ] \"task\" item\n- [x] it's done\n",
    "# \"Heading\" -- with 'quotes'\n\ntext\n",
    "> \"quoted\" block\n\n| \"a\" | 'b' |\n|---|---|\n| it's | \"x\" |\n",
    "Footnote[^n] \"here\".\n\n[^n]: The 'note' -- ok.\n",
    "!!! note \"A 'title'\"\n    \"Body\" text.\n",
    "```python\nprint(\"not 'educated' -- ...\")\n```\n\n\"after\"",
    "&nbsp;\"x\" &mdash;\"y\" --\"z\" \u2014\"w\" 'a'-- b'",
    "'s, 'tis, students' books, \"90s\" '90s ''",
]


@pytest.mark.parametrize("body", EDGE_CASES)
def test_edge_cases_render_identically(body: str) -> None:
    n = note(body)
    index = build_index(Content((n,), (), (), ()))
    fast, stock = FAST.render(n, index), STOCK.render(n, index)
    assert (fast.html, fast.toc) == (stock.html, stock.toc)


TEXT = st.text(st.sampled_from(list("'\"-.s0 9a*_`\n[]()!&;—<>\\^#:/@")), max_size=60)
# What the other extensions' inline patterns look for (mark, tilde, magic links and mails,
# math), mixed with the characters above.
PIECES = st.sampled_from(["==", "~~", "~", "=", "$", "$$", "$x^2$", "www.", "WwW.", "ww",
                          "http://", "HTTPS://a.b", "ftp://x", "a@b.co", "@", "x.y", "w", "W",
                          "<http://a.b>", "<FTPS://x", "<"])
MIXED = st.lists(st.one_of(PIECES, TEXT), max_size=8).map("".join)


def _outcome(renderer: Renderer, n: Note) -> str:
    """The HTML, or the error a bad formula raises (the same either way is what counts)."""
    try:
        return renderer.render(n, build_index(Content((n,), (), (), ()))).html
    except ContentError as exc:
        return f"error: {exc}"


@settings(max_examples=1500 if DEEP else 200, deadline=None)
@given(TEXT)
def test_random_text_renders_identically(body: str) -> None:
    n = note(body)
    assert _outcome(FAST, n) == _outcome(STOCK, n)


@settings(max_examples=1500 if DEEP else 300, deadline=None)
@given(MIXED)
def test_text_for_every_extension_pattern_renders_identically(body: str) -> None:
    """The patterns of pymdownx (mark, tilde, magiclink) and of our math are skipped by their
    required substrings too: still the same HTML as trying every pattern everywhere."""
    n = note(body)
    assert _outcome(FAST, n) == _outcome(STOCK, n)


def test_educate_leaves_text_without_candidates_alone() -> None:
    stored: list[str] = []
    assert educate("plain text, no quotes.", stored.append) == "plain text, no quotes."
    assert stored == []


def test_task_lists_are_still_rendered() -> None:
    n = note("- [x] done\n- [ ] todo\n")
    html = FAST.render(n, build_index(Content((n,), (), (), ()))).html
    assert html.count('type="checkbox"') == 2 and "checked" in html


def test_fast_inline_pass_is_in_place_and_skips_by_known_regexes_only() -> None:
    inline = FAST.md.treeprocessors["inline"]
    assert isinstance(inline, FastInlineProcessor)
    assert not isinstance(STOCK.md.treeprocessors["inline"], FastInlineProcessor)
    FAST.render(note("x"), build_index(Content((note("x"),), (), (), ())))
    reg = FAST.md.inlinePatterns
    needs = {name: inline._patterns[reg.get_index_for_name(name)][1]
             for name in ("link", "html", "entity", "em_strong", "backtick", "autolink")}
    assert needs == {"link": ("[",), "html": ("<",), "entity": ("&",), "em_strong": ("*", "_"),
                     "backtick": ("`",), "autolink": ("<",)}  # magiclink's, in our pipeline
