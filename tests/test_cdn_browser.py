"""The CloudFront response-headers policy in a real browser: a built site served with the
exact CSP (and the other security headers) the stack sets for it; search (Pagefind's
WebAssembly and the search page's inline script), the site's own script and a project's
override of the theme script run without a CSP violation."""

from __future__ import annotations

from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler
from pathlib import Path

import pytest
from test_search_browser import result_titles, static_servers, unique_body_word

pytestmark = pytest.mark.browser
pytest.importorskip("aws_cdk")  # infra.cdn builds the policy with the CDK's types

from infra.cdn import TEMPLATES, content_security_policy

# What the ResponseHeadersPolicy sends (tests/test_infra_cdn.py checks the template's values);
# the CSP is the one the stack computes for the folder being served (POLICIES).
HEADERS = {
    "Strict-Transport-Security": "max-age=31536000",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "SAMEORIGIN",
}
WATCH = """window.__violations = [];
document.addEventListener('securitypolicyviolation', e =>
  window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));"""


POLICIES: dict[str, str] = {}  # served folder -> its Content-Security-Policy


class _PolicyHandler(SimpleHTTPRequestHandler):
    def end_headers(self) -> None:
        for name, value in {**HEADERS, "Content-Security-Policy": POLICIES[self.directory]
                            }.items():
            self.send_header(name, value)
        super().end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def sample_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """content/ built by the real builder (search index included)."""
    from site_builder.pipeline.build import build_site
    from site_builder.pipeline.options import BuildOptions

    out = tmp_path_factory.mktemp("sample") / "site"
    build_site(BuildOptions(project_dir=REPO, out_dir=out))
    return out


@pytest.fixture
def serve_with_policy() -> Iterator[object]:
    yield from static_servers(_PolicyHandler)


def test_search_and_pages_pass_the_csp(page, serve_with_policy, sample_site: Path) -> None:
    console: list[str] = []
    page.on("console", lambda msg: console.append(msg.text))
    page.add_init_script(WATCH)
    policy = POLICIES[str(sample_site)] = content_security_policy(sample_site)
    base = serve_with_policy(sample_site)
    word, _title = unique_body_word(sample_site)
    response = page.goto(f"{base}/search/?q={word}")
    assert response.headers["content-security-policy"] == policy
    assert len(result_titles(page)) == 1  # inline script ran, Pagefind's wasm loaded
    assert page.evaluate("window.__violations") == []
    # A note page: the site's own script (copy buttons, "/" shortcut) runs under the policy.
    note = next(p for p in sorted(sample_site.rglob("index.html"))
                if "data-pagefind-body" in p.read_text("utf-8"))
    page.goto(f"{base}/{note.parent.relative_to(sample_site).as_posix()}/")
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.closest('.site-search') !== null")
    assert page.evaluate("window.__violations") == []
    assert not [m for m in console if "Content Security Policy" in m], console


def test_the_policy_is_live(page, serve_with_policy, tmp_path: Path) -> None:
    """The same server and watcher catch an inline script the policy does not list."""
    (tmp_path / "index.html").write_text(
        "<!doctype html><title>x</title><script>document.title = 'ran'</script>")
    page.add_init_script(WATCH)
    POLICIES[str(tmp_path)] = content_security_policy(tmp_path)
    page.goto(serve_with_policy(tmp_path) + "/")
    page.wait_for_function("window.__violations.length > 0", timeout=10_000)
    assert page.title() == "x"
    assert page.evaluate("window.__violations")[0].startswith("script-src")


def test_a_projects_template_override_runs_under_its_policy(page, serve_with_policy,
                                                            tmp_path: Path) -> None:
    """templates/base.html overridden with its theme script extended (it marks the page):
    under the policy computed for that build, the new script runs, 0 violations."""
    from site_builder.pipeline.build import build_site
    from site_builder.pipeline.options import BuildOptions

    base = (TEMPLATES / "base.html").read_text()
    project = tmp_path / "project"
    (project / "content").mkdir(parents=True)
    (project / "content" / "a.md").write_text("# A\n\nText.\n")
    (project / "templates").mkdir()
    (project / "templates" / "base.html").write_text(
        base.replace('"dark":"light";', '"dark":"light";document.documentElement'
                     '.dataset.override="ran";', 1))
    site = tmp_path / "site"
    build_site(BuildOptions(project_dir=project, out_dir=site))
    policy = content_security_policy(site, (project / "templates", TEMPLATES))
    assert policy != content_security_policy(site)  # the package's script is not the override
    POLICIES[str(site)] = policy
    page.add_init_script(WATCH)
    response = page.goto(serve_with_policy(site) + "/a/")
    assert response.headers["content-security-policy"] == policy
    assert page.evaluate("document.documentElement.dataset.override") == "ran"
    assert page.evaluate("window.__violations") == []


def test_pdf_and_video_embeds_play_under_the_policy(page, serve_with_policy,
                                                    tmp_path: Path) -> None:
    """A note's PDF in its viewer (the site framing itself) and a YouTube player (the
    privacy-enhanced host) are allowed by the policy; the site framed by another is not."""
    from site_builder.pipeline.build import build_site
    from site_builder.pipeline.options import BuildOptions

    project = tmp_path / "project"
    (project / "content").mkdir(parents=True)
    (project / "content" / "paper.pdf").write_bytes(b"%PDF-1.4\n%%EOF\n")
    (project / "content" / "a.md").write_text(
        "# A\n\n![[paper.pdf]]\n\n![A talk](https://www.youtube.com/watch?v=dQw4w9WgXcQ)\n")
    site = tmp_path / "site"
    build_site(BuildOptions(project_dir=project, out_dir=site, search=False))
    console: list[str] = []
    page.on("console", lambda msg: console.append(msg.text))
    POLICIES[str(site)] = content_security_policy(site)
    page.add_init_script(WATCH)
    base = serve_with_policy(site)
    page.goto(base + "/a/")
    frames = page.evaluate("[...document.querySelectorAll('iframe')].map(f => f.src)")
    assert any(src.endswith("/paper.pdf") for src in frames), frames
    assert any(src.startswith("https://www.youtube-nocookie.com/embed/") for src in frames)
    page.wait_for_timeout(500)  # the frames' navigations are checked as they start
    assert page.evaluate("window.__violations") == []
    assert not [m for m in console if "Content Security Policy" in m or "frame" in m], console
