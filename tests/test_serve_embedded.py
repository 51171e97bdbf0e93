"""The embedded S3 of `notes up`: moto on 127.0.0.1, a bucket configured from bucket_config."""

from __future__ import annotations

import json
import subprocess
import sys

from conftest import REPO

from site_builder.core import bucket_config
from site_builder.serve.embedded import EmbeddedS3, create_site_bucket, local_policy


def test_local_policy_keeps_the_stacks_allow_and_drops_only_conditional_denies() -> None:
    arn = bucket_config.bucket_arn("notes-local")
    full = bucket_config.public_read_policy(arn, "123456789012")
    local = local_policy(arn, "123456789012")
    assert local["Version"] == full["Version"]
    dropped = [s for s in full["Statement"] if s not in local["Statement"]]
    assert local["Statement"] == [s for s in full["Statement"] if "Condition" not in s]
    assert [s["Sid"] for s in local["Statement"]] == [bucket_config.SID_PUBLIC_READ]
    assert all(s["Effect"] == "Deny" and "Condition" in s for s in dropped)


def test_embedded_bucket_is_configured_like_the_stack_and_accepts_owner_writes(
    aws_credentials,
) -> None:
    with EmbeddedS3(port=0) as s3:
        assert s3.endpoint_url.startswith("http://127.0.0.1:")
        client = s3.client()
        create_site_bucket(client, "notes-local")
        create_site_bucket(client, "notes-local")  # idempotent: a second `notes up` run
        assert client.get_bucket_versioning(Bucket="notes-local")["Status"] == "Enabled"
        website = client.get_bucket_website(Bucket="notes-local")
        expected = bucket_config.website_configuration()
        assert website["IndexDocument"] == expected["IndexDocument"]
        assert website["ErrorDocument"] == expected["ErrorDocument"]
        block = client.get_public_access_block(Bucket="notes-local")
        assert block["PublicAccessBlockConfiguration"] == bucket_config.public_access_block()
        policy = json.loads(client.get_bucket_policy(Bucket="notes-local")["Policy"])
        assert policy["Statement"][0]["Resource"] == "arn:aws:s3:::notes-local/*"
        # The owner can write both site objects and private records (the deploy engine does).
        client.put_object(Bucket="notes-local", Key="index.html", Body=b"x")
        client.put_object(Bucket="notes-local", Key="_notes/lock", Body=b"{}")
        versions = client.list_object_versions(Bucket="notes-local")["Versions"]
        assert {v["Key"] for v in versions} == {"index.html", "_notes/lock"}



def test_embedded_s3_decides_conditional_puts_atomically(aws_credentials) -> None:
    """`notes up` serves other terminals, and two deploys racing to break a stale lock must not
    both hold it: the embedded server runs PutObject under ``atomic_object_requests`` (whose
    race the lock tests prove in-process).  Checked in a clean interpreter, where nothing else
    has applied it."""
    code = ("from moto.s3.responses import S3Response\n"
            "from site_builder.serve.embedded import EmbeddedS3\n"
            "names = ('put_object', 'get_object', 'head_object', 'delete_object', "
            "'copy_object')\n"
            "assert not any(getattr(getattr(S3Response, n), 'atomic', False) for n in names)\n"
            "with EmbeddedS3(port=0):\n"
            "    print(all(getattr(getattr(S3Response, n), 'atomic', False) for n in names))\n")
    done = subprocess.run([sys.executable, "-c", code], check=False, cwd=REPO,
                          capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout) == (0, "True\n"), done.stderr
