"""One deploy or rollback at a time per bucket, via a conditional write.

``PutObject _notes/lock`` with ``If-None-Match: *`` succeeds only when no live lock exists, so
exactly one of two racing writers wins; the loser fails at once (no waiting, no retry loop) and
is told who holds the lock and since when.  A crashed deploy leaves its lock behind: once older
than ``STALE_AFTER`` it may be broken with ``--force-unlock``.  Releasing deletes the lock only
if it is still ours (its token matches), so a lock broken and re-taken by someone else survives.
"""

from __future__ import annotations

import getpass
import json
import logging
import os
import secrets
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from site_builder.deploy.errors import aws_errors, client_error_code
from site_builder.errors import DeployError

LOCK_KEY = "_notes/lock"
STALE_AFTER = timedelta(minutes=15)
_HELD_CODES = {"PreconditionFailed", "ConditionalRequestConflict", "412", "409"}


@dataclass(frozen=True)
class LockInfo:
    holder: str
    operation: str
    started: str  # ISO 8601 UTC
    token: str

    def age(self, now: datetime) -> timedelta:
        return now - datetime.fromisoformat(self.started)


def default_holder() -> str:
    try:
        user = getpass.getuser()
    except Exception:  # noqa: BLE001 - no user database in a Lambda
        user = "unknown"
    return f"{user}@{socket.gethostname()} pid {os.getpid()}"


def _read(client: Any, bucket: str) -> LockInfo | None:
    try:
        body = client.get_object(Bucket=bucket, Key=LOCK_KEY)["Body"].read()
    except ClientError as exc:
        if client_error_code(exc) in ("NoSuchKey", "404"):
            return None
        raise
    try:
        return LockInfo(**json.loads(body))
    except (ValueError, TypeError):
        return LockInfo("unknown (unreadable lock)", "?", "1970-01-01T00:00:00+00:00", "")


def _try_put(client: Any, bucket: str, info: LockInfo) -> bool:
    body = json.dumps(info.__dict__).encode()
    try:
        client.put_object(Bucket=bucket, Key=LOCK_KEY, Body=body, IfNoneMatch="*",
                          ContentType="application/json")
        return True
    except ClientError as exc:
        if client_error_code(exc) in _HELD_CODES:
            return False
        raise


def acquire(client: Any, bucket: str, operation: str, *, force_unlock: bool = False,
            holder: str | None = None, now: datetime | None = None) -> LockInfo:
    now = now or datetime.now(UTC)
    mine = LockInfo(holder or default_holder(), operation, now.isoformat(), secrets.token_hex(8))
    with aws_errors(bucket):
        if _try_put(client, bucket, mine):
            return mine
        held = _read(client, bucket)
        if held is None and _try_put(client, bucket, mine):  # released meanwhile
            return mine
    if held is None:
        raise DeployError(f"bucket {bucket!r} is being locked by another deploy right now",
                          "try again in a moment")
    age = held.age(now)
    minutes = int(age.total_seconds() // 60)
    what = (f"bucket {bucket!r} is locked by {held.holder} ({held.operation}) since "
            f"{held.started} ({minutes} min ago)")
    if not force_unlock:
        raise DeployError(what, "wait for it to finish; if it crashed, rerun with "
                          f"--force-unlock (allowed after {int(STALE_AFTER.total_seconds()//60)} min)")
    if age < STALE_AFTER:
        raise DeployError(what, f"--force-unlock only breaks locks older than "
                          f"{int(STALE_AFTER.total_seconds() // 60)} min; wait for it to finish")
    with aws_errors(bucket):
        client.delete_object(Bucket=bucket, Key=LOCK_KEY)
        if _try_put(client, bucket, mine):
            return mine
    raise DeployError(f"bucket {bucket!r} was locked again by another deploy", "try again later")


def release(client: Any, bucket: str, mine: LockInfo) -> None:
    """Delete the lock if it is still ours (best effort: never masks the real error)."""
    try:
        held = _read(client, bucket)
        if held is not None and held.token == mine.token:
            client.delete_object(Bucket=bucket, Key=LOCK_KEY)
    except Exception as exc:  # noqa: BLE001 - a stale lock is recoverable with --force-unlock
        logging.getLogger(__name__).warning("could not release %s in %s: %s", LOCK_KEY, bucket,
                                            exc)


@contextmanager
def locked(client: Any, bucket: str, operation: str, *, force_unlock: bool = False,
           enabled: bool = True) -> Iterator[LockInfo | None]:
    """Hold the bucket lock for the body; ``enabled=False`` (dry runs) takes no lock."""
    if not enabled:
        yield None
        return
    mine = acquire(client, bucket, operation, force_unlock=force_unlock)
    try:
        yield mine
    finally:
        release(client, bucket, mine)
