"""What a deploy costs in requests (issue 28): what changed, not what exists.

Synthetic sites shaped like a built vault (per note a page and a Pagefind fragment, a tag page
per ten notes, section lists, hashed assets, feed, sitemap) of 1,000 and 5,000 notes, deployed
to moto with a client made as the CLI makes it; every request is counted by operation.  After
the first deploy, within the hour its listing is trusted: an unchanged deploy makes three
requests (the lock's PUT and DELETE, one page of the record listing), never a listing of the
site; a one-note edit adds exactly the conditional PUTs of the files that changed and its
record.  A deploy that checks drift (asked to, or from a machine with no cached record) adds
one ListObjectsV2 page per 1,000 live objects (plus one for the keys before ``_notes/``), never
a ListObjectVersions, and a machine with no cached record reads the record (two GetObjects).
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from requestcount import RequestCounter
from test_deploy_publish import page

from site_builder.deploy import publish, recordstore, verify
from site_builder.deploy.recordcache import FileRecordCache, cache_dir


def synthetic_site(root: Path, notes: int, edited: int | None = None) -> dict[str, bytes]:
    """The files of a built site of ``notes`` notes; ``edited``: that note's text changed
    (its page, its fragment, the pages that show it: its section's list, the home page, the
    feed)."""
    files: dict[str, bytes] = {}

    def text(n: int) -> str:
        return f"note {n}" + (" edited" if n == edited else "")

    for n in range(notes):
        section = f"s{n % 20}"
        files[f"{section}/n{n:05d}/index.html"] = page(
            "note", f'<a href="/{section}/">up</a><p>{text(n)}</p>').encode()
        files[f"pagefind/fragment/en_{n:07x}{'e' if n == edited else ''}.pf_fragment"] = (
            f"fragment {text(n)}".encode())
    for s in range(20):
        shown = [n for n in range(notes) if n % 20 == s][-30:]
        files[f"s{s}/index.html"] = page("list", " ".join(text(n) for n in shown)).encode()
    for t in range(notes // 10):
        files[f"tags/t{t}/index.html"] = page("list", f"tag {t}").encode()
    latest = " ".join(text(n) for n in range(notes - 10, notes))
    files["index.html"] = page("list", latest + (" edited" if edited is not None else "")).encode()
    files["feed.xml"] = f"<feed>{latest}{edited}</feed>".encode()
    files.update({"404.html": page(None, "not found").encode(), "sitemap.xml": b"<urlset/>",
                  "robots.txt": b"User-agent: *\n", "assets/style.3f2a9c1b.css": b"body{}",
                  "pagefind/pagefind-entry.json": b"{}", "pagefind/pagefind.js": b"x"})
    for key, data in files.items():
        path = root / key
        if not path.exists() or path.read_bytes() != data:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
    for path in [p for p in root.rglob("*") if p.is_file()]:
        if path.relative_to(root).as_posix() not in files:
            path.unlink()
    return files


@pytest.fixture
def deploy_s3(s3):
    """A client made as ``notes deploy`` makes it (fast listing, pool, checksums)."""
    import boto3

    from site_builder.deploy.client import deploy_client

    return deploy_client(boto3, region_name="us-east-1")


@pytest.mark.parametrize("notes", [1000, 5000])
def test_a_deploy_costs_what_changed(deploy_s3, bucket, tmp_path, notes):
    client, site = deploy_s3, tmp_path / "site"
    files = synthetic_site(site, notes)
    cache = FileRecordCache(cache_dir(site), "moto", bucket)
    requests = RequestCounter(client)
    first = publish(client, bucket, site, record_cache=cache).record
    assert first.counts["uploaded"] == len(files)
    assert requests.take()["ListObjectVersions"] == 1  # a first deploy lists every version

    # The first deploy listed every version: for an hour this machine trusts its record.
    result = publish(client, bucket, site, record_cache=cache)
    assert result.record is None and len(result.plan.unchanged) == len(files)
    unchanged = requests.take()
    assert unchanged == {"PutObject": 1, "DeleteObject": 1, "ListObjectsV2": 1}

    edited = synthetic_site(site, notes, edited=notes - 1)
    changed = {k for k, v in edited.items() if files.get(k) != v}
    gone = set(files) - set(edited)
    result = publish(client, bucket, site, record_cache=cache)
    assert {u.key for u in result.plan.uploads} == changed and set(result.plan.deletes) == gone
    assert all(u.expect is not None for u in result.plan.uploads)  # conditional PUTs
    assert len(changed) == 5 and len(gone) == 1  # note, fragment, list, home, feed; old fragment
    edit = requests.take()
    assert edit - unchanged == {"PutObject": len(changed) + 1, "DeleteObjects": 1}
    assert "ListObjectVersions" not in edit and "HeadObject" not in edit

    # Asked to check drift, or on a machine with no cached record: the cheap listing.
    pages = math.ceil((len(files) - 1) / 1000)  # the ranges after _notes/ (404.html before)
    assert publish(client, bucket, site, record_cache=cache, check_drift=True).record is None
    listed = requests.take()
    assert listed == {"PutObject": 1, "DeleteObject": 1, "ListObjectsV2": 2 + pages}
    assert sum(listed.values()) <= 6 + math.ceil(len(files) / 1000)
    recordstore._CACHE.clear()  # another process, on a machine with no cached record:
    fresh = FileRecordCache(tmp_path / "elsewhere", "moto", bucket)
    assert publish(client, bucket, site, record_cache=fresh).record is None
    assert requests.take() - listed == {"GetObject": 2}  # the latest record (a delta), its base
    assert publish(client, bucket, site, record_cache=fresh).record is None
    assert requests.take() == unchanged  # that listing matched: trusted from now on
    if notes <= 1000:  # 10,000 HEADs in moto take a minute at 5,000 notes
        assert verify(client, bucket).clean


def test_the_lock_and_the_reads_overlap_the_build(s3, bucket, tmp_path):
    """``publish`` with a function that builds: the lock is taken (and the bucket read)
    while it runs; a build that fails leaves no version of anything, the lock included."""
    import time

    from site_builder.core.errors import ContentError
    from site_builder.deploy.lock import read_lock

    site = tmp_path / "site"
    synthetic_site(site, 20)
    publish(s3, bucket, site)
    seen = []

    def build() -> Path:
        deadline = time.monotonic() + 10
        while read_lock(s3, bucket) is None and time.monotonic() < deadline:
            time.sleep(0.01)
        seen.append(read_lock(s3, bucket))
        synthetic_site(site, 20, edited=3)
        return site

    result = publish(s3, bucket, build)
    assert seen[0] is not None and seen[0].body.owner.command == "deploy"
    assert len(result.plan.uploads) == 5 and read_lock(s3, bucket) is None

    def broken() -> Path:
        raise ContentError("broken link", "content/x.md", 1)

    versions = s3.list_object_versions(Bucket=bucket)
    with pytest.raises(ContentError):
        publish(s3, bucket, broken)
    assert s3.list_object_versions(Bucket=bucket).get("Versions") == versions.get("Versions")
