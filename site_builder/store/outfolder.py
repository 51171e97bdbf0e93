"""Which output folder a build may write into, and which files in it are the build's own.

``notes build --out DIR`` once deleted every file in DIR that was not part of the site (a
``thesis.docx`` beside the pages, gone without a word).  Now a build deletes or replaces only
files that a build wrote there, and it knows which from a marker it keeps in the folder
(``OUTPUT_MARKER``: one path per line, never uploaded, see ``deploy.manifest``).  So:

* a new or empty folder is fine: the first build leaves a marker;
* a non-empty folder without a marker is refused with one line naming it, unless an earlier
  build's deploy manifest beside it shows that builds wrote there (folders built before the
  marker existed keep working);
* the project's own folders (the project root, ``content/``, ``static/``, ``templates/``,
  ``.notes-cache/``) and every folder that contains one of them are refused outright.

The marker's lines are read as untrusted: at most ``MARKER_LIMIT`` bytes, and a line that is
not a plain relative path (``..``, absolute, empty parts) is ignored, so an edited marker can
never make a build delete outside its folder.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path

from site_builder.core.errors import ContentError
from site_builder.deploy.manifest import OUTPUT_MARKER, load_manifest

MARKER_LIMIT = 64 << 20  # bytes: 10,000 pages take about 0.4 MB
_HEADER = "# notes-publisher: files `notes build` wrote here (it replaces or deletes only these)"


def check_output_folder(out: Path, protected: Sequence[tuple[str, Path]]) -> None:
    """Refuse ``out`` when it is, holds or lies in one of the ``protected`` (name, folder)
    pairs (the first pair is the project root, which may hold the output), when it is not a
    folder, or when it holds files and no build wrote there."""
    out = Path(os.path.realpath(out))  # never raises: a link loop is the walk's to report
    for index, (name, folder) in enumerate(protected):
        folder = Path(os.path.realpath(folder))
        inside = index > 0 and out.is_relative_to(folder)
        if out == folder or folder.is_relative_to(out) or inside:
            raise ContentError(f"refusing to build into {out}: it would replace {name} folder")
    if out.exists() and not out.is_dir():
        raise ContentError(f"refusing to build into {out}: it is a file, not a folder "
                           "(pass --out with a new or empty folder)")
    if out.is_dir() and not is_build_output(out) and _has_entries(out):
        raise ContentError(f"refusing to build into {out}: it holds files that notes build did "
                           f"not write (no {OUTPUT_MARKER} in it); pass --out with a new or "
                           "empty folder")
    _check_parent(out)


def _has_entries(folder: Path) -> bool:
    try:
        with os.scandir(folder) as entries:
            return next(entries, None) is not None
    except OSError as exc:
        raise ContentError(f"cannot read the output folder {folder}: {exc.strerror}") from None


def _check_parent(out: Path) -> None:
    """The output's nearest existing ancestor must be a folder this user can write: the build
    stages its files beside the output (so that moving them in is a rename).  Nothing is
    made here: a build that fails leaves no folder behind."""
    ancestor = out.parent
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise ContentError(f"cannot create the output folder {out}: {ancestor} is a file, not "
                           "a folder (pass --out with a new or empty folder)")
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise ContentError(f"cannot create the output folder {out}: {ancestor} is not "
                           "writable (pass --out with a folder you can write)")


def is_build_output(out: Path) -> bool:
    """Whether a build wrote ``out``: its marker, or (before markers) a deploy manifest."""
    return (out / OUTPUT_MARKER).is_file() or bool(load_manifest(out))


def written_here(out: Path) -> frozenset[str]:
    """The files earlier builds wrote in ``out``: its marker's paths, or those of the deploy
    manifest beside it for a folder built before markers; empty when neither exists."""
    try:
        with open(out / OUTPUT_MARKER, "rb") as fh:
            data = fh.read(MARKER_LIMIT + 1)
    except OSError:
        return frozenset(load_manifest(out))
    if len(data) > MARKER_LIMIT:
        raise ContentError(f"larger than {MARKER_LIMIT >> 20} MiB: not a marker written by "
                           "notes build (delete it if the folder is the build's)",
                           out / OUTPUT_MARKER)
    lines = data.decode("utf-8", "replace").split("\n")
    return frozenset(line for line in lines if safe_relative(line))


def safe_relative(path: str) -> bool:
    """A plain relative POSIX path: no ``..``, no empty or absolute parts, no NUL."""
    if not path or path.startswith(("/", "#")) or "\0" in path or "\\" in path:
        return False
    return all(part not in ("", ".", "..") for part in path.split("/"))


def save_marker(out: Path, files: Iterable[str], before: frozenset[str]) -> None:
    """Write the marker listing ``files`` (atomically), unless it already lists exactly them."""
    files = sorted(files)
    if frozenset(files) == before and (out / OUTPUT_MARKER).is_file():
        return
    fd, tmp = tempfile.mkstemp(prefix=".notes-output-", dir=out)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write("\n".join([_HEADER, *files]) + "\n")
        os.chmod(tmp, 0o644)
        os.replace(tmp, out / OUTPUT_MARKER)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def inside(out: Path, path: Path) -> bool:
    """Whether ``path``'s folder really lies in ``out`` (no symbolic link on the way out)."""
    real = os.path.realpath(path.parent)
    root = os.path.realpath(out)
    return real == root or real.startswith(root.rstrip("/") + "/")
