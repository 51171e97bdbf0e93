"""Untrusted bytes are read with a ceiling (issue 27): records inflated in steps up to 64 MiB,
lock and manifest bodies cut off, and a 402-byte bz2 bomb costs no more than the ceiling."""

import base64
import bz2
import gzip
import io
import json
import subprocess
import sys
import textwrap

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from site_builder.deploy.bounded import RECORD_LIMIT, TooLarge, inflate, read_capped
from site_builder.deploy.lock import LOCK_KEY, read_lock
from site_builder.deploy.manifest import manifest_path
from site_builder.deploy.record import RECORD_PREFIX, RecordError, parse_record

# bz2 of 512 MiB of zero bytes, one stream (bz2 has no timestamp: always these bytes).
BOMB = base64.b64decode(
    "QlpoOTFBWSZTWQ4J4t8BX45AAMAAAAggADCATUZCoCWpCoCXMUFZJlNZDgni3wFfjkAAwAAACCAAMIBNRkKgJakKgJcxQVkmU1kOCeLfAV+OQADAAAAIIAAwgE1GQqAlqQqAlzFBWSZTWQ4J4t8BX45AAMAAAAggADCATUZCoCWpCoCXMUFZJlNZDgni3wFfjkAAwAAACCAAMIBNRkKgJakKgJcxQVkmU1kOCeLfAV+OQADAAAAIIAAwgE1GQqAlqQqAlzFBWSZTWQ4J4t8BX45AAMAAAAggADCATUZCoCWpCoCXMUFZJlNZDgni3wFfjkAAwAAACCAAMIBNRkKgJakKgJcxQVkmU1kOCeLfAV+OQADAAAAIIAAwgE1GQqAlqQqAlzFBWSZTWQ4J4t8BX45AAMAAAAggADCATUZCoCWpCoCXMUFZJlNZDgni3wFfjkAAwAAACCAAMIBNRkKgJakKgJcxQVkmU1kCGMe7APTw4ADAAAAEAAggADDMCapplUFIbVKgpDxdyRThQkIPy1I4")
KEY = f"{RECORD_PREFIX}20260101-000000-000000-abcd.json.bz2"


@settings(max_examples=60, deadline=None)
@given(parts=st.lists(st.binary(max_size=3000), min_size=1, max_size=4),
       packing=st.sampled_from(["bz2", "gzip"]))
def test_inflate_reads_what_the_standard_library_reads(parts: list[bytes], packing: str) -> None:
    """Several concatenated streams, as records are stored (one bz2 stream per column)."""
    module = bz2 if packing == "bz2" else gzip
    data = b"".join(module.compress(p) for p in parts)
    assert inflate(data, packing, RECORD_LIMIT) == module.decompress(data) == b"".join(parts)


@pytest.mark.parametrize("packing", ["bz2", "gzip"])
def test_inflate_stops_at_the_limit_and_names_bad_data(packing: str) -> None:
    module = bz2 if packing == "bz2" else gzip
    data = module.compress(bytes(5000))
    assert inflate(data, packing, 5000) == bytes(5000)
    with pytest.raises(TooLarge, match="^more than 4 KiB$"):
        inflate(data, packing, 4096)
    with pytest.raises(EOFError):
        inflate(data[:-8], packing, 1 << 20)
    with pytest.raises(OSError):
        inflate(data[:4] + b"garbage" * 20, packing, 1 << 20)


def test_read_capped_never_reads_past_the_limit() -> None:
    class Body(io.BytesIO):
        asked = 0

        def read(self, size: int = -1) -> bytes:
            assert size >= 0, "a read without a size could take everything"
            Body.asked += size
            return super().read(size)

    assert read_capped(Body(b"x" * 100), 100) == b"x" * 100
    Body.asked = 0
    with pytest.raises(TooLarge):
        read_capped(Body(b"x" * (10 << 20)), 1 << 20)
    assert Body.asked <= (1 << 20) + 1


def test_a_bomb_record_is_a_one_line_error_naming_its_key() -> None:
    with pytest.raises(RecordError) as exc:
        parse_record(KEY, BOMB)
    assert str(exc.value) == (f"invalid deploy record {KEY}: it inflates to more than 64 MiB: "
                              "not a deploy record (move it out of _notes/deploys/ or restore "
                              "an earlier version of it)")


def test_an_oversized_lock_body_is_an_unreadable_lock(s3, bucket) -> None:
    s3.put_object(Bucket=bucket, Key=LOCK_KEY, Body=b"{" + b" " * (1 << 20) + b"}")
    held = read_lock(s3, bucket)
    assert held is not None and held.body.owner.command == "(unreadable lock)"
    assert held.stale


def test_an_oversized_manifest_is_ignored(tmp_path, monkeypatch) -> None:
    from site_builder.deploy import manifest

    site = tmp_path / "site"
    site.mkdir()
    (site / "a.html").write_text("a")
    manifest.refresh_manifest(site, lambda key: ("0" * 32, "pages"))
    assert manifest.load_manifest(site)
    monkeypatch.setattr(manifest, "MANIFEST_LIMIT", manifest_path(site).stat().st_size - 1)
    assert manifest.load_manifest(site) == {}


PEAK_SCRIPT = textwrap.dedent("""
    import base64, json, os, resource, sys
    os.environ.update(AWS_ACCESS_KEY_ID="t", AWS_SECRET_ACCESS_KEY="t",
                      AWS_DEFAULT_REGION="us-east-1")
    from moto import mock_aws
    import boto3
    from site_builder.cli import main

    bomb, key, command = base64.b64decode(sys.argv[1]), sys.argv[2], sys.argv[3]
    with mock_aws():
        s3 = boto3.client("s3")
        s3.create_bucket(Bucket="bomb-bucket")
        s3.put_bucket_versioning(Bucket="bomb-bucket", VersioningConfiguration={"Status": "Enabled"})
        main([command, "--bucket", "bomb-bucket"])  # imports and clients made, no bomb yet
        s3.put_object(Bucket="bomb-bucket", Key=key, Body=bomb)
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        code = main([command, "--bucket", "bomb-bucket"])
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"code": code, "grew_mb": (after - before) / 1024}), file=sys.stderr)
""")


@pytest.mark.parametrize("command, code, line", [
    ("history", 0, (f"Warning: skipping invalid deploy record {KEY}: it inflates to more than "
                   "64 MiB: not a deploy record")),
    ("verify", 1, (f"Error: invalid deploy record {KEY}: it inflates to more than 64 MiB: not a "
                  "deploy record (move it out of _notes/deploys/ or restore an earlier version "
                  "of it)")),
])
def test_a_bz2_bomb_under_deploys_costs_at_most_the_ceiling(command: str, code: int,
                                                            line: str) -> None:
    """The issue's 426-byte record made every command peak at 1,077 MB (51 MB normally)."""
    run = subprocess.run([sys.executable, "-c", PEAK_SCRIPT, base64.b64encode(BOMB).decode(),
                          KEY, command], check=False, capture_output=True, text=True, timeout=300)
    lines = run.stderr.strip().splitlines()
    result = json.loads(lines[-1])
    assert result["code"] == code and line in lines
    assert "Traceback" not in run.stderr
    assert result["grew_mb"] < 150, result  # the 64 MiB ceiling, not the 512 MiB inside
