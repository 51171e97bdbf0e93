"""The embedded S3's version listing (``serve/leans3.py``): S3's semantics, checked against a
model of the bucket over random writes and deletes and random page sizes, and no copies."""

import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

KEYS = ["a", "a/b", "a/c", "b", "c/d/e"]
OPS = st.lists(st.tuples(st.sampled_from(["put", "delete", "drop"]), st.sampled_from(KEYS),
                         st.integers(0, 5)), min_size=1, max_size=14)
_names = itertools.count()


def listing(s3, bucket: str, page: int, prefix: str) -> list[tuple[str, str, bool, bool]]:
    """(key, version id, is latest, is a delete marker), page by page as botocore follows
    NextKeyMarker / NextVersionIdMarker."""
    found = []
    for part in s3.get_paginator("list_object_versions").paginate(
            Bucket=bucket, Prefix=prefix, PaginationConfig={"PageSize": page}):
        rows = [(v["Key"], v["VersionId"], v["IsLatest"], False) for v in part.get("Versions", [])]
        rows += [(m["Key"], m["VersionId"], m["IsLatest"], True)
                 for m in part.get("DeleteMarkers", [])]
        found += sorted(rows, key=lambda r: (r[0], order[r[1]]))
    return found


order: dict[str, int] = {}  # version id -> minus its write sequence (newest sorts first)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=OPS, page=st.integers(1, 7), prefix=st.sampled_from(["", "a", "a/", "c/d"]))
def test_listing_matches_a_model_of_s3(s3, ops, page: int, prefix: str) -> None:
    bucket = f"lean-{next(_names)}"
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    model: dict[str, list[tuple[str, bool]]] = {}  # key -> [(version id, marker)], newest first
    for op, key, pick in ops:
        versions = model.setdefault(key, [])
        if op == "put":
            vid = s3.put_object(Bucket=bucket, Key=key, Body=key.encode())["VersionId"]
            versions.insert(0, (vid, False))
        elif op == "delete":
            vid = s3.delete_object(Bucket=bucket, Key=key).get("VersionId")
            if vid:  # moto makes no marker for a key it never had (S3 would)
                versions.insert(0, (vid, True))
        elif versions:
            vid, _ = versions.pop(pick % len(versions))
            s3.delete_object(Bucket=bucket, Key=key, VersionId=vid)
        order.update((v, -n) for n, (v, _) in enumerate(reversed(versions)))
    expected = [(key, vid, i == 0, marker) for key in sorted(model) if key.startswith(prefix)
                for i, (vid, marker) in enumerate(model[key])]
    expected.sort(key=lambda r: (r[0], order[r[1]]))
    assert listing(s3, bucket, page, prefix) == expected


def test_listing_copies_no_version(s3, bucket, monkeypatch) -> None:
    """moto deep-copied every version, bodies included, for every page."""
    import moto.s3.models

    for n in range(30):
        s3.put_object(Bucket=bucket, Key=f"k{n % 3}", Body=b"x" * 10_000)

    def refuse(*args, **kwargs):
        raise AssertionError("a version was copied")

    monkeypatch.setattr(moto.s3.models.copy, "deepcopy", refuse)
    pages = list(s3.get_paginator("list_object_versions").paginate(
        Bucket=bucket, PaginationConfig={"PageSize": 7}))
    assert sum(len(p.get("Versions", [])) for p in pages) == 30
    assert [v["IsLatest"] for v in pages[0]["Versions"][:3]] == [True, False, False]


@pytest.mark.parametrize("delimiter_prefix, expected", [
    ("", ["a/", "c/"]), ("a", ["a/"]), ("c/", ["c/d/"]),
])
def test_common_prefixes_roll_up_keys(s3, bucket, delimiter_prefix: str, expected) -> None:
    for key in KEYS:
        s3.put_object(Bucket=bucket, Key=key, Body=b"x")
    found = s3.list_object_versions(Bucket=bucket, Prefix=delimiter_prefix, Delimiter="/")
    assert [p["Prefix"] for p in found.get("CommonPrefixes", [])] == expected
