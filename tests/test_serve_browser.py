"""`notes serve` in headless Chromium: an edit reloads the open tab by itself, a failed
rebuild shows the one-line error as an overlay over the last good page, a fix removes it."""

from __future__ import annotations

import re

import pytest
from test_cli_serve import HELLO, free_port, project, running  # noqa: F401 - fixtures

from site_builder.serve.dev import DevOptions, run_serve

pytestmark = pytest.mark.browser


def test_live_reload_and_error_overlay(project, running, page) -> None:  # noqa: F811
    from playwright.sync_api import expect

    port = free_port()
    running(run_serve, DevOptions(project=project, port=port)).wait_line("Serving")
    page.goto(f"http://127.0.0.1:{port}/hello/")
    body = page.locator("[data-pagefind-body]").first
    expect(body).to_contain_text("First text.")
    page.evaluate("window.__sameDocument = true")

    (project / "content" / "hello.md").write_text(HELLO.format(text="Second text."))
    expect(body).to_contain_text("Second text.", timeout=15_000)
    assert page.evaluate("window.__sameDocument === undefined")  # it really reloaded

    (project / "content" / "bad.md").write_text("---\ntitle: [unclosed\n---\n")
    overlay = page.locator("#notes-build-error")
    expect(overlay).to_be_visible(timeout=15_000)
    expect(overlay).to_have_text(re.compile(r"^Build failed: content/bad\.md:\d+: "))
    expect(body).to_contain_text("Second text.")  # the last good page stays

    (project / "content" / "bad.md").unlink()
    expect(overlay).to_have_count(0, timeout=15_000)
    expect(body).to_contain_text("Second text.")
