import os
import re
from html.parser import HTMLParser

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from site_builder.markdown.render import _IDS, Renderer, element_ids, pygments_css, render_note
from site_builder.vault.content import Content, Note
from site_builder.vault.links import build_index


class Tags(HTMLParser):
    """Collects (tag, attrs) pairs and the text of the document."""

    def __init__(self, html: str):
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)

    def find(self, tag: str, **want: str) -> list[dict]:
        return [a for t, a in self.tags if t == tag and all(
            want_v in (a.get(k) or "").split() or a.get(k) == want_v for k, want_v in want.items())]


def note(body: str, source: str = "n.md", **kw) -> Note:
    return Note(source=source, display_path=f"content/{source}", title="T",
                url="/" + source.removesuffix(".md") + "/", section="", body=body, body_line=1, **kw)


def render(body: str):
    n = note(body)
    return render_note(n, build_index(Content((n,), (), (), ())))


def test_every_heading_gets_an_id_and_permalink_and_toc():
    r = render("## First part\n\ntext\n\n### Sub part\n\n## Second\n")
    p = Tags(r.html)
    assert [a["id"] for a in p.find("h2") + p.find("h3")] == ["first-part", "second", "sub-part"]
    links = [a["href"] for a in p.find("a", **{"class": "headerlink"})]
    assert links == ["#first-part", "#sub-part", "#second"]
    assert [a["href"] for a in Tags(r.toc).find("a")] == ["#first-part", "#sub-part", "#second"]
    assert {"first-part", "sub-part", "second"} <= r.ids


def test_fenced_code_is_highlighted_with_classes():
    r = render('```python\ndef f():\n    return "x"\n```\n')
    p = Tags(r.html)
    assert p.find("div", **{"class": "highlight"})
    assert p.find("span", **{"class": "k"})  # keyword token: Pygments CSS classes, not styles
    assert not any("style" in a for _, a in p.tags)


def test_tables_footnotes_admonitions_smart_quotes():
    r = render('| a | b |\n|---|---|\n| 1 | 2 |\n\nSaid "hi" -- ok[^1].\n\n'
               '!!! warning "Careful"\n    Hot.\n\n[^1]: A footnote.\n')
    p = Tags(r.html)
    assert len(p.find("td")) == 2
    assert p.find("div", **{"class": "footnote"}) and "fn:1" in r.ids
    assert p.find("div", **{"class": "warning"})
    text = "".join(p.text)
    assert "\u201chi\u201d" in text and "\u2013" in text and "Careful" in text


def test_task_lists_become_disabled_checkboxes():
    p = Tags(render("- [ ] todo\n- [x] done\n- plain\n").html)
    boxes = p.find("input")
    assert [("checked" in b, "disabled" in b, b["type"]) for b in boxes] == [
        (False, True, "checkbox"), (True, True, "checkbox")]
    assert len(p.find("li", **{"class": "task-list-item"})) == 2


def test_reading_time_words_and_summary():
    r = render("First paragraph here.\n\n" + "word " * 700)
    assert r.summary == "First paragraph here."
    assert r.words == 703 and r.reading_minutes == 4
    assert render("short").reading_minutes == 1


def test_front_matter_summary_wins():
    n = note("Body.", summary="Given.")
    assert render_note(n, build_index(Content((n,), (), (), ()))).summary == "Given."


def test_one_renderer_reused_without_leaking_state():
    renderer = Renderer()
    a, b = note("Text[^1]\n\n## A\n\n[^1]: foot"), note("## B\n", source="b.md")
    index = build_index(Content((a, b), (), (), ()))
    first = renderer.render(a, index)
    second = renderer.render(b, index)
    assert "footnote" not in second.html and second.ids == {"b"}
    assert second.links == () and len(first.links) == 0
    assert renderer.render(a, index) == first  # same input, same output


def test_pygments_css_has_light_and_dark_colours_scoped_by_theme():
    css = pygments_css()
    light, dark = css.splitlines()[:2]
    assert light.startswith("html{--hl-bg:#f0f0f0;") and dark.startswith(
        "html[data-theme=dark]{--hl-bg:#0d1117;")
    keyword = re.search(r"\.highlight :is\([^)]*\.k,[^)]*\)\{color:var\((--hl\d+)\)", css)
    assert keyword and f"{keyword.group(1)}:#007020" in light
    assert f"{keyword.group(1)}:#ff7b72" in dark
    assert len(css) < 5000  # every page downloads it


ID_TEXT = st.lists(st.sampled_from([" ", "\t", "\n", "\u00a0", "\x1c", "x", "i", "d", "=", '"',
                                    'id="', ' id="a"', 'id=""', '"id="b"', "-id=", ">"]),
                   max_size=16).map("".join)


@settings(max_examples=2000 if os.environ.get("NOTES_DEEP_TESTS") else 400, deadline=None)
@given(ID_TEXT)
def test_element_ids_finds_what_the_regex_finds(text: str) -> None:
    assert element_ids(text) == _IDS.findall(text)


def test_element_ids_of_a_rendered_note() -> None:
    body = render("# One\n\n## Two\n\nText[^1] and x=\"y\" here.\n\n[^1]: Note.\n").html
    assert element_ids(body) == _IDS.findall(body)
    assert set(element_ids(body)) == {"one", "two", "fn:1", "fnref:1"}


@pytest.mark.parametrize("body, kept", [
    ('Before <script>var s = "it\'s" + \'--\';</script> after "quoted".',
     '<script>var s = "it\'s" + \'--\';</script>'),
    ("<style>q::before{content:\"'\"}</style> and 'this'",
     "<style>q::before{content:\"'\"}</style>"),
    ('Two lines <script>\nif (a && "b") {}\n</script> "here".',
     '<script>\nif (a && "b") {}\n</script>'),
])
def test_smart_quotes_never_touch_inline_script_or_style(body: str, kept: str) -> None:
    html = render(body).html
    assert kept in html
    assert "&ldquo;" in html or "&lsquo;" in html  # the text around still gets them


def test_escaped_raw_html_shows_inline_script_as_text() -> None:
    n = note('Hi <script>alert("x")</script>')
    html = Renderer(raw_html="escape").render(n, build_index(Content((n,), (), (), ()))).html
    assert "<script>" not in html and "&lt;script&gt;" in html


@pytest.mark.parametrize("link, shown", [
    ("[[n|a < b]]", "a &lt; b"), ("[[n|a > b]]", "a &gt; b"), ("[[n|x<y>z]]", "x&lt;y&gt;z"),
    ("[[n|*not em*]]", "*not em*"),
])
def test_wiki_link_labels_show_exactly_what_was_written(link: str, shown: str) -> None:
    html = render(f"See {link}.").html
    assert f">{shown}</a>" in html and "\\" not in html
