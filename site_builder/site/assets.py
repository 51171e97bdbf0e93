"""The site's own styles and scripts (``static/`` beside this module), minified and hashed.

Each file gets a content hash in its name, so it can be cached forever: a page asks for
``style.css`` by its plain name and the template's ``asset()`` gives the hashed URL.
"""

from __future__ import annotations

import hashlib
import posixpath
import re
from pathlib import Path

from site_builder.store.cache import digest
from site_builder.store.output import OutputFile

STATIC_DIR = Path(__file__).resolve().parent / "static"


def hashed_name(name: str, data: bytes) -> str:
    """``style.css`` -> ``style.3f2a9c1b.css`` (first 8 hex digits of the SHA-256)."""
    stem, dot, ext = name.rpartition(".")
    digest = hashlib.sha256(data).hexdigest()[:8]
    return f"{stem}.{digest}.{ext}" if dot else f"{name}.{digest}"


_CSS_COMMENT = re.compile(r"/\*.*?\*/", re.DOTALL)


_CSS_SPACE = re.compile(r"\s*([{};,])\s*|(:)\s+|\s+")


_CSS_LAST_SEMICOLON = re.compile(r"(\"[^\"]*\"|'[^']*')|;}")


_JS_COMMENT = re.compile(r"^\s*(?://[^\n]*|/\*.*?\*/)\n|^[ \t]+", re.DOTALL | re.MULTILINE)


def minify_css(css: str) -> str:
    """Comments and layout whitespace out of the stylesheet every page downloads (a quarter of
    its bytes).  Only spaces next to ``{ } ; ,`` go; a space before ``:`` is a descendant
    combinator in a selector (``html :is(..)``), so it stays.  A rule's last ``;`` goes too
    (never inside a string)."""
    css = _CSS_COMMENT.sub("", css)
    css = _CSS_SPACE.sub(lambda m: m.group(1) or m.group(2) or " ", css).strip()
    return _CSS_LAST_SEMICOLON.sub(lambda m: m.group(1) or "}", css) + "\n"


def minify_js(js: str) -> str:
    """Our scripts without whole-line comments and indentation (safe for them: no template
    strings or multi-line string literals), which is most of what a minifier would save."""
    return _JS_COMMENT.sub("", js)


def static_assets(extra_css: str = "") -> dict[str, OutputFile]:
    """The packaged CSS/JS, minified and hashed: maps the plain name templates ask for to its
    file.  ``extra_css`` (the code highlighting) goes at the end of style.css.  Made again in
    one process only when a file's stamp changed: the vendored Mermaid alone is 5.5 MB to
    read, hash and digest, ~20 ms of every `notes serve` rebuild."""
    vendored = sorted(p for p in (STATIC_DIR / "vendor").glob("*") if p.suffix in (".js", ".css"))
    paths = [p for p in [*sorted(STATIC_DIR.iterdir()), *vendored]
             if p.is_file() and not p.name.startswith(".")]
    stamps = tuple((p, st.st_size, st.st_mtime_ns, st.st_ino) for p in paths
                   for st in (p.stat(),))
    key = (extra_css, stamps)
    if key not in _static_made:
        _static_made.clear()
        _static_made[key] = _make_static_assets(paths, extra_css)
    return dict(_static_made[key])


_static_made: dict[tuple, dict[str, OutputFile]] = {}


def _make_static_assets(paths: list[Path], extra_css: str) -> dict[str, OutputFile]:
    assets = {}
    for path in paths:
        data = path.read_bytes()
        if path.suffix == ".css" and path.parent == STATIC_DIR:
            extra = extra_css if path.name == "style.css" else ""
            data = minify_css(data.decode("utf-8") + "\n" + extra).encode("utf-8")
        elif path.suffix == ".js" and path.parent == STATIC_DIR:
            data = minify_js(data.decode("utf-8")).encode("utf-8")
        name = path.relative_to(STATIC_DIR).as_posix()  # "site.js", "vendor/mermaid.min.js"
        out = f"assets/{posixpath.dirname(name) + '/' if '/' in name else ''}" \
              f"{hashed_name(path.name, data)}"
        assets[name] = OutputFile(out, f"the asset {name}", data=data, key=digest(data))
    return assets
