"""One deploy or rollback at a time per bucket: a lease on ``_notes/lock`` that heals itself.

* **Acquire** writes the lock with ``If-None-Match: *``: of two racing writers exactly one wins.
  The body names the owner (user, host, pid, command, operation id) and carries a random token
  and the lease length.  A 412 is read back: a lock carrying *our* token is ours (botocore
  retried a PUT whose first response was lost), anything else is someone else's.
* **Lease**: a heartbeat thread renews the lock every third of the lease with a write
  conditional on the lock's ETag (``If-Match``).  A renewal that finds another body means the
  lock was broken under us: the operation is told (:meth:`Lease.check`) and stops before its
  next write.  The lease is judged by the server's clock (LastModified and the response's Date),
  so a laptop whose clock is off cannot break or keep a lock by mistake.
* **Stale locks break themselves**: a lease that expired, or a holder on this host whose pid is
  dead, is overwritten with ``If-Match: <its ETag>``, so of two breakers only one wins; the
  break is remembered (:attr:`Lease.broke`) and noted in the next deploy record.
  ``notes unlock`` breaks one the same way, writing a *released* body that the next acquire
  takes over (and notes).  A live lock is broken only on request (``--force-unlock``).
* **Release** deletes exactly the versions this lease wrote (by VersionId), so a lock broken
  and re-taken by someone else survives, and no delete markers pile up in the listing.  An
  operation that wrote site objects but no record (it failed half-way) leaves a *released*
  lock saying so instead, like a break: the next operation takes it over, records it, and
  does not trust the last record to describe the bucket (``publish``).
* **Waiting**: ``wait_seconds`` polls a live lock for a bounded time (the CloudFormation Lambda
  uses it) and then fails naming the holder and the command that frees it.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from site_builder.core.errors import DeployError
from site_builder.deploy.errors import aws_errors, client_error_code
from site_builder.deploy.lock_body import (
    GONE_CODES,
    LOCK_KEY,
    Clock,
    Held,
    LockBody,
    Owner,
    read_lock,
    this_owner,
)

DEFAULT_LEASE = 120.0  # seconds; renewed every third of it
POLL_SECONDS = 5.0
_HELD_CODES = {"PreconditionFailed", "ConditionalRequestConflict", "412", "409"}
log = logging.getLogger("site_builder.deploy")


def _put(client: Any, bucket: str, body: LockBody, **condition: str) -> dict[str, Any] | None:
    """A conditional PUT of the lock; None when the condition failed (someone else won)."""
    try:
        return client.put_object(Bucket=bucket, Key=LOCK_KEY, Body=body.to_json(),
                                 ContentType="application/json", CacheControl="no-cache",
                                 **condition)
    except ClientError as exc:
        if client_error_code(exc) in _HELD_CODES | GONE_CODES:
            return None
        raise


def _delete_version(client: Any, bucket: str, version_id: str) -> None:
    client.delete_object(Bucket=bucket, Key=LOCK_KEY, VersionId=version_id)


def unlock_fix(bucket: str) -> str:
    return (f"wait for it to finish; `notes unlock --bucket {bucket}` shows the lock, add "
            "--force-unlock to break it if that process is stuck")


class LockHeld(DeployError):
    """Another operation's live lock outlasted the wait: callers that must not fail on it
    (CloudFormation's rollback, infra/handler) tell it from other errors by this type."""

    def __init__(self, bucket: str, held: Held):
        self.held = held
        super().__init__(held.describe(bucket), unlock_fix(bucket))


class Lease:
    """A held lock: renewed by a heartbeat until :meth:`release`."""

    def __init__(self, client: Any, bucket: str, body: LockBody, etag: str, version_id: str,
                 broke: dict[str, Any] | None = None):
        self.client, self.bucket, self.body = client, bucket, body
        self.etag, self.versions = etag, [version_id]
        self.broke = broke  # what this acquire (or an earlier `notes unlock`) broke
        self.lost: str | None = None  # set when someone broke our lock
        self.recorded = False  # set once a deploy record (which notes ``broke``) is written
        self.wrote = False  # set before the operation's first write (``guard.GuardedStore``)
        self._stop = threading.Event()
        self._mutex = threading.Lock()
        self._thread: threading.Thread | None = None

    @property
    def token(self) -> str:
        return self.body.token

    def start_heartbeat(self) -> None:
        interval = max(0.05, self.body.lease_seconds / 3)
        self._thread = threading.Thread(target=self._beat, args=(interval,), daemon=True,
                                        name="notes-lock-heartbeat")
        self._thread.start()

    def _beat(self, interval: float) -> None:
        while not self._stop.wait(interval) and self.lost is None:
            try:
                self.renew()
            except (ClientError, BotoCoreError) as exc:  # try again next beat: lease still runs
                log.warning("could not renew the lock of %s: %s", self.bucket, exc)

    def renew(self) -> None:
        """Extend the lease: rewrite the lock only if it is still the version we wrote."""
        with self._mutex:
            body = replace(self.body, renewed=datetime.now(UTC).isoformat())
            response = _put(self.client, self.bucket, body, IfMatch=self.etag)
            if response is None:  # a lost response whose retry got 412, or a break
                held = read_lock(self.client, self.bucket)
                if held is None or held.body.token != self.token:
                    who = "nobody" if held is None else held.body.owner.describe()
                    self.lost = f"the lock was broken while this operation ran (now: {who})"
                    log.warning("%s on bucket %s", self.lost, self.bucket)
                    return
                response = {"ETag": held.etag, "VersionId": held.version_id}
            old = self.versions[:]
            self.etag = response["ETag"]
            self.versions = [response.get("VersionId") or "null"]
        for version in old:
            if version not in self.versions:
                self._forget(version)

    def _hand_over(self) -> None:
        note = self.broke or _lock_note(self.body, "did not finish", self.body.owner,
                                        datetime.now(UTC))
        body = replace(self.body, lease_seconds=0.0, released=True, broke=note)
        try:
            response = _put(self.client, self.bucket, body, IfMatch=self.etag)
        except (ClientError, BotoCoreError) as exc:
            log.warning("could not hand the lock break over in %s: %s", self.bucket, exc)
            return
        if response is not None:
            kept = response.get("VersionId") or "null"
            self.versions = [v for v in self.versions if v != kept]

    def _forget(self, version: str) -> None:
        try:
            _delete_version(self.client, self.bucket, version)
        except (ClientError, BotoCoreError) as exc:
            self.versions.append(version)  # retried at release
            log.warning("could not delete an old lock version in %s: %s", self.bucket, exc)

    def check(self) -> None:
        """Raise before a write when the lock is no longer ours."""
        if self.lost:
            raise DeployError(f"{self.lost} on bucket {self.bucket!r}",
                              "another operation owns the bucket now; check `notes history` "
                              "and `notes verify` when it is done, then run the command again")

    def release(self) -> None:
        """Stop the heartbeat; delete exactly the lock versions we wrote (best effort).

        A lease that broke a lock, or wrote, but wrote no record (its operation failed) leaves
        a *released* lock carrying the break (or "did not finish") instead, so the next
        operation records it and checks the whole bucket.
        """
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        with self._mutex:
            if (self.broke or self.wrote) and not self.recorded and self.lost is None:
                self._hand_over()
            for version in reversed(self.versions):
                try:
                    _delete_version(self.client, self.bucket, version)
                except ClientError as exc:
                    if client_error_code(exc) in GONE_CODES:  # already gone (or 404 glitch)
                        continue
                    log.warning("could not release %s in %s: %s (the lease expires by itself "
                                "after %d s)", LOCK_KEY, self.bucket, exc,
                                self.body.lease_seconds)
                    return
                except BotoCoreError as exc:
                    log.warning("could not release %s in %s: %s", LOCK_KEY, self.bucket, exc)
                    return


def _lock_note(held: LockBody, reason: str, by: Owner, now: datetime) -> dict[str, Any]:
    """What a deploy record says about a lock that ended without its holder's record: broken
    (by another operation) or left unfinished (by its own holder, ``Lease._hand_over``)."""
    return {"holder": held.owner.describe(), "acquired": held.acquired, "reason": reason,
            "broken_by": by.describe(), "broken_at": now.isoformat()}


def _break_note(held: Held, by: Owner, now: datetime) -> dict[str, Any]:
    if held.body.released and held.body.broke:
        return held.body.broke
    reason = ("lease expired" if held.expired else
              "holder's process is gone" if held.dead_here else "forced")
    return _lock_note(held.body, reason, by, now)


def acquire(client: Any, bucket: str, command: str, *, force_unlock: bool = False,
            lease_seconds: float = DEFAULT_LEASE, wait_seconds: float = 0.0,
            owner: Owner | None = None, clock: Clock | None = None,
            sleep: Callable[[float], None] = time.sleep) -> Lease:
    """Take the lock (see the module doc); ``force_unlock`` also breaks a live one."""
    me = owner or this_owner(command)
    now = clock() if clock else datetime.now(UTC)
    mine = LockBody(me, secrets.token_hex(8), now.isoformat(), float(lease_seconds))
    waited, vanished = 0.0, 0
    while True:
        with aws_errors(bucket):
            response = _put(client, bucket, mine, IfNoneMatch="*")
            if response is not None:
                return Lease(client, bucket, mine, response["ETag"],
                             response.get("VersionId") or "null")
            held = read_lock(client, bucket, clock)
            if held is None:  # released meanwhile (or S3's brief 404 on a new versioned key)
                vanished += 1
                if vanished > 5:
                    raise DeployError(f"bucket {bucket!r} is being locked and unlocked by "
                                      "another operation right now", "try again in a moment")
                sleep(0.2 * vanished)
                continue
            if held.body.token == mine.token:  # our own PUT, its response lost
                return Lease(client, bucket, mine, held.etag, held.version_id)
            if held.stale or force_unlock:
                lease = _break(client, bucket, mine, held, clock)
                if lease is not None:
                    return lease
                continue
        remaining = wait_seconds - waited  # counted in sleeps: a fake sleep in tests is exact
        if remaining <= 0:
            raise LockHeld(bucket, held)
        if waited == 0:
            log.warning("%s; waiting up to %d s", held.describe(bucket), int(wait_seconds))
        step = min(POLL_SECONDS, remaining)
        sleep(step)
        waited += step


def _break(client: Any, bucket: str, mine: LockBody, held: Held,
           clock: Clock | None) -> Lease | None:
    """Overwrite ``held`` only if it is still the version we judged; None if we lost the race."""
    note = _break_note(held, mine.owner, clock() if clock else datetime.now(UTC))
    body = replace(mine, broke=note)
    response = _put(client, bucket, body, IfMatch=held.etag)
    if response is None:
        again = read_lock(client, bucket, clock)
        if again is None or again.body.token != mine.token:
            return None
        response = {"ETag": again.etag, "VersionId": again.version_id}
    if not held.body.released:
        log.warning("broke the lock of %s held by %s (%s)", bucket, note["holder"],
                    note["reason"])
    lease = Lease(client, bucket, body, response["ETag"], response.get("VersionId") or "null",
                  broke=note)
    lease._forget(held.version_id)  # the broken version must not come back at release
    return lease


def unlock(client: Any, bucket: str, *, force: bool = False,
           clock: Clock | None = None) -> tuple[Held | None, bool]:
    """Break the lock when stale (or ``force``): (what was held, whether it was broken).

    The break writes a *released* lock conditional on the held ETag, so it cannot race a
    renewal or another breaker; the next acquire takes it over and notes the break.
    """
    me = this_owner("unlock")
    with aws_errors(bucket):
        held = read_lock(client, bucket, clock)
        if held is None or held.body.released or not (held.stale or force):
            return held, False
        now = clock() if clock else datetime.now(UTC)
        body = LockBody(me, secrets.token_hex(8), now.isoformat(), 0.0, released=True,
                        broke=_break_note(held, me, now))
        if _put(client, bucket, body, IfMatch=held.etag) is None:
            again = read_lock(client, bucket, clock)
            if again is None or again.body.token != body.token:
                return held, False
        try:  # the broken version must not come back when the next owner releases
            _delete_version(client, bucket, held.version_id)
        except (ClientError, BotoCoreError) as exc:
            log.warning("could not delete the broken lock version in %s: %s", bucket, exc)
        return held, True


@dataclass(frozen=True)
class LockOptions:
    """How an operation takes the lock (the Lambda: a short lease and a bounded wait)."""

    force_unlock: bool = False
    lease_seconds: float = DEFAULT_LEASE
    wait_seconds: float = 0.0
    clock: Clock | None = field(default=None, compare=False)


@contextmanager
def locked(client: Any, bucket: str, command: str, *, force_unlock: bool = False,
           enabled: bool = True, options: LockOptions | None = None) -> Iterator[Lease | None]:
    """Hold the bucket lock (renewed) for the body; ``enabled=False`` (dry runs) takes none."""
    if not enabled:
        yield None
        return
    opts = options or LockOptions()
    lease = acquire(client, bucket, command, force_unlock=force_unlock or opts.force_unlock,
                    lease_seconds=opts.lease_seconds, wait_seconds=opts.wait_seconds,
                    clock=opts.clock)
    lease.start_heartbeat()
    try:
        yield lease
    finally:
        lease.release()
