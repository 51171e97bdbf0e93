"""The CloudFront settings in CDK context: each key checked, each mistake one line naming it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from infra.settings import StackSettings, settings_from_context
from site_builder.core.errors import DeployError

CERT = "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-1111-2222-3333-444455556666"


def _from(values: dict) -> StackSettings:
    return settings_from_context(values.get)


def test_off_by_default_and_in_cdk_json() -> None:
    context = json.loads((Path(__file__).resolve().parents[1] / "cdk.json").read_text())
    assert _from(context["context"]).https is False
    assert _from({}) == StackSettings() and StackSettings().https is False


def test_https_only() -> None:
    assert _from({"https": "true"}) == StackSettings(https=True)


def test_domain_with_zone_from_cdk_json_types() -> None:
    got = _from({"https": True, "domainName": "Notes.Example.com.",
                 "alternateNames": ["www.notes.example.com", "WWW.notes.example.com"],
                 "hostedZoneId": "Z0123", "hostedZoneName": "example.com"})
    assert got == StackSettings(https=True, domain_name="notes.example.com",
                                alternate_names=("www.notes.example.com",),
                                hosted_zone_id="Z0123", hosted_zone_name="example.com")


def test_domain_with_certificate_from_command_line_strings() -> None:
    got = _from({"https": "yes", "domainName": "notes.example.com",
                 "alternateNames": "a.example.com, b.example.com", "certificateArn": CERT})
    assert got == StackSettings(https=True, domain_name="notes.example.com",
                                alternate_names=("a.example.com", "b.example.com"),
                                certificate_arn=CERT)


@pytest.mark.parametrize(("context", "message"), [
    ({"domainName": "notes.example.com"},
     'context domainName needs https=true (add -c https=true (or "https": true in cdk.json))'),
    ({"https": "false", "certificateArn": CERT}, "context certificateArn needs https=true"),
    ({"https": "maybe"}, "context https='maybe' is not a boolean"),
    ({"https": "true", "hostedZoneId": "Z1"}, "context hostedZoneId needs domainName"),
    ({"https": "true", "alternateNames": "a.example.com"},
     "context alternateNames needs domainName"),
    ({"https": "true", "domainName": "notes.example.com"},
     "context domainName=notes.example.com needs a certificate"),
    ({"https": "true", "domainName": "not a domain", "hostedZoneId": "Z1"},
     "context domainName='not a domain' is not a domain name"),
    ({"https": "true", "domainName": "a.example.com", "hostedZoneId": "Z1",
      "alternateNames": "ok.example.com,bad_name"},
     "context alternateNames='bad_name' is not a domain name"),
    ({"https": "true", "domainName": "a.example.com", "hostedZoneName": "example.com",
      "certificateArn": CERT}, "context hostedZoneName needs hostedZoneId"),
    ({"https": "true", "domainName": "a.example.org", "hostedZoneId": "Z1",
      "hostedZoneName": "example.com"}, "a.example.org is not in the hosted zone example.com"),
    ({"https": "true", "domainName": "a.example.com",
      "certificateArn": CERT.replace("us-east-1", "eu-west-1")},
     ("is not an ACM certificate in us-east-1 (CloudFront only uses certificates from "
     "us-east-1; request one there (see docs/content/publishing/https.md))")),
])
def test_mistakes_are_one_line(context: dict, message: str) -> None:
    with pytest.raises(DeployError) as err:
        _from(context)
    assert message in str(err.value) and "\n" not in str(err.value)


def test_the_manual_page_a_message_names_exists() -> None:
    with pytest.raises(DeployError) as err:
        _from({"https": "true", "domainName": "a.example.com",
               "certificateArn": CERT.replace("us-east-1", "eu-west-1")})
    page = str(err.value).rsplit("(see ", 1)[1].split(")")[0]
    assert (Path(__file__).resolve().parents[1] / page).is_file(), page
