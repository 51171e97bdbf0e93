"""Tags as Obsidian has them (issue 25): the ``tags`` property, inline ``#tags`` linked in the
text (never in code), and nested ``a/b`` tags with a page per level."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_pages import Page

from site_builder.pipeline.build import build_site
from site_builder.pipeline.options import BuildOptions
from site_builder.vault.tags import inline_tags, tag_levels, tag_slug, tag_url


@pytest.mark.parametrize(("body", "tags"), [
    ("Text #inline and #area/topic here.", ("inline", "area/topic")),
    ("#first on its own line", ("first",)),
    ("a #1984 year, a #y1984 tag", ("y1984",)),
    ("code `#not` and\n```\n#neither\n```\n#yes", ("yes",)),
    ("links [[#Heading]], [x](note.md#part), <https://a.b/#c>, https://a.b/#d", ()),
    ("word#glued (#paren) #a_b_c #Docker #docker", ("a_b_c", "Docker")),
    ("%%#hidden%% $#math$ ## Heading #h", ("h",)),
    ("%%\n#hidden\n%%\n#shown", ("shown",)),
    ("    #indented code", ()),
    ("#trailing/ and #/lead", ("trailing", "lead")),
])
def test_inline_tags_are_found_outside_code_and_links(body: str, tags: tuple) -> None:
    assert inline_tags(body) == tags


@given(st.text(alphabet="ab1_-/# `[]()\n", max_size=40))
def test_every_inline_tag_is_a_tag_obsidian_would_take(body: str) -> None:
    for tag in inline_tags(body):
        assert tag and not tag.startswith("/") and not tag.endswith("/")
        assert not tag.replace("/", "").isdigit() and "#" not in tag and " " not in tag


def test_levels_and_urls_of_nested_tags() -> None:
    assert tag_levels("a/b/c") == ("a", "a/b", "a/b/c")
    assert tag_url("Area/Sub Topic") == "/tags/area/sub-topic/"
    assert tag_slug("c#/c++") == "c-sharp/c-plus-plus"


def _site(tmp_path: Path) -> Path:
    content = tmp_path / "content"
    content.mkdir()
    (content / "a.md").write_text(
        "---\ntags: [Docker, '#k8s/net']\n---\n# A\n\n"
        "Text #inline and #area/topic, `#code`, #1984 and [link #x](b.md).\n")
    (content / "b.md").write_text("# B\n\n#area\n\nMore text.\n")
    out = tmp_path / "site"
    build_site(BuildOptions(project_dir=tmp_path, out_dir=out, search=False))
    return out


def test_inline_and_nested_tags_have_pages_and_links(tmp_path: Path) -> None:
    out = _site(tmp_path)
    for slug in ("docker", "k8s", "k8s/net", "inline", "area", "area/topic"):
        assert (out / "tags" / slug / "index.html").is_file(), slug
    a = (out / "a" / "index.html").read_text()
    assert '<a class="tag" href="/tags/inline/">#inline</a>' in a
    assert '<a class="tag" href="/tags/area/topic/">#area/topic</a>' in a
    assert "<code>#code</code>" in a and " #1984 " in a
    assert '<a class="tag" href="/tags/x/">' not in a  # a link's own text stays text
    b = (out / "b" / "index.html").read_text()
    assert '<a class="tag" href="/tags/area/">#area</a>' in b
    assert b.count("<h1") == 1  # the title only: "#area" alone on a line is a tag, not a heading


def test_a_nested_tag_page_lists_its_notes_and_the_tags_below(tmp_path: Path) -> None:
    out = _site(tmp_path)
    area = Page(out / "tags" / "area" / "index.html")
    assert "/a/" in area.hrefs and "/b/" in area.hrefs  # a is tagged area/topic, b area
    assert "/tags/area/topic/" in area.hrefs
    topic = Page(out / "tags" / "area" / "topic" / "index.html")
    assert "/a/" in topic.hrefs and "/b/" not in topic.hrefs
    index = Page(out / "tags" / "index.html")
    assert {"/tags/area/", "/tags/area/topic/", "/tags/k8s/net/"} <= set(index.hrefs)
