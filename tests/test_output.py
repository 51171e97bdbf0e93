import re
from pathlib import Path

import pytest

from site_builder.errors import ContentError
from site_builder.output import (
    OutputFile,
    check_unique,
    hashed_name,
    staging,
    static_assets,
    swap,
    write_files,
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
    assert assets["style.css"].data.endswith(b".extra { color: red }")
    assert static_assets("").get("style.css").path != assets["style.css"].path


def test_check_unique_names_both_owners_and_sorts() -> None:
    files = [OutputFile("b/index.html", "content/b.md", b""), OutputFile("a.txt", "x", b"")]
    assert [f.path for f in check_unique(files)] == ["a.txt", "b/index.html"]
    with pytest.raises(ContentError) as exc:
        check_unique(files + [OutputFile("b/index.html", "content/c.md", b"")])
    assert str(exc.value) == "content/c.md: maps to the same URL /b/ as content/b.md"


def test_nothing_may_be_written_under_the_private_prefix() -> None:
    with pytest.raises(ContentError, match="private area"):
        check_unique([OutputFile("_notes/deploys/x.json", "content/_notes/deploys/x.json", b"")])


def test_staging_then_swap_replaces_the_output(tmp_path: Path) -> None:
    out = tmp_path / "site"
    out.mkdir()
    (out / "old.html").write_text("old")
    src = tmp_path / "pic.png"
    src.write_bytes(b"\x89PNG")
    with staging(out) as tmp:
        assert tmp.parent == tmp_path and tmp != out
        write_files(tmp, [OutputFile("a/index.html", "x", b"new"), OutputFile("pic.png", "y",
                                                                             source=src)])
        swap(tmp, out)
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()) == [
        "a/index.html", "pic.png"]
    assert (out / "pic.png").read_bytes() == b"\x89PNG"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pic.png", "site"]


def test_failed_stage_removes_its_temp_folder_and_keeps_output(tmp_path: Path) -> None:
    out = tmp_path / "site"
    out.mkdir()
    (out / "keep.html").write_text("keep")
    with pytest.raises(RuntimeError), staging(out) as tmp:
        write_files(tmp, [OutputFile("x.html", "x", b"x")])
        raise RuntimeError("boom")
    assert [p.name for p in tmp_path.iterdir()] == ["site"]
    assert [p.name for p in out.iterdir()] == ["keep.html"]
