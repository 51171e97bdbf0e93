from html.parser import HTMLParser
from pathlib import Path

import pytest

from site_builder.core.errors import ContentError
from site_builder.pipeline.build import build_site
from site_builder.pipeline.options import BuildOptions
from site_builder.site.pages import tag_slug


class Page(HTMLParser):
    """The bits of a built page the tests look at."""

    def __init__(self, path: Path):
        super().__init__()
        self.title = ""
        self.meta: dict[str, str] = {}
        self.hrefs: list[str] = []
        self.h1: list[str] = []
        self.rel: dict[str, str] = {}
        self._in: str | None = None
        self.feed(path.read_text("utf-8"))

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "meta" and a.get("name"):
            self.meta[a["name"]] = a.get("content") or ""
        if tag == "a" and a.get("href"):
            self.hrefs.append(a["href"])
            if a.get("rel"):
                self.rel[a["rel"]] = a["href"]
        if tag in ("title", "h1"):
            self._in = tag

    def handle_data(self, data):
        if self._in == "title":
            self.title += data
        elif self._in == "h1":
            self.h1.append(data.strip())

    def handle_endtag(self, tag):
        if tag == self._in:
            self._in = None


def build(tmp_path: Path, files: dict[str, str], **opts) -> Path:
    for rel, text in files.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, "utf-8")
    return build_site(BuildOptions(project_dir=tmp_path, search=False, **opts)).out_dir


SITE = {
    "notes.toml": 'title = "Field notes"\n',
    "content/_index.md": "# Welcome\n\nIntro to the site.",
    "content/docker/_index.md": "---\ntitle: Docker things\n---\nAll about containers.",
    "content/docker/cli.md": "---\ntitle: Docker CLI\ndate: 2024-01-10\ntags: [Docker, cli]\n---\n"
                             "## Run\n\nword " * 1,
    "content/docker/images.md": "---\ntitle: Images\ndate: 2024-02-10\ntags: [docker]\n---\nx",
    "content/docker/swarm.md": "---\ntitle: Swarm\ndate: 2024-03-10\n---\nx",
    "content/aws/ec2.md": "---\ntitle: EC2 <instances>\n---\nx",
    "content/loose.md": "top-level note",
}


def test_every_page_kind_is_built_with_its_marker(tmp_path: Path) -> None:
    out = build(tmp_path, SITE)
    kinds = {
        "index.html": "list", "docker/index.html": "list", "aws/index.html": "list",
        "tags/index.html": "list", "tags/docker/index.html": "list",
        "tags/cli/index.html": "list", "docker/cli/index.html": "note",
        "loose/index.html": "note",
    }
    for page, kind in kinds.items():
        assert Page(out / page).meta["notes:page"] == kind, page
    assert "notes:page" not in Page(out / "404.html").meta


def test_home_lists_intro_recent_notes_and_sections(tmp_path: Path) -> None:
    out = build(tmp_path, SITE)
    home = Page(out / "index.html")
    assert home.h1 == ["Welcome"]
    assert home.title == "Field notes"
    assert "Intro to the site." in (out / "index.html").read_text("utf-8")
    recent = [h for h in home.hrefs if h.count("/") == 3]
    assert recent[:3] == ["/docker/swarm/", "/docker/images/", "/docker/cli/"]
    assert {"/docker/", "/aws/", "/loose/"} <= set(home.hrefs)


def test_section_page_has_title_intro_and_notes_newest_first(tmp_path: Path) -> None:
    out = build(tmp_path, SITE)
    page = Page(out / "docker/index.html")
    assert page.h1 == ["Docker things"]
    notes = [h for h in page.hrefs if h.startswith("/docker/") and h != "/docker/"]
    assert notes == ["/docker/swarm/", "/docker/images/", "/docker/cli/"]
    assert Page(out / "aws/index.html").h1 == ["Aws"]  # no _index.md: folder name


def test_note_page_prev_next_tags_and_title_escaped(tmp_path: Path) -> None:
    out = build(tmp_path, SITE)
    images = Page(out / "docker/images/index.html")
    assert images.rel == {"prev": "/docker/swarm/", "next": "/docker/cli/"}
    cli = Page(out / "docker/cli/index.html")
    assert "next" not in cli.rel and {"/tags/docker/", "/tags/cli/"} <= set(cli.hrefs)
    raw = (out / "aws/ec2/index.html").read_text("utf-8")
    assert "<h1>EC2 &lt;instances&gt;</h1>" in raw and "<instances>" not in raw


def test_tags_merge_case_and_list_notes(tmp_path: Path) -> None:
    out = build(tmp_path, SITE)
    tag = Page(out / "tags/docker/index.html")
    assert [h for h in tag.hrefs if h.startswith("/docker/") and h != "/docker/"] == ["/docker/images/", "/docker/cli/"]
    index = Page(out / "tags/index.html")
    assert [h for h in index.hrefs if h.startswith("/tags/") and h != "/tags/"] == [
        "/tags/cli/", "/tags/docker/"]
    assert tag_slug("Kubernetes Pods!") == "kubernetes-pods"


def test_tags_that_differ_by_a_symbol_get_pages_of_their_own(tmp_path: Path) -> None:
    """c#, c++ and c shared /tags/c/, titled after one of them."""
    out = build(tmp_path, {
        "content/a.md": "---\ntitle: A\ntags: ['c#']\n---\n",
        "content/b.md": "---\ntitle: B\ntags: ['c++', 'C']\n---\n",
        "content/c.md": "---\ntitle: Cee\ntags: [c, 'C#']\n---\n"})
    assert [tag_slug(t) for t in ("c#", "c++", "c", "R&D", "@home")] == [
        "c-sharp", "c-plus-plus", "c", "r-and-d", "at-home"]
    pages = {slug: Page(out / f"tags/{slug}/index.html") for slug in ("c-sharp", "c-plus-plus",
                                                                      "c")}
    listed = {slug: sorted(h for h in p.hrefs if h in ("/a/", "/b/", "/c/"))
              for slug, p in pages.items()}
    assert listed == {"c-sharp": ["/a/", "/c/"], "c-plus-plus": ["/b/"], "c": ["/b/", "/c/"]}
    assert [p.h1[-1] for p in pages.values()] == ["#c#", "#c++", "#C"]


def test_two_tags_on_one_page_is_an_error_naming_both(tmp_path: Path) -> None:
    with pytest.raises(ContentError) as exc:
        build(tmp_path, {"content/a.md": "---\ntags: [node.js]\n---\n",
                         "content/b.md": "---\ntags: [node js]\n---\n"})
    assert str(exc.value) == ("tags 'node.js' and 'node js' would share the page /tags/node-js/ "
                              "(the second is on the note at /b/): rename one of them")


def test_note_that_collides_with_a_generated_page(tmp_path: Path) -> None:
    with pytest.raises(ContentError) as exc:
        build(tmp_path, {"content/tags.md": "x", "content/a.md": "---\ntags: [t]\n---\n"})
    assert str(exc.value) == "the tag index: maps to the same URL /tags/ as content/tags.md"
