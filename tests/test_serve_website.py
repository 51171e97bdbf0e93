"""The website server answers like the S3 website endpoint, from a folder and from a bucket.

Every rule is checked over HTTP (a real server on 127.0.0.1, free port) against both stores,
filled with the same hand-made site, so the folder preview and the bucket behave identically.
"""

from __future__ import annotations

import hashlib
import http.client
from collections.abc import Iterator
from pathlib import Path

import pytest

from site_builder.deploy import headers
from site_builder.serve.stores import BucketStore, FolderStore
from site_builder.serve.website import WebsiteApp, WebsiteServer

SITE: dict[str, bytes] = {
    "index.html": b"<html><body><h1>Home</h1></body></html>",
    "docker/index.html": b"<html><body><h1>Docker section</h1></body></html>",
    "docker/networking/index.html": b"<html><body><p>bridge networks</p></body></html>",
    "docker/img/layers.svg": b'<svg xmlns="http://www.w3.org/2000/svg"></svg>',
    "a b/index.html": b"<html><body>space in name</body></html>",
    "caf\u00e9/index.html": b"<html><body>accented</body></html>",
    "assets/style.3f2a9c1b.css": b"body{color:#222}",
    "feed.xml": b"<?xml version='1.0'?><feed/>",
    "plain": b"an object without an extension",
    "404.html": b"<html><body><h1>Page not found</h1></body></html>",
    "_notes/lock": b'{"who": "me"}',
    "_notes/deploys/20240101T000000Z-aaaa.json": b'{"id": "x"}',
}
SECRET = b"outside the site root"


def _fill_folder(root: Path, files: dict[str, bytes]) -> None:
    for key, data in files.items():
        path = root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def _fill_bucket(s3, bucket: str, files: dict[str, bytes]) -> None:
    for key, data in files.items():
        s3.put_object(
            Bucket=bucket,
            Key=key,
            Body=data,
            ContentType=headers.content_type(key),
            CacheControl=headers.cache_control(key),
        )


@pytest.fixture(params=["folder", "bucket"])
def make_server(request, tmp_path: Path) -> Iterator[object]:
    """A factory: ``make_server(files)`` -> running WebsiteServer over that site."""
    servers: list[WebsiteServer] = []
    (tmp_path / "secret.txt").write_bytes(SECRET)

    def make(files: dict[str, bytes] = SITE) -> WebsiteServer:
        if request.param == "folder":
            root = tmp_path / "site"
            _fill_folder(root, files)
            store = FolderStore(root)
        else:
            s3 = request.getfixturevalue("s3")
            bucket = request.getfixturevalue("bucket")
            _fill_bucket(s3, bucket, files)
            store = BucketStore(s3, bucket)
        server = WebsiteServer(WebsiteApp(store), "127.0.0.1", 0).start()
        servers.append(server)
        return server

    try:
        yield make
    finally:
        for server in servers:
            server.close()


def fetch(server: WebsiteServer, path: str, method: str = "GET", **hdrs: str):
    """(status, headers dict, body) for one request on a fresh connection."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        conn.request(method, path, headers={k.replace("_", "-"): v for k, v in hdrs.items()})
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def quoted_md5(data: bytes) -> str:
    return f'"{hashlib.md5(data).hexdigest()}"'


@pytest.mark.parametrize(
    ("path", "key"),
    [
        ("/", "index.html"),
        ("/docker/", "docker/index.html"),
        ("/docker/networking/", "docker/networking/index.html"),
        ("/index.html", "index.html"),
        ("/docker/img/layers.svg", "docker/img/layers.svg"),
        ("/assets/style.3f2a9c1b.css", "assets/style.3f2a9c1b.css"),
        ("/feed.xml", "feed.xml"),
        ("/plain", "plain"),
        ("/docker/?utm=x#frag", "docker/index.html"),
    ],
)
def test_serves_objects_with_stored_headers(make_server, path: str, key: str) -> None:
    server = make_server()
    status, hdrs, body = fetch(server, path)
    assert status == 200
    assert body == SITE[key]
    assert hdrs["content-type"] == headers.content_type(key)
    assert hdrs["cache-control"] == headers.cache_control(key)
    assert hdrs["etag"] == quoted_md5(SITE[key])
    assert int(hdrs["content-length"]) == len(SITE[key])


@pytest.mark.parametrize(
    ("path", "location"),
    [("/docker", "/docker/"), ("/docker/networking", "/docker/networking/"), ("/a%20b", "/a%20b/")],
)
def test_directory_without_slash_redirects(make_server, path: str, location: str) -> None:
    status, hdrs, _ = fetch(make_server(), path)
    assert status == 302
    assert hdrs["location"] == location


@pytest.mark.parametrize(
    "path", ["/nope", "/nope/", "/docker/nothing/", "/docker/img", "/index.htm", "/assets/"]
)
def test_missing_key_serves_error_document_with_404(make_server, path: str) -> None:
    status, hdrs, body = fetch(make_server(), path)
    assert status == 404
    assert body == SITE["404.html"]
    assert hdrs["content-type"] == "text/html; charset=utf-8"
    assert "etag" not in hdrs


def test_missing_key_without_error_document_is_plain_404(make_server) -> None:
    files = {k: v for k, v in SITE.items() if k != "404.html"}
    status, hdrs, body = fetch(make_server(files), "/nope/")
    assert status == 404
    assert hdrs["content-type"] == "text/plain; charset=utf-8"
    assert body == b"404 Not Found\n"


def test_if_none_match_gives_304_without_body(make_server) -> None:
    server = make_server()
    etag = quoted_md5(SITE["docker/index.html"])
    status, hdrs, body = fetch(server, "/docker/", If_None_Match=etag)
    assert (status, body) == (304, b"")
    assert hdrs["etag"] == etag
    assert hdrs["cache-control"] == headers.cache_control("docker/index.html")
    status, _, body = fetch(server, "/docker/", If_None_Match=quoted_md5(b"old bytes"))
    assert (status, body) == (200, SITE["docker/index.html"])


def test_head_has_get_headers_and_no_body(make_server) -> None:
    server = make_server()
    get_status, get_hdrs, _ = fetch(server, "/docker/networking/")
    status, hdrs, body = fetch(server, "/docker/networking/", "HEAD")
    assert (status, body) == (get_status, b"")
    for name in ("content-type", "content-length", "etag", "cache-control"):
        assert hdrs[name] == get_hdrs[name]
    assert fetch(server, "/nope", "HEAD")[0] == 404
    assert fetch(server, "/docker", "HEAD")[0] == 302
    etag = get_hdrs["etag"]
    assert fetch(server, "/docker/networking/", "HEAD", If_None_Match=etag)[0] == 304


@pytest.mark.parametrize(
    "path",
    [
        "/_notes/lock",
        "/_notes/deploys/20240101T000000Z-aaaa.json",
        "/_notes/",
        "/%5Fnotes/lock",
        "/_notes%2Flock",
    ],
)
def test_private_prefix_is_never_served(make_server, path: str) -> None:
    status, _, body = fetch(make_server(), path)
    assert status == 403
    assert b"who" not in body and b'"id"' not in body


@pytest.mark.parametrize(
    ("path", "key"), [("/a%20b/", "a b/index.html"), ("/caf%C3%A9/", "caf\u00e9/index.html")]
)
def test_keys_are_url_decoded(make_server, path: str, key: str) -> None:
    status, _, body = fetch(make_server(), path)
    assert (status, body) == (200, SITE[key])


@pytest.mark.parametrize(
    "path",
    [
        "/../secret.txt",
        "/%2e%2e/secret.txt",
        "/docker/..%2f..%2fsecret.txt",
        "/docker/../../secret.txt",
        "/..%5csecret.txt",
        "//secret.txt",
    ],
)
def test_path_traversal_is_impossible(make_server, path: str) -> None:
    status, _, body = fetch(make_server(), path)
    assert status == 404
    assert SECRET not in body


def test_other_methods_are_refused(make_server) -> None:
    status, hdrs, _ = fetch(make_server(), "/", "POST")
    assert status == 405
    assert hdrs["allow"] == "GET, HEAD"


def test_folder_store_follows_rebuilt_files(tmp_path: Path) -> None:
    """A rebuild rewrites files in place: the next request sees new bytes and a new ETag."""
    _fill_folder(tmp_path, {"index.html": b"<p>one</p>"})
    with WebsiteServer(WebsiteApp(FolderStore(tmp_path))) as server:
        first = fetch(server, "/")
        (tmp_path / "index.html").write_bytes(b"<p>two</p>")
        second = fetch(server, "/", If_None_Match=first[1]["etag"])
    assert second[0] == 200 and second[2] == b"<p>two</p>"
    assert second[1]["etag"] == quoted_md5(b"<p>two</p>") != first[1]["etag"]


def test_bucket_store_failure_is_503_not_a_crash(tmp_path: Path) -> None:
    class Broken:
        def get_object(self, **kwargs):
            raise ConnectionError("endpoint went away")

        head_object = get_object

    with WebsiteServer(WebsiteApp(BucketStore(Broken(), "b"))) as server:
        status, _, body = fetch(server, "/")
        assert status == 503
        assert b"endpoint went away" in body
        status, _, _ = fetch(server, "/")  # the server still answers
        assert status == 503
