"""CloudFront invalidation: the pure path computation, then publish/rollback against moto's S3
and CloudFront (exact path lists for an edit, a rename, a rollback and a no-op)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from urllib.parse import unquote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from site_builder.core.errors import DeployError
from site_builder.deploy import publish, rollback
from site_builder.deploy.headers import is_content_hashed
from site_builder.deploy.invalidate import (
    WILDCARD,
    changed_keys,
    invalidation_paths,
    invalidator,
    key_paths,
    plan_paths,
)
from site_builder.deploy.lock_body import read_lock
from site_builder.deploy.plan import Plan, Upload
from site_builder.deploy.record import DeployRecord, FileEntry, Invalidation
from site_builder.deploy.recordstore import latest_record, record_ids
from site_builder.deploy.remote import RemoteObject

DEEP = bool(os.environ.get("NOTES_DEEP_TESTS"))

# --- pure: keys -> paths -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "paths"),
    [
        ("index.html", ("/", "/index.html")),
        ("docker/layers/index.html", ("/docker/layers/", "/docker/layers/index.html")),
        ("404.html", ("/404.html",)),
        ("feed.xml", ("/feed.xml",)),
        ("myindex.html", ("/myindex.html",)),
        ("a/notindex.html", ("/a/notindex.html",)),
        ("notes/x y/index.html", ("/notes/x%20y/", "/notes/x%20y/index.html")),
        ("a*b.txt", ("/a%2Ab.txt",)),  # never a wildcard by accident
        ("café/index.html", ("/caf%C3%A9/", "/caf%C3%A9/index.html")),
    ],
)
def test_key_paths(key: str, paths: tuple[str, ...]) -> None:
    assert key_paths(key) == paths


def test_hashed_files_are_never_invalidated() -> None:
    keys = ["assets/style.3f2a9c1b.css", "pagefind/index/en_b2deec9.pf_index",
            "pagefind/fragment/en_1234567.pf_fragment"]
    assert all(is_content_hashed(k) for k in keys)
    assert invalidation_paths(keys) == ()
    assert invalidation_paths([*keys, "pagefind/pagefind.js"]) == ("/pagefind/pagefind.js",)


def test_collapses_to_wildcard_only_above_the_threshold() -> None:
    keys = [f"n{i}/index.html" for i in range(5)]  # 10 paths
    assert len(invalidation_paths(keys, max_paths=10)) == 10
    assert invalidation_paths(keys, max_paths=9) == (WILDCARD,)
    assert invalidation_paths([], max_paths=0) == ()


def _entry(version: str) -> FileEntry:
    return FileEntry(1, "0" * 32, version, "text/html; charset=utf-8", "no-cache")


def _remote(key: str, version: str) -> RemoteObject:
    return RemoteObject(key, "0" * 32, 1, version)


def test_changed_keys_adds_what_the_last_record_does_not_describe() -> None:
    upload = Upload("a/index.html", "notes", "md5 differs", 1, "0" * 32, "text/html", "no-cache")
    plan = Plan((upload,), ("gone.html",), ("same.html", "drifted.html"))
    record = DeployRecord("r", "t", "deploy", "cli", "", None, {},
                          {"same.html": _entry("v1"), "drifted.html": _entry("v1"),
                           "lost.html": _entry("v1")})
    live = {"same.html": _remote("same.html", "v1"),
            "drifted.html": _remote("drifted.html", "v2"),
            "extra.html": _remote("extra.html", "v1")}
    assert changed_keys(plan) == {"a/index.html", "gone.html"}
    assert changed_keys(plan, record, live) == {
        "a/index.html", "gone.html", "drifted.html", "lost.html", "extra.html"}
    assert changed_keys(plan, None, live) == {"a/index.html", "gone.html", *live}


_segment = st.text(st.characters(codec="utf-8", exclude_characters="/\x00"),
                   min_size=1, max_size=6)
_key = st.one_of(
    st.lists(_segment, min_size=1, max_size=3).map("/".join),
    st.lists(_segment, max_size=2).map(lambda parts: "/".join([*parts, "index.html"])),
    st.from_regex(r"assets/[a-z]{1,5}\.[0-9a-f]{8}\.css", fullmatch=True),
    st.from_regex(r"pagefind/index/en_[0-9a-f]{7}\.pf_index", fullmatch=True),
)


@settings(max_examples=400 if DEEP else 60, deadline=None)
@given(st.sets(_key, max_size=25), st.integers(min_value=1, max_value=40))
def test_paths_property(keys: set[str], max_paths: int) -> None:
    paths = invalidation_paths(keys, max_paths)
    wanted = {k for k in keys if not is_content_hashed(k)}
    if not wanted:
        assert paths == ()
        return
    full = {p for k in wanted for p in key_paths(k)}
    if len(full) > max_paths:
        assert paths == (WILDCARD,)
        return
    assert list(paths) == sorted(set(paths)) and len(paths) <= max_paths
    decoded = {unquote(p) for p in paths}
    for key in wanted:  # each key under its own URL, and a page under its folder URL too
        assert "/" + key in decoded
        if key == "index.html" or key.endswith("/index.html"):
            assert "/" + key[: -len("index.html")] in decoded
    for p in paths:
        assert p.startswith("/") and "*" not in p and " " not in p
        key = unquote(p)[1:]
        assert key in wanted or key + "index.html" in wanted


# --- against moto: publish, rollback -----------------------------------------------------------

SITE_A: dict[str, str | bytes] = {
    "index.html": "home",
    "docker/index.html": "docker: layers, networking",
    "docker/layers/index.html": "layers v1",
    "docker/networking/index.html": "networking",
    "assets/style.3f2a9c1b.css": "body{}",
    "pagefind/pagefind-entry.json": '{"v":1}',
    "pagefind/index/en_b2deec9.pf_index": b"\x1f\x8bone",
    "feed.xml": "<feed>1</feed>",
    "404.html": "not found",
}


def site_edit() -> dict[str, str | bytes]:
    files = dict(SITE_A)
    files["docker/layers/index.html"] = "layers v2"
    files["pagefind/pagefind-entry.json"] = '{"v":2}'
    del files["pagefind/index/en_b2deec9.pf_index"]
    files["pagefind/index/en_c3eeff0.pf_index"] = b"\x1f\x8btwo"
    del files["assets/style.3f2a9c1b.css"]
    files["assets/style.4d5e6f70.css"] = "body{color:red}"
    files["feed.xml"] = "<feed>2</feed>"
    return files


EDIT_PATHS = ["/docker/layers/", "/docker/layers/index.html", "/feed.xml",
              "/pagefind/pagefind-entry.json"]


def write_site(root: Path, files: dict[str, str | bytes]) -> Path:
    if root.exists():
        shutil.rmtree(root)
    for key, data in files.items():
        (root / key).parent.mkdir(parents=True, exist_ok=True)
        (root / key).write_bytes(data if isinstance(data, bytes) else data.encode())
    return root


@pytest.fixture
def cloudfront(s3):
    """moto's CloudFront (inside the same mock as the ``s3`` fixture)."""
    import boto3

    return boto3.client("cloudfront", region_name="us-east-1")


@pytest.fixture
def distribution(cloudfront) -> str:
    origin = {"Id": "site", "DomainName": "notes-test-site.s3-website-us-east-1.amazonaws.com",
              "CustomOriginConfig": {"HTTPPort": 80, "HTTPSPort": 443,
                                     "OriginProtocolPolicy": "http-only"}}
    config = {
        "CallerReference": "test", "Comment": "", "Enabled": True,
        "Origins": {"Quantity": 1, "Items": [origin]},
        "DefaultCacheBehavior": {"TargetOriginId": "site",
                                 "ViewerProtocolPolicy": "redirect-to-https",
                                 "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6"},
    }
    return cloudfront.create_distribution(DistributionConfig=config)["Distribution"]["Id"]


def _invalidations(cloudfront, dist: str) -> list[dict]:
    items = cloudfront.list_invalidations(DistributionId=dist)["InvalidationList"]
    return [cloudfront.get_invalidation(DistributionId=dist, Id=i["Id"])["Invalidation"]
            for i in items.get("Items", [])]


def _paths(inv: dict) -> list[str]:
    return sorted(inv["InvalidationBatch"]["Paths"]["Items"])


def test_first_publish_invalidates_every_page_url(s3, bucket, cloudfront, distribution,
                                                  tmp_path) -> None:
    """New keys too: a reader who tried a URL early may have its 404 cached at the edge."""
    result = publish(s3, bucket, write_site(tmp_path / "site", SITE_A),
                     invalidator=invalidator(cloudfront, distribution))
    expected = ["/", "/404.html", "/docker/", "/docker/index.html", "/docker/layers/",
                "/docker/layers/index.html", "/docker/networking/",
                "/docker/networking/index.html", "/feed.xml", "/index.html",
                "/pagefind/pagefind-entry.json"]
    [inv] = _invalidations(cloudfront, distribution)
    assert _paths(inv) == expected
    assert inv["InvalidationBatch"]["CallerReference"] == result.record.id
    assert result.record.invalidation == Invalidation(distribution, inv["Id"], tuple(expected))
    # The record in the bucket lists it too.
    assert latest_record(s3, bucket).invalidation == result.record.invalidation


def test_edit_invalidates_exactly_what_changed(s3, bucket, cloudfront, distribution,
                                              tmp_path) -> None:
    site = tmp_path / "site"
    run = invalidator(cloudfront, distribution)
    publish(s3, bucket, write_site(site, SITE_A), invalidator=run)
    edit = publish(s3, bucket, write_site(site, site_edit()), invalidator=run)
    assert len(edit.plan.uploads) == 5 and len(edit.plan.deletes) == 2  # hashed ones included
    invs = _invalidations(cloudfront, distribution)
    assert len(invs) == 2 and _paths(invs[1]) == EDIT_PATHS
    assert edit.record.invalidation.id == invs[1]["Id"]
    assert list(edit.record.invalidation.paths) == EDIT_PATHS


def test_rename_invalidates_old_and_new_urls(s3, bucket, cloudfront, distribution,
                                            tmp_path) -> None:
    site = tmp_path / "site"
    run = invalidator(cloudfront, distribution)
    publish(s3, bucket, write_site(site, SITE_A), invalidator=run)
    renamed = dict(SITE_A)
    renamed["docker/network/index.html"] = renamed.pop("docker/networking/index.html")
    renamed["docker/index.html"] = "docker: layers, network"
    publish(s3, bucket, write_site(site, renamed), invalidator=run)
    assert _paths(_invalidations(cloudfront, distribution)[1]) == [
        "/docker/", "/docker/index.html", "/docker/network/", "/docker/network/index.html",
        "/docker/networking/", "/docker/networking/index.html"]


def test_rollback_invalidates_what_it_restored(s3, bucket, cloudfront, distribution,
                                              tmp_path) -> None:
    site = tmp_path / "site"
    run = invalidator(cloudfront, distribution)
    first = publish(s3, bucket, write_site(site, SITE_A), invalidator=run)
    publish(s3, bucket, write_site(site, site_edit()), invalidator=run)
    result, target = rollback(s3, bucket, invalidator=run)
    assert target.id == first.record.id
    invs = _invalidations(cloudfront, distribution)
    assert len(invs) == 3 and _paths(invs[2]) == EDIT_PATHS
    assert result.record.kind == "rollback"
    assert result.record.invalidation.id == invs[2]["Id"]
    # Rolling back to what is live already restores nothing and invalidates nothing.
    again, _ = rollback(s3, bucket, to=result.record.id, invalidator=run)
    assert again.plan.is_noop and again.record.invalidation is None
    assert len(_invalidations(cloudfront, distribution)) == 3


def test_above_the_threshold_one_wildcard(s3, bucket, cloudfront, distribution,
                                         tmp_path) -> None:
    result = publish(s3, bucket, write_site(tmp_path / "site", SITE_A),
                     invalidator=invalidator(cloudfront, distribution, max_paths=10))
    [inv] = _invalidations(cloudfront, distribution)
    assert _paths(inv) == [WILDCARD] and result.record.invalidation.paths == (WILDCARD,)


def test_dry_run_and_no_distribution_invalidate_nothing(s3, bucket, cloudfront, distribution,
                                                       tmp_path) -> None:
    site = write_site(tmp_path / "site", SITE_A)
    dry = publish(s3, bucket, site, dry_run=True,
                  invalidator=invalidator(cloudfront, distribution))
    assert dry.record is None and len(plan_paths(dry.plan)) == 11
    plain = publish(s3, bucket, site)
    assert plain.record.invalidation is None
    assert _invalidations(cloudfront, distribution) == []


def test_failed_invalidation_writes_no_record_and_the_rerun_catches_up(
        s3, bucket, cloudfront, distribution, tmp_path) -> None:
    site = tmp_path / "site"
    run = invalidator(cloudfront, distribution)
    publish(s3, bucket, write_site(site, SITE_A), invalidator=run)
    ids = record_ids(s3, bucket)
    with pytest.raises(DeployError) as err:
        publish(s3, bucket, write_site(site, site_edit()),
                invalidator=invalidator(cloudfront, "E2NOSUCHDIST"))
    assert str(err.value) == (
        "CloudFront distribution 'E2NOSUCHDIST' does not exist (check --distribution, "
        "[deploy] distribution in notes.toml, or the stack's DistributionId output; the new "
        "files are live but no deploy record was written; run the command again to "
        "invalidate them and record the deploy)")
    assert record_ids(s3, bucket) == ids
    assert read_lock(s3, bucket).body.released  # free, saying the deploy did not finish
    # The re-run has nothing left to upload, yet invalidates what the failed run changed.
    again = publish(s3, bucket, site, invalidator=run)
    assert again.plan.is_noop and again.record is not None
    assert list(again.record.invalidation.paths) == EDIT_PATHS


def test_noop_publish_makes_no_invalidation(s3, bucket, cloudfront, distribution,
                                           tmp_path) -> None:
    site = write_site(tmp_path / "site", SITE_A)
    run = invalidator(cloudfront, distribution)
    publish(s3, bucket, site, invalidator=run)
    before = _invalidations(cloudfront, distribution)
    again = publish(s3, bucket, site, invalidator=run)
    assert again.record is None and again.plan.is_noop
    assert _invalidations(cloudfront, distribution) == before


# --- sequences: what is invalidated is exactly what readers could see change -----------------

_PAGES = ["index.html", "a/index.html", "a/b/index.html", "feed.xml", "img/x.png",
          "assets/app.0123abcd.js"]
_site = st.dictionaries(st.sampled_from(_PAGES), st.sampled_from(["v1", "v2", "v3"]),
                        min_size=1)
_step = st.one_of(_site, st.just("rollback"))


@settings(max_examples=25 if DEEP else 6, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(_step, min_size=1, max_size=5))
def test_sequence_invalidates_exactly_the_changed_urls(aws_credentials, tmp_path_factory,
                                                       steps) -> None:
    """Publishes and rollbacks in any order: each invalidation lists the URLs of exactly the
    keys whose bytes or existence changed (a model of the live site decides), none for a
    deploy that changed nothing."""
    import boto3
    from moto import mock_aws

    tmp = tmp_path_factory.mktemp("seq")
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="seq")
        s3.put_bucket_versioning(Bucket="seq", VersioningConfiguration={"Status": "Enabled"})
        cf = boto3.client("cloudfront", region_name="us-east-1")
        origin = {"Id": "o", "DomainName": "seq.s3-website-us-east-1.amazonaws.com",
                  "CustomOriginConfig": {"HTTPPort": 80, "HTTPSPort": 443,
                                         "OriginProtocolPolicy": "http-only"}}
        dist = cf.create_distribution(DistributionConfig={
            "CallerReference": "seq", "Comment": "", "Enabled": True,
            "Origins": {"Quantity": 1, "Items": [origin]},
            "DefaultCacheBehavior": {"TargetOriginId": "o",
                                     "ViewerProtocolPolicy": "redirect-to-https",
                                     "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6"},
        })["Distribution"]["Id"]
        run = invalidator(cf, dist)
        live: dict[str, str] = {}
        history_: list[dict[str, str]] = []  # the site each deploy left live
        for step in steps:
            if step == "rollback":
                if len(history_) < 2:
                    continue
                result, _ = rollback(s3, "seq", to=None, invalidator=run)
                history_.pop()
                new = history_[-1]
            else:
                result = publish(s3, "seq", write_site(tmp / "site", step), invalidator=run,
                                 allow_mass_delete=True)
                new = dict(step)
                if result.record is not None:
                    history_.append(new)
            changed = {k for k in set(live) | set(new) if live.get(k) != new.get(k)}
            got = result.record.invalidation if result.record else None
            assert (got.paths if got else ()) == invalidation_paths(changed)
            live = new
