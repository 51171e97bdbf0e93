"""Readers never see a broken internal link while a deploy or a rollback runs (issue 12, item 3).

Real sites (``build_site`` on small generated projects, Pagefind included) are published to
moto through a wrapper around the S3 client that, after every single PutObject, CopyObject and
DeleteObjects of the site, lists the live objects and checks every live HTML page's internal
links (parsed here with ``html.parser``, independently of the engine's own extractor).

Links between new pages that form a cycle (a new note and its new tag page, two new notes
linking each other) cannot be ordered; the engine uploads each cycle as one batch.  So a broken
link seen mid-deploy is allowed only when page and target are in the same batch of the plan;
every acyclic case must be exact (no broken link at any moment).
"""

from __future__ import annotations

import shutil
import threading
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import pytest

from site_builder.deploy import make_plan, publish, rollback, verify
from site_builder.deploy.local import LocalFile
from site_builder.deploy.remote import RemoteObject
from site_builder.pipeline.build import build_site
from site_builder.pipeline.options import BuildOptions

SITE = "http://site.test"


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.values: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.values += [v for k, v in attrs if k in ("href", "src") and v]


def page_links(key: str, body: bytes) -> set[str]:
    """Same-site link targets as bucket-key candidates (a path, "" for the home page)."""
    base = SITE + "/" + (key.removesuffix("index.html"))
    parser = _Links()
    parser.feed(body.decode())
    out = set()
    for value in parser.values:
        url = urlsplit(urljoin(base, value))
        if f"{url.scheme}://{url.netloc}" == SITE:
            out.add(unquote(url.path))
    return out


def resolves(path: str, live: set[str]) -> bool:
    """As the S3 website endpoint serves it: ``/a/`` from ``a/index.html``; ``/a`` from ``a``
    or (redirected) ``a/index.html``."""
    key = path.lstrip("/")
    if key == "" or key.endswith("/"):
        return f"{key}index.html" in live
    return key in live or f"{key}/index.html" in live


class LinkWatch:
    """The S3 client, with every site write followed by a check of the whole live site."""

    def __init__(self, client, bucket: str):
        self._client, self._bucket = client, bucket
        self._lock = threading.Lock()
        self._cache: dict[tuple[str, str], set[str]] = {}
        self.events: list[set[tuple[str, str]]] = []  # broken (page, link) after each write
        self.links_checked = 0

    def __getattr__(self, name):
        return getattr(self._client, name)

    def _write(self, method, kwargs):
        with self._lock:
            response = getattr(self._client, method)(**kwargs)
            if not kwargs.get("Key", "").startswith("_notes/"):
                self.events.append(self._broken())
            return response

    def put_object(self, **kwargs):
        return self._write("put_object", kwargs)

    def copy_object(self, **kwargs):
        return self._write("copy_object", kwargs)

    def delete_objects(self, **kwargs):
        return self._write("delete_objects", kwargs)

    def _broken(self) -> set[tuple[str, str]]:
        live = {}
        for page in self._client.get_paginator("list_objects_v2").paginate(Bucket=self._bucket):
            live.update({o["Key"]: o["ETag"] for o in page.get("Contents", ())})
        keys = set(live)
        broken = set()
        for key, etag in live.items():
            if not key.endswith(".html"):
                continue
            if (key, etag) not in self._cache:
                body = self._client.get_object(Bucket=self._bucket, Key=key)["Body"].read()
                self._cache[(key, etag)] = page_links(key, body)
            for path in self._cache[(key, etag)]:
                self.links_checked += 1
                if not resolves(path, keys):
                    broken.add((key, path))
        return broken

    def take(self) -> list[set[tuple[str, str]]]:
        events, self.events = self.events, []
        return events


def key_of(path: str) -> str:
    key = path.lstrip("/")
    return f"{key}index.html" if key == "" or key.endswith("/") else key


def assert_only_inside_cycles(events, plan) -> None:
    """Every broken link seen joined two members of one cycle batch; none is left at the end."""
    batch = {k: set(c) for c in plan.cycles for k in c}
    assert events, "the watch saw no write"
    for broken in events:
        for page, path in broken:
            target = key_of(path)
            assert target in batch.get(page, set()) or f"{target}/index.html" in batch.get(
                page, set()), f"{page} linked {path} before it was live"
    assert events[-1] == set()


NOTE = "---\ntitle: {title}\ntags: [{tags}]\ndate: 2026-01-{day:02d}\n---\n{body}\n"


def write_project(root: Path, notes: dict[str, tuple[str, str, int, str]]) -> None:
    content = root / "content"
    if content.exists():
        shutil.rmtree(content)
    (content / "a" / "img").mkdir(parents=True)
    (content / "a" / "img" / "p.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    for path, (title, tags, day, body) in notes.items():
        file = content / path
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(NOTE.format(title=title, tags=tags, day=day, body=body))


def build(root: Path) -> Path:
    # cache=False: a cached rebuild trips over output.make_file calling dataclasses.replace on
    # a NamedTuple (a builder bug outside this change); a fresh build is the same site.
    result = build_site(BuildOptions(project_dir=root, jobs=1, cache=False))
    return Path(result.out_dir)


V1 = {
    "a/one.md": ("One", "x", 1, "First. ![p](img/p.svg)"),
    "a/two.md": ("Two", "y", 2, "Links [[One]]."),
    "b/three.md": ("Three", "x", 3, "Links [[Gone]]."),
    "b/gone.md": ("Gone", "z", 4, "To be removed."),
}


def v2() -> dict:
    """New tags, new notes linking each other (and a new section), a removal, an edit."""
    notes = dict(V1)
    del notes["b/gone.md"]
    notes["b/three.md"] = ("Three", "x", 3, "No more link to the removed note.")
    notes["a/one.md"] = ("One", "x", 1, "First, edited. ![p](img/p.svg) See [[Four]].")
    notes["c/four.md"] = ("Four", "new1", 5, "Links [[Five]].")
    notes["c/five.md"] = ("Five", "new1, new2", 6, "Links [[Four]] and [[One]].")
    return notes


def v3() -> dict:
    """An acyclic change: a new note in an existing section with an existing tag, linking
    existing notes (they get its backlink, the lists list it)."""
    return dict(v2(), **{"a/six.md": ("Six", "x", 7, "Links [[One]] and [[Two]].")})


@pytest.fixture
def watched(s3, bucket):
    return LinkWatch(s3, bucket)


def test_no_broken_link_during_deploys_and_rollbacks(watched, bucket, tmp_path):
    write_project(tmp_path, V1)
    first = publish(watched, bucket, build(tmp_path), workers=4)
    assert_only_inside_cycles(watched.take(), first.plan)

    write_project(tmp_path, v2())
    second = publish(watched, bucket, build(tmp_path), workers=4)
    events = watched.take()
    assert_only_inside_cycles(events, second.plan)
    plan = second.plan
    assert plan.deletes and "b/gone/index.html" in plan.deletes
    # the new notes, their new section and new tag pages link each other: one cycle batch;
    # everything else is ordered exactly
    assert plan.cycles == (("c/five/index.html", "c/four/index.html", "c/index.html",
                            "tags/new1/index.html", "tags/new2/index.html"),)
    assert len(plan.waves) >= 3
    wave_of = {u.key: i for i, w in enumerate(plan.waves) for u in w}
    new_pages = [u.key for u in plan.uploads if u.reason == "new" and u.key.endswith(".html")]
    assert new_pages and all(  # search switches to the new index once its pages are up
        wave_of["pagefind/pagefind-entry.json"] > wave_of[k] for k in new_pages)
    assert len(events) == len(plan.uploads) + 1  # every PUT and the deletion were checked

    back = rollback(watched, bucket, to=first.record.id, workers=4)[0]
    assert_only_inside_cycles(watched.take(), back.plan)
    assert "b/gone/index.html" in {u.key for u in back.plan.uploads}
    assert verify(watched, bucket).clean

    forward = rollback(watched, bucket, to=second.record.id, workers=4)[0]
    assert_only_inside_cycles(watched.take(), forward.plan)
    assert watched.links_checked > 1000


def test_acyclic_deploy_and_rollback_are_exact(watched, bucket, tmp_path):
    write_project(tmp_path, v2())
    before = publish(watched, bucket, build(tmp_path), workers=4).record
    watched.take()

    write_project(tmp_path, v3())
    result = publish(watched, bucket, build(tmp_path), workers=4)
    events = watched.take()
    assert result.plan.cycles == ()
    assert all(broken == set() for broken in events)
    assert len(events) == len(result.plan.uploads) + bool(result.plan.deletes)
    wave_of = {u.key: i for i, w in enumerate(result.plan.waves) for u in w}
    # the pages listing or linking the new note went up after it
    for page in ("a/one/index.html", "a/index.html", "tags/x/index.html", "index.html"):
        assert wave_of[page] > wave_of["a/six/index.html"]

    back = rollback(watched, bucket, to=before.id, workers=4)[0]
    assert back.plan.cycles == ()
    assert all(broken == set() for broken in watched.take())
    assert back.plan.deletes == ("a/six/index.html",) + tuple(
        k for k in back.plan.deletes if k.startswith("pagefind/"))


def test_search_index_switches_after_the_pages_and_chunks_it_names():
    """pagefind-entry.json names the meta file, which names chunks and fragments, which point
    at pages: the entry goes last, so search never offers a page that is not up yet."""
    keys = ["pagefind/pagefind-entry.json", "pagefind/pagefind.en_1234567890.pf_meta",
            "pagefind/index/en_abcdef1.pf_index", "pagefind/fragment/en_abcdef2.pf_fragment",
            "n/new/index.html", "n/old/index.html", "sitemap.xml"]
    files = [LocalFile(k, 1, "1" * 32, "text/html", "no-cache", "notes") for k in keys]
    old = ("pagefind/pagefind-entry.json", "n/old/index.html", "sitemap.xml")
    live = {k: RemoteObject(k, "0" * 32, 1, "v1") for k in old}  # other bytes: uploaded
    plan = make_plan(files, live)
    assert [[u.key for u in w] for w in plan.waves] == [
        ["n/new/index.html", "n/old/index.html", "pagefind/fragment/en_abcdef2.pf_fragment",
         "pagefind/index/en_abcdef1.pf_index"],
        ["pagefind/pagefind.en_1234567890.pf_meta", "sitemap.xml"],
        ["pagefind/pagefind-entry.json"],
    ]


def test_each_shard_switches_after_its_chunks_and_the_list_after_every_shard():
    """A shard's entry names its own meta, chunks and fragments; ``shards.json`` names the
    shard bundles: each goes after what it names, like the primary bundle's entry."""
    keys = ["pagefind/pagefind-entry.json", "pagefind/shards.json",
            "pagefind/shard-3/pagefind-entry.json",
            "pagefind/shard-3/pagefind.en_1234567890.pf_meta",
            "pagefind/shard-3/index/en_abcdef1.pf_index",
            "pagefind/shard-3/fragment/en_abcdef2.pf_fragment", "n/new/index.html"]
    files = [LocalFile(k, 1, "1" * 32, "text/html", "no-cache", "notes") for k in keys]
    plan = make_plan(files, {})
    assert plan.cycles == ()
    wave_of = {u.key: i for i, w in enumerate(plan.waves) for u in w}
    shard = "pagefind/shard-3/"
    assert wave_of[shard + "pagefind.en_1234567890.pf_meta"] > max(
        wave_of[shard + "index/en_abcdef1.pf_index"],
        wave_of[shard + "fragment/en_abcdef2.pf_fragment"])
    assert wave_of[shard + "pagefind-entry.json"] > max(
        wave_of[shard + "pagefind.en_1234567890.pf_meta"], wave_of["n/new/index.html"])
    assert wave_of["pagefind/shards.json"] > wave_of[shard + "pagefind-entry.json"]
    assert wave_of["pagefind/pagefind-entry.json"] > wave_of[shard + "pagefind-entry.json"]
