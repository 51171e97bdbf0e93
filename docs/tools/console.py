"""Run the shell sessions written in the documentation, doctest-style.

The convention (docs/content/contributing/documentation.md explains it to writers):

- A fenced block with the info string ``console`` is a shell session: ``$ command`` lines
  (a command may go on over ``> `` lines, as a shell shows a heredoc), each followed by the
  output it prints. A line ``...`` stands for any number of output lines.
- Every ``console`` block runs, unless an HTML comment right above it says why not:
  ``<!-- not run: it needs AWS credentials -->``. A ``sh``, ``shell`` or ``bash`` block never
  runs and must carry such a comment too, and a ``text`` block may not hold ``$`` prompts:
  so a command can only be shown untested on purpose, with its reason.
- ``<!-- run: background -->`` above a block of one long-running command (``notes up``,
  ``notes serve``) starts it and keeps it running until the end of the page;
  ``<!-- run: background output -->`` above a block without ``$`` lines matches what it prints
  next (after an edit, say). ``<!-- run: as COMMAND -->`` runs COMMAND in place of the one
  shown (``make run`` is ``notes up`` once installed). ``<!-- run: setup COMMAND -->`` on a line
  of its own runs COMMAND there, unseen, its output not compared.

Each page runs in a new empty folder, which the page calls ``/home/you``, with ``notes`` from
this interpreter's environment first on PATH, ``$REPO`` naming the repository, and AWS pointed
at nothing (a command without ``--endpoint-url`` that reaches for AWS fails rather than
reaching it). ``cd`` and ``export`` carry over between commands, as in one terminal. Ports
written in commands (8000, 4566, ...) are swapped for free ones.

Before comparing, both sides are normalised: times, durations, S3 version ids and content
hashes in file names become placeholders. Deploy ids are matched, not erased: the first time
the page shows an id it is bound to the real one at that place, the same id must stand for
the same deploy everywhere after, and commands that name it (``--to ID``) get the real one.
"""

from __future__ import annotations

import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

DOC_HOME = "/home/you"
SHELL_INFOS = ("sh", "shell", "bash", "zsh")
_FENCE = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})(?P<info>[^`]*)$")
_MARK = re.compile(r"^\s*<!--\s*(?P<kind>not run|run):\s*(?P<text>.*?)\s*-->\s*$")
_ID = re.compile(r"\b\d{8}-\d{6}(?:-\d{6})?-[0-9a-f]{4}\b")
_PORT_IN_COMMAND = re.compile(r"(?:127\.0\.0\.1:|localhost:|--port[ =]|--s3-port[ =])(\d{2,5})\b")
_LONG_RUNNING_PORTS = {"serve": (("--port", 8000),),
                       "up": (("--port", 8000), ("--s3-port", 4566))}
# (pattern, placeholder), applied to both the expected and the real output.
_PLACEHOLDERS = (
    (re.compile(r"\b\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[+-]\d{2}:\d{2}|Z)?"),
     "<time>"),
    (re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b"), "<version>"),
    (re.compile(r"\bin \d+(?:\.\d+)?s\b"), "in <duration>"),
    (re.compile(r"\b\d+ s ago\b"), "<n> s ago"),
    (re.compile(r"(?<=[._])[0-9a-f]{7,10}(?=\.)"), "<hash>"),
    (re.compile(r"/tmp/notes-error-\w+\.log"), "/tmp/notes-error-<log>.log"),
    (re.compile(r"\bpid \d+\b"), "pid <pid>"),
    (re.compile(r"\b([a-z0-9-]+)-[0-9a-f]{8}\b(?=[\"' ]|$)"), r"\1-<site>"),  # notes init's
    (re.compile(r"(?:/[\w.+-]+)+/bin/notes\b"), "<bin>/notes"),
)


@dataclass
class Block:
    """One fenced code block of a page and the markers written right above it."""

    path: Path
    line: int  # of the opening fence, 1-based
    info: str
    text: str
    marks: list[tuple[str, str]] = field(default_factory=list)  # ("run"|"not run", text)

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"

    def mark(self, kind: str) -> str | None:
        return next((text for k, text in self.marks if k == kind), None)

    def runs(self) -> list[str]:
        """The texts of its ``run:`` markers (``background``, ``as COMMAND``, ...)."""
        return [text for k, text in self.marks if k == "run"]


@dataclass
class Step:
    command: str
    expected: list[str]


def read_blocks(path: Path) -> tuple[list[Block], list[tuple[int, str]]]:
    """The page's fenced blocks, and its ``run: setup`` lines (line number, command)."""
    lines = path.read_text("utf-8").split("\n")
    blocks: list[Block] = []
    setups: list[tuple[int, str]] = []
    marks: list[tuple[str, str]] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        fence = _FENCE.match(line)
        mark = _MARK.match(line)
        if mark:
            kind, text = mark["kind"], mark["text"]
            if kind == "run" and text.startswith("setup "):
                setups.append((i + 1, text[len("setup "):].strip()))
            else:
                marks.append((kind, text))
            i += 1
            continue
        if fence:
            mark, length = re.escape(fence["fence"][0]), len(fence["fence"])
            close = re.compile(rf"^ {{0,3}}{mark}{{{length},}}\s*$")
            end = next((j for j in range(i + 1, len(lines)) if close.match(lines[j])), len(lines))
            indent = len(fence["indent"])
            body = [text[indent:] if text[:indent].strip() == "" else text.lstrip()
                    for text in lines[i + 1:end]]
            info = fence["info"].strip().split(" ")[0] if fence["info"].strip() else ""
            blocks.append(Block(path, i + 1, info, "\n".join(body), marks))
            marks = []
            i = end + 1
            continue
        if line.strip():
            marks = []
        i += 1
    return blocks, setups


def convention_problems(path: Path) -> list[str]:
    """Blocks that break the convention: a shell block nobody said why it is not run, a
    ``text`` block that shows a prompt, a marker nobody reads."""
    problems = []
    blocks, _ = read_blocks(path)
    for block in blocks:
        reason = block.mark("not run")
        runs = block.runs()
        if block.info in SHELL_INFOS and not reason:
            problems.append(f"{block.where}: a ```{block.info} block is never run: make it "
                            "```console, or say why above it (<!-- not run: REASON -->)")
        if block.info not in ("console", *SHELL_INFOS) and (reason or runs):
            problems.append(f"{block.where}: a run marker above a ```{block.info} block")
        if block.info == "text" and any(t.startswith("$ ") for t in block.text.split("\n")):
            problems.append(f"{block.where}: $ prompts in a ```text block: make it ```console")
        if reason is not None and not reason.strip():
            problems.append(f"{block.where}: <!-- not run: --> without a reason")
        for run in runs:
            if not (run in ("background", "background output") or run.startswith("as ")):
                problems.append(f"{block.where}: unknown marker <!-- run: {run} -->")
        if block.info == "console" and reason is None and "background output" not in runs and (
                not block.text.startswith("$ ")):
            problems.append(f"{block.where}: a ```console block must start with a $ command")
    return problems


def steps(text: str) -> list[Step]:
    result: list[Step] = []
    for line in text.split("\n"):
        if line.startswith("$ "):
            result.append(Step(line[2:], []))
        elif line.startswith("> ") and result and not result[-1].expected:
            result[-1].command += "\n" + line[2:]
        elif line == ">" and result and not result[-1].expected:
            result[-1].command += "\n"
        elif result:
            result[-1].expected.append(line)
        else:
            result.append(Step("", [line]))
    for step in result:
        while step.expected and not step.expected[-1].strip():
            step.expected.pop()
    return result


def runnable(path: Path) -> Iterator[Block | tuple[int, str]]:
    """What a page runs, in order: console blocks not marked ``not run``, and setups."""
    blocks, setups = read_blocks(path)
    items: list[tuple[int, Block | tuple[int, str]]] = [(b.line, b) for b in blocks
                                                        if b.info == "console"
                                                        and b.mark("not run") is None]
    items += [(line, (line, command)) for line, command in setups]
    for _, item in sorted(items, key=lambda pair: pair[0]):
        yield item


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _Background:
    """A long-running command whose merged output is read line by line as it comes."""

    def __init__(self, argv: list[str], cwd: str, env: dict[str, str]):
        self.proc = subprocess.Popen(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     text=True, start_new_session=True)
        self.lines: list[str] = []
        self.cursor = 0
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        self._reader.join(5)


class Session:
    """One page's terminal: a folder, environment, bound deploy ids and servers."""

    def __init__(self, repo: Path, root: Path | None = None, timeout: float = 60.0):
        self._tmp = None if root else tempfile.TemporaryDirectory(prefix="notes-docs-")
        self.home = (root or Path(self._tmp.name)).resolve()  # type: ignore[union-attr]
        self.repo = repo
        self.timeout = timeout
        self.cwd = str(self.home)
        bin_dir = str(Path(sys.executable).parent)
        self.env = {
            "PATH": bin_dir + os.pathsep + os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(self.home), "REPO": str(repo), "LANG": "C.UTF-8",
            "PYTHONUNBUFFERED": "1", "TERM": "dumb", "COLUMNS": "100",
            "AWS_CONFIG_FILE": str(self.home / ".aws-none"),
            "AWS_SHARED_CREDENTIALS_FILE": str(self.home / ".aws-none"),
            "AWS_EC2_METADATA_DISABLED": "true", "AWS_DEFAULT_REGION": "us-east-1",
            # Anything that still reaches for AWS meets a closed port on this machine.
            "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
        }
        for name in ("TMPDIR", "NOTES_DEEP_TESTS"):
            if name in os.environ:
                self.env[name] = os.environ[name]
        self.ids: dict[str, str] = {}  # as the page shows it -> real
        self.ports: dict[int, int] = {}  # as the page shows it -> real
        self.background: _Background | None = None

    # -- running -------------------------------------------------------------------------

    def _real_port(self, shown: int) -> int:
        if shown not in self.ports:
            self.ports[shown] = _free_port()
        return self.ports[shown]

    def _to_real(self, command: str) -> str:
        def port(match: re.Match[str]) -> str:
            text = match.group(0)
            return text[:match.start(1) - match.start(0)] + str(self._real_port(int(match[1])))

        command = _PORT_IN_COMMAND.sub(port, command)
        return _ID.sub(lambda m: self.ids.get(m.group(0), m.group(0)), command)

    def _with_ports(self, command: str) -> str:
        """``notes serve`` / ``notes up`` as the page shows them listen on 8000 (and 4566):
        give them the free ports the page's 8000 and 4566 stand for."""
        words = shlex.split(command)
        if len(words) >= 2 and Path(words[0]).name == "notes" and words[1] in _LONG_RUNNING_PORTS:
            for flag, default in _LONG_RUNNING_PORTS[words[1]]:
                if flag not in words and not any(w.startswith(flag + "=") for w in words):
                    command += f" {flag} {self._real_port(default)}"
        return command

    def _shell(self, command: str) -> str:
        """Run ``command`` in bash from the session's folder and environment; keep the folder
        and environment it leaves, as the next prompt of one terminal would."""
        state = self.home / ".session-env"
        script = (f"{command}\n__rc=$?\n{{ pwd; env -0; }} > {shlex.quote(str(state))}\n"
                  "exit $__rc\n")
        proc = subprocess.run(["bash", "-c", script], check=False, cwd=self.cwd, env=self.env,
                              stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, timeout=self.timeout)
        if state.exists():
            cwd, _, env = state.read_text().partition("\n")
            self.cwd = cwd
            self.env = dict(item.split("=", 1) for item in env.split("\0") if "=" in item)
            for name in ("__rc", "_", "SHLVL", "OLDPWD", "PWD"):
                self.env.pop(name, None)
            state.unlink()
        return proc.stdout

    def setup(self, command: str) -> None:
        self._shell(self._to_real(command))

    def run_block(self, block: Block) -> list[str]:
        """Run one console block; the problems found (empty when the page tells the truth)."""
        marks = block.runs()
        if "background output" in marks:
            if self.background is None:
                return [f"{block.where}: background output, but nothing runs in the background"]
            return self._match_background(block, [line for s in steps(block.text)
                                                  for line in s.expected])
        instead = next((m[len("as "):] for m in marks if m.startswith("as ")), None)
        problems = []
        for step in steps(block.text):
            command = instead or step.command
            if not step.command:
                problems.append(f"{block.where}: output before the first $ command")
                continue
            command = self._to_real(command)
            if "background" in marks:
                if self.background is not None:
                    return [f"{block.where}: a second background command on one page"]
                command = self._with_ports(command)
                self.background = _Background(["bash", "-c", f"exec {command}"], self.cwd,
                                              self.env)
                problems += self._match_background(block, step.expected)
                continue
            problems += self._compare(block, step, self._shell(command))
        return problems

    def _match_background(self, block: Block, expected: list[str]) -> list[str]:
        bg = self.background
        assert bg is not None
        deadline = time.monotonic() + self.timeout
        while True:
            lines = [self._from_real(line) for line in bg.lines[bg.cursor:]]
            used = match_lines(expected, lines, self.ids, whole=False)
            if used is not None:
                bg.cursor += used
                return []
            if time.monotonic() > deadline or bg.proc.poll() is not None:
                time.sleep(0.2 if bg.proc.poll() is not None else 0)
                lines = [self._from_real(line) for line in bg.lines[bg.cursor:]]
                bg.cursor += len(lines)  # the next block is compared with what follows
                return [_diff(block, "(background) " + block.text.split("\n")[0], expected,
                              lines)]
            time.sleep(0.1)

    def _compare(self, block: Block, step: Step, output: str) -> list[str]:
        lines = [self._from_real(line) for line in output.rstrip("\n").split("\n")]
        if lines == [""]:
            lines = []
        if match_lines(step.expected, lines, self.ids, whole=True) is None:
            return [_diff(block, step.command, step.expected, lines)]
        return []

    def _from_real(self, line: str) -> str:
        line = line.replace(str(self.home), DOC_HOME)
        for shown, real in self.ports.items():
            line = re.sub(rf"(?<=[:\s]){real}\b", str(shown), line)
        return line.rstrip()

    def close(self) -> None:
        if self.background is not None:
            self.background.stop()
            self.background = None
        if self._tmp is not None:
            self._tmp.cleanup()


def normalise(line: str) -> str:
    for pattern, placeholder in _PLACEHOLDERS:
        line = pattern.sub(placeholder, line)
    return line.rstrip()


def _line_matches(expected: str, actual: str, ids: dict[str, str],
                  pending: dict[str, str]) -> bool:
    """Equal once normalised, with each deploy id in ``expected`` standing for the real one at
    the same place (bound in ``pending`` until the whole block matches)."""
    e_parts, a_parts = _ID.split(normalise(expected)), _ID.split(normalise(actual))
    if e_parts != a_parts:
        return False
    bound = {**ids, **pending}
    reverse = {real: shown for shown, real in bound.items()}
    for shown, real in zip(_ID.findall(expected), _ID.findall(actual), strict=True):
        if bound.get(shown, real) != real or reverse.get(real, shown) != shown:
            return False
        bound[shown] = real
        reverse[real] = shown
        pending[shown] = real
    return True


def match_lines(expected: list[str], actual: list[str], ids: dict[str, str],
                whole: bool) -> int | None:
    """How many lines of ``actual`` ``expected`` matches (all of them when ``whole``), with
    ``...`` lines standing for any number of lines; None when it does not match. A match
    binds the ids it saw into ``ids``."""

    def walk(e: int, a: int, pending: dict[str, str]) -> tuple[int, dict[str, str]] | None:
        if e == len(expected):
            return (a, pending) if (a == len(actual) or not whole) else None
        if expected[e].strip() == "...":
            for skip in range(a, len(actual) + 1):
                found = walk(e + 1, skip, dict(pending))
                if found is not None:
                    return found
            return None
        if a < len(actual):
            trial = dict(pending)
            if _line_matches(expected[e], actual[a], ids, trial):
                return walk(e + 1, a + 1, trial)
        return None

    found = walk(0, 0, {})
    if found is None:
        return None
    ids.update(found[1])
    return found[0]


def _diff(block: Block, command: str, expected: list[str], actual: list[str]) -> str:
    shown = "\n".join(f"    {line}" for line in expected) or "    (nothing)"
    got = "\n".join(f"    {line}" for line in actual) or "    (nothing)"
    return f"{block.where}: $ {command}\n  the page shows:\n{shown}\n  it printed:\n{got}"


def run_page(path: Path, repo: Path, timeout: float = 60.0) -> list[str]:
    """Run every runnable block of ``path`` in a new session; the problems found."""
    session = Session(repo, timeout=timeout)
    problems: list[str] = []
    try:
        for item in runnable(path):
            if isinstance(item, Block):
                problems += session.run_block(item)
            else:
                session.setup(item[1])
    finally:
        session.close()
    return problems


if __name__ == "__main__":
    repo_root = Path(__file__).resolve().parents[2]
    failed = 0
    for page in sys.argv[1:]:
        found = convention_problems(Path(page)) + run_page(Path(page), repo_root)
        for problem in found:
            print(problem)
        failed += len(found)
    sys.exit(1 if failed else 0)
