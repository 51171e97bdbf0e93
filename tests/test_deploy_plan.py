"""The pure planner: unit cases and a hypothesis property over random local/remote trees."""

from __future__ import annotations

import os

from hypothesis import given, settings
from hypothesis import strategies as st

from site_builder.deploy.local import GROUP_ORDER, LocalFile
from site_builder.deploy.plan import make_plan, make_restore_plan, needs_head, refill_expired
from site_builder.deploy.record import DeployRecord, FileEntry
from site_builder.deploy.remote import Headers, RemoteObject

MD5S = [f"{i:032x}" for i in range(4)]


def local(key: str, md5: str, group: str = "notes") -> LocalFile:
    return LocalFile(key, 1, md5, "text/html; charset=utf-8", "no-cache", group)


def remote(key: str, etag: str, version: str = "v1") -> RemoteObject:
    return RemoteObject(key, etag, 1, version)


keys = st.sampled_from([f"k{i}/index.html" for i in range(12)])
trees = st.dictionaries(keys, st.tuples(st.sampled_from(MD5S), st.sampled_from(GROUP_ORDER)))
remotes = st.dictionaries(keys, st.sampled_from(MD5S))


@settings(max_examples=300, deadline=None)
@given(trees, remotes)
def test_plan_property(local_tree, remote_tree):
    files = [local(k, md5, g) for k, (md5, g) in local_tree.items()]
    live = {k: remote(k, md5) for k, md5 in remote_tree.items()}
    heads = {f.key: Headers(f.content_type, f.cache_control) for f in files}  # HEADs agree
    plan = make_plan(files, live, heads=heads)
    uploaded = [u.key for u in plan.uploads]
    assert sorted(uploaded + list(plan.unchanged)) == sorted(local_tree)  # each exactly once
    assert set(plan.deletes) == set(remote_tree) - set(local_tree)
    for key, (md5, _) in local_tree.items():
        assert (key in uploaded) == (remote_tree.get(key) != md5)
    for up in plan.uploads:
        assert up.reason == ("new" if up.key not in remote_tree else "md5 differs")
        assert up.group == local_tree[up.key][1]
    assert [u for wave in plan.waves for u in wave] == list(plan.uploads)
    assert all(plan.waves)  # no empty wave
    # no links: one wave, in key order
    assert uploaded == sorted(uploaded) and len(plan.waves) == (1 if uploaded else 0)


def test_unknown_live_version_needs_a_head_and_header_drift_is_an_upload():
    f = local("a.html", MD5S[0])
    live = {"a.html": remote("a.html", MD5S[0], "by-hand")}
    assert needs_head([f], live, {}) == ["a.html"]
    assert [u.reason for u in make_plan([f], live).uploads] == [
        "headers unknown (live version not in the record)"]
    drift = {"a.html": Headers("binary/octet-stream", "")}
    assert [u.reason for u in make_plan([f], live, heads=drift).uploads] == [
        ("headers differ: Content-Type binary/octet-stream (should be text/html; "
         "charset=utf-8), Cache-Control (none) (should be no-cache)")]
    gzip = {"a.html": Headers(f.content_type, f.cache_control, "gzip")}
    assert [u.reason for u in make_plan([f], live, heads=gzip).uploads] == [
        "headers differ: Content-Encoding gzip (should be (none))"]
    good = {"a.html": Headers(f.content_type, f.cache_control)}
    assert make_plan([f], live, heads=good).unchanged == ("a.html",)
    entry = FileEntry(1, MD5S[0], "by-hand", f.content_type, f.cache_control)
    assert needs_head([f], live, {("a.html", "by-hand"): entry}) == []


def test_multipart_etag_uses_the_record_or_reuploads():
    f = local("big.pdf", MD5S[1])
    live = {"big.pdf": remote("big.pdf", "abcdef0123456789abcdef0123456789-3", "v7")}
    assert [u.reason for u in make_plan([f], live).uploads] == ["md5 unknown (multipart ETag)"]
    entry = FileEntry(1, MD5S[1], "v7", f.content_type, f.cache_control)
    assert make_plan([f], live, {("big.pdf", "v7"): entry}).unchanged == ("big.pdf",)
    other = FileEntry(1, MD5S[1], "v6", f.content_type, f.cache_control)  # another version
    assert make_plan([f], live, {("big.pdf", "v6"): other}).uploads[0].key == "big.pdf"
    prefix = FileEntry(1, MD5S[1][:12], "v7", f.content_type, f.cache_control)  # as stored
    assert [u.reason for u in make_plan([f], live, {("big.pdf", "v7"): prefix}).uploads] == [
        "md5 unknown (multipart ETag)"]


def test_header_change_is_an_upload():
    f = local("a.html", MD5S[0])
    entry = FileEntry(1, MD5S[0], "v1", "text/plain", "no-cache")
    plan = make_plan([f], {"a.html": remote("a.html", MD5S[0])}, {("a.html", "v1"): entry})
    assert [(u.key, u.reason) for u in plan.uploads] == [
        ("a.html", "headers differ: Content-Type text/plain (should be text/html; charset=utf-8)")]
    assert plan.summary() == "1 to upload, 0 to delete, 0 unchanged"


def test_restore_plan_copies_other_versions_and_deletes_extra_keys():
    entry = FileEntry(1, MD5S[0], "old", "text/html; charset=utf-8", "no-cache", "notes")
    same = FileEntry(1, MD5S[1], "keep", "text/html; charset=utf-8", "no-cache", "lists")
    target = DeployRecord("r1", "t", "deploy", "cli", "", None, {}, {"a": entry, "b": same})
    live = {"a": remote("a", MD5S[2], "new"), "b": remote("b", MD5S[1], "keep"),
            "c": remote("c", MD5S[3])}
    plan = make_restore_plan(target, live)
    assert [(u.key, u.copy_version, u.reason) for u in plan.uploads] == [
        ("a", "old", "restore version old")]
    assert plan.deletes == ("c",) and plan.unchanged == ("b",)
    # same bytes and headers under another version id: nothing to copy
    now = FileEntry(1, MD5S[0], "new", "text/html; charset=utf-8", "no-cache", "notes")
    live["a"] = remote("a", MD5S[0], "new")
    assert make_restore_plan(target, live, {("a", "new"): now}).unchanged == ("a", "b")


# --- upload order: waves over the link graph ------------------------------------------------

PAGES = [f"p{i}/index.html" for i in range(10)]
DEEP = os.environ.get("NOTES_DEEP_TESTS") == "1"  # 20x the examples


def _reaches(deps: dict[str, set[str]], a: str, b: str) -> bool:
    seen, todo = set(), [a]
    while todo:
        node = todo.pop()
        for nxt in deps.get(node, ()):
            if nxt == b:
                return True
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return False


def _check_waves(plan, links, live_keys):
    """The ordering contract, from first principles: a page's wave comes after the wave of every
    new upload it links to, except inside one cycle batch; batches are exactly the cycles."""
    wave_of = {u.key: i for i, wave in enumerate(plan.waves) for u in wave}
    batch_of = {k: c for c in plan.cycles for k in c}
    new = {k for k in wave_of if k not in live_keys}
    deps = {k: {t for t in links.get(k, ()) if t in new and t != k} for k in wave_of}
    for key, targets in deps.items():
        for t in targets:
            if key in batch_of and t in batch_of[key]:
                assert wave_of[key] == wave_of[t]
            else:
                assert wave_of[t] < wave_of[key], (key, t)
    for cycle in plan.cycles:
        assert len(cycle) > 1
        assert all(_reaches(deps, a, b) for a in cycle for b in cycle if a != b)
        # back to back, at the end of the wave
        wave = [u.key for u in plan.waves[wave_of[cycle[0]]]]
        start = wave.index(cycle[0])
        assert wave[start:start + len(cycle)] == list(cycle)
    for key in wave_of:  # every other mutually reachable pair is in one batch
        for other in wave_of:
            if key < other and _reaches(deps, key, other) and _reaches(deps, other, key):
                assert other in batch_of.get(key, ())
    # waves are as early as possible: each key in wave n > 0 has a dependency in wave n - 1
    for key, n in wave_of.items():
        outside = deps[key] - set(batch_of.get(key, ()))
        batch_deps = {d for k in batch_of.get(key, (key,)) for d in deps[k]} - set(
            batch_of.get(key, (key,)))
        assert n == 0 or any(wave_of[d] == n - 1 for d in batch_deps | outside)


edges = st.lists(st.tuples(st.sampled_from(PAGES), st.sampled_from(PAGES)), max_size=25)


@settings(max_examples=6000 if DEEP else 300, deadline=None)
@given(edges, st.sets(st.sampled_from(PAGES)), st.sets(st.sampled_from(PAGES)))
def test_waves_respect_links_and_batch_only_cycles(pairs, upload_keys, live_keys):
    files = [local(k, MD5S[1]) for k in sorted(upload_keys)]
    live = {k: remote(k, MD5S[0]) for k in live_keys}  # live ones differ: all are uploads
    links = {}
    for a, b in pairs:
        links.setdefault(a, set()).add(b)
    links = {k: frozenset(v) for k, v in links.items()}
    plan = make_plan(files, live, links=links)
    assert sorted(u.key for u in plan.uploads) == sorted(upload_keys)
    _check_waves(plan, links, set(live_keys))


@settings(max_examples=4000 if DEEP else 200, deadline=None)
@given(edges, st.sets(st.sampled_from(PAGES)))
def test_acyclic_links_are_exact(pairs, live_keys):
    """Links only from a higher to a lower page number: no cycle, so no batch, and every new
    target is in an earlier wave than every page linking to it."""
    files = [local(k, MD5S[1]) for k in PAGES]
    links = {}
    for a, b in pairs:
        if a > b:
            links.setdefault(a, set()).add(b)
    links = {k: frozenset(v) for k, v in links.items()}
    plan = make_plan(files, {k: remote(k, MD5S[0]) for k in live_keys}, links=links)
    assert plan.cycles == ()
    wave_of = {u.key: i for i, wave in enumerate(plan.waves) for u in wave}
    for page, targets in links.items():
        for t in targets - set(live_keys):
            assert wave_of[t] < wave_of[page]
    _check_waves(plan, links, set(live_keys))


def test_waves_of_a_small_site():
    """A new note links its new tag page (which lists it: a cycle), an existing note and the
    stylesheet; the home page links the new note; feed.xml goes after every new page."""
    keys = ["assets/s.1234abcd.css", "index.html", "n/new/index.html", "tags/t/index.html",
            "n/old/index.html", "feed.xml"]
    files = [local(k, MD5S[1]) for k in keys]
    live = {k: remote(k, MD5S[0]) for k in ("index.html", "n/old/index.html", "feed.xml")}
    links = {
        "n/new/index.html": frozenset({"tags/t/index.html", "n/old/index.html",
                                       "assets/s.1234abcd.css", "index.html"}),
        "tags/t/index.html": frozenset({"n/new/index.html", "assets/s.1234abcd.css"}),
        "index.html": frozenset({"n/new/index.html", "n/old/index.html"}),
        "n/old/index.html": frozenset({"n/new/index.html"}),  # its backlink
    }
    plan = make_plan(files, live, links=links)
    assert [[u.key for u in w] for w in plan.waves] == [
        ["assets/s.1234abcd.css"],
        ["n/new/index.html", "tags/t/index.html"],
        ["feed.xml", "index.html", "n/old/index.html"],
    ]
    assert plan.cycles == (("n/new/index.html", "tags/t/index.html"),)


def test_restore_plan_is_ordered_by_links_too():
    e = {k: FileEntry(1, MD5S[0], f"old-{k}", "text/html; charset=utf-8", "no-cache")
         for k in ("a/index.html", "b/index.html")}
    target = DeployRecord("r1", "t", "deploy", "cli", "", None, {}, e)
    links = {"a/index.html": frozenset({"b/index.html"})}
    plan = make_restore_plan(target, {}, links=links)
    assert [[u.key for u in w] for w in plan.waves] == [["b/index.html"], ["a/index.html"]]


def test_refill_expired_turns_only_missing_versions_with_same_bytes_into_puts() -> None:
    """CloudFormation's restore: a version the lifecycle rule expired is uploaded again from
    the asset, but only when the asset holds the very bytes the record describes."""
    entries = {
        "a.html": FileEntry(3, "m-a", "va", "text/html", "no-cache", "notes"),
        "b.html": FileEntry(3, "m-b", "vb", "text/html", "no-cache", "notes"),
        "c.css": FileEntry(3, "m-c", "vc", "text/css", "max-age=1", "assets"),
        "d.css": FileEntry(3, "m-d", "vd", "text/css", "max-age=1", "assets"),
    }
    target = DeployRecord("t", "2026", "deploy", "cloudformation", "", None, {}, entries)
    plan = make_restore_plan(target, {})
    stored = {("a.html", "va"), ("c.css", "vc")}  # vb and vd expired
    local = {
        "b.html": LocalFile("b.html", 3, "m-b", "text/html", "no-cache", "notes"),
        "d.css": LocalFile("d.css", 3, "OTHER", "text/css", "max-age=1", "assets"),
    }
    out = {u.key: u for u in refill_expired(plan, stored, local).uploads}
    assert [u.key for u in refill_expired(plan, stored, local).uploads] == [
        u.key for u in plan.uploads]  # same order (groups first)
    assert out["a.html"].copy_version == "va" and out["c.css"].copy_version == "vc"
    assert out["b.html"].copy_version is None
    assert out["b.html"].reason == "re-upload (version vb expired)"
    assert (out["b.html"].md5, out["b.html"].content_type) == ("m-b", "text/html")
    assert out["d.css"].copy_version == "vd"  # different bytes: stays a copy (and fails)
