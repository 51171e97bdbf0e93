"""CloudFront invalidation: tell the edge caches exactly which URLs a deploy or rollback changed.

Which keys: every key the plan wrote (new, changed, restored) or deleted, plus the keys whose
live version differs from the latest record (what a deploy that failed before writing its
record left live: the re-run that repairs the record also invalidates them).  A new key is
included because a reader who tried its URL before may have a 404 cached at the edge.
Content-hashed files (``headers.is_content_hashed``) never are: their URL changes with their
bytes, so a cached copy is never stale.

Which paths: S3 serves ``a/b/index.html`` at ``/a/b/`` (the link every page uses) and at
``/a/b/index.html``, and CloudFront caches each URL separately, so a page is two paths; the
root ``index.html`` is ``/`` and ``/index.html``.  Paths are URL-encoded, so a ``*`` in a key
cannot act as a wildcard.  CloudFront bills invalidation paths beyond 1,000 a month, and a
wildcard ``/*`` counts as one path: above ``max_paths`` (default 60) the list collapses to ``/*``,
which costs one path and only refetches from the bucket what readers ask for next.

When: inside ``apply``, after the uploads and deletions and before the deploy record, whose
``invalidation`` field lists the request's id and paths.  So a record exists only for a deploy
whose edges were told; if the invalidation fails, the error says so, no record is written, and
running the command again invalidates the same keys (they are then "live but not recorded").
The alternative, invalidating after the record is written, would need a second write to an
append-only record or a sidecar object that history would have to join.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from typing import Any
from urllib.parse import quote

from site_builder.core.errors import DeployError
from site_builder.deploy.headers import is_content_hashed
from site_builder.deploy.plan import Plan
from site_builder.deploy.record import DeployRecord, Invalidation
from site_builder.deploy.remote import RemoteObject

DEFAULT_MAX_PATHS = 60  # a typical one-note edit needs 10-30 paths; 1,000 a month are free
WILDCARD = "/*"
INDEX = "index.html"

# (keys, caller reference) -> the invalidation created, or None when there was nothing to do
Invalidator = Callable[[frozenset[str], str], Invalidation | None]


def changed_keys(plan: Plan, recorded: DeployRecord | None = None,
                 live: Mapping[str, RemoteObject] | None = None) -> frozenset[str]:
    """Keys the plan writes or deletes, plus live keys the latest record does not describe."""
    keys = {u.key for u in plan.uploads} | set(plan.deletes)
    if live is not None:
        files = recorded.files if recorded is not None else {}
        keys |= {k for k, obj in live.items()
                 if k not in files or files[k].version_id != obj.version_id}
        keys |= set(files) - set(live)
    return frozenset(keys)


def key_paths(key: str) -> tuple[str, ...]:
    """The URL paths under which CloudFront may have cached ``key``."""
    path = "/" + quote(key, safe="/")
    if key == INDEX or key.endswith("/" + INDEX):
        return (path[: -len(INDEX)], path)
    return (path,)


def invalidation_paths(keys: Iterable[str], max_paths: int = DEFAULT_MAX_PATHS
                       ) -> tuple[str, ...]:
    """Sorted paths to invalidate for ``keys``; ``("/*",)`` above ``max_paths``; () if none."""
    paths = sorted({p for k in keys if not is_content_hashed(k) for p in key_paths(k)})
    if len(paths) > max(1, max_paths):
        return (WILDCARD,)
    return tuple(paths)


def plan_paths(plan: Plan, max_paths: int = DEFAULT_MAX_PATHS) -> tuple[str, ...]:
    """What a plan alone would invalidate (the dry run shows this)."""
    return invalidation_paths(changed_keys(plan), max_paths)


def _error(exc: Exception, distribution_id: str) -> DeployError | None:
    """A one-line DeployError for an AWS failure; None for anything else (a bug)."""
    from botocore.exceptions import BotoCoreError, ClientError

    from site_builder.deploy.errors import client_error_code

    where = f"CloudFront distribution {distribution_id!r}"
    retry = ("the new files are live but no deploy record was written; run the command again "
             "to invalidate them and record the deploy")
    if isinstance(exc, BotoCoreError):
        return DeployError(f"invalidating {where} failed: {exc}", retry)
    if not isinstance(exc, ClientError):
        return None
    code = client_error_code(exc)
    if code == "NoSuchDistribution":
        return DeployError(f"{where} does not exist",
                           "check --distribution, [deploy] distribution in notes.toml, or the "
                           f"stack's DistributionId output; {retry}")
    if code in ("AccessDenied", "AccessDeniedException"):
        return DeployError(f"access denied: cannot invalidate {where}",
                           f"allow cloudfront:CreateInvalidation on it; {retry}")
    message = exc.response.get("Error", {}).get("Message", "")
    return DeployError(f"invalidating {where} failed: {code} {message}".rstrip(), retry)


def invalidate(cloudfront: Any, distribution_id: str, keys: Iterable[str], reference: str, *,
               max_paths: int = DEFAULT_MAX_PATHS) -> Invalidation | None:
    """One CreateInvalidation for ``keys``; None (no request at all) when no path needs it.

    ``reference`` (the deploy record's id) is the CallerReference, so a retried request is
    the same invalidation, not a second one.
    """
    paths = invalidation_paths(keys, max_paths)
    if not paths:
        return None
    try:
        response = cloudfront.create_invalidation(
            DistributionId=distribution_id,
            InvalidationBatch={"Paths": {"Quantity": len(paths), "Items": list(paths)},
                               "CallerReference": reference},
        )
    except Exception as exc:
        mapped = _error(exc, distribution_id)
        if mapped is None:
            raise
        raise mapped from exc
    return Invalidation(distribution_id, response["Invalidation"]["Id"], paths)


def invalidator(cloudfront: Any, distribution_id: str, *,
                max_paths: int = DEFAULT_MAX_PATHS) -> Invalidator:
    """The callback ``publish``/``rollback`` take: invalidate on this distribution."""

    def run(keys: frozenset[str], reference: str) -> Invalidation | None:
        return invalidate(cloudfront, distribution_id, keys, reference, max_paths=max_paths)

    return run


def with_invalidation(record: DeployRecord, run: Invalidator | None,
                      keys: frozenset[str]) -> DeployRecord:
    """Invalidate ``keys`` (if a distribution is configured); the record, listing the request."""
    if run is None:
        return record
    done = run(keys, record.id)
    return replace(record, invalidation=done) if done else record
