import os
import re
from pathlib import Path

import pytest

from site_builder.core.errors import ContentError
from site_builder.site.assets import hashed_name, minify_css, minify_js, static_assets
from site_builder.store.cache import OutputEntry, digest
from site_builder.store.output import (
    OutputFile,
    check_unique,
    commit,
    file_digest,
    intact,
    make_file,
    needs_making,
    staging,
    temp_folder,
)


def test_hashed_name_depends_on_content() -> None:
    a, b = hashed_name("style.css", b"a"), hashed_name("style.css", b"b")
    assert re.fullmatch(r"style\.[0-9a-f]{8}\.css", a) and a != b
    assert hashed_name("style.css", b"a") == a


def test_static_assets_are_hashed_and_include_extra_css() -> None:
    assets = static_assets(".extra { color: red }")
    assert set(assets) >= {"style.css", "site.js"}
    assert re.fullmatch(r"assets/style\.[0-9a-f]{8}\.css", assets["style.css"].path)
    assert re.fullmatch(r"assets/site\.[0-9a-f]{8}\.js", assets["site.js"].path)
    assert assets["style.css"].data.endswith(b".extra{color:red}\n")  # minified
    assert b".extra" not in assets["search.css"].data
    assert static_assets("").get("style.css").path != assets["style.css"].path
    assert re.fullmatch(r"assets/vendor/mermaid\.min\.[0-9a-f]{8}\.js",
                        assets["vendor/mermaid.min.js"].path)


def test_minify_css_keeps_descendant_combinators_and_strings() -> None:
    css = ('/* note */\nhtml :is(.a, .b) > p {\n  font: 1rem "Segoe UI";\n  margin: 0 auto;\n}\n'
           'q::before { content: ";}"; }\n')
    assert minify_css(css) == ('html :is(.a,.b) > p{font:1rem "Segoe UI";margin:0 auto}'
                               'q::before{content:";}"}\n')


def test_minify_js_drops_comment_lines_and_indentation_only() -> None:
    js = "/* head\n   more */\n(function () {\n  // why\n  var a = 1; // kept\n})();\n"
    assert minify_js(js) == "(function () {\nvar a = 1; // kept\n})();\n"


def test_check_unique_names_both_owners_and_sorts() -> None:
    files = [OutputFile("b/index.html", "content/b.md", b""), OutputFile("a.txt", "x", b"")]
    assert [f.path for f in check_unique(files)] == ["a.txt", "b/index.html"]
    with pytest.raises(ContentError) as exc:
        check_unique(files + [OutputFile("b/index.html", "content/c.md", b"")])
    assert str(exc.value) == "content/c.md: maps to the same URL /b/ as content/b.md"


def test_nothing_may_be_written_under_the_private_prefix() -> None:
    with pytest.raises(ContentError, match="private area"):
        check_unique([OutputFile("_notes/deploys/x.json", "content/_notes/deploys/x.json", b"")])


def _files(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def test_first_build_moves_the_staged_folder_into_place(tmp_path: Path) -> None:
    out = tmp_path / "site"
    src = tmp_path / "pic.png"
    src.write_bytes(b"\x89PNG")
    items = [OutputFile("a/index.html", "x", b"new"), OutputFile("pic.png", "y", source=src)]
    with staging(out) as stage:
        assert stage.parent == tmp_path and stage != out
        made = [make_file(i, None, out, stage) for i in items]
        assert all(m.written for m in made)
        assert commit(stage, out, [m.path for m in made], {i.path for i in items}, set()) == []
    assert _files(out) == ["a/index.html", "pic.png"]
    assert (out / "pic.png").read_bytes() == b"\x89PNG"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pic.png", "site"]


def test_commit_rewrites_only_changed_files_and_removes_stale_ones(tmp_path: Path) -> None:
    out = tmp_path / "site"
    (out / "old" / "deep").mkdir(parents=True)
    (out / "old" / "deep" / "index.html").write_text("gone")
    (out / "same.html").write_bytes(b"same")
    (out / "changed.html").write_bytes(b"before")
    (out / "pagefind").mkdir()
    (out / "pagefind" / "x.js").write_text("kept: the search step owns it")
    os.utime(out / "same.html", ns=(1_000_000_000, 1_000_000_000))
    items = [OutputFile("same.html", "a", b"same"), OutputFile("changed.html", "b", b"after")]
    with staging(out) as stage:
        made = [make_file(i, None, out, stage) for i in items]
        assert [m.written for m in made] == [False, True]
        removed = commit(stage, out, [m.path for m in made if m.written],
                         {"same.html", "changed.html"},
                         {"old/deep/index.html", "same.html", "changed.html"})
    assert removed == ["old/deep/index.html"]
    assert _files(out) == ["changed.html", "pagefind/x.js", "same.html"]
    assert (out / "changed.html").read_bytes() == b"after"
    assert (out / "same.html").stat().st_mtime_ns == 1_000_000_000  # not rewritten
    assert not (out / "old").exists()


def test_a_recorded_intact_file_is_not_made_again(tmp_path: Path) -> None:
    out = tmp_path / "site"
    out.mkdir()
    (out / "p.html").write_bytes(b"page")
    st = (out / "p.html").stat()
    item = OutputFile("p.html", "x", key="k1", make=lambda: pytest.fail("made"))
    entry = OutputEntry("k1", digest(b"page"), st.st_size, st.st_mtime_ns)
    assert intact(out / "p.html", entry)
    assert not needs_making(item, entry, out)
    assert needs_making(item, OutputEntry("k0", entry.digest, entry.size, entry.mtime_ns), out)
    (out / "p.html").write_bytes(b"edited by hand")
    assert needs_making(item, entry, out)  # size/mtime no longer match: make it again
    assert needs_making(OutputFile("q.html", "x", key="k"), None, out)


def test_failed_stage_removes_its_temp_folder_and_keeps_output(tmp_path: Path) -> None:
    out = tmp_path / "site"
    out.mkdir()
    (out / "keep.html").write_text("keep")
    with pytest.raises(RuntimeError), staging(out) as stage:
        make_file(OutputFile("x.html", "x", b"x"), None, out, stage)
        raise RuntimeError("boom")
    assert [p.name for p in tmp_path.iterdir()] == ["site"]
    assert [p.name for p in out.iterdir()] == ["keep.html"]


def test_new_inputs_same_bytes_keeps_the_file_and_records_the_new_key(tmp_path: Path) -> None:
    """Issue 14's crash: a cached output whose inputs key changed but whose bytes did not
    (``base_url`` added: the robots.txt key moves... pages keep their bytes) must update the
    cache entry's key, not crash on ``dataclasses.replace`` of a NamedTuple."""
    out = tmp_path / "site"
    out.mkdir()
    (out / "p.html").write_bytes(b"page")
    st = (out / "p.html").stat()
    old = OutputEntry("k1", file_digest(b"page"), st.st_size, st.st_mtime_ns)
    item = OutputFile("p.html", "x", key="k2", make=lambda: b"page")
    with staging(out) as stage:
        made = make_file(item, old, out, stage)
    assert made.written is False
    assert made.entry == OutputEntry("k2", old.digest, old.size, old.mtime_ns)
    assert isinstance(made.entry, OutputEntry)


def test_temp_folder_first_removes_the_folders_of_processes_that_are_gone(tmp_path: Path) -> None:
    """What a build killed with kill -9 left: removed by the next one; a live process's
    folder, and anything not named like ours, stay."""
    dead = tmp_path / ".site.building-999999999-abc"  # above any pid Linux hands out
    (dead / "cloud").mkdir(parents=True)
    (dead / "cloud" / "index.html").write_text("x")
    live = tmp_path / f".site.building-{os.getpid()}-abc"
    live.mkdir()
    other = tmp_path / ".site.building-notes"
    other.mkdir()
    made = temp_folder(".site.building-", tmp_path)
    assert not dead.exists() and live.is_dir() and other.is_dir()
    assert made.is_dir() and made.name.startswith(f".site.building-{os.getpid()}-")


def test_temp_folder_counts_a_killed_process_not_yet_reaped_as_gone(tmp_path: Path) -> None:
    """kill -9 of a background job leaves a zombie until its parent waits for it: its
    folder is removed all the same."""
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    try:
        stat = Path(f"/proc/{pid}/stat")
        while stat.read_bytes().rsplit(b")", 1)[1].split()[0] != b"Z":  # until it has exited
            pass
        left = tmp_path / f"notes-pagefind-{pid}-abc"
        left.mkdir()
        temp_folder("notes-pagefind-", tmp_path)
        assert not left.exists()
    finally:
        os.waitpid(pid, 0)
