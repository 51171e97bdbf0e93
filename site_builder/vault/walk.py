"""Walk a folder of notes (or ``static/``) without following a symbolic link out of it.

A notes folder is often a cloned repository, or a pull request built by CI: a link to
``/etc/passwd`` or ``~/.aws`` in it must never reach a public bucket, and a link loop must be
an error naming the link, not a traceback or a hang.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

from site_builder.core.errors import ContentError


def walk(content_dir: Path, shown: str = "",
          keep_hidden: tuple[str, ...] = ()) -> tuple[list[tuple[str, Path]],
                                                     list[tuple[str, Path]]]:
    """(content-relative posix path, path) of every markdown file and every other file, sorted,
    skipping hidden files and folders.  ``os.scandir`` and string paths keep this to one
    system call per entry: it runs on every build, cached or not.

    A symbolic link is followed only when its target stays inside ``content_dir`` (a link to
    ``/etc/passwd`` or to ``~/.aws`` must never reach a public bucket); any other link, a
    dangling one, or a folder link back into its own ancestors is a ContentError naming it
    (``shown`` is how ``content_dir`` appears in messages, e.g. "content/")."""
    markdown, other = [], []
    root = os.path.realpath(content_dir)
    stack: list[tuple[str, str, tuple[str, ...]]] = [("", str(content_dir), (root,))]
    while stack:
        rel, folder, reals = stack.pop()  # reals: the real path of every folder on the way
        with os.scandir(folder) as entries:
            for entry in entries:
                if entry.name.startswith(".") and entry.name not in keep_hidden:
                    continue
                if entry.is_symlink():
                    target = _link_target(entry.path, root, shown + rel + entry.name)
                    if target in reals:
                        raise ContentError(f"symlink loop: it leads back to {target}, a folder "
                                           "that contains it", shown + rel + entry.name)
                else:
                    target = os.path.join(reals[-1], entry.name)
                if entry.is_dir():
                    stack.append((rel + entry.name + "/", entry.path, (*reals, target)))
                elif entry.is_file():
                    found = (rel + entry.name, Path(entry.path))
                    (markdown if entry.name.lower().endswith(".md") else other).append(found)
    key = lambda item: item[0].split("/")
    return sorted(markdown, key=key), sorted(other, key=key)


def _link_target(path: str, root: str, shown: str) -> str:
    """The real path a symbolic link leads to, if it stays inside ``root``."""
    try:
        os.stat(path)
    except OSError as exc:
        problem = "symlink loop" if exc.errno == errno.ELOOP else \
            f"broken symlink to {os.readlink(path)}"
        raise ContentError(f"{problem} ({exc.strerror})", shown) from None
    target = os.path.realpath(path)
    if target != root and not target.startswith(root.rstrip("/") + "/"):
        raise ContentError(f"symlink to {target} points outside its folder: it is never "
                           "published (copy the file in instead)", shown)
    return target
