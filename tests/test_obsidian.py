"""Obsidian-flavoured Markdown (issue 15): callouts, comments, embeds, sizes, block ids, and
the pymdown-extensions syntax (mark, tilde, magiclink, tasklist, details, superfences)."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_render import Tags, note, render

from site_builder.core.errors import ContentError
from site_builder.markdown.callouts import CALLOUT_KINDS
from site_builder.markdown.embeds import split_sections
from site_builder.markdown.render import render_note
from site_builder.pipeline.build import build_site
from site_builder.pipeline.link import check_links
from site_builder.pipeline.options import BuildOptions
from site_builder.vault.content import Asset, Content, Note
from site_builder.vault.links import build_index


def test_callout_with_title_and_body():
    r = render("> [!warning] Mind the **gap**\n> Body text.\n>\n> - item\n")
    p = Tags(r.html)
    box = p.find("div", **{"class": "callout-warning"})
    assert box and box[0]["data-callout"] == "warning"
    title = r.html.split('<p class="callout-title">', 1)[1].split("</p>", 1)[0]
    assert title.endswith("</svg>Mind the <strong>gap</strong>") and "lucide-triangle-alert" in title
    assert p.find("div", **{"class": "callout-content"}) and p.find("li")
    assert not p.find("blockquote") and "[!warning]" not in r.html


@pytest.mark.parametrize("name", sorted(CALLOUT_KINDS))
def test_every_obsidian_type_is_a_callout_with_a_default_title(name: str):
    p = Tags(render(f"> [!{name.upper()}]\n> Text.\n").html)
    box = p.find("div", **{"class": "callout"})
    assert box and f"callout-{CALLOUT_KINDS[name]}" in box[0]["class"].split()
    assert box[0]["data-callout"] == name
    assert name.capitalize() in "".join(p.text)


def test_foldable_callouts_are_details_closed_or_open():
    r = render("> [!tip]- Closed\n> Hidden.\n\n> [!faq]+ Open\n> Shown.\n")
    p = Tags(r.html)
    boxes = p.find("details", **{"class": "callout"})
    assert [("open" in b, b["data-callout"]) for b in boxes] == [(False, "tip"), (True, "faq")]
    assert [t for t in p.text if t.strip()][:2] == ["Closed", "Hidden."]
    assert len(p.find("summary", **{"class": "callout-title"})) == 2


def test_a_plain_quote_stays_a_quote():
    p = Tags(render("> Just a quote [!note] here.\n").html)
    assert p.find("blockquote") and not p.find("div", **{"class": "callout"})


def test_comments_are_dropped_but_not_in_code_and_lines_still_count():
    r = render("a %%secret%% b\n\n%%\nmulti\nline\n%%\n\n`x`\n\n"
               "```\n%%kept%%\n```\n\n[[Nowhere]]\n")
    assert "secret" not in r.html and "multi" not in r.html
    assert "%%kept%%" in r.html
    assert [k.line for k in r.links] == [14]  # the file's line, after a 4-line comment


def test_highlight_strike_bare_urls_and_details():
    r = render("==marked== and ~~gone~~ at https://example.com/a?b=1 "
               "and www.example.org.\n\n??? note \"More\"\n    Folded.\n")
    p = Tags(r.html)
    assert "<mark>marked</mark>" in r.html and "<del>gone</del>" in r.html
    assert [a["href"] for a in p.find("a")] == ["https://example.com/a?b=1",
                                                "http://www.example.org"]
    assert p.find("details") and "Folded." in r.html
    assert "~" not in render("about ~5 minutes, ~6 at most").html.replace("~5", "").replace(
        "~6", "")  # a single tilde is no subscript


def test_task_list_checkboxes_have_accessible_names():
    p = Tags(render("- [ ] todo\n- [x] done\n").html)
    assert [(b.get("aria-label"), "checked" in b) for b in p.find("input")] == [
        ("to do", False), ("done", True)]


def test_mermaid_fence_is_a_diagram_not_highlighted_code():
    p = Tags(render("```mermaid\ngraph TD\n  A-->B\n```\n").html)
    div = p.find("div", **{"class": "mermaid"})
    assert div and "A-->B" in "".join(p.text) and not p.find("span")


def test_block_ids_become_anchors_and_block_links_resolve():
    a = note("Fact one. ^fact-1\n\n- item ^item\n", source="a.md")
    b = note("See [[a#^fact-1]] and [[a#^nope]].\n", source="b.md")
    index = build_index(Content((a, b), (), (), ()))
    ra, rb = render_note(a, index), render_note(b, index)
    assert {"^fact-1", "^item"} <= ra.ids and "^fact" not in ra.html.replace('"^fact-1"', "")
    assert Tags(rb.html).find("a")[0]["href"] == "/a/#^fact-1"
    broken = check_links([(b, rb.links)], {"a.md": ra.ids, "b.md": rb.ids}, index)
    assert [str(x) for x in broken] == [
        "content/b.md:1: broken link to 'a#^nope' (no heading '#^nope' in a.md)"]


def _site(*notes: Note, assets: tuple[Asset, ...] = ()):
    index = build_index(Content(notes, (), assets, ()))
    by_source = {n.source: n for n in notes}
    return index, by_source.__getitem__


def test_embed_inlines_the_rendered_note_with_a_link_and_no_duplicate_ids():
    target = note("Intro **bold**.\n\n## Part\n\nMore.\n", source="t.md")
    host = note("Before.\n\n![[t]]\n\nAfter.\n", source="h.md")
    index, load = _site(target, host)
    r = render_note(host, index, load)
    p = Tags(r.html)
    embed = p.find("div", **{"class": "embed"})
    assert embed and "data-pagefind-ignore" in embed[0]  # found in its own note, not here
    assert [a["href"] for a in p.find("a")] == ["/t/"]
    assert "<strong>bold</strong>" in r.html and "More." in r.html
    assert "part" not in r.ids and r.embeds == ("t.md",)
    assert [(k.target, k.line) for k in r.links] == [("t.md", 3)]


def test_embed_of_a_heading_takes_that_section_only():
    target = note("Top.\n\n## Drivers\n\nBridge.\n\n### Sub\n\nDeep.\n\n## Other\n\nNo.\n",
                  source="t.md")
    host = note("![[t#Drivers]]\n", source="h.md")
    index, load = _site(target, host)
    r = render_note(host, index, load)
    assert "Bridge." in r.html and "Deep." in r.html
    assert "Top." not in r.html and "No." not in r.html
    assert Tags(r.html).find("a")[0]["href"] == "/t/#drivers"
    assert r.links[0].anchor == "drivers"


def test_embed_of_a_block():
    target = note("One.\n\nTwo lines\nof text ^b1\n\nThree.\n", source="t.md")
    host = note("![[t#^b1]]\n", source="h.md")
    r = render_note(host, *_site(target, host))
    assert "of text" in r.html and "One." not in r.html and "Three." not in r.html
    assert "^b1" not in r.html.replace('href="/t/#^b1"', "")


def test_missing_embed_targets_are_broken_links_with_file_and_line():
    target = note("## Real\n\nx\n", source="t.md")
    host = note("Text.\n\n![[Nowhere]]\n\n![[t#Fake]]\n", source="h.md")
    index, load = _site(target, host)
    r = render_note(host, index, load)
    ids = {"t.md": render_note(target, index).ids, "h.md": r.ids}
    broken = check_links([(host, r.links)], ids, index)
    assert [str(x) for x in broken] == [
        "content/h.md:3: broken link to 'Nowhere' (no note titled or named 'Nowhere')",
        "content/h.md:5: broken link to 't#Fake' (no heading '#fake' in t.md)"]


def test_embed_loops_are_errors_naming_the_chain():
    a = note("![[b]]\n", source="a.md")
    b = note("Text.\n\n![[a]]\n", source="b.md")
    index, load = _site(a, b)
    with pytest.raises(ContentError) as err:
        render_note(a, index, load)
    assert str(err.value) == "content/b.md:3: embed loop: a.md -> b.md -> a.md"
    with pytest.raises(ContentError, match=r"^content/a.md:1: embed loop: a.md -> a.md$"):
        render_note(note("![[a]]\n", source="a.md"), *_site(note("![[a]]\n", source="a.md")))


def test_nested_embeds_are_all_dependencies():
    a, b, c = (note("![[b]]\n", source="a.md"), note("B ![[c]]\n\n![[c]]\n", source="b.md"),
               note("C text.\n", source="c.md"))
    r = render_note(a, *_site(a, b, c))
    assert "C text." in r.html and r.embeds == ("b.md", "c.md")


def test_image_embeds_with_sizes():
    img = Asset("img/pic.png", Path("/nonexistent/pic.png"))
    host = note("![[pic.png|300]] ![[img/pic.png|120x80]] ![[pic.png]]\n", source="h.md")
    r = render_note(host, *_site(host, assets=(img,)))
    imgs = Tags(r.html).find("img")
    assert [(i["src"], i.get("width"), i.get("height"), i["alt"]) for i in imgs] == [
        ("/img/pic.png", "300", None, "pic"), ("/img/pic.png", "120", "80", "pic"),
        ("/img/pic.png", None, None, "pic.png")]


def test_split_sections_ignores_headings_in_code():
    body = "```\n## Fake\n```\n\n## Real\n\ntext\n"
    assert split_sections(body, "fake") is None
    assert split_sections(body, "Real") == ("## Real\n\ntext\n", 4, "real")


def _write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, "utf-8")


def test_editing_an_embedded_note_renders_the_embedding_note_again(tmp_path: Path):
    _write(tmp_path, {"content/host.md": "# Host\n\n![[part]]\n",
                      "content/part.md": "# Part\n\nOld words.\n",
                      "content/other.md": "# Other\n\nAlone.\n"})
    opts = BuildOptions(project_dir=tmp_path, search=False)
    build_site(opts)
    out = tmp_path / "build" / "site" / "host" / "index.html"
    assert "Old words." in out.read_text()
    _write(tmp_path, {"content/part.md": "# Part\n\nNew words.\n"})
    result = build_site(opts)
    assert set(result.rendered) == {"content/host.md", "content/part.md"}
    assert "New words." in out.read_text()
    assert build_site(opts).rendered == ()


def test_a_build_reports_embed_loops_and_writes_nothing(tmp_path: Path):
    _write(tmp_path, {"content/a.md": "# A\n\n![[b]]\n", "content/b.md": "# B\n\n![[a]]\n"})
    with pytest.raises(ContentError, match=r"^content/b.md:3: embed loop: a.md -> b.md -> a.md"):
        build_site(BuildOptions(project_dir=tmp_path, search=False, jobs=1))
    assert not (tmp_path / "build").exists()


def test_comment_markers_in_code_spans_are_kept():
    r = render("Use `%%x%%` here %%gone%% and `a %% b` too.\n")
    assert "<code>%%x%%</code>" in r.html and "<code>a %% b</code>" in r.html
    assert "gone" not in r.html


def test_an_embed_inside_a_callout_stays_inside_it():
    target = note("Intro.\n\n## Sec\n\nSection text.\n", source="t.md")
    host = note("> [!info] Embedded\n> ![[t#Sec]]\n\nAfter.\n", source="h.md")
    r = render_note(host, *_site(target, host))
    content = r.html.split('<div class="callout-content">', 1)[1].split("After.")[0]
    assert '<div class="embed" data-pagefind-ignore>' in content and "Section text." in content


def test_callout_icons_are_the_pinned_lucide_release_vendored():
    import json

    from site_builder.markdown.callouts import CALLOUT_ICONS, ICON_DIR

    repo = Path(__file__).resolve().parents[1]
    pinned = json.loads((repo / "package.json").read_text())["devDependencies"]["lucide-static"]
    lock = json.loads((repo / "package-lock.json").read_text())
    assert lock["packages"]["node_modules/lucide-static"]["version"] == pinned
    assert {p.stem for p in ICON_DIR.glob("*.svg")} == set(CALLOUT_ICONS.values())
    assert (ICON_DIR / "LICENSE").read_text().startswith("ISC License")
    for name in CALLOUT_ICONS.values():
        svg = (ICON_DIR / f"{name}.svg").read_text()
        assert svg.startswith(f"<!-- @license lucide-static v{pinned} - ISC -->")
        installed = repo / "node_modules" / "lucide-static" / "icons" / f"{name}.svg"
        if installed.is_file():  # `make node` ran: the copies are the release's bytes
            assert installed.read_text() == svg


def test_youtube_addresses_as_images_become_lazy_private_players():
    p = Tags(render("![A talk](https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=3)\n\n"
                    "![](https://youtu.be/dQw4w9WgXcQ) ![x](https://example.com/a.png)\n").html)
    frames = p.find("iframe")
    assert [(f["src"], f["loading"], f["title"]) for f in frames] == [
        ("https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ", "lazy", "A talk"),
        ("https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ", "lazy", "YouTube video")]
    assert [i["src"] for i in p.find("img")] == ["https://example.com/a.png"]


def test_a_pdf_embed_is_a_viewer_with_a_link_and_a_base_is_left_for_the_page_stage():
    doc = note("![[guide.pdf]]\n\n![[Books.base#Top]]\n\n![[Gone.base]]\n", source="h.md")
    files = (Asset("guide.pdf", Path("/x/guide.pdf")), Asset("t/Books.base", Path("/x/B.base")))
    index = build_index(Content((doc,), (), files, ()))
    rendered = render_note(doc, index)
    p = Tags(rendered.html)
    assert [f["src"] for f in p.find("iframe")] == ["/guide.pdf"]
    assert [a["href"] for a in p.find("a")] == ["/guide.pdf"]
    # A Base is drawn by the page stage (tests/test_bases.py): here its placeholder, its
    # source among the embeds, and a missing one a broken link like any other.
    assert [(d["data-base"], d["data-view"]) for d in p.find("div", **{"class": "base-embed"})] \
        == [("t/Books.base", "Top")]
    assert rendered.embeds == ("t/Books.base",)
    assert [k.raw for k in rendered.links if k.target is None] == ["Gone.base"]
