"""Walk a folder of notes (or ``static/``) without following a symbolic link out of it.

A notes folder is often a cloned repository, or a pull request built by CI: a link to
``/etc/passwd`` or ``~/.aws`` in it must never reach a public bucket, and a link loop must be
an error naming the link, not a traceback or a hang.  Git stores a symbolic link as a link,
so the folder itself may be one (``static -> ../../home/.aws``): where it really is, its real
path, is checked against its root (the project, or a vault named on its own) before anything
in it is read.  Nothing hidden is published, so a link may not land on a hidden file either
(``env.txt -> .env``).
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

from site_builder.core.errors import ContentError


def walk(content_dir: Path, shown: str = "", keep_hidden: tuple[str, ...] = (),
         within: Path | None = None) -> tuple[list[tuple[str, Path]], list[tuple[str, Path]]]:
    """(content-relative posix path, path) of every markdown file and every other file, sorted,
    skipping hidden files and folders.  ``os.scandir`` and string paths keep this to one
    system call per entry: it runs on every build, cached or not.

    A symbolic link is followed only when its target stays inside ``content_dir`` (a link to
    ``/etc/passwd`` or to ``~/.aws`` must never reach a public bucket); any other link, a
    dangling one, a link to a hidden file, or a folder link back into its own ancestors is a
    ContentError naming it (``shown`` is how ``content_dir`` appears in messages, e.g.
    "content/").  ``within``: the folder ``content_dir`` must really lie in (see
    ``contained_root``)."""
    markdown, other = [], []
    root = contained_root(content_dir, within, shown.rstrip("/") or str(content_dir),
                          keep_hidden)
    stack: list[tuple[str, str, tuple[str, ...]]] = [("", str(content_dir), (root,))]
    while stack:
        rel, folder, reals = stack.pop()  # reals: the real path of every folder on the way
        with os.scandir(folder) as entries:
            for entry in entries:
                if entry.name.startswith(".") and entry.name not in keep_hidden:
                    continue
                if entry.is_symlink():
                    target = _link_target(entry.path, root, shown + rel + entry.name,
                                          keep_hidden)
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


def contained_root(folder: Path, within: Path | None, shown: str,
                   keep_hidden: tuple[str, ...] = ()) -> str:
    """The real path of ``folder``, once checked to lie inside the real path of ``within``
    (None: ``folder`` is its own root) and not in a hidden folder of it: a folder that is
    itself a link, or lies under one, may not lead out of the project."""
    if os.path.islink(folder):
        _check_resolves(str(folder), shown)
    if not os.path.isdir(folder):
        raise ContentError("not a folder", shown)
    real = os.path.realpath(folder)
    if within is None:
        return real
    top = os.path.realpath(within)
    if not real.startswith(top.rstrip("/") + "/"):  # the project itself is not inside it
        raise ContentError(f"symlink to {real} leads outside the project folder {top}: it is "
                           "never published (name the folder with --content, or copy the files "
                           "in)", shown)
    if _hidden(real, top, keep_hidden):
        raise ContentError(f"symlink to {real} lands on a hidden file: it is never published",
                           shown)
    return real


def _hidden(real: str, root: str, keep_hidden: tuple[str, ...]) -> bool:
    """Whether ``real`` (inside ``root``) is or lies in a hidden file or folder of it."""
    rel = real[len(root):].strip("/")
    return any(part.startswith(".") and part not in keep_hidden
               for part in rel.split("/") if part)


def _link_target(path: str, root: str, shown: str, keep_hidden: tuple[str, ...]) -> str:
    """The real path a symbolic link leads to, if it stays inside ``root`` and does not land
    on a hidden file (hidden files are never published, whatever links to them)."""
    _check_resolves(path, shown)
    target = os.path.realpath(path)
    if target != root and not target.startswith(root.rstrip("/") + "/"):
        raise ContentError(f"symlink to {target} points outside its folder: it is never "
                           "published (copy the file in instead)", shown)
    if _hidden(target, root, keep_hidden):
        raise ContentError(f"symlink to {target} lands on a hidden file: it is never "
                           "published", shown)
    return target


def _check_resolves(path: str, shown: str) -> None:
    """A link loop or a dangling link is a ContentError naming it."""
    try:
        os.stat(path)
    except OSError as exc:
        problem = "symlink loop" if exc.errno == errno.ELOOP else \
            f"broken symlink to {os.readlink(path)}"
        raise ContentError(f"{problem} ({exc.strerror})", shown) from None
