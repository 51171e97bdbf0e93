"""`notes serve` and `notes up` on a small real project: build, serve, rebuild on edits, keep
the last good site on a failed rebuild, report errors over the live-reload channel, deploy to
the embedded S3, notice rollbacks made elsewhere, and shut down cleanly."""

from __future__ import annotations

import http.client
import json
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from site_builder.cli import main
from site_builder.core.errors import NotesError
from site_builder.serve.dev import DevOptions, run_serve, run_up
from site_builder.serve.livereload import LiveReload

REPO = Path(__file__).resolve().parents[1]
HELLO = """---
title: Hello
date: 2024-01-01
---
{text} See [networking](docker/networking.md).
"""
NETWORKING = """---
title: Docker networking
date: 2024-01-02
tags: [docker]
---
Bridge networks connect containers on one host.
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "content" / "docker").mkdir(parents=True)
    (tmp_path / "notes.toml").write_text('title = "Test Notes"\nbase_url = "http://example.org/"\n')
    (tmp_path / "content" / "hello.md").write_text(HELLO.format(text="First text."))
    (tmp_path / "content" / "docker" / "networking.md").write_text(NETWORKING)
    return tmp_path


def get(port: int, path: str) -> tuple[int, dict[str, str], str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read().decode()
    finally:
        conn.close()


def wait_until(check: Callable[[], object], timeout: float = 20, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


class Running:
    """A dev loop (run_serve/run_up) in a thread, its output lines, and a stop switch."""

    def __init__(self, fn: Callable[..., int], opts: DevOptions):
        self.lines: list[str] = []
        self.stop = threading.Event()
        self.result: list[object] = []
        self.thread = threading.Thread(target=self._run, args=(fn, opts), daemon=True)
        self.thread.start()

    def _run(self, fn: Callable[..., int], opts: DevOptions) -> None:
        try:
            self.result.append(fn(opts, stop=self.stop, out=self.lines.append))
        except BaseException as exc:  # noqa: BLE001 - surfaced to the test via .result
            self.result.append(exc)

    def wait_line(self, prefix: str, timeout: float = 30) -> str:
        def found() -> str | None:
            if self.result:
                raise AssertionError(f"loop ended early: {self.result[0]!r}; {self.lines}")
            return next((line for line in self.lines if line.startswith(prefix)), None)

        return wait_until(found, timeout, f"a line starting {prefix!r} in {self.lines}")

    def close(self) -> None:
        self.stop.set()
        self.thread.join(15)
        assert not self.thread.is_alive(), "the dev loop did not stop"


@pytest.fixture
def running() -> Iterator[Callable[[Callable[..., int], DevOptions], Running]]:
    loops: list[Running] = []

    def start(fn: Callable[..., int], opts: DevOptions) -> Running:
        loops.append(Running(fn, opts))
        return loops[-1]

    yield start
    for loop in loops:
        loop.close()


def sse_state(port: int, want: Callable[[dict], bool], timeout: float = 20) -> dict:
    """Read the live-reload stream until a state event satisfies ``want``."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    conn.request("GET", LiveReload.PATH)
    resp = conn.getresponse()
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            line = resp.fp.readline().decode()
            if line.startswith("data: "):
                state = json.loads(line[6:])
                if want(state):
                    return state
    finally:
        conn.close()
    raise AssertionError("no matching live-reload state")


def test_serve_builds_serves_rebuilds_and_survives_a_bad_edit(project, running, capsys) -> None:
    port = free_port()
    loop = running(run_serve, DevOptions(project=project, port=port))
    assert loop.wait_line("Serving") == (
        f"Serving Test Notes at http://127.0.0.1:{port}/ (Ctrl+C to stop)"
    )
    status, _, body = get(port, "/hello/")
    assert status == 200 and "First text." in body and "data-notes-livereload" in body
    assert (project / "build" / "site" / "hello" / "index.html").is_file()
    assert "data-notes-livereload" not in (project / "build/site/hello/index.html").read_text()
    status, hdrs, _ = get(port, "/docker")
    assert (status, hdrs["location"]) == (302, "/docker/")
    assert get(port, "/no/such/page/")[0] == 404

    (project / "content" / "hello.md").write_text(HELLO.format(text="Second text."))
    wait_until(lambda: "Second text." in get(port, "/hello/")[2], what="the rebuilt page")
    assert sse_state(port, lambda s: s["version"] >= 1)["error"] is None

    (project / "content" / "bad.md").write_text("---\ntitle: [unclosed\n---\nbody\n")
    state = sse_state(port, lambda s: s["error"] is not None)
    assert state["error"].startswith("content/bad.md:")
    status, _, body = get(port, "/hello/")
    assert status == 200 and "Second text." in body  # the last good site stays up
    assert f"Error: {state['error']}" in capsys.readouterr().err

    (project / "content" / "bad.md").unlink()
    fixed = sse_state(port, lambda s: s["error"] is None and s["version"] > state["version"])
    assert fixed["version"] == state["version"] + 1

    loop.close()
    assert loop.result == [0] and loop.lines[-1] == "Stopped."
    with pytest.raises(OSError):
        get(port, "/")


def test_serve_rebuilds_when_notes_toml_changes(project, running) -> None:
    port = free_port()
    loop = running(run_serve, DevOptions(project=project, port=port))
    loop.wait_line("Serving")
    (project / "notes.toml").write_text('title = "Renamed Notes"\n')
    wait_until(lambda: "Renamed Notes" in get(port, "/")[2], what="the new title")


def test_serve_drafts_flag(project, running) -> None:
    (project / "content" / "wip.md").write_text(
        "---\ntitle: Work in progress\ndate: 2024-01-03\ndraft: true\n---\nSecret plans.\n"
    )
    without, with_drafts = free_port(), free_port()
    running(run_serve, DevOptions(project=project, port=without)).wait_line("Serving")
    assert get(without, "/wip/")[0] == 404
    running(run_serve, DevOptions(project=project, port=with_drafts, drafts=True)).wait_line(
        "Serving"
    )
    assert get(with_drafts, "/wip/")[0] == 200


def test_serve_busy_port_is_a_one_line_error(project, monkeypatch, capsys) -> None:
    monkeypatch.chdir(project)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert main(["serve", "--port", str(port)]) == 1
    err = capsys.readouterr().err
    assert err == f"Error: port {port} on 127.0.0.1 is already in use (pass --port N)\n"


def test_serve_first_build_failure_exits_1(project, monkeypatch, capsys) -> None:
    monkeypatch.chdir(project)
    (project / "content" / "bad.md").write_text("---\ntitle: [unclosed\n---\n")
    assert main(["serve", "--port", str(free_port())]) == 1
    assert capsys.readouterr().err.startswith("Error: content/bad.md:")


def test_serve_ctrl_c_in_a_real_process_exits_cleanly(project) -> None:
    port = free_port()
    proc = subprocess.Popen(
        [str(REPO / ".venv" / "bin" / "notes"), "serve", "--port", str(port)],
        cwd=project,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        first_lines = [proc.stdout.readline() for _ in range(2)]
        assert first_lines[-1].startswith("Serving Test Notes at")
        assert get(port, "/")[0] == 200
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    assert out.strip().endswith("Stopped.")
    assert "Traceback" not in err


def test_up_deploys_serves_the_bucket_redeploys_and_follows_rollback(
    project, running, aws_credentials
) -> None:
    import boto3

    from site_builder.core import bucket_config
    from site_builder.deploy import history, rollback
    from site_builder.serve.embedded import local_policy, tagged_website_url

    port, s3_port = free_port(), free_port()
    loop = running(run_up, DevOptions(project=project, port=port, s3_port=s3_port))
    assert loop.wait_line("Open ") == f"Open http://127.0.0.1:{port}/"
    assert loop.lines[-1] == f"Open http://127.0.0.1:{port}/"
    endpoint = f"http://127.0.0.1:{s3_port}"
    creds = "AWS_ACCESS_KEY_ID=notes-local AWS_SECRET_ACCESS_KEY=notes-local"
    for command in ("history", "rollback", "verify", "unlock"):
        assert f"  {creds} notes {command} --endpoint-url {endpoint} --bucket notes-local" in (
            loop.lines)
    assert any(line.startswith("Deployed ") for line in loop.lines)

    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    bucket = "notes-local"
    assert client.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    website = client.get_bucket_website(Bucket=bucket)
    assert website["IndexDocument"] == bucket_config.website_configuration()["IndexDocument"]
    assert website["ErrorDocument"] == bucket_config.website_configuration()["ErrorDocument"]
    policy = json.loads(client.get_bucket_policy(Bucket=bucket)["Policy"])
    assert policy == local_policy(bucket_config.bucket_arn(bucket), "123456789012")
    assert (
        "First text."
        in client.get_object(Bucket=bucket, Key="hello/index.html")["Body"].read().decode()
    )

    status, hdrs, body = get(port, "/hello/")
    assert status == 200 and "First text." in body
    assert hdrs["etag"].startswith(
        client.head_object(Bucket=bucket, Key="hello/index.html")["ETag"][:-1]
    )
    assert get(port, "/_notes/lock")[0] == 403
    assert get(port, "/missing/")[0] == 404

    (project / "content" / "hello.md").write_text(HELLO.format(text="Second text."))
    wait_until(lambda: "Second text." in get(port, "/hello/")[2], what="the redeployed page")
    records = wait_until(lambda: len(history(client, bucket)) == 2 and history(client, bucket))
    assert [r.source for r in records] == ["notes up", "notes up"]
    assert [r.message for r in records] == ["notes up: edited hello.md", "notes up: first deploy"]
    assert tagged_website_url(client, bucket) == f"http://127.0.0.1:{port}/"

    back = rollback(client, bucket)[0].record
    wait_until(lambda: "First text." in get(port, "/hello/")[2], what="the rolled-back page")
    loop.wait_line(f"The bucket changed from elsewhere (latest record {back.id})")

    loop.close()
    assert loop.lines[-1] == "Stopped."
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", s3_port), timeout=1)


def test_up_busy_s3_port_is_a_one_line_error(project, monkeypatch, capsys, aws_credentials):
    monkeypatch.chdir(project)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        code = main(["up", "--port", str(free_port()), "--s3-port", str(port)])
    assert code == 1
    err = capsys.readouterr().err
    assert err == f"Error: port {port} on 127.0.0.1 is already in use (pass --s3-port N)\n"


def test_run_serve_rejects_busy_port_before_building(project) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        with pytest.raises(NotesError, match="already in use"):
            run_serve(DevOptions(project=project, port=busy.getsockname()[1]), out=print)
    assert not (project / "build").exists()


def test_serve_with_content_elsewhere_rebuilds_from_there(tmp_path: Path, running) -> None:
    from site_builder.pipeline.options import BuildOptions

    project, notes = tmp_path / "project", tmp_path / "notes"
    project.mkdir()
    notes.mkdir()
    (notes / "a.md").write_text("# A\n\nFirst words.\n")
    port = free_port()
    build = BuildOptions(project_dir=project, content_dir=notes, search=False)
    loop = running(run_serve, DevOptions(project=project, port=port, build=build))
    loop.wait_line("Serving")
    assert "First words." in get(port, "/a/")[2]
    (notes / "a.md").write_text("# A\n\nSecond words.\n")
    wait_until(lambda: "Second words." in get(port, "/a/")[2], what="the rebuilt page")
    assert f"Changed: {notes / 'a.md'}" in loop.lines
    assert not (project / "build" / "site" / "pagefind").exists()  # search=False reached it
