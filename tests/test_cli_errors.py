"""No traceback ever reaches a user: a bug is one `Error: internal error ...` line plus a log
file, and a reader that closes the pipe early (`notes history | head -3`) ends the command
quietly.  The pipe tests run the real `notes` script against moto's server."""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_deploy_publish import SITE_V1, site_v2, write_site

import site_builder.cli.build as cli_build
import site_builder.pipeline.build
from site_builder.cli import main

REPO = Path(__file__).resolve().parents[1]
NOTES = REPO / ".venv" / "bin" / "notes"
LOG_LINE = re.compile(r"^This is a bug in notes-publisher\. The full traceback is in (\S+); "
                      r"please report it with that file\.$")


def _log_path(err: str) -> Path:
    match = LOG_LINE.match(err.splitlines()[1])
    assert match, err
    return Path(match.group(1))


def test_unexpected_exception_is_one_line_and_a_log(tmp_path, monkeypatch, capsys) -> None:
    def failing_build(options):
        raise TypeError("replace() should be called on dataclass instances")

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(site_builder.pipeline.build, "build_site", failing_build)
    assert main(["build"]) == 1
    out, err = capsys.readouterr()
    lines = err.splitlines()
    assert out == "" and len(lines) == 2 and "Traceback" not in err
    run_line = cli_build.run.__code__.co_firstlineno
    assert re.fullmatch(
        r"Error: internal error in notes build \(site_builder/cli/build\.py:(\d+) in run\): "
        r"TypeError: replace\(\) should be called on dataclass instances", lines[0])
    assert int(re.search(r":(\d+) in run", lines[0]).group(1)) > run_line
    log = _log_path(err)
    try:
        text = log.read_text()
        assert "command: notes build" in text
        assert "Traceback (most recent call last)" in text
        assert "in failing_build" in text
        assert text.rstrip().endswith(
            "TypeError: replace() should be called on dataclass instances")
    finally:
        log.unlink()


def test_user_errors_still_print_without_a_log(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "content").mkdir()
    (tmp_path / "content" / "bad.md").write_text("---\ntitle: [unclosed\n---\n")
    assert main(["build", "--no-search"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("Error: content/bad.md:") and len(err.splitlines()) == 1


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory) -> Iterator[str]:
    """moto's server on 127.0.0.1 with a bucket holding two deploys of a tiny site."""
    from site_builder.deploy import publish
    from site_builder.serve.embedded import EmbeddedS3, create_site_bucket

    saved = {k: os.environ.get(k) for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")}
    os.environ.update(AWS_ACCESS_KEY_ID="x", AWS_SECRET_ACCESS_KEY="x")
    site = tmp_path_factory.mktemp("site")
    try:
        with EmbeddedS3(0) as s3:
            client = s3.client()
            create_site_bucket(client, "pipes")
            publish(client, "pipes", write_site(site, SITE_V1))
            publish(client, "pipes", write_site(site, site_v2()))
            yield s3.endpoint_url
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _into_closed_pipe(*argv: str) -> tuple[int, str]:
    """Run notes with stdout a pipe nobody reads any more (what `| head` leaves behind)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_ACCESS_KEY_ID="x", AWS_SECRET_ACCESS_KEY="x", AWS_DEFAULT_REGION="us-east-1",
               AWS_EC2_METADATA_DISABLED="true")
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        done = subprocess.run([str(NOTES), *argv], stdout=write_end, stderr=subprocess.PIPE,
                              stdin=subprocess.DEVNULL, env=env, text=True, timeout=60,
                              check=False)
    finally:
        os.close(write_end)
    return done.returncode, done.stderr


@pytest.mark.parametrize("command", [["history"], ["rollback", "--dry-run"]])
def test_closed_pipe_ends_quietly(endpoint, command) -> None:
    code, err = _into_closed_pipe(*command, "--endpoint-url", endpoint, "--bucket", "pipes")
    assert (code, err) == (141, "")


def test_history_into_head_prints_the_first_lines(endpoint) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_ACCESS_KEY_ID="x", AWS_SECRET_ACCESS_KEY="x", AWS_DEFAULT_REGION="us-east-1")
    done = subprocess.run(
        f"{NOTES} history --endpoint-url {endpoint} --bucket pipes | head -2; "
        f"{NOTES} rollback --dry-run --endpoint-url {endpoint} --bucket pipes | head -1",
        shell=True, env=env, capture_output=True, text=True, timeout=60, check=False)
    lines = done.stdout.splitlines()
    assert done.returncode == 0 and done.stderr == ""
    assert lines[0].split()[:3] == ["ID", "CREATED", "KIND"] and len(lines) == 3
    assert lines[2].startswith("Rolling back to ")


def test_a_bug_in_a_rebuild_keeps_serving_with_one_line_and_a_log(capsys) -> None:
    from site_builder.serve.dev import _guarded
    from site_builder.serve.livereload import LiveReload

    def rebuild() -> None:
        raise KeyError("made_by")

    lr = LiveReload()
    assert _guarded(rebuild, lr) is False
    err = capsys.readouterr().err
    first, _, last = err.splitlines()
    assert re.fullmatch(r"Error: internal error in a rebuild \(site_builder/serve/dev\.py:\d+ "
                        r"in _guarded\): KeyError: 'made_by'", first)
    assert last == "Still serving the last good site."
    log = _log_path(err)
    try:
        assert "in rebuild" in log.read_text()
    finally:
        log.unlink()
