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
  of a few kilobytes wastes less than the wait.

boto3/botocore only: this module ships in the CDK Lambda with the rest of the engine.
"""

from __future__ import annotations

from typing import Any

from site_builder.deploy.apply import DEFAULT_WORKERS


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


def deploy_client(session: Any, workers: int = DEFAULT_WORKERS, **kwargs: Any) -> Any:
    """An S3 client from a boto3 ``session`` (or the ``boto3`` module) set up for deploys;
    ``kwargs`` go to ``session.client`` (region, endpoint, credentials; ``config_extra`` to
    the Config)."""
    extra = kwargs.pop("config_extra", {}) or {}
    return without_expect_continue(
        session.client("s3", config=client_config(workers, **extra), **kwargs))
