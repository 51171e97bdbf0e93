"""Scanning a site (folder or zip), upload groups and per-file headers."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest
from test_deploy_publish import SITE_V1, write_site

from site_builder.core.errors import DeployError
from site_builder.deploy.headers import IMMUTABLE, cache_control, content_type
from site_builder.deploy.local import open_site


@pytest.mark.parametrize(("key", "ctype"), [
    ("a/b/index.html", "text/html; charset=utf-8"),
    ("assets/style.3f2a9c1b.css", "text/css; charset=utf-8"),
    ("assets/app.0badc0de.js", "text/javascript; charset=utf-8"),
    ("pagefind/pagefind-entry.json", "application/json; charset=utf-8"),
    ("feed.xml", "application/atom+xml; charset=utf-8"),
    ("sitemap.xml", "application/xml; charset=utf-8"),
    ("robots.txt", "text/plain; charset=utf-8"),
    ("docker/img/layers.svg", "image/svg+xml; charset=utf-8"),
    ("x.png", "image/png"), ("x.JPG", "image/jpeg"), ("x.jpeg", "image/jpeg"),
    ("x.gif", "image/gif"), ("x.webp", "image/webp"), ("x.avif", "image/avif"),
    ("assets/font.12345678.woff2", "font/woff2"), ("doc.pdf", "application/pdf"),
    ("x.wasm", "application/wasm"), ("pagefind/wasm.en.pagefind", "application/wasm"),
    ("pagefind/pagefind.en_24afcac6be.pf_meta", "application/octet-stream"),
    ("pagefind/fragment/en_61a5aa3.pf_fragment", "application/octet-stream"),
    ("pagefind/index/en_b2deec9.pf_index", "application/octet-stream"),
    ("LICENSE", "application/octet-stream"),
])
def test_content_types(key, ctype):
    assert content_type(key) == ctype


@pytest.mark.parametrize(("key", "immutable"), [
    ("assets/style.3f2a9c1b.css", True),
    ("assets/fonts/inter.deadbeef.woff2", True),
    ("pagefind/index/en_b2deec9.pf_index", True),
    ("pagefind/fragment/unknown_61a5aa3.pf_fragment", True),
    ("pagefind/pagefind.unknown_24afcac6be832a1.pf_meta", True),
    ("assets/style.css", False), ("assets/style.3f2a9c1.css", False),
    ("pagefind/pagefind.js", False), ("pagefind/pagefind-entry.json", False),
    ("pagefind/wasm.en.pagefind", False), ("index.html", False),
    ("docker/img/layers.svg", False), ("feed.xml", False),
])
def test_cache_control(key, immutable):
    assert cache_control(key) == (IMMUTABLE if immutable else "no-cache")


def test_groups_from_page_meta(tmp_path):
    files = {f.key: f for f in open_site(write_site(tmp_path / "s", SITE_V1)).scan()}
    assert files["docker/layers/index.html"].group == "notes"
    assert {files[k].group for k in ("index.html", "tags/index.html", "search/index.html")} == {
        "lists"}
    assert {files[k].group for k in ("404.html", "feed.xml", "sitemap.xml", "robots.txt")} == {
        "last"}
    assert files["docker/img/layers.svg"].group == "assets"
    assert files["robots.txt"].size == len("User-agent: *\n")


def test_zip_scan_equals_folder_scan(tmp_path):
    site = write_site(tmp_path / "s", SITE_V1)
    archive = Path(shutil.make_archive(str(tmp_path / "site"), "zip", site))
    folder, zipped = open_site(site), open_site(archive)
    assert zipped.scan() == folder.scan()
    assert zipped.read("pagefind/index/en_b2deec9.pf_index") == SITE_V1[
        "pagefind/index/en_b2deec9.pf_index"]
    zipped.close()


def test_bad_sources(tmp_path):
    with pytest.raises(DeployError, match=r"missing: no such site folder"):
        open_site(tmp_path / "missing")
    (tmp_path / "note.txt").write_text("x")
    with pytest.raises(DeployError, match=r"note.txt: not a folder or a zip file"):
        open_site(tmp_path / "note.txt")
    with zipfile.ZipFile(tmp_path / "bad.zip", "w") as zf:
        zf.writestr("_notes/lock", "x")
    with pytest.raises(DeployError, match=r"the site contains '_notes/lock'"):
        open_site(tmp_path / "bad.zip").scan()
