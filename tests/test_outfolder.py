"""The output folder: a build deletes or replaces only files a build wrote (issue 27)."""

import shutil
import zipfile
from pathlib import Path

import pytest

from site_builder.cli import main
from site_builder.core.errors import ContentError
from site_builder.deploy.local import FolderSource, ZipSource
from site_builder.deploy.manifest import OUTPUT_MARKER, manifest_path
from site_builder.pipeline.build import build_site
from site_builder.pipeline.options import BuildOptions


def project(tmp_path: Path, notes: dict[str, str] | None = None) -> Path:
    for rel, text in (notes or {"a.md": "# A\n\nSee [[B]].\n", "b.md": "# B\n"}).items():
        path = tmp_path / "content" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path


def build(root: Path, out: Path | None = None, **opts) -> None:
    build_site(BuildOptions(project_dir=root, out_dir=out, search=False, **opts))


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_a_folder_of_someone_elses_files_is_refused_and_left_as_it_was(tmp_path: Path,
                                                                       capsys) -> None:
    root = project(tmp_path / "p")
    docs = tmp_path / "Documents"
    (docs / "sub").mkdir(parents=True)
    (docs / "thesis.docx").write_bytes(b"years of work")
    (docs / "sub" / "photo.jpg").write_bytes(b"\xff\xd8")
    before = tree(docs)
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(root)
        assert main(["build", "--no-search", "--out", str(docs)]) == 1
    err = capsys.readouterr().err
    assert err == (f"Error: refusing to build into {docs}: it holds files that notes build did "
                   f"not write (no {OUTPUT_MARKER} in it); pass --out with a new or empty "
                   "folder\n")
    assert tree(docs) == before


@pytest.mark.parametrize("out, name", [
    (".", "the project"), ("..", "the project"), ("content", "the content"),
    ("content/site", "the content"), ("static", "the static"), ("static/x", "the static"),
    ("templates", "the templates"), (".notes-cache", "the build cache"),
    (".notes-cache/site", "the build cache"),
])
def test_the_projects_own_folders_are_refused(tmp_path: Path, out: str, name: str) -> None:
    root = project(tmp_path / "p")
    for folder in ("static", "templates", ".notes-cache"):
        (root / folder).mkdir()
    target = (root / out).resolve()
    with pytest.raises(ContentError) as exc:
        build(root, root / out)
    assert str(exc.value) == f"refusing to build into {target}: it would replace {name} folder"
    assert not (target / OUTPUT_MARKER).exists()


def test_files_dropped_into_the_output_survive_every_rebuild(tmp_path: Path) -> None:
    """Even with the cache gone (it used to be what told a build its own files), a rebuild
    removes only the pages the site no longer has."""
    root = project(tmp_path)
    build(root)
    out = root / "build" / "site"
    (out / "mine.txt").write_text("keep me")
    (out / "b" / "notes.txt").write_text("and me")
    (root / "content" / "b.md").unlink()
    (root / "content" / "a.md").write_text("# A\n")
    shutil.rmtree(root / ".notes-cache")
    build(root, cache=False)
    assert (out / "mine.txt").read_text() == "keep me"
    assert (out / "b" / "notes.txt").read_text() == "and me"
    assert not (out / "b" / "index.html").exists()  # the build's own page is gone
    listed = (out / OUTPUT_MARKER).read_text().splitlines()
    assert "a/index.html" in listed and "b/index.html" not in listed
    assert "mine.txt" not in listed


def test_a_file_in_the_way_of_a_new_page_is_an_error_and_nothing_moves(tmp_path: Path) -> None:
    root = project(tmp_path)
    build(root)
    out = root / "build" / "site"
    (out / "c").mkdir()
    (out / "c" / "index.html").write_text("my own page")
    before = tree(out)
    (root / "content" / "c.md").write_text("# C\n")
    with pytest.raises(ContentError) as exc:
        build(root)
    assert str(exc.value) == (f"{out.resolve()}/c/index.html was not written by notes build, "
                              "and the site needs that path: move it out of the output folder")
    assert tree(out) == before


def test_an_edited_marker_cannot_reach_outside_the_folder(tmp_path: Path) -> None:
    root = project(tmp_path / "p")
    build(root)
    out = root / "build" / "site"
    victim = tmp_path / "victim.txt"
    victim.write_text("safe")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "x.html").write_text("safe too")
    (out / "link").symlink_to(elsewhere)
    with open(out / OUTPUT_MARKER, "a") as fh:
        fh.write("../../../victim.txt\n/etc/hostname\nlink/x.html\n")
    build(root, cache=False)
    assert victim.read_text() == "safe"
    assert (elsewhere / "x.html").read_text() == "safe too"


def test_a_folder_built_before_markers_is_still_the_builds(tmp_path: Path) -> None:
    """Its deploy manifest (beside it) says a build wrote it: the next build adopts it."""
    root = project(tmp_path)
    build(root)
    out = root / "build" / "site"
    (out / OUTPUT_MARKER).unlink()
    (root / "content" / "b.md").write_text("# B, edited\n")
    build(root)
    assert (out / OUTPUT_MARKER).is_file()
    (out / OUTPUT_MARKER).unlink()
    manifest_path(out).unlink()
    with pytest.raises(ContentError, match="holds files that notes build did not write"):
        build(root)


def test_the_marker_is_never_part_of_the_published_site(tmp_path: Path) -> None:
    root = project(tmp_path)
    build(root)
    out = root / "build" / "site"
    assert (out / OUTPUT_MARKER).is_file()
    keys = [f.key for f in FolderSource(out).scan()]
    assert OUTPUT_MARKER not in keys and "a/index.html" in keys
    archive = tmp_path / "site.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in sorted(out.rglob("*")):
            if path.is_file():
                zf.write(path, path.relative_to(out).as_posix())
    source = ZipSource(archive)
    assert sorted(f.key for f in source.scan()) == sorted(keys)
    source.close()


@pytest.mark.parametrize("out, message", [
    ("/proc/nope", ("cannot write the output folder /proc/nope: No such file or directory "
                   "(pass --out with a folder you can write)")),
    ("/etc/passwd", ("refusing to build into /etc/passwd: it is a file, not a folder (pass --out "
                    "with a new or empty folder)")),
    ("/etc/passwd/x", ("cannot create the output folder /etc/passwd/x: /etc/passwd is a file, "
                      "not a folder (pass --out with a new or empty folder)")),
])
def test_outputs_that_cannot_be_written_are_one_line_errors(tmp_path: Path, monkeypatch,
                                                            capsys, out: str,
                                                            message: str) -> None:
    monkeypatch.chdir(project(tmp_path))
    assert main(["build", "--no-search", "--out", out]) == 1
    assert capsys.readouterr().err == f"Error: {message}\n"
    assert not (tmp_path / "build").exists()
