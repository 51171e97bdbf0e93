"""The pure planner: unit cases and a hypothesis property over random local/remote trees."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from site_builder.deploy.local import GROUP_ORDER, LocalFile
from site_builder.deploy.plan import make_plan, make_restore_plan, refill_expired
from site_builder.deploy.record import DeployRecord, FileEntry
from site_builder.deploy.remote import RemoteObject

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
    plan = make_plan(files, live)
    uploaded = [u.key for u in plan.uploads]
    assert sorted(uploaded + list(plan.unchanged)) == sorted(local_tree)  # each exactly once
    assert set(plan.deletes) == set(remote_tree) - set(local_tree)
    for key, (md5, _) in local_tree.items():
        assert (key in uploaded) == (remote_tree.get(key) != md5)
    for up in plan.uploads:
        assert up.reason == ("new" if up.key not in remote_tree else "md5 differs")
        assert up.group == local_tree[up.key][1]
    ranks = [GROUP_ORDER.index(u.group) for u in plan.uploads]
    assert ranks == sorted(ranks)
    assert [g for g, _ in plan.groups()] == sorted({u.group for u in plan.uploads},
                                                   key=GROUP_ORDER.index)


def test_multipart_etag_uses_the_record_or_reuploads():
    f = local("big.pdf", MD5S[1])
    live = {"big.pdf": remote("big.pdf", "abcdef0123456789abcdef0123456789-3", "v7")}
    assert [u.reason for u in make_plan([f], live).uploads] == ["md5 unknown (multipart ETag)"]
    entry = FileEntry(1, MD5S[1], "v7", f.content_type, f.cache_control)
    assert make_plan([f], live, {("big.pdf", "v7"): entry}).unchanged == ("big.pdf",)
    other = FileEntry(1, MD5S[1], "v6", f.content_type, f.cache_control)  # another version
    assert make_plan([f], live, {("big.pdf", "v6"): other}).uploads[0].key == "big.pdf"


def test_header_change_is_an_upload():
    f = local("a.html", MD5S[0])
    entry = FileEntry(1, MD5S[0], "v1", "text/plain", "no-cache")
    plan = make_plan([f], {"a.html": remote("a.html", MD5S[0])}, {("a.html", "v1"): entry})
    assert [(u.key, u.reason) for u in plan.uploads] == [("a.html", "headers differ")]
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
