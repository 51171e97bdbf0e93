"""Every bad input is one `Error:` line and exit 1 (2 for usage), never a traceback, and
never a changed file outside the build's own folders (issue 27)."""

from __future__ import annotations

import contextlib
import io
import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from site_builder.cli import main


def run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exc:  # argparse: usage errors
            code = int(exc.code or 0)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, aws_credentials) -> Path:
    (tmp_path / "content").mkdir()
    (tmp_path / "content" / "a.md").write_text("# A\n")
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("argv, message", [
    (["deploy", "--endpoint-url", "notaurl", "--bucket", "b-b"],
     ("--endpoint-url 'notaurl' is not an http(s) URL (e.g. --endpoint-url "
     "http://127.0.0.1:4566)")),
    (["verify", "--region", "bad region", "--bucket", "my-site"],
     "'bad region' is not an AWS region name (e.g. --region eu-west-1)"),
    (["history", "--stack", "S", "--region", "bad region"],
     "'bad region' is not an AWS region name (e.g. --region eu-west-1)"),
    (["history", "--bucket", "Bad_Bucket!"],
     ("'Bad_Bucket!' is not a valid S3 bucket name (use letters, digits, dots, hyphens and "
     "underscores)")),
    (["up", "--bucket", "Bad_Bucket!"],
     ("'Bad_Bucket!' is not a valid S3 bucket name (use 3-63 lowercase letters, digits, dots "
     "and hyphens, starting and ending with a letter or digit)")),
    (["init", "/etc/passwd/x"],
     ("/etc/passwd is a file, so /etc/passwd/x cannot be made (notes init makes a new folder; "
     "pick another path)")),
    (["build", "--out", "/etc/passwd"],
     ("refusing to build into /etc/passwd: it is a file, not a folder (pass --out with a new "
     "or empty folder)")),
    (["build", "--no-search", "--out", "0", "--content", "a\x1e\nb\u2028"],
     "a\\x1e\\x0ab\\u2028: content folder not found"),  # found by the property below
    (["build", "--out", "/proc/nope"],
     ("cannot write the output folder /proc/nope: No such file or directory (pass --out with "
     "a folder you can write)")),
])
def test_the_inputs_that_were_tracebacks_are_one_line(project: Path, argv: list[str],
                                                      message: str) -> None:
    code, _out, err = run(argv)
    assert (code, err) == (1, f"Error: {message}\n")


# --- the property: random bad arguments, paths and file contents ------------------------------

NAMES = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\0/"),
                min_size=1, max_size=12)
PATHS = st.one_of(
    st.lists(NAMES, min_size=1, max_size=3).map("/".join),
    st.sampled_from([".", "..", "content", "content/x", "static", "templates", ".notes-cache",
                     "notes.toml", "content/a.md", "/etc/passwd", "/proc/nope", "/dev/null",
                     "/", "~", "", "-", "--out"]))
VALUES = st.one_of(NAMES, st.sampled_from(["", " ", "notaurl", "http://", "ftp://x",
                                           "http://x:99999", "Bad_Bucket!", "a" * 300]))
FILES = st.dictionaries(st.sampled_from(["content/n.md", "content/_index.md", "notes.toml",
                                         "content/sub/x.md", "static/robots.txt",
                                         "templates/page.html", "content/.env"]),
                        st.one_of(st.text(max_size=200), st.binary(max_size=200)), max_size=4)


@st.composite
def commands(draw) -> list[str]:
    kind = draw(st.sampled_from(["build", "deploy", "history", "verify", "rollback", "init",
                                 "unlock", "bogus"]))
    if kind == "build":
        argv = ["build", "--no-search", "--out", draw(PATHS)]
        if draw(st.booleans()):
            argv += ["--content", draw(PATHS)]
        return argv + draw(st.sampled_from([[], ["--jobs", "0"], ["--jobs", "x"], ["--drafts"]]))
    if kind == "init":
        return ["init", draw(PATHS)]
    if kind == "bogus":
        return draw(st.lists(VALUES, max_size=3))
    # Bucket commands: the endpoint is never a URL, so nothing leaves this machine.
    argv = [kind, "--bucket", draw(VALUES), "--endpoint-url", draw(VALUES.filter(
        lambda v: not v.startswith(("http://", "https://")) or v in ("http://", "http://x:99999")))]
    if draw(st.booleans()):
        argv += ["--region", draw(VALUES)]
    return argv


def tree(root: Path) -> dict[str, bytes]:
    found = {}
    for path in root.rglob("*"):
        if path.is_file() and not path.is_symlink():
            found[path.relative_to(root).as_posix()] = path.read_bytes()
    return found


@settings(max_examples=int(os.environ.get("BAD_INPUT_EXAMPLES", "40")), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(argv=commands(), files=FILES)
def test_random_bad_input_never_shows_a_traceback_nor_changes_other_files(
        aws_credentials, argv: list[str], files: dict[str, str | bytes]) -> None:
    with tempfile.TemporaryDirectory() as top:
        root = Path(top) / "project"
        (root / "content").mkdir(parents=True)
        (root / "content" / "a.md").write_text("# A\n")
        for rel, data in files.items():
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            (path.write_bytes if isinstance(data, bytes) else path.write_text)(data)
        before = tree(Path(top))
        cwd = os.getcwd()
        os.chdir(root)
        try:
            code, _out, err = run(argv)
        finally:
            os.chdir(cwd)
        assert code in (0, 1, 2), (argv, code, err)
        assert "Traceback" not in err and "internal error" not in err, (argv, err)
        if code == 1:
            assert err.splitlines()[-1].startswith("Error: "), (argv, err)
        after = tree(Path(top))
        allowed = _written_by(argv, root)
        changed = {p for p in before.keys() | after.keys() if before.get(p) != after.get(p)}
        assert {p for p in changed if not p.startswith(allowed)} == set(), (argv, changed)
        assert not {p for p in before if p not in after}, (argv, "a file was removed")


def _written_by(argv: list[str], root: Path) -> tuple[str, ...]:
    """Where a command may write (paths relative to the temporary top folder)."""
    allowed = ["project/.notes-cache/", "project/build/"]
    if argv[:1] in (["build"], ["init"]):
        target = argv[1] if argv[0] == "init" else argv[argv.index("--out") + 1]
        # "~" reaches the command only quoted (a shell expands it): a folder named "~", as
        # mkdir and cp make one.
        path = Path(os.path.normpath(root / target))
        try:
            rel = path.relative_to(root.parent).as_posix()
        except ValueError:
            rel = None
        if rel is not None and rel != ".":
            allowed += [rel + "/", f"{Path(rel).parent.as_posix()}/.{path.name}.files"]
    return tuple(allowed)
