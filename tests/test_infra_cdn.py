"""The optional CloudFront distribution (infra/cdn.py), synthesized in-process for each
combination of settings: off, https only, https + domain + Route 53 zone, https + domain +
existing certificate.  Plus: the template with https off is the stack without the construct,
a one-note edit changes no resource but the publish custom resource, cdk-nag and cfn-lint are
clean, the CSP covers every inline script of a real build, and the edge function's 404."""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from test_infra_stack import _write_site

pytest.importorskip("aws_cdk")

import aws_cdk as cdk
from aws_cdk.assertions import Template
from cdk_nag import AwsSolutionsChecks

import infra.stack as stack_module
from infra.cdn import (
    NOT_FOUND_FUNCTION,
    TEMPLATES,
    content_security_policy,
    inline_script_hashes,
)
from infra.lambda_code import stage_lambda_code
from infra.settings import StackSettings, settings_from_context
from infra.stack import NotesSiteStack
from site_builder.core.errors import DeployError

pytestmark = pytest.mark.cdk

REPO = Path(__file__).resolve().parents[1]
CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
CERT_ARN = "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-1111-2222-3333-444455556666"
THEME = "document.documentElement.dataset.theme='dark'"
SITE = {
    "index.html": f"<h1>Home</h1><script>{THEME}</script>",
    "404.html": "<h1>Not found</h1>",
    "docker/networking/index.html": "<h1>Networking</h1>",
    "assets/style.3f2a9c1b.css": "body{}",
}
CONTEXTS = {
    "https": {"https": True},
    "zone": {"https": True, "domainName": "notes.example.com",
             "alternateNames": ["www.notes.example.com"], "hostedZoneId": "Z0123456789ABC",
             "hostedZoneName": "example.com"},
    "cert": {"https": "true", "domainName": "notes.example.com", "certificateArn": CERT_ARN},
    "zone-id": {"https": "true", "domainName": "notes.example.com", "hostedZoneId": "Z0AB"},
}
NEW_TYPES = ("AWS::CloudFront::", "AWS::CertificateManager::", "AWS::Route53::")


class Synth:
    """Every variant as a stack named NotesSite, each in its own app, so templates compare
    without stack-name noise (logical ids and generated names include the stack's path)."""

    def __init__(self, tmp: Path) -> None:
        code = stage_lambda_code(tmp / "lambda")
        site = self.site = _write_site(tmp / "site", SITE)
        # the project's own template writes the site's inline script (see test_security_...)
        project = _write_site(tmp / "project", {"templates/x.html": f"<script>{THEME}</script>"})
        self.templates = (project / "templates", TEMPLATES)
        edited = _write_site(tmp / "edited", {**SITE, "docker/networking/index.html": "<h1>2"})
        variants = {"off": ({}, site), "off-edited": ({}, edited),
                    "edited": (CONTEXTS["https"], edited)}
        variants.update({name: (context, site) for name, context in CONTEXTS.items()})
        self.stacks: dict[str, NotesSiteStack] = {}
        self.violations: list[tuple[str, str, list[str]]] = []
        for name, (context, site_dir) in variants.items():
            app = cdk.App(outdir=str(tmp / f"out-{name}"))
            self.stacks[name] = NotesSiteStack(app, "NotesSite", site_dir=site_dir,
                                               lambda_code_dir=code, project_dir=project,
                                               settings=settings_from_context(context.get))
            nag = AwsSolutionsChecks(app).validate_scope(app)
            self.violations += [(name, v.rule_name,
                                 [r.construct_path for r in v.violating_resources])
                                for v in nag.violations]
        self.t = {name: Template.from_stack(s).to_json() for name, s in self.stacks.items()}


@pytest.fixture(scope="module")
def synth(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    return Synth(tmp_path_factory.mktemp("cdn"))


def _of_type(t: dict, prefix: str) -> dict[str, dict]:
    return {k: v for k, v in t["Resources"].items() if v["Type"].startswith(prefix)}


def _one(t: dict, type_: str) -> tuple[str, dict]:
    found = {k: v for k, v in t["Resources"].items() if v["Type"] == type_}
    assert len(found) == 1, (type_, list(found))
    return next(iter(found.items()))


def _dist(t: dict) -> tuple[str, dict]:
    did, dist = _one(t, "AWS::CloudFront::Distribution")
    return did, dist["Properties"]["DistributionConfig"]


def _publish_policy(t: dict) -> tuple[str, dict]:
    fn = next(k for k, v in t["Resources"].items()
              if v["Type"] == "AWS::Lambda::Function"
              and v["Properties"].get("Handler") == "index.handler")
    role = t["Resources"][fn]["Properties"]["Role"]["Fn::GetAtt"][0]
    return next((k, v) for k, v in t["Resources"].items()
                if v["Type"] == "AWS::IAM::Policy" and v["Properties"]["Roles"] == [{"Ref": role}])


# --- https off: the stack of today -----------------------------------------------------------


def test_https_off_never_builds_the_construct(tmp_path: Path, monkeypatch) -> None:
    def refuse(*_a, **_k):
        raise AssertionError("SiteCdn built with https off")

    monkeypatch.setattr(stack_module, "SiteCdn", refuse)
    app = cdk.App(outdir=str(tmp_path / "out"))
    built = NotesSiteStack(app, "Off", site_dir=_write_site(tmp_path / "site", SITE),
                           lambda_code_dir=stage_lambda_code(tmp_path / "lambda"),
                           settings=settings_from_context({"https": "false"}.get))
    t = Template.from_stack(built).to_json()
    assert not [v for v in t["Resources"].values() if v["Type"].startswith(NEW_TYPES)]
    assert set(t["Outputs"]) == {"WebsiteURL", "BucketName", "LastDeployId"}
    assert set(t["Rules"]) == {"CheckBootstrapVersion"}


def test_https_on_only_adds_to_the_template_of_today(synth: Synth) -> None:
    """Every resource of the https-off stack is in the https stack unchanged, except the two
    hooks: the custom resource's DistributionId and the publish role's invalidation right."""
    off, on = synth.t["off"], synth.t["https"]
    did, _ = _dist(on)
    policy_id, _ = _publish_policy(off)
    for key, resource in off["Resources"].items():
        expected = copy.deepcopy(resource)
        if key == "Publish":
            expected["Properties"]["DistributionId"] = {"Ref": did}
        if key == policy_id:
            expected["Properties"]["PolicyDocument"]["Statement"].append({
                "Action": "cloudfront:CreateInvalidation", "Effect": "Allow",
                "Resource": {"Fn::Join": ["", [
                    "arn:", {"Ref": "AWS::Partition"}, ":cloudfront::",
                    {"Ref": "AWS::AccountId"}, ":distribution/", {"Ref": did}]]}})
        assert on["Resources"][key] == expected, key
    added = {v["Type"] for k, v in on["Resources"].items() if k not in off["Resources"]}
    assert added == {"AWS::CloudFront::Distribution", "AWS::CloudFront::Function",
                     "AWS::CloudFront::ResponseHeadersPolicy"}
    for key, output in off["Outputs"].items():
        assert on["Outputs"][key] == output
    assert set(on["Outputs"]) - set(off["Outputs"]) == {"SiteURL", "DistributionId"}
    assert on["Outputs"]["DistributionId"]["Value"] == {"Ref": did}
    assert on["Outputs"]["SiteURL"]["Value"] == {
        "Fn::Join": ["", ["https://", {"Fn::GetAtt": [did, "DomainName"]}]]}


def _differing(a: dict, b: dict) -> list[str]:
    assert set(a["Resources"]) == set(b["Resources"])
    return sorted(k for k in a["Resources"] if a["Resources"][k] != b["Resources"][k])


def test_one_note_edit_changes_only_the_publish_resource(synth: Synth) -> None:
    """With https on, an edit touches exactly what it touches without CloudFront (the publish
    custom resource, plus whatever names the site asset): no CloudFront resource changes."""
    differ = _differing(synth.t["https"], synth.t["edited"])
    assert "Publish" in differ
    assert differ == _differing(synth.t["off"], synth.t["off-edited"])
    assert not [k for k in differ
                if synth.t["https"]["Resources"][k]["Type"].startswith(NEW_TYPES)]
    a, b = (synth.t[n]["Resources"]["Publish"]["Properties"] for n in ("https", "edited"))
    assert {k for k, v in a.items() if b[k] != v} == {"AssetHash", "AssetKey"}
    assert synth.t["https"]["Outputs"] == synth.t["edited"]["Outputs"]


# --- the distribution --------------------------------------------------------------------------


def test_distribution_over_the_website_endpoint(synth: Synth) -> None:
    t = synth.t["https"]
    _, config = _dist(t)
    bucket = next(iter(_of_type(t, "AWS::S3::Bucket")))
    [origin] = config["Origins"]
    assert origin["CustomOriginConfig"]["OriginProtocolPolicy"] == "http-only"
    assert origin["DomainName"] == {"Fn::Select": [2, {"Fn::Split": [
        "/", {"Fn::GetAtt": [bucket, "WebsiteURL"]}]}]}
    default = config["DefaultCacheBehavior"]
    assert default["ViewerProtocolPolicy"] == "redirect-to-https"
    assert default["CachePolicyId"] == CACHING_OPTIMIZED
    assert default["Compress"] is True
    assert default["AllowedMethods"] == ["GET", "HEAD"]
    assert "OriginRequestPolicyId" not in default  # the Host header must stay S3's
    assert config["HttpVersion"] == "http2and3" and config["IPV6Enabled"] is True
    assert config["PriceClass"] == "PriceClass_100"
    assert "DefaultRootObject" not in config  # the website endpoint serves index.html
    # S3 answers a missing key with 403 (no s3:ListBucket): readers get 404.html as a 404.
    assert config["CustomErrorResponses"] == [{"ErrorCode": 403, "ResponseCode": 404,
                                               "ResponsePagePath": "/404.html",
                                               "ErrorCachingMinTTL": 10}]
    assert "Aliases" not in config and "ViewerCertificate" not in config


def test_private_prefix_answers_404_at_the_edge(synth: Synth) -> None:
    t = synth.t["https"]
    _, config = _dist(t)
    [private] = config["CacheBehaviors"]
    fid, fn = _one(t, "AWS::CloudFront::Function")
    assert private["PathPattern"] == "/_notes/*"
    assert private["CachePolicyId"] == CACHING_DISABLED
    assert private["FunctionAssociations"] == [
        {"EventType": "viewer-request", "FunctionARN": {"Fn::GetAtt": [fid, "FunctionARN"]}}]
    assert fn["Properties"]["FunctionCode"] == NOT_FOUND_FUNCTION
    assert fn["Properties"]["FunctionConfig"]["Runtime"] == "cloudfront-js-2.0"


def test_edge_function_returns_404(tmp_path: Path) -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed (make node)")
    script = tmp_path / "fn.js"
    script.write_text(NOT_FOUND_FUNCTION + "\nconsole.log(JSON.stringify(handler("
                      "{request: {method: 'GET', uri: '/_notes/lock', headers: {}}})));\n")
    done = subprocess.run([node, str(script)], capture_output=True, text=True, timeout=60,
                          check=True)
    response = json.loads(done.stdout)
    assert response["statusCode"] == 404
    assert response["headers"]["cache-control"] == {"value": "no-store"}
    assert response["body"] == {"encoding": "text", "data": "Not found\n"}


def test_security_headers_policy(synth: Synth) -> None:
    t = synth.t["https"]
    pid, policy = _one(t, "AWS::CloudFront::ResponseHeadersPolicy")
    assert _dist(t)[1]["DefaultCacheBehavior"]["ResponseHeadersPolicyId"] == {"Ref": pid}
    headers = policy["Properties"]["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]
    assert headers["StrictTransportSecurity"] == {
        "AccessControlMaxAgeSec": 31536000, "IncludeSubdomains": False, "Override": True,
        "Preload": False}
    assert headers["ContentTypeOptions"] == {"Override": True}
    assert headers["ReferrerPolicy"] == {"Override": True,
                                         "ReferrerPolicy": "strict-origin-when-cross-origin"}
    assert headers["FrameOptions"] == {"FrameOption": "SAMEORIGIN", "Override": True}
    csp = headers["ContentSecurityPolicy"]["ContentSecurityPolicy"]
    assert csp == content_security_policy(synth.site, synth.templates)
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";") if " " in d.strip())
    assert directives["default-src"] == "'self'"
    scripts = directives["script-src"].split()
    assert "'wasm-unsafe-eval'" in scripts
    assert "'unsafe-inline'" not in scripts and "'unsafe-eval'" not in csp
    theme = base64.b64encode(hashlib.sha256(THEME.encode()).digest()).decode()
    assert scripts[2:] == [f"'sha256-{theme}'"]  # the rest: the site's one inline script
    assert directives["frame-ancestors"] == "'self'" and directives["object-src"] == "'none'"
    assert directives["frame-src"] == "'self' https://www.youtube-nocookie.com"


def _run_inline(site: Path) -> set[str]:
    """The inline scripts a browser would run in ``site``'s pages, as CSP hash sources
    (parsed apart from infra.cdn's scan)."""
    from html.parser import HTMLParser

    found: set[str] = set()

    class Scripts(HTMLParser):
        def handle_starttag(self, tag, attrs):
            self.open = tag == "script" and not dict(attrs).get("src") and dict(attrs).get(
                "type", "text/javascript") in ("text/javascript", "module")

        def handle_data(self, data):
            if getattr(self, "open", False) and data.strip():
                digest = base64.b64encode(hashlib.sha256(data.encode()).digest()).decode()
                found.add(f"'sha256-{digest}'")
            self.open = False

    for page in site.rglob("*.html"):
        Scripts(convert_charrefs=False).feed(page.read_text("utf-8"))
    return found


def test_csp_lists_the_inline_scripts_of_a_real_build_and_no_note_can_add_one(
        tmp_path: Path) -> None:
    """The sample content built by the real builder, plus a note that writes a <script> into
    its Markdown: the policy lists exactly the pages' inline scripts that templates wrote (the
    theme, the search page's, the table of contents'), not the note's, which stays blocked."""
    from site_builder.pipeline.build import build_site
    from site_builder.pipeline.options import BuildOptions

    project = tmp_path / "project"
    shutil.copytree(REPO / "content", project / "content")
    (project / "content" / "evil.md").write_text("# Evil\n\n<script>alert(1)</script>\n")
    out = tmp_path / "site"
    build_site(BuildOptions(project_dir=project, out_dir=out))
    listed = set(inline_script_hashes(out))
    evil = base64.b64encode(hashlib.sha256(b"alert(1)").digest()).decode()
    assert f"'sha256-{evil}'" in _run_inline(out)  # raw HTML is kept: the page carries it
    assert listed == _run_inline(out) - {f"'sha256-{evil}'"} and len(listed) >= 3


def test_an_inline_script_with_jinja_in_a_template_is_refused(tmp_path: Path) -> None:
    (tmp_path / "x.html").write_text("<script>var t = {{ title }};</script>")
    with pytest.raises(DeployError, match=r"x\.html: an inline <script> uses Jinja"):
        inline_script_hashes(tmp_path, (tmp_path,))


def test_a_template_override_is_in_the_policy(tmp_path: Path) -> None:
    """A project's own templates/base.html with one word of its theme script changed: the
    policy follows the override (the packaged script's hash is gone, the new one is in)."""
    from site_builder.pipeline.build import build_site
    from site_builder.pipeline.options import BuildOptions

    base = (TEMPLATES / "base.html").read_text()
    assert '"dark":"light"' in base
    project = tmp_path / "project"
    (project / "content").mkdir(parents=True)
    (project / "content" / "a.md").write_text("# A\n\nText.\n")
    (project / "templates").mkdir()
    (project / "templates" / "base.html").write_text(base.replace('"dark":"light"',
                                                                  '"dark":"dark"'))
    stock, custom = tmp_path / "stock", tmp_path / "custom"
    dirs = (project / "templates", TEMPLATES)
    build_site(BuildOptions(project_dir=project, out_dir=custom))
    after = set(inline_script_hashes(custom, dirs))
    (project / "templates" / "base.html").unlink()
    build_site(BuildOptions(project_dir=project, out_dir=stock))
    before = set(inline_script_hashes(stock, dirs))
    assert len(before - after) == 1 and len(after - before) == 1
    assert after == _run_inline(custom)


def test_too_many_inline_scripts_are_refused_in_one_line(tmp_path: Path) -> None:
    for i in range(40):  # forty different inline scripts, each in a template and a page
        (tmp_path / f"p{i}.html").write_text(f"<script>var page = {i};</script>")
    with pytest.raises(DeployError) as err:
        content_security_policy(tmp_path, (tmp_path,))
    assert str(err.value).startswith(f"the built pages in {tmp_path} have 40 different inline "
                                     "scripts, too many for CloudFront's")


# --- the combinations with a domain ------------------------------------------------------------


def test_domain_with_hosted_zone(synth: Synth) -> None:
    t = synth.t["zone"]
    did, config = _dist(t)
    cid, cert = _one(t, "AWS::CertificateManager::Certificate")
    assert cert["Properties"]["DomainName"] == "notes.example.com"
    assert cert["Properties"]["SubjectAlternativeNames"] == ["www.notes.example.com"]
    assert cert["Properties"]["ValidationMethod"] == "DNS"
    assert cert["Properties"]["DomainValidationOptions"] == [
        {"DomainName": "notes.example.com", "HostedZoneId": "Z0123456789ABC"},
        {"DomainName": "www.notes.example.com", "HostedZoneId": "Z0123456789ABC"}]
    assert config["Aliases"] == ["notes.example.com", "www.notes.example.com"]
    assert config["ViewerCertificate"] == {"AcmCertificateArn": {"Ref": cid},
                                           "MinimumProtocolVersion": "TLSv1.2_2021",
                                           "SslSupportMethod": "sni-only"}
    records = sorted((r["Properties"]["Name"], r["Properties"]["Type"])
                     for r in _of_type(t, "AWS::Route53::RecordSet").values())
    assert records == [("notes.example.com.", "A"), ("notes.example.com.", "AAAA"),
                       ("www.notes.example.com.", "A"), ("www.notes.example.com.", "AAAA")]
    for record in _of_type(t, "AWS::Route53::RecordSet").values():
        assert record["Properties"]["HostedZoneId"] == "Z0123456789ABC"
        assert record["Properties"]["AliasTarget"]["DNSName"] == {"Fn::GetAtt": [did,
                                                                                 "DomainName"]}
    [rule] = [r for k, r in t["Rules"].items() if k != "CheckBootstrapVersion"]
    assert rule["Assertions"][0]["Assert"] == {"Fn::Equals": [{"Ref": "AWS::Region"},
                                                              "us-east-1"]}
    assert t["Outputs"]["SiteURL"]["Value"] == "https://notes.example.com"
    assert "DistributionDomainName" not in t["Outputs"]


def test_zone_by_id_alone(synth: Synth) -> None:
    """hostedZoneName is optional: record names are absolute, the zone is never looked up."""
    t = synth.t["zone-id"]
    records = sorted((r["Properties"]["Name"], r["Properties"]["Type"],
                      r["Properties"]["HostedZoneId"])
                     for r in _of_type(t, "AWS::Route53::RecordSet").values())
    assert records == [("notes.example.com.", "A", "Z0AB"), ("notes.example.com.", "AAAA", "Z0AB")]
    _, cert = _one(t, "AWS::CertificateManager::Certificate")
    assert cert["Properties"]["DomainValidationOptions"] == [
        {"DomainName": "notes.example.com", "HostedZoneId": "Z0AB"}]


def test_domain_with_existing_certificate(synth: Synth) -> None:
    t = synth.t["cert"]
    did, config = _dist(t)
    assert not _of_type(t, "AWS::CertificateManager::")
    assert not _of_type(t, "AWS::Route53::")
    assert set(t["Rules"]) == {"CheckBootstrapVersion"}  # any region will do
    assert config["Aliases"] == ["notes.example.com"]
    assert config["ViewerCertificate"]["AcmCertificateArn"] == CERT_ARN
    assert config["ViewerCertificate"]["MinimumProtocolVersion"] == "TLSv1.2_2021"
    assert t["Outputs"]["SiteURL"]["Value"] == "https://notes.example.com"
    # The user points their DNS at this name.
    assert t["Outputs"]["DistributionDomainName"]["Value"] == {"Fn::GetAtt": [did, "DomainName"]}


def test_hosted_zone_in_another_region_is_refused_at_synth(tmp_path: Path) -> None:
    app = cdk.App(outdir=str(tmp_path / "out"))
    settings = settings_from_context(CONTEXTS["zone"].get)
    with pytest.raises(DeployError, match="CloudFront needs in us-east-1, but the stack is in "
                                          "eu-west-1"):
        NotesSiteStack(app, "Eu", site_dir=_write_site(tmp_path / "site", SITE),
                       lambda_code_dir=stage_lambda_code(tmp_path / "lambda"),
                       settings=settings,
                       env=cdk.Environment(account="123456789012", region="eu-west-1"))


# --- checks ------------------------------------------------------------------------------------


def test_cdk_nag_clean_for_every_combination(synth: Synth) -> None:
    assert set(synth.t) == {"off", "off-edited", "edited", *CONTEXTS}
    assert synth.violations == []


def _acks(stack: cdk.Stack) -> dict[str, str]:
    key = cdk.Validations.ACKNOWLEDGED_RULES_METADATA_KEY
    acks: dict[str, str] = {}
    for c in stack.node.find_all():
        for entry in c.node.metadata:
            if entry.type == key and "/Cdn/" in c.node.path + "/":
                acks.update(entry.data)
    return {k.split("::", 1)[-1]: v for k, v in acks.items()}


def test_cdk_nag_acknowledgments_carry_reasons(synth: Synth) -> None:
    https, cert = _acks(synth.stacks["https"]), _acks(synth.stacks["cert"])
    assert set(https) == {"AwsSolutions-CFR1", "AwsSolutions-CFR2", "AwsSolutions-CFR3",
                          "AwsSolutions-CFR4", "AwsSolutions-CFR5"}
    # With a certificate of our own, TLSv1.2_2021 passes CFR4 on its merits.
    assert set(cert) == set(https) - {"AwsSolutions-CFR4"}
    assert all(len(reason) > 60 for reason in https.values())


def test_cfn_lint_every_combination(synth: Synth, tmp_path: Path) -> None:
    files = []
    for name in CONTEXTS:
        path = tmp_path / f"{name}.template.json"
        path.write_text(json.dumps(synth.t[name]))
        files.append(str(path))
    lint = subprocess.run(
        [str(Path(sys.executable).with_name("cfn-lint")), "--ignore-checks", "W3005", "--",
         *files], capture_output=True, text=True, timeout=180, check=False)
    assert lint.returncode == 0, lint.stdout + lint.stderr


def test_settings_default_is_off() -> None:
    assert StackSettings().https is False
    assert settings_from_context({}.get) == StackSettings()
