"""Which file a link path names, in Obsidian's own order (``getFirstLinkpathDest``).

Obsidian never refuses a link because two files share a name: it picks one, and the writer
sees that choice in the app.  The published site must link to the very same file, so this
is Obsidian's order, as a pure function of the vault's file list:

1. the exact vault path (``[[Note]]`` is a root ``Note.md``; ``.md`` may be left out);
2. a path relative to the linking note when written so (``./x``, ``../x``);
3. among the files with that name whose path ends with what was written (``[[Folder/Note]]``
   is any ``…/Folder/Note.md``), the one in the linking note's own folder (its ancestors do
   not count), else the one with the shortest path, else the first in path order.

Names compare case-insensitively.  A name with an extension other than ``.md`` names an
attachment (``[[diagram.png]]``); without one, a note.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable, Mapping


def link_key(path: str) -> str:
    """How a file is looked up: lower case, without ``.md`` (attachments keep their
    extension)."""
    return path.lower().removesuffix(".md")


def name_table(sources: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """link_key of the file name -> every source with that name, in path order."""
    names: dict[str, list[str]] = {}
    for source in sources:
        names.setdefault(link_key(posixpath.basename(source)), []).append(source)
    return {k: tuple(sorted(v)) for k, v in names.items()}


def first_linkpath_dest(linkpath: str, source: str, paths: Mapping[str, str],
                        names: Mapping[str, tuple[str, ...]]) -> str | None:
    """The source a link from ``source`` to ``linkpath`` opens in Obsidian, or None.

    ``paths`` maps ``link_key(source)`` to each source; ``names`` is ``name_table``."""
    wanted = linkpath.strip().replace("\\", "/")
    if not wanted:
        return None
    if wanted.startswith(("./", "../")):
        joined = posixpath.normpath(posixpath.join(posixpath.dirname(source), wanted))
        return None if joined.startswith("../") else paths.get(link_key(joined))
    key = link_key(wanted.strip("/"))
    exact = paths.get(key)
    if exact is not None:
        return exact
    candidates = [c for c in names.get(posixpath.basename(key), ())
                  if ("/" + link_key(c)).endswith("/" + key)]
    if not candidates:
        return None
    here = posixpath.dirname(source)
    for candidate in candidates:
        if posixpath.dirname(candidate) == here:
            return candidate
    return min(candidates, key=lambda c: (len(c), c))
