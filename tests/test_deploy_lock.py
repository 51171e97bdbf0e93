"""The bucket lock as a lease: holder in the error, idempotent acquire, exact release,
stale locks (expired lease, dead pid on this host) broken by a conditional write, a heartbeat,
a bounded wait, ``unlock``, and the break noted in the next record."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from botocore.exceptions import ClientError
from test_deploy_publish import SITE_V1, write_site

from site_builder.core.errors import DeployError
from site_builder.core.processes import pid_alive
from site_builder.deploy import history, publish, rollback
from site_builder.deploy.lock import (
    LOCK_KEY,
    LockOptions,
    Owner,
    acquire,
    read_lock,
    unlock,
)
from site_builder.deploy.lock import _break as break_lock
from site_builder.deploy.lock_body import this_host

ALICE = Owner("alice", "laptop", 42, "deploy", "20261130-100000-ab12")


def lock_versions(s3, bucket) -> list[dict]:
    listing = s3.list_object_versions(Bucket=bucket, Prefix=LOCK_KEY)
    return listing.get("Versions", []) + listing.get("DeleteMarkers", [])


def later(seconds: float):
    return lambda: datetime.now(UTC) + timedelta(seconds=seconds)


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_a_killed_holder_its_parent_has_not_reaped_yet_is_gone(s3, bucket):
    """kill -9 leaves a zombie until the parent reaps it: it holds its pid but can never renew,
    so its lock is broken at once, not after the lease (120 s)."""
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        assert pid_alive(proc.pid)
        acquire(s3, bucket, "deploy", owner=Owner("me", this_host(), proc.pid, "deploy", "z"))
        proc.kill()
        os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOWAIT)  # dead, left unreaped
        assert not pid_alive(proc.pid)
        lease = acquire(s3, bucket, "deploy")
        assert lease.broke["reason"] == "holder's process is gone"
        lease.release()
    finally:
        proc.wait()


def test_live_lock_fails_naming_holder_and_the_command_that_frees_it(s3, bucket, tmp_path):
    held = acquire(s3, bucket, "deploy", owner=ALICE)
    site = write_site(tmp_path / "s", SITE_V1)
    with pytest.raises(DeployError) as err:
        publish(s3, bucket, site)
    age = str(err.value).split("lease renewed ")[1][0]  # 0 or 1: LastModified has seconds
    assert str(err.value) == (
        f"bucket 'notes-test-site' is locked by alice@laptop pid 42 (deploy "
        f"20261130-100000-ab12) since {held.body.acquired} (lease renewed {age} s ago) (wait for "
        "it to finish; `notes unlock --bucket notes-test-site` shows the lock, add "
        "--force-unlock to break it if that process is stuck)")
    with pytest.raises(DeployError, match="locked by alice@laptop pid 42"):
        rollback(s3, bucket)
    assert "Contents" not in s3.list_objects_v2(Bucket=bucket, Prefix="docker/")
    held.release()
    assert lock_versions(s3, bucket) == []  # exactly our version deleted: no delete marker
    assert publish(s3, bucket, site).record.broke_lock is None
    assert lock_versions(s3, bucket) == []


def test_expired_lease_is_broken_and_noted_in_the_next_record(s3, bucket, tmp_path):
    acquire(s3, bucket, "deploy", owner=ALICE, lease_seconds=60)
    site = write_site(tmp_path / "s", SITE_V1)
    with pytest.raises(DeployError, match=r"lease renewed 3[01] s ago"):
        publish(s3, bucket, site, lock_options=LockOptions(clock=later(30)))
    record = publish(s3, bucket, site, lock_options=LockOptions(clock=later(61))).record
    assert record.broke_lock["holder"] == ALICE.describe()
    assert record.broke_lock["reason"] == "lease expired"
    assert history(s3, bucket)[0].broke_lock == record.broke_lock  # stored, not only returned
    assert lock_versions(s3, bucket) == []  # the broken version went with ours


def test_dead_holder_on_this_host_is_broken_at_once(s3, bucket, tmp_path):
    ghost = Owner("me", this_host(), dead_pid(), "deploy", "x")
    acquire(s3, bucket, "deploy", owner=ghost)
    record = publish(s3, bucket, write_site(tmp_path / "s", SITE_V1)).record
    assert record.broke_lock["reason"] == "holder's process is gone"
    # the same pid on another host proves nothing: that lock is live
    acquire(s3, bucket, "deploy", owner=Owner("me", "elsewhere", ghost.pid, "deploy", "y"))
    with pytest.raises(DeployError, match="locked by me@elsewhere"):
        rollback(s3, bucket)


def test_a_rollback_that_breaks_a_lock_returns_the_record_it_stored(s3, bucket, tmp_path):
    """The break is in the record rollback builds (as publish's), so what it returns (the CLI's
    and the Lambda's view) is what it stored: no copy patched on the way to S3 only."""
    publish(s3, bucket, write_site(tmp_path / "a", SITE_V1))
    publish(s3, bucket, write_site(tmp_path / "b", {**SITE_V1, "index.html": b"<h1>v2</h1>"}))
    acquire(s3, bucket, "deploy", owner=Owner("me", this_host(), dead_pid(), "deploy", "x"))
    result, _ = rollback(s3, bucket)
    assert result.record.broke_lock["reason"] == "holder's process is gone"
    assert history(s3, bucket)[0] == result.record
    assert lock_versions(s3, bucket) == []


def test_two_breakers_cannot_both_win(s3, bucket):
    acquire(s3, bucket, "deploy", owner=ALICE, lease_seconds=1)
    stale = read_lock(s3, bucket, later(5))
    assert stale.stale
    first = acquire(s3, bucket, "deploy", clock=later(5))  # breaks it
    second = break_lock(s3, bucket, first.body.__class__(ALICE, "tok2", "now", 60.0),
                        stale, later(5))
    assert second is None  # its If-Match names the version the first breaker replaced
    assert read_lock(s3, bucket).body.token == first.token


class LostResponses:
    """Performs each lock/record PUT, then 'retries' it as botocore does after a lost response
    and returns what the retry got (for a conditional PUT: 412)."""

    def __init__(self, client):
        self.client = client

    def __getattr__(self, name):
        return getattr(self.client, name)

    def put_object(self, **kw):
        self.client.put_object(**kw)
        return self.client.put_object(**kw)


def test_acquire_is_idempotent_when_the_response_was_lost(s3, bucket, tmp_path):
    lease = acquire(LostResponses(s3), bucket, "deploy")
    assert read_lock(s3, bucket).body.token == lease.token
    lease.renew()  # the renewal's retry gets 412 too: read back, still ours
    assert lease.lost is None and read_lock(s3, bucket).etag == lease.etag
    lease.release()
    assert lock_versions(s3, bucket) == []
    # a whole deploy whose lock and record responses are lost succeeds, with one record
    result = publish(LostResponses(s3), bucket, write_site(tmp_path / "s", SITE_V1))
    assert [r.id for r in history(s3, bucket)] == [result.record.id]


def eventually(condition, timeout: float = 10.0) -> bool:
    """Poll: a loaded 2-core machine may run the heartbeat thread late."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_heartbeat_renews_and_a_broken_lease_stops_the_operation(s3, bucket):
    lease = acquire(s3, bucket, "deploy", lease_seconds=0.3)
    lease.start_heartbeat()
    try:
        assert eventually(lambda: read_lock(s3, bucket).body.renewed)  # renewed by the thread
        body = read_lock(s3, bucket).body
        assert body.token == lease.token
        assert eventually(lambda: len(lock_versions(s3, bucket)) == 1)  # replaced ones deleted
        # a renewal between unlock's read and its conditional write beats the break: retry
        assert eventually(lambda: unlock(s3, bucket, force=True)[1])
        assert eventually(lambda: lease.lost is not None)
        assert "broken while this operation ran" in lease.lost
        with pytest.raises(DeployError, match="lock was broken while this operation ran"):
            lease.check()
    finally:
        lease.release()
    assert read_lock(s3, bucket).body.released  # the breaker's body survives our release


def test_bounded_wait_then_acquires_or_fails(s3, bucket):
    held = acquire(s3, bucket, "deploy", owner=ALICE)
    slept: list[float] = []
    with pytest.raises(DeployError, match="locked by alice@laptop"):
        acquire(s3, bucket, "deploy", wait_seconds=0.3, sleep=slept.append)
    assert slept == [0.3]
    timer = threading.Timer(0.2, held.release)
    timer.start()
    mine = acquire(s3, bucket, "deploy", wait_seconds=10)
    timer.join()
    assert read_lock(s3, bucket).body.token == mine.token
    mine.release()


def test_unlock_breaks_only_stale_locks_unless_forced(s3, bucket, tmp_path):
    assert unlock(s3, bucket) == (None, False)
    live = acquire(s3, bucket, "deploy", owner=ALICE, lease_seconds=60)
    held, broken = unlock(s3, bucket)
    assert (held.body.token, broken) == (live.token, False)
    held, broken = unlock(s3, bucket, clock=later(120))
    assert broken and read_lock(s3, bucket).body.released
    assert unlock(s3, bucket)[1] is False  # already released: nothing to break
    record = publish(s3, bucket, write_site(tmp_path / "s", SITE_V1)).record
    assert record.broke_lock["holder"] == ALICE.describe()
    assert "(unlock " in record.broke_lock["broken_by"]
    assert lock_versions(s3, bucket) == []


def test_force_unlock_breaks_a_live_lock(s3, bucket, tmp_path):
    acquire(s3, bucket, "deploy", owner=ALICE)
    record = publish(s3, bucket, write_site(tmp_path / "s", SITE_V1), force_unlock=True).record
    assert record.broke_lock["reason"] == "forced"


def test_pre_lease_lock_is_stale_after_15_minutes(s3, bucket):
    old = {"holder": "bob@box pid 7", "operation": "deploy", "started": "2026-01-01T00:00:00",
           "token": "abc"}
    s3.put_object(Bucket=bucket, Key=LOCK_KEY, Body=json.dumps(old).encode())
    with pytest.raises(DeployError, match=r"locked by bob@box pid 7@\? pid 0"):
        acquire(s3, bucket, "deploy", clock=later(14 * 60))
    assert acquire(s3, bucket, "deploy", clock=later(16 * 60)).broke["holder"].startswith("bob")


class Flaky404:
    """DeleteObject answers 404 (S3 can, just after versioning is enabled)."""

    def __init__(self, client):
        self.client = client

    def __getattr__(self, name):
        return getattr(self.client, name)

    def delete_object(self, **kw):
        raise ClientError({"Error": {"Code": "NoSuchKey", "Message": "transient"}},
                          "DeleteObject")


def test_release_tolerates_a_404(s3, bucket):
    lease = acquire(Flaky404(s3), bucket, "deploy")
    lease.release()  # no exception
    assert read_lock(s3, bucket).body.token == lease.token  # left for its lease to expire


def test_a_break_by_a_failed_deploy_is_noted_by_the_next_one(s3, bucket, tmp_path):
    from test_deploy_publish import site_v2
    from test_deploy_records import FailOn

    site = tmp_path / "s"
    publish(s3, bucket, write_site(site, SITE_V1))
    acquire(s3, bucket, "deploy", owner=Owner("me", this_host(), dead_pid(), "deploy", "x"))
    hook = FailOn(s3, "DeleteObjects")
    with pytest.raises(DeployError, match="every upload is done"):
        publish(s3, bucket, write_site(site, site_v2()))
    held = read_lock(s3, bucket)
    assert held.body.released and held.body.broke["reason"] == "holder's process is gone"
    s3.meta.events.unregister("before-parameter-build.s3", hook._hook)
    record = publish(s3, bucket, site).record
    assert record.broke_lock == held.body.broke
    assert lock_versions(s3, bucket) == []


def test_racing_breakers_of_one_stale_lock_exactly_one_wins(s3, bucket):
    """Six threads break one stale lock, in rounds, switching threads every microsecond so the
    conditional writes interleave (moto without ``atomic_object_requests`` lets two win in
    about one round of three)."""
    old_interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        for _ in range(6):
            acquire(s3, bucket, "deploy", owner=ALICE, lease_seconds=1)
            results = race_breakers(s3, bucket)
            winners = [r for r in results if not isinstance(r, DeployError)]
            assert len(winners) == 1 and len(results) == 6
            assert read_lock(s3, bucket).body.token == winners[0].token
            assert all("is locked by" in str(r) for r in results
                       if isinstance(r, DeployError))
            winners[0].recorded = True  # as a deploy does once its record notes the break
            winners[0].release()
            assert lock_versions(s3, bucket) == []  # the stale version went with the winner's
    finally:
        sys.setswitchinterval(old_interval)


def race_breakers(s3, bucket) -> list[object]:
    """Six threads try to break the (stale) lock at once: each gives its Lease or its error."""
    results: list[object] = []
    start = threading.Barrier(6)

    def breaker() -> None:
        start.wait()
        try:
            results.append(acquire(s3, bucket, "deploy", clock=later(5)))
        except DeployError as exc:
            results.append(exc)

    threads = [threading.Thread(target=breaker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results
