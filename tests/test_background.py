"""``core.background``: a call run in a forked child, and ``notes deploy`` building in one.

The suite's own workers run threads (pytest-xdist), where ``ForkedCall`` rightly refuses to
fork, so every case here runs in a fresh interpreter, as a user's ``notes`` process does.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from site_builder.core.processes import pid_alive

REPO = Path(__file__).resolve().parents[1]


def run_python(code: str, cwd: Path | None = None, env: dict | None = None,
               timeout: float = 60) -> subprocess.CompletedProcess:
    """``code`` in a fresh interpreter, in a process group of its own (so a signal it sends
    its group reaches nothing of the test run's)."""
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=cwd,
                          env={**os.environ, **(env or {})}, capture_output=True, text=True,
                          timeout=timeout, check=False, start_new_session=True)


def gone(pid: int, seconds: float = 10) -> bool:
    """Whether ``pid`` (not a child of this process) ends within ``seconds``; a zombie
    waiting for its reaper counts as ended, as the lock's ``pid_alive`` counts it."""
    deadline = time.monotonic() + seconds
    while pid_alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


PRELUDE = """
    import os, sys, time
    from site_builder.core.background import ForkedCall
    from site_builder.core.errors import ContentError, NotesError
"""


def test_the_value_comes_back_from_another_process() -> None:
    proc = run_python(PRELUDE + """
    call = ForkedCall.start(lambda: (os.getpid(), {"pages": 3}), "notes deploy")
    assert call is not None, "a fresh interpreter has no other thread: it forks"
    pid, value = call.result()
    print(pid != os.getpid(), value)
    """)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "True {'pages': 3}\n"


def test_a_content_error_comes_back_as_raised() -> None:
    proc = run_python(PRELUDE + """
    def build():
        raise ContentError("broken link to 'nope'", "content/a.md", 3)
    try:
        ForkedCall.start(build, "notes deploy").result()
    except ContentError as exc:
        print(type(exc).__name__, exc.path, exc.line, "|", exc)
    """)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "ContentError content/a.md 3 | content/a.md:3: broken link to 'nope'\n"


def test_a_crash_in_the_child_is_the_one_line_report_with_its_log(tmp_path: Path) -> None:
    proc = run_python(PRELUDE + """
    def build():
        raise ValueError("the builder's own bug")
    try:
        ForkedCall.start(build, "notes deploy").result()
    except NotesError as exc:
        print("\\n".join(exc.lines))
    """, env={"TMPDIR": str(tmp_path)})
    assert proc.returncode == 0, proc.stderr
    first, *rest = proc.stdout.splitlines()
    assert first.startswith("internal error in notes deploy")
    assert first.endswith("ValueError: the builder's own bug")
    logs = list(tmp_path.glob("notes-error-*.log"))
    assert len(logs) == 1 and "Traceback" in logs[0].read_text()
    assert any(str(logs[0]) in line for line in rest)


def test_a_child_killed_outright_is_a_one_line_error() -> None:
    proc = run_python(PRELUDE + """
    import signal
    call = ForkedCall.start(lambda: os.kill(os.getpid(), signal.SIGKILL), "notes deploy")
    try:
        call.result()
    except NotesError as exc:
        print(exc)
    """)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("the build process ended unexpectedly (signal 9; ")


def test_cancel_ends_a_running_child_and_its_exit_handlers_stay_the_parents(
        tmp_path: Path) -> None:
    mark = tmp_path / "atexit-ran"
    proc = run_python(PRELUDE + f"""
    import atexit
    atexit.register(lambda: open({str(mark)!r}, "a").write(str(os.getpid()) + "\\n"))
    call = ForkedCall.start(lambda: time.sleep(60), "notes deploy")
    pid = call._pid
    start = time.monotonic()
    call.cancel()
    print(round(time.monotonic() - start) < 5)
    try:
        os.kill(pid, 0)
        print("still there")
    except ProcessLookupError:
        print("gone")
    call.cancel()  # a second cancel, or one after result(), does nothing
    print(os.getpid())
    """)
    assert proc.returncode == 0, proc.stderr
    cancelled_quickly, gone, parent = proc.stdout.split()
    assert (cancelled_quickly, gone) == ("True", "gone")
    assert mark.read_text().split() == [parent]  # the parent's exit handler, in the parent only


def test_no_fork_while_another_thread_runs() -> None:
    proc = run_python(PRELUDE + """
    import threading
    stop = threading.Event()
    threading.Thread(target=stop.wait).start()
    print(ForkedCall.start(lambda: 1, "notes deploy"))
    stop.set()
    """)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "None\n"


# --- notes deploy, building in the child ------------------------------------------------------


CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
               "AWS_REGION": "us-east-1", "AWS_EC2_METADATA_DISABLED": "true"}

# ``notes`` as a user runs it, but with ForkedCall.start recording whether it forked.
NOTES = """
    import sys
    from site_builder.core import background
    start = background.ForkedCall.start
    def recorded(fn, command):
        call = start(fn, command)
        print(f"forked: {call is not None}", file=sys.stderr)
        return call
    background.ForkedCall.start = recorded
    from site_builder.cli import main
    sys.exit(main(sys.argv[1:]))
"""


def notes(project: Path, *argv: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(NOTES), *argv], cwd=project,
                          env={**os.environ, **CREDENTIALS}, capture_output=True, text=True,
                          timeout=120, check=False)


def test_deploy_builds_in_a_child_and_a_broken_build_publishes_nothing(
        moto_endpoint: str, tmp_path: Path) -> None:
    endpoint = moto_endpoint
    import boto3

    s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                      aws_access_key_id="testing", aws_secret_access_key="testing")
    bucket = f"forked-{int(time.time() * 1000) % 10**9}"
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    project = tmp_path / "project"
    (project / "content").mkdir(parents=True)
    note = project / "content" / "a.md"
    note.write_text("# A\n\nSee [[b]].\n")
    (project / "content" / "b.md").write_text("# B\n\nText.\n")
    flags = ("deploy", "--bucket", bucket, "--endpoint-url", endpoint)

    first = notes(project, *flags)
    assert first.returncode == 0, first.stderr
    assert "forked: True" in first.stderr and "Traceback" not in first.stderr
    assert first.stdout.splitlines()[0].startswith("Built ")
    assert "Deployed " in first.stdout
    assert b"Text." in s3.get_object(Bucket=bucket, Key="b/index.html")["Body"].read()
    live = {o["Key"]: o["ETag"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]}

    note.write_text("# A\n\nSee [[nowhere]].\n")
    broken = notes(project, *flags)
    assert broken.returncode == 1
    assert "forked: True" in broken.stderr
    error = [line for line in broken.stderr.splitlines() if line.startswith("Error: ")]
    assert len(error) == 1 and "content/a.md:3" in error[0] and "nowhere" in error[0], \
        broken.stderr
    assert "Traceback" not in broken.stderr and "internal error" not in broken.stderr
    after = {o["Key"]: o["ETag"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]}
    assert after == live  # nothing written, the lock released (its key is gone again)

    note.write_text("# A\n\nSee [[b]], again.\n")
    again = notes(project, *flags)
    assert again.returncode == 0, again.stderr
    assert b"again." in s3.get_object(Bucket=bucket, Key="a/index.html")["Body"].read()

    # --site: the child scans the built folder while the parent connects
    (project / "build" / "site" / "extra.txt").write_text("by hand\n")
    given = notes(project, *flags, "--site", "build/site")
    assert given.returncode == 0 and "forked: True" in given.stderr, given.stderr
    assert given.stdout.splitlines()[0].startswith("1 to upload, 0 to delete, ")
    assert s3.get_object(Bucket=bucket, Key="extra.txt")["Body"].read() == b"by hand\n"
    (project / "build" / "site" / "_notes").mkdir()
    (project / "build" / "site" / "_notes" / "x.json").write_text("{}")
    private = notes(project, *flags, "--site", "build/site")
    assert private.returncode == 1 and "forked: True" in private.stderr
    assert private.stderr.splitlines()[-1] == (
        "Error: build/site: the site contains '_notes/x.json' (_notes/ is the bucket's "
        "private area; remove it from the site)")


def test_deploy_with_no_bucket_fails_before_it_builds(tmp_path: Path) -> None:
    project = tmp_path / "project"
    (project / "content").mkdir(parents=True)
    (project / "content" / "a.md").write_text("# A\n")
    proc = notes(project, "deploy")
    assert proc.returncode == 1
    assert "forked:" not in proc.stderr  # refused before a build started
    assert proc.stderr.splitlines()[-1].startswith("Error: no bucket given")
    assert not (project / "build").exists()


def test_what_the_child_prints_itself_reaches_the_terminal() -> None:
    proc = run_python(PRELUDE + """
    def build():
        print("from the child", file=sys.stderr, end="")  # buffered, no newline
        print("child's stdout", end="")
        return 1
    print(ForkedCall.start(build, "notes deploy").result())
    """)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == "from the child"
    assert proc.stdout == "child's stdout1\n"


def test_ctrl_c_reaches_the_parent_which_ends_the_child() -> None:
    """Ctrl+C goes to the whole process group: the child ignores it, the parent's
    KeyboardInterrupt (the CLI's "Interrupted.") ends the child."""
    proc = run_python(PRELUDE + """
    import signal
    call = ForkedCall.start(lambda: time.sleep(60), "notes deploy")
    child = call._pid
    time.sleep(0.3)
    try:
        os.killpg(os.getpgid(0), signal.SIGINT)  # the parent's KeyboardInterrupt: here or below
        call.result()
    except KeyboardInterrupt:
        call.cancel()
        print("interrupted", child)
    """)
    assert proc.returncode == 0, proc.stderr
    word, child = proc.stdout.split()
    assert word == "interrupted" and gone(int(child))


def test_a_parent_killed_outright_takes_its_build_with_it(tmp_path: Path) -> None:
    """Linux's parent-death signal: a `notes deploy` killed with SIGKILL (a cancelled CI job)
    does not leave its build child running on."""
    pid_file = tmp_path / "child.pid"
    proc = subprocess.Popen([sys.executable, "-c", textwrap.dedent(PRELUDE + f"""
    def build():
        open({str(pid_file)!r}, "w").write(str(os.getpid()))
        time.sleep(60)
    call = ForkedCall.start(build, "notes deploy")
    call.result()
    """)], start_new_session=True)
    try:
        deadline = time.monotonic() + 20
        while not (pid_file.is_file() and pid_file.read_text()) and time.monotonic() < deadline:
            time.sleep(0.05)
        child = int(pid_file.read_text())
        proc.kill()
        proc.wait()
        assert gone(child), "the build child outlived its killed parent"
    finally:
        proc.kill()
