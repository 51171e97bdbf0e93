"""The bucket lock: conditional create, holder in the error, --force-unlock, release."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from botocore.exceptions import ClientError
from test_deploy_publish import SITE_V1, write_site

from site_builder.deploy import publish, rollback
from site_builder.deploy.lock import LOCK_KEY, acquire, release
from site_builder.errors import DeployError


def test_second_deploy_fails_naming_the_holder(s3, bucket, tmp_path):
    held = acquire(s3, bucket, "deploy", holder="alice@laptop pid 42")
    site = write_site(tmp_path / "s", SITE_V1)
    with pytest.raises(DeployError) as err:
        publish(s3, bucket, site)
    assert str(err.value) == (
        f"bucket 'notes-test-site' is locked by alice@laptop pid 42 (deploy) since "
        f"{held.started} (0 min ago) (wait for it to finish; if it crashed, rerun with "
        "--force-unlock (allowed after 15 min))")
    with pytest.raises(DeployError, match="locked by alice@laptop pid 42"):
        rollback(s3, bucket)
    with pytest.raises(DeployError, match="only breaks locks older than 15 min"):
        publish(s3, bucket, site, force_unlock=True)
    assert "Contents" not in s3.list_objects_v2(Bucket=bucket, Prefix="docker/")
    release(s3, bucket, held)
    assert publish(s3, bucket, site).record is not None


def test_force_unlock_breaks_a_stale_lock_and_releases(s3, bucket, tmp_path):
    acquire(s3, bucket, "deploy", holder="crashed",
            now=datetime.now(UTC) - timedelta(hours=2))
    site = write_site(tmp_path / "s", SITE_V1)
    with pytest.raises(DeployError, match=r"locked by crashed \(deploy\) since .* \(120 min ago\)"):
        publish(s3, bucket, site)
    assert publish(s3, bucket, site, force_unlock=True).record is not None
    with pytest.raises(ClientError, match="NoSuchKey"):
        s3.get_object(Bucket=bucket, Key=LOCK_KEY)


def test_release_leaves_someone_elses_lock(s3, bucket):
    mine = acquire(s3, bucket, "deploy", holder="me",
                   now=datetime.now(UTC) - timedelta(hours=1))
    theirs = acquire(s3, bucket, "deploy", holder="them", force_unlock=True)
    release(s3, bucket, mine)  # must not delete "them"'s lock
    body = s3.get_object(Bucket=bucket, Key=LOCK_KEY)["Body"].read()
    assert theirs.token.encode() in body
