"""Pagefind runs only when the part of some page it indexes changed (issue 17): settings,
template, tags and feed-only edits and unchanged rebuilds leave the index alone."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from test_search_shards import spy_pagefind

from site_builder.pipeline.build import build_site
from site_builder.pipeline.options import BuildOptions, BuildResult
from site_builder.search.parts import indexed_part
from site_builder.site import page_maker

TEMPLATES = Path(page_maker.__file__).resolve().parent / "templates"
NOTES = {
    "a/one.md": "---\ntitle: One\ndate: 2024-01-01\ntags: [x]\n---\nFirst note, see [two](two.md).\n",
    "a/two.md": "---\ntitle: Two\ndate: 2024-01-02\ntags: [y]\n---\nSecond note.\n\n## Part\n\nMore.\n",
    "b/three.md": "---\ntitle: Three\ntags: [z]\n---\nThird note.\n",
}


@pytest.fixture
def runs(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Every Pagefind run (the real one), by site folder."""
    seen: list[Path] = []
    spy_pagefind(monkeypatch, lambda site, _: seen.append(site))
    return seen


def write(project: Path, rel: str, text: str) -> None:
    path = project / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, "utf-8")


def build(project: Path) -> BuildResult:
    return build_site(BuildOptions(project_dir=project, search=True))


@pytest.fixture
def project(tmp_path: Path, runs: list[Path]) -> Path:
    for rel, text in NOTES.items():
        write(tmp_path, f"content/{rel}", text)
    write(tmp_path, "notes.toml", 'title = "Mine"\n')
    first = build(tmp_path)
    assert first.searched and len(runs) == 1
    return tmp_path


def edit(project: Path, rel: str, old: str, new: str) -> None:
    path = project / rel
    text = path.read_text("utf-8")
    assert old in text
    path.write_text(text.replace(old, new), "utf-8")


def rebuilt_without_search(project: Path, runs: list[Path]) -> BuildResult:
    result = build(project)
    assert not result.searched and len(runs) == 1
    assert (project / "build/site/pagefind/pagefind-entry.json").is_file()
    return result


def test_unchanged_rebuild_does_not_index(project: Path, runs: list[Path]) -> None:
    rebuilt_without_search(project, runs)


def test_settings_edit_rewrites_every_page_but_does_not_index(
        project: Path, runs: list[Path]) -> None:
    edit(project, "notes.toml", '"Mine"', '"Renamed"')
    result = rebuilt_without_search(project, runs)
    assert "a/one/index.html" in result.written and "index.html" in result.written
    assert "Renamed" in (project / "build/site/a/one/index.html").read_text()


def test_template_edit_outside_the_body_does_not_index(project: Path, runs: list[Path]) -> None:
    shutil.copytree(TEMPLATES, project / "templates")
    edit(project, "templates/base.html", '<footer class="site-footer">',
         '<footer class="site-footer"><p>New footer</p>')
    result = rebuilt_without_search(project, runs)
    assert "a/one/index.html" in result.written
    assert "New footer" in (project / "build/site/a/one/index.html").read_text()


def test_tags_and_feed_only_edits_do_not_index(project: Path, runs: list[Path]) -> None:
    edit(project, "content/a/one.md", "tags: [x]", "tags: [x, extra]")
    result = rebuilt_without_search(project, runs)
    assert "tags/extra/index.html" in result.written
    edit(project, "content/b/three.md", "tags: [z]", "tags: [z]\ndate: 2024-02-01")
    result = rebuilt_without_search(project, runs)
    assert "feed.xml" in result.written


@pytest.mark.parametrize("change", ["body", "title", "new note", "deleted note", "template body"])
def test_changes_to_indexed_text_index_again(project: Path, runs: list[Path], change: str) -> None:
    if change == "body":
        edit(project, "content/a/two.md", "More.", "More words, searchable.")
    elif change == "title":
        edit(project, "content/b/three.md", "title: Three", "title: Third one")
    elif change == "new note":
        write(project, "content/b/four.md", "# Four\n\nFourth.\n")
    elif change == "deleted note":
        (project / "content/b/three.md").unlink()
    else:
        shutil.copytree(TEMPLATES, project / "templates")
        edit(project, "templates/note.html", "{{ body }}", "{{ body }}<p>Also indexed</p>")
    result = build(project)
    # A deleted note's fragment is only set aside (shards.json): no Pagefind run.
    assert result.searched and len(runs) == (1 if change == "deleted note" else 2)


def test_no_search_build_forgets_the_key(project: Path, runs: list[Path]) -> None:
    build_site(BuildOptions(project_dir=project, search=False))
    assert not (project / "build/site/pagefind").exists()
    assert build(project).searched and len(runs) == 2


PAGE = (b'<html lang="en"><head><title>S</title></head><body><h1>T</h1>'
        b'<div class="prose" data-pagefind-body><div>inner</div><p>text</p></div>'
        b'<footer>Site</footer></body></html>')


def test_indexed_part_covers_the_marked_element_title_and_language() -> None:
    part = indexed_part(PAGE)
    assert part is not None
    assert b"<div>inner</div><p>text</p></div>" in part and b"<h1>T</h1>" in part
    assert b'<html lang="en">' in part
    assert b"footer" not in part and b"<title>" not in part
    assert indexed_part(PAGE.replace(b"<footer>Site", b"<footer>Other")) == part
    assert indexed_part(PAGE.replace(b"inner", b"changed")) != part
    assert indexed_part(PAGE.replace(b'lang="en"', b'lang="de"')) != part
    assert indexed_part(PAGE.replace(b"<h1>T", b"<h1>U")) != part


def test_indexed_part_of_an_unclosed_body_runs_to_the_end_and_unmarked_pages_are_none() -> None:
    unclosed = PAGE.replace(b"<p>text</p></div>", b"<p>text</p>")
    part = indexed_part(unclosed)
    assert part is not None and part.endswith(b"<footer>Site</footer></body></html>")
    assert indexed_part(PAGE.replace(b" data-pagefind-body", b"")) is None
    assert indexed_part(b"<p>mentions data-pagefind-body in text</p>") is None


IGNORED = PAGE.replace(b"<p>text</p>", b'<p>text</p><div class="base" data-pagefind-ignore>'
                       b'<table><tr><td>41 words</td></tr></table><div>x</div></div>'
                       b'<img data-pagefind-ignore src="a.png"><p>after</p>')


def test_what_pagefind_ignores_does_not_change_the_key_but_what_it_reads_does(
        tmp_path: Path) -> None:
    """A Base's table is ignored by Pagefind: a listed note's new size changes the table but
    not the page's fragment, so it must not change the page's key (an edit would otherwise
    send the page to the recent bundle with a fragment id its shard already holds)."""
    from site_builder.search.pagefind import run_pagefind
    from site_builder.search.recent import fragment_urls

    changed = IGNORED.replace(b"41 words", b"38 words")
    assert indexed_part(changed) == indexed_part(IGNORED)
    assert b"<p>after</p>" in indexed_part(IGNORED)  # a void element hides nothing after it
    for edit in (b"<p>after</p>", b"<p>afterwards</p>"), (b"<div>x</div></div>", b"<div>x</div>"):
        assert indexed_part(IGNORED.replace(*edit)) != indexed_part(IGNORED)  # read, or unclosed
    ids = []
    for name, page in ("before", IGNORED), ("after", changed):
        (tmp_path / name / "p").mkdir(parents=True)
        (tmp_path / name / "p" / "index.html").write_bytes(page)
        run_pagefind(tmp_path / name, tmp_path / name / "pagefind")
        ids.append(fragment_urls(tmp_path / name / "pagefind"))
    assert ids[0] == ids[1] and list(ids[0]) == ["/p/"]
