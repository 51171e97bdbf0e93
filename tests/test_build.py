import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from site_builder.core.errors import ContentError
from site_builder.deploy.manifest import OUTPUT_MARKER
from site_builder.pipeline.build import BASE_URL_WARNING, build_site
from site_builder.pipeline.options import BuildOptions, BuildResult

ATOM = "{http://www.w3.org/2005/Atom}"
SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"

FILES = {
    "docker/networking.md": "---\ntitle: Docker networking\ndate: 2024-03-01\n"
                            "tags: [docker]\n---\n## Bridge\n\n![l](img/layers.svg)\n\n"
                            "```python\nprint('hi')\n```\n",
    "docker/img/layers.svg": "<svg xmlns='http://www.w3.org/2000/svg'/>",
    "docker/files/cheatsheet.pdf": "%PDF-1.4",
    "k8s/pods.md": "---\ntitle: Pods\ndate: 2024-04-01\nupdated: 2024-05-01\n---\n"
                   "See [[Docker networking#bridge]].",
    "k8s/secret.md": "---\ntitle: Top secret plan\ndraft: true\ntags: [hidden]\n"
                     "date: 2024-06-01\n---\nxyzzy",
}


def write(tmp_path: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = tmp_path / "content" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, "utf-8")


def build(tmp_path: Path, **opts) -> BuildResult:
    return build_site(BuildOptions(project_dir=tmp_path, search=False, **opts))


def snapshot(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*")
            if p.is_file() and p.name != OUTPUT_MARKER}


def test_build_writes_the_whole_site(tmp_path: Path) -> None:
    write(tmp_path, FILES)
    result = build(tmp_path)
    out = tmp_path / "build" / "site"
    assert result.out_dir == out.resolve()
    files = snapshot(out)
    assert {"index.html", "404.html", "docker/index.html", "docker/networking/index.html",
            "k8s/pods/index.html", "tags/index.html", "tags/docker/index.html", "feed.xml",
            "sitemap.xml", "robots.txt", "docker/img/layers.svg"} <= set(files)
    assert "docker/files/cheatsheet.pdf" not in files  # no published note links to it
    assert result.files == len(files)
    assert result.pages == sum(1 for f in files if f.endswith(".html"))
    assert not any(f.startswith("_notes/") for f in files)
    assert sum(1 for f in files if f.startswith("assets/style.")) == 1
    note = files["docker/networking/index.html"].decode()
    assert 'class="highlight"' in note and 'id="bridge"' in note
    assert 'src="/docker/img/layers.svg"' in note


def test_builds_are_byte_identical(tmp_path: Path) -> None:
    write(tmp_path, FILES)
    build(tmp_path)
    first = snapshot(tmp_path / "build" / "site")
    build(tmp_path, out_dir=tmp_path / "again")
    assert snapshot(tmp_path / "again") == first


def test_drafts_absent_everywhere_unless_asked(tmp_path: Path) -> None:
    write(tmp_path, FILES)
    build(tmp_path)
    files = snapshot(tmp_path / "build" / "site")
    assert "k8s/secret/index.html" not in files and "tags/hidden/index.html" not in files
    assert not [f for f, data in files.items() if b"xyzzy" in data or b"Top secret" in data]
    build(tmp_path, drafts=True)
    files = snapshot(tmp_path / "build" / "site")
    assert "k8s/secret/index.html" in files and "tags/hidden/index.html" in files
    assert b"Top secret plan" in files["feed.xml"]


def test_feed_and_sitemap_list_published_pages(tmp_path: Path) -> None:
    write(tmp_path, FILES)
    (tmp_path / "notes.toml").write_text('base_url = "https://n.example"\n')
    result = build(tmp_path)
    assert BASE_URL_WARNING not in result.warnings
    out = tmp_path / "build" / "site"
    feed = ET.parse(out / "feed.xml").getroot()
    links = [e.find(f"{ATOM}link").get("href") for e in feed.findall(f"{ATOM}entry")]
    assert links == ["https://n.example/k8s/pods/", "https://n.example/docker/networking/"]
    sitemap = ET.parse(out / "sitemap.xml").getroot()
    urls = {u.find(f"{SM}loc").text: getattr(u.find(f"{SM}lastmod"), "text", None)
            for u in sitemap.findall(f"{SM}url")}
    assert urls["https://n.example/k8s/pods/"] == "2024-05-01"
    assert "https://n.example/" in urls and "https://n.example/tags/docker/" in urls
    assert not any("secret" in u or "404" in u or "search" in u for u in urls)


def test_base_url_warning_said_once(tmp_path: Path) -> None:
    write(tmp_path, FILES)
    assert build(tmp_path).warnings.count(BASE_URL_WARNING) == 1


@pytest.mark.parametrize("bad, message", [
    ({"x.md": "---\ntitle: [oops\n---\n"}, "content/x.md:2: malformed YAML front matter: "),
    ({"x.md": "---\ndate: someday\n---\n"}, "content/x.md:2: date 'someday' does not parse"),
    ({"x.md": "---\nslug: ../../etc\n---\n"}, "content/x.md:2: slug '../../etc' would escape"),
    ({"k8s/x.md": "---\nslug: pods\n---\n"}, "content/k8s/x.md: maps to the same URL /k8s/pods/"),
    ({"x.md": "[[Nowhere]]"}, "content/x.md:1: broken link to 'Nowhere'"),
])
def test_failed_build_leaves_previous_output_untouched(tmp_path: Path, bad, message) -> None:
    write(tmp_path, FILES)
    build(tmp_path)
    out = tmp_path / "build" / "site"
    before = snapshot(out)
    write(tmp_path, bad)
    with pytest.raises(ContentError) as exc:
        build(tmp_path)
    assert str(exc.value).startswith(message)
    assert snapshot(out) == before
    # nothing left behind but the site and its deploy manifest (no staging folder)
    assert sorted(p.name for p in (tmp_path / "build").iterdir()) == [".site.files", "site"]


def test_invalid_utf8_fails_without_creating_output(tmp_path: Path) -> None:
    write(tmp_path, {"a.md": "fine"})
    (tmp_path / "content" / "b.md").write_bytes(b"# T\n\xc3\x28\n")
    with pytest.raises(ContentError, match=r"^content/b\.md:2: not valid UTF-8"):
        build(tmp_path)
    assert not (tmp_path / "build" / "site").exists()


def test_missing_content_folder(tmp_path: Path) -> None:
    with pytest.raises(ContentError, match="^content: content folder not found$"):
        build(tmp_path)


def test_custom_content_and_out_dirs(tmp_path: Path) -> None:
    src = tmp_path / "elsewhere"
    src.mkdir()
    (src / "n.md").write_text("# Hello\n")
    result = build_site(BuildOptions(project_dir=tmp_path, content_dir=src,
                                     out_dir=tmp_path / "o", search=False))
    assert (tmp_path / "o" / "n" / "index.html").is_file() and result.out_dir == tmp_path / "o"


@pytest.mark.parametrize("out", [".", "..", "content", "content/site"])
def test_refuses_an_output_folder_that_holds_the_notes(tmp_path: Path, out: str) -> None:
    write(tmp_path, {"a.md": "x"})
    target = (tmp_path / out).resolve()
    with pytest.raises(ContentError, match=f"^refusing to build into {target}: it would replace"):
        build(tmp_path, out_dir=tmp_path / out)
    assert (tmp_path / "content" / "a.md").read_text() == "x"


def test_attachments_only_referenced_by_drafts_stay_private(tmp_path: Path) -> None:
    write(tmp_path, {
        "pub.md": "---\ntitle: Pub\n---\n![chart](shared/chart.svg) [[notes.pdf]]\n",
        "secret/plan.md": "---\ntitle: Plan\ndraft: true\n---\n![plan](plan.svg) "
                          "[roadmap](roadmap.pdf) ![chart](../shared/chart.svg)\n",
        "secret/plan.svg": "<svg/>", "secret/roadmap.pdf": "%PDF-1.4 secret",
        "shared/chart.svg": "<svg/>", "shared/notes.pdf": "%PDF-1.4", "loose.txt": "unlinked",
    })
    out = tmp_path / "build" / "site"
    build(tmp_path)
    files = set(snapshot(out))
    assert {"shared/chart.svg", "shared/notes.pdf"} <= files
    assert not {"secret/plan.svg", "secret/roadmap.pdf", "loose.txt"} & files
    assert not any(f.startswith("secret/") for f in files)
    build(tmp_path, drafts=True)
    assert {"secret/plan/index.html", "secret/plan.svg", "secret/roadmap.pdf"} <= set(
        snapshot(out))
    build(tmp_path)  # drafts hidden again: their attachments are removed with them
    assert not any(f.startswith("secret/") for f in snapshot(out))


def test_static_folder_is_published_as_it_is(tmp_path: Path) -> None:
    write(tmp_path, {"a.md": "[icon](/favicon.ico) [key](/.well-known/security.txt)\n"})
    static = {"favicon.ico": b"\x00\x01icon", "files/report 2024.pdf": b"%PDF",
              ".well-known/security.txt": b"Contact: x", ".DS_Store": b"junk",
              "raw.md": b"# copied, not rendered\n"}
    for rel, data in static.items():
        (tmp_path / "static" / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "static" / rel).write_bytes(data)
    result = build(tmp_path)
    files = snapshot(tmp_path / "build" / "site")
    assert {k: files.get(k) for k in static} == {**static, ".DS_Store": None}
    assert "raw/index.html" not in files
    assert result.files == len(files)
    (tmp_path / "static" / "favicon.ico").unlink()
    with pytest.raises(ContentError, match=r"^content/a.md:1: broken link to '/favicon.ico'"):
        build(tmp_path)


@pytest.mark.parametrize("rel, message", [
    ("index.html", "static/index.html: maps to the same URL / as the home page"),
    ("a/index.html", "static/a/index.html: maps to the same URL /a/ as content/a.md"),
    ("feed.xml", "static/feed.xml: maps to the same URL /feed.xml as the feed"),
    ("pagefind/x.js", ("static/pagefind/x.js: 'pagefind/' is reserved for the builder; rename "
                      "or move this file")),
    ("_notes/x", ("static/_notes/x: '_notes/' is reserved for the builder; rename or move this "
                 "file")),
])
def test_static_file_colliding_with_the_site_is_an_error(tmp_path: Path, rel: str,
                                                         message: str) -> None:
    write(tmp_path, {"a.md": "A\n"})
    (tmp_path / "static" / rel).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / "static" / rel).write_text("mine")
    with pytest.raises(ContentError) as exc:
        build(tmp_path)
    assert str(exc.value) == message
    assert not (tmp_path / "build").exists()


def test_static_symlink_outside_is_an_error(tmp_path: Path) -> None:
    write(tmp_path, {"a.md": "A\n"})
    (tmp_path / "static").mkdir()
    (tmp_path / "static" / "passwd").symlink_to("/etc/passwd")
    with pytest.raises(ContentError) as exc:
        build(tmp_path)
    assert str(exc.value) == ("static/passwd: symlink to /etc/passwd points outside its folder: "
                              "it is never published (copy the file in instead)")


def test_own_favicons_are_published_and_replace_the_shipped_one(tmp_path: Path) -> None:
    """content/favicon.svg is linked by every page's head (so it is published although no
    note links it), and static/favicon.ico replaces the generated /favicon.ico."""
    write(tmp_path, {"a.md": "A\n"})
    (tmp_path / "content" / "favicon.svg").write_bytes(b"<svg xmlns='http://www.w3.org/2000/svg'/>")
    (tmp_path / "static").mkdir()
    (tmp_path / "static" / "favicon.ico").write_bytes(b"\x00\x00\x01\x00mine")
    build(tmp_path)
    files = snapshot(tmp_path / "build" / "site")
    assert files["favicon.svg"] == b"<svg xmlns='http://www.w3.org/2000/svg'/>"
    assert files["favicon.ico"] == b"\x00\x00\x01\x00mine"
    # the head names one of the user's icons, not the shipped hashed one
    assert b'<link rel="icon" href="/favicon.' in files["a/index.html"]


@pytest.mark.parametrize("enabled", [True, False])
def test_cyclic_gc_paused_during_a_build_and_restored_after(tmp_path: Path, monkeypatch,
                                                            enabled: bool) -> None:
    import gc

    import site_builder.pipeline.build as build_module

    seen = []
    real_page_stage = build_module.page_stage

    def page_stage(*args, **kwargs):
        seen.append(gc.isenabled())
        return real_page_stage(*args, **kwargs)

    monkeypatch.setattr(build_module, "page_stage", page_stage)
    (tmp_path / "content").mkdir()
    (tmp_path / "content" / "a.md").write_text("# A\n\ntext", "utf-8")
    was = gc.isenabled()
    (gc.enable if enabled else gc.disable)()
    try:
        build_site(BuildOptions(project_dir=tmp_path, search=False))
        assert seen == [False]
        assert gc.isenabled() is enabled  # as the caller left it (`notes serve` pauses it too)
    finally:
        (gc.enable if was else gc.disable)()


@pytest.mark.parametrize("enabled", [True, False])
def test_gc_pause_with_collect_after_collects_once_if_it_was_enabled(monkeypatch,
                                                                     enabled: bool) -> None:
    """What ``notes serve`` wraps a rebuild in: no collection during it, one right after."""
    import gc

    from site_builder.core.processes import cyclic_gc_paused

    collected = []
    monkeypatch.setattr(gc, "collect", lambda *a: collected.append(gc.isenabled()) or 0)
    was = gc.isenabled()
    (gc.enable if enabled else gc.disable)()
    try:
        with cyclic_gc_paused(collect_after=True):
            assert not gc.isenabled()
        assert gc.isenabled() is enabled
        assert collected == ([True] if enabled else [])
    finally:
        (gc.enable if was else gc.disable)()
