"""``[markdown] raw_html = "escape"``: raw HTML shown as text, script addresses dropped."""

from __future__ import annotations

from pathlib import Path

import pytest

from site_builder.markdown.render import render_note
from site_builder.markdown.safehtml import is_script_url
from site_builder.pipeline.build import build_site
from site_builder.pipeline.options import BuildOptions
from site_builder.vault.content import Content, Note
from site_builder.vault.links import build_index

BODY = ("Hello <b>bold</b> & <span onclick=\"x()\">more</span>.\n\n"
        "<script>alert(1)</script>\n\n"
        "[click](javascript:alert(1)) [ok](https://example.com) [mail](mailto:a@b.c)\n\n"
        "[sneaky](JaVaScript:alert(1)) ![img](javascript:alert(2)) "
        "![dot](data:image/png;base64,AAAA) [data](data:text/html;base64,PHNjcmlwdD4=)\n\n"
        "```html\n<i>code stays code</i>\n```\n")


def render(raw_html: str) -> str:
    note = Note("a.md", "content/a.md", "A", "/a/", "", BODY, 1)
    return render_note(note, build_index(Content((note,), (), (), ())), raw_html=raw_html).html


def test_keep_passes_raw_html_and_links_through() -> None:
    html = render("keep")
    assert "<b>bold</b>" in html and "<script>alert(1)</script>" in html
    assert 'href="javascript:alert(1)"' in html


def test_escape_shows_raw_html_as_text() -> None:
    html = render("escape")
    assert "&lt;b&gt;bold&lt;/b&gt;" in html and "<b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script" not in html
    assert "&lt;span onclick" in html and "&amp; " in html
    assert "code stays code" in html and "<i>" not in html  # code was already escaped
    assert 'class="highlight"' in html  # what extensions make is still HTML


def test_escape_drops_script_addresses_only() -> None:
    html = render("escape")
    assert "javascript:" not in html.lower()
    assert "data:text/html" not in html
    assert '<a>click</a>' in html and '<a>sneaky</a>' in html and '<a>data</a>' in html
    assert 'href="https://example.com"' in html and 'href="mailto:a@b.c"' in html
    assert 'src="data:image/png;base64,AAAA"' in html


@pytest.mark.parametrize("url, image, expected", [
    ("javascript:x", False, True), (" JavaScript:x", False, True), ("java\tscript:x", False, True),
    ("vbscript:x", False, True), ("data:text/html,x", False, True),
    ("data:image/png;base64,x", True, False), ("data:image/svg+xml,x", True, True),
    ("https://x", False, False), ("/a/b/", False, False), ("javascript.md", False, False),
])
def test_is_script_url(url: str, image: bool, expected: bool) -> None:
    assert is_script_url(url, image) is expected


def test_switching_the_option_renders_notes_again(tmp_path: Path) -> None:
    (tmp_path / "content").mkdir()
    (tmp_path / "content" / "a.md").write_text("Hi <b>there</b>\n")
    opts = BuildOptions(project_dir=tmp_path, search=False)
    page = tmp_path / "build" / "site" / "a" / "index.html"
    build_site(opts)
    assert "<b>there</b>" in page.read_text()
    (tmp_path / "notes.toml").write_text('[markdown]\nraw_html = "escape"\n')
    assert build_site(opts).rendered == ("content/a.md",)
    assert "&lt;b&gt;there&lt;/b&gt;" in page.read_text()
    (tmp_path / "notes.toml").write_text('[markdown]\nraw_html = "keep"\n')
    assert build_site(opts).rendered == ("content/a.md",)
    assert "<b>there</b>" in page.read_text()
