"""An embedded S3 for ``notes up``: moto's server in this process, on 127.0.0.1 only.

Why moto's *server* rather than its in-process mock: other terminals must be able to reach the
same bucket (``notes history/rollback/verify --endpoint-url ...``) while ``notes up`` runs.
The bucket is configured from ``site_builder.core.bucket_config`` — the same versioning, website
configuration, public-access block and policy document the CDK stack uses — so what a user tries
locally is what CloudFormation provisions.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import urllib.request
from typing import Any, Self

from site_builder.core import bucket_config
from site_builder.serve.leans3 import fast_timestamp_session, lean_version_listing
from site_builder.serve.website import check_port_free

DEFAULT_BUCKET = "notes-local"
DUMMY_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "notes-local",
    "AWS_SECRET_ACCESS_KEY": "notes-local",
    "AWS_DEFAULT_REGION": "us-east-1",
}
_CREDENTIAL_VARS_TO_DROP = ("AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_PROFILE")


def use_dummy_credentials() -> None:
    """Point this process's AWS configuration at dummy values, so nothing can reach real AWS
    with real credentials by accident (and boto3 never searches for any)."""
    os.environ.update(DUMMY_CREDENTIALS)
    os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
    for name in _CREDENTIAL_VARS_TO_DROP:
        os.environ.pop(name, None)


_OBJECT_MUTEX = threading.RLock()
# moto's handlers of the requests on one object: run one at a time (see below).
_OBJECT_REQUESTS = ("put_object", "get_object", "head_object", "delete_object", "copy_object")


def atomic_object_requests() -> None:
    """Make moto answer each request on an object as S3 does: at once, never half-way.

    S3 evaluates a conditional write atomically: of two writers conditional on one ETag, one
    gets 412, and the deploy lock rests on that.  moto 5.2 checks the condition, then writes;
    a thread switch between the two lets two racing lock breakers both win (with a 1 µs switch
    interval: 15 rounds in 40 in-process, 2-3 in 40 over HTTP).  Likewise a GET that found a
    version reads its bytes after another thread deleted that version (moto closes its buffer:
    ValueError, where S3 returns the object): a lock breaker reading the lock while the winner
    deletes the broken version.  Two terminals deploying to ``notes up`` race like that, so
    the embedded S3 keeps S3's promises; the tests' in-process mock calls this too.
    Idempotent.
    """
    from moto.s3.responses import S3Response

    for name in _OBJECT_REQUESTS:
        original = getattr(S3Response, name)
        if getattr(original, "atomic", False):
            continue

        def one_at_a_time(self: S3Response, *args: Any, _original: Any = original,
                          **kwargs: Any) -> Any:
            with _OBJECT_MUTEX:
                return _original(self, *args, **kwargs)

        one_at_a_time.atomic = True  # type: ignore[attr-defined]
        setattr(S3Response, name, one_at_a_time)


class EmbeddedS3:
    """moto's ThreadedMotoServer on ``host:port``; a context manager that always stops it."""

    def __init__(self, port: int = 4566, host: str = "127.0.0.1"):
        self.host = host
        self.requested_port = port
        self._server: Any = None

    def start(self) -> Self:
        from moto.server import ThreadedMotoServer

        atomic_object_requests()
        lean_version_listing()
        check_port_free(self.host, self.requested_port, "--s3-port")
        werkzeug = logging.getLogger("werkzeug")  # one log line per request otherwise
        werkzeug.addHandler(logging.NullHandler())
        werkzeug.setLevel(logging.WARNING)
        self._server = ThreadedMotoServer(self.host, self.requested_port, verbose=False)
        self._server.start()
        self._reset()
        return self

    def _reset(self) -> None:
        """Start empty.  moto keeps its state per *process*, so a second embedded server in
        the same process (tests, or a restart in one interpreter) would inherit old buckets
        and a stale deploy lock without this."""
        request = urllib.request.Request(f"{self.endpoint_url}/moto-api/reset", method="POST")
        with urllib.request.urlopen(request, timeout=10) as response:
            response.read()

    @property
    def endpoint_url(self) -> str:
        host, port = self._server.get_host_and_port()
        return f"http://{host}:{port}"

    def client(self) -> Any:
        """A boto3 S3 client for the embedded endpoint (path-style, like the CLI's), parsing
        timestamps quickly (``leans3.parse_timestamp``)."""
        from site_builder.deploy.client import deploy_client

        return deploy_client(
            fast_timestamp_session(),
            region_name=DUMMY_CREDENTIALS["AWS_DEFAULT_REGION"],
            endpoint_url=self.endpoint_url,
            aws_access_key_id=DUMMY_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=DUMMY_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
            config_extra={"s3": {"addressing_style": "path"}},
        )

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def account_id(client: Any) -> str:
    """The account the embedded endpoint answers for (moto's default when STS is silent)."""
    import boto3

    try:
        sts = boto3.client(
            "sts",
            region_name=client.meta.region_name,
            endpoint_url=client.meta.endpoint_url,
            aws_access_key_id=DUMMY_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=DUMMY_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        )
        return str(sts.get_caller_identity()["Account"])
    except Exception:  # noqa: BLE001 - the id only fills the policy's account condition
        return "123456789012"


def create_site_bucket(client: Any, bucket: str = DEFAULT_BUCKET) -> None:
    """Create ``bucket`` configured like the CDK stack's (idempotent)."""
    existing = {b["Name"] for b in client.list_buckets().get("Buckets", [])}
    if bucket not in existing:
        client.create_bucket(Bucket=bucket)
    client.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    client.put_bucket_website(
        Bucket=bucket, WebsiteConfiguration=bucket_config.website_configuration()
    )
    client.put_public_access_block(
        Bucket=bucket, PublicAccessBlockConfiguration=bucket_config.public_access_block()
    )
    policy = local_policy(bucket_config.bucket_arn(bucket), account_id(client))
    client.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))


# `notes up` tags its bucket with the address of the website server in front of it, so a
# `notes deploy --endpoint-url ...` from another terminal can print the page to open rather
# than the S3 port.  A tag lives and dies with the in-memory bucket: it can never go stale.
WEBSITE_URL_TAG = "notes:website-url"


def tag_website_url(client: Any, bucket: str, url: str) -> None:
    client.put_bucket_tagging(
        Bucket=bucket, Tagging={"TagSet": [{"Key": WEBSITE_URL_TAG, "Value": url}]}
    )


def tagged_website_url(client: Any, bucket: str) -> str | None:
    """The website address `notes up` stored on ``bucket``; None for any other bucket."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        tags = client.get_bucket_tagging(Bucket=bucket).get("TagSet", [])
    except (ClientError, BotoCoreError):  # NoSuchTagSet, or an endpoint without tagging
        return None
    return next((t["Value"] for t in tags if t.get("Key") == WEBSITE_URL_TAG), None)


# The only condition operator moto's policy evaluation implements; others count as "true".
_MOTO_CONDITION_OPERATORS = frozenset({"StringEquals"})


def local_policy(bucket_arn: str, account: str) -> dict[str, Any]:
    """The stack's policy document, minus the statements moto would misread.

    moto evaluates bucket policies on object requests but treats condition operators it does
    not implement (``StringNotEquals``, ``Bool``, ``Null``) as always true, so the stack's two
    *conditional* Deny statements would deny every request, the owner's uploads included.
    They are left out locally; what they protect is kept another way: the website server
    refuses ``_notes/`` itself (the only public reader here), and TLS does not apply on
    127.0.0.1.  The public-read Allow statement is the stack's, unchanged.
    """
    policy = bucket_config.public_read_policy(bucket_arn, account)
    kept = [
        statement
        for statement in policy["Statement"]
        if set(statement.get("Condition", {})) <= _MOTO_CONDITION_OPERATORS
    ]
    return {**policy, "Statement": kept}
