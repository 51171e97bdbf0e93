"""The build's manifest of MD5s and upload groups (issue 17): deploy planning trusts an entry
only while the file keeps its stamp, and gives exactly what hashing every file gives."""

from __future__ import annotations

import marshal
import os
from pathlib import Path

import pytest

from site_builder.deploy import local
from site_builder.deploy.local import FolderSource, refresh_site_manifest
from site_builder.deploy.manifest import load_manifest, manifest_path
from site_builder.pipeline.build import build_site
from site_builder.pipeline.options import BuildOptions

NOTES = {
    "a/one.md": "---\ntitle: One\ndate: 2024-01-01\n---\nFirst, see [two](two.md).\n",
    "a/two.md": "---\ntitle: Two\n---\nSecond.\n",
}


@pytest.fixture
def site(tmp_path: Path) -> Path:
    for rel, text in NOTES.items():
        path = tmp_path / "content" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, "utf-8")
    return build_site(BuildOptions(project_dir=tmp_path, search=False)).out_dir


def hashed_scan(site: Path) -> list:
    """What a scan gives when it hashes every file (no manifest)."""
    keep = manifest_path(site).read_bytes()
    manifest_path(site).unlink()
    try:
        return FolderSource(site).scan()
    finally:
        manifest_path(site).write_bytes(keep)


def count_describes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    seen: list[str] = []
    real = local._describe
    monkeypatch.setattr(local, "_describe", lambda key, chunks: (seen.append(key),
                                                                  real(key, chunks))[1])
    return seen


def test_build_writes_the_manifest_beside_the_site_and_scan_reads_no_file(
        site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = manifest_path(site)
    assert path.parent == site.parent and path.name == ".site.files"
    assert not any(p.name.endswith(".files") for p in site.rglob("*"))
    expected = hashed_scan(site)
    assert {f.key for f in expected} == set(load_manifest(site))
    described = count_describes(monkeypatch)
    assert FolderSource(site).scan() == expected
    assert described == []  # every file planned from the manifest


def test_a_changed_file_is_hashed_again(site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    page = site / "a/one/index.html"
    page.write_bytes(page.read_bytes().replace(b"First", b"Primo"))  # same size, new mtime
    described = count_describes(monkeypatch)
    scanned = {f.key: f for f in FolderSource(site).scan()}
    assert described == ["a/one/index.html"]
    assert scanned == {f.key: f for f in hashed_scan(site)}


def test_an_entry_is_trusted_only_with_its_stamp(site: Path) -> None:
    path = manifest_path(site)
    data = marshal.loads(path.read_bytes())
    entry = data["files"]["robots.txt"]
    data["files"]["robots.txt"] = (*entry[:3], "0" * 32, entry[4])  # a lie with the right stamp
    path.write_bytes(marshal.dumps(data))
    assert {f.key: f.md5 for f in FolderSource(site).scan()}["robots.txt"] == "0" * 32
    st = os.stat(site / "robots.txt")
    os.utime(site / "robots.txt", ns=(st.st_atime_ns, st.st_mtime_ns + 1000))
    real = {f.key: f.md5 for f in hashed_scan(site)}["robots.txt"]
    assert {f.key: f.md5 for f in FolderSource(site).scan()}["robots.txt"] == real != "0" * 32


@pytest.mark.parametrize("content", [
    b"not marshal", marshal.dumps({"format": 99, "files": {}}), marshal.dumps([]), b"",
    marshal.dumps({"format": 2, "site": "x", "files": {"a": [1, 2, 3, "m", "g"]}})])
def test_an_unreadable_or_foreign_manifest_is_ignored(site: Path, content: bytes) -> None:
    expected = hashed_scan(site)
    manifest_path(site).write_bytes(content)
    assert load_manifest(site) == {}
    assert FolderSource(site).scan() == expected


def test_manifest_of_another_folder_is_ignored(site: Path, tmp_path: Path) -> None:
    data = marshal.loads(manifest_path(site).read_bytes())
    data["site"] = str(tmp_path / "elsewhere")
    manifest_path(site).write_bytes(marshal.dumps(data))
    assert load_manifest(site) == {}


def test_refresh_rehashes_only_what_changed(site: Path) -> None:
    assert refresh_site_manifest(site) == 0
    (site / "new.txt").write_text("new")
    (site / "robots.txt").unlink()
    assert refresh_site_manifest(site) == 1
    assert "new.txt" in load_manifest(site) and "robots.txt" not in load_manifest(site)


def test_a_cold_build_reads_no_written_file_back(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """The build hashes each file as it writes it (in its workers); the manifest refresh
    after it then reads none of them again."""
    read_back: list[str] = []
    real = FolderSource.describe
    monkeypatch.setattr(FolderSource, "describe",
                        lambda self, key: (read_back.append(key), real(self, key))[1])
    for rel, text in NOTES.items():
        path = tmp_path / "content" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, "utf-8")
    site = build_site(BuildOptions(project_dir=tmp_path, search=False, jobs=2)).out_dir
    assert read_back == []
    assert {k: v[3:] for k, v in load_manifest(site).items()} == {
        f.key: (f.md5, f.group) for f in hashed_scan(site)}


def test_a_fresh_entry_is_used_only_with_the_files_stamp(site: Path) -> None:
    manifest_path(site).unlink()
    page = site / "a/one/index.html"
    st = os.stat(page)
    right = (st.st_size, st.st_mtime_ns, st.st_ino, "0" * 32, "notes")  # a made-up MD5
    stale = (st.st_size, st.st_mtime_ns - 1, st.st_ino, "1" * 32, "notes")
    hashed = refresh_site_manifest(site, fresh={"a/one/index.html": right})
    assert load_manifest(site)["a/one/index.html"][3] == "0" * 32  # trusted: stamp matches
    assert hashed == len(load_manifest(site)) - 1
    refresh_site_manifest(site, ["a/one/index.html"], fresh={"a/one/index.html": stale})
    assert load_manifest(site)["a/one/index.html"][3] == FolderSource(site).describe(
        "a/one/index.html").md5  # not trusted: the file was read and hashed


def test_unchanged_rebuild_restores_a_deleted_manifest(site: Path) -> None:
    manifest_path(site).unlink()
    build_site(BuildOptions(project_dir=site.parent.parent, search=False))
    assert set(load_manifest(site)) == {f.key for f in hashed_scan(site)}


def test_builds_keep_the_manifest_exact_through_edits_and_search(tmp_path: Path) -> None:
    """After every kind of build the manifest equals a full hash of the folder."""
    for rel, text in NOTES.items():
        path = tmp_path / "content" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, "utf-8")

    def check(**opts) -> None:
        site = build_site(BuildOptions(project_dir=tmp_path, **opts)).out_dir
        known = load_manifest(site)
        assert {k: (v[3], v[4]) for k, v in known.items()} == {
            f.key: (f.md5, f.group) for f in hashed_scan(site)}

    check(search=True)
    (tmp_path / "content/a/two.md").write_text("---\ntitle: Two\n---\nSecond, edited.\n")
    check(search=True)  # a page and the search index rewritten
    (tmp_path / "content/a/three.md").write_text("Third.\n")
    check(search=False)  # a page added, the index removed
    (tmp_path / "content/a/three.md").unlink()
    check(search=False)  # a page removed
    check(search=True)
