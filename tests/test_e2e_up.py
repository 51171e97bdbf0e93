"""End to end: `notes up` as a real process, the site in headless Chromium.

A temporary copy of the project's content/ and notes.toml is published to the embedded S3 and
browsed through the website server: home -> a note -> home, a search through the header form,
a missing URL (the 404 page, status 404), a live edit that reaches the open tab by itself, and a
`notes rollback` from "another terminal" that brings the old text back.  The subprocess is
always stopped (SIGINT, then kill on timeout).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
NOTES = REPO / ".venv" / "bin" / "notes"
START_TIMEOUT = 90
pytestmark = [pytest.mark.browser, pytest.mark.timeout(240)]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def dummy_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_ACCESS_KEY_ID="e2e",
        AWS_SECRET_ACCESS_KEY="e2e",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_EC2_METADATA_DISABLED="true",
        PYTHONUNBUFFERED="1",
    )
    return env


@dataclass
class UpProcess:
    proc: subprocess.Popen
    project: Path
    port: int
    s3_port: int
    lines: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.s3_port}"

    def output(self) -> str:
        return "".join(self.lines)

    def wait_line(self, pattern: str, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in list(self.lines):
                if re.search(pattern, line):
                    return line.rstrip("\n")
            if self.proc.poll() is not None:
                time.sleep(0.2)  # let the reader drain the pipe
                raise AssertionError(f"`notes up` exited {self.proc.returncode}:\n{self.output()}")
            time.sleep(0.1)
        raise AssertionError(f"no line matching {pattern!r} in:\n{self.output()}")


@pytest.fixture
def up(tmp_path: Path) -> Iterator[UpProcess]:
    project = tmp_path / "project"
    shutil.copytree(REPO / "content", project / "content")
    if (REPO / "notes.toml").is_file():
        shutil.copy2(REPO / "notes.toml", project / "notes.toml")
    port, s3_port = free_port(), free_port()
    proc = subprocess.Popen(
        [str(NOTES), "up", "--port", str(port), "--s3-port", str(s3_port)],
        cwd=project,
        env=dummy_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    running = UpProcess(proc, project, port, s3_port)
    reader = threading.Thread(target=lambda: running.lines.extend(proc.stdout), daemon=True)
    reader.start()
    try:
        yield running
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        reader.join(5)


def source_of(project: Path, title: str) -> Path:
    """The Markdown file whose front matter has this title."""
    pattern = re.compile(r"^title:\s*[\"']?(.*?)[\"']?\s*$", re.MULTILINE)
    for path in sorted((project / "content").rglob("*.md")):
        match = pattern.search(path.read_text(encoding="utf-8"))
        if match and match.group(1) == title:
            return path
    raise AssertionError(f"no note titled {title!r}")


def search_word(title: str) -> str:
    words = [w for w in re.findall(r"[A-Za-z]{5,}", title)]
    assert words, f"no searchable word in {title!r}"
    return max(words, key=len).lower()


def test_notes_up_in_a_browser(up: UpProcess, page) -> None:
    from playwright.sync_api import expect

    open_line = up.wait_line(r"^Open http://", START_TIMEOUT)
    assert open_line == f"Open {up.url}"
    assert f"{NOTES} history --endpoint-url {up.endpoint} --bucket notes-local" in up.output()

    # Home -> first note -> back home, by clicking links.
    response = page.goto(up.url)
    assert response.status == 200
    expect(page.locator('meta[name="notes:page"]')).to_have_attribute("content", "list")
    note_links = page.locator("main a[href^='/']")
    hrefs = [note_links.nth(i).get_attribute("href") for i in range(note_links.count())]
    note_href = _first_note_href(page, up.url, hrefs)
    page.click(f"main a[href='{note_href}']")
    page.wait_for_url(up.url.rstrip("/") + note_href)
    expect(page.locator('meta[name="notes:page"]')).to_have_attribute("content", "note")
    title = page.locator("main h1").first.inner_text().strip()
    body = page.locator("[data-pagefind-body]").first
    original = body.inner_text()
    page.click("header a[href='/']")
    page.wait_for_url(up.url)
    expect(page.locator('meta[name="notes:page"]')).to_have_attribute("content", "list")

    # Search from the header box (it becomes Pagefind's search-as-you-type box on focus), then
    # Enter opens the results page; the note is among the results.
    page.click(".site-search input")
    page.keyboard.type(search_word(title))
    page.wait_for_selector("pagefind-searchbox a", timeout=15_000)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/search/\?q="))
    # Pagefind's UI fills its results one by one, in rank order, and another note may rank
    # first (stemming: "publisher" matches "publishing"): wait for the note's own result rather
    # than reading whichever results are drawn when the first one is (flaky under load).
    results = page.locator(".pagefind-ui__result-link")
    results.first.wait_for(timeout=15_000)
    mine = page.locator(f".pagefind-ui__result-link[href^='{note_href}']")
    expect(mine.first).to_be_attached(timeout=15_000)
    found = [results.nth(i).get_attribute("href") for i in range(results.count())]
    # Results carry ?highlight=<terms> for the opened page to mark them.
    assert any(href.split("#")[0].split("?")[0] == note_href for href in found), found

    # A missing URL: the site's 404 page with status 404.
    response = page.goto(up.url + "no/such/note/")
    assert response.status == 404
    expected_title = re.search(
        r"<title>(.*?)</title>", (up.project / "build/site/404.html").read_text(), re.DOTALL
    )
    assert page.title() == expected_title.group(1).strip()
    assert page.locator('meta[name="notes:page"]').count() == 0

    # Edit the note on disk: the open tab reloads itself with the new text.
    page.goto(up.url.rstrip("/") + note_href)
    marker = f"Edited while notes up was running {os.getpid()}."
    source = source_of(up.project, title)
    source.write_text(source.read_text(encoding="utf-8") + f"\n\n{marker}\n", encoding="utf-8")
    expect(page.locator("[data-pagefind-body]").first).to_contain_text(marker, timeout=30_000)
    up.wait_line(r"^Deployed .*", 5)

    # Roll back from another terminal: the old text comes back (the tab reloads again).
    rolled = subprocess.run(  # noqa: PLW1510 - the return code is asserted below
        [str(NOTES), "rollback", "--endpoint-url", up.endpoint, "--bucket", "notes-local"],
        cwd=up.project,
        env=dummy_env(),
        stdin=subprocess.DEVNULL,  # not a terminal: rollback does not ask for confirmation
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert rolled.returncode == 0, rolled.stderr
    assert "Rolled back" in rolled.stdout
    expect(page.locator("[data-pagefind-body]").first).not_to_contain_text(marker, timeout=30_000)
    assert page.locator("[data-pagefind-body]").first.inner_text() == original


def _first_note_href(page, base: str, hrefs: list[str | None]) -> str:
    """The first link on the home page that leads to a note page."""
    for href in hrefs:
        if not href or href == "/" or href.startswith(("/tags/", "/search/", "/feed")):
            continue
        html = page.request.get(base.rstrip("/") + href).text()
        if '<meta name="notes:page" content="note">' in html:
            return href
    raise AssertionError(f"no link to a note on the home page: {hrefs}")
