"""The benchmark's reference loops (bench/baseline.py) render every note, serially or split."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"


@pytest.fixture()
def baseline(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.syspath_prepend(str(BENCH))
    import baseline as module

    yield module
    sys.modules.pop("baseline", None)


def pages(out: Path) -> dict[Path, str]:
    return {p.relative_to(out): p.read_text() for p in out.rglob("*.html")}


def test_split_baseline_writes_the_same_pages(tmp_path: Path, baseline) -> None:
    content = tmp_path / "content"
    (content / "a").mkdir(parents=True)
    for i in range(5):
        (content / "a" / f"n{i}.md").write_text(f"---\ntitle: Note {i}\n---\n# H\n\n*Body {i}*\n")
    (content / "top.md").write_text("No front matter, \"quoted\".\n")
    assert baseline.run(content, tmp_path / "one") == 6
    assert baseline.run(content, tmp_path / "two", processes=2) == 6
    one, two = pages(tmp_path / "one"), pages(tmp_path / "two")
    assert one == two and len(one) == 6
    page = one[Path("a/n3/index.html")]
    assert "<title>Note 3</title>" in page and "<em>Body 3</em>" in page
    assert "&ldquo;quoted&rdquo;" in one[Path("top/index.html")]  # smart quotes, as the builder
