"""What a deploy lock says and how it is read: its holder, its lease, its age by S3's clock.

Values only (plus the one read), kept apart from :mod:`site_builder.deploy.lock`, which takes,
renews, breaks and releases the lease: the CLI's ``notes unlock`` and error messages need to
describe a lock without pulling in the lease machinery.
"""

from __future__ import annotations

import getpass
import json
import os
import secrets
import socket
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

from botocore.exceptions import ClientError

from site_builder.core.processes import pid_alive
from site_builder.deploy.bounded import LOCK_LIMIT, TooLarge, read_capped
from site_builder.deploy.errors import client_error_code

LOCK_KEY = "_notes/lock"
LEGACY_LEASE = 15 * 60.0  # locks written before leases existed: their old "stale after"
GONE_CODES = {"NoSuchKey", "404", "NoSuchVersion"}
Clock = Callable[[], datetime]


@dataclass(frozen=True)
class Owner:
    """Who holds a lock: enough to find the process, or to know it is gone."""

    user: str
    host: str
    pid: int
    command: str
    operation: str  # an id for this one operation (shown in logs and errors)

    def describe(self) -> str:
        return f"{self.user}@{self.host} pid {self.pid} ({self.command} {self.operation})"


def this_owner(command: str) -> Owner:
    try:
        user = getpass.getuser()
    except Exception:  # noqa: BLE001 - no user database in a Lambda
        user = "unknown"
    op = datetime.now(UTC).strftime("%Y%m%d-%H%M%S-") + secrets.token_hex(2)
    return Owner(user, this_host(), os.getpid(), command, op)


def this_host() -> str:
    """The host name, or in a Lambda its sandbox (log stream): sandboxes share host names and
    pid numbers, so a pid is only meaningful within one."""
    sandbox = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME")
    return f"lambda:{sandbox}" if sandbox else socket.gethostname()


@dataclass(frozen=True)
class LockBody:
    owner: Owner
    token: str
    acquired: str  # ISO 8601, holder's clock (for people; the lease uses the server's)
    lease_seconds: float
    renewed: str = ""  # ISO 8601 of the last heartbeat (holder's clock)
    released: bool = False  # written by `notes unlock`: free, but remembers what it broke
    broke: dict[str, Any] | None = None  # the lock this one replaced, for the record

    def to_json(self) -> bytes:
        return json.dumps(asdict(self), sort_keys=True).encode()

    @classmethod
    def parse(cls, raw: bytes) -> LockBody:
        """Any body at all: unreadable or pre-lease locks become expired-looking bodies."""
        try:
            data = json.loads(raw)
            if "owner" in data:
                return cls(**{**data, "owner": Owner(**data["owner"])})
            # pre-lease format: {holder, operation, started, token}
            owner = Owner(str(data["holder"]), "?", 0, str(data["operation"]), "?")
            return cls(owner, str(data["token"]), str(data["started"]), LEGACY_LEASE)
        except (ValueError, TypeError, KeyError, AttributeError):
            return cls(Owner("unknown", "?", 0, "(unreadable lock)", "?"), "", "?", 0.0)


@dataclass(frozen=True)
class Held:
    """The lock as read from the bucket, with what a conditional write needs."""

    body: LockBody
    etag: str
    version_id: str
    age: timedelta  # since its last write, by the server's clock

    @property
    def expired(self) -> bool:
        return self.age.total_seconds() > self.body.lease_seconds

    @property
    def dead_here(self) -> bool:
        """Held by a process of this host that no longer exists."""
        owner = self.body.owner
        return owner.host == this_host() and owner.pid > 0 and not pid_alive(owner.pid)

    @property
    def stale(self) -> bool:
        return self.body.released or self.expired or self.dead_here

    def describe(self, bucket: str) -> str:
        if self.body.released:
            return f"the lock of bucket {bucket!r} was released by `notes unlock`"
        left = self.body.lease_seconds - self.age.total_seconds()
        state = (f"lease expired {int(-left)} s ago" if left < 0
                 else f"lease renewed {int(self.age.total_seconds())} s ago")
        if self.dead_here:
            state += ", that process is gone"
        return (f"bucket {bucket!r} is locked by {self.body.owner.describe()} since "
                f"{self.body.acquired} ({state})")


def server_now(response: dict[str, Any], clock: Clock | None) -> datetime:
    if clock is not None:
        return clock()
    date = response.get("ResponseMetadata", {}).get("HTTPHeaders", {}).get("date")
    try:
        return parsedate_to_datetime(date).astimezone(UTC) if date else datetime.now(UTC)
    except (TypeError, ValueError):
        return datetime.now(UTC)


def read_lock(client: Any, bucket: str, clock: Clock | None = None) -> Held | None:
    try:
        response = client.get_object(Bucket=bucket, Key=LOCK_KEY)
    except ClientError as exc:
        if client_error_code(exc) in GONE_CODES:
            return None
        raise
    try:
        raw = read_capped(response["Body"], LOCK_LIMIT)
    except TooLarge:
        raw = b""  # not a lock this tool wrote: unreadable, so stale (see LockBody.parse)
    body = LockBody.parse(raw)
    age = server_now(response, clock) - response["LastModified"].astimezone(UTC)
    return Held(body, response["ETag"], response.get("VersionId") or "null", age)
