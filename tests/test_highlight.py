"""One Pygments formatter per set of options, with the same HTML as a fresh one per block."""

from __future__ import annotations

from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name

from site_builder import highlight as highlight_module
from site_builder.content import Content, Note
from site_builder.highlight import cached_html_formatter
from site_builder.links import build_index
from site_builder.render import Renderer

OPTIONS = {"cssclass": "highlight", "style": "default", "linenos": None, "wrapcode": True,
           "full": False, "tab_length": 4}
SOURCES = [("python", 'def f(x):\n    return "x" * 2  # comment\n'),
           ("bash", "aws s3 sync build/site s3://bucket --delete\n"),
           ("python", "class A:\n    pass\n")]


def test_same_options_share_one_formatter_and_others_get_their_own() -> None:
    a = cached_html_formatter(lang_str="language-python", **OPTIONS)
    assert cached_html_formatter(lang_str="language-bash", **OPTIONS) is a
    b = cached_html_formatter(**{**OPTIONS, "hl_lines": [1]})
    assert b is not a and b.hl_lines == {1}
    assert cached_html_formatter(**{**OPTIONS, "linenos": "table"}) is not a


def test_reused_formatter_writes_what_a_fresh_one_writes() -> None:
    for options in (OPTIONS, {**OPTIONS, "hl_lines": [2]}, {**OPTIONS, "linenos": "inline"}):
        for lang, code in SOURCES * 2:  # second round reuses a formatter that has run
            lexer = get_lexer_by_name(lang)
            assert highlight(code, lexer, cached_html_formatter(**options)) == \
                highlight(code, lexer, HtmlFormatter(**options))


def test_renderer_makes_one_formatter_for_many_blocks(monkeypatch) -> None:
    made = []
    real_init = HtmlFormatter.__init__
    monkeypatch.setattr(HtmlFormatter, "__init__",
                        lambda self, **kw: (made.append(kw), real_init(self, **kw))[1])
    monkeypatch.setattr(highlight_module, "_FORMATTERS", {})
    body = "\n\n".join(f"```{lang}\n{code}```" for lang, code in SOURCES * 3)
    n = Note(source="n.md", display_path="content/n.md", title="T", url="/n/", section="",
             body=body, body_line=1)
    html = Renderer().render(n, build_index(Content((n,), (), (), ()))).html
    assert html.count('<div class="highlight">') == 9
    assert len(made) == 1
