"""The build cache and the worker pool (issue 7): same bytes every way, and only what changed.

Each test builds a small site, changes one thing, rebuilds, and checks three facts against the
real output: which notes were rendered again, which files were made again (templates run) and
which were written (bytes changed; everything else keeps its mtime); then that the result is
byte-identical to a build from nothing.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from site_builder.deploy.manifest import OUTPUT_MARKER
from site_builder.pipeline.build import build_site
from site_builder.pipeline.options import BuildOptions, BuildResult

NOTES = {
    # Section a, newest first: three, two, one.  one -> two, two -> b/five, b/four -> a/three.
    "a/one.md": "---\ntitle: One\ndate: 2024-01-01\ntags: [x]\n---\n"
                "First note.  See [the second](two.md).\n",
    "a/two.md": "---\ntitle: Two\ndate: 2024-01-02\ntags: [y]\n---\n"
                "Second note, about [five](../b/five.md).\n\n## Part\n\nMore.\n",
    "a/three.md": "---\ntitle: Three\ndate: 2024-01-03\ntags: [y]\n---\nThird note.\n",
    "b/four.md": "---\ntitle: Four\ndate: 2024-01-04\ntags: [z]\n---\n"
                 "Fourth, after [three](../a/three.md#third).\n",
    "b/five.md": "---\ntitle: Five\ndate: 2024-01-05\ntags: [z]\n---\nFifth note.\n\n"
                 "![pic](pic.svg)\n",
    "b/pic.svg": "<svg xmlns='http://www.w3.org/2000/svg'/>",
}
NOTES["a/three.md"] = NOTES["a/three.md"].replace("Third note.", "## Third\n\nThird note.")
ALL_NOTES = {f"content/{k}" for k in NOTES if k.endswith(".md")}


def write(project: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = project / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, "utf-8")


def build(project: Path, **opts) -> BuildResult:
    opts.setdefault("search", False)
    return build_site(BuildOptions(project_dir=project, **opts))


def tree(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*")
            if p.is_file() and p.name != OUTPUT_MARKER}


def mtimes(out: Path) -> dict[str, int]:
    return {p.relative_to(out).as_posix(): p.stat().st_mtime_ns
            for p in out.rglob("*")
            if p.is_file() and p.name != OUTPUT_MARKER}


def from_scratch(project: Path, tmp_path: Path) -> dict[str, bytes]:
    """The same project built with no cache and no previous output."""
    fresh = tmp_path / "fresh"
    shutil.rmtree(fresh, ignore_errors=True)
    shutil.copytree(project, fresh, ignore=shutil.ignore_patterns("build", ".notes-cache"))
    build(fresh, cache=False, jobs=1)
    return tree(fresh / "build" / "site")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "site"
    write(root, {f"content/{k}": v for k, v in NOTES.items()})
    return root


@pytest.fixture
def built(project: Path) -> Path:
    first = build(project)
    assert set(first.rendered) == ALL_NOTES
    return project


def out_of(project: Path) -> Path:
    return project / "build" / "site"


def test_serial_parallel_cached_and_uncached_builds_are_byte_identical(
        project: Path, tmp_path: Path) -> None:
    serial = build(project, jobs=1, cache=False, search=True, out_dir=tmp_path / "serial")
    parallel = build(project, jobs=2, cache=False, search=True, out_dir=tmp_path / "parallel")
    assert set(serial.rendered) == set(parallel.rendered) == ALL_NOTES
    cached = build(project, jobs=2, search=True, out_dir=tmp_path / "cached")
    assert cached.rendered == ()  # every note came from the cache the first two builds left
    expected = tree(tmp_path / "serial")
    assert any(p.startswith("pagefind/") for p in expected)
    assert tree(tmp_path / "parallel") == expected
    assert tree(tmp_path / "cached") == expected


def test_unchanged_rebuild_renders_makes_and_writes_nothing(built: Path) -> None:
    before = mtimes(out_of(built))
    first = build(built, cache=False)
    again = build(built)
    assert (again.rendered, again.made, again.written, again.removed) == ((), (), (), ())
    assert (again.pages, again.files, again.warnings) == (first.pages, first.files,
                                                          first.warnings)
    assert mtimes(out_of(built)) == before


def test_body_edit_remakes_the_note_and_the_lists_showing_its_summary(
        built: Path, tmp_path: Path) -> None:
    note = built / "content/a/two.md"
    note.write_text(NOTES["a/two.md"].replace("Second note", "Second, rewritten note"))
    result = build(built)
    assert result.rendered == ("content/a/two.md",)
    shows_summary = {"a/two/index.html", "a/index.html", "tags/y/index.html", "index.html",
                     "feed.xml"}
    assert set(result.made) == shows_summary
    assert set(result.written) == shows_summary
    assert tree(out_of(built)) == from_scratch(built, tmp_path)


def test_title_change_reaches_neighbours_backlinks_and_lists(built: Path, tmp_path: Path) -> None:
    note = built / "content/a/two.md"
    note.write_text(NOTES["a/two.md"].replace("title: Two", "title: Deux"))
    result = build(built)
    # Its own HTML only: notes linking to it render the same URL, so they are not re-rendered.
    assert result.rendered == ("content/a/two.md",)
    assert set(result.made) == {
        "a/two/index.html",  # itself
        "a/one/index.html", "a/three/index.html",  # its neighbours show its title
        "b/five/index.html",  # it links to five: five's backlinks show its title
        "a/index.html", "tags/y/index.html", "index.html", "feed.xml",  # lists, feed
        "graph/index.html",  # the whole-site graph labels every note
    }
    assert "Deux" in (out_of(built) / "b/five/index.html").read_text()
    assert tree(out_of(built)) == from_scratch(built, tmp_path)


def test_moved_link_target_rerenders_the_notes_linking_to_it(built: Path, tmp_path: Path) -> None:
    three = built / "content/a/three.md"
    three.write_text(NOTES["a/three.md"].replace("title: Three", "title: Three\nslug: trois"))
    result = build(built)
    # four links to three: its HTML holds three's URL, which moved.
    assert set(result.rendered) == {"content/a/three.md", "content/b/four.md"}
    assert "a/three/index.html" in result.removed
    assert 'href="/a/trois/#third"' in (out_of(built) / "b/four/index.html").read_text()
    assert tree(out_of(built)) == from_scratch(built, tmp_path)


def test_new_and_deleted_notes(built: Path, tmp_path: Path) -> None:
    (built / "content/b/five.md").unlink()
    (built / "content/a/two.md").write_text(NOTES["a/two.md"].replace("[five](../b/five.md)",
                                                                      "five"))
    write(built, {"content/b/six.md": "---\ntitle: Six\ndate: 2023-01-01\n---\nSix.\n"})
    result = build(built)
    assert set(result.rendered) == {"content/a/two.md", "content/b/six.md"}
    # five was the only note showing pic.svg: the attachment goes with it.
    assert set(result.removed) == {"b/five/index.html", "b/pic.svg"}
    assert not (out_of(built) / "b/five").exists()
    assert tree(out_of(built)) == from_scratch(built, tmp_path)


def test_template_edit_remakes_only_the_pages_using_it(project: Path, tmp_path: Path) -> None:
    packaged = Path(__file__).resolve().parent.parent / "site_builder" / "site" / "templates"
    write(project, {"templates/tag.html": (packaged / "tag.html").read_text()})
    build(project)
    tag = project / "templates/tag.html"
    tag.write_text(tag.read_text().replace("{% block content %}",
                                           "{% block content %}<p>Edited tag page</p>"))
    result = build(project)
    assert result.rendered == ()
    assert set(result.made) == set(result.written) == {
        "tags/x/index.html", "tags/y/index.html", "tags/z/index.html"}
    assert "Edited tag page" in (out_of(project) / "tags/y/index.html").read_text()
    # base.html is under every page: all of them are made again.
    write(project, {"templates/base.html": (packaged / "base.html").read_text().replace(
        "</body>", "<!-- edited base --></body>")})
    result = build(project)
    pages = {p for p in tree(out_of(project)) if p.endswith(".html")}
    assert result.rendered == ()
    assert set(result.written) == pages
    assert tree(out_of(project)) == from_scratch(project, tmp_path)


def test_settings_change_remakes_pages_but_renders_no_note(built: Path, tmp_path: Path) -> None:
    write(built, {"notes.toml": 'title = "Renamed notes"\n'})
    result = build(built)
    assert result.rendered == ()
    html = {p for p in tree(out_of(built)) if p.endswith(".html")}
    assert html <= set(result.written)
    assert "feed.xml" in result.written  # the feed carries the site title
    assert "Renamed notes" in (out_of(built) / "a/one/index.html").read_text()
    assert tree(out_of(built)) == from_scratch(built, tmp_path)


def test_no_cache_renders_everything_but_rewrites_nothing_unchanged(built: Path) -> None:
    before = mtimes(out_of(built))
    result = build(built, cache=False)
    assert set(result.rendered) == ALL_NOTES
    assert result.written == () and len(result.made) == len(before)
    assert mtimes(out_of(built)) == before


def test_output_edited_or_deleted_by_hand_is_restored(built: Path, tmp_path: Path) -> None:
    out = out_of(built)
    (out / "a/one/index.html").unlink()
    (out / "b/pic.svg").write_text("tampered")
    (out / "stray.txt").write_text("not ours")
    result = build(built)
    assert result.rendered == ()
    assert set(result.written) == {"a/one/index.html", "b/pic.svg"}
    assert tree(out) == {**from_scratch(built, tmp_path), "stray.txt": b"not ours"}


def test_a_file_edited_within_the_same_mtime_is_still_seen(built: Path) -> None:
    note = built / "content/b/five.md"
    st = note.stat()
    note.write_text(NOTES["b/five.md"].replace("Fifth", "FIFTH"))  # same size
    os.utime(note, ns=(st.st_atime_ns, st.st_mtime_ns))
    result = build(built)
    assert result.rendered == ("content/b/five.md",)
    assert "FIFTH" in (out_of(built) / "b/five/index.html").read_text()


def test_lost_html_blobs_are_rendered_again_when_needed(built: Path, tmp_path: Path) -> None:
    shutil.rmtree(built / ".notes-cache" / "html")
    assert build(built).rendered == ()  # nothing changed: the output needs no note bodies
    write(built, {"notes.toml": 'title = "Every page again"\n'})
    result = build(built)  # every page is made again and needs its note's HTML
    assert set(result.rendered) == ALL_NOTES
    assert tree(out_of(built)) == from_scratch(built, tmp_path)


def test_failed_build_changes_neither_output_nor_cache(built: Path) -> None:
    before, state = tree(out_of(built)), (built / ".notes-cache/state.bin").read_bytes()
    (built / "content/a/one.md").write_text(NOTES["a/one.md"] + "\n[[Nowhere]]\n")
    with pytest.raises(Exception, match=r"content/a/one.md:8: broken link to 'Nowhere'"):
        build(built)
    assert tree(out_of(built)) == before
    assert (built / ".notes-cache/state.bin").read_bytes() == state


def test_nothing_to_search_fails_before_anything_is_written(tmp_path: Path) -> None:
    project = tmp_path / "drafts-only"
    write(project, {"content/wip.md": "---\ntitle: WIP\ndraft: true\n---\nNot yet.\n"})
    with pytest.raises(Exception, match=r"^search index: no published note to index "
                                        r"\(publish at least one note, or build with "
                                        r"--no-search\)$"):
        build(project, search=True)
    assert not out_of(project).exists()
    assert build(project, search=False).pages > 0  # without search the site still builds


def test_base_url_added_after_a_build_rebuilds_without_crashing(
        built: Path, tmp_path: Path) -> None:
    """Issue 14: adding base_url changes every page's inputs key but not every page's bytes
    (the 404 page has no canonical link): the cache used to crash on
    ``dataclasses.replace(OutputEntry)``."""
    write(built, {"notes.toml": 'base_url = "https://notes.example.com"\n'})
    result = build(built)
    assert {"feed.xml", "sitemap.xml", "robots.txt"} <= set(result.written)
    assert "404.html" in result.made and "404.html" not in result.written
    again = build(built)
    assert (again.made, again.written) == ((), ())
    assert tree(out_of(built)) == from_scratch(built, tmp_path)


def test_touching_every_file_writes_nothing(built: Path, tmp_path: Path) -> None:
    """What the state machine (test_build_states) shrank issue 14's crash to: new mtimes on
    every file (a git checkout) change the attachment's inputs key, not its bytes."""
    before = mtimes(out_of(built))
    for path in (built / "content").rglob("*"):
        os.utime(path, ns=(1_000_000_000, 1_000_000_000))
    result = build(built)
    assert "b/pic.svg" in result.made and result.written == ()
    assert mtimes(out_of(built)) == before
    assert tree(out_of(built)) == from_scratch(built, tmp_path)
