"""`notes deploy/rollback` with a CloudFront distribution: --distribution, notes.toml
``[deploy] distribution`` or --stack's DistributionId output; exact output lines (moto)."""

from __future__ import annotations

import boto3
import pytest
from test_cli_deploy import stack_outputs
from test_deploy_invalidate import EDIT_PATHS, SITE_A, site_edit, write_site

from site_builder.cli import main
from site_builder.deploy import history


def run(capsys, *argv: str) -> tuple[int, list[str], str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out.splitlines(), err


@pytest.fixture
def cloudfront(s3):
    return boto3.client("cloudfront", region_name="us-east-1")


def create_distribution(cloudfront) -> dict:
    """A moto distribution in front of a website endpoint (as the stack's https=true makes)."""
    origin = {"Id": "site", "DomainName": "notes-test-site.s3-website-us-east-1.amazonaws.com",
              "CustomOriginConfig": {"HTTPPort": 80, "HTTPSPort": 443,
                                     "OriginProtocolPolicy": "http-only"}}
    config = {"CallerReference": "cli", "Comment": "", "Enabled": True,
              "Origins": {"Quantity": 1, "Items": [origin]},
              "DefaultCacheBehavior": {"TargetOriginId": "site",
                                       "ViewerProtocolPolicy": "redirect-to-https",
                                       "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6"}}
    return cloudfront.create_distribution(DistributionConfig=config)["Distribution"]


@pytest.fixture
def distribution(cloudfront) -> tuple[str, str]:
    """(id, domain name) of a moto distribution."""
    made = create_distribution(cloudfront)
    return made["Id"], made["DomainName"]


def test_deploy_dry_run_and_rollback_with_distribution(s3, bucket, distribution, tmp_path,
                                                       capsys) -> None:
    dist, domain = distribution
    site = str(write_site(tmp_path / "s", SITE_A))
    code, out, _ = run(capsys, "deploy", "--bucket", bucket, "--site", site,
                       "--distribution", dist)
    first = history(s3, bucket)[0]
    assert code == 0 and out == [
        "9 to upload, 0 to delete, 0 unchanged", f"Deployed {first.id}.",
        (f"Invalidated 11 paths on CloudFront distribution {dist} "
        f"(invalidation {first.invalidation.id})."),
        f"Website: https://{domain}/"]

    write_site(tmp_path / "s", site_edit())
    code, out, _ = run(capsys, "deploy", "--bucket", bucket, "--site", site,
                       "--distribution", dist, "--dry-run")
    assert code == 0 and out[-6:] == [
        f"Would invalidate 4 paths on CloudFront distribution {dist}.",
        *[f"  invalidate  {p}" for p in EDIT_PATHS], "Dry run: nothing was changed."]

    main(["deploy", "--bucket", bucket, "--site", site, "--distribution", dist])
    capsys.readouterr()
    code, out, _ = run(capsys, "rollback", "--bucket", bucket, "--distribution", dist)
    back = history(s3, bucket)[0]
    assert code == 0 and out[-2:] == [
        f"Rolled back: new record {back.id}.",
        (f"Invalidated 4 paths on CloudFront distribution {dist} "
        f"(invalidation {back.invalidation.id}).")]
    assert list(back.invalidation.paths) == EDIT_PATHS

    main(["deploy", "--bucket", bucket, "--site", site, "--distribution", dist])  # the edit again
    capsys.readouterr()
    code, out, _ = run(capsys, "deploy", "--bucket", bucket, "--site", site,
                       "--distribution", dist)
    assert out[1].startswith("Nothing to deploy")
    # A no-op deploy says nothing about CloudFront (nothing was invalidated).
    assert not [line for line in out if "nvalidat" in line]


def test_notes_toml_distribution_and_an_unknown_one(s3, bucket, distribution, tmp_path,
                                                    capsys, monkeypatch) -> None:
    dist, _ = distribution
    write_site(tmp_path / "proj" / "built", SITE_A)
    monkeypatch.chdir(tmp_path / "proj")
    (tmp_path / "proj" / "notes.toml").write_text(
        f'[deploy]\nbucket = "{bucket}"\nsite = "built"\ndistribution = "E0NOSUCHDIST"\n')
    code, out, err = run(capsys, "deploy")
    assert code == 1 and out == []
    assert err.startswith("Error: CloudFront distribution 'E0NOSUCHDIST' does not exist")
    assert history(s3, bucket) == []
    (tmp_path / "proj" / "notes.toml").write_text(
        f'[deploy]\nbucket = "{bucket}"\nsite = "built"\ndistribution = "{dist}"\n')
    code, out, _ = run(capsys, "deploy")
    assert code == 0 and out[2].startswith(f"Invalidated 11 paths on CloudFront distribution "
                                           f"{dist} ")


def test_stack_outputs_name_the_distribution_and_the_site_url(
        s3, bucket, distribution, tmp_path, capsys, monkeypatch) -> None:
    dist, _ = distribution
    stubber = stack_outputs(monkeypatch, BucketName=bucket, DistributionId=dist,
                            SiteURL="https://notes.example.com")
    code, out, _ = run(capsys, "deploy", "--stack", "NotesSite",
                       "--site", str(write_site(tmp_path / "s", SITE_A)))
    assert code == 0 and out[2].startswith(f"Invalidated 11 paths on CloudFront distribution "
                                           f"{dist} ")
    assert out[3] == "Website: https://notes.example.com/"
    stubber.assert_no_pending_responses()


def test_distribution_with_an_endpoint_url_is_ignored_out_loud(monkeypatch, tmp_path,
                                                               capsys) -> None:
    """An S3-compatible endpoint (`notes up`, LocalStack) has no CloudFront in front: a named
    distribution is not invalidated, and the user is told so instead of silently."""
    monkeypatch.chdir(tmp_path)
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    code, out, err = run(capsys, "rollback", "--endpoint-url", "http://127.0.0.1:9",
                         "--bucket", "b", "--distribution", "E1ABC", "--dry-run")
    assert code == 1 and out == []
    assert err.splitlines() == [
        ("Warning: distribution E1ABC is ignored with --endpoint-url (CloudFront is not in "
        "front of an S3-compatible endpoint): nothing is invalidated"),
        ("Error: cannot reach S3 at http://127.0.0.1:9/b?versioning (check --endpoint-url/"
        "--region and that the server is running)")]
