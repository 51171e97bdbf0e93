from html.parser import HTMLParser
from pathlib import Path

import pytest

from site_builder.core.errors import ContentError
from site_builder.pipeline.build import build_site
from site_builder.pipeline.options import BuildOptions


class Anchors(HTMLParser):
    """(attrs, text) of each <a> and <img>; with body_only, just those inside the element
    marked data-pagefind-body (the note's own text)."""

    def __init__(self, html: str, body_only: bool = False):
        super().__init__()
        self.links: list[tuple[dict, str]] = []
        self._open: dict | None = None
        self._depth = 0 if body_only else 1  # open <div>s inside the body element
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        if tag == "div" and (self._depth or "data-pagefind-body" in dict(attrs)):
            self._depth += 1
        if not self._depth:
            return
        if tag == "img":
            self.links.append((dict(attrs), ""))
        elif tag == "a":
            self._open = dict(attrs)
            self.links.append((self._open, ""))

    def handle_data(self, data):
        if self._open is not None:
            attrs, text = self.links[-1]
            self.links[-1] = (attrs, text + data)

    def handle_endtag(self, tag):
        if tag == "div" and self._depth:
            self._depth -= 1
        if tag == "a":
            self._open = None


def site(tmp_path: Path, files: dict[str, str], **opts) -> Path:
    for rel, text in files.items():
        path = tmp_path / "content" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, "utf-8")
    build_site(BuildOptions(project_dir=tmp_path, search=False, **opts))
    return tmp_path / "build" / "site"


def body_links(out: Path, page: str) -> list[tuple[dict, str]]:
    links = Anchors((out / page).read_text("utf-8"), body_only=True).links
    return [(a, t) for a, t in links if "headerlink" not in a.get("class", "")]


def failure(tmp_path: Path, files: dict[str, str]) -> list[str]:
    with pytest.raises(ContentError) as exc:
        site(tmp_path, files)
    assert not (tmp_path / "build").exists() or not any((tmp_path / "build").iterdir())
    return str(exc.value).splitlines()


NET = "---\ntitle: Docker networking\n---\n## Bridge\n\nBridges.\n\n## Overlay\n"


def test_relative_md_link_with_anchor_and_image(tmp_path: Path) -> None:
    out = site(tmp_path, {
        "docker/networking.md": NET,
        "docker/img/layers.svg": "<svg xmlns='http://www.w3.org/2000/svg'/>",
        "k8s/pods.md": "See [bridges](../docker/networking.md#bridge), "
                       "![layers](../docker/img/layers.svg) and [site](https://example.com/x.md).",
    })
    links = body_links(out, "k8s/pods/index.html")
    assert [(a.get("href") or a.get("src"), t) for a, t in links] == [
        ("/docker/networking/#bridge", "bridges"),
        ("/docker/img/layers.svg", ""),
        ("https://example.com/x.md", "site"),
    ]
    assert (out / "docker/img/layers.svg").is_file()


@pytest.mark.parametrize("wiki, text", [
    ("[[Docker networking]]", "Docker networking"),
    ("[[docker networking]]", "docker networking"),
    ("[[networking]]", "networking"),
    ("[[docker/networking]]", "docker/networking"),
    ("[[DOCKER/Networking.md]]", "DOCKER/Networking.md"),
])
def test_wiki_links_by_title_file_name_or_path(tmp_path: Path, wiki: str, text: str) -> None:
    out = site(tmp_path, {"docker/networking.md": NET, "k8s/pods.md": f"Read {wiki} now."})
    links = body_links(out, "k8s/pods/index.html")
    assert [(a["href"], t) for a, t in links] == [("/docker/networking/", text)]
    assert "wikilink" in links[0][0]["class"]


def test_wiki_link_with_anchor_and_alias_and_image_embed(tmp_path: Path) -> None:
    out = site(tmp_path, {"docker/networking.md": NET, "docker/layers.png": "png",
                          "k8s/pods.md": "See [[docker/networking#bridge|the bridge network]].\n\n"
                                         "![[layers.png]]\n\n`[[not a link]]`\n"})
    links = body_links(out, "k8s/pods/index.html")
    assert [(a.get("href") or a.get("src"), t) for a, t in links] == [
        ("/docker/networking/#bridge", "the bridge network"), ("/docker/layers.png", "")]
    assert "[[not a link]]" in (out / "k8s/pods/index.html").read_text("utf-8")


def test_backlinks_list_linking_notes_by_title(tmp_path: Path) -> None:
    out = site(tmp_path, {"docker/networking.md": NET,
                          "a.md": "---\ntitle: Zeta note\n---\n[[Docker networking]] twice "
                                  "[[networking]]",
                          "b.md": "---\ntitle: Alpha note\n---\n[x](docker/networking.md)",
                          "c.md": "---\ntitle: Unrelated\n---\nnothing"})
    html = (out / "docker/networking/index.html").read_text("utf-8")
    block = html.split("Linked from", 1)[1].split("</section>", 1)[0]
    assert [(a["href"], t) for a, t in Anchors(block).links] == [
        ("/b/", "Alpha note"), ("/a/", "Zeta note")]
    assert "Linked from" not in (out / "c/index.html").read_text("utf-8")


def test_every_broken_link_reported_with_file_and_line(tmp_path: Path) -> None:
    lines = failure(tmp_path, {
        "docker/networking.md": NET,
        "notes/a.md": "---\ntitle: A\ntags: [x]\n---\nfine [[Docker networking]]\n"
                      "[gone](missing.md)\n\n![pic](img/nope.png)\n"
                      "[bad anchor](../docker/networking.md#nope) and [[Nowhere]]\n"
                      "[self](#nothing-here)\n",
        "notes/b.md": "line one\n[[docker/networking#overlay]] [[docker/networking#underlay]]\n",
    })
    assert lines == [
        ("content/notes/a.md:6: broken link to 'missing.md' (no such file in the content "
         "folder: notes/missing.md)"),
        ("content/notes/a.md:8: broken link to 'img/nope.png' (no such file in the content "
         "folder: notes/img/nope.png)"),
        ("content/notes/a.md:9: broken link to '../docker/networking.md#nope' "
         "(no heading '#nope' in docker/networking.md)"),
        "content/notes/a.md:9: broken link to 'Nowhere' (no note titled or named 'Nowhere')",
        ("content/notes/a.md:10: broken link to '#nothing-here' "
         "(no heading '#nothing-here' in notes/a.md)"),
        ("content/notes/b.md:2: broken link to 'docker/networking#underlay' "
         "(no heading '#underlay' in docker/networking.md; did you mean '#overlay'?)"),
        "6 link problems; fix them or build with --allow-broken-links to publish anyway",
    ]


def test_single_broken_link_is_one_line(tmp_path: Path) -> None:
    assert failure(tmp_path, {"a.md": "x\n\n[y](../outside.md)"}) == [
        "content/a.md:3: broken link to '../outside.md' (it points outside the content folder)"]


def test_link_inside_code_block_is_not_checked(tmp_path: Path) -> None:
    site(tmp_path, {"a.md": "```\n[[Nope]] [x](nope.md)\n```\n\n    [y](indented.md)\n"})


def test_draft_is_not_a_valid_target(tmp_path: Path) -> None:
    files = {"pub.md": "See [[Secret plans]] and [s](secret.md).",
             "secret.md": "---\ntitle: Secret plans\ndraft: true\n---\nshh"}
    reason = "(it is a draft; build with --drafts to include it)"
    assert failure(tmp_path, files)[:2] == [
        f"content/pub.md:1: broken link to 'Secret plans' {reason}",
        f"content/pub.md:1: broken link to 'secret.md' {reason}",
    ]
    out = site(tmp_path, {}, drafts=True)
    assert [a["href"] for a, _ in body_links(out, "pub/index.html")] == ["/secret/"] * 2


def test_allow_broken_links_warns_and_drops_the_href(tmp_path: Path) -> None:
    for rel, text in {"a.md": "[gone](gone.md) [[Nope]]"}.items():
        (tmp_path / "content").mkdir()
        (tmp_path / "content" / rel).write_text(text)
    result = build_site(BuildOptions(project_dir=tmp_path, search=False, allow_broken_links=True))
    assert result.warnings[:2] == (
        "content/a.md:1: broken link to 'gone.md' (no such file in the content folder: gone.md)",
        "content/a.md:1: broken link to 'Nope' (no note titled or named 'Nope')")
    links = body_links(result.out_dir, "a/index.html")
    assert [(("href" in a), a["class"], t) for a, t in links] == [
        (False, "broken-link", "gone"), (False, "broken-link", "Nope")]


def test_two_notes_of_one_name_are_never_an_error_obsidian_picks_one(tmp_path: Path) -> None:
    """As Obsidian's getFirstLinkpathDest: the note in the linking note's own folder, else
    the shortest path; neither an error nor a warning."""
    result = build_site(BuildOptions(project_dir=_tree(tmp_path, {
        "docker/setup.md": "x", "kubernetes/setup.md": "y", "index-note.md": "[[Setup]]",
        "kubernetes/pods.md": "[[Setup]] [[setup.md]]"}), search=False))
    out = result.out_dir
    assert [a["href"] for a, _ in body_links(out, "index-note/index.html")] == ["/docker/setup/"]
    assert [a["href"] for a, _ in body_links(out, "kubernetes/pods/index.html")] == [
        "/kubernetes/setup/"] * 2
    assert not [w for w in result.warnings if "link" in w]


def _tree(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / "content" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, "utf-8")
    return root


def test_ambiguity_resolved_by_path(tmp_path: Path) -> None:
    out = site(tmp_path, {"docker/setup.md": "x", "k8s/setup.md": "y", "i.md": "[[k8s/setup]]"})
    assert [a["href"] for a, _ in body_links(out, "i/index.html")] == ["/k8s/setup/"]


def test_links_to_sections_and_generated_pages(tmp_path: Path) -> None:
    out = site(tmp_path, {"docker/a.md": "---\ntags: [ops]\n---\n[up](../docker/) [all](/tags/) "
                                         "[ops](/tags/ops/) [home](../index.md)\n",
                          "index.md": "---\ntitle: Start\n---\nhi"})
    hrefs = [a["href"] for a, _ in body_links(out, "docker/a/index.html")]
    assert hrefs == ["/docker/", "/tags/", "/tags/ops/", "/index/"]


def test_wiki_link_to_a_heading_by_its_text_resolves_like_obsidian(tmp_path: Path) -> None:
    out = site(tmp_path, {
        "docker/networking.md": NET + "\n## Port Mapping & NAT\n\nText.\n",
        "a.md": "[[Docker networking#Port Mapping & NAT]] [[networking#Bridge|b]] "
                "[[networking#bridge]]\n"})
    assert [a["href"] for a, _ in body_links(out, "a/index.html")] == [
        "/docker/networking/#port-mapping-nat", "/docker/networking/#bridge",
        "/docker/networking/#bridge"]
    page = (out / "docker/networking/index.html").read_text("utf-8")
    assert 'id="port-mapping-nat"' in page


def test_heading_anchor_is_the_slugify_the_table_of_contents_uses() -> None:
    from site_builder.markdown.render import EXTENSION_CONFIGS
    from site_builder.vault.links import heading_anchor

    toc_slugify = EXTENSION_CONFIGS["toc"]["slugify"]
    for text in ("Port Mapping & NAT", "Ünïcode heading", "already-an-id", "C++ / Go"):
        assert heading_anchor(text) == toc_slugify(text, "-")


def test_broken_anchor_names_the_anchor_that_works(tmp_path: Path) -> None:
    lines = failure(tmp_path, {"docker/networking.md": NET,
                               "a.md": "[[Docker networking#Overlays]]\n[x](docker/networking.md#brige)"})
    assert lines[:2] == [
        ("content/a.md:1: broken link to 'Docker networking#Overlays' (no heading '#overlays' "
         "in docker/networking.md; did you mean '#overlay'?)"),
        ("content/a.md:2: broken link to 'docker/networking.md#brige' (no heading '#brige' in "
         "docker/networking.md; did you mean '#bridge'?)"),
    ]


@pytest.mark.parametrize("files, expected", [
    ({"a.md": "[x](/nowhere/)"}, ("content/a.md:1: broken link to '/nowhere/' (no note, file or "
                                 "generated page at /nowhere/)")),
    ({"a.md": "[x](sub/)"}, ("content/a.md:1: broken link to 'sub/' (no such file in the content "
                            "folder: sub)")),
    ({"a.md": "[x](../../x.md)"}, ("content/a.md:1: broken link to '../../x.md' (it points "
                                  "outside the content folder)")),
    ({"a.md": "[[Docker netwroking]]", "docker/networking.md": NET},
     ("content/a.md:1: broken link to 'Docker netwroking' (no note titled or named 'Docker "
     "netwroking'; did you mean [[Docker networking]]?)")),
])
def test_every_broken_link_says_why(tmp_path: Path, files: dict, expected: str) -> None:
    assert failure(tmp_path, files) == [expected]


def test_an_obsidian_app_address_is_the_note_it_names(tmp_path: Path) -> None:
    """Obsidian's app copies a note's address as ``app://obsidian.md/Note%20name``; writers
    paste it as a Markdown link (the Obsidian Help vault does): a browser cannot follow it,
    so it is the wiki link it stands for, heading included, and reported when it is broken."""
    files = {"Sync/Security and privacy.md": "# Security and privacy\n\n## Encryption\n\nx\n",
             "Intro to Sync.md": "hi\n",
             "a.md": "[x](app://obsidian.md/Intro%20to%20Sync) "
                     "[y](app://obsidian.md/Sync/Security%20and%20privacy#Encryption)\n"}
    out = site(tmp_path, files)
    assert [a["href"] for a, _ in body_links(out, "a/index.html")] == [
        "/Intro-to-Sync/", "/Sync/Security-and-privacy/#encryption"]
    assert failure(tmp_path / "broken", {"a.md": "x\n[z](APP://obsidian.md/Nope)\n"}) == [
        ("content/a.md:2: broken link to 'APP://obsidian.md/Nope' (no note titled or named "
        "'Nope')")]
