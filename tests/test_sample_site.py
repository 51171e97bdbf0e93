"""Build the real sample content/ and walk every built page: every internal href/src must
resolve to a built file, and every #anchor to an id in the target page."""

from __future__ import annotations

import posixpath
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from site_builder.pipeline.build import build_site
from site_builder.pipeline.options import BuildOptions, BuildResult

REPO = Path(__file__).resolve().parents[1]
CONTENT = REPO / "content"


class Refs(HTMLParser):
    def __init__(self, text: str):
        super().__init__()
        self.refs: list[str] = []
        self.ids: set[str] = set()
        self.meta: dict[str, str] = {}
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if a.get("id"):
            self.ids.add(a["id"])
        if tag == "a" and a.get("name"):
            self.ids.add(a["name"])
        if tag == "meta" and a.get("name"):
            self.meta[a["name"]] = a.get("content") or ""
        for key in ("href", "src"):
            if a.get(key) is not None and tag in ("a", "link", "img", "script", "source"):
                self.refs.append(a[key])


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> BuildResult:
    if not any(CONTENT.rglob("*.md")):
        pytest.skip("content/ has no notes yet")
    out = tmp_path_factory.mktemp("sample") / "site"
    return build_site(BuildOptions(project_dir=REPO, out_dir=out, search=True))


def resolve(out: Path, page: Path, ref: str) -> tuple[Path | None, str]:
    """The built file a reference points at (None when it does not exist) and its anchor."""
    parts = urlsplit(ref)
    path = unquote(parts.path)
    if not path:
        return page, parts.fragment
    if not path.startswith("/"):
        base = "/" + page.parent.relative_to(out).as_posix()
        path = posixpath.normpath(posixpath.join(base, path)) + ("/" if path.endswith("/") else "")
    target = out / path.lstrip("/")
    if path.endswith("/") or target.is_dir():
        target = target / "index.html"
    return (target if target.is_file() else None), parts.fragment


def test_every_internal_link_resolves(built: BuildResult) -> None:
    out = built.out_dir
    pages = sorted(out.rglob("*.html"))
    assert len(pages) >= 15
    parsed = {p: Refs(p.read_text("utf-8")) for p in pages if "pagefind" not in p.parts}
    problems, checked = [], 0
    for page, refs in parsed.items():
        for ref in refs.refs:
            if urlsplit(ref).scheme or ref.startswith("//"):
                continue
            target, anchor = resolve(out, page, ref)
            checked += 1
            rel = page.relative_to(out)
            if target is None:
                problems.append(f"{rel}: {ref} -> no such file")
            elif anchor and target.suffix == ".html":
                ids = parsed[target].ids if target in parsed else Refs(target.read_text()).ids
                if anchor not in ids:
                    problems.append(f"{rel}: {ref} -> no id '{anchor}'")
    assert problems == []
    assert checked > 100


def test_pages_are_marked_and_notes_have_search_bodies(built: BuildResult) -> None:
    out = built.out_dir
    notes = 0
    for page in out.rglob("*.html"):
        if "pagefind" in page.parts:
            continue
        text = page.read_text("utf-8")
        kind = Refs(text).meta.get("notes:page")
        if page.name == "404.html":
            assert kind is None
            continue
        assert kind in ("note", "list"), page
        assert ("data-pagefind-body" in text) == (kind == "note"), page
        notes += kind == "note"
    assert notes >= 8
    assert (out / "pagefind").is_dir()


def test_feed_and_sitemap_parse(built: BuildResult) -> None:
    feed = ET.parse(built.out_dir / "feed.xml").getroot()
    assert feed.tag == "{http://www.w3.org/2005/Atom}feed"
    assert feed.findall("{http://www.w3.org/2005/Atom}entry")
    sitemap = ET.parse(built.out_dir / "sitemap.xml").getroot()
    assert len(sitemap) >= 10


def test_sample_has_an_image_and_wiki_or_relative_links(built: BuildResult) -> None:
    out = built.out_dir
    assert [p for p in out.rglob("*") if p.suffix in (".svg", ".png", ".jpg", ".webp")
            and "pagefind" not in p.parts and "assets" not in p.parts]
    assert any("Linked from" in p.read_text("utf-8") for p in out.rglob("index.html"))
