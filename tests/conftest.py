"""Fixtures shared by the whole suite, layered as the design card asks:

credentials -> moto S3 client -> versioned bucket (tests add deployed sites on top), plus a
headless Chromium for browser tests.  No test ever reaches real AWS: dummy credentials are set
here, and moto intercepts every call (or runs as a server on 127.0.0.1).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# Debian's chromium, or the browser NOTES_CHROMIUM names (CI: ubuntu-latest's Chrome)
CHROMIUM = os.environ.get("NOTES_CHROMIUM") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture(autouse=True, scope="session")
def _own_cache_folder(tmp_path_factory: pytest.TempPathFactory) -> None:
    """What `notes` keeps in the user's cache folder (compiled regular expressions,
    ``core.regexcache``) goes to a folder of the test session's, not the user's."""
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("user-cache"))


@pytest.fixture
def aws_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """Dummy credentials and region, so boto3 never looks for real ones."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SECURITY_TOKEN": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)


_URL_RELOADS = threading.Lock()


def serial_url_reloads() -> None:
    """moto's in-process mock reloads ``moto.s3.urls`` on every S3 request
    (``S3Backend._url_module``), and ``importlib.reload`` takes the module out of
    ``sys.modules`` for a moment while it runs: a second thread's reload in that moment fails
    with ``ImportError: module moto.s3.urls not in sys.modules`` (a racing lock breaker lost
    its thread to it once in CI).  One reload at a time.  (moto's server builds its routes
    once; only the in-process mock does this.)  Idempotent."""
    from moto.s3.models import S3Backend

    reload_urls = S3Backend.__dict__["_url_module"].fget
    if getattr(reload_urls, "serial", False):
        return

    def one_at_a_time(self: object) -> object:
        with _URL_RELOADS:
            return reload_urls(self)

    one_at_a_time.serial = True  # type: ignore[attr-defined]
    S3Backend._url_module = property(one_at_a_time)


@pytest.fixture
def s3(aws_credentials: None) -> Iterator[object]:
    """A boto3 S3 client inside moto's in-process mock, deciding conditional writes atomically
    as S3 does (``atomic_object_requests``: the lock tests race threads on one ETag)."""
    import boto3
    from moto import mock_aws

    from site_builder.serve.embedded import atomic_object_requests
    from site_builder.serve.leans3 import lean_version_listing

    atomic_object_requests()
    lean_version_listing()  # notes up's listing: every deploy test checks it against S3's rules
    serial_url_reloads()
    with mock_aws():
        yield boto3.client("s3", region_name="us-east-1")


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    """moto's S3 server on a free local port, for code that runs in another process (the
    staged Lambda asset, a `notes` process)."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def bucket(s3) -> str:
    """A versioned bucket, as the CDK stack provisions it."""
    name = "notes-test-site"
    s3.create_bucket(Bucket=name)
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    return name


@pytest.fixture(scope="module")
def chromium_browser() -> Iterator[object]:
    """Debian's chromium driven by Playwright.  Outside CI a missing chromium skips;
    in CI (CI=true) it fails, because `make test` installs it there.

    One browser per test module, not per session: the builder's tests fork worker pools, and
    a Playwright driver kept alive across them once hung the suite's final teardown."""
    if not Path(CHROMIUM).is_file() or not os.access(CHROMIUM, os.X_OK):
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: `make test` should have installed chromium "
                        "(or set NOTES_CHROMIUM to a browser that exists)")
        pytest.skip("chromium is not installed (make test installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(chromium_browser) -> Iterator[object]:
    context = chromium_browser.new_context()
    pg = context.new_page()
    try:
        yield pg
    finally:
        context.close()


@pytest.fixture
def two_deploys(s3, bucket, tmp_path, capsys):
    """Two deploys through the CLI ("first", then "second"); their records, newest first."""
    from test_deploy_publish import SITE_V1, site_v2, write_site

    from site_builder.cli import main
    from site_builder.deploy import history

    site = str(write_site(tmp_path / "s", SITE_V1))
    main(["deploy", "--bucket", bucket, "--site", site, "--message", "first"])
    write_site(tmp_path / "s", site_v2())
    main(["deploy", "--bucket", bucket, "--site", site, "--message", "second"])
    capsys.readouterr()
    return history(s3, bucket)


@pytest.fixture(scope="session")
def cdk_synth(tmp_path_factory: pytest.TempPathFactory):
    """``cdk_synth(*context, notes=...)``: the pinned CLI's synth of a project with those
    notes, once per session (tests/cdkapp.py)."""
    from cdkapp import SynthCache

    return SynthCache(tmp_path_factory.mktemp("cdk"))


@pytest.fixture(autouse=True)
def every_built_site_is_followable(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every site any test builds (in this process) is checked as it is built: no page may
    hold an address a browser cannot follow, or a #fragment that is no id on its target
    (issue 25).  ``build_site`` looks ``_build`` up at each call, so wrapping it here covers
    the tests that imported ``build_site`` itself."""
    from deadlinks import dead_addresses

    from site_builder.pipeline import build

    real = build._build

    def checked(*args, **kwargs):
        result = real(*args, **kwargs)
        dead = dead_addresses(result.out_dir)
        assert not dead, "dead addresses in a built site:\n" + "\n".join(dead[:20])
        return result

    monkeypatch.setattr(build, "_build", checked)
