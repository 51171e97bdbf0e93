"""S3 client settings for deploys: enough pooled connections, no duplicated per-request work.

The engine takes an injected client (tests pass moto's); whoever makes one for a deploy (the
CLI, the CDK Lambda, ``notes up``, the benchmark) asks here for its settings, so every deploy
path runs with the same:

* ``max_pool_connections`` >= the upload threads: botocore's default pool of 10 behind 16
  threads opens and drops a TCP connection for every request over the limit;
* checksums only where S3 requires them: every PUT already carries ``Content-MD5`` (S3 rejects
  mismatched bytes), so botocore's default CRC32 of every body (and of every response) is a
  second hash of the same bytes;
* no ``Expect: 100-continue``: botocore adds it to every PUT with a body, which costs a round
  trip (wait for ``100 Continue``, then send) per file; site files are small, and a rejected PUT
  of a few kilobytes wastes less than the wait;
* ListObjectsV2 pages (the drift check of every deploy, ``current``) parsed with ElementTree:
  botocore parses each field of each listed object through its shape model and every
  LastModified with dateutil, about 50 ms of CPU per 1,000 objects (170 ms with dateutil's
  share); ``fast_listing`` reads the ``<Contents>`` elements in one C-parser pass (a few ms)
  and hands botocore the rest of the page, so the result has the same keys and types.

boto3/botocore only: this module ships in the CDK Lambda with the rest of the engine.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from xml.etree import ElementTree

from site_builder.deploy.apply import DEFAULT_WORKERS

_OPEN, _CLOSE = b"<Contents>", b"</Contents>"


def client_config(workers: int = DEFAULT_WORKERS, **extra: Any) -> Any:
    """A ``botocore.config.Config`` for a deploy with ``workers`` upload threads; ``extra``
    is passed through (retries, addressing style).  Settings an older botocore does not know
    (the Lambda runtime's) are left out."""
    from botocore.config import Config

    pool = {"max_pool_connections": max(32, 2 * workers)}
    try:
        return Config(**pool, request_checksum_calculation="when_required",
                      response_checksum_validation="when_required", **extra)
    except TypeError:  # botocore < 1.36 has neither setting (nor the CRC32 they turn off)
        return Config(**pool, **extra)


def without_expect_continue(client: Any) -> Any:
    """``client`` with botocore's ``Expect: 100-continue`` handler removed (see above)."""
    try:
        from botocore.handlers import add_expect_header
    except ImportError:  # pragma: no cover - every botocore since 2015 has it
        return client
    client.meta.events.unregister("before-call.s3", add_expect_header)
    return client


def _timestamp(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text)  # S3's 2026-01-02T03:04:05.000Z
    except ValueError:
        from botocore.utils import parse_timestamp

        return parse_timestamp(text)


def fast_listing(response_dict: dict[str, Any], customized_response_dict: dict[str, Any],
                 **_: Any) -> None:
    """A ``before-parse`` handler for ListObjectsV2: move the page's ``<Contents>`` out of
    the body botocore will parse and into the result as botocore would give them (Key, ETag
    with its quotes, Size, LastModified as an aware datetime, StorageClass).  Keys stay as
    sent (URL-encoded when botocore asked for that), so its decoding step still applies."""
    body = response_dict.get("body")
    if response_dict.get("status_code") != 200 or not isinstance(body, bytes):
        return
    start, end = body.find(_OPEN), body.rfind(_CLOSE)
    if start < 0 or end < start:
        return
    end += len(_CLOSE)
    try:  # the fragment has no namespace declaration, so tags come out bare
        root = ElementTree.fromstring(b"<C>" + body[start:end] + b"</C>")
        contents = []
        for item in root:
            got = {child.tag: child.text or "" for child in item}
            entry = {"Key": got["Key"], "LastModified": _timestamp(got["LastModified"]),
                     "ETag": got.get("ETag", ""), "Size": int(got.get("Size") or 0),
                     "StorageClass": got.get("StorageClass", "STANDARD")}
            if "ChecksumAlgorithm" in got:
                entry["ChecksumAlgorithm"] = [c.text or "" for c in item
                                              if c.tag == "ChecksumAlgorithm"]
            contents.append(entry)
    except (ElementTree.ParseError, KeyError, ValueError):
        return  # botocore parses the page as it came
    response_dict["body"] = body[:start] + body[end:]
    customized_response_dict["Contents"] = contents


def with_fast_listing(client: Any) -> Any:
    """``client`` with ListObjectsV2 pages parsed by ``fast_listing``."""
    client.meta.events.register("before-parse.s3.ListObjectsV2", fast_listing)
    return client


def deploy_client(session: Any, workers: int = DEFAULT_WORKERS, **kwargs: Any) -> Any:
    """An S3 client from a boto3 ``session`` (or the ``boto3`` module, or a botocore session)
    set up for deploys; ``kwargs`` go to its ``client`` (``create_client``): region,
    endpoint, credentials; ``config_extra`` to the Config."""
    extra = kwargs.pop("config_extra", {}) or {}
    make = getattr(session, "create_client", None) or session.client
    return with_fast_listing(without_expect_continue(
        make("s3", config=client_config(workers, **extra), **kwargs)))
