"""Live reload: the script goes into HTML responses only, versions drive reloads, errors
reach open tabs over Server-Sent Events, and 304s never revive a stale page."""

from __future__ import annotations

import hashlib
import http.client
import json
import threading
from pathlib import Path

import pytest

from site_builder.serve.livereload import LiveReload
from site_builder.serve.stores import FolderStore
from site_builder.serve.website import WebsiteApp, WebsiteServer

PAGE = b"<html><body><h1>Hi</h1></body></html>"
CSS = b"body{color:red}"


@pytest.fixture
def site(tmp_path: Path) -> Path:
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_bytes(PAGE)
    (tmp_path / "assets" / "style.0123abcd.css").write_bytes(CSS)
    (tmp_path / "404.html").write_bytes(b"<html><body>missing</body></html>")
    return tmp_path


def get(port: int, path: str, **hdrs: str):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path, headers={k.replace("_", "-"): v for k, v in hdrs.items()})
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def test_inject_places_script_before_last_body_close() -> None:
    lr = LiveReload()
    out = lr.inject(b"<html><body><p>x</p></BODY></html>")
    assert out.startswith(b"<html><body><p>x</p><script data-notes-livereload>")
    assert out.endswith(b"</script></BODY></html>")
    assert b"var v=0," in out and LiveReload.PATH.encode() in out
    assert lr.inject(b"no body tag").startswith(b"no body tag<script")


def test_html_gets_script_other_types_and_files_on_disk_do_not(site: Path) -> None:
    lr = LiveReload()
    with WebsiteServer(WebsiteApp(FolderStore(site), livereload=lr)) as server:
        status, hdrs, body = get(server.port, "/")
        assert status == 200 and b"data-notes-livereload" in body
        assert int(hdrs["content-length"]) == len(body)
        _, _, css = get(server.port, "/assets/style.0123abcd.css")
        assert css == CSS
        status, _, missing = get(server.port, "/nope")
        assert status == 404 and b"data-notes-livereload" in missing
    assert (site / "index.html").read_bytes() == PAGE


def test_no_injection_without_livereload(site: Path) -> None:
    with WebsiteServer(WebsiteApp(FolderStore(site))) as server:
        assert get(server.port, "/")[2] == PAGE


def test_injected_etag_carries_version_and_304_only_for_current_version(site: Path) -> None:
    lr = LiveReload()
    md5 = hashlib.md5(PAGE).hexdigest()
    with WebsiteServer(WebsiteApp(FolderStore(site), livereload=lr)) as server:
        _, hdrs, _ = get(server.port, "/")
        assert hdrs["etag"] == f'"{md5}-lr0"'
        assert get(server.port, "/", If_None_Match=hdrs["etag"])[0] == 304
        lr.reloaded()
        status, hdrs2, body = get(server.port, "/", If_None_Match=hdrs["etag"])
        assert status == 200 and b"var v=1," in body
        assert hdrs2["etag"] == f'"{md5}-lr1"'
        # Non-HTML keeps the stored ETag and its 304.
        css_etag = f'"{hashlib.md5(CSS).hexdigest()}"'
        assert get(server.port, "/assets/style.0123abcd.css", If_None_Match=css_etag)[0] == 304


def test_translate_if_none_match() -> None:
    lr = LiveReload()
    lr.reloaded()
    lr.reloaded()
    assert lr.translate_if_none_match('"abc-lr2"') == '"abc"'
    assert lr.translate_if_none_match('W/"abc-lr2"') == 'W/"abc"'
    assert lr.translate_if_none_match('"abc-lr1"') is None
    assert lr.translate_if_none_match('"abc-lr1", "def"') == '"def"'
    assert lr.translate_if_none_match("*") == "*"
    assert lr.translate_if_none_match(None) is None


def _read_states(port: int, count: int, timeout: float = 10) -> list[dict]:
    """The first ``count`` ``state`` events of one SSE stream."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    conn.request("GET", LiveReload.PATH)
    resp = conn.getresponse()
    assert resp.status == 200
    assert resp.getheader("Content-Type") == "text/event-stream"
    states: list[dict] = []
    event = None
    try:
        while len(states) < count:
            line = resp.fp.readline().decode().rstrip("\n")
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: ") and event == "state":
                states.append(json.loads(line[6:]))
    finally:
        conn.close()
    return states


def test_event_stream_sends_state_then_changes(site: Path) -> None:
    lr = LiveReload()
    with WebsiteServer(WebsiteApp(FolderStore(site), livereload=lr)) as server:
        result: list[list[dict]] = []
        reader = threading.Thread(target=lambda: result.append(_read_states(server.port, 3)))
        reader.start()
        _wait_for_listener(lr)
        lr.failed("content/bad.md:3: malformed front matter")
        _wait_for_listener(lr, seen=2)
        lr.reloaded()
        reader.join(10)
    assert result == [
        [
            {"version": 0, "error": None},
            {"version": 0, "error": "content/bad.md:3: malformed front matter"},
            {"version": 1, "error": None},
        ]
    ]


def _wait_for_listener(lr: LiveReload, seen: int = 1) -> None:
    """Give the stream time to send its current state before changing it again (the stream
    coalesces changes that happen while it is not listening, which is fine for tabs but would
    make this test's expected sequence racy)."""
    import time

    time.sleep(0.3 * seen)


def test_close_ends_open_streams(site: Path) -> None:
    lr = LiveReload(ping_seconds=0.1)
    chunks = lr.events()
    assert next(chunks).startswith(b"retry:")
    assert next(chunks).startswith(b"event: state")
    assert next(chunks) == b": ping\n\n"
    lr.close()
    assert list(chunks) == []
