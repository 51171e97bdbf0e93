"""`notes up` as a real process: the commands it prints run as pasted (in a shell without AWS
credentials), `--host` moves the website only, and `notes deploy` to its embedded S3 prints the
website's address, not the S3 port."""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import threading
import time
from pathlib import Path

from test_cli_serve import HELLO, NETWORKING, free_port

REPO = Path(__file__).resolve().parents[1]
NOTES = REPO / ".venv" / "bin" / "notes"
HOST = "127.0.0.2"  # loopback too, so the website's address is visibly not the S3 one


def _no_aws_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_EC2_METADATA_DISABLED="true", AWS_SHARED_CREDENTIALS_FILE="/nonexistent",
               AWS_CONFIG_FILE="/nonexistent", PYTHONUNBUFFERED="1")
    return env


def test_printed_commands_paste_and_deploy_names_the_website(tmp_path: Path) -> None:
    project = tmp_path / "project"
    (project / "content" / "docker").mkdir(parents=True)
    (project / "notes.toml").write_text('title = "T"\nbase_url = "http://example.org/"\n')
    (project / "content" / "hello.md").write_text(HELLO.format(text="First text."))
    (project / "content" / "docker" / "networking.md").write_text(NETWORKING)
    port, s3_port = free_port(), free_port()
    proc = subprocess.Popen(
        [str(NOTES), "up", "--host", HOST, "--port", str(port), "--s3-port", str(s3_port),
         "--no-search"],
        cwd=project, env=_no_aws_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(proc.stdout), daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 60
        while not any(line.startswith("Open ") for line in lines):
            assert proc.poll() is None and time.monotonic() < deadline, "".join(lines)
            time.sleep(0.1)
        assert f"Open http://{HOST}:{port}/\n" in lines
        endpoint = f"http://127.0.0.1:{s3_port}"
        pasted = [line.strip() for line in lines if " --endpoint-url " in line]
        assert [shlex.split(line)[3] for line in pasted] == ["history", "rollback", "verify",
                                                              "unlock"]
        assert all(line.startswith(
            f"AWS_ACCESS_KEY_ID=notes-local AWS_SECRET_ACCESS_KEY=notes-local {NOTES} ")
            and line.endswith(f"--endpoint-url {endpoint} --bucket notes-local")
            for line in pasted)

        history = subprocess.run(pasted[0], shell=True, cwd=tmp_path, env=_no_aws_env(),
                                 capture_output=True, text=True, timeout=60, check=False)
        assert history.returncode == 0, history.stderr
        assert "notes up: first deploy" in history.stdout
        unlock = subprocess.run(pasted[3], shell=True, cwd=tmp_path, env=_no_aws_env(),
                                capture_output=True, text=True, timeout=60, check=False)
        assert (unlock.returncode, unlock.stdout) == (0, "No lock on bucket notes-local.\n")

        (project / "content" / "extra.md").write_text("Extra note.\n")
        env = _no_aws_env() | {"AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x"}
        deploy = subprocess.run(
            [str(NOTES), "deploy", "--endpoint-url", endpoint, "--bucket", "notes-local",
             "--no-search", "--message", "from another terminal"],
            cwd=project, env=env, capture_output=True, text=True, timeout=90, check=False)
        assert deploy.returncode == 0, deploy.stderr
        out = deploy.stdout.splitlines()
        assert out[-1] == f"Website: http://{HOST}:{port}/ (notes up, bucket notes-local)"
        assert get_on(HOST, port, "/extra/")[0] == 200
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        reader.join(5)
    assert proc.returncode == 0, "".join(lines)


def get_on(host: str, port: int, path: str) -> tuple[int, dict[str, str], str]:
    import http.client

    conn = http.client.HTTPConnection(host, port, timeout=10)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        return resp.status, dict(resp.getheaders()), resp.read().decode()
    finally:
        conn.close()


