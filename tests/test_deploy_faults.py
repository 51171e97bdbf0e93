"""The deploy engine under faults (tests/faults.py): a kill at a random S3 call, and responses
lost on every kind of write, during deploys and rollbacks.

Each seeded scenario ends with the same checks: every live object holds the bytes of the old
or the new site for its key (never anything else), ``verify`` tells the truth (clean exactly
when the bucket is what the latest record says, and that record's versions hold the bytes it
claims), and the next command recovers on its own: the dead holder's lock (a pid of this host
that no longer runs) is broken, and the site ends exactly as asked.  ``make test`` runs a few
seeds per scenario; NOTES_DEEP_TESTS=1 runs many more.
"""

from __future__ import annotations

import hashlib
import os
import random
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
from faults import FaultyClient, Killed
from test_deploy_publish import page, write_site

from site_builder.core.errors import DeployError
from site_builder.deploy import lock, lock_body, publish, rollback, verify
from site_builder.deploy.lock import LOCK_KEY, LockOptions, Owner
from site_builder.deploy.record import hydrate
from site_builder.deploy.recordcache import FileRecordCache
from site_builder.deploy.recordstore import latest_record, record_ids
from site_builder.deploy.remote import list_live

DEEP = os.environ.get("NOTES_DEEP_TESTS") == "1"
SEEDS = range(300 if DEEP else 4)  # x 2 modes x (deploy, rollback), plus the first deploys


def site_a() -> dict[str, bytes]:
    files = {
        "assets/style.1111aaaa.css": "body{color:#111}",
        "assets/app.2222bbbb.js": "console.log(1)",
        "pagefind/pagefind.js": "export const v=1;",
        "index.html": page("list", "home a"),
        "tags/index.html": page("list", "tags a"),
        "404.html": page(None, "not found"),
        "feed.xml": "<feed>a</feed>",
        "sitemap.xml": "<urlset>a</urlset>",
        "robots.txt": "User-agent: *\n",
    }
    for n in range(16):
        files[f"sec/n{n}/index.html"] = page("note", f"note {n} a")
    for t in range(5):
        files[f"tags/t{t}/index.html"] = page("list", f"tag {t} a")
    return {k: v.encode() for k, v in files.items()}


def site_b() -> dict[str, bytes]:
    files = dict(site_a())
    del files["assets/style.1111aaaa.css"], files["sec/n14/index.html"], files["tags/t4/index.html"]
    files["assets/style.3333cccc.css"] = b"body{color:#222}"
    for n in (0, 3, 7, 9):
        files[f"sec/n{n}/index.html"] = page("note", f"note {n} b").encode()
    for n in (16, 17, 18):
        files[f"sec/n{n}/index.html"] = page("note", f"note {n} new").encode()
    files["index.html"] = page("list", "home b").encode()
    files["feed.xml"] = b"<feed>b</feed>"
    files["tags/t5/index.html"] = page("list", "tag 5 new").encode()
    return files


def md5s(files: dict[str, bytes]) -> dict[str, str]:
    return {k: hashlib.md5(v).hexdigest() for k, v in files.items()}


def live_md5s(s3, bucket) -> dict[str, str]:
    """The MD5 of every live object's bytes: S3's ETag of a single-part upload (and of its
    copies), which is what keeps these checks to one listing instead of a GET per object."""
    return {k: o.etag for k, o in list_live(s3, bucket).items()}


def check_consistent(s3, bucket, *sides: dict[str, bytes]) -> None:
    hashed = [md5s(side) for side in sides]
    for key, md5 in live_md5s(s3, bucket).items():
        assert any(side.get(key) == md5 for side in hashed), f"{key} holds bytes of no side"


def check_truthful(s3, bucket) -> None:
    if not record_ids(s3, bucket):
        return
    record = latest_record(s3, bucket)
    live = list_live(s3, bucket)
    same = set(live) == set(record.files) and all(
        live[k].version_id == e.version_id for k, e in record.files.items())
    assert verify(s3, bucket).clean == same
    etags = {(v["Key"], v["VersionId"]): v["ETag"].strip('"')
             for v in s3.list_object_versions(Bucket=bucket).get("Versions", [])}
    full = hydrate(record, etags)  # stored MD5 prefixes, completed where the ETag continues one
    for key, entry in full.files.items():  # the record's versions hold the bytes it claims
        assert etags[(key, entry.version_id)] == entry.md5, key


def lock_versions(s3, bucket) -> list:
    listing = s3.list_object_versions(Bucket=bucket, Prefix=LOCK_KEY)
    return listing.get("Versions", []) + listing.get("DeleteMarkers", [])


@pytest.fixture(scope="module")
def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


@pytest.fixture
def as_dead_process(monkeypatch, dead_pid):
    """Faulted operations run as a process of this host that is gone by the time the next
    command runs (as after a real kill); ``undo`` makes later calls this live process."""
    real = lock.this_owner
    monkeypatch.setattr(lock, "this_owner", lambda command: Owner(
        "ghost", lock_body.this_host(), dead_pid, command, "faulted"))
    return lambda: monkeypatch.setattr(lock, "this_owner", real)


def run_faulted(operation) -> str:
    """Run one faulted operation: it dies, fails with a one-line DeployError, or succeeds."""
    try:
        operation()
    except Killed:
        return "killed"
    except DeployError as exc:
        assert "\n" not in str(exc)
        return "failed"
    return "ok"


def faulty(s3, seed: int, mode: str) -> FaultyClient:
    rng = random.Random(seed)
    if mode == "kill":
        return FaultyClient(s3, rng, kill_at=rng.randint(1, 50))
    return FaultyClient(s3, rng, lose_rate=rng.choice((0.1, 0.3, 0.6)))


def assert_recovered(s3, bucket, files: dict[str, bytes]) -> None:
    assert live_md5s(s3, bucket) == md5s(files)
    assert s3.get_object(Bucket=bucket, Key="index.html")["Body"].read() == files["index.html"]
    assert verify(s3, bucket).clean
    check_truthful(s3, bucket)
    assert lock_versions(s3, bucket) == []  # nothing left behind, not even a delete marker


@pytest.mark.parametrize("mode", ["kill", "lose"])
@pytest.mark.parametrize("seed", SEEDS)
def test_deploy_under_faults_then_the_next_deploy_recovers(s3, bucket, tmp_path, seed, mode,
                                                           as_dead_process):
    a, b = site_a(), site_b()
    publish(s3, bucket, write_site(tmp_path / "a", a))
    client = faulty(s3, seed, mode)
    outcome = run_faulted(lambda: publish(client, bucket, write_site(tmp_path / "b", b)))
    assert outcome in (("killed", "ok") if mode == "kill" else ("failed", "ok"))
    check_consistent(s3, bucket, a, b)
    check_truthful(s3, bucket)
    as_dead_process()
    publish(s3, bucket, tmp_path / "b")
    assert_recovered(s3, bucket, b)


@pytest.mark.parametrize("mode", ["kill", "lose"])
@pytest.mark.parametrize("seed", SEEDS)
def test_rollback_under_faults_then_the_next_rollback_recovers(s3, bucket, tmp_path, seed,
                                                               mode, as_dead_process):
    a, b = site_a(), site_b()
    first = publish(s3, bucket, write_site(tmp_path / "a", a)).record
    publish(s3, bucket, write_site(tmp_path / "b", b))
    client = faulty(s3, seed + 10_000, mode)
    run_faulted(lambda: rollback(client, bucket, to=first.id))
    check_consistent(s3, bucket, a, b)
    check_truthful(s3, bucket)
    as_dead_process()
    rollback(s3, bucket, to=first.id)
    assert_recovered(s3, bucket, a)


@pytest.mark.parametrize("seed", SEEDS[:2] if not DEEP else SEEDS)
def test_first_deploy_under_lost_responses(s3, bucket, tmp_path, seed, as_dead_process):
    b = site_b()
    run_faulted(lambda: publish(faulty(s3, seed + 20_000, "lose"), bucket,
                                write_site(tmp_path / "b", b)))
    check_consistent(s3, bucket, b)
    check_truthful(s3, bucket)
    as_dead_process()
    publish(s3, bucket, tmp_path / "b")
    assert_recovered(s3, bucket, b)


def test_a_killed_holder_on_another_host_is_broken_once_its_lease_expires(s3, bucket, tmp_path,
                                                                          monkeypatch):
    a, b = site_a(), site_b()
    publish(s3, bucket, write_site(tmp_path / "a", a))
    monkeypatch.setattr(lock, "this_owner", lambda command: Owner(
        "ci", "runner-7", 4242, command, "faulted"))
    client = FaultyClient(s3, random.Random(1), kill_at=12)  # after the lock, mid-upload
    assert run_faulted(lambda: publish(client, bucket, write_site(tmp_path / "b", b))) == "killed"
    monkeypatch.undo()
    with pytest.raises(DeployError, match=r"locked by ci@runner-7 pid 4242 \(deploy faulted\)"):
        publish(s3, bucket, tmp_path / "b")

    def later() -> datetime:
        return datetime.now(UTC) + timedelta(seconds=lock.DEFAULT_LEASE + 1)

    record = publish(s3, bucket, tmp_path / "b", lock_options=LockOptions(clock=later)).record
    assert record.broke_lock["reason"] == "lease expired"
    assert_recovered(s3, bucket, b)


def trusting_cache(s3, bucket, site, folder):
    """A machine's cached record, trusted: a deploy from it just listed the bucket."""
    cache = FileRecordCache(folder, "moto", bucket)
    assert publish(s3, bucket, site, record_cache=cache, check_drift=True).record is None
    assert cache.checked() is not None
    return cache


@pytest.mark.parametrize("then", ["retry", "revert"])
@pytest.mark.parametrize("machine", ["same", "other"])
@pytest.mark.parametrize("mode", ["kill", "lose"])
@pytest.mark.parametrize("seed", SEEDS[:2] if not DEEP else SEEDS)
def test_a_trusted_deploy_under_faults_then_the_next_deploy_recovers(
        s3, bucket, tmp_path, seed, mode, machine, then, as_dead_process):
    """The faulted deploy plans from its trusted record and uploads conditionally (a retried
    PUT that had been applied fails its condition: the deploy lists and carries on); the
    next deploy, from the same machine or from one whose record is trusted too, lists the
    bucket because the faulted one left its lock (stale, or saying it did not finish) or
    dropped its cached record, and recovers: also when it deploys the old site again, whose
    plan against the record alone would leave the faulted deploy's uploads live."""
    a, b = site_a(), site_b()
    site = write_site(tmp_path / "a", a)
    publish(s3, bucket, site)
    here = trusting_cache(s3, bucket, site, tmp_path / "here")
    there = trusting_cache(s3, bucket, site, tmp_path / "there")
    client = faulty(s3, seed + 30_000, mode)
    outcome = run_faulted(lambda: publish(client, bucket, write_site(tmp_path / "b", b),
                                          record_cache=here))
    assert outcome in (("killed", "ok") if mode == "kill" else ("failed", "ok"))
    check_consistent(s3, bucket, a, b)
    check_truthful(s3, bucket)
    as_dead_process()
    publish(s3, bucket, tmp_path / ("b" if then == "retry" else "a"),
            record_cache=here if machine == "same" else there)
    assert_recovered(s3, bucket, b if then == "retry" else a)
