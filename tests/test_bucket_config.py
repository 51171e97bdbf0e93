"""The bucket policy and website configuration shared by the CDK stack and `notes up`.

Besides the exact document, a tiny evaluator of the IAM features the policy uses (Allow/Deny,
``*`` resources, ``StringNotEquals``/``Bool``/``Null`` with AWS's missing-key rules) replays the
requests that matter: the HTTP website's anonymous GETs must pass, everything else must not.
"""

from __future__ import annotations

import fnmatch
import json

import pytest

from site_builder.core import bucket_config as bc

ARN = "arn:aws:s3:::notes-site"
ACCOUNT = "111122223333"
OTHER = "999988887777"


def _policy() -> dict:
    return bc.public_read_policy(ARN, ACCOUNT)


def test_constants() -> None:
    assert (bc.INDEX_DOCUMENT, bc.ERROR_DOCUMENT, bc.PRIVATE_PREFIX) == (
        "index.html",
        "404.html",
        "_notes/",
    )


def test_policy_document_exact() -> None:
    assert _policy() == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "PublicReadSiteObjects",
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::notes-site/*",
            },
            {
                "Sid": "DenyPrivatePrefixOutsideAccount",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": "arn:aws:s3:::notes-site/_notes/*",
                "Condition": {"StringNotEquals": {"aws:PrincipalAccount": ACCOUNT}},
            },
            {
                "Sid": "DenyInsecureSignedRequests",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": ["arn:aws:s3:::notes-site", "arn:aws:s3:::notes-site/*"],
                "Condition": {
                    "Bool": {"aws:SecureTransport": "false"},
                    "Null": {"aws:PrincipalAccount": "false"},
                },
            },
        ],
    }


def test_only_allow_is_get_object() -> None:
    allows = [s for s in _policy()["Statement"] if s["Effect"] == "Allow"]
    actions = {
        a for s in allows for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    }
    assert actions == {"s3:GetObject"}
    assert "s3:ListBucket" not in json.dumps(_policy())
    assert "GetObjectVersion" not in json.dumps(_policy())


def test_website_configuration_and_public_access_block() -> None:
    assert bc.website_configuration() == {
        "IndexDocument": {"Suffix": "index.html"},
        "ErrorDocument": {"Key": "404.html"},
    }
    assert bc.public_access_block() == {
        "BlockPublicAcls": True,
        "IgnorePublicAcls": True,
        "BlockPublicPolicy": False,
        "RestrictPublicBuckets": False,
    }
    assert bc.bucket_arn("b") == "arn:aws:s3:::b"


def test_accepted_by_s3_api(s3) -> None:
    """The shapes are valid boto3/S3 arguments (moto validates the policy JSON and website)."""
    s3.create_bucket(Bucket="notes-site")
    s3.put_public_access_block(
        Bucket="notes-site", PublicAccessBlockConfiguration=bc.public_access_block()
    )
    s3.put_bucket_policy(
        Bucket="notes-site",
        Policy=json.dumps(bc.public_read_policy(bc.bucket_arn("notes-site"), ACCOUNT)),
    )
    s3.put_bucket_website(Bucket="notes-site", WebsiteConfiguration=bc.website_configuration())
    stored = json.loads(s3.get_bucket_policy(Bucket="notes-site")["Policy"])
    assert [s["Sid"] for s in stored["Statement"]] == [
        "PublicReadSiteObjects",
        "DenyPrivatePrefixOutsideAccount",
        "DenyInsecureSignedRequests",
    ]
    site = s3.get_bucket_website(Bucket="notes-site")
    assert site["IndexDocument"] == {"Suffix": "index.html"}
    assert site["ErrorDocument"] == {"Key": "404.html"}


# --- a minimal evaluator of the features this policy uses --------------------------------


def _as_list(v) -> list:
    return v if isinstance(v, list) else [v]


def _condition_holds(cond: dict, ctx: dict) -> bool:
    for op, keys in cond.items():
        for key, want in keys.items():
            present = key in ctx
            if op == "StringNotEquals":  # negated operator: a missing key matches
                ok = not present or ctx[key] not in _as_list(want)
            elif op == "Bool":  # a missing key does not match
                ok = present and str(ctx[key]).lower() == str(want).lower()
            elif op == "Null":  # "false" = key must be present
                ok = present == (str(want).lower() == "false")
            else:  # pragma: no cover - the policy uses no other operator
                raise AssertionError(f"unsupported operator {op}")
            if not ok:
                return False
    return True


def _decide(action: str, resource: str, ctx: dict) -> str:
    allowed = False
    for st in _policy()["Statement"]:
        if not any(fnmatch.fnmatchcase(action, a) for a in _as_list(st["Action"])):
            continue
        if not any(fnmatch.fnmatchcase(resource, r) for r in _as_list(st["Resource"])):
            continue
        if not _condition_holds(st.get("Condition", {}), ctx):
            continue
        if st["Effect"] == "Deny":
            return "deny"
        allowed = True
    return "allow" if allowed else "implicit-deny"


ANON_HTTP = {"aws:SecureTransport": False}
ANON_TLS = {"aws:SecureTransport": True}
OWNER_TLS = {"aws:SecureTransport": True, "aws:PrincipalAccount": ACCOUNT}
OWNER_HTTP = {"aws:SecureTransport": False, "aws:PrincipalAccount": ACCOUNT}
OTHER_TLS = {"aws:SecureTransport": True, "aws:PrincipalAccount": OTHER}


@pytest.mark.parametrize(
    ("action", "resource", "ctx", "expected"),
    [
        # The HTTP website endpoint: anonymous GETs without TLS must work.
        ("s3:GetObject", f"{ARN}/index.html", ANON_HTTP, "allow"),
        ("s3:GetObject", f"{ARN}/docker/networking/index.html", ANON_TLS, "allow"),
        # Nothing else is public.
        ("s3:ListBucket", ARN, ANON_HTTP, "implicit-deny"),
        ("s3:GetObjectVersion", f"{ARN}/index.html", ANON_TLS, "implicit-deny"),
        ("s3:PutObject", f"{ARN}/index.html", ANON_TLS, "implicit-deny"),
        # The private prefix: denied to the public and other accounts, not to the owner.
        ("s3:GetObject", f"{ARN}/_notes/deploys/1.json", ANON_HTTP, "deny"),
        ("s3:GetObject", f"{ARN}/_notes/lock", ANON_TLS, "deny"),
        ("s3:GetObject", f"{ARN}/_notes/lock", OTHER_TLS, "deny"),
        ("s3:PutObject", f"{ARN}/_notes/lock", OWNER_TLS, "implicit-deny"),  # IAM decides
        # Signed requests without TLS are refused, whatever the action.
        ("s3:PutObject", f"{ARN}/index.html", OWNER_HTTP, "deny"),
        ("s3:ListBucket", ARN, OWNER_HTTP, "deny"),
        ("s3:GetObject", f"{ARN}/index.html", OWNER_HTTP, "deny"),
    ],
)
def test_policy_decisions(action: str, resource: str, ctx: dict, expected: str) -> None:
    assert _decide(action, resource, ctx) == expected
