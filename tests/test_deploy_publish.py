"""publish/rollback/verify end to end against moto: round trip, minimal work, faults, drift,
safety.  Sites are tiny hand-written trees in the builder's layout (see contracts.md)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from site_builder.core.errors import DeployError
from site_builder.deploy import history, publish, rollback, verify
from site_builder.deploy.lock import LOCK_KEY
from site_builder.deploy.lock_body import read_lock
from site_builder.deploy.record import hydrate
from site_builder.deploy.recordstore import record_ids
from site_builder.deploy.remote import list_live, list_versions


def page(kind: str | None, body: str) -> str:
    meta = f'<meta name="notes:page" content="{kind}">' if kind else ""
    return f"<!doctype html><html><head>{meta}<title>t</title></head><body>{body}</body></html>"


SITE_V1: dict[str, str | bytes] = {
    "index.html": page("list", "home v1"),
    "docker/index.html": page("list", "docker section"),
    "docker/layers/index.html": page("note", "<main data-pagefind-body>layers v1</main>"),
    "docker/networking/index.html": page("note", "networking"),
    "docker/img/layers.svg": "<svg xmlns='http://www.w3.org/2000/svg'/>",
    "tags/index.html": page("list", "tags"),
    "tags/docker/index.html": page("list", "tag docker"),
    "search/index.html": page("list", "search"),
    "assets/style.3f2a9c1b.css": "body{color:#111}",
    "pagefind/pagefind.js": "export const x=1;",
    "pagefind/index/en_b2deec9.pf_index": b"\x1f\x8b\x08binary",
    "404.html": page(None, "not found"),
    "feed.xml": "<feed xmlns='http://www.w3.org/2005/Atom'/>",
    "sitemap.xml": "<urlset/>",
    "robots.txt": "User-agent: *\n",
}


def site_v2() -> dict[str, str | bytes]:
    """v1 with one note edited, one added, one removed (and the lists/feeds that follow)."""
    files = dict(SITE_V1)
    files["docker/layers/index.html"] = page("note", "<main data-pagefind-body>layers v2</main>")
    files["git/rebase/index.html"] = page("note", "rebase")
    del files["docker/networking/index.html"]
    files["index.html"] = page("list", "home v2")
    files["feed.xml"] = "<feed xmlns='http://www.w3.org/2005/Atom'><entry/></feed>"
    return files


def write_site(root: Path, files: dict[str, str | bytes]) -> Path:
    if root.exists():
        import shutil

        shutil.rmtree(root)
    for key, data in files.items():
        path = root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data if isinstance(data, bytes) else data.encode())
    return root


@contextmanager
def dated_earlier() -> Iterator[None]:
    """moto dates the writes made inside within one second, ten seconds ago (a clock that
    starts at a whole second and moves a millisecond each time it is read), so that what the
    test does next (a hand edit) comes in a later second than the deploy: S3 gives
    LastModified to the second, and a deploy sees a same-bytes re-upload only from a later
    second than its last record (``deploy.current``)."""
    import itertools

    import pytest
    from moto.s3 import models

    start = (models.utcnow() - timedelta(seconds=10)).replace(microsecond=0)
    ticks = itertools.count()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(models, "utcnow", lambda: start + timedelta(milliseconds=next(ticks)))
        yield


def snapshot(s3, bucket: str) -> dict[str, tuple[bytes, str, str]]:
    """Every live site object: (bytes, Content-Type, Cache-Control)."""
    out = {}
    for key in list_live(s3, bucket):
        obj = s3.get_object(Bucket=bucket, Key=key)
        out[key] = (obj["Body"].read(), obj["ContentType"], obj.get("CacheControl", ""))
    return out


class Calls:
    """Counts S3 operations (and PUT keys) through a botocore event hook; can inject a failure
    on every site PutObject after the first ``fail_after``."""

    def __init__(self, client, fail_after: int | None = None):
        self.ops: list[tuple[str, str | None]] = []
        self.fail_after = fail_after
        self._lock = threading.Lock()
        client.meta.events.register("before-parameter-build.s3", self._hook)

    def _hook(self, params, model, **_):
        key = params.get("Key")
        with self._lock:
            self.ops.append((model.name, key))
            site_puts = self.count("PutObject")
        if (model.name == "PutObject" and self.fail_after is not None
                and not key.startswith("_notes/") and site_puts > self.fail_after):
            raise ClientError({"Error": {"Code": "InternalError", "Message": "injected"}},
                              "PutObject")

    def count(self, op: str, site_only: bool = True) -> int:
        return sum(1 for name, key in self.ops
                   if name == op and not (site_only and key and key.startswith("_notes/")))

    def keys(self, op: str) -> set[str]:
        return {k for name, k in self.ops if name == op and k and not k.startswith("_notes/")}


def expected(files: dict[str, str | bytes]) -> dict[str, bytes]:
    return {k: v if isinstance(v, bytes) else v.encode() for k, v in files.items()}


def test_round_trip_deploy_edit_rollback(s3, bucket, tmp_path):
    site = tmp_path / "site"
    r1 = publish(s3, bucket, write_site(site, SITE_V1), message="v1").record
    v1 = snapshot(s3, bucket)
    assert {k: v[0] for k, v in v1.items()} == expected(SITE_V1)
    r2 = publish(s3, bucket, write_site(site, site_v2()), message="v2").record
    assert {k: v[0] for k, v in snapshot(s3, bucket).items()} == expected(site_v2())

    result, target = rollback(s3, bucket)
    assert target.id == r1.id
    assert snapshot(s3, bucket) == v1  # bytes and headers identical to v1's
    # the added note is gone behind a delete marker; its v2 version is still there
    versions = s3.list_object_versions(Bucket=bucket, Prefix="git/rebase/index.html")
    assert [m["IsLatest"] for m in versions["DeleteMarkers"]] == [True]
    added = r2.files["git/rebase/index.html"].version_id
    body = s3.get_object(Bucket=bucket, Key="git/rebase/index.html", VersionId=added)["Body"]
    assert body.read() == expected(site_v2())["git/rebase/index.html"]
    edited = r2.files["docker/layers/index.html"].version_id
    old = s3.get_object(Bucket=bucket, Key="docker/layers/index.html", VersionId=edited)
    assert b"layers v2" in old["Body"].read()

    records = history(s3, bucket)
    assert [(r.kind, r.message) for r in records] == [
        ("rollback", f"rollback to {r1.id}"), ("deploy", "v2"), ("deploy", "v1")]
    back = hydrate(records[0], list_versions(s3, bucket)[1])  # stored MD5 prefixes -> full
    assert back.target == r1.id and back.parent == r2.id
    assert {k: e.md5 for k, e in back.files.items()} == {k: e.md5 for k, e in r1.files.items()}
    live = list_live(s3, bucket)
    assert {k: e.version_id for k, e in back.files.items()} == {
        k: o.version_id for k, o in live.items()}
    assert result.plan.deletes == ("git/rebase/index.html",)
    assert verify(s3, bucket).clean


def test_record_lists_live_version_of_every_key(s3, bucket, tmp_path):
    record = publish(s3, bucket, write_site(tmp_path / "s", SITE_V1)).record
    live = list_live(s3, bucket)
    assert set(record.files) == set(SITE_V1)
    for key, entry in record.files.items():
        assert entry.version_id == live[key].version_id
        head = s3.head_object(Bucket=bucket, Key=key)
        assert (entry.content_type, entry.cache_control) == (head["ContentType"],
                                                             head["CacheControl"])
    assert record.counts == {"uploaded": 15, "deleted": 0, "unchanged": 0, "files": 15}


def test_upload_order_follows_links(s3, bucket, tmp_path):
    """A page goes up after the new objects it links to; feed and sitemap after every page."""
    files = dict(SITE_V1)
    files["docker/layers/index.html"] = page(
        "note", '<a href="../networking/">n</a><img src="../img/layers.svg">'
        '<link rel="stylesheet" href="/assets/style.3f2a9c1b.css">')
    files["index.html"] = page("list", '<a href="/docker/layers/">layers</a>')
    files["docker/index.html"] = page("list", '<a href="/">home</a>')
    calls = Calls(s3)
    plan = publish(s3, bucket, write_site(tmp_path / "s", files), workers=1).plan
    order = [k for name, k in calls.ops if name == "PutObject" and not k.startswith("_notes/")]
    assert order == [u.key for u in plan.uploads]
    pos = order.index
    assert pos("docker/layers/index.html") > max(
        pos("docker/networking/index.html"), pos("docker/img/layers.svg"),
        pos("assets/style.3f2a9c1b.css"))
    assert pos("docker/index.html") > pos("index.html") > pos("docker/layers/index.html")
    assert pos("feed.xml") > max(pos(k) for k in files if k.endswith(".html"))
    assert plan.cycles == ()


def test_unchanged_rebuild_uploads_nothing_and_one_edit_uploads_one(s3, bucket, tmp_path):
    site = write_site(tmp_path / "s", SITE_V1)
    publish(s3, bucket, site)
    calls = Calls(s3)
    write_site(site, SITE_V1)  # rebuilt: same bytes, new mtimes
    result = publish(s3, bucket, site)
    assert calls.count("PutObject") == 0
    # the only write of the whole deploy is taking (and releasing) the lock
    assert [k for name, k in calls.ops if name == "PutObject"] == [LOCK_KEY]
    assert calls.count("CopyObject") == calls.count("DeleteObjects") == 0
    assert result.record is None and len(result.plan.unchanged) == 15
    assert len(record_ids(s3, bucket)) == 1

    edited = dict(SITE_V1, **{"docker/layers/index.html": page("note", "layers, edited")})
    calls = Calls(s3)
    result = publish(s3, bucket, write_site(site, edited))
    assert calls.keys("PutObject") == {"docker/layers/index.html"}
    assert calls.count("PutObject") == 1
    assert [(u.key, u.reason) for u in result.plan.uploads] == [
        ("docker/layers/index.html", "md5 differs")]


def test_failed_upload_no_record_lock_released_then_recovers(s3, bucket, tmp_path):
    site = tmp_path / "s"
    good = publish(s3, bucket, write_site(site, SITE_V1)).record
    v1 = snapshot(s3, bucket)
    many = dict(site_v2(), **{f"notes/n{i}/index.html": page("note", f"n{i}") for i in range(8)})
    calls = Calls(s3, fail_after=3)
    with pytest.raises(DeployError, match="S3 PutObject failed .*InternalError injected"):
        publish(s3, bucket, write_site(site, many), workers=2)
    assert record_ids(s3, bucket) == [good.id]  # no record
    assert calls.count("DeleteObjects") == 0  # deletions never started
    assert "docker/networking/index.html" in list_live(s3, bucket)
    held = read_lock(s3, bucket)  # released, saying the deploy did not finish
    assert held is not None and held.body.released and held.body.lease_seconds == 0
    assert held.body.broke["reason"] == "did not finish"

    calls.fail_after = None
    done = publish(s3, bucket, site).record
    assert {k: v[0] for k, v in snapshot(s3, bucket).items()} == expected(many)
    assert done.parent == good.id and verify(s3, bucket).clean
    assert done.broke_lock["reason"] == "did not finish"  # history says so
    with pytest.raises(ClientError, match="NoSuchKey"):
        s3.get_object(Bucket=bucket, Key=LOCK_KEY)

    rollback(s3, bucket, to=good.id)
    assert snapshot(s3, bucket) == v1


def test_drift_reported_by_verify_and_repaired_by_deploy(s3, bucket, tmp_path):
    site = write_site(tmp_path / "s", SITE_V1)
    record = publish(s3, bucket, site).record
    s3.put_object(Bucket=bucket, Key="index.html", Body=b"hacked", ContentType="text/html")
    s3.delete_object(Bucket=bucket, Key="robots.txt")
    s3.put_object(Bucket=bucket, Key="stray.html", Body=b"x")
    report = verify(s3, bucket)
    live_index = list_live(s3, bucket)["index.html"].version_id
    assert report.lines() == [
        "missing     robots.txt",
        "unexpected  stray.html",
        (f"changed     index.html (bytes differ: live {live_index}, recorded "
         f"{record.files['index.html'].version_id}; headers differ: Content-Type text/html "
         "(should be text/html; charset=utf-8), Cache-Control (none) (should be no-cache))"),
    ]
    result = publish(s3, bucket, site)
    assert sorted((u.key, u.reason) for u in result.plan.uploads) == [
        ("index.html", "md5 differs"), ("robots.txt", "new")]
    assert result.plan.deletes == ("stray.html",)
    assert verify(s3, bucket).clean
    assert {k: v[0] for k, v in snapshot(s3, bucket).items()} == expected(SITE_V1)


def reupload_robots_by_hand(s3, bucket: str) -> None:
    """The same bytes and headers as deployed: a new version only ``verify`` must name."""
    s3.put_object(Bucket=bucket, Key="robots.txt", Body=b"User-agent: *\n",
                  ContentType="text/plain; charset=utf-8", CacheControl="no-cache")
    assert "same bytes, new version" in verify(s3, bucket).lines()[0]


def test_same_bytes_new_version_is_drift_and_gets_recorded(s3, bucket, tmp_path):
    site = write_site(tmp_path / "s", SITE_V1)
    with dated_earlier():
        publish(s3, bucket, site)
    reupload_robots_by_hand(s3, bucket)
    result = publish(s3, bucket, site)
    assert result.plan.is_noop and result.record is not None  # re-recorded, nothing uploaded
    assert verify(s3, bucket).clean


def test_replaced_search_fragments_do_not_count_as_a_mass_delete(s3, bucket, tmp_path):
    """Editing 60 of 60 notes renames 60 Pagefind fragments (content-hashed): 60 deletions,
    none of them a page, so the default limit (15 pages -> 17) lets them through."""
    frags = {f"pagefind/fragment/en_{i:07x}.pf_fragment": f"f{i}" for i in range(60)}
    site = write_site(tmp_path / "s", dict(SITE_V1, **frags))
    publish(s3, bucket, site)
    renamed = {f"pagefind/fragment/en_{i:07x}e.pf_fragment": f"f{i}e" for i in range(60)}
    result = publish(s3, bucket, write_site(site, dict(SITE_V1, **renamed)))
    assert len(result.plan.deletes) == 60 and result.record is not None
    smaller = {k: v for k, v in SITE_V1.items() if k != "robots.txt"}  # and no fragments
    with pytest.raises(DeployError, match=r"would delete 1 of 75 live objects \(limit 0\)"):
        publish(s3, bucket, write_site(site, smaller), max_deletes=0)


def test_refuses_empty_site_and_mass_delete(s3, bucket, tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(DeployError, match="the site is empty"):
        publish(s3, bucket, tmp_path / "empty")
    big = {f"n/{i}/index.html": page("note", str(i)) for i in range(60)}
    site = write_site(tmp_path / "s", dict(SITE_V1, **big))
    publish(s3, bucket, site)
    calls = Calls(s3)
    write_site(site, SITE_V1)
    with pytest.raises(DeployError) as err:
        publish(s3, bucket, site)
    assert str(err.value) == (
        "this deploy would delete 60 of 75 live objects (limit 17) (check that --site is the "
        "complete site; allow it with --max-deletes N or --allow-mass-delete)")
    assert calls.count("PutObject") == calls.count("DeleteObjects") == 0
    with pytest.raises(DeployError, match=r"delete 60 of 75 live objects \(limit 59\)"):
        publish(s3, bucket, site, max_deletes=59)
    assert len(publish(s3, bucket, site, allow_mass_delete=True).plan.deletes) == 60
    assert set(list_live(s3, bucket)) == set(SITE_V1)


def test_dry_run_writes_nothing(s3, bucket, tmp_path):
    site = write_site(tmp_path / "s", SITE_V1)
    calls = Calls(s3)
    result = publish(s3, bucket, site, dry_run=True)
    assert result.dry_run and result.record is None and len(result.plan.uploads) == 15
    assert {name for name, _ in calls.ops} <= {"GetBucketVersioning", "ListObjectVersions",
                                               "ListObjectsV2", "GetObject"}
    assert list_live(s3, bucket) == {}


def test_versioning_off_and_missing_bucket(s3, tmp_path):
    site = write_site(tmp_path / "s", SITE_V1)
    s3.create_bucket(Bucket="plain-bucket")
    with pytest.raises(DeployError, match="versioning is not enabled on bucket 'plain-bucket'"):
        publish(s3, "plain-bucket", site)
    with pytest.raises(DeployError, match="bucket 'no-such-bucket' does not exist"):
        publish(s3, "no-such-bucket", site)
    assert "Contents" not in s3.list_objects_v2(Bucket="plain-bucket")


def test_zip_source_equals_folder_source(s3, bucket, tmp_path):
    import shutil

    site = write_site(tmp_path / "s", SITE_V1)
    archive = Path(shutil.make_archive(str(tmp_path / "site"), "zip", site))
    zipped = publish(s3, bucket, archive).record
    assert {k: v[0] for k, v in snapshot(s3, bucket).items()} == expected(SITE_V1)
    calls = Calls(s3)
    assert publish(s3, bucket, site).record is None  # the folder is the same site
    assert calls.count("PutObject") == 0
    assert set(zipped.files) == set(SITE_V1)


def test_rollback_errors(s3, bucket, tmp_path):
    with pytest.raises(DeployError, match="has no deploy records"):
        rollback(s3, bucket)
    first = publish(s3, bucket, write_site(tmp_path / "s", SITE_V1)).record
    with pytest.raises(DeployError, match=f"deploy {first.id} has no earlier deploy"):
        rollback(s3, bucket)
    with pytest.raises(DeployError, match="no deploy record 'nope'"):
        rollback(s3, bucket, to="nope")


def test_repeated_rollback_steps_back(s3, bucket, tmp_path):
    site = tmp_path / "s"
    ids = []
    for n in range(3):
        files = dict(SITE_V1, **{"index.html": page("list", f"home {n}")})
        ids.append(publish(s3, bucket, write_site(site, files)).record.id)
    assert rollback(s3, bucket)[1].id == ids[1]
    assert rollback(s3, bucket)[1].id == ids[0]
    body = s3.get_object(Bucket=bucket, Key="index.html")["Body"].read()
    assert b"home 0" in body
    # by unique prefix, forward again
    assert rollback(s3, bucket, to=ids[2][:-2])[1].id == ids[2]
    assert b"home 2" in s3.get_object(Bucket=bucket, Key="index.html")["Body"].read()


def test_a_same_bytes_upload_in_the_records_second_is_seen_by_verify_only(s3, bucket, tmp_path):
    """What the cheap check cannot see (``deploy.current``): the same bytes uploaded by hand
    in the very second the record was written.  ``verify`` (a full version listing) reports
    it; the next deploy (ETags and LastModified by the second) takes it for the recorded
    version."""
    site = write_site(tmp_path / "s", SITE_V1)
    with dated_earlier():
        publish(s3, bucket, site)
        reupload_robots_by_hand(s3, bucket)
    calls = Calls(s3)
    assert publish(s3, bucket, site).record is None
    assert calls.count("HeadObject") == 0 and "ListObjectVersions" not in {n for n, _ in calls.ops}
