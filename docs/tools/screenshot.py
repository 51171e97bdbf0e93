"""Take the screenshot of a note page shown by README.md and the manual's home page, and the
pictures of the page "Reading the site" (a Base, the folder explorer on a phone).

    python docs/tools/screenshot.py [--out docs/content/assets/screenshot.png]

Builds the sample site (content/ and notes.toml of the repository) into a temporary folder with
the same builder as `notes build`, serves it on 127.0.0.1, and photographs one note (the
sample's CNI note: breadcrumbs, tags, a callout, a diagram, the table of contents) in the light
theme with headless Chromium: Debian's ``chromium`` driven by Playwright, as the browser tests
do. Nothing is fetched from the network: the pages load only their own files.
"""

from __future__ import annotations

import argparse
import functools
import shutil
import sys
import tempfile
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
NOTE = "/kubernetes/networking/cni/"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
VIEWPORT = {"width": 1280, "height": 860}


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def build_sample(project: Path) -> Path:
    """The sample site, built as `notes build` would from a copy of the repository's project."""
    sys.path.insert(0, str(REPO))
    from reference import BUILD_MODULES, first_module

    build = first_module(*BUILD_MODULES)
    BuildOptions, build_site = build.BuildOptions, build.build_site

    shutil.copytree(REPO / "content", project / "content")
    shutil.copy(REPO / "notes.toml", project / "notes.toml")
    return build_site(BuildOptions(project_dir=project, search=False)).out_dir  # not in the picture


def take(site: Path, out: Path, browser: Any = None) -> None:
    """Photograph the note of ``site`` into ``out``, with ``browser`` (a Playwright browser)
    or a headless Chromium of its own."""
    handler = functools.partial(_Quiet, directory=str(site))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        if browser is not None:
            _photograph(browser, f"http://127.0.0.1:{server.server_port}{NOTE}", out)
            return
        from playwright.sync_api import sync_playwright

        with sync_playwright() as pw:
            own = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                _photograph(own, f"http://127.0.0.1:{server.server_port}{NOTE}", out)
            finally:
                own.close()
    finally:
        server.shutdown()
        server.server_close()


def _photograph(browser: Any, url: str, out: Path) -> None:
    page = browser.new_page(viewport=VIEWPORT, color_scheme="light", device_scale_factor=1)
    try:
        page.goto(url)
        page.wait_for_selector(".mermaid svg", timeout=20_000)  # the diagram is drawn
        page.wait_for_load_state("networkidle")
        out.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(out))
    finally:
        page.close()


# More pictures of the sample site: file name, page, viewport, what to do before the picture.
MORE = (
    ("base.png", "/reading-guide/", {"width": 1280, "height": 860},
     "scrollTo(0, document.querySelector('.prose').getBoundingClientRect().top + scrollY - 16)"),
    ("explorer-phone.png", "/containers/docker-networking/", {"width": 390, "height": 800},
     "document.querySelector('.menu-button').click()"),
)


def take_more(site: Path, folder: Path) -> list[Path]:
    """The pictures of ``MORE``, into ``folder`` (not compared by the tests: they show parts a
    change to the look moves, and the note's screenshot already keeps the look honest)."""
    from playwright.sync_api import sync_playwright

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    made = []
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for name, path, viewport, first in MORE:
                page = browser.new_page(viewport=viewport, color_scheme="light",
                                        device_scale_factor=1)
                page.goto(f"http://127.0.0.1:{server.server_port}{path}")
                page.wait_for_load_state("networkidle")
                page.evaluate(first)
                page.wait_for_timeout(400)
                page.screenshot(path=str(folder / name))
                made.append(folder / name)
                page.close()
            browser.close()
    finally:
        server.shutdown()
        server.server_close()
    return made


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path,
                        default=REPO / "docs" / "content" / "assets" / "screenshot.png")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="notes-screenshot-") as tmp:
        site = build_sample(Path(tmp))
        take(site, args.out)
        more = take_more(site, args.out.parent)
    for path in (args.out, *more):
        print(f"Wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
