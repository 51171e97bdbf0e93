"""The store every real deploy and rollback writes through: phase-aware errors, lock check.

``apply`` writes in phases (uploads, then deletions, then the record), and what a user must
know after a failure depends on the phase that failed: after a failed upload nothing was
deleted and no record written; after a failed deletion every upload is done; after a failed
record write the new site is live and only its record is missing.  Wrapping the store gives
each write its phase's message at the point of failure (in the worker thread), without the
writer having to know about messages.  Each write also first checks that the lock is still
ours (:meth:`Lease.check`): an operation whose lock was broken stops before its next write;
and marks the lease as having written (``Lease.wrote``): an operation that wrote but recorded
nothing leaves that fact in the lock at release, so the next one checks the whole bucket.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from site_builder.deploy.errors import aws_errors
from site_builder.deploy.lock import Lease


class GuardedStore:
    """Wraps a ``Store`` (see apply.py); same methods, same results."""

    def __init__(self, store: Any, bucket: str, lease: Lease | None):
        self.store, self.bucket, self.lease = store, bucket, lease

    def _check(self) -> None:
        if self.lease is not None:
            self.lease.check()
            self.lease.wrote = True

    def put(self, upload: Any, body: bytes) -> str:
        self._check()
        with aws_errors(self.bucket, "uploads"):
            return self.store.put(upload, body)

    def copy(self, upload: Any) -> str:
        self._check()
        with aws_errors(self.bucket, "uploads"):
            return self.store.copy(upload)

    def delete(self, keys: Sequence[str]) -> None:
        self._check()
        with aws_errors(self.bucket, "deletes"):
            self.store.delete(keys)

    def write_record(self, record: Any) -> None:
        """The record (which notes any lock this lease broke: ``record_factory(broke_lock=)``);
        once it is written the lease need not hand the break over at release."""
        self._check()
        with aws_errors(self.bucket, "record"):
            self.store.write_record(record)
        if self.lease is not None:
            self.lease.recorded = True

    def __getattr__(self, name: str) -> Any:  # DryRunStore's bookkeeping, future methods
        return getattr(self.store, name)
