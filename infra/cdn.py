"""SiteCdn: an optional CloudFront distribution in front of the website bucket (``-c https=true``).

Origin: the bucket's *website endpoint*, as an HTTP-only custom origin, not the REST endpoint
with Origin Access Control.  The website endpoint is what gives the site its semantics (an
``index.html`` in every folder, ``folder`` -> ``folder/``, ``404.html`` with status 404), and it
keeps the public website URL that ``notes up`` emulates and existing readers use.  OAC would let
the bucket stop being public, but needs a CloudFront Function to rewrite every folder URL, a
404 mapping, and a bucket policy change for every user who only wants HTTPS.  The cost: the hop
from CloudFront to S3 is HTTP inside AWS (the website endpoint speaks nothing else), and the
bucket stays readable at its website URL.  One difference is fixed here: without
``s3:ListBucket`` the endpoint answers a missing key with 403 (and ``404.html``); a custom error
response turns that into a 404 with ``404.html`` for readers and crawlers.

Caching: the managed ``CachingOptimized`` policy.  It honours each object's Cache-Control within
[1 s, 1 year]: hashed assets (``immutable``, one year) stay at the edge, HTML and every other
``no-cache`` file is kept 1 s, and it normalises Accept-Encoding so compression works.  The
``UseOriginCacheControlHeaders`` policies honour Cache-Control too, but put the viewer's Host
header in the cache key, which CloudFront then forwards: the website endpoint picks the bucket
by Host, so every request would fail with NoSuchBucket.

``_notes/`` (deploy records, the lock) is already denied to anonymous readers by the bucket
policy; a ``/_notes/*`` behaviour answers 404 from a CloudFront Function at the edge, so those
requests never reach the bucket at all.

Certificates for CloudFront must live in us-east-1.  With ``hostedZoneId`` the stack creates a
DNS-validated certificate itself, so that stack must be deployed to us-east-1 (a CloudFormation
rule refuses other regions before anything is created); with ``certificateArn`` the stack may
live in any region.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Sequence
from pathlib import Path

from aws_cdk import (
    Acknowledgment,
    Aws,
    CfnOutput,
    CfnRule,
    CfnRuleAssertion,
    Duration,
    Fn,
    Stack,
    Token,
    Validations,
)
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_iam as iam
from aws_cdk import aws_route53 as route53
from aws_cdk import aws_route53_targets as targets
from aws_cdk import aws_s3 as s3
from constructs import Construct

from infra.settings import StackSettings
from site_builder.core import bucket_config
from site_builder.core.errors import DeployError

CERTIFICATE_REGION = "us-east-1"
HSTS_AGE = Duration.days(365)
ERROR_TTL = Duration.seconds(10)  # CloudFront's default: a new page's 404 is gone in 10 s
PRIVATE_PATTERN = "/_notes/*"
# Scripts: the site's own files and the built pages' inline scripts (by hash); Pagefind
# instantiates its WebAssembly search engine, which needs 'wasm-unsafe-eval' (not
# 'unsafe-eval').  Styles may be inline: diagram renderers write <style> into their SVG and
# notes may carry style="" in raw HTML, and CSS cannot run code.  Images may come from any
# https host (notes link them); frames are the site's own (a note's PDF in its viewer, which
# is why the site may frame itself) and YouTube's privacy-enhanced player (a video embed);
# nothing else may leave the site, and no other site may frame it.
CSP_TEMPLATE = (
    "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'{hashes}; "
    "style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: https:; frame-src 'self' https://www.youtube-nocookie.com; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'self'; upgrade-insecure-requests"
)
_INLINE_SCRIPT = re.compile(rb"<script\b([^>]*)>(.*?)</script\s*>", re.DOTALL | re.IGNORECASE)
TEMPLATES = Path(__file__).resolve().parents[1] / "site_builder" / "site" / "templates"  # package
CSP_MAX = 1783  # characters CloudFront allows in a response headers policy's CSP
# CloudFront Functions runtime 2.0: answer /_notes/* at the edge without asking the bucket.
NOT_FOUND_FUNCTION = """\
function handler(event) {
  return {
    statusCode: 404,
    statusDescription: 'Not Found',
    headers: {'content-type': {value: 'text/plain; charset=utf-8'},
              'cache-control': {value: 'no-store'}},
    body: {encoding: 'text', data: 'Not found\\n'}
  };
}
"""


def _executable_inline(attrs: bytes) -> bool:
    """An inline script the browser runs (not ``src=``, not a data block such as JSON-LD)."""
    if re.search(rb"\ssrc\s*=", attrs):
        return False
    kind = re.search(rb"""type\s*=\s*["']?([^"'\s>]+)""", attrs)
    return kind is None or kind.group(1).lower() in (b"module", b"text/javascript")


def template_scripts(template_dirs: Sequence[Path]) -> frozenset[bytes]:
    """The inline script bodies the templates write (a project's overrides and the package's),
    as written: a script that renders a Jinja value differs per page and is refused."""
    bodies = set()
    for folder in template_dirs:
        for path in sorted(folder.rglob("*.html")) if folder.is_dir() else ():
            for attrs, body in _INLINE_SCRIPT.findall(path.read_bytes()):
                if not (body.strip() and _executable_inline(attrs)):
                    continue
                if b"{{" in body or b"{%" in body:
                    raise DeployError(f"{path}: an inline <script> uses Jinja",
                                      "move the value into a data- attribute; the CSP hashes "
                                      "inline scripts as the pages carry them")
                bodies.add(body)
    return frozenset(bodies)


def inline_script_hashes(site: Path, template_dirs: Sequence[Path] = (TEMPLATES,)
                         ) -> tuple[str, ...]:
    """CSP sources for the inline scripts the built pages of ``site`` carry from templates.

    Read from the built site when the stack is synthesized, so a project's template overrides
    (``templates/base.html`` with its own theme script) are covered as they render, and a
    script no page carries is not allowed.  Only scripts a template wrote count: a note may
    keep raw HTML (``[markdown] raw_html = "keep"``, the default), and a ``<script>`` written
    into a note must stay blocked; so a one-note edit never changes the policy either.
    """
    written = template_scripts(template_dirs)
    found = set()
    for page in sorted(site.rglob("*.htm*")):
        html = page.read_bytes()
        if b"<script" not in html:
            continue
        for attrs, body in _INLINE_SCRIPT.findall(html):
            if body in written and _executable_inline(attrs):
                digest = base64.b64encode(hashlib.sha256(body).digest()).decode()
                found.add(f"'sha256-{digest}'")
    return tuple(sorted(found))


def content_security_policy(site: Path, template_dirs: Sequence[Path] = (TEMPLATES,)) -> str:
    """The policy for the built ``site``; refused when CloudFront cannot carry it."""
    hashes = inline_script_hashes(site, template_dirs)
    policy = CSP_TEMPLATE.format(hashes="".join(f" {h}" for h in hashes))
    if len(policy) > CSP_MAX:
        raise DeployError(
            f"the built pages in {site} have {len(hashes)} different inline scripts, too many "
            f"for CloudFront's Content-Security-Policy ({CSP_MAX} characters)",
            "keep the templates' inline scripts few; move page-specific code into the site's "
            "script files")
    return policy


class SiteCdn(Construct):
    """The distribution, its certificate and DNS records (when asked for), and its outputs."""

    def __init__(self, scope: Construct, construct_id: str, *, bucket: s3.IBucket,
                 settings: StackSettings, site_dir: Path,
                 template_dirs: Sequence[Path] = (TEMPLATES,)) -> None:
        super().__init__(scope, construct_id)
        self.settings = settings
        self.site_dir, self.template_dirs = site_dir, tuple(template_dirs)
        names = [settings.domain_name, *settings.alternate_names] if settings.domain_name else []
        zone = self._zone()
        certificate = self._certificate(names, zone) if names else None
        website = origins.S3StaticWebsiteOrigin(bucket)
        self.distribution = cloudfront.Distribution(
            self,
            "Distribution",
            comment=f"notes-publisher: HTTPS for {Aws.STACK_NAME}",
            default_behavior=cloudfront.BehaviorOptions(
                origin=website,
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                allowed_methods=cloudfront.AllowedMethods.ALLOW_GET_HEAD,
                cache_policy=cloudfront.CachePolicy.CACHING_OPTIMIZED,
                response_headers_policy=self._headers(),
                compress=True,
            ),
            additional_behaviors={PRIVATE_PATTERN: self._private_behavior(website)},
            # The bucket does not grant s3:ListBucket, so S3 answers a missing key with 403
            # (and 404.html); readers and crawlers get a real 404 through CloudFront.
            error_responses=[cloudfront.ErrorResponse(
                http_status=403, response_http_status=404,
                response_page_path=f"/{bucket_config.ERROR_DOCUMENT}", ttl=ERROR_TTL)],
            http_version=cloudfront.HttpVersion.HTTP2_AND_3,
            price_class=cloudfront.PriceClass.PRICE_CLASS_100,
            enable_ipv6=True,
            domain_names=names or None,
            certificate=certificate,
            minimum_protocol_version=cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
        )
        if zone is not None:
            self._alias_records(zone, names)
        self._acknowledge(custom_certificate=certificate is not None)
        self.site_url = (f"https://{settings.domain_name}" if settings.domain_name
                         else f"https://{self.distribution.distribution_domain_name}")

    # --- pieces ---------------------------------------------------------------------------

    def _zone(self) -> route53.IHostedZone | None:
        s = self.settings
        if not s.hosted_zone_id:
            return None
        if s.hosted_zone_name:
            return route53.HostedZone.from_hosted_zone_attributes(
                self, "Zone", hosted_zone_id=s.hosted_zone_id, zone_name=s.hosted_zone_name)
        return route53.HostedZone.from_hosted_zone_id(self, "Zone", s.hosted_zone_id)

    def _certificate(self, names: list[str], zone: route53.IHostedZone | None
                     ) -> acm.ICertificate:
        if self.settings.certificate_arn:
            return acm.Certificate.from_certificate_arn(
                self, "Certificate", self.settings.certificate_arn)
        assert zone is not None, "settings require a zone or a certificate for a domain"
        self._require_us_east_1()
        return acm.Certificate(
            self,
            "Certificate",
            domain_name=names[0],
            subject_alternative_names=names[1:] or None,
            validation=acm.CertificateValidation.from_dns(zone),
        )

    def _require_us_east_1(self) -> None:
        """CloudFront reads certificates from us-east-1 only; the stack creates this one."""
        region = Stack.of(self).region
        how = ("deploy the stack there (AWS_REGION=us-east-1 npx cdk deploy), or create the "
               "certificate in us-east-1 yourself and pass -c certificateArn=...")
        if not Token.is_unresolved(region) and region != CERTIFICATE_REGION:
            raise DeployError(f"hostedZoneId makes a certificate, which CloudFront needs in "
                              f"{CERTIFICATE_REGION}, but the stack is in {region}", how)
        CfnRule(
            self,
            "CertificateRegion",
            assertions=[CfnRuleAssertion(
                assert_=Fn.condition_equals(Aws.REGION, CERTIFICATE_REGION),
                assert_description=f"With hostedZoneId the stack creates the CloudFront "
                f"certificate, which must be in {CERTIFICATE_REGION}: {how}",
            )],
        )

    def _headers(self) -> cloudfront.ResponseHeadersPolicy:
        override = True  # the bucket sends none of these; ours win over anything stored
        return cloudfront.ResponseHeadersPolicy(
            self,
            "SecurityHeaders",
            response_headers_policy_name=f"{Aws.STACK_NAME}-{Aws.REGION}-notes-security",
            comment="notes-publisher: HSTS, nosniff, referrer policy, CSP, no framing",
            security_headers_behavior=cloudfront.ResponseSecurityHeadersBehavior(
                strict_transport_security=cloudfront.ResponseHeadersStrictTransportSecurity(
                    access_control_max_age=HSTS_AGE, include_subdomains=False,
                    preload=False, override=override),
                content_type_options=cloudfront.ResponseHeadersContentTypeOptions(
                    override=override),
                referrer_policy=cloudfront.ResponseHeadersReferrerPolicy(
                    referrer_policy=cloudfront.HeadersReferrerPolicy
                    .STRICT_ORIGIN_WHEN_CROSS_ORIGIN, override=override),
                content_security_policy=cloudfront.ResponseHeadersContentSecurityPolicy(
                    content_security_policy=content_security_policy(
                        self.site_dir, self.template_dirs),
                    override=override),
                frame_options=cloudfront.ResponseHeadersFrameOptions(
                    frame_option=cloudfront.HeadersFrameOption.SAMEORIGIN, override=override),
            ),
        )

    def _private_behavior(self, origin: cloudfront.IOrigin) -> cloudfront.BehaviorOptions:
        not_found = cloudfront.Function(
            self,
            "PrivateNotFound",
            comment="notes-publisher: _notes/ (deploy records, lock) is never served",
            code=cloudfront.FunctionCode.from_inline(NOT_FOUND_FUNCTION),
            runtime=cloudfront.FunctionRuntime.JS_2_0,
        )
        return cloudfront.BehaviorOptions(
            origin=origin,
            viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
            cache_policy=cloudfront.CachePolicy.CACHING_DISABLED,
            function_associations=[cloudfront.FunctionAssociation(
                function=not_found, event_type=cloudfront.FunctionEventType.VIEWER_REQUEST)],
        )

    def _alias_records(self, zone: route53.IHostedZone, names: list[str]) -> None:
        target = route53.RecordTarget.from_alias(targets.CloudFrontTarget(self.distribution))
        for i, name in enumerate(names):
            fqdn = f"{name}."  # absolute: the zone's name is not needed (nor looked up)
            route53.ARecord(self, f"Alias{i}", zone=zone, record_name=fqdn, target=target)
            route53.AaaaRecord(self, f"AliasV6{i}", zone=zone, record_name=fqdn, target=target)

    def _acknowledge(self, *, custom_certificate: bool) -> None:
        reasons = {
            "AwsSolutions-CFR1": "No geo restriction: public notes are meant for readers "
            "anywhere; restricting countries is a per-site choice, not a default.",
            "AwsSolutions-CFR2": "No WAF web ACL: the site is static, read-only files (GET/HEAD "
            "only, no forms, no backend), and a web ACL costs at least $5 a month plus requests.",
            "AwsSolutions-CFR3": "No access logs: standard logging needs a second bucket with "
            "ACLs enabled, and CloudFront's metrics cover traffic; deploy records are the "
            "audit trail of every change.",
            "AwsSolutions-CFR5": "The origin is the S3 website endpoint, which only speaks HTTP; "
            "it serves the same public files as the website URL (see this module's docstring "
            "for why it is not the REST endpoint with OAC).",
        }
        if not custom_certificate:
            reasons["AwsSolutions-CFR4"] = (
                "No domainName: the distribution uses CloudFront's default *.cloudfront.net "
                "certificate, whose minimum TLS version CloudFront does not let us set; with a "
                "domain the stack sets TLSv1.2_2021.")
        Validations.of(self.distribution).acknowledge(
            *(Acknowledgment(id=rule, reason=why) for rule, why in reasons.items()))

    # --- hooks for the stack ----------------------------------------------------------------

    def grant_invalidation(self, grantee: iam.IGrantable) -> None:
        """Let the publish Lambda invalidate this one distribution (nothing else)."""
        self.distribution.grant_create_invalidation(grantee)

    def add_outputs(self, scope: Construct) -> None:
        CfnOutput(scope, "SiteURL", value=self.site_url,
                  description="Read the notes here (HTTPS through CloudFront)")
        CfnOutput(scope, "DistributionId", value=self.distribution.distribution_id,
                  description="For notes deploy/rollback --distribution (invalidation)")
        if self.settings.domain_name and not self.settings.hosted_zone_id:
            CfnOutput(scope, "DistributionDomainName",
                      value=self.distribution.distribution_domain_name,
                      description="Point your domain's CNAME/ALIAS records here")
