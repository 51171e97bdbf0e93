"""The stack's settings, read from CDK context (cdk.json defaults, `-c key=value` overrides).

Context values given on the command line arrive as strings ("false", "30"), values from
cdk.json as JSON types, so both are accepted.  A bad value is a user error: it raises a
``DeployError`` that app.py prints as one ``Error: ...`` line.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from site_builder.core.errors import DeployError

DEFAULT_STACK_NAME = "NotesSite"
DEFAULT_NONCURRENT_DAYS = 365


@dataclass(frozen=True)
class StackSettings:
    """What a user may choose about the stack without editing code."""

    stack_name: str = DEFAULT_STACK_NAME
    noncurrent_version_days: int = DEFAULT_NONCURRENT_DAYS  # 0 = keep old versions forever
    retain: bool = True  # keep the bucket (and every version) when the stack is deleted
    allow_mass_delete: bool = False  # let a publish delete most of the live site
    # HTTPS through CloudFront (infra/cdn.py); off = the stack is exactly the bucket website.
    https: bool = False
    domain_name: str | None = None  # e.g. notes.example.com (needs a certificate, see below)
    alternate_names: tuple[str, ...] = ()  # more names on the same certificate/distribution
    hosted_zone_id: str | None = None  # Route 53 zone: the stack makes the certificate + records
    hosted_zone_name: str | None = None  # optional, checks the names belong to the zone
    certificate_arn: str | None = None  # an existing us-east-1 certificate; DNS is yours
    # CI (infra/ci_role.py): the GitHub repository whose main branch may deploy, and an
    # existing GitHub OIDC provider of the account (else the stack makes one).
    github_repo: str | None = None
    github_oidc_provider_arn: str | None = None


def _as_bool(name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1", "yes"):
        return True
    if text in ("false", "0", "no"):
        return False
    raise DeployError(
        f"context {name}={value!r} is not a boolean", f"use -c {name}=true or -c {name}=false"
    )


def _as_days(name: str, value: Any) -> int:
    try:
        days = int(str(value).strip())
    except ValueError:
        days = -1
    if isinstance(value, bool) or days < 0:
        raise DeployError(
            f"context {name}={value!r} is not a number of days",
            f"use a whole number >= 0, e.g. -c {name}=365 (0 keeps old versions forever)",
        )
    return days


_HOSTNAME = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_CERT_ARN = re.compile(r"^arn:aws[a-z-]*:acm:([a-z0-9-]+):\d{12}:certificate/[0-9a-f-]+$")
_HTTPS_KEYS = ("domainName", "alternateNames", "hostedZoneId", "hostedZoneName",
               "certificateArn")


def _text(get: Callable[[str], Any], name: str) -> str | None:
    value = get(name)
    text = "" if value is None else str(value).strip().rstrip(".").lower()
    return text or None


def _hostname(name: str, value: str) -> str:
    if not _HOSTNAME.match(value):
        raise DeployError(f"context {name}={value!r} is not a domain name",
                          f"use a name such as -c {name}=notes.example.com")
    return value


def _names(get: Callable[[str], Any]) -> tuple[str, ...]:
    """alternateNames: a JSON list in cdk.json, or "a.example.com,b.example.com" with -c."""
    value = get("alternateNames")
    items = value if isinstance(value, list) else str(value or "").split(",")
    names = [str(v).strip().rstrip(".").lower() for v in items if str(v).strip()]
    return tuple(dict.fromkeys(_hostname("alternateNames", n) for n in names))


def _https_settings(get: Callable[[str], Any]) -> dict[str, Any]:
    """The CloudFront keys, checked together: each mistake is one line naming the key."""
    https = _as_bool("https", get("https") if get("https") is not None else False)
    given = [k for k in _HTTPS_KEYS if get(k) not in (None, "", [])]
    if not https:
        if given:
            raise DeployError(f"context {given[0]} needs https=true",
                              "add -c https=true (or \"https\": true in cdk.json)")
        return {}
    domain = _text(get, "domainName")
    domain = domain and _hostname("domainName", domain)
    zone_id, zone_name = get("hostedZoneId"), _text(get, "hostedZoneName")
    zone_id = str(zone_id).strip() if zone_id not in (None, "") else None
    cert = _text(get, "certificateArn")
    alternates = _names(get)
    if not domain and given:
        raise DeployError(f"context {given[0]} needs domainName",
                          "add -c domainName=notes.example.com, or remove it to use the "
                          "distribution's own *.cloudfront.net name")
    if domain and not (zone_id or cert):
        raise DeployError(f"context domainName={domain} needs a certificate",
                          "add -c hostedZoneId=Z... (Route 53 zone: the stack creates it) or "
                          "-c certificateArn=arn:aws:acm:us-east-1:... (an existing one)")
    if zone_name and not zone_id:
        raise DeployError("context hostedZoneName needs hostedZoneId",
                          "add -c hostedZoneId=Z... (the zone is never looked up: synth "
                          "stays offline)")
    if zone_name:
        for name in (domain, *alternates):
            if name != zone_name and not name.endswith("." + zone_name):
                raise DeployError(f"{name} is not in the hosted zone {zone_name}",
                                  "use names under hostedZoneName, or another zone")
    if cert:
        cert = str(get("certificateArn")).strip()
        match = _CERT_ARN.match(cert)
        if not match or match.group(1) != "us-east-1":
            raise DeployError(f"context certificateArn={cert!r} is not an ACM certificate "
                              "in us-east-1",
                              "CloudFront only uses certificates from us-east-1; request one "
                              "there (see docs/content/publishing/https.md)")
    return {"https": True, "domain_name": domain, "alternate_names": alternates,
            "hosted_zone_id": zone_id, "hosted_zone_name": zone_name, "certificate_arn": cert}


_REPO = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}$")
_PROVIDER_ARN = re.compile(
    r"^arn:aws[a-z-]*:iam::\d{12}:oidc-provider/token\.actions\.githubusercontent\.com$")


def _github_settings(get: Callable[[str], Any]) -> dict[str, Any]:
    """githubRepo=owner/repo adds the CI deploy role; githubOidcProvider reuses a provider."""
    repo = str(get("githubRepo") or "").strip()
    provider = str(get("githubOidcProvider") or "").strip()
    if provider and not repo:
        raise DeployError("context githubOidcProvider needs githubRepo",
                          "add -c githubRepo=OWNER/REPO (the repository allowed to deploy)")
    if repo and not _REPO.match(repo):
        raise DeployError(f"context githubRepo={repo!r} is not a GitHub repository",
                          "use -c githubRepo=OWNER/REPO, e.g. -c githubRepo=ada/notes")
    if provider and not _PROVIDER_ARN.match(provider):
        raise DeployError(f"context githubOidcProvider={provider!r} is not the ARN of a "
                          "GitHub OIDC provider",
                          "use arn:aws:iam::ACCOUNT:oidc-provider/token.actions."
                          "githubusercontent.com (`aws iam list-open-id-connect-providers`)")
    return {"github_repo": repo or None, "github_oidc_provider_arn": provider or None}


def settings_from_context(get: Callable[[str], Any]) -> StackSettings:
    """Build settings from a context getter such as ``app.node.try_get_context``."""

    def pick(key: str, default: Any) -> Any:
        value = get(key)
        return default if value is None else value

    name = str(pick("stackName", DEFAULT_STACK_NAME)).strip()
    if not name:
        raise DeployError("context stackName is empty", "use -c stackName=NotesSite")
    return StackSettings(
        stack_name=name,
        noncurrent_version_days=_as_days(
            "noncurrentVersionDays", pick("noncurrentVersionDays", DEFAULT_NONCURRENT_DAYS)
        ),
        retain=_as_bool("retain", pick("retain", True)),
        allow_mass_delete=_as_bool("allowMassDelete", pick("allowMassDelete", False)),
        **_https_settings(get),
        **_github_settings(get),
    )
