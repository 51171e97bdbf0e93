"""The build cache file: trusted only when it is ours, whole, and made by this very code."""

from __future__ import annotations

import fcntl
import json
import shutil
import threading
from pathlib import Path

import pytest

from site_builder.core.errors import NotesError
from site_builder.pipeline.build import build_site
from site_builder.pipeline.options import BuildOptions, BuildResult
from site_builder.store.cache import BuildCache, CacheState, OutputEntry, fingerprint

NOTE = "---\ntitle: A\ndate: 2024-01-01\n---\nBody of [b](b.md).\n"
DISCARDED = "discarded the build cache .notes-cache/ ({}); building everything"


def build(project: Path) -> BuildResult:
    return build_site(BuildOptions(project_dir=project, search=False))


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "content").mkdir()
    (tmp_path / "content" / "a.md").write_text(NOTE)
    (tmp_path / "content" / "b.md").write_text("# B\n\nThe other note.\n")
    first = build(tmp_path)
    assert len(first.rendered) == 2 and not [w for w in first.warnings if "cache" in w]
    return tmp_path


def state_file(project: Path) -> Path:
    return project / ".notes-cache" / "state.bin"


def rebuild_warns(project: Path, reason: str) -> None:
    result = build(project)
    assert DISCARDED.format(reason) in result.warnings
    assert len(result.rendered) == 2  # nothing from the discarded cache was trusted
    again = build(project)  # ...and the new cache is good
    assert again.rendered == () and not [w for w in again.warnings if "cache" in w]


def test_round_trip(tmp_path: Path) -> None:
    cache = BuildCache(tmp_path / "c", fingerprint(tmp_path, tmp_path / "content"))
    packed = ("a.md", "content/a.md", "A", "/a/", "", 1, None, 738000, ("t",), False, None,
              False, (), ("Other name",), ("x",), ("wide",), (("rating", 2, ("7",)),),
              ("/old/",), 2.0)
    link = (3, "b.md", "b.md", None, None, "wiki")
    render = ("d", "a.md", "", ("x",), (link,), 10, "Summary", "h", ("/b/",), ())
    state = CacheState(notes={"a.md": (1, 2, "d", packed)}, renders={"a.md": render},
                       outputs={"a.html": OutputEntry("k", "d", 3, 4)}, out_dir="/o",
                       search_key="s", index_key="i")
    cache.save(state)
    loaded, warning = cache.load()
    assert warning is None
    assert (loaded.notes, loaded.renders, loaded.outputs, loaded.out_dir, loaded.search_key,
            loaded.index_key) == (state.notes, state.renders, state.outputs, "/o", "s", "i")
    assert loaded.saved_ns == state.saved_ns > 0


def test_missing_cache_is_silent(tmp_path: Path) -> None:
    cache = BuildCache(tmp_path / "none", fingerprint(tmp_path, tmp_path))
    state, warning = cache.load()
    assert warning is None and state.notes == {}


def test_flipped_byte_is_a_checksum_mismatch(project: Path) -> None:
    data = bytearray(state_file(project).read_bytes())
    data[-10] ^= 0xFF
    state_file(project).write_bytes(bytes(data))
    rebuild_warns(project, "corrupted: checksum mismatch")


def test_truncated_file_is_discarded(project: Path) -> None:
    data = state_file(project).read_bytes()
    state_file(project).write_bytes(data[: len(data) // 2])
    rebuild_warns(project, "corrupted: checksum mismatch")


def test_garbage_is_not_a_cache(project: Path) -> None:
    state_file(project).write_bytes(b"\x00\x01 not a cache at all")
    rebuild_warns(project, "not a notes-publisher cache")


def test_cache_of_another_project_is_foreign(project: Path) -> None:
    header, rest = state_file(project).read_bytes().split(b"\n", 1)
    fields = json.loads(header)
    fields["project"] = "/somewhere/else"
    state_file(project).write_bytes(json.dumps(fields, sort_keys=True).encode() + b"\n" + rest)
    rebuild_warns(project, "made with a different project")


def test_cache_of_other_code_is_foreign(project: Path) -> None:
    header, rest = state_file(project).read_bytes().split(b"\n", 1)
    fields = json.loads(header)
    fields["code"] = "0" * 32
    state_file(project).write_bytes(json.dumps(fields, sort_keys=True).encode() + b"\n" + rest)
    rebuild_warns(project, "made with a different code")


@pytest.mark.parametrize("library", ["markdown", "pymdown-extensions", "pygments",
                                     "latex2mathml", "pagefind-bin"])
def test_cache_of_other_library_versions_is_foreign(project: Path, library: str) -> None:
    """Each library that shapes a page or the index is in the header: an upgrade rebuilds."""
    header, rest = state_file(project).read_bytes().split(b"\n", 1)
    fields = json.loads(header)
    assert fields["libraries"][library]  # installed, so its version is recorded
    fields["libraries"][library] = "0.0.1"
    state_file(project).write_bytes(json.dumps(fields, sort_keys=True).encode() + b"\n" + rest)
    rebuild_warns(project, "made with a different library version")


def test_valid_checksum_over_a_wrong_payload_is_still_refused(project: Path) -> None:
    import hashlib
    import marshal

    header = state_file(project).read_bytes().split(b"\n", 1)[0]
    payload = marshal.dumps(("not", "a", "state"))
    checksum = hashlib.sha256(payload).hexdigest().encode()
    state_file(project).write_bytes(b"\n".join((header, checksum, payload)))
    rebuild_warns(project, "corrupted: ValueError")


def test_cli_prints_the_warning(project: Path, monkeypatch: pytest.MonkeyPatch,
                                capsys: pytest.CaptureFixture[str]) -> None:
    from site_builder.cli import main

    state_file(project).write_bytes(b"junk")
    monkeypatch.chdir(project)
    assert main(["build", "--no-search"]) == 0
    err = capsys.readouterr().err
    assert f"Warning: {DISCARDED.format('not a notes-publisher cache')}\n" in err


def test_builds_of_one_project_take_turns(project: Path) -> None:
    results: list[BuildResult] = []
    with open(project / ".notes-cache" / "lock", "a+b") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)  # as another build would hold it
        waiting = threading.Thread(target=lambda: results.append(build(project)))
        waiting.start()
        waiting.join(timeout=1.0)
        assert waiting.is_alive() and results == []
        fcntl.flock(fh, fcntl.LOCK_UN)
    waiting.join(timeout=60)
    assert not waiting.is_alive() and results[0].rendered == ()


def _rewrite_payload(project: Path, change) -> None:
    """Replace the cache's payload by ``change(payload)`` under a valid header and checksum:
    what a bug in an older build, or an edit by hand, could leave."""
    import hashlib
    import marshal

    header, _, payload = state_file(project).read_bytes().split(b"\n", 2)
    new = marshal.dumps(change(list(marshal.loads(payload))))
    checksum = hashlib.sha256(new).hexdigest().encode()
    state_file(project).write_bytes(b"\n".join((header, checksum, new)))


@pytest.mark.parametrize("change", [
    pytest.param(lambda d: [*d[:7], ("pages", "files", "warnings"), *d[8:]], id="summary"),
    pytest.param(lambda d: [{k: (*v[:3], ("short",)) for k, v in d[0].items()}, *d[1:]],
                 id="packed-note"),
    pytest.param(lambda d: [d[0], {k: v[:-1] for k, v in d[1].items()}, *d[2:]],
                 id="render-entry"),
    pytest.param(lambda d: [d[0], {k: (*v[:4], (("one link",),), *v[5:])
                                   for k, v in d[1].items()}, *d[2:]], id="link"),
    pytest.param(lambda d: [*d[:2], {k: ("key", "digest", "size", 0) for k in d[2]}, *d[3:]],
                 id="output-entry"),
    pytest.param(lambda d: [*d[:9], {k: ("pack", -1) for k in d[9]}], id="blob-ref"),
    pytest.param(lambda d: [*d[:3], 42, *d[4:]], id="out-dir"),
])
def test_wrong_types_inside_a_checksummed_cache_are_discarded(project: Path, change) -> None:
    _rewrite_payload(project, lambda d: tuple(change(d)))
    rebuild_warns(project, "corrupted: ValueError")


def test_outputs_the_cache_names_but_that_are_gone_are_made_again(project: Path) -> None:
    out = project / "build" / "site"
    expected = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    shutil.rmtree(out / "a")
    (out / "index.html").unlink()
    result = build(project)
    assert result.rendered == () and set(result.written) == {"a/index.html", "index.html"}
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == expected


def test_a_damaged_note_body_restarts_the_build_without_the_cache(project: Path) -> None:
    out = project / "build" / "site"
    for pack in (project / ".notes-cache" / "html").iterdir():
        pack.write_bytes(pack.read_bytes().replace(b"Body", b"B0dy"))  # same size
    (project / "notes.toml").write_text('title = "Other"\n')  # every page is made again
    result = build(project)
    assert result.warnings[0] == DISCARDED.format(
        "a rendered note in html/ is missing or damaged")
    assert len(result.rendered) == 2
    page = (out / "a" / "index.html").read_text()
    assert "Body of" in page and "B0dy" not in page and "Other" in page
    assert build(project).warnings == result.warnings[1:]


def test_a_cache_that_cannot_be_saved_is_a_warning(project: Path) -> None:
    state_file(project).unlink()
    state_file(project).mkdir()  # os.replace onto a folder fails
    result = build(project)
    assert result.warnings[-1].startswith("could not save the build cache .notes-cache/ (")
    assert result.warnings[-1].endswith("); the next build starts from nothing")
    assert DISCARDED.format("unreadable: Is a directory") in result.warnings


def test_a_cache_path_that_is_a_file_is_a_one_line_error(project: Path) -> None:
    shutil.rmtree(project / ".notes-cache")
    (project / ".notes-cache").write_text("not a folder")
    with pytest.raises(NotesError, match=r"^cannot use the build cache folder .*\.notes-cache: "
                                         r"(File exists|Not a directory) \(remove it; it only "
                                         r"holds the build cache\)$"):
        build(project)
