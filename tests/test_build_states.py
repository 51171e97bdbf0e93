"""Every edit, every time (issue 14): a cached build equals a clean build after any sequence.

A hypothesis state machine applies random sequences of everyday edits to a small project
(notes added, edited, renamed, deleted, drafted; tags, dates, slugs and titles changed;
attachments, section intros, template overrides, ``static/`` files and every ``notes.toml``
key coming and going; links appearing and disappearing; a Base and the properties it selects
by changing (issue 29: a page showing a Base is made again when what it selects changes);
time passing, so the cache's
size-and-mtime shortcut is used) and after each step builds three copies of the same project:
one with its cache serially (``jobs=1``), one with its cache in parallel (``jobs=2``) and one
from nothing (``cache=False`` into an empty output folder).  Both cached builds must succeed
exactly when the clean one does, fail with the same message when it fails, and otherwise leave
a byte-identical output tree and report the same warnings; the search index shows the same
fragments (its pages changed since their shard was made may sit in a recent bundle).

``make test`` runs a bounded number of examples; ``NOTES_DEEP_TESTS=1`` runs many more.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import hypothesis.strategies as st
import pytest
from hypothesis import HealthCheck, settings
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule
from searchview import listed, search_view

from site_builder.core.errors import NotesError
from site_builder.deploy.manifest import OUTPUT_MARKER
from site_builder.pipeline.build import build_site
from site_builder.pipeline.options import BuildOptions, BuildResult

PACKAGED = Path(__file__).resolve().parent.parent / "site_builder" / "site" / "templates"
DEEP = bool(os.environ.get("NOTES_DEEP_TESTS"))
_COMMON = {"deadline": None, "suppress_health_check": list(HealthCheck),
           "derandomize": not DEEP}
settings.register_profile("build-states", max_examples=6, stateful_step_count=12, **_COMMON)
settings.register_profile("build-states-deep", max_examples=200, stateful_step_count=30,
                          **_COMMON)
PROFILE = settings.get_profile("build-states-deep" if DEEP else "build-states")
# A deep run takes as long as it takes; a bounded one gets room for shrinking a failure.
pytestmark = pytest.mark.timeout(0 if DEEP else 900)

FOLDERS = ("", "a/", "b/", "a/deep/", "c d/", "sec/c++/")
NAMES = ("one", "two", "three", "four", "five", "Six Words", "c#note")
SLUGS = ("moved", "x/y", "two", "ü-slug", "c++")
TAGS = ("x", "y", "Docker", "docker", "c++", "two words")
DATES = ("2024-01-01", "2024-01-02", "2023-12-31", "2024-02-29")
TITLES = ("One", "Two", "Second one", "Tom & \"Jerry\" <x>", "Ünïcode")
TEMPLATES = ("note.html", "base.html", "tag.html", "section.html", "home.html")
SETTINGS = {
    "title": ("Field Notes", "Other title"),
    "description": ("About things", ""),
    "author": ("Ann", "Bob"),
    "base_url": ("https://notes.example.com", "http://localhost:8000/sub"),
    "titel": ("A typo",),
}
ASSETS = {"pic.svg": b"<svg xmlns='http://www.w3.org/2000/svg'/>",
          "doc.pdf": b"%PDF-1.4\n%%EOF\n"}

notes_st = st.sampled_from([f + n + ".md" for f in FOLDERS for n in NAMES])


BASES = {
    "kinds": 'filters:\n  or:\n    - kind.contains(link("One"))\n    - rating > 2\n'
             'formulas:\n  double: rating * 2\nproperties:\n  note.rating:\n'
             '    displayName: Stars\nviews:\n  - type: table\n    name: All\n    order:\n'
             '      - file.name\n      - rating\n      - kind\n      - formula.double\n'
             '    sort:\n      - property: rating\n        direction: DESC\n'
             '    summaries:\n      note.rating: Sum\n  - type: cards\n    name: Top\n'
             '    filters:\n      and:\n        - rating >= 4\n    limit: 2\n',
    "tagged": "filters:\n  and:\n    - file.hasTag(\"x\")\n    - '!file.inFolder(\"b\")'\n"
              "views:\n  - type: list\n    name: Tagged\n    order: [file.name, file.folder]\n",
    "broken": "views: [unclosed\n",
}
RATINGS = (None, 1, 3, 5)
KINDS = (None, "[[One]]", "[[Two]]", "[[Nowhere]]")


def render_note(note: dict) -> str:
    """A note's file text from its model (front matter keys only when set)."""
    fm = []
    for key in ("rating", "kind"):
        if note.get(key) is not None:
            fm.append(f"{key}: {note[key]!r}")
    for key in ("title", "date", "updated", "slug"):
        if note.get(key):
            fm.append(f"{key}: {note[key]!r}" if key != "date" else f"{key}: {note[key]}")
    if note.get("tags"):
        fm.append("tags: [" + ", ".join(repr(t) for t in note["tags"]) + "]")
    if note.get("draft"):
        fm.append("draft: true")
    body = "\n\n".join(note["body"]) + "\n"
    return ("---\n" + "\n".join(fm) + "\n---\n" if fm else "") + body


def tree(out: Path) -> dict[str, bytes]:
    """Every file but the search index's (compared by ``same_search``)."""
    if not out.is_dir():
        return {}
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*")
            if p.is_file() and p.name != OUTPUT_MARKER
            and p.relative_to(out).parts[0] != "pagefind"}


def same_search(found: Path, expected: Path) -> bool:
    """The search index shows the same pages with the same fragments, and has the same
    shards.  A cached build's may hold pages changed since their shard was made in a recent
    bundle (site_builder.search.recent) where a clean build has them in their shards; once
    past the limit both are byte-identical (tests/test_search_shards.py)."""
    if not (expected / "pagefind").is_dir():
        return not (found / "pagefind").exists()
    shards = [listed(out / "pagefind")["bundles"] for out in (found, expected)]
    return search_view(found / "pagefind") == search_view(expected / "pagefind") and \
        [b for b in shards[0] if b != "/pagefind/recent/"] == shards[1]


class BuildStates(RuleBasedStateMachine):
    """The model is the project's files (path -> bytes); ``notes`` keeps the notes' fields so
    edits stay meaningful.  Every rule changes the model and writes it to the three copies."""

    def __init__(self) -> None:
        super().__init__()
        import tempfile

        self.root = Path(tempfile.mkdtemp(prefix="build-states-"))
        self.copies = {name: self.root / name for name in ("serial", "parallel", "clean")}
        self.notes: dict[str, dict] = {}
        self.config: dict[str, str] = {}
        self.tables: dict[str, dict[str, str]] = {}
        self.drafts = False
        self.allow_broken = True
        self.search_next = False

    # -- writing the model to disk ---------------------------------------------------------

    def put(self, rel: str, data: bytes | str | None) -> None:
        """Write (or, for None, delete) one project file in every copy."""
        for copy in self.copies.values():
            path = copy / rel
            if data is None:
                if path.is_file():
                    path.unlink()
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            (path.write_bytes if isinstance(data, bytes) else path.write_text)(data)

    def save_note(self, path: str) -> None:
        note = self.notes.get(path)
        self.put("content/" + path, render_note(note) if note is not None else None)

    def save_config(self) -> None:
        lines = [f'{k} = "{v}"' for k, v in sorted(self.config.items())]
        for table, values in sorted(self.tables.items()):
            lines += [f"[{table}]", *(f'{k} = "{v}"' for k, v in sorted(values.items()))]
        self.put("notes.toml", "\n".join(lines) + "\n" if lines else None)

    @initialize()
    def start(self) -> None:
        for path, title in (("a/one.md", "One"), ("a/two.md", "Two"), ("b/three.md", None)):
            self.notes[path] = {"title": title, "date": "2024-01-01", "tags": ["x"],
                                "body": [f"Body of {path}.", "## Part", "More text."]}
            self.save_note(path)
        self.put("content/a/pic.svg", ASSETS["pic.svg"])
        self.notes["a/one.md"]["body"].append("![pic](pic.svg)")
        self.notes["a/one.md"]["rating"] = 3
        self.save_note("a/one.md")
        self.put("content/a/Kinds.base", BASES["kinds"])
        self.notes["b/three.md"]["body"].append("![[Kinds.base]]")
        self.save_note("b/three.md")

    def teardown(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)

    # -- notes -----------------------------------------------------------------------------

    @rule(path=notes_st, title=st.sampled_from((None, *TITLES)),
          date=st.sampled_from((None, *DATES)))
    def add_note(self, path: str, title: str | None, date: str | None) -> None:
        self.notes[path] = {"title": title, "date": date, "body": [f"New note {path}."]}
        self.save_note(path)

    @precondition(lambda self: self.notes)
    @rule(data=st.data())
    def delete_note(self, data: st.DataObject) -> None:
        path = data.draw(st.sampled_from(sorted(self.notes)))
        del self.notes[path]
        self.save_note(path)

    @precondition(lambda self: self.notes)
    @rule(data=st.data(), to=notes_st)
    def rename_note(self, data: st.DataObject, to: str) -> None:
        path = data.draw(st.sampled_from(sorted(self.notes)))
        note = self.notes.pop(path)
        self.save_note(path)
        self.notes[to] = note
        self.save_note(to)

    @precondition(lambda self: self.notes)
    @rule(data=st.data(), text=st.sampled_from(("A new paragraph.", "## Another heading",
                                                "```\ncode [[one]]\n```", "- [x] done",
                                                "Tricky <b>html</b> & [x](javascript:x)")))
    def edit_body(self, data: st.DataObject, text: str) -> None:
        path = data.draw(st.sampled_from(sorted(self.notes)))
        body = self.notes[path]["body"]
        if data.draw(st.booleans()) and len(body) > 1:
            body.pop(data.draw(st.integers(0, len(body) - 1)))
        else:
            body.append(text)
        self.save_note(path)

    @precondition(lambda self: self.notes)
    @rule(data=st.data(), key=st.sampled_from(("title", "date", "updated", "slug", "tags",
                                               "draft")))
    def edit_front_matter(self, data: st.DataObject, key: str) -> None:
        path = data.draw(st.sampled_from(sorted(self.notes)))
        values = {"title": (None, *TITLES), "date": (None, *DATES), "updated": (None, *DATES),
                  "slug": (None, *SLUGS), "draft": (False, True),
                  "tags": ([], ["x"], ["y", "x"], list(TAGS))}[key]
        self.notes[path][key] = data.draw(st.sampled_from(values))
        self.save_note(path)

    @precondition(lambda self: len(self.notes) > 1)
    @rule(data=st.data(), kind=st.sampled_from(("wiki", "wiki-heading", "markdown", "anchor",
                                                "missing")))
    def add_link(self, data: st.DataObject, kind: str) -> None:
        paths = sorted(self.notes)
        src, dst = data.draw(st.sampled_from(paths)), data.draw(st.sampled_from(paths))
        stem = dst.removesuffix(".md")
        rel = os.path.relpath(dst, os.path.dirname(src) or ".").replace(" ", "%20")
        link = {"wiki": f"See [[{stem}]].", "wiki-heading": f"See [[{stem}#Part]].",
                "markdown": f"See [this]({rel}).", "anchor": f"See [part]({rel}#part).",
                "missing": "See [[Nowhere at all]]."}[kind]
        self.notes[src]["body"].append(link)
        self.save_note(src)

    @precondition(lambda self: self.notes)
    @rule(data=st.data(), rating=st.sampled_from(RATINGS), kind=st.sampled_from(KINDS))
    def edit_property(self, data: st.DataObject, rating: int | None, kind: str | None) -> None:
        """What the Bases select by: a note's rating and its kind (a wiki link)."""
        path = data.draw(st.sampled_from(sorted(self.notes)))
        self.notes[path].update(rating=rating, kind=kind)
        self.save_note(path)

    @rule(name=st.sampled_from(sorted(BASES)), remove=st.booleans())
    def base_file(self, name: str, remove: bool) -> None:
        """A Base edited, swapped for another, broken (malformed YAML) or removed."""
        self.put("content/a/Kinds.base", None if remove else BASES[name])

    @precondition(lambda self: self.notes)
    @rule(data=st.data(), view=st.sampled_from(("", "#Top", "#All")))
    def embed_base(self, data: st.DataObject, view: str) -> None:
        path = data.draw(st.sampled_from(sorted(self.notes)))
        self.notes[path]["body"].append(f"![[Kinds.base{view}]]")
        self.save_note(path)

    # -- attachments, intros, templates, static files, settings ---------------------------

    @rule(folder=st.sampled_from(FOLDERS), name=st.sampled_from(sorted(ASSETS)),
          linked=st.booleans(), remove=st.booleans())
    def attachment(self, folder: str, name: str, linked: bool, remove: bool) -> None:
        self.put("content/" + folder + name, None if remove else ASSETS[name] + b"\n")
        owner = next((p for p in sorted(self.notes) if p.startswith(folder)), None)
        if linked and owner is not None and not remove:
            self.notes[owner]["body"].append(f"[{name}]({os.path.basename(name)})")
            self.save_note(owner)

    @rule(folder=st.sampled_from(FOLDERS), title=st.sampled_from((None, "Intro", "Üntro")))
    def section_intro(self, folder: str, title: str | None) -> None:
        text = None if title is None else f"# {title}\n\nAbout this section.\n"
        self.put("content/" + folder + "_index.md", text)

    @rule(name=st.sampled_from(TEMPLATES), change=st.sampled_from(("edit", "remove", "broken")))
    def template_override(self, name: str, change: str) -> None:
        source = (PACKAGED / name).read_text("utf-8")
        text = {"edit": source.replace("</", "<!-- override -->\n</", 1), "remove": None,
                "broken": source + "\n{% if %}\n"}[change]
        self.put("templates/" + name, text)

    @rule(key=st.sampled_from(sorted(SETTINGS)), choice=st.integers(0, 2))
    def setting(self, key: str, choice: int) -> None:
        values = SETTINGS[key]
        if choice < len(values):
            self.config[key] = values[choice]
        else:
            self.config.pop(key, None)
        self.save_config()

    @rule(rel=st.sampled_from(("favicon.ico", "files/report 2024.pdf", ".well-known/x.txt",
                               "a/index.html", "feed.xml")), remove=st.booleans())
    def static_file(self, rel: str, remove: bool) -> None:
        """static/ is copied as it is (a/index.html or feed.xml collide with the site)."""
        self.put("static/" + rel, None if remove else b"static " + rel.encode())

    @rule(name=st.sampled_from(("linked.md", "pics", "outside.md")),
          remove=st.booleans())
    def symlink(self, name: str, remove: bool) -> None:
        """Links inside content/ are followed (a note twice, a folder twice); a link to
        outside is an error, in every build alike."""
        target = {"linked.md": "a/one.md", "pics": "a", "outside.md": "../notes.toml"}[name]
        for copy in self.copies.values():
            path = copy / "content" / name
            if path.is_symlink():
                path.unlink()
            if not remove:
                path.symlink_to(target)

    @rule(table=st.sampled_from(("deploy", "markdown")), value=st.sampled_from(
        (None, "keep", "escape", "my-bucket")))
    def setting_table(self, table: str, value: str | None) -> None:
        """[deploy] changes notes.toml but nothing the site shows; [markdown] raw_html
        changes every note's HTML."""
        key = {"deploy": "bucket", "markdown": "raw_html"}[table]
        if value is None:
            self.tables.pop(table, None)
        elif table == "deploy" or value != "my-bucket":
            self.tables[table] = {key: value}
        self.save_config()

    # -- the user's options and the clock ----------------------------------------------------

    @rule(drafts=st.booleans(), allow_broken=st.booleans())
    def options(self, drafts: bool, allow_broken: bool) -> None:
        self.drafts, self.allow_broken = drafts, allow_broken

    @rule()
    def with_search(self) -> None:
        """The next check builds the search index too (Pagefind is slow: only now and then)."""
        self.search_next = True

    @rule(seconds=st.sampled_from((5, 3600)))
    def time_passes(self, seconds: int) -> None:
        """Age every project file, so the cache trusts size and mtime without reading."""
        then = time.time_ns() - seconds * 1_000_000_000
        for copy in self.copies.values():
            for path in copy.rglob("*"):
                if path.is_file() and not path.is_symlink() \
                        and ".notes-cache" not in path.parts and "build" not in path.parts:
                    os.utime(path, ns=(then, then))

    # -- the property ----------------------------------------------------------------------

    def build(self, name: str, **options) -> tuple[BuildResult | None, str | None]:
        opts = BuildOptions(project_dir=self.copies[name], drafts=self.drafts,
                            allow_broken_links=self.allow_broken, search=self.search_next,
                            **options)
        try:
            return build_site(opts), None
        except NotesError as exc:  # the same message in every copy, but for the copy's path
            return None, str(exc).replace(str(self.copies[name]), "<project>")

    @invariant()
    def cached_builds_equal_a_clean_build(self) -> None:
        if not self.copies["clean"].exists():
            return  # before @initialize
        shutil.rmtree(self.copies["clean"] / "build", ignore_errors=True)
        clean, clean_error = self.build("clean", cache=False, jobs=1)
        expected = tree(self.copies["clean"] / "build" / "site")
        for name, jobs in (("serial", 1), ("parallel", 2)):
            result, error = self.build(name, jobs=jobs)
            assert error == clean_error, f"{name}: {error!r} != clean {clean_error!r}"
            if clean is None:
                continue
            assert result is not None
            found = tree(self.copies[name] / "build" / "site")
            differ = sorted(p for p in {*found, *expected} if found.get(p) != expected.get(p))
            assert not differ, f"{name} build differs from a clean build in {differ}"
            assert same_search(self.copies[name] / "build" / "site",
                               self.copies["clean"] / "build" / "site"), name
            assert result.warnings == clean.warnings, f"{name}: {result.warnings}"
            assert (result.pages, result.files) == (clean.pages, clean.files), name
        self.search_next = False


TestBuildStates = BuildStates.TestCase
TestBuildStates.settings = PROFILE
