"""The page budget (issue 15): a note page's HTML plus the CSS and JavaScript it loads, before
images, search, mermaid and Bases (loaded only where used), stays under 40 KB uncompressed, for every
note of the sample site."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from site_builder.pipeline.build import build_site
from site_builder.pipeline.options import BuildOptions

REPO = Path(__file__).resolve().parents[1]
BUDGET = 40 * 1024
_REFS = re.compile(r'<(?:link rel="stylesheet" href|script src)="([^"]+)"')
EXCLUDED = ("/pagefind/", "/assets/vendor/", "/assets/diagrams.", "/assets/search.",
            "/assets/bases.")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("budget") / "site"
    build_site(BuildOptions(project_dir=REPO, out_dir=out, search=False))
    return out


def weight(site: Path, page: Path) -> tuple[int, list[str]]:
    html = page.read_text("utf-8")
    refs = [r for r in _REFS.findall(html) if not r.startswith(EXCLUDED)]
    return page.stat().st_size + sum((site / r.lstrip("/")).stat().st_size for r in refs), refs


def test_every_note_page_with_its_css_and_js_is_under_40_kb(site: Path):
    notes = [p for p in site.rglob("index.html")
             if '<meta name="notes:page" content="note">' in p.read_text("utf-8")]
    assert len(notes) >= 10
    sizes = {p.relative_to(site).as_posix(): weight(site, p) for p in notes}
    for path, (size, refs) in sizes.items():
        assert any(r.endswith(".css") for r in refs) and any(r.endswith(".js") for r in refs)
        assert size < BUDGET, f"{path}: {size} bytes with {refs}"
    # The heaviest page is named in the output of a failing run above; print it anyway.
    print(max((s, p) for p, (s, _) in sizes.items()))
