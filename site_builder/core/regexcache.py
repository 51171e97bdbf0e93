"""Compiled regular expressions kept between processes, as Python keeps bytecode.

A `notes build` compiles a few hundred regular expressions before it does any work:
Python-Markdown's and pymdown-extensions' (``pymdownx.mark`` and ``tilde`` build delimiter
patterns over every Unicode punctuation mark: ~50 ms), each Pygments lexer's (~15 ms a
language), YAML's, TOML's and our own: 0.1-0.2 s of a one-note edit.  CPython compiles in
Python (``re._parser.parse``, then ``re._compiler._code``), and what it hands the ``_sre``
engine, a list of integers plus the group names, depends only on the pattern, the flags and
the interpreter.  So ``install`` wraps ``re``'s compiler: a pattern met before gets its code
from a table in the user's cache folder (``cache_dir``), one file per interpreter (its
version and ``_sre``'s magic number in the name and checked inside); a new one is compiled
as usual and added, and the table is written back when the process that installed it exits.
``_sre.compile`` validates the code it is given.  Any problem (no such folder, a damaged
file, another Python's ``re`` internals) leaves ``re`` as it was.
"""

from __future__ import annotations

import _sre
import atexit
import marshal
import os
import re
import sys
import tempfile
from pathlib import Path

try:
    from re import _compiler, _parser
except ImportError:  # Python < 3.11 names them sre_compile / sre_parse: not used there
    _compiler = _parser = None  # type: ignore[assignment]

_STAMP = (sys.version, _sre.MAGIC, _sre.CODESIZE)
_MAX_ENTRIES = 5000  # patterns made from content (a search term, a tag name) are not kept
_state: dict = {"table": None, "grew": False, "path": None, "pid": None, "original": None}


def cache_dir() -> Path:
    """The user's cache folder for what this program derives from its own code."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "notes-publisher"


def install(folder: Path | None = None) -> bool:
    """Serve ``re`` compilations from the table in ``folder`` (default ``cache_dir()``) for
    the rest of this process; False when this Python's ``re`` is not the one it knows."""
    if _state["table"] is not None:
        return True
    if _compiler is None or not hasattr(_compiler, "_code") or not hasattr(_parser, "parse"):
        return False
    path = (folder or cache_dir()) / f"regex-{_sre.MAGIC}-{sys.hexversion:x}.bin"
    _state.update(table=_load(path), path=path, pid=os.getpid(), original=_compiler.compile)
    _compiler.compile = _compile
    atexit.register(save)
    return True


def _load(path: Path) -> dict:
    try:
        stamp, table = marshal.loads(path.read_bytes())
    except (OSError, ValueError, EOFError, TypeError):
        return {}
    return table if stamp == _STAMP and isinstance(table, dict) else {}


def _compile(p: object, flags: int = 0) -> re.Pattern:
    """``re._compiler.compile``, with its result's parts looked up or kept."""
    table = _state["table"]
    if type(p) not in (str, bytes) or flags & re.DEBUG or table is None:
        return _state["original"](p, flags)
    flags = int(flags)
    entry = table.get((p, flags))
    if entry is None:
        parsed = _parser.parse(p, flags)
        # (the opcodes are int subclasses, which marshal does not write: plain ints here)
        code = [int(op) for op in _compiler._code(parsed, flags)]
        names = parsed.state.groupdict
        indexgroup = [None] * parsed.state.groups
        for name, i in names.items():
            indexgroup[i] = name
        entry = (int(flags | parsed.state.flags), code, parsed.state.groups - 1, dict(names),
                 tuple(indexgroup))
        if len(table) < _MAX_ENTRIES:
            table[(p, flags)] = entry
            _state["grew"] = True
    final, code, groups, names, indexgroup = entry
    return _sre.compile(p, final, code, groups, dict(names), indexgroup)


def save(forked: bool = False) -> None:
    """Write the table back if it grew, from the process that installed it (not from its
    forked workers) or from a ``forked`` child that does work of its own (``background``),
    atomically; a folder that cannot be written is left alone.  The file's entries are kept
    (merged), so a parent and its child, each saving what it compiled, lose nothing."""
    path, table = _state["path"], _state["table"]
    if not _state["grew"] or path is None or table is None or (
            os.getpid() != _state["pid"] and not forked):
        return
    temp = None
    try:
        table = {**_load(path), **table}
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".regex-")
        with os.fdopen(fd, "wb") as f:
            f.write(marshal.dumps((_STAMP, table)))
        os.replace(temp, path)
        temp, _state["grew"] = None, False
    except OSError:
        pass
    finally:
        if temp is not None:
            Path(temp).unlink(missing_ok=True)


def uninstall() -> None:
    """Give ``re`` its own compiler back (tests)."""
    if _state["original"] is not None:
        _compiler.compile = _state["original"]
    _state.update(table=None, grew=False, path=None, pid=None, original=None)
