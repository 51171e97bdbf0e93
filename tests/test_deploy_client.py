"""The deploy client's settings (issue 17): a pool as large as the upload threads, Content-MD5
as the only body checksum, no 100-continue round trip; a publish through it is the same."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

import boto3
import pytest
from moto import mock_aws
from test_deploy_publish import SITE_V1, write_site

from site_builder.deploy import publish
from site_builder.deploy.client import client_config, deploy_client


@pytest.mark.parametrize("workers", [1, 16, 40])
def test_pool_covers_the_upload_threads(workers: int) -> None:
    config = client_config(workers, s3={"addressing_style": "path"})
    assert config.max_pool_connections >= max(32, workers)
    assert config.request_checksum_calculation == "when_required"
    assert config.response_checksum_validation == "when_required"
    assert config.s3 == {"addressing_style": "path"}


def test_publish_sends_md5_once_and_no_expect_header(aws_credentials: None,
                                                     tmp_path: Path) -> None:
    site = write_site(tmp_path / "site", SITE_V1)
    with mock_aws():
        client = deploy_client(boto3, region_name="us-east-1")
        client.create_bucket(Bucket="b-site")
        client.put_bucket_versioning(Bucket="b-site",
                                     VersioningConfiguration={"Status": "Enabled"})
        puts: list[dict[str, str]] = []
        client.meta.events.register(
            "before-send.s3.PutObject",
            lambda request, **_: puts.append({k.lower(): v for k, v in request.headers.items()}))
        # (header values are bytes once signed)
        result = publish(client, "b-site", site)
        assert len(result.plan.uploads) == len(SITE_V1)
        site_puts = [h for h in puts if "content-md5" in h]
        assert len(site_puts) == len(SITE_V1)
        for headers in site_puts:
            assert "expect" not in headers
            assert not any(k.startswith("x-amz-checksum-") for k in headers)
        body = client.get_object(Bucket="b-site", Key="index.html")["Body"].read()
        data = SITE_V1["index.html"]
        assert body == (data.encode() if isinstance(data, str) else data)
        md5 = base64.b64encode(hashlib.md5(body).digest())
        assert md5 in {h["content-md5"] for h in site_puts}

