"""How the site bucket is configured: one source of truth for the CDK stack and `notes up`.

The CDK stack (infra/stack.py) turns the statements of :func:`public_read_policy` into
``iam.PolicyStatement.from_json`` and the local ``notes up`` puts the same document with boto3,
so the bucket a user tries locally is the bucket CloudFormation provisions.

Pure and standard-library only: the deploy Lambda and the CLI both import it cheaply.

Why the policy looks the way it does:

* **Anonymous ``s3:GetObject`` on ``<bucket>/*`` only.**  The website endpoint serves objects by
  key.  No ``s3:ListBucket`` (nobody may enumerate keys, e.g. drafts removed from the site) and
  no ``s3:GetObjectVersion`` (old and rolled-back content stays unreadable by version id: a
  rollback really takes content offline, while the versions remain for the owner).
* **``_notes/*`` is denied to every principal outside the account.**  Deploy records and the
  lock live there.  ``aws:PrincipalAccount`` is absent from anonymous requests, and a negated
  operator (``StringNotEquals``) on a missing key is *true*, so the deny covers the anonymous
  public too, which overrides the public Allow above.  The account's own roles (the deploy
  Lambda, the CLI user) are unaffected.
* **Signed requests must use TLS.**  The website endpoint is HTTP-only, and its anonymous GETs
  reach the policy with ``aws:SecureTransport = false``: the usual blanket "deny when not TLS"
  would take the whole site offline.  So the deny applies to requests that carry a principal
  (``aws:PrincipalAccount`` present, i.e. every signed request: owner, roles, other accounts).
  Anonymous requests are left out of it, and the only thing anonymous requests are allowed to
  do at all is ``s3:GetObject`` of public objects, which the HTTP website serves anyway.
"""

from __future__ import annotations

from typing import Any

INDEX_DOCUMENT = "index.html"
ERROR_DOCUMENT = "404.html"
PRIVATE_PREFIX = "_notes/"

POLICY_VERSION = "2012-10-17"
SID_PUBLIC_READ = "PublicReadSiteObjects"
SID_PRIVATE_PREFIX = "DenyPrivatePrefixOutsideAccount"
SID_TLS = "DenyInsecureSignedRequests"


def public_read_statements(bucket_arn: str, account_id: str) -> list[dict[str, Any]]:
    """The bucket policy's statements, in IAM JSON form (``Sid``, ``Effect``, ...).

    ``bucket_arn`` and ``account_id`` may be CDK tokens: they are only used inside strings.
    """
    objects = f"{bucket_arn}/*"
    return [
        {
            "Sid": SID_PUBLIC_READ,
            "Effect": "Allow",
            "Principal": "*",
            "Action": "s3:GetObject",
            "Resource": objects,
        },
        {
            "Sid": SID_PRIVATE_PREFIX,
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": f"{bucket_arn}/{PRIVATE_PREFIX}*",
            "Condition": {"StringNotEquals": {"aws:PrincipalAccount": account_id}},
        },
        {
            "Sid": SID_TLS,
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [bucket_arn, objects],
            "Condition": {
                "Bool": {"aws:SecureTransport": "false"},
                "Null": {"aws:PrincipalAccount": "false"},
            },
        },
    ]


def public_read_policy(bucket_arn: str, account_id: str) -> dict[str, Any]:
    """The whole bucket policy document, ready for ``put_bucket_policy(Policy=json.dumps(...))``."""
    return {"Version": POLICY_VERSION, "Statement": public_read_statements(bucket_arn, account_id)}


def bucket_arn(bucket: str, partition: str = "aws") -> str:
    """``arn:aws:s3:::<bucket>`` (for `notes up`, which has a name, not an ARN)."""
    return f"arn:{partition}:s3:::{bucket}"


def website_configuration() -> dict[str, Any]:
    """The ``WebsiteConfiguration`` argument of boto3's ``put_bucket_website``."""
    return {
        "IndexDocument": {"Suffix": INDEX_DOCUMENT},
        "ErrorDocument": {"Key": ERROR_DOCUMENT},
    }


def public_access_block() -> dict[str, bool]:
    """``PublicAccessBlockConfiguration`` for ``put_public_access_block``.

    ACLs stay blocked (ownership is BucketOwnerEnforced anyway); a public *policy* must be
    allowed, otherwise PutBucketPolicy fails with AccessDenied and the website cannot serve.
    """
    return {
        "BlockPublicAcls": True,
        "IgnorePublicAcls": True,
        "BlockPublicPolicy": False,
        "RestrictPublicBuckets": False,
    }
