"""AWS failures as one-line ``DeployError``s that say what to do.

botocore raises many exception types with long messages; a user needs to know *which* fix
applies.  Every S3 call of the engine runs inside :func:`aws_errors`, which gives the errors a
user can cause (credentials, bucket name, permissions, endpoint) a specific fix, turns any other
botocore error into a generic one-line message, and lets anything else through unchanged (a bug,
with its traceback).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
    PartialCredentialsError,
)

from site_builder.core.errors import DeployError

_CREDENTIALS_FIX = ("configure AWS credentials: `aws configure`, AWS_PROFILE, or "
                    "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY")
_AGAIN = "run the command again (it only redoes what is missing)"
# What is true of the bucket when a write of each phase of ``apply`` fails (see guard.py).
PHASE_FIXES = {
    None: _AGAIN,
    "uploads": f"nothing was deleted and no record was written; {_AGAIN}",
    "deletes": ("every upload is done and some deletions may be done, but no record was "
                f"written; {_AGAIN}"),
    "record": ("the site is live but its deploy record may not have been written; run the "
               "command again to write it"),
}
_BAD_CREDENTIAL_CODES = {"InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken",
                         "InvalidToken", "TokenRefreshRequired"}


def client_error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def translate(exc: Exception, bucket: str, phase: str | None = None) -> DeployError | None:
    """The DeployError for ``exc``, or None when it is not an AWS/botocore error at all.

    Unknown S3 error codes (throttling, 5xx after retries) still become one line: they are
    not bugs in this tool, and the fix is to run the command again.  ``phase`` (uploads,
    deletes, record) says what the bucket holds after a failed write of that phase.
    """
    retry_fix = PHASE_FIXES.get(phase, _AGAIN)
    if isinstance(exc, (NoCredentialsError, PartialCredentialsError)):
        return DeployError("no AWS credentials found", _CREDENTIALS_FIX)
    if isinstance(exc, EndpointConnectionError):
        return DeployError(f"cannot reach S3 at {exc.kwargs.get('endpoint_url', '?')}",
                           "check --endpoint-url/--region and that the server is running")
    if isinstance(exc, BotoCoreError):
        return DeployError(f"S3 request failed: {exc}", retry_fix)
    if not isinstance(exc, ClientError):
        return None
    code = client_error_code(exc)
    op = exc.operation_name
    if code in ("NoSuchBucket",) or (code == "404" and op in ("HeadBucket",)):
        return DeployError(f"bucket {bucket!r} does not exist",
                           "check --bucket/--region, or create it with `npx cdk deploy`")
    if code in ("AccessDenied", "403", "AllAccessDisabled"):
        return DeployError(f"access denied to bucket {bucket!r} ({op})",
                           "use credentials allowed to read and write this bucket")
    if code in _BAD_CREDENTIAL_CODES:
        return DeployError(f"AWS rejected the credentials ({code})", _CREDENTIALS_FIX)
    if code == "NoSuchVersion":
        return DeployError(f"an object version needed for the restore no longer exists in "
                           f"{bucket!r} ({op})",
                           "it expired under the lifecycle rule or the version id is wrong; "
                           "pick a record `notes history` shows as restorable")
    if code == "PermanentRedirect":
        return DeployError(f"bucket {bucket!r} is in another region", "pass its --region")
    message = exc.response.get("Error", {}).get("Message", "")
    return DeployError(f"S3 {op} failed on bucket {bucket!r}: {code} {message}".rstrip(),
                       retry_fix)


@contextmanager
def aws_errors(bucket: str, phase: str | None = None) -> Iterator[None]:
    try:
        yield
    except DeployError:
        raise
    except Exception as exc:
        mapped = translate(exc, bucket, phase)
        if mapped is None:
            raise
        raise mapped from exc


def check_versioning(client: Any, bucket: str) -> None:
    """Rollback needs old versions: refuse to publish to an unversioned bucket.

    This is also the first call of every command, so a wrong name or missing credentials are
    reported before anything else happens.
    """
    with aws_errors(bucket):
        status = client.get_bucket_versioning(Bucket=bucket).get("Status")
    if status != "Enabled":
        raise DeployError(
            f"versioning is not enabled on bucket {bucket!r}",
            f"enable it (`aws s3api put-bucket-versioning --bucket {bucket} "
            "--versioning-configuration Status=Enabled`); the CDK stack does this",
        )
