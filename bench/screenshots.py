"""The README's screenshots, made from the sample site so they stay true to it.

    .venv/bin/python bench/screenshots.py [--out docs/screenshots]

Builds ``content/`` with the working tree's builder, serves it on a free local port and has
Debian's chromium (Playwright) take three pictures: a note page, a page showing an Obsidian
Base, and the folder explorer opened on a phone.  Beside the benchmarks because, like them,
it drives the real builder and a real browser; nothing in the suite depends on its output.
"""

from __future__ import annotations

import argparse
import functools
import tempfile
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
SHOTS = (
    # file, path, viewport width, height, what to do first (JavaScript, or "")
    ("note.png", "/kubernetes/networking/cni/", 1280, 860, ""),
    ("base.png", "/reading-guide/", 1280, 860,
     "scrollTo(0, document.querySelector('.prose').getBoundingClientRect().top + scrollY - 16)"),
    ("explorer-phone.png", "/containers/docker-networking/", 390, 800,
     "document.querySelector('.menu-button').click()"),
)


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def build(out: Path) -> None:
    from site_builder.pipeline.build import build_site
    from site_builder.pipeline.options import BuildOptions

    build_site(BuildOptions(project_dir=REPO, out_dir=out, search=False, cache=False))


def shoot(site: Path, folder: Path) -> list[Path]:
    from playwright.sync_api import sync_playwright

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    made = []
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--headless"])
            for name, path, width, height, first in SHOTS:
                page = browser.new_page(viewport={"width": width, "height": height},
                                        color_scheme="light", device_scale_factor=1)
                page.goto(base + path)
                page.wait_for_load_state("networkidle")
                if first:
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "screenshots")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        build(Path(tmp) / "site")
        for path in shoot(Path(tmp) / "site", args.out):
            print(path.relative_to(REPO) if path.is_relative_to(REPO) else path)


if __name__ == "__main__":
    main()
