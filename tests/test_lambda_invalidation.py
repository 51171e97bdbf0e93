"""The publish Lambda with a CloudFront distribution (stack built with https=true): the
custom resource's publish invalidates exactly what it changed, through moto's CloudFront."""

from __future__ import annotations

import pytest
from test_cli_invalidate import create_distribution
from test_lambda_handler import ASSETS, SITE_V1
from test_lambda_handler import _put_asset as _asset

from infra.handler import index
from site_builder.deploy import history

SITE_V2 = {
    "index.html": b"<h1>Home, updated</h1>",
    "404.html": b"<h1>Not found</h1>",
    "docker/volumes/index.html": b"<h1>Volumes</h1>",
    "assets/style.77aa00bb.css": b"body{color:#333}",
}


def _event(request: str, props: dict) -> dict:
    return {"RequestType": request, "ResourceProperties": props,
            "StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/NotesSite/1",
            "PhysicalResourceId": f"notes-site:{props['SiteBucket']}"}


@pytest.fixture
def distribution(s3) -> str:
    import boto3

    return create_distribution(boto3.client("cloudfront", region_name="us-east-1"))["Id"]


def _invalidations(dist: str) -> list[tuple[str, list[str]]]:
    import boto3

    cf = boto3.client("cloudfront", region_name="us-east-1")
    items = cf.list_invalidations(DistributionId=dist)["InvalidationList"].get("Items", [])
    out = []
    for item in items:
        inv = cf.get_invalidation(DistributionId=dist, Id=item["Id"])["Invalidation"]
        out.append((inv["Id"], sorted(inv["InvalidationBatch"]["Paths"]["Items"])))
    return out


def test_cdk_deploy_invalidates_what_each_publish_changed(s3, bucket, distribution) -> None:
    s3.create_bucket(Bucket=ASSETS)
    base = {"SiteBucket": bucket, "AllowMassDelete": "false", "DistributionId": distribution}
    # on_event makes its own S3 and CloudFront clients (moto intercepts both).
    first = index.on_event(_event("Create", {**base, **_asset(s3, "a" * 64, SITE_V1)}))
    [(first_id, first_paths)] = _invalidations(distribution)
    assert first_paths == ["/", "/404.html", "/docker/networking/",
                           "/docker/networking/index.html", "/index.html"]
    assert first["Data"]["InvalidationId"] == first_id
    second = index.on_event(_event("Update", {**base, **_asset(s3, "b" * 64, SITE_V2)}))
    invs = _invalidations(distribution)
    assert len(invs) == 2 and invs[1][1] == [
        "/", "/docker/networking/", "/docker/networking/index.html", "/docker/volumes/",
        "/docker/volumes/index.html", "/index.html"]
    assert second["Data"]["InvalidationId"] == invs[1][0]
    assert history(s3, bucket)[0].invalidation.id == invs[1][0]
    # The same asset again: no publish, no invalidation, and the attribute says so.
    same = index.on_event(_event("Update", {**base, **_asset(s3, "b" * 64, SITE_V2)}))
    assert same["Data"]["InvalidationId"] == "" and len(_invalidations(distribution)) == 2


def test_without_a_distribution_no_cloudfront_call_and_data_unchanged(s3, bucket) -> None:
    s3.create_bucket(Bucket=ASSETS)
    props = {"SiteBucket": bucket, "AllowMassDelete": "false", **_asset(s3, "c" * 64, SITE_V1)}
    response = index.handle(_event("Create", props), s3, cloudfront=object())
    assert set(response["Data"]) == {"DeployId", "Uploaded", "Deleted", "Unchanged"}
    assert history(s3, bucket)[0].invalidation is None
