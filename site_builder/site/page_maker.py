"""Templates: the Jinja2 environment every page is rendered with (project overrides first,
the packaged templates after, compiled once per process) and ``PageMaker``, which renders a
template with the context every page shares and keys each page by its template sources.

Split from ``pages`` (which decides *what* pages a site has and what each shows) because this
is the *how* of rendering any page, the same for the page stage's own pages (graph, search,
404) as for notes and lists: its concerns are Jinja's (loaders, bytecode, filters, template
errors as one-line ``ContentError`` naming the template file and line).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache, partial
from pathlib import Path
from typing import Any

import jinja2

from site_builder.core.errors import ContentError
from site_builder.store.cache import page_key
from site_builder.store.output import OutputFile
from site_builder.vault.content import display_path
from site_builder.vault.links import href_for

_TEMPLATE_REF = re.compile(r"""\{%-?\s*(?:extends|include|import|from)\s+(["'])(.+?)\1""")
_DYNAMIC_REF = re.compile(r"""\{%-?\s*(?:extends|include|import|from)\s+[^\s"']""")


@dataclass(frozen=True)
class Page:
    path: str  # output-relative, e.g. "docker/networking/index.html"
    html: bytes
    owner: str  # what produced it, for "same URL" errors


@lru_cache(maxsize=1 << 16)
def _href(url: str, anchor: str | None = None) -> str:
    """The ``href`` filter: every page quotes the same navigation and card URLs again."""
    return href_for(url, anchor)


@lru_cache(maxsize=1 << 14)
def _isodate(day: Any) -> str:
    """The ``isodate`` filter: a site's cards show the same few thousand dates again and
    again (every tag and section page), and formatting them was 3% of making pages."""
    return day.isoformat() if day else ""


@lru_cache(maxsize=1 << 14)
def _longdate(day: Any) -> str:
    """The ``longdate`` filter ("March 5, 2024"), once per date (see ``_isodate``)."""
    return f"{day:%B} {day.day}, {day.year}" if day else ""


class _CompiledTemplates(jinja2.BytecodeCache):
    """Compiled templates kept for the life of the process.  Jinja keys each on the template's
    name and file and checks it against a digest of the source it reads, so a changed template
    is compiled again; an unchanged one is not, build after build (`notes serve` rebuilds in
    one process: compiling the templates was ~45 ms of a one-note rebuild)."""

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        code = self._code.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self._code[bucket.key] = bucket.bytecode_to_string()


_COMPILED = _CompiledTemplates()


def make_env(project_dir: Path) -> jinja2.Environment:
    loaders: list[jinja2.BaseLoader] = []
    override = project_dir / "templates"
    if override.is_dir():
        loaders.append(jinja2.FileSystemLoader(str(override)))
    loaders.append(jinja2.PackageLoader("site_builder.site", "templates"))
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,  # one environment per build: no need to stat templates per page
        bytecode_cache=_COMPILED,
    )
    env.filters["href"] = _href
    env.filters["isodate"] = _isodate
    env.filters["longdate"] = _longdate
    return env


class PageMaker:
    """Renders templates with the context every page shares (site, assets, navigation).

    ``common_key`` is the digest of that shared context; each page's key adds its template (and
    every template it extends, imports or includes) and what only that page shows."""

    def __init__(self, env: jinja2.Environment, project_dir: Path, common: Mapping[str, Any],
                 common_key: str = ""):
        self.env, self.project_dir, self.common = env, project_dir, dict(common)
        self.common_key = common_key
        self._template_keys: dict[str, str] = {}
        self._pulled_in: set[str] = set()  # every template name template_key came across

    def _template_error(self, exc: jinja2.TemplateError, template: str) -> ContentError:
        if isinstance(exc, jinja2.TemplateSyntaxError):
            shown = display_path(Path(exc.filename), self.project_dir) if exc.filename else template
            return ContentError(f"template error: {exc.message}", shown, exc.lineno)
        return ContentError(f"template error: {exc}", template)

    def render(self, template: str, path: str, owner: str, **context: Any) -> Page:
        try:
            html = self.env.get_template(template).render(**self.common, **context)
        except jinja2.TemplateError as exc:
            raise self._template_error(exc, template) from None
        return Page(path, html.encode("utf-8"), owner)

    def has(self, template: str) -> bool:
        try:
            self.env.get_template(template)
        except jinja2.TemplateNotFound:
            return False
        return True

    def template_key(self, name: str) -> str:
        """Digest of a template's source and of every template it pulls in, so editing
        ``base.html`` re-makes every page and editing ``tag.html`` only the tag pages.
        References are found by pattern, not by parsing (a rebuild must stay fast); a
        computed name makes the page depend on every template there is."""
        if name not in self._template_keys:
            sources: dict[str, str] = {}
            pending = [name]
            while pending:
                current = pending.pop()
                if current in sources:
                    continue
                try:
                    loader = self.env.loader
                    assert loader is not None
                    sources[current] = loader.get_source(self.env, current)[0]
                except jinja2.TemplateNotFound:
                    sources[current] = ""  # rendering it will say so, with the file
                    continue
                if _DYNAMIC_REF.search(sources[current]):
                    pending.extend(self.env.list_templates())
                pending.extend(m.group(2) for m in _TEMPLATE_REF.finditer(sources[current]))
            self._template_keys[name] = page_key(sorted(sources.items()))
            self._pulled_in.update(sources)
        return self._template_keys[name]

    def preload(self) -> None:
        """Compile every template the pages use, and those they pull in, in this process before
        the page workers fork: each worker would otherwise compile them all again.  A template
        that fails here is left for the page that uses it to report."""
        for name in sorted(self._pulled_in):
            try:
                self.env.get_template(name)
            except jinja2.TemplateError:
                pass

    def page(self, template: str, path: str, owner: str, parts: tuple,
             context: Callable[[], dict[str, Any]], key: str | None = None) -> OutputFile:
        """A page made on demand: ``parts`` is what it shows besides the shared context,
        ``context`` builds the template variables (reading note bodies only when made).
        ``key``, when given, is ``page_key(template key, common key, parts)`` already."""
        key = key or page_key(self.template_key(template), self.common_key, parts)
        return OutputFile(path, owner, key=key, make=partial(self._make, template, path, owner,
                                                             context))

    def _make(self, template: str, path: str, owner: str,
              context: Callable[[], dict[str, Any]]) -> bytes:
        return self.render(template, path, owner, **context()).html
