"""Internal link targets of a page, as bucket keys (the input of the upload order)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from site_builder.deploy.pagelinks import internal_links, page_url, resolve, target_key


def test_page_url():
    assert page_url("index.html") == "/"
    assert page_url("a/b/index.html") == "/a/b/"
    assert page_url("404.html") == "/404.html"


def test_targets_of_a_page():
    body = b"""<html><head><link rel="stylesheet" href="/assets/style.3f2a9c1b.css">
    <link rel="alternate" type="application/atom+xml" href='/feed.xml'></head><body>
    <a href="/">home</a> <a href="/tags/c%2B%2B/">c++</a> <a href="../other/#sec">o</a>
    <a href="#top">top</a> <a href="https://example.com/x/">ext</a> <a href="//cdn.x/y.js">c</a>
    <a href="mailto:a@b.c">m</a> <a href="javascript:alert(1)">j</a> <img src="img/l.svg">
    <a href="/a/b?q=1&amp;r=2">q</a> <a href="/a/b/index.html">self</a>
    <code>&lt;a href=&quot;/not/a/link/&quot;&gt;</code> <a HREF = "/x/y.pdf">pdf</a>
    <a href="../../../../escape">e</a></body></html>"""
    assert internal_links("a/b/index.html", body) == {
        "assets/style.3f2a9c1b.css", "feed.xml", "index.html", "tags/c++/index.html",
        "a/other/index.html", "a/b/img/l.svg", "a/b", "x/y.pdf", "escape"}  # browsers stop at /


def test_target_key_edge_cases():
    assert target_key("/", "sub/") == "sub/index.html"
    assert target_key("/a/", "..") == "index.html"
    assert target_key("/a/", "?page=2") is None
    assert target_key("/a/", "data:image/png;base64,xx") is None
    assert target_key("/a/", "") is None


def test_resolve_pretty_url_without_slash():
    keys = {"a/b/index.html", "x.pdf"}
    assert resolve("a/b", keys) == "a/b/index.html"
    assert resolve("x.pdf", keys) == "x.pdf"
    assert resolve("nope", keys) is None


@given(st.lists(st.sampled_from([
    "/", "/a/", "/a/b", "#top", "/#top", "../x/", "./", "sub/p.png", "/tags/c%2B%2B/",
    "&#47;a/", " /a/ ", "/a/b/index.html", "?q=1", "//host/x", "#", ""]), max_size=8),
    st.sampled_from(["index.html", "a/index.html", "a/b/index.html", "404.html", "a/b"]))
def test_links_resolved_once_per_site_mean_the_same_on_every_page(hrefs, key):
    """The key of a link starting with ``/`` or ``#`` is cached across pages: on any page it
    must be what ``target_key`` gives for that page."""
    body = "".join(f'<a href="{h}">x</a> <img src=\'{h}\'>' for h in hrefs).encode()
    expected = {target_key(page_url(key), h) for h in hrefs} - {None, key}
    assert internal_links(key, body) == expected
