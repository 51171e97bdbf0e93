"""Note bodies in pack files: written by any process, read back intact, compacted, cleaned."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from site_builder.core.errors import NotesError
from site_builder.core.parallel import run_step
from site_builder.store import blobs as blobs_mod
from site_builder.store.blobs import BlobRef, BlobStore, CacheDamaged

BODIES = [f"<p>note {i} café</p>" + "x" * i for i in range(40)]


def store_with(folder: Path, bodies: list[str]) -> BlobStore:
    store = BlobStore(folder, {})
    for body in bodies:
        store.record(*store.put(body))
    store.close()
    return store


def packs(folder: Path) -> list[str]:
    return sorted(os.listdir(folder))


def test_round_trip_in_one_pack(tmp_path: Path) -> None:
    store = store_with(tmp_path / "html", BODIES)
    assert [store.get(store.put(b)[0]) for b in BODIES] == BODIES
    assert len(packs(tmp_path / "html")) == 1
    assert store.available() == set(store.index)


def test_equal_bodies_are_stored_once(tmp_path: Path) -> None:
    store = store_with(tmp_path / "html", ["<p>same</p>", "<p>same</p>"])
    assert list(store.index.values()) == [(pack_of(store), 0, len("<p>same</p>"))]


def test_forked_workers_write_packs_of_their_own(tmp_path: Path, monkeypatch) -> None:
    from site_builder.core import parallel

    monkeypatch.setattr(parallel, "threads_running", lambda: False)  # see test_parallel.py
    store = BlobStore(tmp_path / "html", {})
    done = run_step(lambda i: (*store.put(BODIES[i]), os.getpid()), len(BODIES), jobs=2)
    for name, ref, pid in done:
        assert pid != os.getpid() and ref.pack.startswith(f"{pid}-")  # the writer's own pack
        store.record(name, ref)
    assert len(packs(tmp_path / "html")) == len({pid for *_, pid in done})
    assert [store.get(name) for name, *_ in done] == BODIES


def pack_of(store: BlobStore) -> str:
    (pack,) = {ref[0] for ref in store.index.values()}
    return pack


def test_a_missing_or_short_pack_makes_its_bodies_unavailable(tmp_path: Path) -> None:
    folder = tmp_path / "html"
    one, two = store_with(folder, BODIES[:3]), store_with(folder, BODIES[3:6])
    store = BlobStore(folder, {**one.index, **two.index})
    (folder / pack_of(one)).unlink()
    assert store.available() == set(two.index)
    assert set(store.index) == set(two.index)  # forgotten: a re-render writes them anew
    with open(folder / pack_of(two), "r+b") as fh:
        fh.truncate(len(BODIES[3].encode()))  # only the first body is still whole
    assert store.available() == {store.put(BODIES[3])[0]}


def test_a_damaged_body_is_reported_not_returned(tmp_path: Path) -> None:
    folder = tmp_path / "html"
    store = store_with(folder, ["<p>hello</p>"])
    pack = packs(folder)[0]
    (folder / pack).write_bytes(b"<p>HELLO</p>")  # same length, other bytes
    name = next(iter(store.index))
    with pytest.raises(CacheDamaged, match=r"^a rendered note in html/ is missing or "
                                           r"damaged$"):
        BlobStore(tmp_path / ".notes-cache" / "html", store.index).get(name)
    with pytest.raises(NotesError):
        store.get(name)


def test_compact_rewrites_mostly_dead_packs_and_remove_unused_deletes_them(
        tmp_path: Path) -> None:
    folder = tmp_path / "html"
    store = store_with(folder, BODIES)
    names = list(store.index)
    keep = names[:5]  # a few short bodies: most of the pack is dead
    old = packs(folder)
    store.compact(keep)
    assert set(store.index) == set(keep)
    assert len(packs(folder)) == 2  # the new pack, and the old one until the index is saved
    store.remove_unused()
    assert packs(folder) != old and len(packs(folder)) == 1
    assert [store.get(n) for n in keep] == BODIES[:5]


def test_compact_keeps_a_pack_that_is_mostly_alive(tmp_path: Path) -> None:
    folder = tmp_path / "html"
    store = store_with(folder, BODIES)
    _, *rest = store.index
    before = dict(store.index)
    store.compact(rest)
    store.remove_unused()
    assert store.index == {k: before[k] for k in rest}  # nothing moved


def test_many_small_packs_are_merged(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(blobs_mod, "MAX_SMALL_PACKS", 3)
    folder = tmp_path / "html"
    store = BlobStore(folder, {})
    for body in BODIES[:6]:  # one pack per "build", as an edit loop makes them
        store.record(*store.put(body))
        store.close()
    assert len(packs(folder)) == 6
    store.compact(set(store.index))
    store.remove_unused()
    assert len(packs(folder)) == 1
    assert sorted(store.get(n) for n in store.index) == sorted(BODIES[:6])


def test_remove_unused_deletes_strays_and_old_format_blobs(tmp_path: Path) -> None:
    folder = tmp_path / "html"
    store = store_with(folder, BODIES[:2])
    (folder / "0123.html").write_text("an old one-file blob")
    (folder / "999-abc.pack").write_text("a crashed build's pack")
    store.remove_unused()
    assert packs(folder) == [next(iter(store.index.values()))[0]]


def test_refs_are_plain_tuples_for_the_cache_state(tmp_path: Path) -> None:
    store = store_with(tmp_path / "html", BODIES[:1])
    (ref,) = store.index.values()
    assert type(ref) is tuple and BlobRef(*ref).offset == 0


def test_builds_keep_bodies_in_few_packs(tmp_path: Path) -> None:
    """A parallel build writes one pack per worker; an edit loop does not pile up packs."""
    from site_builder.pipeline.build import build_site
    from site_builder.pipeline.options import BuildOptions

    content = tmp_path / "content"
    content.mkdir()
    for i in range(6):
        (content / f"n{i}.md").write_text(f"# Note {i}\n\nBody {i}.\n")
    opts = BuildOptions(project_dir=tmp_path, search=False, jobs=2)
    assert len(build_site(opts).rendered) == 6
    folder = tmp_path / ".notes-cache" / "html"
    assert all(n.endswith(".pack") for n in packs(folder)) and 1 <= len(packs(folder)) <= 2
    for edit in range(blobs_mod.MAX_SMALL_PACKS + 4):
        (content / "n0.md").write_text(f"# Note 0\n\nEdit {edit}.\n")
        assert build_site(opts).rendered == ("content/n0.md",)
        assert len(packs(folder)) <= blobs_mod.MAX_SMALL_PACKS + 1
    page = (tmp_path / "build/site/n0/index.html").read_text()
    assert f"Edit {blobs_mod.MAX_SMALL_PACKS + 3}." in page
    (tmp_path / "notes.toml").write_text('title = "Every page again"\n')
    again = build_site(opts)  # every page made again, each body read back from the packs
    assert again.rendered == () and "n3/index.html" in again.made
    assert "Body 3." in (tmp_path / "build/site/n3/index.html").read_text()


def _open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc")
def test_reads_share_one_descriptor_per_pack_until_close(tmp_path: Path) -> None:
    store = store_with(tmp_path / "html", BODIES)
    before = _open_fds()
    names = [store.put(b)[0] for b in BODIES]
    assert [store.get(n) for n in names] == BODIES
    assert _open_fds() == before + 1  # one pack, one descriptor, however many reads
    store.close()
    assert _open_fds() == before
    assert store.get(names[3]) == BODIES[3]  # and reading again opens it again
    store.close()
    assert _open_fds() == before


def test_a_pack_replaced_after_close_is_read_afresh(tmp_path: Path) -> None:
    store = store_with(tmp_path / "html", BODIES[:3])
    name = store.put(BODIES[1])[0]
    assert store.get(name) == BODIES[1]
    store.close()
    pack = tmp_path / "html" / store.index[name][0]
    data = bytearray(pack.read_bytes())
    data[store.index[name][1]] ^= 1  # damaged on disk while no descriptor is open
    pack.write_bytes(bytes(data))
    with pytest.raises(CacheDamaged):
        store.get(name)
