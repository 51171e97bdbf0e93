"""What a reader gets on every page (issue 15), on the built HTML: breadcrumbs at every depth,
per-note description and OpenGraph/Twitter tags, the favicon, diagram scripts only where a
diagram is, one search box per page, permalinks out of the search index, and the pinned
mermaid that ships with the package."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from test_render import Tags

from site_builder.pipeline.build import build_site
from site_builder.pipeline.options import BuildOptions
from site_builder.site.assets import STATIC_DIR
from site_builder.site.favicon import favicon_ico

REPO = Path(__file__).resolve().parents[1]
NOTES = {
    "notes.toml": 'title = "Lab"\ndescription = "Site wide."\nbase_url = "https://ex.org"\n',
    "content/top.md": "# Top\n\nFirst paragraph of top.\n\n![Pic](pic.png)\n",
    "content/pic.png": "png",
    "content/k8s/_index.md": "---\ntitle: Kube\n---\nIntro.\n",
    "content/k8s/pods.md": "---\ntitle: Pods\nsummary: All about pods.\n---\n## Part\n\nText.\n",
    "content/k8s/net/cni.md": "# CNI\n\nPlugins wire pods.\n\n```mermaid\ngraph TD; A-->B\n```\n",
}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("reader")
    for rel, text in NOTES.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, "utf-8")
    build_site(BuildOptions(project_dir=root, search=False))
    return root / "build" / "site"


def page(site: Path, path: str) -> Tags:
    return Tags((site / path).read_text("utf-8"))


def crumbs(html: str) -> list[str]:
    """The links of the breadcrumbs nav."""
    nav = re.search(r'<nav class="breadcrumbs".*?</nav>', html, re.DOTALL)
    return re.findall(r'href="([^"]+)"', nav.group(0)) if nav else []


@pytest.mark.parametrize(("path", "trail"), [
    ("top/index.html", ["/"]),
    ("k8s/pods/index.html", ["/", "/k8s/"]),
    ("k8s/net/cni/index.html", ["/", "/k8s/", "/k8s/net/"]),
    ("k8s/index.html", ["/"]),
    ("k8s/net/index.html", ["/", "/k8s/"]),
])
def test_breadcrumbs_name_every_section_above(site: Path, path: str, trail: list[str]):
    assert crumbs((site / path).read_text("utf-8")) == trail


def meta(tags: Tags) -> dict[str, str]:
    return {a.get("name") or a.get("property"): a["content"] for a in tags.find("meta")
            if a.get("content") is not None}


def test_notes_have_their_own_description_and_full_open_graph(site: Path):
    m = meta(page(site, "top/index.html"))
    assert m["description"] == m["og:description"] == "First paragraph of top."
    assert m["og:title"] == m["twitter:title"] == "Top"
    assert (m["og:type"], m["og:url"], m["og:site_name"]) == (
        "article", "https://ex.org/top/", "Lab")
    assert m["og:image"] == m["twitter:image"] == "https://ex.org/pic.png"
    assert m["twitter:card"] == "summary_large_image"
    pods = meta(page(site, "k8s/pods/index.html"))
    assert pods["description"] == "All about pods." and "og:image" not in pods
    assert pods["twitter:card"] == "summary"
    home = meta(page(site, "index.html"))
    assert (home["description"], home["og:type"]) == ("Site wide.", "website")


def test_favicon_linked_and_at_the_root(site: Path):
    icon = page(site, "index.html").find("link", rel="icon")[0]["href"]
    assert icon.startswith("/assets/favicon.") and (site / icon.lstrip("/")).is_file()
    data = (site / "favicon.ico").read_bytes()
    assert data == favicon_ico() and data[:4] == b"\0\0\1\0" and b"PNG" in data[:40]


def test_a_favicon_in_content_replaces_the_shipped_one(tmp_path: Path):
    (tmp_path / "content").mkdir()
    (tmp_path / "content" / "a.md").write_text("# A\n", "utf-8")
    (tmp_path / "content" / "favicon.ico").write_bytes(b"mine")
    build_site(BuildOptions(project_dir=tmp_path, search=False))
    out = tmp_path / "build" / "site"
    assert (out / "favicon.ico").read_bytes() == b"mine"
    assert page(out, "a/index.html").find("link", rel="icon")[0]["href"] == "/favicon.ico"


def scripts(tags: Tags) -> list[str]:
    return [a["src"].split("/")[-1].split(".")[0] for a in tags.find("script") if a.get("src")]


def test_mermaid_loads_only_on_pages_with_a_diagram(site: Path):
    assert scripts(page(site, "k8s/net/cni/index.html")) == ["site", "mermaid", "diagrams"]
    assert scripts(page(site, "k8s/pods/index.html")) == ["site"]
    src = [a["src"] for a in page(site, "k8s/net/cni/index.html").find("script") if a.get("src")]
    assert all((site / s.lstrip("/")).is_file() for s in src)


def test_theme_is_set_before_the_stylesheet_and_the_toggle_waits_for_scripts(site: Path):
    html = (site / "index.html").read_text("utf-8")
    assert html.index('setAttribute("data-theme"') < html.index('rel="stylesheet"')
    toggle = page(site, "index.html").find("button", **{"class": "theme-toggle"})
    assert toggle and "hidden" in toggle[0]


def test_one_search_box_per_page_and_permalinks_not_indexed(site: Path):
    assert page(site, "index.html").find("form", role="search")
    assert not page(site, "search/index.html").find("form", role="search")
    links = page(site, "k8s/pods/index.html").find("a", **{"class": "headerlink"})
    assert links and all("data-pagefind-ignore" in a for a in links)


def test_toc_sits_under_the_title_as_navigation(site: Path):
    html = (site / "k8s/pods/index.html").read_text("utf-8")
    assert html.index("<h1>") < html.index('class="toc-panel"') < html.index("data-pagefind-body")
    assert '<nav class="toc-panel" aria-label="On this page">' in html


def test_vendored_mermaid_is_the_pinned_npm_release():
    pinned = json.loads((REPO / "package.json").read_text())["devDependencies"]["mermaid"]
    assert pinned[0].isdigit()  # an exact version, no range
    lock = json.loads((REPO / "package-lock.json").read_text())
    assert lock["packages"]["node_modules/mermaid"]["version"] == pinned
    vendored = STATIC_DIR / "vendor" / "mermaid.min.js"
    assert vendored.stat().st_size > 1_000_000
    assert (STATIC_DIR / "vendor" / "mermaid.LICENSE").read_text().startswith("The MIT License")
    installed = REPO / "node_modules" / "mermaid"
    if not installed.is_dir():
        pytest.skip("node_modules/ not installed (make node)")
    assert json.loads((installed / "package.json").read_text())["version"] == pinned
    assert (installed / "dist" / "mermaid.min.js").read_bytes() == vendored.read_bytes()
